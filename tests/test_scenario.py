"""The scenario schema: defaults, units of time, distributions, resolution."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import sim
from sim.distributions import Distribution
from sim.scenario.fields import parse_minutes
from sim.scenario.schema import DEFAULT_LIMITS
from tests.conftest import DEFAULT_SCENARIO


def test_default_limits_are_the_published_promise() -> None:
    sc = sim.load_scenario(DEFAULT_SCENARIO)
    for zone, (arrive, restore) in {"urban": (30, 240), "rural": (60, 360), "mountain": (90, 360)}.items():
        assert (sc.zones[zone].limits.arrive, sc.zones[zone].limits.restore) == (arrive, restore)
        assert DEFAULT_LIMITS[zone] == (arrive, restore)


@pytest.mark.parametrize("text,minutes", [("30", 30.0), ("45 min", 45.0), ("4 h", 240.0), ("4h", 240.0),
                                          ("1.5 hours", 90.0), ("92 d", 92 * 1440.0), ("2 weeks", 20160.0)])
def test_durations_with_units(text: str, minutes: float) -> None:
    assert parse_minutes(text) == minutes


def test_formatting_does_not_change_the_hash() -> None:
    a = sim.load_scenario(DEFAULT_SCENARIO)
    text = DEFAULT_SCENARIO.read_text().replace("horizon: 92 d", "horizon: 132480")
    b = sim.load_scenario(text, base_dir=DEFAULT_SCENARIO.parent)
    assert a.digest() == b.digest()


def test_all_shipped_scenarios_are_valid() -> None:
    for path in sorted(DEFAULT_SCENARIO.parent.glob("*.yaml")):
        sim.load_scenario(path)


@pytest.mark.parametrize("spec,mean", [
    ({"dist": "expon", "scale": 30}, 30.0),
    ({"dist": "lognorm", "s": 0.5, "scale": 100}, 100 * np.exp(0.125)),
    ({"dist": "gamma", "a": 2, "scale": 40}, 80.0),
    ({"dist": "weibull_min", "c": 1.5, "scale": 60}, 60 * math.gamma(1 + 1 / 1.5)),
    ({"dist": "uniform", "loc": 10, "scale": 20}, 20.0),
    ({"dist": "constant", "value": 7}, 7.0),
    ({"dist": "empirical", "values": [10, 20, 60]}, 30.0),
])
def test_distribution_sample_mean_matches(spec: dict, mean: float) -> None:
    d = Distribution.model_validate(spec)
    assert d.mean() == pytest.approx(mean)
    x = d.sample(np.random.default_rng(0), 40_000)
    if x.std() == 0:
        assert x.mean() == mean
        return
    half = stats.t.ppf(0.9995, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))  # 99.9 % interval
    assert abs(x.mean() - mean) <= half
