"""The storm-season arrival model against its own definition: counts by zone, type, month and hour follow the
configured rates (chi-square against Poisson expectations), storms bring the configured overdispersion of daily
counts (variance of a compound Poisson sum), heat waves and prevention scale rates, calendar storms land where and
when they are told, and storm faults cluster around the storm's track."""

from __future__ import annotations

import copy
import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats

from sim.analysis.metrics import confidence_interval
from sim.engine.faults import CALM, HEAT, STORM, generate
from sim.engine.weather import draw_storms, hourly_rates
from sim.scenario.loading import load_scenario

ALPHA = 0.001  # a correct generator fails a test with this probability, per assertion

BASE: dict = {
    "name": "arrivals",
    "start": "2026-06-01",
    "horizon": "92 d",
    "zones": {"urban": {"speed_kmh": 30, "area": {"box": [0, 0, 20, 20]}},
              "rural": {"speed_kmh": 50, "area": {"box": [20, 0, 60, 40]}}},
    "fault_types": {"lightning": {"skills": ["line"], "repair": 60},
                    "tree_contact": {"skills": ["line"], "repair": 90},
                    "oil_leak": {"skills": ["line"], "repair": 120}},
    "arrivals": {
        "hour_of_day": [1] * 12 + [3] * 12,
        "month": {6: 0.5, 7: 1.5, 8: 1.0},
        "per_day": {"urban": {"lightning": 2.0, "tree_contact": 1.0, "oil_leak": 0.5},
                    "rural": {"lightning": 1.0, "tree_contact": 3.0}},
    },
    "depots": {"d": {"zone": "urban", "location": [10, 10], "units": [{"name": "c", "skills": ["line"],
                                                                        "count": 3}]}},
}


def scenario(**arrivals: object) -> dict:
    sc = copy.deepcopy(BASE)
    sc["arrivals"].update(arrivals)
    return sc


def _chi2_p(observed: np.ndarray, expected: np.ndarray) -> float:
    o, e = np.ravel(observed).astype(float), np.ravel(expected).astype(float)
    keep = e > 0
    return float(stats.chi2.sf(((o[keep] - e[keep]) ** 2 / e[keep]).sum(), keep.sum()))


def test_background_counts_match_rates_by_zone_type_month_and_hour() -> None:
    sc = load_scenario(scenario())
    reps = 10
    start = np.datetime64(sc.start, "h")
    for zone, by_type in sc.arrivals.per_day.items():
        for ftype, rate in by_type.items():
            lam = hourly_rates(rate.per_day, sc.arrivals.hour_of_day, sc.horizon, sc.arrivals.month, sc.start)
            hours = start + np.arange(len(lam)).astype("timedelta64[h]")
            month = hours.astype("datetime64[M]").astype(int) % 12 + 1
            hod = (hours - hours.astype("datetime64[D]")).astype(int)
            obs_m, obs_h = np.zeros(13), np.zeros(24)
            for r in range(reps):
                f = generate(sc, 3, r)
                t = f.reported[(f.zone == list(sc.zones).index(zone)) & (f.fault_type == list(sc.fault_types)
                                                                          .index(ftype))]
                idx = (t // 60).astype(int)
                obs_m += np.bincount(month[idx], minlength=13)
                obs_h += np.bincount(hod[idx], minlength=24)
            exp_m = reps * np.bincount(month, weights=lam, minlength=13)
            exp_h = reps * np.bincount(hod, weights=lam, minlength=24)
            assert _chi2_p(obs_m, exp_m) > ALPHA, (zone, ftype, obs_m[6:9], exp_m[6:9])
            assert _chi2_p(obs_h, exp_h) > ALPHA, (zone, ftype)
            # month multipliers are rates, not shares: July has three times June's rate
            assert obs_m[7] / 31 > 2 * obs_m[6] / 30


def test_all_faults_lie_in_their_zone_and_the_horizon() -> None:
    sc = load_scenario(scenario(storms={"per_week": 2, "mix": {"lightning": 1}, "radius_km": 30}))
    f = generate(sc, 1, 0)
    boxes = np.array([z.area.box for z in sc.zones.values()])[f.zone]
    assert ((f.x >= boxes[:, 0]) & (f.x <= boxes[:, 2]) & (f.y >= boxes[:, 1]) & (f.y <= boxes[:, 3])).all()
    assert (f.reported >= 0).all() and (f.reported < sc.horizon).all() and (np.diff(f.reported) >= 0).all()
    assert set(np.unique(f.origin)) == {CALM, STORM}
    assert ((f.storm >= 0) == (f.origin == STORM)).all()


# Storms that never cross midnight (1 h long, starting 12:00-17:00) make each day's count a background Poisson
# count plus a compound Poisson sum of storm sizes: Var = mu_b + r E[K^2], with K | I ~ Poisson(I) and
# I ~ gamma(a, scale): E[K] = a scale, E[K^2] = E[I] + Var[I] + E[I]^2.
A, SCALE, PER_WEEK = 2.0, 10.0, 3.5
STORMY = {"per_week": PER_WEEK, "hour_of_day": [0] * 12 + [1] * 5 + [0] * 7, "duration": 60,
          "intensity": {"dist": "gamma", "a": A, "scale": SCALE}, "mix": {"lightning": 3, "tree_contact": 1}}


def _daily(f, horizon: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.bincount((f.reported // 1440).astype(int), minlength=int(horizon // 1440))


def test_storms_overdisperse_daily_counts_as_configured() -> None:
    flat = scenario(month=None, hour_of_day=None, storms=STORMY)
    sc = load_scenario(flat)
    mu_b = sum(r.per_day for by in sc.arrivals.per_day.values() for r in by.values())
    rate = PER_WEEK / 7
    ek = A * SCALE
    ek2 = ek + A * SCALE ** 2 + ek ** 2
    means, variances = [], []
    for r in range(40):
        d = _daily(generate(sc, 11, r), sc.horizon)
        means.append(d.mean())
        variances.append(d.var(ddof=1))
    m_ci = confidence_interval(np.array(means), 1 - ALPHA)
    v_ci = confidence_interval(np.array(variances), 1 - ALPHA)
    assert m_ci.low <= mu_b + rate * ek <= m_ci.high
    assert v_ci.low <= mu_b + rate * ek2 <= v_ci.high
    assert v_ci.low / m_ci.high > 10  # far from Poisson: the storms cluster faults in time


def test_without_storms_daily_counts_are_poisson() -> None:
    sc = load_scenario(scenario(month=None, hour_of_day=None))
    disp = [(d := _daily(generate(sc, 5, r), sc.horizon)).var(ddof=1) / d.mean() for r in range(40)]
    ci = confidence_interval(np.array(disp), 1 - ALPHA)
    assert ci.low <= 1.0 <= ci.high


def test_storm_count_and_mix_follow_the_configuration() -> None:
    sc = load_scenario(scenario(storms=STORMY))
    weeks = sc.horizon / (7 * 1440)
    counts = [len(draw_storms(sc, 2, r)) for r in range(60)]
    ci = confidence_interval(np.array(counts, float), 1 - ALPHA)
    assert ci.low <= PER_WEEK * weeks <= ci.high
    lightning = tree = 0
    for r in range(20):
        f = generate(sc, 2, r)
        s = f.origin == STORM
        lightning += int((s & (f.fault_type == 0)).sum())
        tree += int((s & (f.fault_type == 1)).sum())
    # given the total, lightning's count is binomial with p = 3/4
    assert stats.binomtest(lightning, lightning + tree, 0.75).pvalue > ALPHA


def test_storm_faults_cluster_around_the_track() -> None:
    """With zones far larger than the footprint, the distance of a storm fault from the cell's centre at its time
    is Rayleigh: mean radius * sqrt(pi / 2)."""
    big = scenario(storms={**STORMY, "radius_km": 5.0, "speed_kmh": 20, "zones": {"urban": 1}})
    big["zones"]["urban"]["area"]["box"] = [-1000, -1000, 1000, 1000]
    big["zones"]["rural"]["area"]["box"] = [2000, 2000, 2100, 2100]
    sc = load_scenario(big)
    dist = []
    for r in range(10):
        f = generate(sc, 4, r)
        for s in f.storms:
            sel = f.storm == s.number
            cx, cy = s.centre(f.reported[sel])
            dist.append(np.hypot(f.x[sel] - cx, f.y[sel] - cy))
    d = np.concatenate(dist)
    assert len(d) > 1000
    ci = confidence_interval(d, 1 - ALPHA)
    assert ci.low <= 5.0 * math.sqrt(math.pi / 2) <= ci.high


def test_heat_wave_multiplies_the_rate_of_its_fault_types_only() -> None:
    sc = load_scenario(scenario(month=None, heat_waves={
        "calendar": [{"start": "2026-07-01", "duration": "10 d"}], "multiplier": {"oil_leak": 3.0}}))
    inside = outside = 0
    for r in range(20):
        f = generate(sc, 8, r)
        oil = f.fault_type == 2
        hot = (f.reported >= 30 * 1440) & (f.reported < 40 * 1440)
        inside += int((oil & hot).sum())
        outside += int((oil & ~hot).sum())
        assert ((f.origin == HEAT) == (oil & hot)).all()
    # per day, inside the wave vs outside: rate ratio 3, so inside ~ Binomial(total, 3*10 / (3*10 + 82))
    assert stats.binomtest(inside, inside + outside, 30 / 112).pvalue > ALPHA


def test_prevention_scales_one_cause_and_leaves_the_others_alone() -> None:
    base = load_scenario(scenario(storms=STORMY))
    trimmed = load_scenario(scenario(storms=STORMY, prevention={"tree_contact": 0.5}))
    n_base = n_trim = 0
    for r in range(10):
        a, b = generate(base, 6, r), generate(trimmed, 6, r)
        other_a, other_b = a.fault_type != 1, b.fault_type != 1
        # common random numbers: every other fault is exactly as it was
        assert np.array_equal(a.reported[other_a], b.reported[other_b])
        assert np.array_equal(a.repair[other_a], b.repair[other_b])
        n_base += int((~other_a).sum())
        n_trim += int((~other_b).sum())
    assert stats.binomtest(n_trim, n_base + n_trim, 1 / 3).pvalue > ALPHA


def test_calendar_storm_lands_when_and_where_it_is_told() -> None:
    sc = load_scenario(scenario(storms={"mix": {"tree_contact": 1}, "calendar": [
        {"name": "derecho", "start": "2026-07-14 15:00", "duration": "2 h", "faults_per_hour": 30,
         "zones": ["rural"]}]}))
    t0 = (dt.datetime(2026, 7, 14, 15) - dt.datetime(2026, 6, 1)).total_seconds() / 60
    counts = []
    for r in range(30):
        f = generate(sc, 9, r)
        s = f.origin == STORM
        assert [st.name for st in f.storms] == ["derecho"]
        assert ((f.reported[s] >= t0) & (f.reported[s] < t0 + 120)).all()
        assert (f.zone[s] == 1).all() and (f.fault_type[s] == 1).all()
        counts.append(int(s.sum()))
    ci = confidence_interval(np.array(counts, float), 1 - ALPHA)
    assert ci.low <= 60 <= ci.high


def test_weather_does_not_touch_the_background_draws() -> None:
    calm = load_scenario(scenario())
    stormy = load_scenario(scenario(storms=STORMY))
    a, b = generate(calm, 12, 0), generate(stormy, 12, 0)
    bg = b.origin != STORM
    assert np.array_equal(a.reported, b.reported[bg]) and np.array_equal(a.x, b.x[bg])


@pytest.mark.parametrize("cv", [0.5, 1.0])
def test_day_to_day_variation_gives_negative_binomial_days(cv: float) -> None:
    sc = load_scenario(scenario(month=None, hour_of_day=None, day_to_day=cv))
    mu = sum(r.per_day for by in sc.arrivals.per_day.values() for r in by.values())
    variances = [_daily(generate(sc, 13, r), sc.horizon).var(ddof=1) for r in range(40)]
    ci = confidence_interval(np.array(variances), 1 - ALPHA)
    assert ci.low <= mu + cv ** 2 * mu ** 2 <= ci.high
