"""Repair units: one long-lived SimPy process each, which waits for a job, drives, repairs and comes free.

An idle unit drives back to its depot. That drive needs no simulation event: its position is a function of time,
so the dispatch centre can send it on from wherever it is, and the return leg is logged when it ends or is cut.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from sim.dispatch import DispatchCentre
from sim.records import RETURN, TRAVEL, WORK, Records
from sim.travel import StraightLineTravel


class Unit:
    """A crew with its skills (bit mask), home depot and the zones it serves."""

    def __init__(self, env: simpy.Environment, index: int, skills: int, serves: tuple[int, ...],
                 home: tuple[float, float, int], centre: DispatchCentre, travel: StraightLineTravel,
                 records: Records):
        self.env, self.index, self.skills, self.serves = env, index, skills, serves
        self.home = home
        self.centre, self.travel, self.records = centre, travel, records
        self.queues = centre.queues_for(self)
        self.x, self.y, self.zone = home
        self._leg: tuple[float, float, float, int, float, float] | None = None  # t0, x0, y0, zone0, minutes, km
        self._wake = env.event()
        for z in serves:
            centre.idle[z][index] = self
        env.process(self._run())

    def position(self, now: float) -> tuple[float, float, int]:
        """Where the unit is at ``now``: x, y (km) and zone index (of the nearer end while driving home)."""
        if self._leg is None:
            return self.x, self.y, self.zone
        t0, x0, y0, z0, dur, _ = self._leg
        frac = self._done(now)
        hx, hy, hz = self.home
        return x0 + (hx - x0) * frac, y0 + (hy - y0) * frac, (z0 if frac < 0.5 else hz)

    def _done(self, now: float) -> float:
        """Share of the drive home covered at ``now``."""
        assert self._leg is not None
        t0, dur = self._leg[0], self._leg[4]
        return 1.0 if now - t0 >= dur else (now - t0) / dur

    def assign(self, fault: int) -> None:
        """Send this (idle) unit to ``fault``; called by the dispatch centre."""
        self._wake.succeed(fault)

    def finish(self) -> None:
        """End of run: log a return leg still under way as completed."""
        if self._leg is not None:
            t0, x0, y0, _, dur, km = self._leg
            self.records.activity(self.index, -1, RETURN, t0, t0 + dur, x0, y0, self.home[0], self.home[1], km)
            self._leg = None
            self.x, self.y, self.zone = self.home

    def _stop_return(self, now: float) -> None:
        if self._leg is None:
            return
        t0, x0, y0, _, dur, km = self._leg
        x, y, z = self.position(now)
        frac = self._done(now)
        self.records.activity(self.index, -1, RETURN, t0, min(now, t0 + dur), x0, y0, x, y, km * frac)
        self._leg = None
        self.x, self.y, self.zone = x, y, z

    def _start_return(self, now: float) -> None:
        hx, hy, hz = self.home
        km = self.travel.distance(self.x, self.y, hx, hy)
        if km > 0:
            self._leg = (now, self.x, self.y, self.zone, self.travel.minutes(km, self.zone, hz), km)

    def _run(self) -> Generator[simpy.Event, Any, None]:
        env, f, rec, travel = self.env, self.centre.faults, self.records, self.travel
        job: int | None = None
        while True:
            if job is None:
                job = yield self._wake
                self._wake = env.event()
            now = env.now
            self._stop_return(now)
            fx, fy, fz = f.x[job], f.y[job], int(f.zone[job])
            km = travel.distance(self.x, self.y, fx, fy)
            minutes = travel.minutes(km, self.zone, fz)
            rec.dispatched[job] = now
            rec.unit[job] = self.index
            rec.etr_dispatch[job] = now + minutes + self.centre.typical_repair[job]
            if minutes > 0:
                yield env.timeout(minutes)
            rec.activity(self.index, job, TRAVEL, now, env.now, self.x, self.y, fx, fy, km)
            self.x, self.y, self.zone = fx, fy, fz
            start = env.now
            rec.on_site[job] = start
            rec.repair_start[job] = start
            yield env.timeout(f.repair[job])
            rec.restored[job] = env.now
            rec.activity(self.index, job, WORK, start, env.now, fx, fy, fx, fy, 0.0)
            job = self.centre.next_job(self)
            if job is None:
                self._start_return(env.now)
