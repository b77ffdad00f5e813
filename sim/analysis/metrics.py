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
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.communication import communication_figures
from sim.analysis.major_events import replication_med_values
from sim.analysis.major_events import stated as stated_t_med
from sim.analysis.reliability import Interruptions, day_table, indices, med_threshold
from sim.scenario.figures import (
    ALL,
    COST_METRICS,
    IEEE_METRICS,
    PLAN_METRICS,
    STORM_METRICS,
    UNIT_METRICS,
    ZONE_METRICS,
)
from sim.scenario.plans import season_cost
from sim.scenario.schema import Scenario

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


def _zone_figures(tts: np.ndarray, ttr: np.ndarray, cust: np.ndarray, ok: dict[str, np.ndarray],
                  temp_h: np.ndarray, miss: np.ndarray, switched: np.ndarray, special: np.ndarray) -> list[float]:
    """The ZONE_METRICS of a set of faults; ``ok`` holds each limit's test per fault (arrive, first_arrive,
    restore, restore_permanent) and the customers back in time (cust_in_time); ``temp_h`` the hours from a
    temporary restoration to the repair (NaN if none); ``switched`` the customers switched to another feeder."""
    n = len(tts)
    if n == 0:
        return [0.0, 0.0] + [math.nan] * (len(ZONE_METRICS) - 3) + [0.0]
    c = cust.sum()
    q_site = np.percentile(tts, [50, 90, 95])
    q_rest = np.percentile(ttr, [50, 90, 95])
    temporary = ~np.isnan(temp_h)
    return [float(n), float(c), ok["arrive"].mean(), (cust * ok["arrive"]).sum() / c, ok["first_arrive"].mean(),
            ok["restore"].mean(), ok["cust_in_time"].sum() / c, ok["restore_permanent"].mean(),
            temporary.mean(), float(temp_h[temporary].mean()) if temporary.any() else math.nan, miss.mean(),
            switched.sum() / c, tts.mean(), *q_site, ttr.mean(), *q_rest, float(special.sum())]


def first_customers(sc: Scenario, zone: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The first customer (id within its zone) each fault cuts off: a zone's customers are laid out over a grid of
    ``reliability.feeder_km`` cells of its area, in equal shares, so faults in the same cell hit the same
    customers."""
    out = np.zeros(len(zone), dtype=np.int64)
    cell = sc.reliability.feeder_km
    for zi, z in enumerate(sc.zones.values()):
        sel = zone == zi
        if not sel.any() or not z.customers:
            continue
        x0, y0, x1, y1 = sc.zone_map().bounds(zi)
        nx, ny = max(1, math.ceil((x1 - x0) / cell)), max(1, math.ceil((y1 - y0) / cell))
        ix = np.clip(((x[sel] - x0) // cell).astype(np.int64), 0, nx - 1)
        iy = np.clip(((y[sel] - y0) // cell).astype(np.int64), 0, ny - 1)
        out[sel] = (iy * nx + ix) * z.customers // (nx * ny)
    return out


def interruptions(sc: Scenario, faults: pd.DataFrame) -> Interruptions:
    """The interruption log of one replication's faults: from report to restoration, customers, first customer;
    and, for faults restored temporarily, the second interruption that reconnects their customers once the
    repair is done (``reconnect_minutes`` from the repair)."""
    zone = faults["zone"].cat.codes.to_numpy().astype(np.int64)
    start = faults["reported"].to_numpy(float)
    customers = faults["customers"].to_numpy(np.int64)
    first = first_customers(sc, zone, faults["x_km"].to_numpy(float), faults["y_km"].to_numpy(float))
    duration = faults["restored"].to_numpy(float) - start
    if "switched_customers" in faults:  # switched customers are back sooner: an interruption of their own
        part = faults["switched_customers"].to_numpy(np.int64)
        some = part > 0
        if some.any():
            back = faults["switched"].to_numpy(float)[some] - start[some]
            zone, start = np.concatenate([zone, zone[some]]), np.concatenate([start, start[some]])
            duration = np.concatenate([duration, back])
            customers = np.concatenate([customers - part, part[some]])  # the rest wait for the repair
            first = np.concatenate([first + part, first[some]])
            faults = pd.concat([faults, faults[some]], ignore_index=True)  # rows aligned with the arrays above
    if "reconnect_minutes" in faults:
        again = (faults["reconnect_minutes"].to_numpy(float) > 0) & faults["temp_restored"].notna().to_numpy()
        if again.any():
            zone, customers, first = (np.concatenate([a, a[again]]) for a in (zone, customers, first))
            start = np.concatenate([start, faults["repaired"].to_numpy(float)[again]])
            duration = np.concatenate([duration, faults["reconnect_minutes"].to_numpy(float)[again]])
    return Interruptions(zone, start, duration, customers, first)


def reliability_figures(sc: Scenario, faults: pd.DataFrame, t_med: float | None = None,
                        log: Interruptions | None = None) -> tuple[list[tuple[str, str, str, float]], pd.DataFrame]:
    """IEEE 1366 figures per zone and for all zones (with and without major event days), and the day table.

    Major event days are the days above ``t_med`` (SAIDI minutes a day); by default the scenario's stated T_MED,
    else this replication's own 2.5 beta threshold, which is all one replication has: run_many computes the
    figures that depend on T_MED again, once all replications are in, with one T_MED for the run (see
    sim.major_events). ``log``: the faults' interruption log, when the caller has built it already."""
    log = interruptions(sc, faults) if log is None else log
    served = {zi: z.customers for zi, z in enumerate(sc.zones.values()) if z.customers}
    days = max(1, math.ceil(sc.horizon / 1440))
    hours = sc.horizon / 60.0
    rel = sc.reliability
    given = t_med if t_med is not None else getattr(stated_t_med(sc), "value", None)
    table = day_table(log, served, days, sc.start, given) if served else pd.DataFrame()
    threshold = given if given is not None else (med_threshold(table["SAIDI"].to_numpy()) if served else math.nan)
    med = replication_med_values(sc, log, table["SAIDI"].to_numpy(), threshold) if served else {}
    rows = []
    for zi, name in [*enumerate(sc.zones), (None, ALL)]:
        scope = served if zi is None else ({zi: served[zi]} if zi in served else {})
        if not scope:
            values = dict.fromkeys(IEEE_METRICS, math.nan)
        else:
            values = dict(indices(log, scope, hours, rel.celid_s_hours, rel.celid_t_hours))
            values.update(med[name])  # SAIFI, SAIDI, CAIDI without major event days, their count, T_MED
        rows += [("ieee", name, m, float(values[m])) for m in IEEE_METRICS]
    return rows, table


def _etr_figures(faults: pd.DataFrame) -> list[tuple[str, str, str, float]]:
    rows = []
    restored = faults["restored"].to_numpy(float)
    for when in ("report", "dispatch"):
        err = (restored - faults[f"etr_at_{when}"].to_numpy(float)) / 60.0
        err = err[~np.isnan(err)]
        values = (err.mean(), np.abs(err).mean(), (np.abs(err) <= 1.0).mean()) if len(err) else (math.nan,) * 3
        rows += [("etr", ALL, f"{when}_{m}", float(v)) for m, v in zip(("bias_h", "mae_h", "within_1h"), values,
                                                                       strict=True)]
    return rows


def _storm_figures(storms: pd.DataFrame) -> list[tuple[str, str, str, float]]:
    n = len(storms)
    values = {"storms": float(n), "storm_faults": float(storms["faults"].sum()) if n else 0.0}
    for p in (50, 90, 99):
        values[f"t{p}_h_mean"] = float(storms[f"t{p}_h"].mean()) if n else math.nan
    values["t90_h_max"] = float(storms["t90_h"].max()) if n else math.nan
    return [("storms", ALL, m, values[m]) for m in STORM_METRICS]


def unit_figures(sc: Scenario, units: pd.DataFrame, unit_group: dict[str, str],
                 summary: pd.DataFrame | None) -> list[tuple[str, str, str, float]]:
    """Per unit group and for all units: utilisation (travel, waiting and repair within the horizon over duty time
    within it), units, duty, overtime and waiting hours, call-outs, km driven, cost."""
    busy = units[units["activity"].isin(["travel", "work", "wait", "callout", "turnout"])]
    clipped = (busy["end"].clip(upper=sc.horizon) - busy["start"].clip(upper=sc.horizon)).to_numpy()
    group_of = busy["unit"].map(unit_group).to_numpy()
    by_group = pd.Series(clipped).groupby(group_of).sum() if len(busy) else pd.Series(dtype=float)
    driven = units["distance_km"].groupby(units["unit"].map(unit_group)).sum() if len(units) else pd.Series(
        dtype=float)
    if summary is None or summary.empty:  # every unit on duty all the time, no costs known
        summary = pd.DataFrame({"unit": list(unit_group), "group": list(unit_group.values())})
        for c in ("duty_h_horizon", "duty_h", "overtime_h", "wait_h", "callouts", "cost"):
            summary[c] = sc.horizon / 60 if c.startswith("duty") else 0.0
    per = summary.groupby("group")[["duty_h_horizon", "duty_h", "overtime_h", "wait_h", "callouts", "cost"]].sum()
    counts = Counter(unit_group.values())
    rows = []
    for g, count in [*counts.items(), (ALL, len(unit_group))]:
        take = per.sum() if g == ALL else per.loc[g]
        minutes = by_group.sum() if g == ALL else by_group.get(g, 0.0)
        duty = float(take["duty_h_horizon"]) * 60
        km = driven.sum() if g == ALL else driven.get(g, 0.0)
        values = {"utilisation": minutes / duty if duty > 0 else math.nan, "units": float(count),
                  "duty_h": float(take["duty_h"]), "overtime_h": float(take["overtime_h"]),
                  "wait_h": float(take["wait_h"]), "callouts": float(take["callouts"]), "distance_km": float(km),
                  "cost": float(take["cost"])}
        rows += [("units", g, m, float(values[m])) for m in UNIT_METRICS]
    return rows


def plan_figures(sc: Scenario, plans: pd.DataFrame | None) -> list[tuple[str, str, str, float]]:
    """Per plan and for all: activations (on a forecast, on a false alarm), hours active, the actions' cost."""
    plans = plans if plans is not None else pd.DataFrame(columns=["plan", "activation", "trigger", "start",
                                                                  "stand_down", "cost"])
    rows = []
    for name in [*sc.plans, ALL]:
        mine = plans if name == ALL else plans[plans["plan"] == name]
        starts = mine.drop_duplicates(["plan", "activation"])
        hours = (starts["stand_down"].clip(upper=sc.horizon) - starts["start"]).clip(lower=0).sum() / 60.0
        values = {"activations": len(starts), "on_forecast": int((starts["trigger"] == "forecast").sum()),
                  "false_alarms": int((starts["trigger"] == "false_alarm").sum()), "active_h": hours,
                  "cost": mine["cost"].sum()}
        rows += [("plans", name, m, float(values[m])) for m in PLAN_METRICS]
    return rows


def cost_figures(sc: Scenario, unit_rows: list[tuple[str, str, str, float]],
                 plan_rows: list[tuple[str, str, str, float]]) -> list[tuple[str, str, str, float]]:
    """The season's cost: units, plans' actions, prevention's share of its yearly cost, and the total."""
    units = next(v for s, g, m, v in unit_rows if g == ALL and m == "cost")
    plans = next(v for s, g, m, v in plan_rows if g == ALL and m == "cost")
    prevention = season_cost(sc.prevention, sc.horizon)
    values = {"units": units, "plans": plans, "prevention": prevention, "total": units + plans + prevention}
    return [("costs", ALL, m, float(values[m])) for m in COST_METRICS]


def priority_groups(sc: Scenario, faults: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whether each fault cuts off critical customers, and the on-site and restore limits it is held to (the
    critical customers' own where stated, else its zone's)."""
    zone = faults["zone"].astype(str).to_numpy()
    arrive = np.array([sc.zones[z].limits.arrive for z in zone], float) if len(zone) else np.empty(0)
    restore = np.array([sc.zones[z].limits.restore for z in zone], float) if len(zone) else np.empty(0)
    critical = faults["critical"].to_numpy(bool) if "critical" in faults else np.zeros(len(zone), bool)
    p = sc.priority
    if p.arrive is not None:
        arrive = np.where(critical, p.arrive, arrive)
    if p.restore is not None:
        restore = np.where(critical, p.restore, restore)
    return critical, arrive, restore


def replication_figures(sc: Scenario, faults: pd.DataFrame, units: pd.DataFrame,
                        unit_group: dict[str, str], storms: pd.DataFrame | None = None,
                        unit_summary: pd.DataFrame | None = None,
                        reliability: tuple[list[tuple[str, str, str, float]], pd.DataFrame] | None = None,
                        plans: pd.DataFrame | None = None, log: Interruptions | None = None) -> pd.DataFrame:
    """Tidy figures of one replication: columns scope, group, metric, value (see sim.figures for the names).

    ``faults`` and ``units`` are one replication's records; ``unit_group`` maps each unit id to its group
    (``depot/group``); ``storms`` is the replication's storm table with restoration times; ``unit_summary`` the
    units' duty, overtime and cost (Records.unit_summary); ``plans`` the emergency plans' actions
    (Records.plan_frame); ``log`` the faults' interruption log, when the caller has built it already.
    """
    limits = {z: (sc.zones[z].limits.arrive, sc.zones[z].limits.restore) for z in sc.zones}
    zone = faults["zone"].astype(str).to_numpy()
    arrive_lim = np.array([limits[z][0] for z in zone]) if len(zone) else np.empty(0)
    restore_lim = np.array([limits[z][1] for z in zone]) if len(zone) else np.empty(0)
    tts = faults["time_to_site"].to_numpy(float)
    ttr = faults["time_to_restore"].to_numpy(float)
    cust = faults["customers"].to_numpy(float)
    special = (faults["special_cause"].astype(str) != "").to_numpy()
    ok = {"arrive": tts <= arrive_lim, "first_arrive": faults["time_to_first_site"].to_numpy(float) <= arrive_lim,
          "restore": ttr <= restore_lim, "restore_permanent": faults["time_to_repair"].to_numpy(float) <= restore_lim}
    switched = faults["switched_customers"].to_numpy(float)
    switched_ok = (faults["switched"].to_numpy(float) - faults["reported"].to_numpy(float)) <= restore_lim
    ok["cust_in_time"] = switched * switched_ok + (cust - switched) * ok["restore"]
    temp_h = (faults["repaired"].to_numpy(float) - faults["temp_restored"].to_numpy(float)) / 60.0
    miss = faults["triage_miss"].to_numpy(bool)
    ftype = faults["fault_type"].astype(str).to_numpy()
    stormy = (faults["storm"].to_numpy() >= 0) if "storm" in faults else np.zeros(len(faults), bool)
    groups: list[tuple[str, str, Any]] = [("zone", name, zone == name) for name in sc.zones]
    groups.append(("zone", ALL, slice(None)))
    groups += [("type", t, ftype == t) for t in sc.fault_types]
    groups += [("weather", "calm", ~stormy), ("weather", "storm", stormy)]
    groups += [("special", "none", ~special), ("special", "recorded", special)]
    rows: list[tuple[str, str, str, float]] = []
    for scope, name, sel in groups:
        values = _zone_figures(tts[sel], ttr[sel], cust[sel], {k: v[sel] for k, v in ok.items()}, temp_h[sel],
                               miss[sel], switched[sel], special[sel])
        rows += [(scope, name, m, v) for m, v in zip(ZONE_METRICS, values, strict=True)]
    # critical customers against their own limits (where stated)
    critical, arrive_lim, restore_lim = priority_groups(sc, faults)
    ok = {"arrive": tts <= arrive_lim, "first_arrive": faults["time_to_first_site"].to_numpy(float) <= arrive_lim,
          "restore": ttr <= restore_lim, "restore_permanent": faults["time_to_repair"].to_numpy(float) <= restore_lim}
    switched_ok = (faults["switched"].to_numpy(float) - faults["reported"].to_numpy(float)) <= restore_lim
    ok["cust_in_time"] = switched * switched_ok + (cust - switched) * ok["restore"]
    for name, sel in (("critical", critical), ("other", ~critical)):
        values = _zone_figures(tts[sel], ttr[sel], cust[sel], {k: v[sel] for k, v in ok.items()}, temp_h[sel],
                               miss[sel], switched[sel], special[sel])
        rows += [("priority", name, m, v) for m, v in zip(ZONE_METRICS, values, strict=True)]
    log = interruptions(sc, faults) if log is None else log  # once, for the IEEE figures and communication
    rows += (reliability or reliability_figures(sc, faults, log=log))[0]
    rows += _storm_figures(storms if storms is not None else pd.DataFrame(columns=["faults", "t50_h", "t90_h",
                                                                                   "t99_h"]))
    rows += _etr_figures(faults)
    rows += communication_figures(sc, faults, log)
    unit_rows = unit_figures(sc, units, unit_group, unit_summary)
    plan_rows = plan_figures(sc, plans)
    rows += unit_rows + plan_rows + cost_figures(sc, unit_rows, plan_rows)
    return pd.DataFrame(rows, columns=["scope", "group", "metric", "value"])


MIN_RELIABLE = 10
"""Fewer replications than this and an interval is marked unreliable: the t interval leans on the mean of the
replications being nearly normal, which heavy-tailed storm seasons reach only with enough of them."""


def summarise(per_replication: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean and confidence interval over replications of every figure, from the per-replication values only (one
    number per figure per replication: memory does not grow with the faults).

    Each replication gives one value of a figure, also for a figure that is not a mean within a season (a
    percentile, a maximum): the interval is a t interval for the expected per-season value, which is a mean over
    independent seasons. Columns: scope, group, metric, mean, ci_low, ci_high, replications (the number with a
    value), reliable (at least MIN_RELIABLE replications with a value).
    """
    rows = []
    for (scope, group, metric), s in per_replication.groupby(["scope", "group", "metric"], sort=False):
        ci = confidence_interval(s["value"], level)
        rows.append((scope, group, metric, ci.mean, ci.low, ci.high, ci.n, ci.n >= MIN_RELIABLE))
    return pd.DataFrame(rows, columns=["scope", "group", "metric", "mean", "ci_low", "ci_high", "replications",
                                       "reliable"])
