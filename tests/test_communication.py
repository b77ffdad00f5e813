"""Customer communication and complaint risk (sim.analysis.communication): a designed case worked out by hand, and
statistical claims on the default season with common random numbers (the same seed draws the same storms and
faults, so differences are paired replication by replication)."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.communication import communication_figures, notices
from sim.analysis.metrics import confidence_interval
from sim.analysis.reliability import Interruptions
from sim.experiments.runner import run_many
from sim.scenario.figures import COMMUNICATION_METRICS, known_figures
from tests.conftest import DEFAULT_SCENARIO

TOLD = {"notice_delay": 5, "told_within": 30, "margin": 30, "held_margin": 15, "calls_per_customer": 0.1,
        "repeat_after": 60, "repeat_share": 0.2,
        "complaints": {"base": 0.01, "site_limit": 0.1, "restore_limit": 0.2, "long": 0.3, "long_h": 6,
                       "repeated": 0.05, "late_info": 0.15, "wrong_info": 0.25}}


def designed(**communication: Any) -> sim.Scenario:
    """One urban zone (limits 30 min / 4 h) of 1,000 customers; repairs of a type whose mean is 100 min."""
    return sim.load_scenario({
        "name": "told", "horizon": "2 d",
        "zones": {"urban": {"speed_kmh": 30, "area": {"box": [0, 0, 10, 10]}, "customers": 1000}},
        "fault_types": {"fault": {"skills": ["line"], "repair": 100}},
        "arrivals": {"per_day": {"urban": {"fault": 1}}},
        "depots": {"d": {"zone": "urban", "location": [5, 5], "units": [{"name": "c", "skills": ["line"],
                                                                          "count": 1}]}},
        "communication": {**TOLD, **communication}})


# F0: told at 2, 10, 30 (ETRs 110, 125, 130), back at 120. F1: its first ETR (250) far too early; 20 of its 50
# customers switched round at 350, the other 30 back at 600. F2: the call took 40 min, so its customers are told late.
FAULTS = pd.DataFrame({
    "zone": pd.Categorical(["urban"] * 3, categories=["urban"]),
    "fault_type": pd.Categorical(["fault"] * 3), "storm": [-1, -1, -1], "customers": [100, 50, 10],
    "reported": [0.0, 200.0, 1000.0], "decided": [2.0, 205.0, 1040.0], "dispatched": [10.0, 260.0, 1050.0],
    "on_site": [30.0, 300.0, 1100.0], "restored": [120.0, 600.0, 1130.0],
    "etr_at_report": [110.0, 250.0, 1300.0], "etr_at_dispatch": [125.0, 420.0, 1290.0],
    "switched": [math.nan, 350.0, math.nan], "switched_customers": [0, 20, 0]})

# customers 0-99 (F0), 70-99 (F1's 30), 50-69 (F1's switched 20), 500-509 (F2): F0's customers 50-99 and all of F1's
# are interrupted twice
LOG = Interruptions.from_rows([(0, 0.0, 120.0, 100, 0), (0, 200.0, 400.0, 30, 70), (0, 200.0, 150.0, 20, 50),
                               (0, 1000.0, 130.0, 10, 500)])


def figures(sc: sim.Scenario, group: str = "all") -> dict[str, float]:
    return {m: v for _, g, m, v in communication_figures(sc, FAULTS, LOG) if g == group}


def test_the_designed_faults_give_the_notices_calls_and_risk_worked_out_by_hand() -> None:
    """Notices (margin 30, typical repair 100, so an overdue ETR is revised every 130 min, each 100 min ahead):
    F0 at 2, 10, 30; F1 at 205, 260, 300 (ETR 400), then overdue at 430 (ETR 530) and 560 (ETR 660), none at 690
    (back at 600); F2 at 1040, 1050, 1100: 11 notices for 3 faults. They reach customers 5 min later.

    Told within 30 min: F0 at 7, F1 at 210 (both groups), F2 at 1045 > 1030: late. 150 of 160 customers.
    First ETR held (back <= ETR + 15): F0 120 <= 125 yes; F1 600 and 350 > 265 no; F2 1130 <= 1315 yes: 110 / 160.

    Calls (0.1 at the start, 0.2 again after each 60 min without news): F0: 10, quiet 35 -> 120 (one more, 20) = 30;
    F1's 30: 3, quiet 305 -> 435 and 435 -> 565 (two each, 4 x 6) = 27; F1's 20: 2, no quiet hour = 2; F2: 1.
    60 in all; the busiest hour is 01:00-02:00 with F0's 20 calls again at 95.

    ETRs passed unrevised (by 15 min, no new one there first): F1's 30 were told 400 (at 305), due at 415, and
    heard next at 435: wrong. F1's 20 were back (350) before any ETR they heard was due; F0's and F2's held; F1's
    first (250, due 265) was revised at 265, in time.

    Hazards (base 0.01): F0 0.01 (half its customers repeated: +0.05); F1's 30: on site late 0.1, restore limit 0.2,
    long (400 min > 6 h) 0.3, wrong ETR 0.25 -> 0.86, all repeated -> 0.91; F1's 20: 0.01 + 0.1 + 0.05 = 0.16;
    F2: 0.01 + 0.1 (on site at 100 min) + 0.15 (told late) = 0.26."""
    sc = designed()
    note = notices(sc, FAULTS)
    assert note.fault.tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2]
    assert note.time.tolist() == [2, 10, 30, 205, 260, 300, 430, 560, 1040, 1050, 1100]
    assert note.etr.tolist() == [110, 125, 130, 250, 420, 400, 530, 660, 1300, 1290, 1200]
    got = figures(sc)
    p = {"F0": 0.5 * -math.expm1(-0.06) + 0.5 * -math.expm1(-0.01), "F1": -math.expm1(-0.91),
         "F1s": -math.expm1(-0.16), "F2": -math.expm1(-0.26)}
    complaints = 100 * p["F0"] + 30 * p["F1"] + 20 * p["F1s"] + 10 * p["F2"]
    assert got == pytest.approx({"notices_per_fault": 11 / 3, "told_within": 150 / 160, "etr_held": 110 / 160,
                                 "calls": 60.0, "calls_peak_per_h": 20.0, "complaint_risk": complaints / 160,
                                 "complaints": complaints})
    assert figures(sc, "urban") == got


def test_a_moment_not_in_updates_is_told_only_when_the_estimate_moved_by_more_than_the_margin() -> None:
    """updates: report only. F0: dispatch 125 and on site 130 are within 30 of 110: 1 notice. F1: dispatch 420 is
    170 from 250: told; on site 400 is 20 from 420: not; overdue at 450 (ETR 550), 580 (ETR 680): 4. F2: dispatch
    1290 is 10 from 1300: not; on site 1200 is 100 from it: told: 2. Seven notices for three faults."""
    sc = designed(updates=["report"])
    note = notices(sc, FAULTS)
    assert note.time.tolist() == [2, 205, 260, 450, 580, 1040, 1100]
    assert figures(sc)["notices_per_fault"] == pytest.approx(7 / 3)


def test_an_optimistic_etr_does_not_hold_and_raises_the_complaint_risk_of_the_designed_faults() -> None:
    """etr_bias -60: F0's first ETR becomes 50 (back at 120) and no longer holds, F1's first is its moment (205:
    never an ETR already past), F2's 1240 still holds: 10 of 160 customers. F0's on-site ETR (70) is overdue at
    100 and revised to 100 + (100 - 60) = 140."""
    sc = designed(etr_bias=-60)
    note = notices(sc, FAULTS)
    assert note.etr[:5].tolist() == [50, 65, 70, 140, 205] and note.time[3] == 100
    worse, base = figures(sc), figures(designed())
    assert worse["etr_held"] == pytest.approx(10 / 160) and worse["complaint_risk"] > base["complaint_risk"]
    far = notices(designed(etr_bias=-1000), FAULTS)
    assert (far.etr >= far.time).all()


def test_the_figures_are_known_names() -> None:
    names = known_figures(["urban"], [])
    assert {f"communication.{g}.{m}" for g in ("urban", "all") for m in COMMUNICATION_METRICS} <= set(names)


# ------------------------------------------------------------ the default season, common random numbers

REPLICATIONS, SEED = 16, 4242


def _season(**communication: Any) -> dict:
    sc = sim.scenario_dict(DEFAULT_SCENARIO)
    sc["horizon"] = "30 d"
    sc["communication"] = communication
    return sc


def _night_crews_only(sc: dict) -> dict:
    """The same season with only the crews on duty round the clock: no day shift, no reserve on call."""
    out = copy.deepcopy(sc)
    for depot in out["depots"].values():
        for g in depot["units"]:
            g["roster"] = []
    return out


@pytest.fixture(scope="module")
def runs() -> dict[str, sim.Result]:
    base = _season()
    names = {"base": base, "optimistic": _season(etr_bias=-240), "fewer": _night_crews_only(base)}
    scenarios = [sim.load_scenario(sc).with_changes(replications=REPLICATIONS, seed=SEED) for sc in names.values()]
    return dict(zip(names, run_many(scenarios, keep_records=False), strict=True))


def _paired(a: sim.Result, b: sim.Result, ref: str) -> Any:
    """Interval of b - a over the replications of the same seed."""
    diff = b.values(ref) - a.values(ref)
    assert len(diff) == REPLICATIONS
    return confidence_interval(diff)


def test_complaint_risk_rises_when_etrs_are_made_worse_on_purpose(runs: dict[str, sim.Result]) -> None:
    """ETRs told 4 h too early, on the same storms and faults: fewer first ETRs hold and the complaint risk rises,
    in every zone (paired intervals above zero); how the crews worked is unchanged."""
    base, worse = runs["base"], runs["optimistic"]
    assert (base.values("all.restore") == worse.values("all.restore")).all()
    for zone in [*base.scenario.zones, "all"]:
        assert _paired(worse, base, f"communication.{zone}.etr_held").low > 0
        assert _paired(base, worse, f"communication.{zone}.complaint_risk").low > 0
    assert _paired(base, worse, "communication.all.notices_per_fault").low > 0  # overdue ETRs are revised


def test_complaint_risk_rises_when_limits_are_missed(runs: dict[str, sim.Result]) -> None:
    """With only the night crews all day, on the same storms and faults: more faults miss their limits and the complaint
    risk and expected complaints rise (paired intervals above zero)."""
    base, fewer = runs["base"], runs["fewer"]
    assert _paired(fewer, base, "all.arrive").low > 0 and _paired(fewer, base, "all.restore").low > 0
    assert _paired(base, fewer, "communication.all.complaint_risk").low > 0
    assert _paired(base, fewer, "communication.all.complaints").low > 0


def test_complaint_risk_is_reported_with_its_interval(runs: dict[str, sim.Result]) -> None:
    s = runs["base"].summary
    risk = s[(s["scope"] == "communication") & (s["metric"] == "complaint_risk")].set_index("group")
    assert set(risk.index) == {*runs["base"].scenario.zones, "all"}
    assert (risk["replications"] == REPLICATIONS).all()
    assert ((risk["ci_low"] <= risk["mean"]) & (risk["mean"] <= risk["ci_high"])).all()
    assert ((risk["mean"] > 0) & (risk["mean"] < 1)).all()
    told = runs["base"].summary_dict()["communication"]["all"]
    assert 0 < told["calls"]["mean"] and told["calls_peak_per_h"]["mean"] <= told["calls"]["mean"]
    assert np.isfinite(told["etr_held"]["mean"])
