"""Faults of one replication, drawn before the run: when, where, what type, how long the repair, how many customers.

Everything about a fault is drawn from streams keyed by its zone and type, so a change of units, dispatch or
any other zone's rates leaves these faults exactly as they were (common random numbers).

Arrivals are a Poisson process whose rate is constant within each hour and follows the hour-of-day profile;
drawing a Poisson count per hour and placing the faults uniformly inside the hour is exact for such a rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario import Scenario
from sim.streams import stream


@dataclass(frozen=True)
class FaultTable:
    """Columns of the faults of one replication, sorted by report time; row index is the fault id."""

    reported: np.ndarray  # minutes
    zone: np.ndarray  # index into zone_names
    fault_type: np.ndarray  # index into type_names
    x: np.ndarray  # km
    y: np.ndarray
    repair: np.ndarray  # minutes of work on site
    customers: np.ndarray  # customers cut off
    zone_names: tuple[str, ...]
    type_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.reported)


def hourly_rates(per_day: float, weights: list[float] | None, horizon: float) -> np.ndarray:
    """Expected faults in each hour of the horizon (the last hour may be partial).

    >>> hourly_rates(24.0, None, 150.0).round(3).tolist()
    [1.0, 1.0, 0.5]
    """
    n = int(np.ceil(horizon / 60.0))
    w = np.ones(24) if weights is None else np.asarray(weights, dtype=float)
    w = w * 24.0 / w.sum()  # weights are relative: the day's total stays per_day
    lam = per_day / 24.0 * w[np.arange(n) % 24]
    lam[-1] *= (horizon - 60.0 * (n - 1)) / 60.0
    return lam


def generate(sc: Scenario, seed: int, replication: int) -> FaultTable:
    """Draw the faults of ``replication`` for scenario ``sc``."""
    zone_names = tuple(sc.zones)
    type_names = tuple(sc.fault_types)
    parts: list[tuple[np.ndarray, ...]] = []
    for zone, by_type in sc.arrivals.per_day.items():
        x0, y0, x1, y1 = sc.zones[zone].area.box
        for ftype, rate in by_type.items():
            if rate.per_day <= 0:
                continue
            rng = stream(seed, replication, "faults", zone, ftype)
            lam = hourly_rates(rate.per_day, rate.hour_of_day or sc.arrivals.hour_of_day, sc.horizon)
            counts = rng.poisson(lam)
            n = int(counts.sum())
            hour = np.repeat(np.arange(len(lam)), counts)
            width = np.minimum(60.0, sc.horizon - 60.0 * hour)
            t = 60.0 * hour + rng.random(n) * width
            ft = sc.fault_types[ftype]
            parts.append((
                t,
                np.full(n, zone_names.index(zone), dtype=np.int32),
                np.full(n, type_names.index(ftype), dtype=np.int32),
                x0 + rng.random(n) * (x1 - x0),
                y0 + rng.random(n) * (y1 - y0),
                ft.repair.sample(stream(seed, replication, "repair", zone, ftype), n),
                np.maximum(1, np.rint(ft.customers.sample(stream(seed, replication, "customers", zone, ftype), n)))
                .astype(np.int64),
            ))
    cols: list[np.ndarray]
    if not parts:
        cols = [np.empty(0), np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0), np.empty(0), np.empty(0),
                np.empty(0, np.int64)]
    else:
        cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
        order = np.argsort(cols[0], kind="stable")
        cols = [c[order] for c in cols]
    reported, zone_idx, type_idx, x, y, repair, customers = cols
    return FaultTable(reported, zone_idx, type_idx, x, y, repair, customers, zone_names, type_names)
