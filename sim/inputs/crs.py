"""The scenario's working coordinate reference system: one metric CRS (a UTM zone, a national grid) that every layer,
road file and outage log is reprojected into, with pyproj, from its own CRS.

Inside the simulator a place is a pair of km in the working CRS (its metres divided by 1000), so a route's length
and a storm's radius are plain distances, and results go back to longitude and latitude exactly.

>>> work = working_crs("EPSG:32635")
>>> to_km = transformer("EPSG:4326", work)
>>> x, y = to_km(np.array([24.9384]), np.array([60.1699]))          # Helsinki, Senate Square
>>> round(float(x[0]), 3), round(float(y[0]), 3)
(385.611, 6672.118)
>>> lon, lat = to_lonlat(work)(x, y)
>>> round(float(lon[0]), 6), round(float(lat[0]), 6)
(24.9384, 60.1699)
>>> utm_for(24.94, 60.17), utm_for(-72.6, 42.3), utm_for(151.2, -33.9)
('EPSG:32635', 'EPSG:32618', 'EPSG:32756')
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
import pyproj
from pyproj.exceptions import CRSError

ToKm = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class CrsProblem(ValueError):
    """A CRS that cannot be read, or cannot be a working CRS; the message says what is expected."""


def utm_for(lon: float, lat: float) -> str:
    """The WGS 84 UTM zone (``EPSG:326NN`` north, ``EPSG:327NN`` south) of a point: the working CRS that
    ``crs: auto`` chooses for a territory centred there (distortion under 0.1 % within a zone)."""
    zone = min(60, max(1, int(math.floor((lon + 180.0) / 6.0)) + 1))
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


@functools.lru_cache(maxsize=32)
def read_crs(text: str) -> pyproj.CRS:
    """A CRS from what a planner writes (``EPSG:32618``, ``ESRI:102003``, a WKT or PROJ string)."""
    try:
        return pyproj.CRS.from_user_input(text)
    except CRSError as exc:
        reason = str(exc).splitlines()[0]
        raise CrsProblem(f"cannot read the CRS {text!r} ({reason}); expected e.g. EPSG:32618") from None


def working_crs(text: str) -> pyproj.CRS:
    """The working CRS named ``text``: it must be projected and in metres (distances are measured in it)."""
    crs = read_crs(text)
    if not crs.is_projected:
        raise CrsProblem(f"crs {text!r} ({crs.name}) is not a projected CRS: distances in it are not in metres; "
                         "expected a metric projected CRS such as the territory's UTM zone (or crs: auto)")
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if unit not in ("metre", "meter"):
        raise CrsProblem(f"crs {text!r} ({crs.name}) measures in {unit or 'unknown units'}; expected a CRS in metres "
                         "(files may be in feet: they are reprojected, but the working CRS is metric)")
    return crs


def name_of(crs: pyproj.CRS) -> str:
    """``AUTHORITY:CODE`` when the CRS has one (what the resolved scenario echoes), else its PROJ string."""
    auth = crs.to_authority(min_confidence=90)
    return f"{auth[0]}:{auth[1]}" if auth else crs.to_proj4()


@functools.lru_cache(maxsize=32)
def _transformer(source: str, target: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(read_crs(source), read_crs(target), always_xy=True)


def transformer(source: str | pyproj.CRS, work: pyproj.CRS) -> ToKm:
    """``(x, y)`` in ``source`` (longitude first for geographic CRSs) to km in the working CRS."""
    t = _transformer(source if isinstance(source, str) else source.to_wkt(), work.to_wkt())

    def to_km(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        wx, wy = t.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(wx, float) / 1000.0, np.asarray(wy, float) / 1000.0

    return to_km


def to_degrees(source: pyproj.CRS) -> ToKm:
    """``(x, y)`` in ``source`` (its own units) to longitude and latitude."""
    t = _transformer(source.to_wkt(), "EPSG:4326")

    def deg(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = t.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lon, float), np.asarray(lat, float)

    return deg


def to_lonlat(work: pyproj.CRS) -> ToKm:
    """km in the working CRS back to longitude and latitude (EPSG:4326), for georeferenced results."""
    t = _transformer(work.to_wkt(), "EPSG:4326")

    def back(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = t.transform(np.asarray(x, float) * 1000.0, np.asarray(y, float) * 1000.0)
        return np.asarray(lon, float), np.asarray(lat, float)

    return back
