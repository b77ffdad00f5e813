"""The state of the service area over time, and how each storm's customers got their power back.

Both are read off one replication's records (no SimPy): a count at time t is the number of intervals
[start, end) holding t, found with two sorted searches, so a series costs O((n + points) log n).

>>> import numpy as np
>>> open_at(np.array([0.0, 10.0]), np.array([20.0, 15.0]), np.array([5.0, 12.0, 15.0, 20.0]))
array([1., 2., 1., 0.])
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

STEP_MINUTES = 60.0
"""Spacing of the time series."""


CURVE_STEP_HOURS = 0.5
"""Spacing of the restoration curves."""


RESTORED_SHARES = (50, 90, 99)


def open_at(start: np.ndarray, end: np.ndarray, t: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Sum of ``weight`` (default 1) over the intervals [start, end) that hold each time in ``t``."""
    w = np.ones(len(start)) if weight is None else np.asarray(weight, float)
    order_s, order_e = np.argsort(start, kind="stable"), np.argsort(end, kind="stable")
    cum_s = np.concatenate([[0.0], np.cumsum(w[order_s])])
    cum_e = np.concatenate([[0.0], np.cumsum(w[order_e])])
    began = cum_s[np.searchsorted(start[order_s], t, side="right")]
    ended = cum_e[np.searchsorted(end[order_e], t, side="right")]
    return began - ended


def series(faults: pd.DataFrame, units: pd.DataFrame, unit_group: dict[str, str], horizon: float,
           replication: int) -> pd.DataFrame:
    """Hourly state of one replication, from the start until the last fault is restored: customers out, faults
    open (reported, not restored), faults waiting (reported, no unit on site yet) and units busy per group
    (driving to a fault or repairing), one column ``busy:<depot/group>`` each."""
    last = float(np.nanmax(faults["restored"].to_numpy(float))) if len(faults) else horizon
    t = np.arange(0.0, max(horizon, last) + STEP_MINUTES, STEP_MINUTES)
    rep, on, rest = (faults[c].to_numpy(float) for c in ("reported", "on_site", "restored"))
    out = pd.DataFrame({"replication": np.int64(replication), "minute": t,
                        "customers_out": open_at(rep, rest, t, faults["customers"].to_numpy(float)),
                        "faults_open": open_at(rep, rest, t), "faults_waiting": open_at(rep, on, t)})
    busy = units[units["activity"].isin(["travel", "work"])]
    group = busy["unit"].map(unit_group).to_numpy()
    for g in sorted(set(unit_group.values())):
        sel = group == g
        out[f"busy:{g}"] = open_at(busy["start"].to_numpy(float)[sel], busy["end"].to_numpy(float)[sel], t)
    return out


def restored_share_times(since: np.ndarray, customers: np.ndarray,
                         shares: tuple[int, ...] = RESTORED_SHARES) -> dict[int, float]:
    """Hours after which ``p`` % of the customers were back, for each p in ``shares``.

    >>> restored_share_times(np.array([1.0, 2.0, 4.0]), np.array([50, 40, 10]))
    {50: 1.0, 90: 2.0, 99: 4.0}
    """
    if len(since) == 0 or customers.sum() <= 0:
        return dict.fromkeys(shares, math.nan)
    order = np.argsort(since, kind="stable")
    cum = np.cumsum(customers[order]) / customers.sum()
    return {p: float(since[order][np.searchsorted(cum, p / 100.0 - 1e-12)]) for p in shares}


def storm_restoration(storms: pd.DataFrame, faults: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The storm table with its customers and the hours to 50 / 90 / 99 % restored (``t50_h`` ...), and each
    storm's restoration curve: share of its customers back against hours since the storm began."""
    storms = storms.copy()
    curves = []
    cols: dict[str, list[float]] = {f"t{p}_h": [] for p in RESTORED_SHARES}
    cust_col = []
    storm_of = faults["storm"].to_numpy() if "storm" in faults else np.empty(0)
    restored = faults["restored"].to_numpy(float)
    customers = faults["customers"].to_numpy(float)
    for s in storms.itertuples(index=False):
        sel = storm_of == s.storm
        since = (restored[sel] - s.start) / 60.0
        c = customers[sel]
        times = restored_share_times(since, c)
        for p in RESTORED_SHARES:
            cols[f"t{p}_h"].append(times[p])
        cust_col.append(float(c.sum()))
        if sel.any():
            grid = np.arange(0.0, math.ceil(since.max() / CURVE_STEP_HOURS) * CURVE_STEP_HOURS + CURVE_STEP_HOURS,
                             CURVE_STEP_HOURS)
            order = np.argsort(since)
            cum = np.concatenate([[0.0], np.cumsum(c[order])]) / c.sum()
            share = cum[np.searchsorted(since[order], grid, side="right")]
            curves.append(pd.DataFrame({"replication": np.int64(s.replication), "storm": np.int64(s.storm),
                                        "hours": grid, "restored_share": share}))
    storms["customers"] = cust_col
    for k, v in cols.items():
        storms[k] = np.asarray(v, float)
    curve = (pd.concat(curves, ignore_index=True) if curves else
             pd.DataFrame({"replication": pd.Series(dtype=np.int64), "storm": pd.Series(dtype=np.int64),
                           "hours": pd.Series(dtype=float), "restored_share": pd.Series(dtype=float)}))
    return storms, curve
