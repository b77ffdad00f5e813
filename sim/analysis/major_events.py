"""Major event days judged against one threshold, T_MED, for a whole run (IEEE 1366, the 2.5 beta method).

IEEE 1366 takes T_MED from the utility's history: exp(alpha + 2.5 beta) of the logs of up to five years of daily
SAIDI (zero days left out), and a day whose SAIDI is above it is a major event day. A run takes its T_MED from:

1. ``reliability.t_med: NUMBER`` in the scenario: the planner's own, from their history (SAIDI minutes a day);
2. ``reliability.t_med: {days: FILE}``: computed from a daily history, a CSV ``date,saidi_min`` (the last five years
   of it) or a results folder's ``days.parquet`` (the daily SAIDI of all its replications, pooled);
3. otherwise from the daily SAIDI of all the run's replications pooled, as one long history of the scenario.

Never from one replication's own 92 days alone: a season is far too short a history, and two variants compared on
the same storms must be judged against the same threshold (``compare`` and ``sweep`` use the baseline's T_MED for
every variant and point).

A replication's worker computes its figures with the stated T_MED, else its own (which is all a lone replication
has). :func:`judge` then computes again, after all replications are gathered, the figures that depend on T_MED:
``{SAIFI,SAIDI,CAIDI}_excl_med``, ``major_event_days`` and ``T_MED`` of each zone and ``all``, and the
``major_event_day`` flags of the day table. Both use :func:`med_figures` on per-day sums of each zone's customer
interruptions (CI) and customer minutes (CMI), so results are the same for any number of workers and any order in
which replications finish.

>>> ci = np.array([[[10.0, 0.0, 50.0]]])        # one replication, one zone of 100 customers, three days
>>> cmi = np.array([[[600.0, 0.0, 30000.0]]])
>>> fig = med_figures(ci, cmi, cmi.sum(axis=1) / 100, np.array([100.0]), threshold=100.0)
>>> [float(fig[m][0, 0]) for m in ("major_event_days", "SAIDI_excl_med", "SAIFI_excl_med")]  # day 3 is one
[1.0, 6.0, 0.1]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.reliability import MOMENTARY_MINUTES, Interruptions, med_threshold
from sim.inputs.history import read_history_cached
from sim.scenario.figures import ALL, MED_INDICES

if TYPE_CHECKING:  # the scenario reads its history file through this module: a back-edge for types only
    from sim.scenario.schema import Scenario


MED_METRICS = (*(f"{i}_excl_med" for i in MED_INDICES), "major_event_days", "T_MED")
"""The IEEE figures that depend on T_MED."""




ZONE_DAYS = "zone_days"
"""The table a replication's worker adds for the second pass: replication, zone, day, CI, CMI."""


@dataclass(frozen=True)
class Threshold:
    """A major event day threshold: ``value`` in SAIDI minutes a day (infinite when the history has fewer than two
    days with SAIDI > 0: then no day is a major event day), and where it came from."""

    value: float
    source: str

    def echo(self) -> dict[str, Any]:
        """As recorded in a results folder's scenario.resolved.yaml."""
        return {"saidi_min_per_day": self.value if math.isfinite(self.value) else None, "source": self.source}

    def text(self) -> str:
        """One line for a planner."""
        shown = f"{self.value:.1f} SAIDI min a day" if math.isfinite(self.value) else "none (too few non-zero days)"
        return f"T_MED {shown}: {self.source}"


def history_threshold(path: str | Path) -> Threshold:
    """T_MED of a history file (see ``sim.inputs.history.read_history``), read once per process for each version
    of the file."""
    values, what = read_history_cached(path)
    return Threshold(med_threshold(values), f"2.5 beta method on {what}")


# ---------------------------------------------------------------- where a run's T_MED comes from


def stated(sc: Scenario) -> Threshold | None:
    """The scenario's own T_MED (``reliability.t_med``: a number, or ``{days: FILE}``), or None."""
    t = sc.reliability.t_med
    if t is None:
        return None
    if t.value is not None:
        return Threshold(float(t.value), "stated in the scenario (reliability.t_med)")
    return history_threshold(sc.path_of(str(t.days)))


def pooled(days: pd.DataFrame) -> Threshold:
    """T_MED by the 2.5 beta method on the daily SAIDI of every replication of a run's day table, pooled (in
    replication order, so the result does not depend on the order replications finished in)."""
    if days.empty or "SAIDI" not in days.columns:
        return Threshold(math.nan, "no zone has customers: no daily SAIDI")
    saidi = days.sort_values("replication", kind="stable")["SAIDI"].to_numpy(float)
    reps = int(days["replication"].nunique())
    return Threshold(med_threshold(saidi), f"2.5 beta method on the daily SAIDI of all {reps} replications pooled "
                     f"({len(saidi)} days, {int((saidi > 0).sum())} with SAIDI > 0)")


def threshold_of(sc: Scenario, days: pd.DataFrame) -> Threshold:
    """A run's T_MED: the scenario's stated one, else pooled over the run's day table."""
    return stated(sc) or pooled(days)


# ---------------------------------------------------------------- the figures that depend on T_MED


def n_days(sc: Scenario) -> int:
    """Calendar days of the horizon (an interruption beginning after the last counts on the last)."""
    return max(1, math.ceil(sc.horizon / 1440))


def served_zones(sc: Scenario) -> list[str]:
    """Zones with customers (the ones with IEEE indices), in scenario order."""
    return [name for name, z in sc.zones.items() if z.customers]


def zone_day_sums(sc: Scenario, log: Interruptions) -> tuple[np.ndarray, np.ndarray]:
    """CI and CMI of each zone with customers (rows, scenario order) and each day (columns): the sustained
    interruptions of ``log`` (sim.analysis.metrics.interruptions), counted on the day they began."""
    days = n_days(sc)
    sustained = log.duration > MOMENTARY_MINUTES
    day = np.minimum((log.start // 1440).astype(np.int64), days - 1)
    customers = log.customers.astype(float)
    names = list(sc.zones)
    zones = served_zones(sc)
    ci, cmi = np.zeros((len(zones), days)), np.zeros((len(zones), days))
    for k, name in enumerate(zones):
        sel = sustained & (log.zone == names.index(name))
        ci[k] = np.bincount(day[sel], weights=customers[sel], minlength=days)[:days]
        cmi[k] = np.bincount(day[sel], weights=customers[sel] * log.duration[sel], minlength=days)[:days]
    return ci, cmi


def zone_day_frame(sc: Scenario, log: Interruptions, replication: int) -> pd.DataFrame:
    """zone_day_sums as a table for the second pass: replication, zone, day, CI, CMI."""
    ci, cmi = zone_day_sums(sc, log)
    zones, days = ci.shape
    return pd.DataFrame({"replication": np.full(zones * days, replication, np.int64),
                         "zone": np.repeat(np.array(served_zones(sc), dtype=object), days),
                         "day": np.tile(np.arange(days, dtype=np.int64), zones),
                         "CI": ci.ravel(), "CMI": cmi.ravel()})


def med_figures(ci: np.ndarray, cmi: np.ndarray, saidi: np.ndarray, customers: np.ndarray,
                threshold: float) -> dict[str, np.ndarray]:
    """The T_MED figures of R replications: ``ci``, ``cmi`` (R, zones, days), the system's daily SAIDI (R, days),
    each zone's customers; each figure an array (R, zones + 1), the last column all zones together. A day is a
    major event day when its SAIDI is above ``threshold``; SAIFI, SAIDI and CAIDI without major event days leave
    out the interruptions that began on them."""
    flags = saidi > threshold
    keep = ~flags[:, None, :]
    ci_z = np.where(keep, ci, 0.0).sum(axis=2)
    cmi_z = np.where(keep, cmi, 0.0).sum(axis=2)
    ci_g = np.concatenate([ci_z, ci_z.sum(axis=1, keepdims=True)], axis=1)
    cmi_g = np.concatenate([cmi_z, cmi_z.sum(axis=1, keepdims=True)], axis=1)
    n = np.append(customers.astype(float), float(customers.sum()))
    caidi = np.divide(cmi_g, ci_g, out=np.full_like(cmi_g, np.nan), where=ci_g > 0)
    count = np.repeat(flags.sum(axis=1, keepdims=True).astype(float), ci_g.shape[1], axis=1)
    return {"SAIFI_excl_med": ci_g / n, "SAIDI_excl_med": cmi_g / n, "CAIDI_excl_med": caidi,
            "major_event_days": count,
            "T_MED": np.full(ci_g.shape, threshold if math.isfinite(threshold) else math.nan)}


def judge(sc: Scenario, per_replication: pd.DataFrame, days: pd.DataFrame, zone_days: pd.DataFrame,
          threshold: Threshold) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Copies of a run's figures and day table with every figure that depends on T_MED computed against
    ``threshold`` (the second pass, once all replications are gathered)."""
    zones = served_zones(sc)
    if not zones or days.empty or "SAIDI" not in days.columns:
        return per_replication, days
    d = n_days(sc)
    days = days.sort_values("replication", kind="stable").reset_index(drop=True)
    reps = days["replication"].to_numpy()[::d]
    saidi = days["SAIDI"].to_numpy(float).reshape(len(reps), d)
    rank = {z: i for i, z in enumerate(zones)}
    zd = zone_days.iloc[np.lexsort((zone_days["day"].to_numpy(), zone_days["zone"].map(rank).to_numpy(),
                                    zone_days["replication"].to_numpy()))]
    shape = (len(reps), len(zones), d)
    fig = med_figures(zd["CI"].to_numpy(float).reshape(shape), zd["CMI"].to_numpy(float).reshape(shape), saidi,
                      np.array([sc.zones[z].customers for z in zones], float), threshold.value)
    days["major_event_day"] = (saidi > threshold.value).ravel()
    groups = [*zones, ALL]
    new = pd.Series(np.concatenate([fig[m].ravel() for m in MED_METRICS]), index=pd.MultiIndex.from_arrays([
        np.tile(np.repeat(reps, len(groups)), len(MED_METRICS)),
        np.tile(np.array(groups, dtype=object), len(reps) * len(MED_METRICS)),
        np.repeat(np.array(MED_METRICS, dtype=object), len(reps) * len(groups))]))
    out = per_replication.copy()
    sel = ((out["scope"] == "ieee") & out["metric"].isin(MED_METRICS) & out["group"].isin(groups)).to_numpy()
    where = pd.MultiIndex.from_frame(out.loc[sel, ["replication", "group", "metric"]])
    out.loc[sel, "value"] = new.reindex(where).to_numpy()
    return out, days


def replication_med_values(sc: Scenario, log: Interruptions, daily_saidi: np.ndarray,
                           threshold: float) -> dict[str, dict[str, float]]:
    """One replication's T_MED figures by group (zone or ``all``) -> metric -> value, as :func:`judge` computes
    them (the worker's first pass); ``log`` is its interruption log, ``daily_saidi`` its day table's SAIDI."""
    zones = served_zones(sc)
    ci, cmi = zone_day_sums(sc, log)
    fig = med_figures(ci[None], cmi[None], np.asarray(daily_saidi, float)[None],
                      np.array([sc.zones[z].customers for z in zones], float), threshold)
    return {g: {m: float(fig[m][0, k]) for m in MED_METRICS} for k, g in enumerate([*zones, ALL])}
