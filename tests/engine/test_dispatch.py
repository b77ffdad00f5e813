"""sim.engine.dispatch: the real DispatchCentre with a few real units in a bare SimPy environment, wired as
sim.engine.model wires them (its arrival, escalation and hold-back release processes), on straight roads at
60 km/h (a km a minute, circuity 1), so every choice and time is worked out by hand: which unit goes where and
when, the order in which waiting faults are served, escalation, holding specialists back, diverting vans.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import simpy

from sim.engine.dispatch import DispatchCentre, Policy
from sim.engine.duty import Duty
from sim.engine.faults import FaultTable
from sim.engine.model import _arrivals, _escalation, _release, _submasks
from sim.engine.policies import DivertRule, Order, by_types, critical_first, most_customers, never, oldest, score
from sim.engine.records import TRAVEL, WAIT, Records, UnitInfo
from sim.engine.travel import StraightLineTravel
from sim.engine.units import Unit

LINE, CABLE = 0b01, 0b10


def fault_table(rows: list[dict[str, Any]]) -> FaultTable:
    """Faults from dicts: t (reported), x, y, repair; optional type (0), customers (100), critical (False),
    van_fix / van_guess (False), van_work (0). All in zone 0."""
    n = len(rows)

    def col(name: str, default: Any, dtype: Any) -> np.ndarray:
        return np.array([r.get(name, default) for r in rows], dtype)

    return FaultTable(reported=col("t", 0.0, float), zone=np.zeros(n, np.int32), fault_type=col("type", 0, np.int32),
                      x=col("x", 0.0, float), y=col("y", 0.0, float), repair=col("repair", 100.0, float),
                      customers=col("customers", 100, np.int64), zone_names=("urban",),
                      type_names=("fuse", "tree", "cable"), storm=np.full(n, -1, np.int32), origin=np.zeros(n, np.int8),
                      critical=col("critical", False, bool), van_fix=col("van_fix", False, bool),
                      van_work=col("van_work", 0.0, float), van_guess=col("van_guess", False, bool))


class World:
    """The dispatch centre of sim.engine.model over ``faults``, with units added by ``crew`` and ``van``; ``run``
    starts the model's arrival process (and its escalation and release processes when the policy asks)."""

    def __init__(self, rows: list[dict[str, Any]], needs: tuple[int, ...] = (LINE, LINE),
                 policy: Policy | None = None, van_types: frozenset[int] = frozenset()):
        self.env = simpy.Environment()
        self.faults = fault_table(rows)
        self.records = Records(0, self.faults, [])
        self.travel = StraightLineTravel(circuity=1.0, speed_kmh=[60.0])
        self.needs = list(needs)
        self.centre = DispatchCentre(self.env, self.faults, self.travel, self.needs, self.records, policy or Policy(),
                                     van_types=van_types, van_zones=frozenset({0}) if van_types else frozenset())
        self.units: list[Unit] = []

    def _add(self, kind: str, skills: int, home: tuple[float, float], **kw: Any) -> Unit:
        index = self.records.add_unit(UnitInfo(f"{kind}{len(self.units)}", "depot", kind, kind, ()))
        # as model._Builder: a crew reads the lines (zone, skills missing) it can help with
        keys = tuple((0, q) for q in _submasks(self.needs) if q & skills) if kind != "van" else ()
        u = Unit(self.env, index, skills, (0,), (home[0], home[1], 0), self.centre, self.travel, self.records,
                 kind=kind, queue_keys=keys, **kw)
        self.units.append(u)
        return u

    def crew(self, home: tuple[float, float] = (0.0, 0.0), skills: int = LINE, **kw: Any) -> Unit:
        return self._add("crew", skills, home, **kw)

    def van(self, home: tuple[float, float] = (0.0, 0.0), **kw: Any) -> Unit:
        return self._add("van", 0, home, **kw)

    def run(self, until: float = 10_000.0) -> Records:
        env, centre, policy = self.env, self.centre, self.centre.policy
        decided = self.faults.reported.copy()
        env.process(_arrivals(env, decided, centre))
        if policy.escalate_after is not None:
            env.process(_escalation(env, self.faults, centre, policy.escalate_after))
        if 0 < policy.hold_back < math.inf:
            env.process(_release(env, decided, centre, policy.hold_back))
        env.run(until=centre.all_repaired | env.timeout(until))
        assert centre.all_repaired.triggered, "some fault was never repaired"
        for u in self.units:
            u.finish(env.now)
        return self.records

    def sent(self) -> list[tuple[int, int, float]]:
        """(unit, fault, time) of every dispatch, in order."""
        return [(d[0], d[1], d[2]) for d in self.records.dispatches]


# ------------------------------------------------------------------ the nearest idle unit


def test_nearest_idle_unit_goes() -> None:
    """Crews at (0, 0) and (30, 0); a fault at (20, 0) reported at 1: 20 min for the first, 10 for the second,
    which goes: on site 11, repaired 111. The ETR at report: 1 + 10 + typical repair 100 = 111."""
    w = World([dict(t=1.0, x=20.0, y=0.0)])
    w.crew((0.0, 0.0))
    w.crew((30.0, 0.0))
    r = w.run()
    assert w.sent() == [(1, 0, 1.0)]
    assert (r.on_site[0], r.repaired[0]) == (11.0, 111.0)
    assert r.etr_report[0] == pytest.approx(111.0)


def test_nearest_by_eta_counts_the_callout() -> None:
    """The same, but the nearer crew is on call with a 30 min call-out: its ETA is 30 + 10 = 40 against 20 for
    the crew at (0, 0), which goes (on site 21)."""
    w = World([dict(t=1.0, x=20.0, y=0.0)])
    w.crew((0.0, 0.0))
    w.crew((30.0, 0.0), on_call=True, callout=30.0)
    r = w.run()
    assert w.sent() == [(0, 0, 1.0)]
    assert r.on_site[0] == 21.0


def test_nearest_by_eta_counts_the_speed_factor() -> None:
    """The nearer crew drives at a quarter of local speed: 10 km take it 40 min; the other's 20 min win."""
    w = World([dict(t=1.0, x=20.0, y=0.0)])
    w.crew((0.0, 0.0))
    w.crew((30.0, 0.0), speed_factor=0.25)
    w.run()
    assert w.sent() == [(0, 0, 1.0)]


def test_a_unit_without_the_skill_is_not_sent() -> None:
    """The nearer crew (10 min) is a cable crew; the fault needs line: the line crew 20 min away goes."""
    w = World([dict(t=1.0, x=20.0, y=0.0)], needs=(LINE, LINE | CABLE))
    w.crew((0.0, 0.0), LINE)
    w.crew((30.0, 0.0), CABLE)
    w.run()
    assert w.sent() == [(0, 0, 1.0)]


def test_equal_eta_goes_to_the_first_unit() -> None:
    """Crews at (0, 0) and (20, 0), the fault at (10, 0): 10 min each; the first unit (index 0) goes."""
    w = World([dict(t=1.0, x=10.0, y=0.0)])
    w.crew((0.0, 0.0))
    w.crew((20.0, 0.0))
    w.run()
    assert w.sent() == [(0, 0, 1.0)]


def test_a_unit_driving_home_is_sent_from_where_it_is() -> None:
    """Crew 0 at (0, 0), crew 1 at (45, 0). Fault 0 at (40, 0) at 0: crew 1 goes (5 min; repaired 105), then
    drives home, 105-110. Fault 1 at (42, 0) at 106, when crew 1 is 1 km on its way, at (41, 0): 1 min away,
    against 42 for crew 0. Crew 1 goes from there, on site 107."""
    w = World([dict(t=0.0, x=40.0, y=0.0), dict(t=106.0, x=42.0, y=0.0)])
    w.crew((0.0, 0.0))
    w.crew((45.0, 0.0))
    r = w.run()
    assert w.sent() == [(1, 0, 0.0), (1, 1, 106.0)]
    assert r.dispatches[1][3] == pytest.approx(41.0)
    assert r.on_site[1] == pytest.approx(107.0)


def test_busy_units_are_not_sent_and_the_fault_waits_for_the_first_free() -> None:
    """One crew at (0, 0). Fault 0 at (0, 10) at 0: on site 10, repaired 110. Fault 1 at (0, 10) at 5 waits; the
    crew takes it when free at 110, already there (0 km): repaired 210."""
    w = World([dict(t=0.0, x=0.0, y=10.0), dict(t=5.0, x=0.0, y=10.0)])
    w.crew()
    r = w.run()
    assert w.sent() == [(0, 0, 0.0), (0, 1, 110.0)]
    assert r.repaired.tolist() == [110.0, 210.0]


# ------------------------------------------------------------------ the order of waiting faults
#
# One crew at (0, 0); fault 0 at (0, 10) at time 0 keeps it busy until 110 (10 min drive, 100 min repair).
# Faults 1, 2, 3 are reported at 1, 2, 3 at the same place (0, 10), 100 min of repair each: the crew takes them
# one after the other from the same spot, at 110, 210 and 310, in the policy's order.

WAITING_ROWS = [dict(t=0.0, x=0.0, y=10.0),
                dict(t=1.0, x=0.0, y=10.0, customers=10, critical=False),
                dict(t=2.0, x=0.0, y=10.0, customers=500, critical=False),
                dict(t=3.0, x=0.0, y=10.0, customers=50, critical=True)]


def newest_first(faults: FaultTable, fault: int) -> tuple[float, ...]:
    """A planner's own order: the latest report first."""
    return (-float(faults.reported[fault]),)


@pytest.mark.parametrize(("order", "served"), [
    (oldest, [1, 2, 3]),  # report order
    (most_customers, [2, 3, 1]),  # 500, 50, 10 customers
    (critical_first, [3, 1, 2]),  # the critical one, then report order
    (score({"customers": 1.0, "critical": 1000.0}), [3, 2, 1]),  # scores 10, 500, 50 + 1000
    (newest_first, [3, 2, 1]),
], ids=["oldest", "most_customers", "critical_first", "score", "custom"])
def test_unit_coming_free_takes_the_waiting_fault_first_in_order(order: Order, served: list[int]) -> None:
    w = World(WAITING_ROWS, policy=Policy(order=order))
    w.crew()
    r = w.run()
    assert [f for _, f, _ in w.sent()] == [0, *served]
    assert [r.dispatched[f] for f in served] == [110.0, 210.0, 310.0]


def test_order_of_faults_waiting_when_units_come_on_duty() -> None:
    """No crew on duty until 50: the four faults above all wait (customers 100, 10, 500, 50). Two crews at (0, 0)
    come on at 50 and take the first two by most customers: fault 2 (500), then fault 0 (100). Both come free
    at 50 + 10 + 100 = 160 at (0, 10) and take fault 3 (50), then fault 1 (10)."""
    w = World(WAITING_ROWS, policy=Policy(order=most_customers))
    w.crew(duty=Duty([(50.0, math.inf)]))
    w.crew(duty=Duty([(50.0, math.inf)]))
    r = w.run()
    assert [f for _, f, _ in w.sent()] == [2, 0, 3, 1]
    assert r.dispatched.tolist() == [50.0, 160.0, 50.0, 160.0]


# ------------------------------------------------------------------ escalation


@pytest.mark.parametrize(("escalate_after", "dispatched"), [(None, [0.0, 310.0, 210.0]),
                                                            (60.0, [0.0, 210.0, 310.0])])
def test_escalation_moves_a_long_waiting_fault_ahead(escalate_after: float | None, dispatched: list[float]) -> None:
    """Most customers first. One crew, busy with fault 0 at (0, 10) until 10 + 200 = 210. Fault 1 (10 customers)
    reported at 1, fault 2 (500 customers) at 180, both at (0, 10), 100 min repairs. Without escalation the crew
    takes fault 2 at 210, then fault 1 at 310. Escalated after 60 min, fault 1 goes ahead at 61 (fault 2 would be
    escalated only at 240, after the crew chose at 210): fault 1 at 210, fault 2 at 310."""
    w = World([dict(t=0.0, x=0.0, y=10.0, repair=200.0), dict(t=1.0, x=0.0, y=10.0, customers=10),
               dict(t=180.0, x=0.0, y=10.0, customers=500)],
              policy=Policy(order=most_customers, escalate_after=escalate_after))
    w.crew()
    r = w.run()
    assert r.dispatched.tolist() == dispatched


def test_escalated_faults_keep_the_policy_order_among_themselves() -> None:
    """As above but fault 2 reported at 100: it too is escalated (at 160) before the crew comes free at 210, and
    among escalated faults most customers goes first: fault 2 at 210, fault 1 at 310."""
    w = World([dict(t=0.0, x=0.0, y=10.0, repair=200.0), dict(t=1.0, x=0.0, y=10.0, customers=10),
               dict(t=100.0, x=0.0, y=10.0, customers=500)],
              policy=Policy(order=most_customers, escalate_after=60.0))
    w.crew()
    r = w.run()
    assert r.dispatched.tolist() == [0.0, 310.0, 210.0]


# ------------------------------------------------------------------ holding specialists back
#
# Fault types: 0 needs a line crew, 1 needs a line crew and a cable crew. A line crew and a cable crew, both at
# (0, 0). Fault 0 (line) at (0, 10) at 0 keeps the line crew busy until 110. Fault 1 (line + cable) at (0, 20),
# 100 min of repair, is reported at 1 while only the cable crew is free.

SPECIALIST_ROWS = [dict(t=0.0, x=0.0, y=10.0, type=0), dict(t=1.0, x=0.0, y=20.0, type=1)]


def specialists(hold_back: float) -> World:
    w = World(SPECIALIST_ROWS, needs=(LINE, LINE | CABLE), policy=Policy(hold_back=hold_back))
    w.crew(skills=LINE)
    w.crew(skills=CABLE)
    w.run()
    return w


def test_hold_back_forever_sends_the_specialists_only_together() -> None:
    """Never released: the cable crew is not sent at 1; when the line crew comes free at 110 both go, the line
    crew from (0, 10) (10 km, on site 120), the cable crew from home (20 km, on site 130): the repair runs
    130-230. The line crew waits 10 min on site."""
    w = specialists(math.inf)
    r = w.records
    assert w.sent() == [(0, 0, 0.0), (0, 1, 110.0), (1, 1, 110.0)]
    assert (r.first_on_site[1], r.on_site[1], r.repaired[1]) == (120.0, 130.0, 230.0)
    assert r.waited == [10.0, 0.0]


def test_hold_back_released_sends_the_free_specialist_to_wait_on_site() -> None:
    """Held back 50 min from the decision at 1: the cable crew goes at 51 (on site 71) and waits for the line
    crew, which comes at 110 from (0, 10) (on site 120): the repair runs 120-220; the cable crew waited 49 min."""
    w = specialists(50.0)
    r = w.records
    assert w.sent() == [(0, 0, 0.0), (1, 1, 51.0), (0, 1, 110.0)]
    assert (r.first_on_site[1], r.on_site[1], r.repaired[1]) == (71.0, 120.0, 220.0)
    assert r.waited == [0.0, 49.0]
    assert (1, 1, WAIT, 71.0, 120.0) in [a[:5] for a in r.activities]


def test_no_hold_back_sends_the_free_specialist_at_once() -> None:
    """hold_back 0: the cable crew goes at 1 (on site 21) and waits 99 min for the line crew (on site 120)."""
    w = specialists(0.0)
    r = w.records
    assert w.sent() == [(0, 0, 0.0), (1, 1, 1.0), (0, 1, 110.0)]
    assert (r.first_on_site[1], r.on_site[1], r.repaired[1]) == (21.0, 120.0, 220.0)
    assert r.waited == [0.0, 99.0]


# A third fault type needs a cable crew alone. Fault 1 (cable) at (0, 10) at 0.5, 200 min of repair, keeps the
# cable crew busy until 10.5 + 200 = 210.5; fault 2 (line + cable) at (0, 20) at 1 finds no one idle; fault 3
# (line) at (0, 5) at 2 waits behind it for the line crew, free at 110.

BUSY_ROWS = [dict(t=0.0, x=0.0, y=10.0, type=0), dict(t=0.5, x=0.0, y=10.0, type=2, repair=200.0),
             dict(t=1.0, x=0.0, y=20.0, type=1), dict(t=2.0, x=0.0, y=5.0, type=0)]


def test_held_back_specialist_takes_other_work_meanwhile() -> None:
    """Held back forever. At 110 the line crew reads fault 2 first (older) but its cable partner is busy: it
    takes fault 3 instead, from (0, 10): 5 km, on site 115, repaired 215. The cable crew, free at 210.5, finds
    its partner busy and drives home. At 215 the line crew takes fault 2 with the cable crew (then at (0, 5.5),
    4.5 km into its drive home) as partner: line from (0, 5), 15 km, on site 230; cable 14.5 km, on site 229.5;
    repair 230-330."""
    w = World(BUSY_ROWS, needs=(LINE, LINE | CABLE, CABLE), policy=Policy(hold_back=math.inf))
    w.crew(skills=LINE)
    w.crew(skills=CABLE)
    r = w.run()
    assert w.sent() == [(0, 0, 0.0), (1, 1, 0.5), (0, 3, 110.0), (0, 2, 215.0), (1, 2, 215.0)]
    assert (r.on_site[3], r.repaired[3]) == (115.0, 215.0)
    assert r.dispatches[4][3:5] == (0.0, pytest.approx(5.5))
    assert (r.first_on_site[2], r.on_site[2], r.repaired[2]) == (229.5, 230.0, 330.0)


def test_without_hold_back_the_first_specialist_goes_and_waits() -> None:
    """hold_back 0: at 110 the line crew takes fault 2 (older than fault 3) alone and waits on site from 120;
    the cable crew, free at 210.5, joins from (0, 10) (10 km, on site 220.5); repair 220.5-320.5. Fault 3 waits
    for the line crew until 320.5: from (0, 20), 15 km, on site 335.5, repaired 435.5."""
    w = World(BUSY_ROWS, needs=(LINE, LINE | CABLE, CABLE), policy=Policy(hold_back=0.0))
    w.crew(skills=LINE)
    w.crew(skills=CABLE)
    r = w.run()
    assert w.sent() == [(0, 0, 0.0), (1, 1, 0.5), (0, 2, 110.0), (1, 2, 210.5), (0, 3, 320.5)]
    assert (r.first_on_site[2], r.on_site[2], r.repaired[2]) == (120.0, 220.5, 320.5)
    assert r.waited[0] == pytest.approx(100.5)
    assert (r.on_site[3], r.repaired[3]) == (335.5, 435.5)


@pytest.mark.parametrize(("team_home", "sent"), [((0.0, 30.0), [(0, 0), (1, 0)]), ((0.0, 8.0), [(2, 0)])])
def test_one_unit_with_every_skill_or_several_together_whichever_starts_sooner(
        team_home: tuple[float, float], sent: list[tuple[int, int]]) -> None:
    """A line + cable fault at (0, 0) at 1; a line crew 5 km away, a cable crew 10 km away (together on site at
    11), an integrated team (both skills). The team 30 km away (on site 31) loses to the pair; 8 km away (on site
    9) it goes alone."""
    w = World([dict(t=1.0, type=1)], needs=(LINE, LINE | CABLE))
    w.crew((0.0, 5.0), LINE)
    w.crew((0.0, 10.0), CABLE)
    w.crew(team_home, LINE | CABLE)
    r = w.run()
    assert sorted((u, f) for u, f, _ in w.sent()) == sent
    assert r.on_site[0] == (11.0 if len(sent) == 2 else 9.0)


# ------------------------------------------------------------------ vans
#
# A van at (0, 0), no crews. Fault 0 (type 0, "fuse") at (0, 50) at 0: the van's light work (30 min) is the
# repair and the centre knows it; the van goes, due on site at 50. Fault 1 (type 1, "tree") at (0, 20) at 10, the
# same kind of van job, finds no idle van: the van, at (0, 10) then, may be diverted to it if the rule allows.

VAN_ROWS = [dict(t=0.0, x=0.0, y=50.0, type=0, van_fix=True, van_guess=True, van_work=30.0),
            dict(t=10.0, x=0.0, y=20.0, type=1, van_fix=True, van_guess=True, van_work=30.0)]


def more_customers(faults: FaultTable, heading_to: int, new: int) -> bool:
    """A planner's own rule: divert to a fault with more customers out."""
    return bool(faults.customers[new] > faults.customers[heading_to])


def vans(divert: DivertRule | None, customers: tuple[int, int] = (100, 100)) -> World:
    rows = [dict(r, customers=c) for r, c in zip(VAN_ROWS, customers, strict=True)]
    w = World(rows, needs=(LINE, LINE), policy=Policy(divert=divert), van_types=frozenset({0, 1}))
    w.van()
    w.run()
    return w


def test_van_diverted_when_the_rule_allows() -> None:
    """Fuse -> tree allowed: at 10 the van, at (0, 10), turns to fault 1 (10 km: on site 20, repaired 50), then
    takes fault 0 back from (0, 20): 30 km, on site 80, repaired 110. Its first drive is logged cut short, 0-10,
    10 km, under no fault (job -1: the dispatch log leaves its actual minutes NaN)."""
    w = vans(by_types(((frozenset({0}), frozenset({1})),)))
    r = w.records
    assert w.sent() == [(0, 0, 0.0), (0, 1, 10.0), (0, 0, 50.0)]
    assert r.diverted.tolist() == [1, 0]
    assert (r.van_on_site[1], r.repaired[1]) == (20.0, 50.0)
    assert (r.van_on_site[0], r.repaired[0]) == (80.0, 110.0)
    assert bool(r.van_repaired[0]) and bool(r.van_repaired[1])
    travel = [(a[1], a[3], a[4], a[9]) for a in r.activities if a[2] == TRAVEL]
    assert travel[0] == (-1, 0.0, 10.0, pytest.approx(10.0))


@pytest.mark.parametrize("divert", [by_types(((frozenset({1}), frozenset({0})),)), never, None],
                         ids=["tree->fuse only", "never", "no rule"])
def test_van_not_diverted_when_no_rule_allows(divert: DivertRule | None) -> None:
    """No diversion: the van repairs fault 0 (on site 50, done 80), then fault 1 from there (30 km: on site 110,
    done 140)."""
    w = vans(divert)
    r = w.records
    assert w.sent() == [(0, 0, 0.0), (0, 1, 80.0)]
    assert r.diverted.tolist() == [0, 0]
    assert r.repaired.tolist() == [80.0, 140.0]


@pytest.mark.parametrize(("customers", "diverted"), [((100, 500), [1, 0]), ((500, 100), [0, 0])])
def test_van_divert_by_a_planners_rule(customers: tuple[int, int], diverted: list[int]) -> None:
    """The rule ``more_customers``: fault 1 with 500 customers against 100 takes the van (as above: fault 1
    repaired at 50, fault 0 at 110); with 100 against 500 it does not (80, 140)."""
    w = vans(more_customers, customers)
    r = w.records
    assert r.diverted.tolist() == diverted
    assert r.repaired.tolist() == ([110.0, 50.0] if diverted[0] else [80.0, 140.0])
