"""Faults of one replication, drawn before the run: when, where, what type (the cause), how long the repair, how
many customers, and where each came from (calm background, heat wave, storm or a replayed log).

Everything about a fault is drawn from streams keyed by its source, zone and type (and storm), so a change of
units, dispatch or of another cause's rate leaves the other faults exactly as they were (common random numbers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from sim.engine.weather import (
    Storm,
    day_factor,
    draw_storms,
    heat_factor,
    heat_spells,
    hourly_rates,
    poisson_times,
)
from sim.inputs.coordinates import project
from sim.inputs.outagelog import LogReport, read_log_cached
from sim.inputs.zones import ZoneMap
from sim.scenario.places import fault_places
from sim.scenario.schema import Scenario
from sim.streams import stream

ORIGINS = ("calm", "heat_wave", "storm", "log", "repeat")
"""Where a fault came from; ``FaultTable.origin`` holds indices into this tuple."""


CALM, HEAT, STORM, LOG, REPEAT = range(5)


@dataclass(frozen=True)
class FaultTable:
    """Columns of the faults of one replication, sorted by report time; row index is the fault id."""

    reported: np.ndarray  # minutes since start
    zone: np.ndarray  # index into zone_names
    fault_type: np.ndarray  # index into type_names: the fault's cause
    x: np.ndarray  # km
    y: np.ndarray
    repair: np.ndarray  # minutes of work on site
    customers: np.ndarray  # customers cut off
    zone_names: tuple[str, ...]
    type_names: tuple[str, ...]
    storm: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))  # storm number, -1 for none
    origin: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))  # index into ORIGINS
    start: dt.datetime = dt.datetime(2026, 6, 1)  # calendar time of minute 0
    storms: tuple[Storm, ...] = ()
    heat_waves: tuple[tuple[float, float], ...] = ()
    log_report: LogReport | None = None
    critical: np.ndarray = field(default_factory=lambda: np.empty(0, bool))  # cuts off critical customers
    van_fix: np.ndarray = field(default_factory=lambda: np.empty(0, bool))  # a van's light work is the repair
    van_work: np.ndarray = field(default_factory=lambda: np.empty(0))  # minutes of a van's work on site
    van_guess: np.ndarray = field(default_factory=lambda: np.empty(0, bool))  # the dispatcher's guess of van_fix

    def __len__(self) -> int:
        return len(self.reported)


class _Parts:
    """Columns gathered from every source before the final sort."""

    def __init__(self) -> None:
        self.cols: list[tuple[np.ndarray, ...]] = []

    def add(self, t: np.ndarray, zone: np.ndarray, ftype: np.ndarray, x: np.ndarray, y: np.ndarray,
            repair: np.ndarray, customers: np.ndarray, storm: int | np.ndarray, origin: int | np.ndarray,
            extras: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> None:
        n = len(t)
        self.cols.append((np.asarray(t, float), np.asarray(zone, np.int32), np.asarray(ftype, np.int32),
                          np.asarray(x, float), np.asarray(y, float), np.asarray(repair, float),
                          np.asarray(customers, np.int64), np.broadcast_to(np.asarray(storm, np.int32), n),
                          np.broadcast_to(np.asarray(origin, np.int8), n), *extras))

    def columns(self) -> list[np.ndarray]:
        if not self.cols:
            kinds = (float, np.int32, np.int32, float, float, float, np.int64, np.int32, np.int8, bool, bool, float,
                     bool)
            return [np.empty(0, k) for k in kinds]
        cols = [np.concatenate(c) for c in zip(*self.cols, strict=True)]
        order = np.argsort(cols[0], kind="stable")
        return [c[order] for c in cols]


def _customers(sc: Scenario, ftype: str, rng: np.random.Generator, n: int) -> np.ndarray:
    return np.maximum(1, np.rint(sc.fault_types[ftype].customers.sample(rng, n))).astype(np.int64)


def _extras(sc: Scenario, ftype: str, rng: np.random.Generator,
            n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Whether each fault cuts off critical customers, whether a van's light work would repair it, how long a
    van's work takes, and what the dispatch centre guesses of the second: with probability ``van.triage`` the call
    tells it, otherwise its guess knows only the type's share ``van.fixes``. Drawn whether or not the scenario has
    vans, so adding vans changes no other draw."""
    ft = sc.fault_types[ftype]
    critical = rng.random(n) < ft.critical
    u = rng.random(n)
    if ft.van is None:
        return critical, np.zeros(n, bool), np.zeros(n), np.zeros(n, bool)
    fixes, work = u < ft.van.fixes, ft.van.work.sample(rng, n)
    told = rng.random(n) < ft.van.triage  # the call says what the van will find; otherwise only the type's share
    guess = np.where(told, fixes, rng.random(n) < ft.van.fixes)
    return critical, fixes, work, guess


def _background(sc: Scenario, seed: int, rep: int, spells: list[tuple[float, float]], parts: _Parts) -> None:
    arr = sc.arrivals
    zones, types = list(sc.zones), list(sc.fault_types)
    day = day_factor(sc, seed, rep)  # day_to_day and severity: the weather between calm and storm
    places = fault_places(sc)
    for zone, by_type in arr.per_day.items():
        zi = zones.index(zone)
        for ftype, rate in by_type.items():
            per_day = rate.per_day * sc.rate_factor(ftype)
            if per_day <= 0:
                continue
            lam = hourly_rates(per_day, rate.hour_of_day or arr.hour_of_day, sc.horizon, arr.month, sc.start)
            factor = heat_factor(sc, spells, ftype, len(lam))
            rng = stream(seed, rep, "faults", zone, ftype)
            t = poisson_times(rng, lam * factor * day, sc.horizon)
            n = len(t)
            x, y = places.sample(rng, zi, n)
            hot = factor[np.minimum((t // 60).astype(np.int64), len(factor) - 1)] != 1.0
            parts.add(t, np.full(n, zones.index(zone)), np.full(n, types.index(ftype)), x, y,
                      sc.fault_types[ftype].repair.sample(stream(seed, rep, "repair", zone, ftype), n),
                      _customers(sc, ftype, stream(seed, rep, "customers", zone, ftype), n), -1,
                      np.where(hot, HEAT, CALM), _extras(sc, ftype, stream(seed, rep, "extras", zone, ftype), n))


def _storm_faults(sc: Scenario, seed: int, rep: int, storm: Storm, zm: ZoneMap, parts: _Parts) -> None:
    st = sc.arrivals.storms
    assert st is not None
    zones, types = list(sc.zones), list(sc.fault_types)
    allowed = [zones.index(z) for z in storm.zones]
    x_lo, y_lo, x_hi, y_hi = zm.extent()
    places = fault_places(sc)
    total = sum(storm.mix.values())
    hours = (storm.end - storm.start) / 60.0
    for ftype, w in storm.mix.items():
        mu = storm.intensity * hours * w / total * sc.rate_factor(ftype)
        if mu <= 0:
            continue
        rng = stream(seed, rep, "storm_faults", storm.key, ftype)
        n = int(rng.poisson(mu))
        t = storm.start + rng.random(n) * (storm.end - storm.start)
        cx, cy = storm.centre(t)
        cx, cy = np.clip(cx, x_lo, x_hi), np.clip(cy, y_lo, y_hi)  # the cell stays over the service area
        x = cx + rng.normal(0.0, storm.radius_km, n)
        y = cy + rng.normal(0.0, storm.radius_km, n)
        z = zm.locate(x, y, allowed)
        for _ in range(50):  # faults only where there is network: redraw around the track
            out = np.flatnonzero(z < 0)
            if not len(out):
                break
            x[out] = cx[out] + rng.normal(0.0, storm.radius_km, len(out))
            y[out] = cy[out] + rng.normal(0.0, storm.radius_km, len(out))
            z[out] = zm.locate(x[out], y[out], allowed)
        lost = z < 0  # far from the track's zones after every redraw: the nearest point of the storm's first zone
        x[lost], y[lost] = zm.clamp(allowed[0], x[lost], y[lost])
        z[lost] = allowed[0]
        if not places.uniform:  # on the grid: the nearest road or customer of the fault's zone
            for zi in np.unique(z).tolist():
                at = z == zi
                x[at], y[at] = places.settle(zi, x[at], y[at])
        keep = (t >= 0) & (t < sc.horizon)  # a calendar storm may begin before the season or end after it
        n = int(keep.sum())
        repair = sc.fault_types[ftype].repair.sample(stream(seed, rep, "storm_repair", storm.key, ftype), n)
        parts.add(t[keep], z[keep], np.full(n, types.index(ftype)), x[keep], y[keep],
                  repair * st.repair_factor,
                  _customers(sc, ftype, stream(seed, rep, "storm_customers", storm.key, ftype), n),
                  storm.number, STORM, _extras(sc, ftype, stream(seed, rep, "storm_extras", storm.key, ftype), n))


def _replay(sc: Scenario, seed: int, rep: int, parts: _Parts) -> LogReport:
    rp = sc.arrivals.replay
    assert rp is not None
    log = read_log_cached(sc.path_of(rp.log), rp.columns)
    f = log.frame
    report = LogReport(log.report.source, log.report.rows_read, {k: list(v) for k, v in log.report.dropped.items()},
                       list(log.report.notes))
    t = (f["time_out"] - np.datetime64(sc.start)).dt.total_seconds().to_numpy() / 60.0
    window = (t >= 0) & (t < sc.horizon)
    f, t = f[window], t[window]
    if rp.columns.x_km and rp.columns.y_km:
        x, y = f["x_km"].to_numpy(float), f["y_km"].to_numpy(float)
    elif sc.crs is not None:  # a real territory: longitude and latitude into its working CRS
        from sim.inputs.crs import transformer, working_crs  # noqa: PLC0415 (PROJ loads only for a territory)

        x, y = transformer("EPSG:4326", working_crs(sc.crs))(f["longitude"].to_numpy(), f["latitude"].to_numpy())
    else:
        assert rp.origin is not None
        x, y = project(f["longitude"].to_numpy(), f["latitude"].to_numpy(), rp.origin)
    z = sc.zone_map().locate(x, y)
    report.drop("a location outside every zone", f["line"].to_numpy()[z < 0])
    inside = z >= 0
    f, t, x, y, z = f[inside], t[inside], x[inside], y[inside], z[inside]
    types = list(sc.fault_types)
    mix_names = list(rp.mix)
    weights = np.array([rp.mix[k] for k in mix_names], float)
    u = stream(seed, rep, "replay_type").random(len(f))
    drawn = np.searchsorted(np.cumsum(weights / weights.sum()), u, side="right").clip(0, len(mix_names) - 1)
    ftype = np.array([types.index(mix_names[i]) for i in drawn], dtype=np.int32)
    if "cause" in f and rp.causes:
        mapped = f["cause"].map(lambda c: types.index(rp.causes[c]) if c in rp.causes else -1).to_numpy()
        ftype = np.where(mapped >= 0, mapped, ftype).astype(np.int32)
    repair = np.empty(len(f))
    customers = np.empty(len(f), np.int64)
    critical, van_fix, van_work = np.zeros(len(f), bool), np.zeros(len(f), bool), np.zeros(len(f))
    van_guess = np.zeros(len(f), bool)
    for i, name in enumerate(types):
        sel = np.flatnonzero(ftype == i)
        repair[sel] = sc.fault_types[name].repair.sample(stream(seed, rep, "replay_repair", name), len(sel))
        customers[sel] = _customers(sc, name, stream(seed, rep, "replay_customers", name), len(sel))
        critical[sel], van_fix[sel], van_work[sel], van_guess[sel] = _extras(
            sc, name, stream(seed, rep, "replay_extras", name), len(sel))
    if rp.repair == "log":
        repair = f["duration_h"].to_numpy(float) * 60.0 * rp.repair_share
    if "customers" in f:
        customers = np.maximum(1, np.rint(f["customers"].to_numpy(float))).astype(np.int64)
    parts.add(t, z, ftype, x, y, repair, customers, -1, LOG, (critical, van_fix, van_work, van_guess))
    return report


MAX_GENERATIONS = 100  # a branching ratio below 0.95 dies out long before: a bound, not a truncation


def _repeats(sc: Scenario, seed: int, rep: int, cols: list[np.ndarray], zm: ZoneMap, parts: _Parts) -> None:
    """Repeat outages, generation after generation: each fault of a repeating type brings Poisson(branching)
    repeats of its type, an exponential delay after it, near it in its zone; repeats past the horizon are not
    drawn. Each generation has its own streams (keyed by generation and type), drawn over the parents in report
    order."""
    rp = sc.arrivals.repeats
    assert rp is not None
    types = list(sc.fault_types)
    able = np.array([rp.types is None or t in rp.types for t in types])
    places = fault_places(sc)
    t, zone, ftype, x, y, storm = cols[0], cols[1], cols[2], cols[3], cols[4], cols[7]
    for gen in range(MAX_GENERATIONS):
        keep = able[ftype] if len(ftype) else np.zeros(0, bool)
        t, zone, ftype, x, y, storm = t[keep], zone[keep], ftype[keep], x[keep], y[keep], storm[keep]
        if not len(t):
            return
        rng = stream(seed, rep, "repeats", str(gen))
        parent = np.repeat(np.arange(len(t)), rng.poisson(rp.branching, len(t)))
        when = t[parent] + rng.exponential(rp.mean_delay, len(parent))
        cx, cy = x[parent] + rng.normal(0.0, rp.radius_km, len(parent)), y[parent] + rng.normal(
            0.0, rp.radius_km, len(parent))
        inside = when < sc.horizon
        parent, when, cx, cy = parent[inside], when[inside], cx[inside], cy[inside]
        z = zone[parent]
        for zi in np.unique(z).tolist():  # a weak spot is on the parent's network: its zone, where faults occur
            at = z == zi
            cx[at], cy[at] = zm.clamp(zi, cx[at], cy[at])
            if not places.uniform:
                cx[at], cy[at] = places.settle(zi, cx[at], cy[at])
        k = ftype[parent]
        repair, customers = np.empty(len(parent)), np.empty(len(parent), np.int64)
        extras = (np.zeros(len(parent), bool), np.zeros(len(parent), bool), np.zeros(len(parent)),
                  np.zeros(len(parent), bool))
        for ti in np.unique(k).tolist():
            at = np.flatnonzero(k == ti)
            name = types[ti]
            repair[at] = sc.fault_types[name].repair.sample(stream(seed, rep, "repeat_repair", str(gen), name),
                                                            len(at))
            customers[at] = _customers(sc, name, stream(seed, rep, "repeat_customers", str(gen), name), len(at))
            for col, v in zip(extras, _extras(sc, name, stream(seed, rep, "repeat_extras", str(gen), name),
                                              len(at)), strict=True):
                col[at] = v
        parts.add(when, z, k, cx, cy, repair, customers, storm[parent], REPEAT, extras)
        t, zone, ftype, x, y, storm = when, z, k, cx, cy, storm[parent]


def generate(sc: Scenario, seed: int, replication: int) -> FaultTable:
    """Draw the faults of ``replication`` for scenario ``sc``."""
    zm = sc.zone_map()
    spells = heat_spells(sc, seed, replication)
    storms = draw_storms(sc, seed, replication)
    parts = _Parts()
    _background(sc, seed, replication, spells, parts)
    for storm in storms:
        _storm_faults(sc, seed, replication, storm, zm, parts)
    report = _replay(sc, seed, replication, parts) if sc.arrivals.replay is not None else None
    if sc.arrivals.repeats is not None and sc.arrivals.repeats.branching > 0:
        _repeats(sc, seed, replication, parts.columns(), zm, parts)
    reported, zone_idx, type_idx, x, y, repair, customers, storm_no, origin, critical, van_fix, van_work, \
        van_guess = parts.columns()
    return FaultTable(reported, zone_idx, type_idx, x, y, repair, customers, tuple(sc.zones), tuple(sc.fault_types),
                      storm_no, origin, sc.start, tuple(storms), tuple(spells), report, critical, van_fix, van_work,
                      van_guess)


def replay_report(sc: Scenario) -> LogReport | None:
    """What replaying ``sc``'s log keeps and drops (rows dropped on reading and rows outside every zone); the same
    in every replication."""
    if sc.arrivals.replay is None:
        return None
    return _replay(sc, sc.seed, 0, _Parts())
