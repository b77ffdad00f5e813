"""Prepared road networks kept on disk (``$STORMCREW_CACHE``) and in memory, keyed by the file's version and the
preparation's parameters, so a network is prepared once per machine."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.inputs.roads import PreparedNetwork, RoadNetwork, cache_warning
from sim.inputs.zones import zone_map

if TYPE_CHECKING:
    import pandas as pd


def cache_dir() -> Path | None:
    """Where prepared networks are kept: ``$STORMCREW_CACHE`` (unset or empty: ``~/.cache/stormcrew``), created if
    need be. None, with a CacheWarning naming the location, when it is not a folder that can be created and written
    (a file, under a file, read-only): the run goes on without the disk cache."""
    try:
        where = Path(os.environ.get("STORMCREW_CACHE") or Path.home() / ".cache" / "stormcrew").expanduser()
    except RuntimeError as exc:  # no home folder to be found
        cache_warning(f"road cache: no location ({exc}); set STORMCREW_CACHE to a folder; going on without it")
        return None
    try:
        if where.exists() and not where.is_dir():
            raise FileExistsError
        where.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=where):
            pass
    except FileExistsError:
        problem = "exists and is not a folder"
    except NotADirectoryError:
        problem = "lies under a file, not a folder"
    except PermissionError:
        problem = "is not writable"
    except OSError as exc:
        problem = f"cannot be used: {exc.strerror or exc}"
    else:
        return where
    cache_warning(f"road cache {where} {problem}; expected a writable folder (set STORMCREW_CACHE to one); going on "
                  "without the disk cache")
    return None


@functools.lru_cache(maxsize=4)
def prepared_network(path: str, mtime_ns: int, size: int, units: str, origin: tuple[float, float] | None,
              speeds: tuple[tuple[str, float], ...], areas: tuple[Any, ...],
              factors: tuple[float, ...], snap: float, keep: tuple[tuple[float, float], ...]) -> PreparedNetwork:
    p = Path(path)
    if p.suffix.lower() == ".graphml":
        net = RoadNetwork.from_graphml(p, origin)
    else:
        net = RoadNetwork.from_geojson(p, None if units == "auto" else units == "degrees", origin)
    zm = zone_map(areas)

    def terrain(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        z = zm.locate(x, y)
        f = np.asarray(factors, float)
        return np.where(z >= 0, f[np.maximum(z, 0)], 1.0)

    return net.prepare(dict(speeds), terrain, snap, keep, cache_dir())


def road_segments(net: PreparedNetwork) -> pd.DataFrame:
    """The prepared network's roads as straight segments between junctions (columns x0, y0, x1, y1 in km), for
    maps."""
    import pandas as pd  # noqa: PLC0415 (for maps only: reading a scenario with a road network does not need it)

    return pd.DataFrame({"x0": net.x[net.eu], "y0": net.y[net.eu], "x1": net.x[net.ev], "y1": net.y[net.ev]})
