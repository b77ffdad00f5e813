"""Fitting repeat outages from a log: the branching ratio and mean delay of a self-exciting (Hawkes) component.

The model: outages at times t_i (minutes) and places (x_i, y_i) (km) arrive at rate

    lambda(t, x, y) = mu_d(t) / A + sum over t_j < t of  eta * beta * exp(-beta (t - t_j)) * phi(x - x_j, y - y_j)

with a background mu_d constant within each day d (so the weather's days, storms included, are background, not
self-excitation) and uniform over the area A, and each outage raising the chance of another near it (phi: a
normal of sd ``radius_km`` in each axis) for a while (mean delay 1 / beta). ``eta`` is the branching ratio: the
expected repeats each outage brings.

It is fitted by the EM algorithm of stochastic declustering (Veen and Schoenberg 2008): the E-step gives each
outage the probabilities that it was background or a repeat of each earlier outage near it (pairs found with a
k-d tree, never an n x n matrix), the M-step the closed-form rates. The interval of ``eta`` treats the expected
number of repeats as a Poisson count: eta x (1 +- 1.96 / sqrt(repeats)), checked for coverage on designed data in
tests/test_repeat_outages.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class RepeatFit:
    """The fitted branching ratio with its 95 % interval, the mean delay (minutes), the expected number of
    repeats among the ``outages``, and the EM iterations run."""

    branching: float
    low: float
    high: float
    mean_delay: float
    repeats: float
    outages: int
    iterations: int
    shared_places: float = 0.0  # share of outages whose place another outage has too

    @property
    def identifiable(self) -> bool:
        """Whether the log places outages finely enough to tell a repeat from a neighbour: when most outages
        share their coordinates (a town's centre, a feeder's), everything in a town looks like a repeat."""
        return self.shared_places <= MAX_SHARED_PLACES

    def text(self) -> str:
        """One line, as ``stormcrew fit`` prints it."""
        if not self.identifiable:
            return (f"repeat outages: not fitted: {100 * self.shared_places:.0f} % of outages share their "
                    "coordinates with another (places by town or feeder, not by spot), so a repeat cannot be told "
                    "from a neighbour; give arrivals.repeats from the utility's asset records")
        return (f"repeat outages: branching ratio {self.branching:.3f} [{self.low:.3f}, {self.high:.3f}], mean "
                f"delay {self.mean_delay / 60:.1f} h ({self.repeats:,.0f} of {self.outages:,} outages repeats)")


MAX_SHARED_PLACES = 0.5
"""Above this share of outages with the coordinates of another, a log's places are too coarse to fit repeats."""


def shared_places(x: np.ndarray, y: np.ndarray) -> float:
    """Share of points whose coordinates another point has too (to a metre).

    >>> shared_places(np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.0, 2.0]))
    0.6666666666666666
    """
    if not len(x):
        return 0.0
    _, inverse, counts = np.unique(np.round(np.column_stack([x, y]), 3), axis=0, return_inverse=True,
                                   return_counts=True)
    return float((counts[inverse.ravel()] > 1).mean())


def _pairs(t: np.ndarray, x: np.ndarray, y: np.ndarray, reach_km: float, window: float) -> tuple[np.ndarray,
                                                                                                 np.ndarray]:
    """(child, parent) pairs with the parent earlier, within ``window`` minutes and ``reach_km``."""
    scale = reach_km / window  # time in km: a ball of radius sqrt(2) reach_km holds the cylinder
    tree = cKDTree(np.column_stack([x, y, t * scale]))
    pairs = tree.query_pairs(math.sqrt(2.0) * reach_km, output_type="ndarray")
    if not len(pairs):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a, b = pairs[:, 0], pairs[:, 1]
    child, parent = np.where(t[a] > t[b], a, b), np.where(t[a] > t[b], b, a)
    dt = t[child] - t[parent]
    near = (dt > 0) & (dt <= window) & (np.hypot(x[child] - x[parent], y[child] - y[parent]) <= reach_km)
    return child[near], parent[near]


def fit_repeats(t: np.ndarray, x: np.ndarray, y: np.ndarray, radius_km: float, horizon: float | None = None,
                window: float = 14 * 1440.0, iterations: int = 200, tol: float = 1e-6) -> RepeatFit:
    """Fit the branching ratio and mean delay of repeat outages at times ``t`` (minutes from the log's start)
    and places ``x``, ``y`` (km), with the spatial spread ``radius_km`` given. Pairs further apart than 4 radii
    or ``window`` minutes are not considered (their kernel is negligible there); ``horizon``: the log's length
    (default: the last outage)."""
    order = np.argsort(t, kind="stable")
    t, x, y = (np.asarray(a, float)[order] for a in (t, x, y))
    n = len(t)
    horizon = float(t[-1]) if horizon is None and n else float(horizon or 0.0)
    if n < 2 or radius_km <= 0:
        return RepeatFit(0.0, 0.0, math.nan, math.nan, 0.0, n, 0)
    child, parent = _pairs(t, x, y, 4.0 * radius_km, window)
    dt = t[child] - t[parent]
    d2 = (x[child] - x[parent]) ** 2 + (y[child] - y[parent]) ** 2
    phi = np.exp(-d2 / (2 * radius_km ** 2)) / (2 * math.pi * radius_km ** 2)
    area = max((x.max() - x.min()) * (y.max() - y.min()), (4 * radius_km) ** 2)
    day = (t // 1440).astype(np.int64)
    n_days = int(horizon // 1440) + 1
    counts = np.bincount(day, minlength=n_days)
    mu = counts / 1440.0  # per minute over the area: start with everything background
    eta, beta = 0.1, 1.0 / (window / 10)
    it = 0
    while it < iterations:
        it += 1
        trig = eta * beta * np.exp(-beta * dt) * phi
        total = mu[day] / area + np.bincount(child, weights=trig, minlength=n)
        p = trig / total[child]  # chance each child was a repeat of each parent
        background = mu[day] / area / total
        repeats = float(p.sum())
        mu_new = np.bincount(day, weights=background, minlength=n_days) / 1440.0
        exposure = float((1.0 - np.exp(-beta * np.minimum(horizon - t, window))).sum())
        eta_new = repeats / exposure if exposure > 0 else 0.0
        beta_new = repeats / float((p * dt).sum()) if repeats > 0 else beta
        done = abs(eta_new - eta) < tol and abs(beta_new - beta) < tol * beta
        mu, eta, beta = mu_new, eta_new, beta_new
        if done or repeats <= 0:
            break
    half = 1.96 / math.sqrt(repeats) if repeats > 0 else math.inf
    return RepeatFit(eta, max(0.0, eta * (1 - half)), eta * (1 + half), 1.0 / beta if beta > 0 else math.nan,
                     repeats, n, it, shared_places(x, y))
