"""Differences of a figure between two runs, with their interval: paired replication by replication when both
runs drew the same storms and faults (the same seed: common random numbers), else Welch's unpaired interval.

>>> import pandas as pd
>>> base = pd.Series([0.70, 0.72, 0.68, 0.71])
>>> other = base + pd.Series([0.05, 0.04, 0.06, 0.05])
>>> d = difference(base, other, paired=True)
>>> round(d["difference"], 3), d["significant"], d["method"]
(0.05, True, 'paired')
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.metrics import confidence_interval, welch_halfwidth


def difference(base: pd.Series, other: pd.Series, paired: bool, level: float = 0.95) -> dict[str, Any]:
    """``other - base`` of one figure's per-replication values (indexed by replication): its mean, interval at
    ``level``, whether the interval excludes 0, and the replications used. Paired: over the replications both
    have (a paired t interval); unpaired: Welch's interval for the difference of the two means."""
    if paired:
        d = (other - base).dropna()
        ci = confidence_interval(d.to_numpy(), level)
        mean, low, high, n = ci.mean, ci.low, ci.high, ci.n
    else:
        a, b = base.dropna().to_numpy(float), other.dropna().to_numpy(float)
        n = min(len(a), len(b))
        mean = float(b.mean() - a.mean()) if len(a) and len(b) else math.nan
        if len(a) > 1 and len(b) > 1:
            half = welch_halfwidth(float(np.var(a, ddof=1)), len(a), float(np.var(b, ddof=1)), len(b), level)
            low, high = mean - half, mean + half
        else:
            low = high = math.nan
    significant = bool(not math.isnan(low) and (low > 0 or high < 0))
    return {"baseline": float(base.mean()), "value": float(other.mean()), "difference": mean, "ci_low": low,
            "ci_high": high, "significant": significant, "replications": int(n),
            "method": "paired" if paired else "welch"}
