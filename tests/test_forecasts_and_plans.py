"""Forecasts, emergency plans, critical customers and prevention at a price, on common random numbers: what a
forecast is worth, that forecasts and false alarms change only what they should, that the critical customers'
dispatch rule serves them, and that prevention thins its causes at its price (the designed cases are in
tests/engine/test_plans.py)."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

import sim
from sim.analysis.metrics import confidence_interval
from sim.engine.faults import generate
from sim.engine.forecasts import draw_forecasts
from sim.experiments.staff import search, staffing_cost
from sim.scenario.plans import YEAR
from tests.conftest import DEFAULT_SCENARIO, mmc_scenario

# ---------------------------------------------------------------- forecasts


def _season(days: str = "30 d", **extra: Any) -> dict[str, Any]:
    data = sim.scenario_dict(DEFAULT_SCENARIO)
    data["horizon"] = days
    data.pop("expect")
    data.update(extra)
    return data


def test_a_perfect_forecast_names_every_storm_at_its_lead() -> None:
    sc = sim.load_scenario(_season(forecast={"detection": 1, "lead": 360, "stated": 1}))
    for rep in range(3):
        storms = generate(sc, sc.seed, rep).storms
        fc = draw_forecasts(sc, storms, sc.seed, rep)
        assert [f.storm for f in fc] == [s.number for s in storms]
        assert all(f.issued == s.start - 360 and f.start == s.start and f.end == s.end and f.probability == 1
                   and f.intensity == pytest.approx(s.intensity) for f, s in zip(fc, storms, strict=True))


def test_detection_and_false_alarms_come_at_their_stated_rates() -> None:
    """Over 40 seasons of 30 days: the share of storms forecast is within a binomial 99 % interval of 0.6, and the
    false alarms a season within a t interval of 1.5 a week x 30/7 weeks."""
    sc = sim.load_scenario(_season(forecast={"detection": 0.6, "false_alarms_per_week": 1.5}))
    hits = storms = 0
    alarms = []
    for rep in range(40):
        st = generate(sc, sc.seed, rep).storms
        fc = draw_forecasts(sc, st, sc.seed, rep)
        storms += len(st)
        hits += sum(f.storm >= 0 for f in fc)
        alarms.append(sum(f.storm < 0 for f in fc))
    half = 2.576 * math.sqrt(0.6 * 0.4 / storms)
    assert abs(hits / storms - 0.6) < half
    ci = confidence_interval(np.array(alarms, float), 0.99)
    assert ci.low <= 1.5 * 30 / 7 <= ci.high


def _hold_plan(probability: float = 0.5, cost: float = 1000.0) -> dict[str, Any]:
    return {"when": {"forecast": {"probability": probability, "before": 120}},
            "actions": [{"call_in": {"group": "eastfield/overhead", "crews": 4, "delay": 0, "stay": 600},
                         "cost": cost}], "stand_down": 120}


def _figures(data: dict[str, Any], n: int = 6) -> Any:
    return sim.run(data, replications=n, seed=5, keep_records=False).per_replication


def test_a_forecast_with_zero_detection_changes_nothing() -> None:
    base = _figures(_season())
    blind = _figures(_season(forecast={"detection": 0}, plans={"hold": _hold_plan()}))
    same = blind[~blind["scope"].isin(["plans", "costs"])].reset_index(drop=True)
    assert same.equals(base[~base["scope"].isin(["plans", "costs"])].reset_index(drop=True))
    assert (blind[blind["scope"] == "plans"]["value"] == 0).all()


def test_false_alarms_cost_money_and_bring_no_storm() -> None:
    """Nothing forecast but false alarms, 2 a week: the faults are the same; each false alarm starts the plan and
    costs its action's 1,000; service is no worse (paired over 10 seasons)."""
    base = sim.run(_season(), replications=10, seed=5)
    alarms = sim.run(_season(forecast={"detection": 0, "false_alarms_per_week": 2},
                             plans={"hold": _hold_plan(probability=0.0)}), replications=10, seed=5)
    cols = ["replication", "reported", "zone", "fault_type", "x_km", "y_km", "customers", "repair_minutes"]
    assert alarms.faults[cols].equals(base.faults[cols])
    plans = alarms.per_replication[alarms.per_replication["scope"] == "plans"].pivot_table(
        index="replication", columns=["group", "metric"], values="value")
    assert (plans[("hold", "activations")] > 0).all()
    assert (plans[("hold", "false_alarms")] == plans[("hold", "activations")]).all()
    assert (plans[("hold", "cost")] == 1000 * plans[("hold", "activations")]).all()
    for ref in ("all.arrive", "all.restore"):
        diff = alarms.values(ref).to_numpy() - base.values(ref).to_numpy()
        assert confidence_interval(diff).high >= 0, ref


def test_a_perfect_forecast_with_prestaging_is_never_worse() -> None:
    """Paired on the same storms (20 seasons of 30 days, storms only in the mountains): eastfield's overhead and
    equipment crews staged 3 h before each storm where a perfect forecast says it starts; the mountain's
    compliance is not worse (the paired 95 % interval is not below zero, its mean not negative) and storm faults
    are reached sooner."""
    storms = _season()["arrivals"]["storms"]
    storms["zones"] = {"mountain": 1}
    base = _season(arrivals={**_season()["arrivals"], "storms": storms})
    stage = {"when": {"forecast": {"probability": 0.5, "before": 180}},
             "actions": [{"prestage": {"eastfield/overhead": "forecast", "eastfield/equipment": "forecast"}}],
             "stand_down": 120}
    with_plan = {**copy.deepcopy(base), "forecast": {"detection": 1, "lead": 720, "stated": 1},
                 "plans": {"stage": stage}}
    a = sim.run(base, replications=20, seed=3)
    b = sim.run(with_plan, replications=20, seed=3)
    diff = b.values("mountain.arrive").to_numpy() - a.values("mountain.arrive").to_numpy()
    assert confidence_interval(diff).high >= 0
    assert confidence_interval(diff).mean >= 0
    sa = a.values("weather.storm.time_to_site_mean").to_numpy()
    sb = b.values("weather.storm.time_to_site_mean").to_numpy()
    assert np.nanmean(sb) < np.nanmean(sa)


def test_critical_first_improves_critical_customers_compliance() -> None:
    """A busy M/M/3 (utilisation 0.9), a fifth of faults critical: taking them first raises their on-site
    compliance (paired over 10 replications, 95 % interval above zero)."""
    data = mmc_scenario(0.9 * 3 / 60.0, 60.0, 3, 20 * 1440.0)
    data["fault_types"]["fault"]["critical"] = 0.2
    data["zones"]["urban"]["limits"] = {"arrive": 60, "restore": 240}
    first = copy.deepcopy(data)
    first["dispatch"] = {"order": "critical_first"}
    a = sim.run(data, replications=10, seed=2, keep_records=False)
    b = sim.run(first, replications=10, seed=2, keep_records=False)
    for metric in ("arrive", "restore"):
        diff = b.values(f"priority.critical.{metric}").to_numpy() - a.values(f"priority.critical.{metric}").to_numpy()
        assert confidence_interval(diff).low > 0, metric


def test_trimming_thins_its_cause_and_its_cost_is_in_the_season() -> None:
    """Trimming that prevents 60 % of tree contacts at full coverage, half done: tree-contact faults fall to 0.7
    of their number (the ratio of totals over 10 seasons within 3 binomial-ish standard errors), other causes
    are drawn exactly as before, and the season carries its share of the yearly cost."""
    prog = {"amount": 300, "full": 600, "effect": {"tree_contact": 0.6}, "cost_per_unit": 1000}
    base = sim.load_scenario(_season())
    trim = sim.load_scenario(_season(prevention={"trim": prog}))
    n_base = n_trim = 0
    for rep in range(10):
        a, b = generate(base, 1, rep), generate(trim, 1, rep)
        tree = base.fault_types and list(base.fault_types).index("tree_contact")
        n_base += int((a.fault_type == tree).sum())
        n_trim += int((b.fault_type == tree).sum())
        other_a = a.reported[(a.fault_type != tree) & (a.storm < 0)]
        other_b = b.reported[(b.fault_type != tree) & (b.storm < 0)]
        assert np.array_equal(other_a, other_b)
    ratio = n_trim / n_base
    assert abs(ratio - 0.7) < 3 * math.sqrt(0.7 / n_base + 0.7 ** 2 / n_base)
    res = sim.run(trim, replications=2, keep_records=False)
    assert res.figure("all", "prevention", "costs")["mean"] == pytest.approx(300 * 1000 * 30 * 1440 / YEAR)
    assert staffing_cost(trim) == pytest.approx(staffing_cost(base) + 300 * 1000 * 30 * 1440 / YEAR)


def test_staff_weighs_crews_against_trimming() -> None:
    """The search ranks candidates by staffing plus prevention cost: with trimming the dearer lever, a candidate
    with more trimming comes later than one with the same crews and less."""
    data = _season("7 d", prevention={"trim": {"amount": 0, "full": 600, "effect": {"tree_contact": 0.6},
                                               "cost_per_unit": 5e5}})
    sc = sim.load_scenario(data)
    res = search(sc, ["all.restore>=0.0"], [("prevention.trim.amount", [0, 300])], replications=2, max_runs=2)
    assert res.best is not None and res.best["prevention.trim.amount"] == 0
    costs = res.path.set_index("prevention.trim.amount")["cost"]
    assert costs[300] - costs[0] == pytest.approx(300 * 5e5 * 7 * 1440 / YEAR)


def test_the_report_shows_critical_customers_plans_and_costs_apart() -> None:
    data = _season("7 d", forecast={"detection": 1, "lead": 360, "stated": 1},
                   plans={"hold": _hold_plan()})
    res = sim.run(data, replications=2, seed=5)
    page = res.report_html()
    for title in ("Critical customers (held to their own limits)", "Emergency plans", "cost: units, plans",
                  "Customer communication"):
        assert title in page, title
    assert ">hold<" in page and ">critical<" in page
    assert "plan hold:" in res.table() and "season cost:" in res.table()
