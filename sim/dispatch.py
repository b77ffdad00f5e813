"""The dispatch centre: which unit goes to which fault, and what a freed unit does next.

Rule ``nearest_idle_then_oldest``: a new fault goes to the idle capable unit that can be there soonest (idle
units returning to their depot count, from where they are now); if none is idle it waits. A unit that comes free
takes the oldest waiting fault it can serve. Waiting faults are kept in one FIFO per (zone, fault type), so a
freed unit looks at the heads of the few queues it can serve and never scans the backlog.

Estimated restoration times (ETR) are what the centre would tell customers from what it knows: when a fault is
reported, the drive of the unit sent (or, if it must wait, a rule of thumb for the queue ahead of it) plus the
typical repair of its type; when a unit is sent, the re-estimate from that unit's drive.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from sim.faults import FaultTable
from sim.travel import StraightLineTravel

if TYPE_CHECKING:
    from sim.records import Records
    from sim.units import Unit


class DispatchCentre:
    """Keeps waiting faults and idle units; assigns one to the other."""

    def __init__(self, faults: FaultTable, travel: StraightLineTravel, need_masks: list[int],
                 records: Records | None = None, typical_repair: np.ndarray | None = None,
                 typical_travel: list[float] | None = None, capable: dict[tuple[int, int], int] | None = None):
        self.faults = faults
        self.travel = travel
        self.need_masks = need_masks
        self.records = records
        # what the dispatch centre knows for its estimated restoration times (ETR): the typical repair of each
        # fault, the typical drive into each zone, and how many units could serve each (zone, type)
        self.typical_repair = typical_repair if typical_repair is not None else faults.repair
        self.typical_travel = typical_travel or [0.0] * len(faults.zone_names)
        self.capable = capable or {}
        n_zones, n_types = len(faults.zone_names), len(faults.type_names)
        self.queues: dict[tuple[int, int], deque[int]] = {
            (z, t): deque() for z in range(n_zones) for t in range(n_types)}
        self.idle: list[dict[int, Unit]] = [{} for _ in range(n_zones)]

    def queues_for(self, unit: Unit) -> list[deque[int]]:
        """The waiting lines ``unit`` may take work from: zones it serves, fault types it has the skills for."""
        return [q for (z, t), q in self.queues.items()
                if z in unit.serves and unit.skills & self.need_masks[t] == self.need_masks[t]]

    def report(self, fault: int, now: float) -> None:
        """A fault is reported: send the soonest idle capable unit, or queue the fault."""
        f = self.faults
        zone, need = int(f.zone[fault]), self.need_masks[f.fault_type[fault]]
        fx, fy = f.x[fault], f.y[fault]
        best, best_t = None, math.inf
        for unit in self.idle[zone].values():
            if unit.skills & need != need:
                continue
            x, y, uz = unit.position(now)
            t = self.travel.minutes(self.travel.distance(x, y, fx, fy), uz, zone)
            if t < best_t:
                best, best_t = unit, t
        if best is None:
            queue = self.queues[(zone, int(f.fault_type[fault]))]
            if self.records is not None:
                self.records.etr_report[fault] = now + self.queue_wait(fault, len(queue)) \
                    + self.typical_travel[zone] + self.typical_repair[fault]
            queue.append(fault)
            return
        if self.records is not None:
            self.records.etr_report[fault] = now + best_t + self.typical_repair[fault]
        self._take(best)
        best.assign(fault)

    def queue_wait(self, fault: int, ahead: int) -> float:
        """The centre's rule of thumb for the wait of a queued fault: the faults ahead of it in its line and
        itself, each taking a typical drive and repair, shared among the units that could serve it."""
        f = self.faults
        zone, ftype = int(f.zone[fault]), int(f.fault_type[fault])
        units = max(1, self.capable.get((zone, ftype), 1))
        return (ahead + 1) * (self.typical_travel[zone] + self.typical_repair[fault]) / units

    def next_job(self, unit: Unit) -> int | None:
        """``unit`` has finished: hand it the oldest fault it can serve, or mark it idle and return None."""
        oldest: deque[int] | None = None
        for q in unit.queues:
            if q and (oldest is None or q[0] < oldest[0]):
                oldest = q
        if oldest is not None:
            return oldest.popleft()  # fault ids follow report order, so the smallest is the oldest
        for z in unit.serves:
            self.idle[z][unit.index] = unit
        return None

    def _take(self, unit: Unit) -> None:
        for z in unit.serves:
            del self.idle[z][unit.index]
