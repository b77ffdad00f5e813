"""IEEE 1366-2022 reliability indices from a log of interruptions, and major event days by the 2.5 beta method.

An interruption is a block of customers without supply from ``start`` for ``duration`` minutes. Customers have
identities: interruption ``i`` cuts off the customers ``first_i .. first_i + customers_i - 1`` of its zone, so a
customer interrupted twice is counted once in CN (customers interrupted) and twice in CEMI_n. An interruption of
more than five minutes is sustained; five minutes or less is momentary (the standard's boundary: exactly five
minutes is momentary).

Indices (N_T customers served, N_i customers of interruption i, r_i its duration, CN distinct customers with at
least one sustained interruption, T_h hours in the period):

- SAIFI = sum N_i / N_T; SAIDI = sum r_i N_i / N_T (minutes); CAIDI = SAIDI / SAIFI
- CAIFI = sum N_i / CN; CTAIDI = sum r_i N_i / CN (minutes)
- ASAI = (N_T T_h - sum r_i N_i / 60) / (N_T T_h)
- CEMI_n = customers with more than n sustained interruptions / N_T
- CELID_s = customers with a single sustained interruption longer than S hours / N_T; CELID_t = customers whose
  sustained interruptions add up to more than T hours / N_T
- MAIFI_E = sum over momentary events of their customers / N_T (each momentary interruption is one event)

>>> log = Interruptions.from_rows([  # zone 0 with 100 customers; customers 0-9 are interrupted twice
...     (0, 0.0, 60.0, 10, 0), (0, 1440.0, 30.0, 20, 0), (0, 2000.0, 5.0, 50, 40)])
>>> ix = indices(log, {0: 100}, hours=72.0)
>>> ix["SAIFI"], ix["SAIDI"], ix["CAIFI"], ix["MAIFI_E"]
(0.3, 12.0, 1.5, 0.5)
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.scenario.figures import INDICES

MOMENTARY_MINUTES = 5.0
"""An interruption lasting this long or less is momentary (IEEE 1366: sustained means longer than 5 minutes)."""


MED_BETA = 2.5




@dataclass(frozen=True)
class Interruptions:
    """Columns of an interruption log: zone index, start and duration (minutes), customers, first customer id."""

    zone: np.ndarray
    start: np.ndarray
    duration: np.ndarray
    customers: np.ndarray
    first: np.ndarray

    @classmethod
    def from_rows(cls, rows: list[tuple[int, float, float, int, int]]) -> Interruptions:
        """From (zone, start, duration, customers, first) tuples."""
        cols: list[Any] = list(zip(*rows, strict=True)) if rows else [[], [], [], [], []]
        return cls(np.asarray(cols[0], np.int64), np.asarray(cols[1], float), np.asarray(cols[2], float),
                   np.asarray(cols[3], np.int64), np.asarray(cols[4], np.int64))

    def __len__(self) -> int:
        return len(self.start)

    def select(self, mask: np.ndarray) -> Interruptions:
        """The interruptions where ``mask`` holds."""
        return Interruptions(self.zone[mask], self.start[mask], self.duration[mask], self.customers[mask],
                             self.first[mask])


def _blocks(log: Interruptions, served: dict[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customer-id intervals [a, b) in one global id space (zones side by side), wrapping inside a zone, with the
    duration of the interruption each came from."""
    offset, base = {}, 0
    for z in sorted(served):
        offset[z] = base
        base += served[z]
    a_list, b_list, d_list = [], [], []
    for z, first, n, d in zip(log.zone.tolist(), log.first.tolist(), log.customers.tolist(), log.duration.tolist(),
                              strict=True):
        size = served[z]
        n = min(n, size)
        s = first % size
        end = s + n
        parts = [(s, end)] if end <= size else [(s, size), (0, end - size)]
        for a, b in parts:
            a_list.append(offset[z] + a)
            b_list.append(offset[z] + b)
            d_list.append(d)
    return np.asarray(a_list, np.int64), np.asarray(b_list, np.int64), np.asarray(d_list, float)


def _coverage(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Elementary segments of the id line: their lengths, how many intervals cover each, and the summed weight."""
    if len(a) == 0:
        return np.empty(0), np.empty(0), np.empty(0)
    points = np.unique(np.concatenate([a, b]))
    ia, ib = np.searchsorted(points, a), np.searchsorted(points, b)
    count = np.zeros(len(points))
    weight = np.zeros(len(points))
    np.add.at(count, ia, 1)
    np.add.at(count, ib, -1)
    np.add.at(weight, ia, w)
    np.add.at(weight, ib, -w)
    return np.diff(points).astype(float), np.cumsum(count)[:-1], np.cumsum(weight)[:-1]


def indices(log: Interruptions, served: dict[int, int], hours: float, celid_s_hours: float = 8.0,
            celid_t_hours: float = 8.0) -> dict[str, float]:
    """Every index over ``log`` for the zones in ``served`` (zone index -> customers served), a period of
    ``hours``. Interruptions in zones not in ``served`` are left out."""
    keep = np.isin(log.zone, list(served))
    log = log.select(keep)
    n_total = float(sum(served.values()))
    nan = dict.fromkeys(INDICES, math.nan)
    if n_total <= 0:
        return nan
    sustained = log.select(log.duration > MOMENTARY_MINUTES)
    momentary = log.select(log.duration <= MOMENTARY_MINUTES)
    ci = float(sustained.customers.sum())
    cmi = float((sustained.customers * sustained.duration).sum())
    length, count, total = _coverage(*_blocks(sustained, served))
    cn = float(length[count >= 1].sum())
    long_one = sustained.select(sustained.duration > celid_s_hours * 60.0)
    l_s, c_s, _ = _coverage(*_blocks(long_one, served))
    out = {
        "SAIFI": ci / n_total,
        "SAIDI": cmi / n_total,
        "CAIDI": cmi / ci if ci else math.nan,
        "CAIFI": ci / cn if cn else math.nan,
        "CTAIDI": cmi / cn if cn else math.nan,
        "ASAI": (n_total * hours - cmi / 60.0) / (n_total * hours),
        "CELID_s": float(l_s[c_s >= 1].sum()) / n_total,
        "CELID_t": float(length[total > celid_t_hours * 60.0].sum()) / n_total,
        "MAIFI_E": float(momentary.customers.sum()) / n_total,
        "CI": ci,
        "CMI": cmi,
        "CN": cn,
    }
    for n in (1, 2, 3):
        out[f"CEMI_{n}"] = float(length[count > n].sum()) / n_total
    return {k: out[k] for k in INDICES}


def daily_saidi(log: Interruptions, served: dict[int, int], days: int) -> np.ndarray:
    """SAIDI of each day (minutes), an interruption counted on the day it began (IEEE 1366)."""
    n_total = float(sum(served.values()))
    sel = log.select((log.duration > MOMENTARY_MINUTES) & np.isin(log.zone, list(served)))
    day = np.minimum((sel.start // 1440).astype(np.int64), days - 1)
    return np.bincount(day, weights=sel.customers * sel.duration, minlength=days)[:days] / n_total


def med_threshold(daily: np.ndarray) -> float:
    """T_MED by the 2.5 beta method: exp(alpha + 2.5 beta) of the natural logs of the non-zero daily SAIDI values
    (alpha their mean, beta their sample standard deviation); infinite when fewer than two days are non-zero.

    >>> round(med_threshold(np.array([0.0, 1.0, np.e, np.e ** 2])), 4)  # logs 0, 1, 2: alpha 1, beta 1
    33.1155
    """
    v = np.asarray(daily, float)
    v = v[v > 0]
    if len(v) < 2:
        return math.inf
    logs = np.log(v)
    return float(math.exp(logs.mean() + MED_BETA * logs.std(ddof=1)))


def major_event_days(daily: np.ndarray, threshold: float | None = None) -> np.ndarray:
    """Flags of the days whose SAIDI exceeds ``threshold`` (default: the 2.5 beta threshold of ``daily``)."""
    t = med_threshold(daily) if threshold is None else threshold
    return np.asarray(daily, float) > t


def day_table(log: Interruptions, served: dict[int, int], days: int, start: dt.datetime,
              threshold: float | None = None) -> pd.DataFrame:
    """One row per calendar day: date, SAIFI, SAIDI, CAIDI and whether it is a major event day."""
    saidi = daily_saidi(log, served, days)
    sel = log.select((log.duration > MOMENTARY_MINUTES) & np.isin(log.zone, list(served)))
    day = np.minimum((sel.start // 1440).astype(np.int64), days - 1)
    n_total = float(sum(served.values()))
    saifi = np.bincount(day, weights=sel.customers, minlength=days)[:days] / n_total
    with np.errstate(invalid="ignore", divide="ignore"):
        caidi = np.where(saifi > 0, saidi / saifi, np.nan)
    return pd.DataFrame({"date": pd.date_range(pd.Timestamp(start).normalize(), periods=days, freq="D"),
                         "SAIFI": saifi, "SAIDI": saidi, "CAIDI": caidi,
                         "major_event_day": major_event_days(saidi, threshold)})
