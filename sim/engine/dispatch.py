"""The dispatch centre: which units go to which fault, and what a unit that comes free does next.

A new fault gets the idle unit that can be there soonest and has every skill it needs; if none is idle, the
centre assembles several idle units that together have the skills (specialist crews: the job waits until all are on
site). Whatever is still missing waits in a line keyed by (zone, skills still missing), ordered by the policy
(oldest, most customers, critical customers first, or a weighted score; escalated faults first). A unit that comes
free looks only at the heads of the lines it can help with, never scanning the backlog.

Vans are dispatched beside the crews: a fault whose type a van can work on gets the nearest idle van (its GPS
position, also while it drives), or a van already heading elsewhere when the divert rules allow, or waits for one.
When a van's light work would be the whole repair, the van takes the fault if it can be there no later than the
best idle crew, and a waiting fault goes to whichever comes free first.

Estimated restoration times (ETR) are what the centre would tell customers from what it knows: when a fault is
reported, the drive of the unit sent (or, if it must wait, a rule of thumb for the queue ahead of it) plus the
typical repair of its type; when a unit is sent, the re-estimate from that unit's drive.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import simpy

from sim.cells import ring as ring_cells
from sim.engine.faults import FaultTable
from sim.engine.jobs import ASSIGNED, CLAIMED, NONE, WAITING, Job
from sim.engine.policies import DivertRule, Order, oldest
from sim.engine.records import Records
from sim.engine.travel import Travel
from sim.engine.units import Unit

Station = tuple[float, float, int, float, float]
"""Where idle units stand and how they leave: x, y, zone, call-out minutes, speed factor."""


class IdlePool:
    """The idle units that may serve one zone, indexed so that finding the soonest costs per nearby place, not per
    unit. Units standing still are grouped by station (place, call-out, speed) and skills: identical units standing
    together are interchangeable, so one of each kind per station is a candidate. Stations are filed in square
    cells of ``cell_km``; a search looks at the cells in rings around the fault and stops once no unit farther out
    could be there sooner than the best found (a lower bound: the straight line at the fastest pace). Units still
    driving home are kept apart, each a candidate, and filed under their station once arrived.

    >>> pool = IdlePool(cell_km=1.0)
    >>> len(pool), pool.can(0b1, full=True)
    (0, False)
    """

    def __init__(self, cell_km: float = 1.0) -> None:
        self.cell = cell_km
        self.members: dict[int, Unit] = {}
        # station -> skills -> (the units there with those skills, their indices as a heap: the lowest is sent)
        self.stations: dict[Station, dict[int, tuple[dict[int, Unit], list[int]]]] = {}
        self.cells: dict[tuple[int, int], dict[Station, None]] = {}  # ordered sets, for a fixed order of work
        self.moving: dict[int, Unit] = {}
        self.arrivals: list[tuple[float, int]] = []  # (when a moving unit stands still, its index), a heap
        self.filed: dict[int, tuple[Station, int]] = {}
        self.kinds: dict[int, int] = {}  # skills -> idle units with exactly them
        self.fastest = 1.0  # the largest speed factor of any unit filed here (bounds stay bounds)

    def __contains__(self, index: int) -> bool:
        return index in self.members

    def __len__(self) -> int:
        return len(self.members)

    def can(self, need: int, full: bool) -> bool:
        """Whether any idle unit has every skill of ``need`` (``full``) or any of them (need 0: any unit)."""
        if not need:
            return bool(self.members)
        if full:
            return any(skills & need == need for skills in self.kinds)
        return any(skills & need for skills in self.kinds)

    def skills(self) -> int:
        """Every skill some idle unit has."""
        out = 0
        for skills in self.kinds:
            out |= skills
        return out

    def add(self, unit: Unit, now: float) -> None:
        """``unit`` is idle and may be sent from here."""
        self.members[unit.index] = unit
        self.kinds[unit.skills] = self.kinds.get(unit.skills, 0) + 1
        self.fastest = max(self.fastest, unit.speed_factor)
        self._file(unit, now)

    def _cell(self, x: float, y: float) -> tuple[int, int]:
        return math.floor(x / self.cell), math.floor(y / self.cell)

    def _file(self, unit: Unit, now: float) -> None:
        at = unit.standing(now)
        if at is None:
            self.moving[unit.index] = unit
            heapq.heappush(self.arrivals, (unit.arrival(), unit.index))
            return
        key = (at[0], at[1], at[2], unit.callout_delay(now), unit.speed_factor)
        kinds = self.stations.get(key)
        if kinds is None:
            kinds = self.stations[key] = {}
            self.cells.setdefault(self._cell(at[0], at[1]), {})[key] = None
        units, order = kinds.setdefault(unit.skills, ({}, []))
        units[unit.index] = unit
        heapq.heappush(order, unit.index)
        self.filed[unit.index] = (key, unit.skills)

    def remove(self, unit: Unit) -> None:
        """``unit`` is busy or off duty."""
        if self.members.pop(unit.index, None) is None:
            return
        left = self.kinds[unit.skills] - 1
        if left:
            self.kinds[unit.skills] = left
        else:
            del self.kinds[unit.skills]
        if self.moving.pop(unit.index, None) is not None:
            return  # its entry in arrivals is dropped when it comes up
        key, skills = self.filed.pop(unit.index)
        kinds = self.stations[key]
        del kinds[skills][0][unit.index]  # its index leaves the heap when it comes to the top
        if not kinds[skills][0]:
            del kinds[skills]
            if not kinds:
                del self.stations[key]
                cell = self._cell(key[0], key[1])
                del self.cells[cell][key]
                if not self.cells[cell]:
                    del self.cells[cell]

    def settle(self, now: float) -> None:
        """File the units that have finished driving home under their station."""
        arrivals = self.arrivals
        while arrivals and arrivals[0][0] <= now:
            when, index = arrivals[0]
            unit = self.moving.get(index)
            if unit is None or unit.arrival() != when:  # sent since, or on another drive
                heapq.heappop(arrivals)
            elif unit.standing(now) is None:
                return  # arrives within rounding of now: filed on a later look
            else:
                heapq.heappop(arrivals)
                del self.moving[index]
                self._file(unit, now)

    def soonest(self, fx: float, fy: float, now: float, need: int, pace: float,
                eta: Callable[[Station | None, Unit], float]) -> Iterator[tuple[float, int, Unit]]:
        """Idle candidates with any skill of ``need`` (all for need 0) as (ETA, index, unit), soonest first (ties by
        index), computed as far as the caller reads: ``eta(station, unit)`` is asked only for candidates that
        might come before those already found, ranked by ``pace`` (minutes per straight km no drive beats)."""
        self.settle(now)
        cell = self.cell
        ci, cj = math.floor(fx / cell), math.floor(fy / cell)
        pending: list[tuple[float, int, Station | None, Unit]] = []  # lower bound, order, station, unit
        order = itertools.count()
        for unit in self.moving.values():
            if not need or unit.skills & need:
                x, y, _ = unit.position(now)
                pending.append((pace * math.hypot(x - fx, y - fy) / unit.speed_factor, next(order), None, unit))
        heapq.heapify(pending)
        found: list[tuple[float, int, Unit]] = []
        seen: dict[Station, float] = {}
        ring, beyond, rings_done = 0, 0.0, not self.cells  # beyond: no station in rings >= ring is nearer
        while True:
            bound = pending[0][0] if pending else math.inf
            if not rings_done:
                bound = min(bound, beyond)
            if found and found[0][0] < bound:  # strictly: a candidate at the bound could tie with a lower index
                yield heapq.heappop(found)
                continue
            if pending and (rings_done or pending[0][0] <= beyond):
                _, _, key, unit = heapq.heappop(pending)
                if key is None:
                    t = eta(None, unit)
                else:
                    known = seen.get(key)
                    if known is None:
                        known = seen[key] = eta(key, unit)
                    t = known
                heapq.heappush(found, (t, unit.index, unit))
                continue
            if rings_done:
                if found:
                    yield heapq.heappop(found)
                    continue
                return
            if (2 * ring + 1) ** 2 >= len(self.cells):  # the square outgrows the cells in use: take them all
                cells = [c for c in self.cells if max(abs(c[0] - ci), abs(c[1] - cj)) >= ring]
                rings_done = True
            else:
                cells = ring_cells(ci, cj, ring)
            for c in cells:
                for key in self.cells.get(c, ()):
                    d = pace * math.hypot(key[0] - fx, key[1] - fy) / key[4]
                    for skills, (units, lowest) in self.stations[key].items():
                        if not need or skills & need:
                            while lowest[0] not in units:
                                heapq.heappop(lowest)
                            heapq.heappush(pending, (key[3] + d, next(order), key, units[lowest[0]]))
            ring += 1
            edge = min(fx - (ci - ring + 1) * cell, (ci + ring) * cell - fx, fy - (cj - ring + 1) * cell,
                       (cj + ring) * cell - fy)
            beyond = pace * max(edge, 0.0) / self.fastest


def _cell_km(faults: FaultTable) -> float:
    """Cells for the idle pools: the faults' extent in about 64 x 64 (at most 4,096 cells, so that a search that
    finds nobody near still looks at few), no smaller than 100 m."""
    if len(faults) == 0:
        return 1.0
    extent = max(float(np.ptp(faults.x)), float(np.ptp(faults.y)))
    return max(extent / 64.0, 0.1)


@dataclass(frozen=True)
class Policy:
    """How waiting faults are ordered (an ``Order`` of ``sim.engine.policies``), when a waiting fault is escalated
    (minutes since its report; None: never), how long a fault needing several specialists is held back before each
    goes as it comes free (minutes; inf: never), and which vans on their way may be diverted (a ``DivertRule``;
    None: none)."""

    order: Order = oldest
    escalate_after: float | None = None
    hold_back: float = 120.0
    divert: DivertRule | None = None


class DispatchCentre:
    """Keeps waiting faults and available units; assigns one to the other."""

    def __init__(self, env: simpy.Environment, faults: FaultTable, travel: Travel,
                 need_masks: list[int], records: Records, policy: Policy = Policy(),
                 typical_repair: np.ndarray | None = None, typical_travel: list[float] | None = None,
                 capable: dict[tuple[int, int], int] | None = None, van_types: frozenset[int] = frozenset(),
                 van_zones: frozenset[int] = frozenset(), van_restores: dict[int, float] | None = None):
        self.env, self.faults, self.travel, self.need_masks = env, faults, travel, need_masks
        self.records, self.policy = records, policy
        self.typical_repair = typical_repair if typical_repair is not None else faults.repair
        self.typical_travel = typical_travel or [0.0] * len(faults.zone_names)
        self.capable = capable or {}
        self.van_types, self.van_zones = van_types, van_zones
        self.van_restores = van_restores or {}  # fault types a van restores temporarily -> reconnection minutes
        self.switching: dict[int, tuple[float, float, int]] = {}  # fault type -> (share, minutes, skill mask)
        n, n_zones = len(faults), len(faults.zone_names)
        self.jobs: list[Job | None] = [None] * n
        self.crew_state = [NONE] * n
        self.van_state = [NONE] * n
        self.version = [0] * n
        self.where: list[tuple[int, int] | None] = [None] * n
        self.key: list[tuple[float, ...]] = [()] * n
        self.queues: dict[tuple[int, int], list[tuple[tuple[float, ...], int, int]]] = {}
        self.van_queues: list[list[tuple[tuple[float, ...], int, int]]] = [[] for _ in range(n_zones)]
        self.van_version = [0] * n
        self.partial = [self.policy.hold_back <= 0] * n  # specialists may go ahead of their partners
        self.pace = travel.pace_bound()
        cell = _cell_km(faults)
        self.idle: list[IdlePool] = [IdlePool(cell) for _ in range(n_zones)]
        self.idle_vans: list[IdlePool] = [IdlePool(cell) for _ in range(n_zones)]
        self.en_route_vans: dict[int, Unit] = {}
        self.waiting = 0  # faults with some crew skill still missing
        self.open = n  # faults not yet repaired
        self.all_repaired = env.event()
        if n == 0:
            self.all_repaired.succeed()
        self.on_backlog: Callable[[int], None] | None = None  # mutual aid's trigger
        self.fx, self.fy = faults.x.tolist(), faults.y.tolist()
        self.fzone, self.ftype = faults.zone.tolist(), faults.fault_type.tolist()

    # ------------------------------------------------------------ ordering

    def _key(self, fault: int, escalated: bool = False) -> tuple[float, ...]:
        return (0.0 if escalated else 1.0, *self.policy.order(self.faults, fault))

    def _push(self, fault: int, mask: int) -> None:
        self.version[fault] += 1
        key = (self.fzone[fault], mask)
        self.where[fault] = key
        heapq.heappush(self.queues.setdefault(key, []), (self.key[fault], self.version[fault], fault))

    def _head(self, key: tuple[int, int]) -> tuple[tuple[float, ...], int, int] | None:
        q = self.queues.get(key)
        while q:
            k, v, fault = q[0]
            if v == self.version[fault] and self.where[fault] == key and self.crew_state[fault] == WAITING:
                return q[0]
            heapq.heappop(q)
        return None

    def reprioritise(self, fault: int, escalated: bool = True) -> None:
        """Move a waiting fault ahead (escalation): it keeps its place among escalated faults by policy."""
        self.key[fault] = self._key(fault, escalated)
        where = self.where[fault]
        if self.crew_state[fault] == WAITING and where is not None:
            self._push(fault, where[1])
        if self.van_state[fault] == WAITING:
            self._push_van(fault)

    def reorder(self) -> None:
        """Take the waiting faults in the policy's order (switched by an emergency plan): each keyed again,
        escalated ones still first."""
        for fault, key in enumerate(self.key):
            if key and (self.crew_state[fault] == WAITING or self.van_state[fault] == WAITING):
                self.reprioritise(fault, escalated=key[0] == 0.0)

    # ------------------------------------------------------------ finding units

    def _eta(self, unit: Unit, fault: int, now: float) -> float:
        x, y, z = unit.position(now)
        return unit.callout_delay(now) + self.travel.estimate(x, y, z, self.fx[fault], self.fy[fault],
                                                            self.fzone[fault], now) / unit.speed_factor

    def _candidates(self, pool: IdlePool, fault: int, now: float, need: int) -> Iterator[tuple[float, int, Unit]]:
        """(ETA, index, unit) of idle candidates with any skill of ``need`` (all for need 0), soonest first, as far
        as the caller reads: one route per station where idle units stand, plus one per unit still driving."""
        fx, fy, zone = self.fx[fault], self.fy[fault], self.fzone[fault]
        estimate = self.travel.estimate

        def eta(key: Station | None, unit: Unit) -> float:
            if key is None:
                return self._eta(unit, fault, now)
            return key[3] + estimate(key[0], key[1], key[2], fx, fy, zone, now) / key[4]

        return pool.soonest(fx, fy, now, need, self.pace, eta)

    def _nearest(self, pool: IdlePool, fault: int, now: float, need: int,
                 full: bool) -> tuple[Unit | None, float]:
        """The soonest idle unit with every skill of ``need`` (``full``) or with any of them."""
        if pool.can(need, full):
            for t, _, unit in self._candidates(pool, fault, now, need):
                if not full or unit.skills & need == need:
                    return unit, t
        return None, math.inf

    def _assemble(self, pool: IdlePool, fault: int, now: float, need: int) -> tuple[Unit | None, float,
                                                                                     list[Unit], float, int]:
        """From the idle units: the soonest one with every skill, and the soonest set of units that together have
        them: (unit, its ETA, set, when the set's last is on site, skills the set lacks). A unit with every skill
        is looked for only as long as it could be on site no later than the set's last (what _crews compares)."""
        full, full_t = None, math.inf
        chosen: list[Unit] = []
        last = 0.0
        remaining = need
        if not pool.can(need, full=False):
            return full, full_t, chosen, last, remaining
        want_full = pool.can(need, full=True)
        lacking = need & ~pool.skills()  # no idle unit has these
        for t, _, unit in self._candidates(pool, fault, now, need):
            if not (remaining & ~lacking) and (not want_full or t > last):
                break
            if want_full and unit.skills & need == need:
                full, full_t, want_full = unit, t, False
            if remaining and unit.skills & remaining:
                chosen.append(unit)
                remaining &= ~unit.skills
                last = max(last, t)
        return full, full_t, chosen, last, remaining

    # ------------------------------------------------------------ events

    def report(self, fault: int, now: float) -> None:
        """A fault is reported: send units (crews, and a van where one can help), or queue it."""
        f, rec = self.faults, self.records
        zone, ftype = self.fzone[fault], self.ftype[fault]
        need = self.need_masks[ftype]
        after = self.policy.escalate_after  # a fault whose call took that long is escalated on arrival
        self.key[fault] = self._key(fault, after is not None and now - float(f.reported[fault]) >= after)
        van_able = ftype in self.van_types and zone in self.van_zones
        if van_able and bool(f.van_guess[fault]):
            van, eta_v = self._nearest(self.idle_vans[zone], fault, now, 0, full=True)
            crew, eta_c = self._nearest(self.idle[zone], fault, now, need, full=True)
            if van is not None and (crew is None or eta_v <= eta_c):
                rec.etr_report[fault] = now + eta_v + float(f.van_work[fault])
                self.crew_state[fault] = CLAIMED
                self._send_van(van, fault)
                return
            if crew is None and self._divert_van(fault, now):
                self.crew_state[fault] = CLAIMED
                return
        elif van_able:  # the van makes safe and may restore supply beside the crew
            van, _ = self._nearest(self.idle_vans[zone], fault, now, 0, full=True)
            if van is not None:
                self._send_van(van, fault)
            elif not self._divert_van(fault, now):
                self.van_state[fault] = WAITING
                self._push_van(fault)
        self._crews(fault, now, etr=True)

    def _crews(self, fault: int, now: float, etr: bool) -> None:
        """Send the crews: one unit with every skill, or several that together have them, whichever can start
        sooner; or queue the fault for what is missing. ``etr``: give the estimate at report."""
        f, rec = self.faults, self.records
        zone, ftype = self.fzone[fault], self.ftype[fault]
        need = self.need_masks[ftype]
        van_able = ftype in self.van_types and zone in self.van_zones
        crew, eta, group, sent_eta, remaining = self._assemble(self.idle[zone], fault, now, need)
        if crew is not None and (remaining or eta <= sent_eta):
            if etr:
                rec.etr_report[fault] = now + eta + self.typical_repair[fault]
            self._send(crew, fault)
            return
        if remaining and not self.partial[fault]:
            group, sent_eta = [], 0.0  # hold the specialists back until all the skills can go together
        for unit in group:
            self._send(unit, fault)
        if remaining:
            job = self.jobs[fault]
            missing = job.remaining if job is not None else need
            if etr:
                ahead = sum(1 for q in self.queues.get((zone, missing), []) if q[2] != fault)
                rec.etr_report[fault] = now + max(sent_eta, self.queue_wait(fault, ahead)
                                                  + self.typical_travel[zone]) + self.typical_repair[fault]
            self.crew_state[fault] = WAITING
            self.waiting += 1
            self._push(fault, missing)
            if van_able and bool(f.van_guess[fault]) and self.van_state[fault] == NONE:
                self.van_state[fault] = WAITING
                self._push_van(fault)
            if self.on_backlog is not None:
                self.on_backlog(self.waiting)
        elif etr:
            rec.etr_report[fault] = now + sent_eta + self.typical_repair[fault]

    def van_cannot_repair(self, fault: int) -> None:
        """A van sent to repair ``fault`` alone found on site that it cannot (the call's triage was wrong): the
        crews are needed after all, in the fault's place in line."""
        self.records.triage_miss[fault] = True
        self.crew_state[fault] = NONE
        self._crews(fault, self.env.now, etr=False)

    def release(self, fault: int) -> None:
        """The fault has waited ``hold_back`` for all its skills to be free together: from now on its specialists
        go as they come free and wait on site for each other; the idle ones go now."""
        if self.partial[fault]:
            return
        self.partial[fault] = True
        where = self.where[fault]
        if self.crew_state[fault] != WAITING or where is None:
            return
        zone, missing = where
        _, _, group, _, _ = self._assemble(self.idle[zone], fault, self.env.now, missing)
        if not group:
            return
        for unit in group:
            self._send(unit, fault)
        job = self.jobs[fault]
        if job is not None and job.remaining:
            self._push(fault, job.remaining)

    def queue_wait(self, fault: int, ahead: int) -> float:
        """The centre's rule of thumb for the wait of a queued fault: the faults ahead of it in its line and
        itself, each taking a typical drive and repair, shared among the units that could serve it."""
        zone, ftype = self.fzone[fault], self.ftype[fault]
        units = max(1, self.capable.get((zone, ftype), 1))
        return (ahead + 1) * (self.typical_travel[zone] + self.typical_repair[fault]) / units

    def _job(self, fault: int) -> Job:
        job = self.jobs[fault]
        if job is None:
            job = Job(fault, self.need_masks[self.ftype[fault]], self.env)
            self.jobs[fault] = job
        return job

    def _send(self, unit: Unit, fault: int) -> None:
        job = self._job(fault)
        job.join(unit)
        if self.crew_state[fault] == WAITING and job.remaining == 0:
            self.waiting -= 1
        if job.remaining == 0:
            self.crew_state[fault] = ASSIGNED
            self.where[fault] = None
        if self.van_state[fault] == WAITING and bool(self.faults.van_guess[fault]):
            self.van_state[fault] = NONE  # a crew has it: the van need not come
        self.make_unavailable(unit)
        unit.assign(job)

    def next_for(self, unit: Unit) -> Job | int | None:
        """Work for a unit that has come free (or on duty): a crew's job, a van's fault, or None. A job this unit
        cannot do alone is taken only with idle partners who have the rest of its skills (or once it has waited
        ``hold_back``): otherwise the unit takes other work and the job waits for its skills to be free together."""
        if unit.is_van:
            return self._next_van(unit)
        heads = sorted((head, key) for key in unit.queue_keys if (head := self._head(key)) is not None)
        for head, key in heads:
            fault = head[2]
            rest = key[1] & ~unit.skills
            partners: list[Unit] = []
            if rest and not self.partial[fault]:
                _, _, partners, _, lacking = self._assemble(self.idle[key[0]], fault, self.env.now, rest)
                if lacking:
                    continue
            heapq.heappop(self.queues[key])
            job = self._job(fault)
            job.join(unit)
            self.where[fault] = None
            if self.van_state[fault] == WAITING and bool(self.faults.van_guess[fault]):
                self.van_state[fault] = NONE
            for partner in partners:
                self._send(partner, fault)
            if job.remaining:
                self._push(fault, job.remaining)
            elif self.crew_state[fault] == WAITING:
                self.crew_state[fault] = ASSIGNED
                self.waiting -= 1
            return job
        return None

    def make_available(self, unit: Unit) -> None:
        """``unit`` waits for work (it checked next_for first)."""
        pool = self.idle_vans if unit.is_van else self.idle
        now = self.env.now
        for z in unit.serves:
            pool[z].add(unit, now)

    def make_unavailable(self, unit: Unit) -> None:
        """``unit`` is busy or off duty."""
        pool = self.idle_vans if unit.is_van else self.idle
        for z in unit.serves:
            pool[z].remove(unit)

    def repaired(self, fault: int) -> None:
        """The fault is repaired (by its crews or a van)."""
        self.open -= 1
        if self.van_state[fault] == WAITING:
            self.van_state[fault] = NONE
        if self.open == 0 and self.env.now >= float(self.faults.reported[-1]):
            self.all_repaired.succeed()

    # ------------------------------------------------------------ vans

    def _push_van(self, fault: int) -> None:
        self.van_version[fault] += 1
        heapq.heappush(self.van_queues[self.fzone[fault]], (self.key[fault], self.van_version[fault], fault))

    def _next_van(self, van: Unit) -> int | None:
        best, best_zone = None, -1
        for z in van.serves:
            q = self.van_queues[z]
            while q and (q[0][1] != self.van_version[q[0][2]] or self.van_state[q[0][2]] != WAITING):
                heapq.heappop(q)
            if q and (best is None or q[0][0] < best[0]):
                best, best_zone = q[0], z
        if best is None:
            return None
        heapq.heappop(self.van_queues[best_zone])
        fault = best[2]
        self._claim_for_van(fault)
        return fault

    def _claim_for_van(self, fault: int) -> None:
        self.van_state[fault] = ASSIGNED
        if bool(self.faults.van_guess[fault]) and self.crew_state[fault] == WAITING:
            job = self.jobs[fault]
            if job is None or not job.units:  # no crew has it yet: the van's work will be the repair
                self.crew_state[fault] = CLAIMED
                self.where[fault] = None
                self.waiting -= 1

    def _send_van(self, van: Unit, fault: int) -> None:
        self._claim_for_van(fault)
        self.make_unavailable(van)
        van.assign(fault)

    def _divert_van(self, fault: int, now: float) -> bool:
        """Divert a van already on its way elsewhere, if a rule allows it and it is the soonest; True if done."""
        rule = self.policy.divert
        if rule is None:
            return False
        best, best_t = None, math.inf
        for van in self.en_route_vans.values():
            if not rule(self.faults, van.target, fault):
                continue
            if self.fzone[fault] not in van.serves:
                continue
            t = self._eta(van, fault, now)
            if t < best_t:
                best, best_t = van, t
        if best is None:
            return False
        bumped = best.target
        self.van_state[bumped] = WAITING
        self._push_van(bumped)
        if bool(self.faults.van_guess[bumped]) and self.crew_state[bumped] == CLAIMED:
            self.crew_state[bumped] = WAITING  # its crews are needed again
            self.waiting += 1
            self._push(bumped, self.need_masks[self.ftype[bumped]])
        self.records.diverted[bumped] += 1
        self._claim_for_van(fault)
        best.divert(fault)
        return True
