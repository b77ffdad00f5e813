"""Reach: how long the drive is from the nearest depot that serves a place, over a grid of the zones, before any
fault happens. The planner's first question (which places can a unit reach within their zone's arrival limit?)
and ``stormcrew map``'s picture."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.faults import FaultTable
from sim.engine.travel import make_travel
from sim.scenario.schema import Scenario


def reach_grid(sc: Scenario, step_km: float | None = None) -> pd.DataFrame:
    """Every point of a ``step_km`` grid (default: 1 km, finer for a territory under 60 km across, so that it has
    about 60 points a side) inside a zone: ``x``, ``y`` (km), ``zone`` (its number in scenario
    order), ``minutes`` (the estimated drive from the nearest staffed depot that serves the zone, over roads or by
    straight line as the scenario says; infinite when none does) and ``limit`` (the zone's arrival limit)."""
    zones = list(sc.zones)
    zm = sc.zone_map()
    x0, y0, x1, y1 = zm.extent()
    if step_km is None:
        step_km = min(1.0, max(x1 - x0, y1 - y0) / 60.0)
    xs = np.arange(x0, x1 + step_km / 2, step_km)
    ys = np.arange(y0, y1 + step_km / 2, step_km)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    gz = zm.locate(gx, gy)
    keep = gz >= 0
    gx, gy, gz = gx[keep], gy[keep], gz[keep]
    empty = FaultTable(np.empty(0), np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0), np.empty(0),
                       np.empty(0), np.empty(0, np.int64), tuple(zones), tuple(sc.fault_types))
    travel = make_travel(sc, empty, sc.seed, 0)
    best = np.full(len(gx), np.inf)
    for d in sc.depots.values():
        if not any(g.staffed() for g in d.units):
            continue
        dz = zones.index(d.zone)
        served = np.isin(gz, [zones.index(z) for z in (d.serves or zones)])
        for k in np.flatnonzero(served):
            t = travel.estimate(d.location[0], d.location[1], dz, float(gx[k]), float(gy[k]), int(gz[k]), 0.0)
            best[k] = min(best[k], t)
    limit = np.array([sc.zones[zones[z]].limits.arrive for z in gz], float)
    return pd.DataFrame({"x": gx, "y": gy, "zone": gz, "minutes": best, "limit": limit})
