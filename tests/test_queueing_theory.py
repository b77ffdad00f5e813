"""The engine against queueing theory (as Ciw's own tests do): the special case of one zone, zero travel,
exponential repairs and c crews always on duty is an M/M/c queue, whose mean wait and probability of waiting
are given by the Erlang C formula. Also cross-checked against Ciw, an independent simulator.

Tolerances come from confidence intervals over independent replications (99 %), with a check that the
interval is narrow enough for the comparison to mean something.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.analysis.metrics import confidence_interval, welch_halfwidth
from tests.conftest import mmc_scenario

LAM, MEAN_REPAIR, CREWS = 0.08, 30.0, 3  # per minute, minutes: offered load 2.4 Erlang, utilisation 0.8
HORIZON, WARMUP, REPS = 100_000.0, 5_000.0, 40


def erlang_c(lam: float, mu: float, c: int) -> tuple[float, float]:
    """Probability of waiting and mean wait in queue of M/M/c."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait, p_wait / (c * mu - lam)


def test_erlang_c_reference_value() -> None:
    # hand-computed: a = 2.4, a^3/3!/(1-0.8) = 11.52, sum_{k<3} a^k/k! = 6.28 -> C = 11.52 / 17.8
    p, wq = erlang_c(0.08, 1 / 30, 3)
    assert p == pytest.approx(11.52 / 17.8)
    assert wq == pytest.approx(11.52 / 17.8 / 0.02)


@pytest.fixture(scope="module")
def mmc_waits() -> tuple[np.ndarray, np.ndarray]:
    """Per replication: mean wait and share of faults that waited, after the warm-up."""
    res = sim.run(mmc_scenario(LAM, MEAN_REPAIR, CREWS, HORIZON), replications=REPS, seed=11, workers=2)
    f = res.faults[res.faults["reported"] >= WARMUP]
    by_rep = f.groupby("replication")["time_to_site"]
    return by_rep.mean().to_numpy(), by_rep.apply(lambda w: (w > 0).mean()).to_numpy()


def test_mean_wait_matches_erlang_c(mmc_waits: tuple[np.ndarray, np.ndarray]) -> None:
    _, wq = erlang_c(LAM, 1 / MEAN_REPAIR, CREWS)
    ci = confidence_interval(mmc_waits[0], level=0.99)
    assert ci.high - ci.low < 0.15 * wq, "interval too wide for a meaningful test"
    assert ci.low <= wq <= ci.high, f"Erlang C {wq:.2f} outside 99% CI [{ci.low:.2f}, {ci.high:.2f}]"


def test_probability_of_waiting_matches_erlang_c(mmc_waits: tuple[np.ndarray, np.ndarray]) -> None:
    p_wait, _ = erlang_c(LAM, 1 / MEAN_REPAIR, CREWS)
    ci = confidence_interval(mmc_waits[1], level=0.99)
    assert ci.high - ci.low < 0.05
    assert ci.low <= p_wait <= ci.high, f"Erlang C {p_wait:.3f} outside 99% CI [{ci.low:.3f}, {ci.high:.3f}]"


def test_utilisation_matches_offered_load() -> None:
    res = sim.run(mmc_scenario(LAM, MEAN_REPAIR, CREWS, 50_000.0), replications=20, seed=5, workers=2)
    fig = res.figure("all", "utilisation", scope="units")
    rho = LAM * MEAN_REPAIR / CREWS
    assert fig["ci_low"] <= rho <= fig["ci_high"]


def test_same_wait_as_ciw(mmc_waits: tuple[np.ndarray, np.ndarray]) -> None:
    """Welch's 99 % interval for the difference of mean waits (stormcrew - Ciw) contains zero."""
    ciw = pytest.importorskip("ciw")
    net = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(rate=LAM)],
                             service_distributions=[ciw.dists.Exponential(rate=1 / MEAN_REPAIR)],
                             number_of_servers=[CREWS])
    theirs = []
    for rep in range(20):
        ciw.seed(1000 + rep)
        q = ciw.Simulation(net)
        q.simulate_until_max_time(HORIZON / 2)
        waits = [r.waiting_time for r in q.get_all_records() if r.arrival_date >= WARMUP]
        theirs.append(np.mean(waits))
    ours, theirs = mmc_waits[0], np.asarray(theirs)
    half = welch_halfwidth(ours.var(ddof=1), len(ours), theirs.var(ddof=1), len(theirs), level=0.99)
    diff = ours.mean() - theirs.mean()
    assert half < 0.2 * ours.mean()
    assert abs(diff) <= half, f"stormcrew - Ciw = {diff:.2f} min, 99% half-width {half:.2f}"
