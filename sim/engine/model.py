"""One replication: the SimPy wiring of faults, dispatch centre and units. A pure function of (scenario, seed,
replication), so it runs the same in any process or on any worker.

Faults reported before the horizon are followed until they are restored; none is cut off at the horizon.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from sim.engine.dispatch import WAITING, DispatchCentre, Policy
from sim.engine.duty import Duty
from sim.engine.faults import FaultTable, generate
from sim.engine.forecasts import draw_forecasts
from sim.engine.plans import PlanRunner
from sim.engine.policies import ORDERS, DivertRule, Order, by_types, score
from sim.engine.records import Records, UnitInfo
from sim.engine.travel import Travel, make_travel
from sim.engine.units import Unit
from sim.engine.weather import minutes_since
from sim.plugins import load_function
from sim.scenario.schema import Scenario
from sim.streams import stream


def call_handling(sc: Scenario, faults: FaultTable, seed: int, replication: int) -> np.ndarray:
    """When the dispatch centre decides on each fault: the customer's call, then (queued for one of
    ``call_takers`` call takers, first come first served, when that is stated) its handling time.

    >>> from types import SimpleNamespace as NS
    >>> from sim.distributions import Distribution
    >>> sc = NS(dispatch=NS(call_handling=Distribution.model_validate(4), call_takers=1))
    >>> call_handling(sc, NS(reported=np.array([0.0, 1.0, 10.0])), 1, 0).tolist()  # the 2nd waits for the 1st
    [4.0, 8.0, 14.0]
    """
    reported = np.asarray(faults.reported, float)
    d = sc.dispatch
    if d.call_handling is None or not len(reported):
        return reported.copy()
    handle = d.call_handling.sample(stream(seed, replication, "call_handling"), len(reported))
    if d.call_takers is None:
        return reported + handle
    free = [0.0] * min(d.call_takers, len(reported))  # when each call taker is next free (more than calls: idle)
    out = np.empty(len(reported))
    for i, (t, h) in enumerate(zip(reported.tolist(), handle.tolist(), strict=True)):
        start = max(t, heapq.heappop(free))
        out[i] = start + h
        heapq.heappush(free, out[i])
    return out


def _arrivals(env: simpy.Environment, decided: np.ndarray, centre: DispatchCentre) -> Generator[simpy.Event, Any,
                                                                                                  None]:
    # one process for all faults, in the order the centre decides on them: a timeout per fault, never a process
    for fault in np.argsort(decided, kind="stable").tolist():
        t = float(decided[fault])
        if t > env.now:
            yield env.timeout(t - env.now)
        centre.report(fault, env.now)


def _etr_knowledge(sc: Scenario, faults: FaultTable, travel: Travel, needs: list[int],
                   mask: Callable[[list[str]], int]) -> tuple[np.ndarray, list[float], dict[tuple[int, int], int]]:
    """What the dispatch centre knows for its ETRs: each fault's typical repair (its type's mean, longer for storm
    damage), the drive from the nearest depot into each zone (to its centre), and the units able to serve each
    (zone, fault type)."""
    means = np.array([ft.repair.mean() for ft in sc.fault_types.values()])
    typical = means[faults.fault_type] if len(faults) else np.empty(0)
    if sc.arrivals.storms is not None:
        typical = np.where(faults.storm >= 0, typical * sc.arrivals.storms.repair_factor, typical)
    zones = list(sc.zones)
    drive = []
    for zi, name in enumerate(sc.zones):
        cx, cy = sc.zone_map().centre(zi)
        times = [travel.estimate(d.location[0], d.location[1], zones.index(d.zone), cx, cy, zi, 0.0)
                 for d in sc.depots.values() if name in (d.serves or zones)]
        drive.append(min(times) if times else 0.0)
    capable: dict[tuple[int, int], int] = {}
    for d in sc.depots.values():
        for g in d.units:
            if g.kind == "van":
                continue
            on_duty = g.count + max((s.count for s in g.roster), default=0)  # about how many are on at a time
            have = mask(g.skills)
            for zi, name in enumerate(zones):
                if name in (d.serves or zones):
                    for ti, need in enumerate(needs):
                        if have & need == need:
                            capable[(zi, ti)] = capable.get((zi, ti), 0) + on_duty
    return typical, drive, capable


def _submasks(masks: list[int]) -> list[int]:
    """Every non-empty subset of every mask: the skill sets a fault can still be missing."""
    out: set[int] = set()
    for m in masks:
        sub = m
        while sub:
            out.add(sub)
            sub = (sub - 1) & m
    return sorted(out)


class _Builder:
    """Creates the units of a replication (also those that join during it) with their duty and queue keys."""

    def __init__(self, sc: Scenario, env: simpy.Environment, centre: DispatchCentre, travel: Travel,
                 records: Records, mask: Callable[[list[str]], int], needs: list[int]):
        self.sc, self.env, self.centre, self.travel, self.records, self.mask = sc, env, centre, travel, records, mask
        self.zone_index = {z: i for i, z in enumerate(sc.zones)}
        self.masks = _submasks(needs)
        self.day0 = sc.start.hour * 60.0 + sc.start.minute
        self.units: list[Unit] = []
        self.by_group: dict[str, list[Unit]] = {}
        self.call_mutual_aid: Callable[[float], None] | None = None  # set when there is mutual aid to call

    def add(self, uid: str, depot: str, group: str, kind: str, skills: list[str], serves: tuple[int, ...],
            home: tuple[float, float, int], duty: Duty, cost: float, overtime_cost: float, *,
            work_speed: float = 1.0, speed_factor: float = 1.0, on_call: bool = False, callout: float = 0.0,
            max_hours: float | None = None, rest: float = 480.0,
            staging: tuple[tuple[float, float, int], ...] = ()) -> Unit:
        index = self.records.add_unit(UnitInfo(uid, depot, group, kind, tuple(skills), cost, overtime_cost))
        m = self.mask(skills)
        keys = tuple((z, q) for z in serves for q in self.masks if q & m) if kind != "van" else ()
        unit = Unit(self.env, index, m, serves, home, self.centre, self.travel, self.records, duty, kind, keys,
                    work_speed, speed_factor, on_call, callout, max_hours, rest, staging, self.sc.dispatch.turnout)
        self.units.append(unit)
        self.by_group.setdefault(group, []).append(unit)
        return unit

    def window(self, start: dt.datetime, end: dt.datetime) -> list[tuple[float, float]]:
        return [(minutes_since(self.sc.start, start), minutes_since(self.sc.start, end))]

    def depots(self) -> None:
        sc, zi = self.sc, self.zone_index
        for depot_name, depot in sc.depots.items():
            serves = tuple(sorted(zi[z] for z in (depot.serves or sc.zones)))
            home = (depot.location[0], depot.location[1], zi[depot.zone])
            for g in depot.units:
                group = f"{depot_name}/{g.name}"
                staging = tuple((x, y, self._zone_at(x, y, home[2])) for x, y in g.staging)
                common: dict[str, Any] = {"work_speed": g.work_speed, "max_hours": g.max_hours, "rest": g.rest,
                                          "staging": staging}
                k = 0
                plan: list[tuple[Duty, bool, float, str]] = [(Duty([(0.0, math.inf)]), False, 0.0, "")] * g.count
                for shift in g.roster:
                    plan += [(Duty([(0.0, math.inf)], (shift.start, shift.end), self.day0), shift.on_call,
                              shift.callout, shift.name)] * shift.count
                for extra in g.extra:
                    hours = next(((s.start, s.end) for s in g.roster if s.name == extra.shift), None)
                    plan += [(Duty(self.window(extra.start, extra.end), hours, self.day0), False, 0.0,
                              "extra")] * extra.count
                for duty, on_call, callout, label in plan:
                    k += 1
                    uid = f"{group}-{k}" + (f"-{label}" if label else "")
                    self.add(uid, depot_name, group, g.kind, g.skills, serves, home, duty, g.cost_per_hour,
                             g.overtime_rate(), on_call=on_call, callout=callout, **common)

    def _zone_at(self, x: float, y: float, default: int) -> int:
        z = int(self.sc.zone_map().locate([x], [y])[0])
        return default if z < 0 else z

    def mutual_aid(self, calls: list[float]) -> Callable[[int], None] | None:
        """Wire mutual aid: its crews arrive ``delay`` after each call; return the backlog trigger, if any."""
        ma = self.sc.mutual_aid
        if ma is None:
            return None
        zi = self.zone_index
        serves = tuple(sorted(zi[z] for z in (ma.serves or self.sc.zones)))
        home = (ma.staging[0], ma.staging[1], zi[ma.zone])
        next_call = [0.0]

        def call(now: float) -> None:
            calls.append(now)
            next_call[0] = now + ma.cooldown
            arrive = now + ma.delay
            for k in range(ma.crews):
                uid = f"mutual_aid/{len(calls)}-{k + 1}"
                self.add(uid, "mutual_aid", "mutual_aid/crew", ma.kind, ma.skills, serves, home,
                         Duty([(arrive, arrive + ma.stay)]), ma.cost_per_hour, 1.5 * ma.cost_per_hour,
                         work_speed=ma.work_speed, speed_factor=ma.speed_factor)

        self.call_mutual_aid = call
        if ma.on_calendar_storms:
            for storm in self.centre.faults.storms:
                if storm.kind == "calendar":
                    def at(t: float = storm.start) -> Generator[simpy.Event, Any, None]:
                        yield self.env.timeout(max(0.0, t - self.env.now))
                        call(self.env.now)
                    self.env.process(at())
        if ma.backlog is None:
            return None
        threshold = ma.backlog

        def trigger(waiting: int) -> None:
            if waiting >= threshold and self.env.now >= next_call[0]:
                call(self.env.now)

        return trigger

    def prestage(self) -> None:
        """Move the listed groups to their staging points before each calendar storm, and back after it."""
        ps = self.sc.prestage
        if ps is None:
            return
        for storm in self.centre.faults.storms:
            if storm.kind != "calendar":
                continue

            def run(s: Any = storm) -> Generator[simpy.Event, Any, None]:
                yield self.env.timeout(max(0.0, s.start - ps.before))
                for group, (x, y) in ps.groups.items():
                    for u in self.by_group.get(group, []):
                        u.set_home((x, y, self._zone_at(x, y, u.depot[2])))
                yield self.env.timeout(max(0.0, s.end - self.env.now))
                for group in ps.groups:
                    for u in self.by_group.get(group, []):
                        u.set_home(u.depot)

            self.env.process(run())


def _escalation(env: simpy.Environment, faults: FaultTable, centre: DispatchCentre,
                after: float) -> Generator[simpy.Event, Any, None]:
    # one process walks the faults in report order: a fault still waiting after `after` minutes goes ahead
    for fault, t in enumerate(faults.reported.tolist()):
        due = t + after
        if due > env.now:
            yield env.timeout(due - env.now)
        if centre.crew_state[fault] == WAITING or centre.van_state[fault] == WAITING:
            centre.reprioritise(fault)


def _release(env: simpy.Environment, decided: np.ndarray, centre: DispatchCentre,
             after: float) -> Generator[simpy.Event, Any, None]:
    # one process: a fault needing several skills that could not go together within `after` minutes of the
    # centre's decision takes them as they come free (also later, if a van hands it back to the crews)
    several = [bin(centre.need_masks[t]).count("1") > 1 for t in centre.ftype]
    for fault in np.argsort(decided, kind="stable").tolist():
        if not several[fault]:
            continue
        due = float(decided[fault]) + after
        if due > env.now:
            yield env.timeout(due - env.now)
        centre.release(fault)


def _policy(sc: Scenario) -> Policy:
    types = list(sc.fault_types)

    def ids(names: list[str]) -> frozenset[int]:
        return frozenset(-1 if n == "any" else types.index(n) for n in names)

    d = sc.dispatch
    folder = str(sc.path_of(""))
    order: Order
    if d.order == "score":
        order = score({str(k): v for k, v in d.weights.items()})
    elif d.order in ORDERS:
        order = ORDERS[d.order]
    else:
        order = load_function(d.order, folder)  # type: ignore[assignment]  # checked when the scenario was read
    divert: DivertRule | None
    if isinstance(d.divert, str):
        divert = load_function(d.divert, folder)  # type: ignore[assignment]
    else:
        divert = by_types(tuple((ids(r.from_types), ids(r.to_types)) for r in d.divert)) if d.divert else None
    return Policy(order, d.escalate_after, math.inf if d.hold_back is None else d.hold_back, divert)


def simulate(sc: Scenario, seed: int, replication: int) -> Records:
    """Run replication ``replication`` of ``sc`` with master ``seed`` and return its records."""
    faults = generate(sc, seed, replication)
    skill_bit = {s: 1 << i for i, s in enumerate(sorted(
        {s for ft in sc.fault_types.values() for s in ft.skills}
        | {s for d in sc.depots.values() for g in d.units for s in g.skills}
        | set(sc.mutual_aid.skills if sc.mutual_aid else [])
        | {s for ft in sc.fault_types.values() if ft.switching for s in ft.switching.skills or []}))}

    def mask(skills: list[str]) -> int:
        return sum(skill_bit[s] for s in set(skills))

    travel = make_travel(sc, faults, seed, replication)
    needs = [mask(ft.skills) for ft in sc.fault_types.values()]
    records = Records(replication, faults, [])
    env = simpy.Environment()
    types = list(sc.fault_types)
    van_zones = frozenset(i for i, z in enumerate(sc.zones) for d in sc.depots.values()
                          if z in (d.serves or sc.zones) and any(g.kind == "van" and g.staffed() for g in d.units))
    centre = DispatchCentre(env, faults, travel, needs, records, _policy(sc),
                            *_etr_knowledge(sc, faults, travel, needs, mask),
                            van_types=frozenset(types.index(n) for n, ft in sc.fault_types.items() if ft.van),
                            van_zones=van_zones,
                            van_restores={types.index(n): ft.van.reconnect for n, ft in sc.fault_types.items()
                                          if ft.van and ft.van.restores})
    centre.switching = {i: (ft.switching.share, ft.switching.time, mask(ft.switching.skills or ft.skills))
                        for i, ft in enumerate(sc.fault_types.values()) if ft.switching is not None}
    build = _Builder(sc, env, centre, travel, records, mask, needs)
    build.depots()
    calls: list[float] = []
    centre.on_backlog = build.mutual_aid(calls)
    build.prestage()
    if sc.plans:
        PlanRunner(sc, env, centre, build, records, draw_forecasts(sc, faults.storms, seed, replication)).start()
    decided = call_handling(sc, faults, seed, replication)
    records.decided[:] = decided
    env.process(_arrivals(env, decided, centre))
    if sc.dispatch.escalate_after is not None:
        env.process(_escalation(env, faults, centre, sc.dispatch.escalate_after))
    if 0 < centre.policy.hold_back < math.inf and any(bin(m).count("1") > 1 for m in needs):
        env.process(_release(env, decided, centre, centre.policy.hold_back))
    env.run(until=centre.all_repaired)
    for unit in build.units:
        unit.finish(env.now)
    return records
