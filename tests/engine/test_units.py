"""sim.engine.units: one or two units in a bare SimPy environment, with a fake dispatch centre (the ``Centre``
protocol and nothing more) and straight-line travel at 60 km/h (a km a minute, circuity 1), so every time is
worked out by hand: the drive, the repair, the return home, duty hours, turnout and call-out, rest.

The fake centre hands work out in the order it came: a fault reported while a unit is idle goes to it at once,
otherwise it waits in a list the unit reads when it asks for its next work (``next_for``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import pytest
import simpy

from sim.engine.duty import Duty
from sim.engine.faults import FaultTable
from sim.engine.jobs import NONE, Job
from sim.engine.records import CALLOUT, RETURN, TRAVEL, TURNOUT, WAIT, WORK, Records, UnitInfo
from sim.engine.travel import StraightLineTravel
from sim.engine.units import Centre, Unit

LINE, CABLE = 0b01, 0b10


def fault_table(*rows: tuple[float, float, float, float]) -> FaultTable:
    """Faults (reported, x, y, repair minutes), all in zone 0, of type 0."""
    n = len(rows)
    col = np.array(rows, float).reshape(n, 4)
    return FaultTable(reported=col[:, 0], zone=np.zeros(n, np.int32), fault_type=np.zeros(n, np.int32),
                      x=col[:, 1], y=col[:, 2], repair=col[:, 3], customers=np.full(n, 100, np.int64),
                      zone_names=("urban",), type_names=("fault",), storm=np.full(n, -1, np.int32),
                      origin=np.zeros(n, np.int8), critical=np.zeros(n, bool), van_fix=np.zeros(n, bool),
                      van_work=np.zeros(n), van_guess=np.zeros(n, bool))


class FakeCentre:
    """The ``Centre`` protocol of sim.engine.units, with the simplest dispatching: a reported fault goes to the
    first idle unit, or waits first come, first served for the next unit to ask."""

    def __init__(self, env: simpy.Environment, faults: FaultTable, needs: int = LINE):
        self.env, self.faults, self.needs = env, faults, needs
        self.typical_repair = faults.repair
        self.switching: dict[int, Any] = {}
        self.van_restores: dict[int, float] = {}
        self.crew_state = [NONE] * len(faults)
        self.van_state = [NONE] * len(faults)
        self.en_route_vans: dict[int, Unit] = {}
        self.idle: list[Any] = [set()]
        self.idle_vans: list[Any] = [set()]
        self.units: list[Unit] = []
        self.waiting: list[int] = []
        self.repairs: list[tuple[float, int]] = []
        self.availability: list[tuple[float, int, bool]] = []  # (time, unit, available)

    def job(self, fault: int) -> Job:
        return Job(fault, self.needs, self.env)

    def next_for(self, unit: Unit) -> Job | int | None:
        if not self.waiting:
            return None
        job = self.job(self.waiting.pop(0))
        job.join(unit)
        return job

    def make_available(self, unit: Unit) -> None:
        self.idle[0].add(unit.index)
        self.availability.append((self.env.now, unit.index, True))

    def make_unavailable(self, unit: Unit) -> None:
        self.idle[0].discard(unit.index)
        self.availability.append((self.env.now, unit.index, False))

    def repaired(self, fault: int) -> None:
        self.repairs.append((self.env.now, fault))

    def van_cannot_repair(self, fault: int) -> None:
        raise AssertionError("no vans here")

    def report(self, fault: int) -> None:
        free = [u for u in self.units if u.index in self.idle[0]]
        if not free:
            self.waiting.append(fault)
            return
        self.send(fault, free[0])

    def send(self, fault: int, *units: Unit) -> Job:
        job = self.job(fault)
        for unit in units:
            job.join(unit)
            self.make_unavailable(unit)
            unit.assign(job)
        return job


def test_fake_centre_follows_the_protocol() -> None:
    """The fake has every member of the protocol (so these tests break, rather than pass on stale ground, when
    the protocol grows)."""
    env = simpy.Environment()
    centre: Centre = FakeCentre(env, fault_table())
    members = set(Centre.__annotations__) | {n for n in vars(Centre) if not n.startswith("_")}
    assert {"faults", "next_for", "make_available", "repaired"} <= members
    assert all(hasattr(centre, name) for name in members)


class World:
    """An environment, faults, records, travel at 60 km/h and a fake centre; units added with ``unit``."""

    def __init__(self, *rows: tuple[float, float, float, float], needs: int = LINE):
        self.env = simpy.Environment()
        self.faults = fault_table(*rows)
        self.records = Records(0, self.faults, [])
        self.travel = StraightLineTravel(circuity=1.0, speed_kmh=[60.0])
        self.centre = FakeCentre(self.env, self.faults, needs)

    def unit(self, home: tuple[float, float] = (0.0, 0.0), skills: int = LINE, **kw: Any) -> Unit:
        index = self.records.add_unit(UnitInfo(f"u{len(self.records.units)}", "depot", "crew", "crew", ("line",)))
        u = Unit(self.env, index, skills, (0,), (home[0], home[1], 0), self.centre, self.travel, self.records,
                 **kw)
        self.centre.units.append(u)
        return u

    def at(self, t: float, action: Callable[[], Any]) -> None:
        def run() -> Generator[simpy.Event, Any, None]:
            yield self.env.timeout(t - self.env.now)
            action()
        self.env.process(run())

    def report_all(self) -> None:
        """Each fault reported to the fake centre at its time."""
        for fault, t in enumerate(self.faults.reported.tolist()):
            self.at(t, functools.partial(self.centre.report, fault))

    def run(self, until: float) -> None:
        self.env.run(until=until)
        for u in self.centre.units:
            u.finish(self.env.now)

    def activities(self, unit: int = 0) -> list[tuple[str, int, float, float, float]]:
        """(kind, fault, start, end, km) of ``unit``'s activities, in time order."""
        rows = [(a[2], a[1], a[3], a[4], a[9]) for a in self.records.activities if a[0] == unit]
        return sorted(rows, key=lambda r: (r[2], r[3]))


def approx_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(pytest.approx(v) if isinstance(v, float) else v for v in r) for r in rows]


# ------------------------------------------------------------------ one fault, one unit


def test_drive_repair_and_return_home() -> None:
    """Unit at home (0, 0); a fault at (30, 40), 50 km away, 100 min of repair, reported at 10.
    By hand: sent at 10, on site at 10 + 50 = 60, repaired at 160, back home at 160 + 50 = 210."""
    w = World((10.0, 30.0, 40.0, 100.0))
    w.unit()
    w.report_all()
    w.run(until=500)
    r = w.records
    assert (r.dispatched[0], r.first_on_site[0], r.on_site[0], r.repair_start[0], r.repaired[0], r.restored[0]) \
        == (10.0, 60.0, 60.0, 60.0, 160.0, 160.0)
    assert r.unit[0] == 0 and r.units_sent[0] == 1
    assert w.centre.repairs == [(160.0, 0)]
    assert w.activities() == approx_rows([(TRAVEL, 0, 10.0, 60.0, 50.0), (WORK, 0, 60.0, 160.0, 0.0),
                                          (RETURN, -1, 160.0, 210.0, 50.0)])
    # the dispatch log: from home, 50 km, 50 min expected; the ETR at dispatch: 10 + 50 + typical 100 = 160
    assert r.dispatches == [(0, 0, 10.0, 0.0, 0.0, pytest.approx(50.0), pytest.approx(50.0))]
    assert r.etr_dispatch[0] == pytest.approx(160.0)


def test_position_is_a_function_of_time() -> None:
    """Same trip: halfway to the fault at 35 min (15, 20); on site from 60 to 160; halfway home at 185; home
    from 210. The unit is idle (available to the centre) from 160 while it drives home."""
    w = World((10.0, 30.0, 40.0, 100.0))
    u = w.unit()
    w.report_all()
    seen: dict[float, tuple[float, float, int]] = {}

    def look() -> None:
        seen[w.env.now] = u.position(w.env.now)

    for t in (0.0, 35.0, 100.0, 185.0, 300.0):
        w.at(t, look)
    w.env.run(until=400)
    assert seen == {0.0: (0.0, 0.0, 0), 35.0: (pytest.approx(15.0), pytest.approx(20.0), 0),
                    100.0: (30.0, 40.0, 0), 185.0: (pytest.approx(15.0), pytest.approx(20.0), 0),
                    300.0: (0.0, 0.0, 0)}
    assert w.centre.availability == [(0.0, 0, True), (10.0, 0, False), (160.0, 0, True)]
    assert u.standing(185.0) is None and u.standing(210.0) == (0.0, 0.0, 0)


def test_unit_sent_on_while_driving_home_starts_from_where_it_is() -> None:
    """Second fault at (15, 0) reported at 185, when the unit is halfway home at (15, 20): 20 km, on site 205,
    repaired 305, home (15 km) at 320. The drive home is logged cut short: 160 to 185, 25 of its 50 km."""
    w = World((10.0, 30.0, 40.0, 100.0), (185.0, 15.0, 0.0, 100.0))
    w.unit()
    w.report_all()
    w.run(until=500)
    r = w.records
    assert (r.dispatched[1], r.on_site[1], r.repaired[1]) == (185.0, pytest.approx(205.0), pytest.approx(305.0))
    assert r.dispatches[1][2:5] == (185.0, pytest.approx(15.0), pytest.approx(20.0))
    assert w.activities()[2:] == approx_rows([(RETURN, -1, 160.0, 185.0, 25.0), (TRAVEL, 1, 185.0, 205.0, 20.0),
                                              (WORK, 1, 205.0, 305.0, 0.0), (RETURN, -1, 305.0, 320.0, 15.0)])


def test_fault_reported_while_busy_waits_for_the_unit_to_come_free() -> None:
    """Second fault at (0, 10) reported at 20, while the unit drives to the first: it waits, and the unit takes it
    when it comes free at 160, from the first fault's site (30, 40): hypot(30, 30) = 42.43 km, on site 202.43,
    repaired 302.43; no drive home in between."""
    w = World((10.0, 30.0, 40.0, 100.0), (20.0, 0.0, 10.0, 100.0))
    w.unit()
    w.report_all()
    w.run(until=600)
    r = w.records
    d = math.hypot(30, 30)
    assert (r.dispatched[1], r.on_site[1], r.repaired[1]) == (160.0, pytest.approx(160 + d), pytest.approx(260 + d))
    assert [a[0] for a in w.activities()] == [TRAVEL, WORK, TRAVEL, WORK, RETURN]


def test_work_speed_and_speed_factor() -> None:
    """work_speed 0.5 doubles the 100 min repair; speed_factor 0.5 (a crew from away) doubles the 50 min drive,
    also in what the centre expects: sent at 10, on site 110, repaired 310."""
    w = World((10.0, 30.0, 40.0, 100.0))
    w.unit(work_speed=0.5, speed_factor=0.5)
    w.report_all()
    w.run(until=600)
    r = w.records
    assert (r.on_site[0], r.repaired[0]) == (pytest.approx(110.0), pytest.approx(310.0))
    assert r.dispatches[0][6] == pytest.approx(100.0)


# ------------------------------------------------------------------ duty hours


def test_unit_off_duty_does_not_go_until_its_duty_starts() -> None:
    """On duty from 60: the fault reported at 10 waits; the unit takes it at 60 (on site 110, repaired 210). It
    was not available to the centre before 60."""
    w = World((10.0, 30.0, 40.0, 100.0))
    w.unit(duty=Duty([(60.0, math.inf)]))
    w.report_all()
    w.run(until=500)
    r = w.records
    assert (r.dispatched[0], r.on_site[0], r.repaired[0]) == (60.0, 110.0, 210.0)
    assert w.centre.availability[0] == (210.0, 0, True)  # never idle before: it went straight to work at 60
    assert r.duty[0] == [[60.0, 500.0, 0.0]]  # closed at the end of the run


def test_unit_going_off_duty_leaves_the_idle_list_and_no_later_fault_is_served() -> None:
    """On duty 0-100: idle from 0, off at 100 (duty period 0-100); a fault at 150 is never served."""
    w = World((150.0, 30.0, 40.0, 100.0))
    u = w.unit(duty=Duty([(0.0, 100.0)]))
    w.report_all()
    w.run(until=1000)
    assert w.centre.availability == [(0.0, 0, True), (100.0, 0, False)]
    assert w.records.duty[0] == [[0.0, 100.0, 0.0]]
    assert math.isnan(w.records.dispatched[0]) and w.centre.waiting == [0]
    assert not u.process.is_alive  # no duty ahead: its process has ended


def test_daily_shift() -> None:
    """A 07:00-15:00 shift (420-900 min after midnight, minute 0 at midnight): the fault reported at 10 goes at
    420; the unit goes off at 900, comes back at 1440 + 420 = 1860."""
    w = World((10.0, 30.0, 40.0, 100.0))
    w.unit(duty=Duty([(0.0, math.inf)], shift=(420.0, 900.0), day0=0.0))
    w.report_all()
    w.run(until=2000)
    r = w.records
    assert (r.dispatched[0], r.repaired[0]) == (420.0, 570.0)
    assert r.duty[0][:2] == [[420.0, 900.0, 0.0], [1860.0, 2000.0, 0.0]]


def test_job_past_the_end_of_duty_is_finished_on_overtime() -> None:
    """On duty 0-100; the job sent at 10 ends at 160: 60 min of overtime, and the duty period runs to 160."""
    w = World((10.0, 30.0, 40.0, 100.0))
    w.unit(duty=Duty([(0.0, 100.0)]))
    w.report_all()
    w.run(until=1000)
    r = w.records
    assert r.repaired[0] == 160.0
    assert r.overtime[0] == pytest.approx(60.0)
    assert r.duty[0] == [[0.0, 160.0, 0.0]]


def test_after_overtime_the_next_shift_starts_from_home() -> None:
    """Shift 00:00-02:00 daily. First fault at (30, 40) sent at 10, repaired at 160 (40 min overtime). Second
    fault at (30, 0), reported at 1000 while off duty, is taken when the next shift starts at 1440: from home
    (0, 0) it is 30 km, on site at 1470 (from the first fault's site it would be 40 km, 1480)."""
    w = World((10.0, 30.0, 40.0, 100.0), (1000.0, 30.0, 0.0, 100.0))
    w.unit(duty=Duty([(0.0, math.inf)], shift=(0.0, 120.0), day0=0.0))
    w.report_all()
    w.run(until=2000)
    r = w.records
    assert r.dispatched[1] == 1440.0
    assert r.dispatches[1][3:5] == (0.0, 0.0)
    assert r.on_site[1] == pytest.approx(1470.0)


# ------------------------------------------------------------------ turnout and call-out


def test_turnout_from_home_only() -> None:
    """Turnout 5 min. First fault sent at 10 from home: turnout 10-15, on site 65, repaired 165; the ETR at
    dispatch counts it (10 + 5 + 50 + 100 = 165). Second fault at (15, 0) sent at 190, when the unit is halfway
    home at (15, 20) (the drive home is 165-215): no turnout, on site 190 + 20 = 210."""
    w = World((10.0, 30.0, 40.0, 100.0), (190.0, 15.0, 0.0, 100.0))
    w.unit(turnout=5.0)
    w.report_all()
    w.run(until=600)
    r = w.records
    assert (r.on_site[0], r.repaired[0], r.etr_dispatch[0]) == (65.0, 165.0, pytest.approx(165.0))
    assert (r.dispatched[1], r.on_site[1]) == (190.0, pytest.approx(210.0))
    kinds = [(a[0], a[2], a[3]) for a in w.activities()]
    assert kinds[:2] == [(TURNOUT, 10.0, 15.0), (TRAVEL, 15.0, 65.0)]
    assert TURNOUT not in [k for k, *_ in kinds[2:]]
    assert r.callouts[0] == 0


def test_on_call_callout_from_home_only() -> None:
    """On call with a 30 min call-out (it replaces the 5 min turnout). Fault 0 at (30, 40) at 10 from home:
    call-out 10-40, on site 90, repaired 190 (home at 240). Fault 1 at (15, 0) at 215, the unit halfway home at
    (15, 20): no call-out, on site 235, repaired 335, home (15 km) at 350. Fault 2 at (0, 10) at 1000, from home:
    call-out 1000-1030, on site 1040, repaired 1140. Two call-outs; paid work on call: 180 + 120 + 140 = 440."""
    w = World((10.0, 30.0, 40.0, 100.0), (215.0, 15.0, 0.0, 100.0), (1000.0, 0.0, 10.0, 100.0))
    w.unit(on_call=True, callout=30.0, turnout=5.0)
    w.report_all()
    w.run(until=2000)
    r = w.records
    assert r.on_site.tolist() == pytest.approx([90.0, 235.0, 1040.0])
    assert r.repaired.tolist() == pytest.approx([190.0, 335.0, 1140.0])
    assert [(a[0], a[1], a[2], a[3]) for a in w.activities() if a[0] in (CALLOUT, TURNOUT)] == \
        [(CALLOUT, 0, 10.0, 40.0), (CALLOUT, 2, 1000.0, 1030.0)]
    assert r.callouts[0] == 2
    assert r.on_call_work[0] == pytest.approx(440.0)
    assert r.duty[0][0][2] == 1.0  # the duty period is on call
    assert r.etr_dispatch[0] == pytest.approx(10 + 30 + 50 + 100)


def test_on_call_unit_back_home_is_called_out_again() -> None:
    """The same unit standing at home after its drive back (arrived at 240): fault 1 at 250 from home is a
    call-out again (250-280, 50 km, on site 330)."""
    w = World((10.0, 30.0, 40.0, 100.0), (250.0, 30.0, 40.0, 100.0))
    w.unit(on_call=True, callout=30.0)
    w.report_all()
    w.run(until=1000)
    assert w.records.on_site[1] == pytest.approx(330.0)
    assert w.records.callouts[0] == 2


# ------------------------------------------------------------------ fatigue


def test_max_hours_then_rest() -> None:
    """max_hours 120 min, rest 480. On duty from 0; the job sent at 10 ends at 160, 160 min after going on duty
    (>= 120): the unit rests until 160 + 480 = 640, driving home meanwhile (160-210). Fault 1 at (30, 40),
    reported at 200, waits: the unit takes it at 640 from home, on site 690, repaired 790."""
    w = World((10.0, 30.0, 40.0, 100.0), (200.0, 30.0, 40.0, 100.0))
    w.unit(max_hours=120.0, rest=480.0)
    w.report_all()
    w.run(until=700)
    r = w.records
    assert r.duty[0][:2] == [[0.0, 160.0, 0.0], [640.0, 700.0, 0.0]]
    assert (r.dispatched[1], r.on_site[1]) == (640.0, 690.0)
    assert r.dispatches[1][3:5] == (0.0, 0.0)
    assert (RETURN, -1, 160.0, 210.0, pytest.approx(50.0)) in w.activities()
    assert (160.0, 0, True) not in w.centre.availability  # not offered to the centre while resting


def test_below_max_hours_no_rest() -> None:
    """max_hours 200: the job ends 160 min after going on duty, under 200: no rest, the waiting fault goes at
    160 straight from the first site (same place: on site at 160, repaired 260)."""
    w = World((10.0, 30.0, 40.0, 100.0), (100.0, 30.0, 40.0, 100.0))
    w.unit(max_hours=200.0, rest=480.0)
    w.report_all()
    w.run(until=700)
    r = w.records
    assert (r.dispatched[1], r.on_site[1], r.repaired[1]) == (160.0, 160.0, 260.0)
    assert len(r.duty[0]) == 1


# ------------------------------------------------------------------ two units on one job


def test_two_specialists_wait_for_each_other() -> None:
    """A line crew at (0, 0) and a cable crew (work speed 0.5) at (10, 0), both sent at 0 to a fault at (3, 4)
    needing both, 60 min of repair. The line crew is on site at 5, the cable crew at hypot(7, 4) = 8.062; the
    repair starts then and goes at the slower speed: 60 / 0.5 = 120 min, done at 128.062. The line crew logs a
    wait of 3.062 min and both log the work 8.062-128.062; both come free at 128.062."""
    w = World((0.0, 3.0, 4.0, 60.0), needs=LINE | CABLE)
    line = w.unit((0.0, 0.0), LINE)
    cable = w.unit((10.0, 0.0), CABLE, work_speed=0.5)
    w.at(0.0, lambda: w.centre.send(0, line, cable))
    w.run(until=500)
    r = w.records
    second = math.hypot(7, 4)
    assert (r.first_on_site[0], r.on_site[0], r.repaired[0]) == (5.0, pytest.approx(second),
                                                                  pytest.approx(second + 120))
    assert r.units_sent[0] == 2 and r.unit[0] == 0
    assert r.waited == [pytest.approx(second - 5), 0.0]
    for u in (0, 1):
        assert (WORK, 0, pytest.approx(second), pytest.approx(second + 120), 0.0) in w.activities(u)
    assert (WAIT, 0, 5.0, pytest.approx(second), 0.0) in w.activities(0)
    assert not any(a[0] == WAIT for a in w.activities(1))
    freed = [(t, u) for t, u, avail in w.centre.availability if avail and t > 0]
    assert freed == [(pytest.approx(second + 120), 1), (pytest.approx(second + 120), 0)] or \
        freed == [(pytest.approx(second + 120), 0), (pytest.approx(second + 120), 1)]
    assert w.centre.repairs == [(pytest.approx(second + 120), 0)]
