"""Customer communication and complaint risk of one replication, read from its records: the ETR notices customers
got, the calls they made and how likely they are to complain (the rules and the weights:
``sim.scenario.communication``). Knows nothing of SimPy; numpy over all faults at once.

A fault's customers are one or two groups: those switched to another feeder (supply back at ``switched``) and the
rest (back at ``restored``); both outages start when the fault is reported. Notices are the fault's; a group hears
those that reach it before its supply is back.

>>> quiet_calls(np.array([30.0, 60.0, 61.0, 130.0]), 60.0)  # calls again after each full hour without news
array([0, 0, 1, 2])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.reliability import MOMENTARY_MINUTES, Interruptions
from sim.scenario.figures import ALL, COMMUNICATION_METRICS
from sim.scenario.schema import Scenario

SCOPE = "communication"


@dataclass(frozen=True)
class Notices:
    """Every ETR notice of a replication, sorted by fault and time: the fault, when it went out, the ETR told."""

    fault: np.ndarray
    time: np.ndarray
    etr: np.ndarray


def _column(faults: pd.DataFrame, name: str, default: float = math.nan) -> np.ndarray:
    return faults[name].to_numpy(float) if name in faults else np.full(len(faults), default)


def zone_codes(sc: Scenario, faults: pd.DataFrame) -> np.ndarray:
    """Each fault's zone as its index in the scenario (the interruption log's zone numbers)."""
    zone = faults["zone"]
    if isinstance(zone.dtype, pd.CategoricalDtype):
        return zone.cat.codes.to_numpy().astype(np.int64)
    return pd.Categorical(zone.astype(str), categories=list(sc.zones)).codes.astype(np.int64)


def typical_repair(sc: Scenario, faults: pd.DataFrame) -> np.ndarray:
    """What the centre expects a fault's repair to take (as its ETRs do): the type's mean repair, times the storms'
    ``repair_factor`` for storm damage."""
    means = {name: ft.repair.mean() for name, ft in sc.fault_types.items()}
    typical = faults["fault_type"].astype(str).map(means).to_numpy(float)
    if sc.arrivals.storms is not None and "storm" in faults:
        typical = np.where(faults["storm"].to_numpy() >= 0, typical * sc.arrivals.storms.repair_factor, typical)
    return typical


def notices(sc: Scenario, faults: pd.DataFrame) -> Notices:
    """The notices the rule of ``communication`` sends (see sim.scenario.communication.Communication): one at each
    moment in ``updates``, one at another moment when the estimate moved by more than ``margin`` from the last ETR
    told, and a revised one (now + typical repair) each time the last ETR told is ``margin`` past with supply not
    back; none before the first ETR or once supply is back (``restored``). Moments at the same time (a unit sent
    as the call is handled) make one notice, with the later moment's estimate."""
    c = sc.communication
    n = len(faults)
    back = faults["restored"].to_numpy(float)
    typical = typical_repair(sc, faults)
    ahead = np.maximum(typical + c.etr_bias, 0.0)  # a revised ETR: this long from the moment it is told
    step = ahead + c.margin  # ... and it is overdue by the margin this long after the one before
    on_site = _column(faults, "on_site")
    decided = _column(faults, "decided") if "decided" in faults else faults["reported"].to_numpy(float)
    moments = (("report", decided, _column(faults, "etr_at_report")),
               ("dispatch", _column(faults, "dispatched"), _column(faults, "etr_at_dispatch")),
               ("on_site", on_site, on_site + typical))
    last = np.full(n, math.nan)  # the last ETR told
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def overdue(until: np.ndarray) -> None:
        """The revised notices while the last ETR told is overdue, up to ``until`` (or supply back)."""
        nonlocal last
        first = last + c.margin
        limit = np.minimum(until, back)
        count = np.where(first < limit, np.ceil((limit - first) / step), 0.0).astype(np.int64)
        idx = np.repeat(np.arange(n), count)
        j = np.arange(len(idx)) - np.repeat(np.cumsum(count) - count, count)  # 0, 1, ... within each fault
        t = first[idx] + j * step[idx]
        parts.append((idx, t, t + ahead[idx]))
        last = np.where(count > 0, first + (count - 1) * step + ahead, last)

    for name, moment, estimate in moments:
        overdue(np.where(np.isnan(moment), -math.inf, moment))  # (a moment that never came: left to the next)
        told = np.maximum(estimate + c.etr_bias, moment)  # never an ETR already past
        moved = np.abs(told - last) > c.margin  # (False before the first ETR: last is NaN)
        send = (moment < back) & ~np.isnan(told) & (moved | (name in c.updates))
        idx = np.flatnonzero(send)
        parts.append((idx, moment[idx], told[idx]))
        last = np.where(send, told, last)
    overdue(np.full(n, math.inf))
    fault, time, etr = (np.concatenate(p) for p in zip(*parts, strict=True))
    order = np.lexsort((time, fault))  # stable: of notices at the same time, the later moment's comes last
    fault, time, etr = fault[order], time[order], etr[order]
    once = np.ones(len(fault), bool)  # one notice at a time: the newest estimate
    once[:-1] = (fault[1:] != fault[:-1]) | (time[1:] != time[:-1])
    return Notices(fault[once], time[once], etr[once])


def quiet_calls(gap: np.ndarray, repeat_after: float) -> np.ndarray:
    """How often customers call again in ``gap`` minutes without news: once each full ``repeat_after`` before the
    gap ends (a notice or supply back at the very moment they would call comes first)."""
    return np.maximum(np.ceil(gap / repeat_after) - 1, 0).astype(np.int64)


def repeated_share(sc: Scenario, faults: pd.DataFrame, log: Interruptions) -> np.ndarray:
    """Per fault, the share of its customers with more than one sustained interruption in the season (those CEMI_1
    counts; a reconnection after a temporary restoration is one). Customers have identities as in
    sim.analysis.reliability; a fault's interruptions in ``log`` are those of its zone starting when it was
    reported (its switched and its other customers). A zone without ``customers`` has none repeated."""
    sizes = np.array([z.customers or 0 for z in sc.zones.values()], np.int64)
    offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rows = np.flatnonzero((sizes[log.zone] > 0) & (log.customers > 0))
    size, zone = sizes[log.zone[rows]], log.zone[rows]
    s = log.first[rows] % size
    e = s + np.minimum(log.customers[rows], size)
    wrap = e > size  # a block past the zone's last customer goes on from its first
    a = np.concatenate([s, np.zeros(wrap.sum(), np.int64)]) + np.concatenate([offset[zone], offset[zone[wrap]]])
    b = np.concatenate([np.minimum(e, size), e[wrap] - size[wrap]]) + np.concatenate([offset[zone],
                                                                                      offset[zone[wrap]]])
    row = np.concatenate([rows, rows[wrap]])
    points = np.unique(np.concatenate([a, b]))
    ia, ib = np.searchsorted(points, a), np.searchsorted(points, b)
    sustained = log.duration[row] > MOMENTARY_MINUTES
    cover = np.zeros(len(points))
    np.add.at(cover, ia[sustained], 1.0)
    np.add.at(cover, ib[sustained], -1.0)
    twice = np.diff(points) * (np.cumsum(cover)[:-1] >= 2) if len(points) else np.empty(0)
    upto = np.concatenate([[0.0], np.cumsum(twice)])  # ids interrupted more than once below each point
    repeated = np.bincount(row, weights=upto[ib] - upto[ia], minlength=len(log))
    per = pd.DataFrame({"repeated": repeated, "customers": log.customers.astype(float)}).groupby(
        [log.zone, log.start]).sum()
    share = (per["repeated"] / per["customers"].where(per["customers"] > 0)).fillna(0.0)
    keys = pd.MultiIndex.from_arrays([zone_codes(sc, faults), faults["reported"].to_numpy(float)])
    return share.reindex(keys).fillna(0.0).to_numpy(float)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.full(len(num), math.nan), where=den > 0)


def communication_figures(sc: Scenario, faults: pd.DataFrame,
                          log: Interruptions) -> list[tuple[str, str, str, float]]:
    """COMMUNICATION_METRICS per zone and for all zones, from one replication's faults (Records.fault_frame) and
    its interruption log (sim.analysis.metrics.interruptions)."""
    c, w = sc.communication, sc.communication.complaints
    zones = list(sc.zones)
    nz, n = len(zones), len(faults)
    f_zone = zone_codes(sc, faults)
    reported = faults["reported"].to_numpy(float)
    customers = faults["customers"].to_numpy(float)
    part = _column(faults, "switched_customers", 0.0)
    switched = _column(faults, "switched")
    some = (part > 0) & np.isfinite(switched)
    # customer groups: the customers waiting for the restoration, then those switched round before it
    g_fault = np.concatenate([np.arange(n), np.flatnonzero(some)])
    g_cust = np.concatenate([customers - np.where(some, part, 0.0), part[some]])
    g_back = np.concatenate([faults["restored"].to_numpy(float), switched[some]])
    g_start, g_zone = reported[g_fault], f_zone[g_fault]
    ng = len(g_fault)

    note = notices(sc, faults)
    lo = np.searchsorted(note.fault, np.arange(n))
    count = np.searchsorted(note.fault, np.arange(n), side="right") - lo
    # (group, notice) pairs, in group then time order; a group hears the notices reaching it while still out
    k = count[g_fault]
    p_group = np.repeat(np.arange(ng), k)
    p_note = np.repeat(lo[g_fault] - (np.cumsum(k) - k), k) + np.arange(len(p_group))
    arrive = note.time[p_note] + c.notice_delay
    heard = arrive < g_back[p_group]
    p_group, p_note, arrive = p_group[heard], p_note[heard], arrive[heard]
    told = np.bincount(p_group, minlength=ng) > 0
    first = np.minimum(np.searchsorted(p_group, np.arange(ng)), max(len(p_group) - 1, 0))
    first_arrive = np.where(told, arrive[first] if len(arrive) else 0.0, math.inf)
    first_etr = np.where(told, note.etr[p_note[first]] if len(p_note) else 0.0, math.nan)
    in_time = np.minimum(first_arrive, g_back) <= g_start + c.told_within
    held = told & (g_back <= first_etr + c.held_margin)
    # wrong information: an ETR passed (by the margin) with supply not back and no revised one there before it;
    # a revision in time is the progress notice the source asks for, not a broken promise
    due = note.etr[p_note] + c.held_margin
    later = np.concatenate([p_group[1:] == p_group[:-1], [False]])
    next_arrive = np.where(later, np.concatenate([arrive[1:], [math.inf]]), math.inf)
    let_down = (g_back[p_group] > due) & (next_arrive > due)
    wrong = np.bincount(p_group, weights=let_down, minlength=ng) > 0

    # calls: at the start, then again after each quiet spell of repeat_after until a notice or supply back
    same = np.concatenate([[False], p_group[1:] == p_group[:-1]])
    since = np.where(same, np.concatenate([[0.0], arrive[:-1]]), g_start[p_group])
    latest = g_start.copy()
    np.maximum.at(latest, p_group, arrive)
    gap_from = np.concatenate([since, latest])
    gap_group = np.concatenate([p_group, np.arange(ng)])
    again = quiet_calls(np.concatenate([arrive, g_back]) - gap_from, c.repeat_after)
    calls = g_cust * (c.calls_per_customer + c.repeat_share * np.bincount(gap_group, weights=again, minlength=ng))
    spell = np.repeat(np.arange(len(again)), again)
    nth = np.arange(len(spell)) - np.repeat(np.cumsum(again) - again, again) + 1
    call_time = np.concatenate([g_start, gap_from[spell] + nth * c.repeat_after])
    call_weight = np.concatenate([g_cust * c.calls_per_customer, g_cust[gap_group[spell]] * c.repeat_share])
    call_zone = np.concatenate([g_zone, g_zone[gap_group[spell]]])
    call_hour = np.floor(call_time / 60.0).astype(np.int64)

    # complaint risk: 1 - exp(-hazard), the repeated customers' share with the repeated weight on top
    arrive_lim = np.array([z.limits.arrive for z in sc.zones.values()])[f_zone]
    restore_lim = np.array([z.limits.restore for z in sc.zones.values()])[f_zone]
    site_missed = (_column(faults, "on_site") - reported) > arrive_lim
    out_for = g_back - g_start
    hazard = (w.base + w.site_limit * site_missed[g_fault] + w.restore_limit * (out_for > restore_lim[g_fault])
              + w.long * (out_for > w.long_h * 60.0) + w.late_info * ~in_time + w.wrong_info * wrong)
    again_share = repeated_share(sc, faults, log)[g_fault]
    risk = -(again_share * np.expm1(-(hazard + w.repeated)) + (1 - again_share) * np.expm1(-hazard))

    def per_zone(values: np.ndarray, zone: np.ndarray) -> np.ndarray:
        by = np.bincount(zone, weights=values, minlength=nz).astype(float)
        return np.append(by, by.sum())

    cust = per_zone(g_cust, g_zone)
    complaints = per_zone(g_cust * risk, g_zone)
    peak = np.zeros(nz + 1)
    for zi in range(nz + 1):
        mine = call_zone == zi if zi < nz else slice(None)
        if len(call_hour[mine]):
            peak[zi] = np.bincount(call_hour[mine], weights=call_weight[mine]).max()
    values = {
        "notices_per_fault": _ratio(per_zone(count.astype(float), f_zone), per_zone(np.ones(n), f_zone)),
        "told_within": _ratio(per_zone(g_cust * in_time, g_zone), cust),
        "etr_held": _ratio(per_zone(g_cust * held, g_zone), per_zone(g_cust * told, g_zone)),
        "calls": per_zone(calls, g_zone),
        "calls_peak_per_h": peak,
        "complaint_risk": _ratio(complaints, cust),
        "complaints": complaints,
    }
    return [(SCOPE, group, m, float(values[m][i])) for i, group in enumerate([*zones, ALL])
            for m in COMMUNICATION_METRICS]
