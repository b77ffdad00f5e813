"""Fit the storm-season arrival model to a historical outage log, and say how well it fits.

The method, in the terms of the scenario's arrival model:

1. Daily counts over every calendar day of the log (days without outages count as 0).
2. Storm days are the days the background cannot explain: a day is a storm day when its count exceeds the
   99.9th percentile of the negative binomial law of its month's calm days (mean by moments, overdispersion from
   the share of quiet days); calm means and overdispersion are re-estimated without the storm days until the split
   is stable.
3. Background: the calm-day mean per day, month multipliers (month mean / overall mean) and hour-of-day weights
   from the hours of calm-day outages. The weather between calm and storm, each day's rate factor (a gamma factor
   of coefficient of variation ``day_to_day`` times a lognormal weather ``severity``, both of mean 1), is fitted by
   maximum likelihood to the calm days' counts given their month means: the law of the days that are not storm
   days, with which the simulated model's calm days reproduce the log's, windy and rainy middling days included.
   (A negative binomial alone, fitted to the share of quiet days, gives too few of them.) The split of step 2 stays
   on the negative binomial: a split by the heavier-tailed law, re-estimated in turn, would call ever more storms
   calm until only a few were left. The gamma and lognormal parts are told apart only by the top tenths of a
   percent of calm days, which the split takes, so read the pair as one law of calm days; the days above the storm
   limit that this law gives (0.4-0.6 % of days on the sample log) are counted twice, as weather and in the storms
   fitted from them.
4. Storms: runs of consecutive storm days are one storm. Its size is the count above the background expected on
   those days; its duration comes from the shortest window holding 80 % of that excess (the rest of the day's
   outages are background), scaled to the full storm (uniform arrivals in a storm). Storms per week (with month
   multipliers), start hours, and lognormal laws for size and duration follow (size, not intensity: in real logs
   long storms are not proportionally bigger, so an intensity law independent of duration overstates sizes).
5. Outage durations (hours in the log): lognormal fits for calm and storm days separately (zero durations left
   out), with the Kolmogorov-Smirnov distance of each fit.

Goodness of fit: the fitted model is simulated over many seasons of the log's length and its distribution of daily
counts is compared with the log's (median, 90th and 99th percentile, share of days above 50), with the log's own
sampling uncertainty from a block bootstrap over weeks.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import optimize, special, stats

from sim.analysis.repeats import RepeatFit, fit_repeats
from sim.atomic import write_text
from sim.engine.faults import generate
from sim.errors import Issue, ScenarioError
from sim.inputs.coordinates import project
from sim.inputs.outagelog import OutageLog
from sim.scenario.loading import load_scenario

STORM_QUANTILE = 0.999


ZONE, FAULT_TYPE, SKILL = "service_area", "logged_outage", "repair"


@dataclass(frozen=True)
class LogNormal:
    """A lognormal law as scipy names it: ``lognorm(s, scale)``; scale is the median."""

    s: float
    scale: float

    @classmethod
    def fit(cls, values: np.ndarray) -> LogNormal:
        """Maximum-likelihood fit to positive ``values``."""
        logs = np.log(np.asarray(values, float))
        return cls(float(logs.std(ddof=0)) if len(logs) > 1 else 0.0, float(np.exp(logs.mean())))

    def scenario(self) -> dict[str, Any]:
        """As a scenario writes a distribution (a constant when there is no spread)."""
        if self.s <= 0:
            return {"dist": "constant", "value": round(self.scale, 4)}
        return {"dist": "lognorm", "s": round(self.s, 4), "scale": round(self.scale, 4)}

    def ks(self, values: np.ndarray) -> float:
        """Kolmogorov-Smirnov distance of ``values`` from this law."""
        if self.s <= 0:
            return math.nan
        return float(stats.kstest(values, "lognorm", args=(self.s, 0, self.scale)).statistic)


REPEAT_RADIUS_KM = 0.3
"""How far from a weak spot its repeats fall (sd in each axis), for fitting repeats from a log."""


@dataclass
class Fit:
    """The arrival model fitted to one log, with what it was fitted from."""

    source: str
    first_day: dt.date
    days: int
    daily: pd.Series  # outages per calendar day, every day of the log
    storm_day: pd.Series  # bool per day
    per_day: float
    day_to_day: float  # coefficient of variation of the daily gamma factor of the background
    month: dict[int, float]
    hour_of_day: list[float]
    storms_per_week: float
    storm_month: dict[int, float]
    storm_hour_of_day: list[float]
    duration: LogNormal  # minutes
    size: LogNormal  # faults per storm above the background
    events: pd.DataFrame  # one row per storm found
    outage_calm: LogNormal | None  # hours
    outage_storm: LogNormal | None
    outage_ks: dict[str, float] = field(default_factory=dict)
    outage_hours: dict[str, np.ndarray] = field(default_factory=dict)  # the durations each law was fitted to
    severity: float = 0.0  # log standard deviation of the daily lognormal weather factor of the background
    repeats: RepeatFit | None = None  # the self-exciting component, when the log has places

    def arrivals(self, zone: str = ZONE, fault_type: str = FAULT_TYPE) -> dict[str, Any]:
        """The scenario's ``arrivals`` section, every fault in ``zone`` and of ``fault_type``."""
        return {
            "hour_of_day": [round(w, 4) for w in self.hour_of_day],
            "month": {m: round(v, 4) for m, v in self.month.items()},
            "per_day": {zone: {fault_type: round(self.per_day, 4)}},
            "day_to_day": round(self.day_to_day, 4),
            "severity": round(self.severity, 4),
            "storms": {
                "per_week": round(self.storms_per_week, 4),
                "month": {m: round(v, 4) for m, v in self.storm_month.items()},
                "hour_of_day": [round(w, 4) for w in self.storm_hour_of_day],
                "duration": self.duration.scenario(),
                "size": self.size.scenario(),
                "mix": {fault_type: 1.0},
                "zones": {zone: 1.0},
                "radius_km": 10.0,
            },
        }

    def fragment(self, zone: str = ZONE, fault_type: str = FAULT_TYPE) -> dict[str, Any]:
        """A scenario fragment: the season's start and length, arrivals, and a fault type whose repair law is the
        calm-day outage duration (an upper bound: a logged outage includes the wait and the drive)."""
        repair = (LogNormal(self.outage_calm.s, self.outage_calm.scale * 60.0).scenario()
                  if self.outage_calm else {"dist": "constant", "value": 120})
        return {"start": self.first_day.isoformat(), "horizon": f"{self.days} d",
                "arrivals": self.arrivals(zone, fault_type),
                "fault_types": {fault_type: {"skills": [SKILL], "repair": repair}}}

    def scenario(self, days: int | None = None, replications: int = 10, seed: int = 1) -> dict[str, Any]:
        """A runnable scenario of the fitted model: one 50 x 50 km zone and one depot with ample units."""
        frag = self.fragment()
        return {"name": "fitted", "start": frag["start"], "horizon": f"{days or self.days} d",
                "replications": replications, "seed": seed,
                "zones": {ZONE: {"limits": {"arrive": 60, "restore": 360}, "speed_kmh": 40,
                                 "area": {"box": [0, 0, 50, 50]}}},
                "fault_types": frag["fault_types"], "arrivals": frag["arrivals"],
                "depots": {"centre": {"zone": ZONE, "location": [25, 25],
                                      "units": [{"name": "crew", "skills": [SKILL], "count": 20}]}}}


def daily_counts(times: pd.Series | np.ndarray, first_day: dt.date, days: int) -> pd.Series:
    """Outages per calendar day from ``first_day``, every one of ``days`` days (zero days included)."""
    t = pd.to_datetime(pd.Series(times))
    index = pd.date_range(pd.Timestamp(first_day), periods=days, freq="D")
    counts = t.dt.floor("D").value_counts()
    return counts.reindex(index, fill_value=0).astype(np.int64)


def _month_means(daily: pd.Series, calm: np.ndarray) -> np.ndarray:
    months = daily.index.month.to_numpy()
    overall = daily[calm].mean()
    means = np.full(13, overall)
    for m in range(1, 13):
        sel = calm & (months == m)
        if sel.sum() >= 7:
            means[m] = daily[sel].mean()
    return means[months]


def overdispersion(counts: np.ndarray, mu: np.ndarray) -> float:
    """Squared coefficient of variation k of a gamma day factor (negative binomial days, Var = mu + k mu^2), from
    the share of days without faults: storms never make a day quiet, so the estimate is robust to them. Solves
    mean over days of (1 + k mu)^(-1/k) = observed share of zero days.

    >>> rng = np.random.default_rng(3)
    >>> c = rng.poisson(5.0 * rng.gamma(4.0, 0.25, 200_000))
    >>> round(overdispersion(c, np.full(len(c), 5.0)), 2)
    0.25
    """
    c, m = np.asarray(counts, float), np.asarray(mu, float)
    zeros = float((c == 0).mean())

    def p0(k: float) -> float:
        return float(np.mean(np.exp(-m)) if k <= 0 else np.mean((1.0 + k * m) ** (-1.0 / k)))

    if zeros <= p0(0.0):
        return 0.0
    lo, hi = 0.0, 1.0
    while p0(hi) < zeros and hi < 1e3:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if p0(mid) < zeros else (lo, mid)
    return (lo + hi) / 2


SEVERITY_NODES = 48
"""Gauss-Hermite nodes over the lognormal weather severity."""


def day_law_pmf(mu: np.ndarray | float, cv: float, severity: float, n_max: int) -> np.ndarray:
    """Probabilities of 0..``n_max`` background faults on a day whose expected count is ``mu`` (one row per value),
    under the scenario's day factor: Poisson given the factor ``G * exp(severity * Z - severity**2 / 2)``, ``G``
    gamma with mean 1 and coefficient of variation ``cv``, ``Z`` standard normal. Given ``Z`` the count is negative
    binomial (Poisson when ``cv`` is 0); ``Z`` is integrated by Gauss-Hermite quadrature.

    >>> p = day_law_pmf(3.0, 0.5, 0.0, 400)
    >>> bool(np.allclose(p[0], stats.nbinom.pmf(np.arange(401), 4.0, 4.0 / 7.0)))
    True
    >>> p = day_law_pmf([2.0, 8.0], 0.3, 0.7, 600)
    >>> (p @ np.arange(601)).round(6).tolist()
    [2.0, 8.0]
    """
    mu = np.atleast_1d(np.asarray(mu, float))
    n = np.arange(n_max + 1)
    if severity > 0:
        z, w = np.polynomial.hermite_e.hermegauss(SEVERITY_NODES)
        w = w / w.sum()
    else:
        z, w = np.zeros(1), np.ones(1)
    lam = (mu[:, None] * np.exp(severity * z - severity ** 2 / 2)[None, :])[:, :, None]  # (values, nodes, 1)
    lam = np.maximum(lam, 1e-300)
    if cv > 1e-4:  # negative binomial of size r and mean lam, written out: scipy's is ten times slower here
        r = 1.0 / cv ** 2
        log_p = (special.gammaln(n + r) - special.gammaln(r) - special.gammaln(n + 1.0)
                 + r * np.log(r / (r + lam)) + n * np.log(lam / (r + lam)))
    else:
        log_p = n * np.log(lam) - lam - special.gammaln(n + 1.0)
    return np.einsum("vjn,j->vn", np.exp(log_p), w)


def fit_day_law(counts: np.ndarray, mu: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood (``cv``, ``severity``) of :func:`day_law_pmf` for days with ``counts`` faults and
    expected counts ``mu`` (the months' calm means: few distinct values)."""
    c = np.asarray(counts, np.int64)
    values, which = np.unique(np.asarray(mu, float), return_inverse=True)
    n_max = int(c.max()) if len(c) else 0
    seen = np.zeros((len(values), n_max + 1))
    np.add.at(seen, (which, c), 1.0)  # how many days of each expectation had each count

    def minus_log_likelihood(p: np.ndarray) -> float:
        table = day_law_pmf(values, float(p[0]), float(p[1]), n_max)
        return -float((seen * np.log(np.maximum(table, 1e-300))).sum())

    if len(c) < 2:
        return 0.0, 0.0
    best = None
    for start in ((0.5, 0.1), (0.1, 0.6), (1.0, 0.6)):  # the likelihood can have a ridge: start from three sides
        r = optimize.minimize(minus_log_likelihood, np.array(start), method="L-BFGS-B",
                              bounds=[(0.0, 4.0), (0.0, 2.0)])
        if best is None or r.fun < best.fun:
            best = r
    assert best is not None
    return float(best.x[0]), float(best.x[1])


def split_storm_days(daily: pd.Series) -> tuple[np.ndarray, np.ndarray, float]:
    """(storm-day flags, each day's calm expectation, day-to-day k) by the iterated 99.9 % rule: a storm day's
    count exceeds the 99.9th percentile of the negative binomial law of its month's calm days."""
    storm = np.zeros(len(daily), dtype=bool)
    c = daily.to_numpy()
    k = 0.0
    for _ in range(100):
        mu = np.maximum(_month_means(daily, ~storm), 1e-9)
        k = overdispersion(c, mu)
        if k > 1e-9:
            n = 1.0 / k
            limit = stats.nbinom.ppf(STORM_QUANTILE, n, n / (n + mu))
        else:
            limit = stats.poisson.ppf(STORM_QUANTILE, mu)
        new = c > limit
        if (new == storm).all():
            break
        storm = new
    return storm, _month_means(daily, ~storm), k


def _hour_weights(hours: np.ndarray) -> list[float]:
    counts = np.bincount(np.asarray(hours, np.int64), minlength=24)[:24] + 0.5  # no hour impossible
    return (counts / counts.mean()).tolist()


def _events(log: pd.DataFrame, daily: pd.Series, storm: np.ndarray, mu: np.ndarray) -> pd.DataFrame:
    day_of = log["time_out"].dt.floor("D")
    rows = []
    i = 0
    while i < len(daily):
        if not storm[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(daily) and storm[j + 1]:
            j += 1
        days = daily.index[i:j + 1]
        t = np.sort(log.loc[day_of.isin(days), "time_out"].to_numpy())
        minutes = (t - t[0]).astype("timedelta64[s]").astype(float) / 60.0
        excess = max(1.0, float(daily.iloc[i:j + 1].sum() - mu[i:j + 1].sum()))
        m = int(round(excess))
        k = min(len(minutes), max(2, int(round(0.8 * m))))
        spans = minutes[k - 1:] - minutes[:len(minutes) - k + 1]
        at = int(np.argmin(spans))
        # k consecutive of m uniform arrivals span (k - 1) / (m + 1) of the storm on average
        duration = max(60.0, float(spans[at]) * (m + 1) / max(1, k - 1))
        start = pd.Timestamp(t[0]) + pd.Timedelta(minutes=float(minutes[at]) - (duration - float(spans[at])) / 2)
        rows.append({"start": start, "days": j - i + 1, "outages": int(daily.iloc[i:j + 1].sum()),
                     "excess": excess, "duration_min": duration, "intensity": excess / (duration / 60.0)})
        i = j + 1
    return pd.DataFrame(rows, columns=["start", "days", "outages", "excess", "duration_min", "intensity"])


MIN_DAYS = 28
"""The shortest log ``fit`` takes: four weeks, so that calm days, storms and the weekly bootstrap have data."""


def fit_log(log: OutageLog) -> Fit:
    """Fit the arrival model to ``log`` (see the module's description of the method)."""
    f = log.frame
    first = f["time_out"].min().normalize()
    days = int((f["time_out"].max().normalize() - first).days) + 1
    if days < MIN_DAYS:
        raise ScenarioError(log.report.source, [Issue((), f"the log spans {days} day{'s' if days != 1 else ''}; "
                                                          f"expected at least {MIN_DAYS} days of outages to fit "
                                                          "calm days and storms")])
    daily = daily_counts(f["time_out"], first.date(), days)
    storm, mu, _ = split_storm_days(daily)
    calm = ~storm
    cv, severity = fit_day_law(daily.to_numpy()[calm], mu[calm])
    overall = float(daily[calm].mean())
    month_mean = pd.Series(daily[calm].to_numpy(), index=daily.index[calm]).groupby(daily.index[calm].month).mean()
    month = {int(m): float(v / overall) for m, v in month_mean.items()} if overall > 0 else {}
    storm_days = set(daily.index[storm])
    on_storm_day = f["time_out"].dt.floor("D").isin(storm_days).to_numpy()
    events = _events(f, daily, storm, mu)
    weeks = days / 7.0
    per_week = len(events) / weeks
    storm_month: dict[int, float] = {}
    if len(events):
        days_in_month = pd.Series(1, index=daily.index).groupby(daily.index.month).sum()
        by_month = events["start"].dt.month.value_counts()
        rate = {int(m): by_month.get(m, 0) / n for m, n in days_in_month.items()}
        mean_rate = len(events) / days
        storm_month = {m: float(r / mean_rate) for m, r in rate.items()}
    dur = LogNormal.fit(events["duration_min"].to_numpy()) if len(events) else LogNormal(0.0, 240.0)
    size = LogNormal.fit(events["excess"].to_numpy()) if len(events) else LogNormal(0.0, 1.0)
    hours = f["time_out"].dt.hour.to_numpy()
    fit = Fit(log.report.source, first.date(), days, daily, pd.Series(storm, index=daily.index), overall,
              cv, month,
              _hour_weights(hours[~on_storm_day]), per_week, storm_month,
              _hour_weights(events["start"].dt.hour.to_numpy()) if len(events) else [1.0] * 24,
              dur, size, events, None, None, severity=severity)
    d = f["duration_h"].to_numpy(float)
    for name, sel in (("calm", ~on_storm_day), ("storm", on_storm_day)):
        v = d[sel & (d > 0) & np.isfinite(d)]
        if len(v) >= 10:
            law = LogNormal.fit(v)
            setattr(fit, f"outage_{name}", law)
            fit.outage_hours[name] = np.sort(v)
            fit.outage_ks[name] = law.ks(v)
    if "longitude" in f and "latitude" in f and len(f) >= 2:
        lon, lat = f["longitude"].to_numpy(float), f["latitude"].to_numpy(float)
        x, y = project(lon, lat, (float(np.mean(lon)), float(np.mean(lat))))
        minutes = (f["time_out"] - first).dt.total_seconds().to_numpy() / 60.0
        fit.repeats = fit_repeats(minutes, x, y, REPEAT_RADIUS_KM, days * 1440.0)
    return fit


# ---------------------------------------------------------------- goodness of fit

STATISTICS = ("mean", "median", "p90", "p99", "share_over_50")
"""Statistics of the distribution of faults per day that the fit is judged on."""


def day_statistics(counts: np.ndarray) -> dict[str, float]:
    """Mean, median, 90th and 99th percentile of faults per day and the share of days with more than 50.

    >>> day_statistics(np.array([0, 1, 1, 2, 60]))["share_over_50"]
    0.2
    """
    c = np.asarray(counts, float)
    return {"mean": float(c.mean()), "median": float(np.percentile(c, 50)), "p90": float(np.percentile(c, 90)),
            "p99": float(np.percentile(c, 99)), "share_over_50": float((c > 50).mean())}


def block_bootstrap(counts: np.ndarray, seed: int = 0, resamples: int = 2000, block: int = 7,
                    level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile intervals of each day statistic from resampling whole weeks (days of a storm hang together)."""
    c = np.asarray(counts)
    n_blocks = len(c) // block
    blocks = c[:n_blocks * block].reshape(n_blocks, block)
    rng = np.random.default_rng(seed)
    draws = {k: np.empty(resamples) for k in STATISTICS}
    for r in range(resamples):
        sample = blocks[rng.integers(0, n_blocks, n_blocks)].ravel()
        for k, v in day_statistics(sample).items():
            draws[k][r] = v
    a = (1 - level) / 2
    return {k: (float(np.quantile(v, a)), float(np.quantile(v, 1 - a))) for k, v in draws.items()}


def simulated_daily_counts(fit: Fit, seasons: int = 20, seed: int = 1) -> np.ndarray:
    """Faults per day of the fitted model over ``seasons`` seasons of the log's length (faults only: no run)."""

    try:
        sc = load_scenario(fit.scenario(replications=seasons, seed=seed))
    except ScenarioError as exc:  # the fitted laws break the scenario rules: say so of the log, not of a dict
        raise ScenarioError(fit.source, [Issue((), f"the fitted model cannot be simulated: {i.message} (at "
                                                   f"{'.'.join(map(str, i.path))}); expected durations and counts "
                                                   "a scenario can hold") for i in exc.issues]) from None
    out = []
    for r in range(seasons):
        t = generate(sc, seed, r).reported
        out.append(np.bincount((t // 1440.0).astype(np.int64), minlength=fit.days)[:fit.days])
    return np.concatenate(out)


@dataclass
class FitReport:
    """How well a fit reproduces its log: day statistics of the log (with bootstrap intervals) and of the
    simulated model, and the Kolmogorov-Smirnov distances of the duration fits."""

    fit: Fit
    log_stats: dict[str, float]
    log_interval: dict[str, tuple[float, float]]
    sim_stats: dict[str, float]
    simulated: np.ndarray

    def within(self) -> dict[str, bool]:
        """Whether each simulated statistic lies inside the log's bootstrap interval."""
        return {k: self.log_interval[k][0] <= self.sim_stats[k] <= self.log_interval[k][1] for k in STATISTICS}

    def text(self) -> str:
        """The report as the ``fit`` command prints it."""
        f = self.fit
        lines = [f"{f.source}: {f.days} days from {f.first_day}, {int(f.daily.sum())} outages, "
                 f"{int(f.storm_day.sum())} storm days in {len(f.events)} storms",
                 f"background {f.per_day:.3f} faults/day on calm days, day-to-day variation {f.day_to_day:.2f}, "
                 f"weather severity {f.severity:.2f}; "
                 f"storms {f.storms_per_week:.3f}/week, "
                 f"duration median {f.duration.scale / 60:.1f} h (s={f.duration.s:.2f}), size median "
                 f"{f.size.scale:.1f} faults (s={f.size.s:.2f})"]
        years = f.daily.groupby(f.daily.index.year).agg(["mean", "size"])
        years = years[years["size"] >= 300]["mean"]
        if len(years) >= 2 and years.min() > 0 and years.max() / years.min() > 1.5:
            lines.append("trend: faults per day by year " + ", ".join(f"{y} {v:.1f}" for y, v in years.items())
                         + "; the model has no trend between years: fit a steady window with --from/--to")
        if f.repeats is not None:
            lines.append(f.repeats.text())
        for name in ("calm", "storm"):
            law = getattr(f, f"outage_{name}")
            if law is not None:
                lines.append(f"outage duration on {name} days: lognormal median {law.scale:.2f} h, s={law.s:.2f}, "
                             f"KS distance {f.outage_ks[name]:.3f}")
        lines.append(f"faults per day       log   log 95% CI (weekly bootstrap)   "
                     f"simulated ({len(self.simulated)} days)")
        for k in STATISTICS:
            lo, hi = self.log_interval[k]
            mark = "ok" if self.within()[k] else "outside"
            lines.append(f"  {k:<15} {self.log_stats[k]:>8.3f}   [{lo:.3f}, {hi:.3f}]{'':<12} "
                         f"{self.sim_stats[k]:>8.3f}  {mark}")
        return "\n".join(lines)

    def figure(self) -> Any:
        """A plotly figure: daily counts of the log against the model (survival function), and duration fits."""
        import plotly.graph_objects as go  # noqa: PLC0415 (plotly or dask only when used: they take long to import)
        from plotly.subplots import make_subplots  # noqa: PLC0415 (plotly or dask only when used: they take long to import)

        fig = make_subplots(rows=1, cols=2, subplot_titles=("Faults per day: log vs fitted model",
                                                            "Outage durations: log vs lognormal fit"))
        for name, counts in (("log", self.fit.daily.to_numpy()), ("simulated", self.simulated)):
            x = np.sort(counts)
            surv = 1.0 - np.arange(1, len(x) + 1) / len(x)
            keep = surv > 0
            fig.add_trace(go.Scatter(x=x[keep] + 1, y=surv[keep], mode="lines", name=f"{name} days",
                                     line={"shape": "hv"}), row=1, col=1)
        fig.update_xaxes(type="log", title_text="faults per day + 1", row=1, col=1)
        fig.update_yaxes(type="log", title_text="share of days with more", row=1, col=1)
        for name in ("calm", "storm"):
            law = getattr(self.fit, f"outage_{name}")
            if law is None:
                continue
            v = self.fit.outage_hours[name]
            fig.add_trace(go.Scatter(x=v, y=np.arange(1, len(v) + 1) / len(v), mode="lines", name=f"{name} days",
                                     line={"shape": "hv"}), row=1, col=2)
            grid = np.logspace(-2, 2.5, 200)
            fig.add_trace(go.Scatter(x=grid, y=stats.lognorm.cdf(grid, law.s, 0, law.scale), mode="lines",
                                     name=f"{name} fit", line={"dash": "dash"}), row=1, col=2)
        fig.update_xaxes(type="log", title_text="outage duration, h", row=1, col=2)
        fig.update_yaxes(title_text="share shorter", row=1, col=2)
        return fig


def assess(fit: Fit, log: OutageLog | None = None, seasons: int = 20, seed: int = 1) -> FitReport:
    """Simulate ``fit`` and compare its daily counts with the log's."""
    counts = fit.daily.to_numpy()
    sim = simulated_daily_counts(fit, seasons, seed)
    return FitReport(fit, day_statistics(counts), block_bootstrap(counts, seed), day_statistics(sim), sim)


def write_fragment(report: FitReport, out: Path) -> tuple[Path, Path]:
    """Write the scenario fragment ``out`` (YAML, with the report as comments) and ``out``.fit.html; atomic."""


    text = "\n".join(f"# {line}" for line in report.text().splitlines())
    body = (f"# Fitted by `stormcrew fit` ({dt.date.today().isoformat()}). Merge into a scenario: rename the zone "
            f"and fault type,\n# split per_day over your zones and causes.\n{text}\n"
            + yaml.safe_dump(report.fit.fragment(), sort_keys=False, default_flow_style=None))
    html = out.with_suffix(".fit.html")
    write_text(out, body)
    page = report.figure().to_html(include_plotlyjs=True, full_html=True)
    write_text(html, page.replace("<head>", '<head><meta name="generator" content="stormcrew">', 1))
    return out, html
