"""The travel model of a scenario: its road network read and prepared once per process (and cached on disk,
keyed by a checksum of the file and the preparation settings), the storms' slowdowns and road closures of a
replication, and the travel-time variability.

The disk cache lives in ``$STORMCREW_CACHE`` (default ``~/.cache/stormcrew``); delete it freely. A damaged entry is
rebuilt, and a location that is not a writable folder is skipped, each with a warning (sim.roads.CacheWarning).
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.faults import FaultTable
from sim.roads import PreparedNetwork, RoadNetwork, cache_warning
from sim.scenario import Scenario
from sim.streams import stream
from sim.travel import RoadTravel, Slowdown, StraightLineTravel, Travel
from sim.zones import zone_map


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
def _prepared(path: str, mtime_ns: int, size: int, units: str, origin: tuple[float, float] | None,
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


def load_network(sc: Scenario) -> PreparedNetwork:
    """The scenario's prepared road network (ScenarioError if the file is missing, broken or disconnected)."""
    from sim.errors import Issue, ScenarioError

    t = sc.travel
    assert t.network is not None
    path = sc.path_of(t.network)
    try:
        st = os.stat(path)
    except OSError:
        raise ScenarioError(str(path), [Issue((), "file not found; expected a GeoJSON or GraphML road network")]) \
            from None
    keep = [tuple(d.location) for d in sc.depots.values()] + [
        tuple(p) for d in sc.depots.values() for g in d.units for p in g.staging]
    return _prepared(str(Path(path).resolve()), st.st_mtime_ns, st.st_size, t.units, t.origin,
                     tuple(sorted(t.speeds.items())), tuple(z.area.shape() for z in sc.zones.values()),
                     tuple(t.terrain.get(z, 1.0) for z in sc.zones), t.snap_speed_kmh,
                     tuple((float(a), float(b)) for a, b in keep))


def road_segments(net: PreparedNetwork) -> pd.DataFrame:
    """The prepared network's roads as straight segments between junctions (columns x0, y0, x1, y1 in km), for
    maps."""
    return pd.DataFrame({"x0": net.x[net.eu], "y0": net.y[net.eu], "x1": net.x[net.ev], "y1": net.y[net.ev]})


def make_travel(sc: Scenario, faults: FaultTable, seed: int, replication: int) -> Travel:
    """The travel model of one replication, with its storms' effects."""
    travel: Travel
    if sc.travel.model == "road_network":
        net = load_network(sc)
        travel = RoadTravel(net, sc.travel.snap_speed_kmh)
    else:
        net = None
        travel = StraightLineTravel(sc.travel.circuity, [z.speed_kmh for z in sc.zones.values()])
    st = sc.arrivals.storms
    if st is not None and (st.slowdown < 1.0 or (st.closures is not None and net is not None)):
        for s in faults.storms:
            reach = 2.0 * s.radius_km
            dx = s.speed_kmh / 60.0 * math.cos(s.heading)
            dy = s.speed_kmh / 60.0 * math.sin(s.heading)
            closed, reopen = None, math.inf
            if st.closures is not None and net is not None:
                rng = stream(seed, replication, "closures", s.key)
                mx = (net.x[net.eu] + net.x[net.ev]) / 2
                my = (net.y[net.eu] + net.y[net.ev]) / 2
                # distance of each road to the segment the cell travels while the storm lasts
                ex, ey = dx * (s.end - s.start), dy * (s.end - s.start)
                seg = ex * ex + ey * ey
                tt = np.clip(((mx - s.x0) * ex + (my - s.y0) * ey) / seg, 0, 1) if seg > 0 else np.zeros(len(mx))
                near = np.hypot(mx - (s.x0 + tt * ex), my - (s.y0 + tt * ey)) <= reach
                closed = near & (rng.random(len(mx)) < st.closures.share)
                reopen = s.start + float(st.closures.duration.sample(rng, 1)[0])
            travel.storms.append(Slowdown(s.start, s.end, st.slowdown, reach, s.x0, s.y0, dx, dy, closed, reopen))
    if sc.travel.variability is not None:
        travel.variability = sc.travel.variability.sample(stream(seed, replication, "travel_variability"), 4096)
    return travel
