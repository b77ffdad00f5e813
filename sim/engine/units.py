"""Repair units: one long-lived SimPy process each (a crew, an integrated team, a van), which keeps its duty
hours, waits for work, drives, waits for the rest of its job's units, repairs and comes free.

An idle unit drives back to its depot (or a van to its nearest staging point). That drive needs no simulation
event: its position is a function of time, so the dispatch centre can send it on from wherever it is. Vans are
tracked the same way while they drive to a fault, so a van can be diverted en route.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any, Protocol

import simpy

from sim.engine.duty import Duty
from sim.engine.faults import FaultTable
from sim.engine.jobs import CLAIMED, NONE, Job
from sim.engine.records import CALLOUT, RETURN, TRAVEL, TURNOUT, WAIT, WORK, Records
from sim.engine.travel import Travel

Leg = tuple[float, float, float, int, float, float, int, float, float]  # t0, x0, y0, z0, x1, y1, z1, minutes, km


class Centre(Protocol):
    """What a unit asks of its dispatch centre (``sim.engine.dispatch.DispatchCentre``): its next work, to be
    filed as idle or taken off that list, and the state of the faults it works on. A protocol, so the centre can
    know units and units need not know the centre's class."""

    faults: FaultTable
    typical_repair: Any
    switching: dict[int, Any]
    van_restores: dict[int, float]
    crew_state: list[int]
    van_state: list[int]
    en_route_vans: dict[int, Unit]
    idle: list[Any]
    idle_vans: list[Any]

    def next_for(self, unit: Unit) -> Job | int | None: ...
    def make_available(self, unit: Unit) -> None: ...
    def make_unavailable(self, unit: Unit) -> None: ...
    def repaired(self, fault: int) -> None: ...
    def van_cannot_repair(self, fault: int) -> None: ...


class Unit:
    """A unit with its skills (bit mask), home, the zones it serves, its duty hours and how it works."""

    def __init__(self, env: simpy.Environment, index: int, skills: int, serves: tuple[int, ...],
                 home: tuple[float, float, int], centre: Centre, travel: Travel,
                 records: Records, duty: Duty | None = None, kind: str = "crew", queue_keys: tuple = (),
                 work_speed: float = 1.0, speed_factor: float = 1.0, on_call: bool = False, callout: float = 0.0,
                 max_hours: float | None = None, rest: float = 480.0,
                 staging: tuple[tuple[float, float, int], ...] = (), turnout: float = 0.0):
        self.env, self.index, self.skills, self.serves = env, index, skills, serves
        self.home = home
        self.depot = home
        self.centre, self.travel, self.records = centre, travel, records
        self.duty = duty or Duty([(0.0, math.inf)])
        self.is_van = kind == "van"
        self.queue_keys = queue_keys
        self.work_speed, self.speed_factor = work_speed, speed_factor
        self.on_call, self.callout, self.turnout = on_call, callout, turnout
        self.max_hours, self.rest = max_hours, rest
        self.staging = staging
        self.x, self.y, self.zone = home
        self._leg: Leg | None = None
        self._leg_kind = RETURN
        self._wake = env.event()
        self.target = -1  # the fault a van is driving to
        self.on_since: float | None = None
        self.rest_until = -math.inf
        self.job_start: float | None = None  # when the job under way began (or its on-call part, see plans)
        self.process = env.process(self._run())

    # ------------------------------------------------------------ where

    def position(self, now: float) -> tuple[float, float, int]:
        """Where the unit is at ``now``: x, y (km) and zone index (of the nearer end while driving)."""
        if self._leg is None:
            return self.x, self.y, self.zone
        t0, x0, y0, z0, x1, y1, z1, dur, _ = self._leg
        if dur <= 0 or now - t0 >= dur:
            return x1, y1, z1
        frac = (now - t0) / dur
        return x0 + (x1 - x0) * frac, y0 + (y1 - y0) * frac, (z0 if frac < 0.5 else z1)

    def standing(self, now: float) -> tuple[float, float, int] | None:
        """Where the unit stands at ``now``, or None while it is driving."""
        leg = self._leg
        if leg is None:
            return self.x, self.y, self.zone
        if now - leg[0] >= leg[7]:
            return leg[4], leg[5], leg[6]
        return None

    def arrival(self) -> float:
        """When the current drive ends (now or before if standing)."""
        leg = self._leg
        return -math.inf if leg is None else leg[0] + leg[7]

    def callout_delay(self, now: float) -> float:
        """Minutes before this unit can leave when sent at ``now``: from home (its depot, or a van's staging
        point), an on-call unit's call-out delay, any other's turnout; none for a unit already out (on its way
        back from a job, or standing anywhere but home)."""
        delay = self.callout if self.on_call and self.callout > 0 else self.turnout
        if delay <= 0:
            return 0.0
        return delay if self.standing(now) == self._home_now() else 0.0

    def _end_leg(self, now: float, job: int = -1, arrived: bool = False) -> None:
        """Close the current leg at ``now`` (complete, or cut short unless ``arrived``) and log it."""
        if self._leg is None:
            return
        t0, x0, y0, _, x1, y1, z1, dur, km = self._leg
        x, y, z = (x1, y1, z1) if arrived else self.position(now)
        frac = 1.0 if arrived or dur <= 0 or now - t0 >= dur else (now - t0) / dur
        self.records.activity(self.index, job, self._leg_kind, t0, min(now, t0 + dur), x0, y0, x, y, km * frac)
        self._leg = None
        self.x, self.y, self.zone = x, y, z

    def _drive_home(self, now: float) -> None:
        hx, hy, hz = self._home_now()
        if (hx, hy) != (self.x, self.y):
            km, minutes, _ = self.travel.trip(self.x, self.y, self.zone, hx, hy, hz, now)
            self._leg = (now, self.x, self.y, self.zone, hx, hy, hz, minutes / self.speed_factor, km)
            self._leg_kind = RETURN

    def _home_now(self) -> tuple[float, float, int]:
        if self.is_van and self.staging:
            return min(self.staging, key=lambda p: (p[0] - self.x) ** 2 + (p[1] - self.y) ** 2)
        return self.home

    def set_home(self, home: tuple[float, float, int]) -> None:
        """Move the unit's base (pre-staging); an idle unit drives there from where it is."""
        self.home = home
        pools = self.centre.idle_vans if self.is_van else self.centre.idle
        if any(self.index in pool for pool in pools):
            now = self.env.now
            self.centre.make_unavailable(self)  # re-filed under its new place
            self._end_leg(now)
            self._drive_home(now)
            self.centre.make_available(self)

    def finish(self, end: float) -> None:
        """End of run at ``end``: log a drive home still under way as completed, and close the duty period."""
        if self._leg is not None:
            self._end_leg(self._leg[0] + self._leg[7])
        if self.on_since is not None:
            self.records.duty_end(self.index, max(end, self.on_since))

    # ------------------------------------------------------------ orders from the dispatch centre

    def assign(self, work: Job | int) -> None:
        """Send this available unit to a job (a crew) or a fault (a van)."""
        self._wake.succeed(work)

    def divert(self, fault: int) -> None:
        """Send this van, driving to another fault, to ``fault`` instead."""
        self.process.interrupt(fault)

    # ------------------------------------------------------------ the process

    def _run(self) -> Generator[simpy.Event, Any, None]:
        env, rec = self.env, self.records
        while True:
            on, until = self.duty.status(env.now)
            if env.now < self.rest_until:
                on, until = False, self.rest_until
            if not on:
                if self.on_since is not None:
                    rec.duty_end(self.index, env.now)
                    self.on_since = None
                if self._leg is None:  # a job ran past the shift: the crew goes home, as after a fatigue rest starts
                    self._drive_home(env.now)
                if until == math.inf:
                    return
                yield env.timeout(until - env.now)
                continue
            if self.on_since is None:
                self.on_since = env.now
                rec.duty_start(self.index, env.now, self.on_call)
            work = self.centre.next_for(self)
            if work is None:
                if self._leg is None:
                    self._drive_home(env.now)
                self.centre.make_available(self)
                timer = env.timeout(until - env.now) if until < math.inf else None
                yield (self._wake | timer) if timer is not None else self._wake
                if not self._wake.triggered:
                    self.centre.make_unavailable(self)
                    continue
                work = self._wake.value
                self._wake = env.event()
            shift_end = until
            start = self.job_start = env.now
            if self.is_van:
                assert isinstance(work, int)
                yield from self._van_job(work)
            else:
                assert isinstance(work, Job)
                yield from self._crew_job(work)
            if env.now > shift_end:
                rec.overtime[self.index] += env.now - max(shift_end, start)
            if self.on_call:  # paid in full, not at the stand-by rate (its overtime part is in the job's time)
                rec.on_call_work[self.index] += env.now - self.job_start
            self.job_start = None
            if self.max_hours is not None and self.on_since is not None and env.now - self.on_since >= self.max_hours:
                self.rest_until = env.now + self.rest  # fatigue: off duty to rest, then back to its shift
                self._drive_home(env.now)

    def _drive_to(self, fault: int, job_for_log: int, etr: bool = False) -> Generator[simpy.Event, Any, float]:
        """Call-out delay if on call, then the drive to ``fault``; returns the minutes the drive took. With
        ``etr``, the fault's first unit sets the re-estimated restoration time (call-out, drive, typical repair)."""
        env, rec, f = self.env, self.records, self.centre.faults
        callout = self.callout_delay(env.now)
        if etr and math.isnan(rec.etr_dispatch[fault]):
            x, y, z = self.position(env.now)
            rec.etr_dispatch[fault] = env.now + callout + self.travel.estimate(
                x, y, z, float(f.x[fault]), float(f.y[fault]), int(f.zone[fault]), env.now) \
                / self.speed_factor + self.centre.typical_repair[fault]
        if callout > 0:
            self._end_leg(env.now)
            t0 = env.now
            yield env.timeout(callout)
            called = self.on_call and self.callout > 0
            rec.activity(self.index, job_for_log, CALLOUT if called else TURNOUT, t0, env.now, self.x, self.y,
                         self.x, self.y, 0.0)
            if called:
                rec.callouts[self.index] += 1
        now = env.now
        self._end_leg(now)
        fx, fy, fz = float(f.x[fault]), float(f.y[fault]), int(f.zone[fault])
        expected = self.travel.estimate(self.x, self.y, self.zone, fx, fy, fz, now) / self.speed_factor
        km, minutes, cause = self.travel.trip(self.x, self.y, self.zone, fx, fy, fz, now)
        minutes /= self.speed_factor
        if cause:
            rec.special_cause[fault] = cause
        rec.dispatch(self.index, fault, now, self.x, self.y, km, expected)
        self._leg = (now, self.x, self.y, self.zone, fx, fy, fz, minutes, km)
        self._leg_kind = TRAVEL
        if minutes > 0:
            yield env.timeout(minutes)
        self._end_leg(env.now, fault, arrived=True)
        self.x, self.y, self.zone = fx, fy, fz
        return env.now - now

    def _crew_job(self, job: Job) -> Generator[simpy.Event, Any, None]:
        env, rec, f = self.env, self.records, self.centre.faults
        fault = job.fault
        if math.isnan(rec.dispatched[fault]):
            rec.dispatched[fault] = env.now
            rec.unit[fault] = self.index
        rec.units_sent[fault] += 1
        yield from self._drive_to(fault, fault, etr=True)
        now = env.now
        if not rec.first_on_site[fault] <= now:
            rec.first_on_site[fault] = now
        switching = self.centre.switching.get(int(f.fault_type[fault]))
        if switching is not None and self.skills & switching[2] and not rec.switched[fault] <= now + switching[1]:
            rec.switched[fault] = now + switching[1]  # isolated and part of the customers switched over
            rec.switched_customers[fault] = round(switching[0] * int(f.customers[fault]))
        if job.arrive():  # every skill is on site
            rec.on_site[fault] = now
            rec.repair_start[fault] = now
            job.start()
            yield env.timeout(float(f.repair[fault]) / job.speed())
            rec.repaired[fault] = env.now
            if not rec.restored[fault] <= env.now:
                rec.restored[fault] = env.now
            self.centre.repaired(fault)
            job.finish()
        else:
            if not job.is_started:
                yield job.when_started()
                if env.now > now:  # arriving together is no wait
                    rec.activity(self.index, fault, WAIT, now, env.now, self.x, self.y, self.x, self.y, 0.0)
                    rec.waited[self.index] += env.now - now
            yield job.when_done()
        rec.activity(self.index, fault, WORK, float(rec.repair_start[fault]), env.now, self.x, self.y, self.x,
                     self.y, 0.0)

    def _van_job(self, fault: int) -> Generator[simpy.Event, Any, None]:
        env, rec, f, centre = self.env, self.records, self.centre.faults, self.centre
        while True:  # a diversion restarts the drive towards the new fault
            self.target = fault
            if math.isnan(rec.dispatched[fault]):
                rec.dispatched[fault] = env.now
                rec.unit[fault] = self.index
            rec.units_sent[fault] += 1
            centre.en_route_vans[self.index] = self
            try:
                yield from self._drive_to(fault, fault)
            except simpy.Interrupt as interrupt:
                self._end_leg(env.now)  # logged as a cut-short drive
                fault = int(interrupt.cause)  # type: ignore[arg-type]
                continue
            finally:
                centre.en_route_vans.pop(self.index, None)
            break
        self.target = -1
        now = env.now
        rec.van_on_site[fault] = now
        if not rec.repaired[fault] <= now:  # the crew may have finished first
            if not rec.first_on_site[fault] <= now:
                rec.first_on_site[fault] = now
            yield env.timeout(float(f.van_work[fault]))
            rec.activity(self.index, fault, WORK, now, env.now, self.x, self.y, self.x, self.y, 0.0)
            claimed = centre.crew_state[fault] == CLAIMED and not rec.repaired[fault] <= env.now
            if claimed and bool(f.van_fix[fault]):  # the van repaired it: all the repair needed was on site
                rec.on_site[fault] = now
                rec.repair_start[fault] = now
                rec.repaired[fault] = env.now
                rec.van_repaired[fault] = True
                centre.repaired(fault)
                if not rec.restored[fault] <= env.now:
                    rec.restored[fault] = env.now
            else:
                if claimed:  # sent to repair it alone, it cannot: the crews are needed after all
                    centre.van_cannot_repair(fault)
                if int(f.fault_type[fault]) in centre.van_restores and not rec.restored[fault] <= env.now:
                    rec.restored[fault] = env.now  # supply back temporarily; the crew is still to come
                    rec.temp_restored[fault] = env.now
                    rec.reconnect[fault] = centre.van_restores[int(f.fault_type[fault])]
        centre.van_state[fault] = NONE
