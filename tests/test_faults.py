"""Generated faults follow the configured rates: counts by zone and type, and the hour-of-day profile.

Counts over R replications of a Poisson process are Poisson with mean R x rate x days: the exact (Garwood) 99.9 %
interval of the observed total must contain the configured mean. The hour-of-day histogram is tested with a
chi-square goodness-of-fit test at the 0.1 % level.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sim
from sim.engine.faults import generate
from tests.conftest import DEFAULT_SCENARIO

REPS = 30


@pytest.fixture(scope="module")
def drawn() -> tuple[sim.Scenario, list]:
    # the default scenario's background alone: a Poisson process at the per_day rates (tests/test_arrivals.py
    # covers months, heat waves and storms)
    data = sim.scenario_dict(DEFAULT_SCENARIO)
    for key in ("storms", "heat_waves", "month"):
        del data["arrivals"][key]
    sc = sim.load_scenario(data)
    return sc, [generate(sc, 123, r) for r in range(REPS)]


def _garwood(k: int, level: float = 0.999) -> tuple[float, float]:
    a = 1 - level
    low = 0.0 if k == 0 else stats.chi2.ppf(a / 2, 2 * k) / 2
    return low, stats.chi2.ppf(1 - a / 2, 2 * (k + 1)) / 2


def test_counts_by_zone_and_type_match_rates(drawn: tuple) -> None:
    sc, tables = drawn
    days = sc.horizon / 1440
    for zone, by_type in sc.arrivals.per_day.items():
        for ftype, rate in by_type.items():
            zi, ti = tables[0].zone_names.index(zone), tables[0].type_names.index(ftype)
            k = sum(int(((t.zone == zi) & (t.fault_type == ti)).sum()) for t in tables)
            low, high = _garwood(k)
            assert low <= REPS * rate.per_day * days <= high, (zone, ftype, k)


def test_hour_of_day_profile(drawn: tuple) -> None:
    sc, tables = drawn
    hours = np.concatenate([(t.reported // 60 % 24).astype(int) for t in tables])
    observed = np.bincount(hours, minlength=24)
    w = np.asarray(sc.arrivals.hour_of_day)
    expected = w / w.sum() * observed.sum()
    assert stats.chisquare(observed, expected).pvalue > 1e-3
    assert observed[16] > 2.5 * observed[3]  # afternoon peak is there at all


def test_faults_fall_inside_their_zone(drawn: tuple) -> None:
    sc, tables = drawn
    t = tables[0]
    zm = sc.zone_map()
    for zi in range(len(t.zone_names)):
        sel = t.zone == zi
        assert sel.sum() > 10 and zm.contains(zi, t.x[sel], t.y[sel]).all()


def test_faults_are_sorted_and_within_the_horizon(drawn: tuple) -> None:
    sc, tables = drawn
    for t in tables:
        assert (np.diff(t.reported) >= 0).all()
        assert t.reported.min() >= 0 and t.reported.max() < sc.horizon


def test_repair_times_follow_their_distribution(drawn: tuple) -> None:
    sc, tables = drawn
    ti = tables[0].type_names.index("cable_fault")
    repairs = np.concatenate([t.repair[t.fault_type == ti] for t in tables])
    d = sc.fault_types["cable_fault"].repair
    assert stats.kstest(repairs, lambda x: stats.lognorm.cdf(x, **d.params)).pvalue > 1e-3


def test_partial_last_hour_and_constant_rate() -> None:
    sc = sim.load_scenario({
        "name": "flat", "horizon": 90 * 1440 + 30,
        "zones": {"urban": {"speed_kmh": 30, "area": {"box": [0, 0, 1, 1]}}},
        "fault_types": {"f": {"skills": ["s"], "repair": 10}},
        "arrivals": {"per_day": {"urban": {"f": 48}}},
        "depots": {"d": {"zone": "urban", "location": [0, 0], "units": [{"name": "u", "skills": ["s"], "count": 1}]}}})
    t = generate(sc, 1, 0)
    low, high = _garwood(len(t))
    assert low <= 48 * sc.horizon / 1440 <= high
    assert t.reported.max() < sc.horizon
