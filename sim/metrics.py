"""Figures computed from records: compliance with each zone's promise, response times, unit utilisation, and
their confidence intervals over replications. Knows nothing of SimPy.

A storm season is a terminating simulation: each replication gives one value of each figure, and the interval
is a Student t interval over replications. Percentiles (p90 ...) are computed within a replication and the
interval is for the expected per-season percentile.

>>> import pandas as pd
>>> ci = confidence_interval(pd.Series([0.90, 0.92, 0.94]))
>>> round(ci.mean, 3), round(ci.low, 3), round(ci.high, 3), ci.n
(0.92, 0.87, 0.97, 3)
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.figures import ALL, UNIT_METRICS, ZONE_METRICS
from sim.scenario import Scenario

__all__ = ["ALL", "UNIT_METRICS", "ZONE_METRICS", "Interval", "confidence_interval", "replication_figures",
           "summarise", "welch_halfwidth"]


@dataclass(frozen=True)
class Interval:
    """Mean of ``n`` replication values with a two-sided t confidence interval."""

    mean: float
    low: float
    high: float
    n: int


def confidence_interval(values: pd.Series | np.ndarray, level: float = 0.95) -> Interval:
    """Student t interval for the mean of ``values`` (NaN values are left out; fewer than 2 gives no interval)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    n = len(v)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    m = float(v.mean())
    if n < 2:
        return Interval(m, math.nan, math.nan, n)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * v.std(ddof=1) / math.sqrt(n))
    return Interval(m, m - half, m + half, n)


def welch_halfwidth(var_a: float, n_a: int, var_b: float, n_b: int, level: float = 0.95) -> float:
    """Half-width of Welch's interval for a difference of two means, from sample variances and sizes.

    >>> round(welch_halfwidth(4.0, 10, 4.0, 10), 3)  # equal variances: t(18) x sqrt(0.8)
    1.879
    """
    va, vb = var_a / n_a, var_b / n_b
    if va + vb == 0:
        return 0.0
    denom = sum(v * v / (n - 1) for v, n in ((va, n_a), (vb, n_b)) if n > 1)
    dof = (va + vb) ** 2 / denom if denom > 0 else 1.0
    return float(stats.t.ppf(0.5 + level / 2, dof) * math.sqrt(va + vb))


def _zone_figures(tts: np.ndarray, ttr: np.ndarray, cust: np.ndarray, arrive_ok: np.ndarray,
                  restore_ok: np.ndarray) -> list[float]:
    n = len(tts)
    if n == 0:
        return [0.0, 0.0] + [math.nan] * (len(ZONE_METRICS) - 2)
    c = cust.sum()
    q_site = np.percentile(tts, [50, 90, 95])
    q_rest = np.percentile(ttr, [50, 90, 95])
    return [float(n), float(c), arrive_ok.mean(), (cust * arrive_ok).sum() / c, restore_ok.mean(),
            (cust * restore_ok).sum() / c, tts.mean(), *q_site, ttr.mean(), *q_rest]


def replication_figures(sc: Scenario, faults: pd.DataFrame, units: pd.DataFrame,
                        unit_group: dict[str, str]) -> pd.DataFrame:
    """Tidy figures of one replication: columns scope (zone / units), group, metric, value.

    ``faults`` and ``units`` are one replication's records; ``unit_group``
    maps each unit id to its group (``depot/group``).
    """
    limits = {z: (sc.zones[z].limits.arrive, sc.zones[z].limits.restore) for z in sc.zones}
    zone = faults["zone"].astype(str).to_numpy()
    arrive_lim = np.array([limits[z][0] for z in zone]) if len(zone) else np.empty(0)
    restore_lim = np.array([limits[z][1] for z in zone]) if len(zone) else np.empty(0)
    tts = faults["time_to_site"].to_numpy(float)
    ttr = faults["time_to_restore"].to_numpy(float)
    cust = faults["customers"].to_numpy(float)
    arrive_ok = tts <= arrive_lim
    restore_ok = ttr <= restore_lim
    rows = []
    for name in [*sc.zones, ALL]:
        sel = slice(None) if name == ALL else zone == name
        values = _zone_figures(tts[sel], ttr[sel], cust[sel], arrive_ok[sel], restore_ok[sel])
        rows += [("zone", name, m, v) for m, v in zip(ZONE_METRICS, values, strict=False)]
    # utilisation: travel and repair time within the horizon, over the units' time in the horizon
    busy = units[units["activity"].isin(["travel", "work"])]
    clipped = (busy["end"].clip(upper=sc.horizon) - busy["start"].clip(upper=sc.horizon)).to_numpy()
    group_of = busy["unit"].map(unit_group).to_numpy()
    by_group = pd.Series(clipped).groupby(group_of).sum() if len(busy) else pd.Series(dtype=float)
    counts = Counter(unit_group.values())
    for g, count in [*counts.items(), (ALL, len(unit_group))]:
        minutes = by_group.sum() if g == ALL else by_group.get(g, 0.0)
        util = minutes / (count * sc.horizon) if count else math.nan
        rows += [("units", g, "utilisation", float(util)), ("units", g, "units", float(count))]
    return pd.DataFrame(rows, columns=["scope", "group", "metric", "value"])


def summarise(per_replication: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean and confidence interval over replications of every figure.

    Columns: scope, group, metric, mean, ci_low, ci_high, replications (the number with a value).
    """
    rows = []
    for (scope, group, metric), s in per_replication.groupby(["scope", "group", "metric"], sort=False):
        ci = confidence_interval(s["value"], level)
        rows.append((scope, group, metric, ci.mean, ci.low, ci.high, ci.n))
    return pd.DataFrame(rows, columns=["scope", "group", "metric", "mean", "ci_low", "ci_high", "replications"])
