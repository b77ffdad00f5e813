"""Repeat outages: the self-exciting component reproduces a designed clustering (a known branching ratio), leaves
every other fault as it was, feeds CEMI, and is recovered from designed data by the fit, within its interval."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim
from sim.analysis.metrics import confidence_interval
from sim.analysis.repeats import fit_repeats
from sim.engine.faults import ORIGINS, generate
from tests.conftest import DEFAULT_SCENARIO, mmc_scenario

REPEAT = ORIGINS.index("repeat")


def _calm(branching: float, **repeats: Any) -> sim.Scenario:
    """Calm Poisson background, 50 faults a day for 30 days over a 20 x 20 km zone."""
    data = mmc_scenario(50 / 1440, 30.0, 10, 30 * 1440.0)
    data["zones"]["urban"]["area"] = {"box": [0, 0, 20, 20]}
    if branching is not None:
        data["arrivals"]["repeats"] = {"branching": branching, **repeats}
    return sim.load_scenario(data)


def test_a_share_branching_of_the_faults_are_repeats() -> None:
    """In a stationary cascade a share ``branching`` of all faults are repeats (background n, all faults
    n / (1 - b), repeats n b / (1 - b)); with a delay of 30 min in 30 days the edge loses next to nothing. Over 30
    seasons the 99 % t interval of the share holds 0.3."""
    sc = _calm(0.3, mean_delay=30, radius_km=0.2)
    shares = [float((generate(sc, 7, rep).origin == REPEAT).mean()) for rep in range(30)]
    ci = confidence_interval(np.array(shares), 0.99)
    assert ci.low <= 0.3 <= ci.high, ci


def test_the_descendants_of_one_fault_come_as_the_cascade_says(tmp_path: Path) -> None:
    """One fault at minute 0 and branching 0.5, mean delay 60, radius 0: its descendants number b / (1 - b) = 1
    on average, the k-th generation comes after k delays, so the sum of their times has mean
    sum over k of k b^k 60 = 60 b / (1 - b)^2 = 120 min; all stand where the fault stood. Over 400 seasons both
    means lie in their 99 % intervals."""
    (tmp_path / "log.csv").write_text("time_out,x_km,y_km,customers\n2026-06-01 00:00,3,4,10\n")
    data = {"name": "one", "start": "2026-06-01", "horizon": "30 d",
            "zones": {"urban": {"speed_kmh": 60, "area": {"box": [0, 0, 10, 10]}}},
            "fault_types": {"fault": {"skills": ["line"], "repair": 60}},
            "arrivals": {"replay": {"log": "log.csv", "mix": {"fault": 1},
                                    "columns": {"duration_h": None, "longitude": None, "latitude": None,
                                                "x_km": "x_km", "y_km": "y_km", "customers": "customers"}},
                         "repeats": {"branching": 0.5, "mean_delay": 60, "radius_km": 0}},
            "depots": {"d": {"zone": "urban", "location": [0, 0],
                             "units": [{"name": "c", "skills": ["line"], "count": 1}]}}}
    sc = sim.load_scenario(data, base_dir=tmp_path)
    counts, sums = [], []
    for rep in range(400):
        f = generate(sc, 1, rep)
        kids = f.origin == REPEAT
        assert (f.x[kids] == 3).all() and (f.y[kids] == 4).all() and (f.zone == 0).all()
        counts.append(kids.sum())
        sums.append(f.reported[kids].sum())
    for values, expected in ((counts, 1.0), (sums, 120.0)):
        ci = confidence_interval(np.array(values, float), 0.99)
        assert ci.low <= expected <= ci.high, (expected, ci)


def test_without_repeats_or_with_branching_zero_the_faults_are_as_before() -> None:
    a, b = generate(_calm(None), 3, 0), generate(_calm(0.0), 3, 0)  # type: ignore[arg-type]
    assert np.array_equal(a.reported, b.reported) and np.array_equal(a.x, b.x)
    c = generate(_calm(0.4, radius_km=0.1), 3, 0)
    first = c.origin != REPEAT
    assert np.array_equal(c.reported[first], a.reported) and np.array_equal(c.repair[first], a.repair)


def test_repeats_raise_cemi() -> None:
    """Repeats near their parent cut off the same customers again: CEMI_1 (customers with more than one
    sustained interruption) rises, paired over 8 seasons of 30 days (95 % interval above zero)."""
    data = sim.scenario_dict(DEFAULT_SCENARIO)
    data.pop("expect")
    data["horizon"] = "30 d"
    more = copy.deepcopy(data)
    more["arrivals"]["repeats"] = {"branching": 0.3, "mean_delay": "1 d", "radius_km": 0.2}
    a = sim.run(data, replications=8, seed=4, keep_records=False)
    b = sim.run(more, replications=8, seed=4, keep_records=False)
    diff = b.values("ieee.all.CEMI_1").to_numpy() - a.values("ieee.all.CEMI_1").to_numpy()
    assert confidence_interval(diff).low > 0


def test_an_unknown_repeating_type_is_named() -> None:
    data = mmc_scenario(1 / 60, 30.0, 1, 1440.0)
    data["arrivals"]["repeats"] = {"branching": 0.2, "types": ["faul"]}
    with pytest.raises(sim.ScenarioError, match=r"arrivals\.repeats\.types\[0\]: unknown fault type 'faul'"):
        sim.load_scenario(data)


# ---------------------------------------------------------------- fitting


def hawkes(rng: np.random.Generator, eta: float, delay: float, sigma: float, days: int = 60, per_day: float = 20,
           side: float = 50.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """A designed spatio-temporal Hawkes process: Poisson background over a square, each event bringing
    Poisson(eta) children an exponential delay later, a normal sd ``sigma`` away."""
    horizon = days * 1440.0
    n = rng.poisson(per_day * days)
    t, x, y = rng.uniform(0, horizon, n), rng.uniform(0, side, n), rng.uniform(0, side, n)
    out = [(t, x, y)]
    while len(t):
        parent = np.repeat(np.arange(len(t)), rng.poisson(eta, len(t)))
        t = t[parent] + rng.exponential(delay, len(parent))
        x, y = x[parent] + rng.normal(0, sigma, len(parent)), y[parent] + rng.normal(0, sigma, len(parent))
        keep = t < horizon
        t, x, y = t[keep], x[keep], y[keep]
        out.append((t, x, y))
    return (*(np.concatenate(c) for c in zip(*out, strict=True)), horizon)  # type: ignore[return-value]


def test_the_fit_recovers_a_designed_branching_ratio_within_its_interval() -> None:
    """20 designed logs (branching 0.4, mean delay 10 h, radius 0.3 km, about 2,000 outages each): the 95 %
    interval holds the truth in at least 17 (a binomial 99 % bound for 95 % coverage), the mean estimate is
    within 0.02 of it, and the mean delay within 10 %."""
    fits = [fit_repeats(*hawkes(np.random.default_rng(s), 0.4, 600.0, 0.3)[:3], 0.3,
                        hawkes(np.random.default_rng(s), 0.4, 600.0, 0.3)[3]) for s in range(20)]
    assert sum(f.low <= 0.4 <= f.high for f in fits) >= 17
    assert abs(np.mean([f.branching for f in fits]) - 0.4) < 0.02
    assert abs(np.mean([f.mean_delay for f in fits]) - 600.0) < 60.0
    assert all(f.identifiable for f in fits)


def test_a_log_without_repeats_fits_a_branching_ratio_near_zero() -> None:
    t, x, y, horizon = hawkes(np.random.default_rng(1), 0.0, 600.0, 0.3)
    f = fit_repeats(t, x, y, 0.3, horizon)
    assert f.low <= 0.02 and f.branching < 0.03


def test_a_log_placed_by_town_is_not_fitted() -> None:
    """Outages at 30 town centres: everything in a town looks like a repeat, so the fit says it cannot tell."""
    rng = np.random.default_rng(2)
    t, x, y, horizon = hawkes(rng, 0.0, 600.0, 0.3)
    towns = rng.uniform(0, 50, (30, 2))
    at = rng.integers(30, size=len(t))
    f = fit_repeats(t, towns[at, 0], towns[at, 1], 0.3, horizon)
    assert not f.identifiable and "cannot be told from a neighbour" in f.text()
    assert math.isclose(f.shared_places, 1.0)
