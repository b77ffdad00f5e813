"""Coordinates: longitude and latitude projected to km east and north of an origin (an equirectangular
projection), and the rule that tells degrees from metres where a file's units are ``auto``.

>>> x, y = project(np.array([1.0]), np.array([0.0]), (0.0, 0.0))
>>> round(float(x[0]), 3), round(float(y[0]), 3)
(111.32, 0.0)
"""

from __future__ import annotations

import math

import numpy as np

KM_PER_DEGREE_LAT = 110.574


KM_PER_DEGREE_LON_EQUATOR = 111.320


def looks_like_degrees(xy: np.ndarray) -> bool:
    """Whether ``[[x, y], ...]`` coordinates can only be longitude and latitude: every one within range and the
    longitudes spanning less than 10 degrees (a service area, not a continent). Anything else is taken as metres.

    >>> looks_like_degrees(np.array([[-72.6, 42.3], [-72.1, 42.5]])), looks_like_degrees(np.array([[0, 0], [900, 50]]))
    (True, False)
    """
    xy = np.asarray(xy, float).reshape(-1, 2)
    return bool(len(xy) and np.all(np.abs(xy[:, 0]) <= 180) and np.all(np.abs(xy[:, 1]) <= 90)
                and np.ptp(xy[:, 0]) < 10)


def project(lon: np.ndarray, lat: np.ndarray, origin: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Degrees to km east and north of ``origin`` (lon, lat): equirectangular, good to well under 1 % over the
    100 km of a service area.

    >>> x, y = project(np.array([-72.5]), np.array([42.4]), (-72.6, 42.3))
    >>> round(float(x[0]), 2), round(float(y[0]), 2)
    (8.23, 11.06)
    """
    lon0, lat0 = origin
    x = (np.asarray(lon, float) - lon0) * KM_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(lat0))
    y = (np.asarray(lat, float) - lat0) * KM_PER_DEGREE_LAT
    return x, y
