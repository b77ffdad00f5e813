"""Emergency plans (sim.engine.plans), critical customers' own limits and prevention's price: designed cases with
hand-computed times and costs for each action and trigger."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim
from sim.engine.duty import Duty
from sim.engine.plans import _hold
from sim.scenario.plans import YEAR, Programme, season_cost

LINE = [{"name": "line", "skills": ["line"], "count": 1}]


def designed(tmp_path: Path, rows: list[tuple[float, float, int]], units: list[dict[str, Any]] | None = None,
             **extra: Any) -> sim.Scenario:
    """One urban zone [0, 100] x [0, 100] km, units at (0, 0) driving 1 km a minute, repairs of 100 min; faults
    replayed from ``rows`` (minute after midnight, x, customers) on the line y = 0."""
    lines = ["time_out,x_km,y_km,customers"] + [
        f"{np.datetime64('2026-06-01T00:00') + np.timedelta64(int(t * 60), 's')},{x},0,{c}".replace("T", " ")
        for t, x, c in rows]
    (tmp_path / "log.csv").write_text("\n".join(lines) + "\n")
    sc = {"name": "designed", "start": "2026-06-01", "horizon": "2 d", "replications": 1,
          "zones": {"urban": {"speed_kmh": 60, "area": {"box": [0, 0, 100, 100]}, "customers": 1000}},
          "fault_types": {"fault": {"skills": ["line"], "repair": 100}},
          "arrivals": {"replay": {"log": "log.csv", "mix": {"fault": 1},
                                  "columns": {"duration_h": None, "longitude": None, "latitude": None,
                                              "x_km": "x_km", "y_km": "y_km", "customers": "customers"}}},
          "depots": {"d": {"zone": "urban", "location": [0, 0], "units": copy.deepcopy(units or LINE)}},
          "travel": {"circuity": 1.0}}
    sc.update(extra)
    return sim.load_scenario(sc, base_dir=tmp_path)


def on_site(res: sim.Result) -> list[float]:
    return res.faults.sort_values("fault")["on_site"].round(6).tolist()


# ---------------------------------------------------------------- duty held over


def test_a_hold_extends_each_shift_end_within_the_plan() -> None:
    """Day shift 07:00-19:00 from midnight; a plan active from 06:00 to 30:00 holds every end 2 h: the end at 19:00
    (1140) is held to 21:00 (1260); the next end (43:00) is after the plan and stays."""
    d = Duty([(0.0, math.inf)], shift=(420.0, 1140.0), day0=0.0)
    assert _hold(d, 360.0, 1800.0, 120.0) == 1
    assert d.status(1139.0) == (True, 1260.0)
    assert d.status(1200.0) == (True, 1260.0)
    assert d.status(1260.0) == (False, 1860.0)
    assert d.status(2579.0) == (True, 2580.0)  # the next day's end is not held


def test_round_the_clock_duty_has_no_end_to_hold() -> None:
    assert _hold(Duty([(0.0, math.inf)]), 0.0, 1e5, 60.0) == 0


# ---------------------------------------------------------------- actions, by hand


def test_call_in_on_a_backlog(tmp_path: Path) -> None:
    """One crew; faults at 00:00, 00:01, 00:02, 10 km out. By hand: the crew takes the first (on site 10); at the
    check at 15 two wait (backlog 2), so one more crew is called in, on duty 30 min later (45) at the depot: it takes
    the oldest waiting (on site 45 + 10 = 55); the first crew, free at 110 where it stands, takes the third (110).
    Without the plan the third waits for the second: 110 and 210. The plan's action costs 500 once."""
    rows = [(0, 10, 5), (1, 10, 5), (2, 10, 5)]
    plan = {"when": {"backlog": 2}, "actions": [{"call_in": {"group": "d/line", "crews": 1, "delay": 30,
                                                             "stay": 600}, "cost": 500}]}
    res = sim.run(designed(tmp_path, rows, plans={"busy": plan}))
    assert on_site(res) == [10.0, 55.0, 110.0]
    assert on_site(sim.run(designed(tmp_path, rows))) == [10.0, 110.0, 210.0]
    p = res.plans.iloc[0]
    assert (p["plan"], p["trigger"], p["start"], p["stand_down"], p["action"], p["cost"]) == (
        "busy", "backlog", 15.0, 15.0 + 360.0, "call_in", 500.0)
    assert res.figure("busy", "activations", "plans")["mean"] == 1
    assert res.figure("all", "plans", "costs")["mean"] == 500
    called = res.unit_summary[res.unit_summary["group"] == "plan/busy"]
    assert called["duty_h"].tolist() == [pytest.approx(165 / 60)]  # from 45 to the run's end, the last repair
    assert res.figure("all", "total", "costs")["mean"] == pytest.approx(
        res.figure("all", "units", "costs")["mean"] + 500)


def test_hold_over_keeps_the_crew_for_the_waiting_fault(tmp_path: Path) -> None:
    """A crew on shift 00:00-01:00; faults at 00:00 and 00:01, 10 km out. By hand: the first is on site at 10,
    repaired at 110 (past the shift); at the check at 15 one waits, so the plan holds the shift end (60) over 3 h,
    to 240: free at 110 and still on duty, the crew takes the second where it stands (on site 110). Without the
    hold it goes off duty and comes back with the next shift at 24:00, on site at 1440 + 10."""
    crew = [{"name": "line", "skills": ["line"], "roster": [{"name": "early", "start": "00:00", "end": "01:00",
                                                             "count": 1}]}]
    rows = [(0, 10, 5), (1, 10, 5)]
    plan = {"when": {"backlog": 1}, "actions": [{"hold_over": {"groups": ["d/line"], "hours": 3}, "cost": 120}],
            "stand_down": 600}
    assert on_site(sim.run(designed(tmp_path, rows, crew, plans={"hold": plan}))) == [10.0, 110.0]
    assert on_site(sim.run(designed(tmp_path, rows, crew))) == [10.0, 1450.0]


def test_reserve_in_brings_the_on_call_crew_without_its_call_out(tmp_path: Path) -> None:
    """One crew on call round the clock (call-out 60 min); faults at 00:00 and 03:00, 10 km out. By hand: the first
    is reached at 60 + 10 = 70 and repaired at 170; back home at 180. At the check at 15 a customer is out, so the
    plan brings the reserve in until 15 + 300 = 315: the second fault (180) is reached with no call-out, at 190.
    Without the plan: 180 + 60 + 10 = 250. The hours it was in are paid in full, the rest at the stand-by rate."""
    crew = [{"name": "line", "skills": ["line"], "cost_per_hour": 100,
             "roster": [{"name": "reserve", "start": "00:00", "end": "00:00", "count": 1, "on_call": True,
                         "callout": 60}]}]
    rows = [(0, 10, 5), (180, 10, 5)]
    plan = {"when": {"customers_out": 1}, "actions": [{"reserve_in": {"groups": ["d/line"]}}], "stand_down": 300}
    res = sim.run(designed(tmp_path, rows, crew, plans={"in": plan}))
    assert on_site(res) == [70.0, 190.0]
    assert on_site(sim.run(designed(tmp_path, rows, crew))) == [70.0, 250.0]
    # on call 0-15, working the first job (paid in full), then in until 290 (the run ends with the last repair)
    u = res.unit_summary.iloc[0]
    assert (u["on_call_h"], u["on_call_work_h"]) == (pytest.approx(15 / 60), pytest.approx(15 / 60))
    assert u["cost"] == pytest.approx(100 * 290 / 60)


@pytest.mark.parametrize(("stand_down", "expected"), [(600, [10.0, 210.0, 110.0]), (20, [10.0, 110.0, 210.0])])
def test_dispatch_order_switches_while_active_and_back_on_stand_down(tmp_path: Path, stand_down: float,
                                                                     expected: list[float]) -> None:
    """One crew; faults at 00:00, 00:01 (5 customers) and 00:02 (500 customers), all 10 km out. The plan switches
    to most customers first at the check at 15: while active when the crew comes free (110), the big fault goes
    first; stood down at 35, the order is oldest again and the second fault goes first (the backlog stays, but the
    plan cools down for 600 min before it may start again)."""
    rows = [(0, 10, 5), (1, 10, 5), (2, 10, 500)]
    plan = {"when": {"backlog": 2}, "actions": [{"dispatch_order": "most_customers"}], "stand_down": stand_down,
            "cooldown": 600}
    assert on_site(sim.run(designed(tmp_path, rows, plans={"order": plan}))) == expected


def test_prestage_moves_the_crews_base_while_active(tmp_path: Path) -> None:
    """A crew at (0, 0), faults at 00:00 (at 10 km) then at 03:00 (at 60 km). On the backlog... there is none; on
    customers out >= 5 at the check at 15 (the first fault is out), the plan stages the crew at (50, 0) until 05:00.
    By hand: first on site at 10, repaired 110; the crew drives to its new base (50 km: arrives 150); the second
    fault, at 180, is 10 km away: on site 190. Without the plan the crew went home: 180 + 60 = 240."""
    rows = [(0, 10, 5), (180, 60, 5)]
    plan = {"when": {"customers_out": 5}, "actions": [{"prestage": {"d/line": [50, 0]}}], "stand_down": 285}
    assert on_site(sim.run(designed(tmp_path, rows, plans={"stage": plan}))) == [10.0, 190.0]
    assert on_site(sim.run(designed(tmp_path, rows))) == [10.0, 240.0]


def test_compliance_trigger_waits_for_a_missed_limit(tmp_path: Path) -> None:
    """A fault 40 km out, reported at 00:00: the crew is on site at 40, past the 30-minute limit. At the check at
    30 the limit is not yet missed (due at 30); at 45 it is (share 0 < 0.5 with one fault counted): the plan
    starts at 45."""
    plan = {"when": {"compliance": {"zone": "urban", "below": 0.5, "window": 120, "min_faults": 1}},
            "actions": [{"dispatch_order": "most_customers"}]}
    res = sim.run(designed(tmp_path, [(0, 40, 5)], plans={"late": plan}))
    assert res.plans["start"].tolist() == [45.0]
    assert res.plans["trigger"].tolist() == ["compliance"]


def test_a_plan_on_a_forecast_needs_forecasts_and_known_groups(tmp_path: Path) -> None:
    plan = {"when": {"forecast": {"probability": 0.5}}, "actions": [{"hold_over": {"groups": ["d/nobody"],
                                                                                   "hours": 2}}]}
    with pytest.raises(sim.ScenarioError) as err:
        designed(tmp_path, [(0, 10, 5)], plans={"p": plan})
    text = str(err.value)
    assert "plans.p.when.forecast" in text and "forecast section" in text
    assert "unknown unit group 'd/nobody'" in text


def test_an_action_is_exactly_one_thing(tmp_path: Path) -> None:
    plan = {"when": {"backlog": 1}, "actions": [{"dispatch_order": "oldest", "mutual_aid": True}]}
    with pytest.raises(sim.ScenarioError, match="exactly one of"):
        designed(tmp_path, [(0, 10, 5)], plans={"p": plan})


# ---------------------------------------------------------------- critical customers


def test_critical_customers_are_held_to_their_own_limits(tmp_path: Path) -> None:
    """Two faults 25 km out (on site at 25 and, after the first's repair, at 125); the second cuts off a
    hospital (every fault of its type does). The zone's limit is 30 min, the critical customers' 20: the
    critical fault is late for both, the other in time for the zone."""
    types = {"fault": {"skills": ["line"], "repair": 100, "critical": 1.0}}
    sc = designed(tmp_path, [(0, 25, 5), (0.5, 25, 5)], fault_types=types, priority={"arrive": 20})
    res = sim.run(sc)
    assert res.figure("critical", "faults", "priority")["mean"] == 2
    assert res.figure("critical", "arrive", "priority")["mean"] == 0.0  # 25 > 20 and 125 > 20
    assert res.figure("urban", "arrive")["mean"] == 0.5  # 25 <= 30
    assert "critical customers (own limits: 20 min / zone)" in res.table()


# ---------------------------------------------------------------- prevention at a price


def test_programme_factor_and_cost_by_hand() -> None:
    trim = Programme(amount=150, full=600, effect={"tree_contact": 0.8}, cost_per_unit=2000, fixed_cost=50_000)
    assert trim.factor("tree_contact") == pytest.approx(1 - 0.8 * 0.25)
    assert trim.factor("lightning") == 1.0
    assert season_cost({"trim": trim}, YEAR / 2) == pytest.approx((150 * 2000 + 50_000) / 2)
    assert season_cost({"trim": trim.model_copy(update={"season_share": 1.0})}, YEAR / 2) == 350_000


