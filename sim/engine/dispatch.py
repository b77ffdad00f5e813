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
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from sim.engine.faults import FaultTable
from sim.engine.jobs import ASSIGNED, CLAIMED, NONE, WAITING, Job
from sim.engine.policies import DivertRule, Order, oldest
from sim.engine.records import Records
from sim.engine.travel import Travel
from sim.engine.units import Unit


class IdlePool:
    """The idle units that may serve one zone, indexed so that finding the soonest costs per place, not per unit:
    units standing still are grouped by (place, call-out, speed) and skills; identical units standing together are
    interchangeable, so one of each kind per place is a candidate. Units still driving home are kept apart and
    filed under their place once they have arrived."""

    def __init__(self) -> None:
        self.members: dict[int, Unit] = {}
        self.stations: dict[tuple[float, float, int, float, float], dict[int, dict[int, Unit]]] = {}
        self.moving: dict[int, Unit] = {}
        self.filed: dict[int, tuple[tuple[float, float, int, float, float], int]] = {}

    def __contains__(self, index: int) -> bool:
        return index in self.members

    def __len__(self) -> int:
        return len(self.members)

    def add(self, unit: Unit, now: float) -> None:
        """``unit`` is idle and may be sent from here."""
        self.members[unit.index] = unit
        self._file(unit, now)

    def _file(self, unit: Unit, now: float) -> None:
        at = unit.standing(now)
        if at is None:
            self.moving[unit.index] = unit
            return
        key = (at[0], at[1], at[2], unit.callout_delay(now), unit.speed_factor)
        self.stations.setdefault(key, {}).setdefault(unit.skills, {})[unit.index] = unit
        self.filed[unit.index] = (key, unit.skills)

    def remove(self, unit: Unit) -> None:
        """``unit`` is busy or off duty."""
        if self.members.pop(unit.index, None) is None:
            return
        if self.moving.pop(unit.index, None) is not None:
            return
        key, skills = self.filed.pop(unit.index)
        kinds = self.stations[key]
        del kinds[skills][unit.index]
        if not kinds[skills]:
            del kinds[skills]
            if not kinds:
                del self.stations[key]

    def settle(self, now: float) -> None:
        """File the units that have finished driving home under their place."""
        for index in [i for i, u in self.moving.items() if u.standing(now) is not None]:
            self._file(self.moving.pop(index), now)

    def candidates(self) -> list[tuple[tuple[float, float, int, float, float] | None, Unit]]:
        """One unit of each kind at each place (key), and every unit still driving (key None)."""
        out: list[tuple[tuple[float, float, int, float, float] | None, Unit]] = []
        for key, kinds in self.stations.items():
            for units in kinds.values():
                out.append((key, units[min(units)]))
        out += [(None, u) for u in self.moving.values()]
        return out


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
        self.idle: list[IdlePool] = [IdlePool() for _ in range(n_zones)]
        self.idle_vans: list[IdlePool] = [IdlePool() for _ in range(n_zones)]
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

    def _candidates(self, pool: IdlePool, fault: int, now: float, need: int) -> list[tuple[float, int, Unit]]:
        """(ETA, index, unit) of idle candidates with any skill of ``need`` (all for need 0), soonest first: one
        distance per place where idle units stand, plus one per unit still driving."""
        fx, fy, zone = self.fx[fault], self.fy[fault], self.fzone[fault]
        travel = self.travel
        pool.settle(now)
        shared: dict[tuple[float, float, int, float, float], float] = {}
        out = []
        for key, unit in pool.candidates():
            if need and not unit.skills & need:
                continue
            if key is not None:
                t = shared.get(key)
                if t is None:
                    t = key[3] + travel.estimate(key[0], key[1], key[2], fx, fy, zone, now) / key[4]
                    shared[key] = t
            else:
                t = self._eta(unit, fault, now)
            out.append((t, unit.index, unit))
        out.sort()  # by ETA, then index (unique, so units themselves are never compared)
        return out

    def _nearest(self, pool: IdlePool, fault: int, now: float, need: int,
                 full: bool) -> tuple[Unit | None, float]:
        """The soonest idle unit with every skill of ``need`` (``full``) or with any of them."""
        for t, _, unit in self._candidates(pool, fault, now, need):
            if not full or unit.skills & need == need:
                return unit, t
        return None, math.inf

    @staticmethod
    def _assemble(candidates: list[tuple[float, int, Unit]], need: int) -> tuple[Unit | None, float, list[Unit],
                                                                                  float, int]:
        """From idle candidates (soonest first): the soonest unit with every skill, and the soonest set of units
        that together have them: (unit, its ETA, set, when the set's last is on site, skills the set lacks)."""
        full, full_t = None, math.inf
        chosen: list[Unit] = []
        last = 0.0
        remaining = need
        for t, _, unit in candidates:
            if full is None and unit.skills & need == need:
                full, full_t = unit, t
            if remaining and unit.skills & remaining:
                chosen.append(unit)
                remaining &= ~unit.skills
                last = max(last, t)
            if full is not None and not remaining:
                break
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
        crew, eta, group, sent_eta, remaining = self._assemble(self._candidates(self.idle[zone], fault, now, need),
                                                              need)
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
        _, _, group, _, _ = self._assemble(self._candidates(self.idle[zone], fault, self.env.now, missing),
                                           missing)
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
                _, _, partners, _, lacking = self._assemble(
                    self._candidates(self.idle[key[0]], fault, self.env.now, rest), rest)
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
