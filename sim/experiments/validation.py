"""Does the simulated utility behave like the real one? A historical outage log against a run, side by side.

Both sides are reduced to the same table (one row per outage: its replication, the day it was reported on, the
hour of its report and its time to restore) and every figure is computed from that table by the same code, so a
simulation built from the log itself reproduces the log's figures exactly (the tests check that). The figures:

* Time to restore (hours): the log's outage duration, the simulation's time from report to restoration (supply
  back, a van's temporary restoration included), on calm days, on storm days and on all days: mean (a CAIDI-like
  figure: every outage counts once, not weighted by customers), median, 90th percentile and the two-sample
  Kolmogorov-Smirnov distance (``scipy.stats.ks_2samp``: the largest gap between the two distribution functions,
  0 for the same distribution, 1 for disjoint ones). Log rows with a duration of 0 (momentary or unrecorded) are
  left out, as the fit leaves them out; the same rule applies to the simulation, where it never bites.
* Calm and storm days are defined by a day's count of outages, the same way on both sides: calm below
  ``calm_below`` (10) a day, storm from ``storm_from`` (50) a day (the thresholds of the Western Massachusetts
  fits in the domain notes); days in between count in "all days" only. An outage belongs to the day it was
  reported on. These are absolute counts: a simulated area much bigger or smaller than the log's has more or
  fewer such days, which the daily counts show.
* Faults per day: mean, median, 90th and 99th percentile and the share of days above 50 of every calendar day of
  the log's span (days without outages count as 0) against every day of every replication
  (``sim.analysis.fit.day_statistics``).
* Storm restoration: for every storm day, the share of its outages restored against the hours since its first
  report; t50 and t90 are the hours until 50 % and 90 % were back. Reported as the median over storm days and the
  mean over the ``biggest`` (5) storm days of each side, with their sizes (bigger days take longer: compare
  like with like).

About 550 lines in one module on purpose: each figure, its reduction of both sides and its line in the report are
read and checked together, and the module has one entry point (``validate_against``).
"""

from __future__ import annotations

import html
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.fit import STATISTICS, day_statistics
from sim.analysis.timeseries import restored_share_times
from sim.errors import InputError, Issue, ScenarioError
from sim.experiments.runner import run
from sim.inputs.outagelog import LogColumns, OutageLog, read_log
from sim.output.report import page, plot_html, table_html, write_html
from sim.texttable import text_table

CALM_BELOW = 10
"""A calm day has fewer outages than this."""


STORM_FROM = 50
"""A storm day has at least this many outages."""


BIGGEST = 5
"""Storm restoration is also summarised over this many of each side's biggest storm days."""


GROUPS = ("calm", "storm", "all")


CURVE_STEP_HOURS = 0.5


DECIMALS = 6
"""Hours are compared to the microhour (3.6 ms): the rounding error of restored - reported in minutes must not
split a tie of the log (many outages last exactly 1 h) and show as a KS distance."""


@dataclass
class Outages:
    """One side of the comparison: one row per outage with ``replication``, ``day`` (0 = the side's first day),
    ``reported_h`` (hours since the midnight starting day 0) and ``restore_h`` (hours to restore; NaN when not
    usable), over ``days`` days in each of ``replications`` replications; ``counted`` (one flag per day, default
    all) says which days count in the distribution of faults per day (a log restricted to some months)."""

    name: str
    frame: pd.DataFrame
    days: int
    replications: int
    notes: list[str] = field(default_factory=list)
    counted: np.ndarray | None = None

    def counts(self) -> np.ndarray:
        """Outages per counted day, every replication's days one after the other."""
        daily = self.daily()
        return (daily if self.counted is None else daily[:, self.counted]).ravel()

    def daily(self) -> np.ndarray:
        """Outages per day, every day of every replication (days without outages count as 0), shape (reps, days)."""
        out = np.zeros((self.replications, self.days), dtype=np.int64)
        rep = self.frame["replication"].to_numpy(np.int64)
        day = self.frame["day"].to_numpy(np.int64)
        inside = (day >= 0) & (day < self.days)
        np.add.at(out, (rep[inside], day[inside]), 1)
        return out

    def day_count(self) -> np.ndarray:
        """For each outage, the count of outages on its day."""
        daily = self.daily()
        rep = self.frame["replication"].to_numpy(np.int64)
        day = np.clip(self.frame["day"].to_numpy(np.int64), 0, self.days - 1)
        return daily[rep, day]


def log_outages(log: OutageLog, months: list[int] | None = None) -> Outages:
    """The log as one side: day 0 is the day of its first outage, every calendar day to its last counts (only
    the outages and days of ``months``, when given)."""
    f = log.frame
    first = f["time_out"].min().normalize()
    counted = None
    if months:
        f = f[f["time_out"].dt.month.isin(months)]
        if f.empty:
            raise ScenarioError(log.report.source, [Issue((), f"no outage in months {_months(sorted(months))}")])
    day = ((f["time_out"] - first) // pd.Timedelta(days=1)).to_numpy(np.int64)
    reported_h = ((f["time_out"] - first) / pd.Timedelta(hours=1)).to_numpy(float)
    d = f["duration_h"].to_numpy(float)
    usable = np.isfinite(d) & (d > 0)
    if not usable.any():
        raise ScenarioError(log.report.source, [Issue((), "no outage with a duration above 0 hours; expected a "
                                                      "duration_h column of hours to compare restore times with")])
    notes = []
    if (~usable).any():
        n = int((~usable).sum())
        notes.append(f"log: {n} outage{'s' if n != 1 else ''} without a duration above 0 count{'s' if n == 1 else ''} "
                     "in the days but not in the restore times")
    frame = pd.DataFrame({"replication": np.zeros(len(f), np.int64), "day": day, "reported_h": reported_h,
                          "restore_h": np.where(usable, np.round(d, DECIMALS), np.nan)})
    days = int((f["time_out"].max().normalize() - first) // pd.Timedelta(days=1)) + 1
    if months:
        counted = pd.date_range(first, periods=days, freq="D").month.isin(months)
    return Outages(log.report.source, frame, days, 1, notes, counted)


def simulated_outages(faults: pd.DataFrame, start: Any = None, horizon_min: float | None = None,
                      replications: int | None = None, name: str = "simulation") -> Outages:
    """A run's ``faults`` table as one side. ``start``: the calendar time of minute 0 (its time of day places the
    day boundaries; default midnight); ``horizon_min``: the season's length (default: up to the last report);
    ``replications``: how many there were (default: as many as the table's ``replication`` column shows)."""
    if "reported" not in faults:
        raise ValueError("faults table: expected a column 'reported' (minutes)")
    reported = faults["reported"].to_numpy(float)
    if "restored" in faults:
        ttr = faults["restored"].to_numpy(float) - reported
    elif "time_to_restore" in faults:
        ttr = faults["time_to_restore"].to_numpy(float)
    else:
        raise ValueError("faults table: expected a column 'restored' or 'time_to_restore' (minutes)")
    rep = faults["replication"].to_numpy(np.int64) if "replication" in faults else np.zeros(len(faults), np.int64)
    offset = 0.0
    if start is not None:
        t = pd.Timestamp(start)
        offset = (t - t.normalize()) / pd.Timedelta(minutes=1)
    minute = reported + offset
    day = np.floor(minute / 1440.0).astype(np.int64)
    end = (horizon_min + offset) if horizon_min is not None else (float(minute.max()) if len(minute) else 0.0)
    days = max(1, math.ceil(end / 1440.0 - 1e-9)) if horizon_min is not None else int(day.max(initial=0)) + 1
    n_rep = replications if replications is not None else (int(rep.max()) + 1 if len(rep) else 1)
    usable = np.isfinite(ttr) & (ttr > 0)
    notes = []
    if (~np.isfinite(ttr)).any():
        notes.append(f"simulation: {int((~np.isfinite(ttr)).sum())} faults not restored count in the days but not "
                     "in the restore times")
    frame = pd.DataFrame({"replication": rep, "day": day, "reported_h": minute / 60.0,
                          "restore_h": np.where(usable, np.round(ttr / 60.0, DECIMALS), np.nan)})
    return Outages(name, frame, days, n_rep, notes)


@dataclass(frozen=True)
class RestoreComparison:
    """Time to restore (hours) on one kind of day, log against simulation."""

    group: str
    log_n: int
    sim_n: int
    log_mean_h: float
    sim_mean_h: float
    log_median_h: float
    sim_median_h: float
    log_p90_h: float
    sim_p90_h: float
    ks: float  # two-sample Kolmogorov-Smirnov distance, in [0, 1]
    ks_pvalue: float


def _summary(v: np.ndarray) -> tuple[float, float, float]:
    if not len(v):
        return math.nan, math.nan, math.nan
    return float(v.mean()), float(np.percentile(v, 50)), float(np.percentile(v, 90))


def compare_restore(group: str, log_h: np.ndarray, sim_h: np.ndarray) -> RestoreComparison:
    """Mean, median, p90 and the KS distance of two samples of restore times (hours).

    >>> c = compare_restore("all", np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    >>> c.ks, c.log_median_h == c.sim_median_h
    (0.0, True)
    """
    if len(log_h) and len(sim_h):
        with warnings.catch_warnings():  # the exact p-value may fall back to the asymptotic one: so be it
            warnings.simplefilter("ignore", RuntimeWarning)
            ks = stats.ks_2samp(log_h, sim_h)
        d, p = float(ks.statistic), float(ks.pvalue)
    else:
        d, p = math.nan, math.nan
    (lm, lmed, l90), (sm, smed, s90) = _summary(log_h), _summary(sim_h)
    return RestoreComparison(group, len(log_h), len(sim_h), lm, sm, lmed, smed, l90, s90, d, p)


def storm_days(side: Outages, storm_from: int = STORM_FROM) -> tuple[pd.DataFrame, dict[tuple[int, int], np.ndarray]]:
    """Every day with at least ``storm_from`` outages: its size and the hours after its first report until 50 %
    and 90 % of its outages (those with a restore time) were restored; and each day's sorted restore hours."""
    f = side.frame
    count = side.day_count()
    storm = f[count >= storm_from]
    rows, since_of = [], {}
    for (rep, day), g in storm.groupby(["replication", "day"], sort=True):
        first = float(g["reported_h"].min())
        ok = g["restore_h"].notna().to_numpy()
        since = np.sort(np.round((g["reported_h"].to_numpy(float) + g["restore_h"].to_numpy(float))[ok] - first,
                                 DECIMALS))
        times = restored_share_times(since, np.ones(len(since)), (50, 90))
        rows.append({"source": side.name, "replication": int(rep), "day": int(day), "outages": len(g),
                     "restored": int(ok.sum()), "t50_h": times[50], "t90_h": times[90]})
        since_of[(int(rep), int(day))] = since
    cols = ["source", "replication", "day", "outages", "restored", "t50_h", "t90_h"]
    return pd.DataFrame(rows, columns=cols), since_of


def _storm_figures(days: pd.DataFrame, biggest: int) -> dict[str, float]:
    top = days.sort_values(["outages", "replication", "day"], ascending=[False, True, True],
                           kind="stable").head(biggest)
    nan = math.nan
    return {"storm_days": float(len(days)),
            "t50_h_median": float(days["t50_h"].median()) if len(days) else nan,
            "t90_h_median": float(days["t90_h"].median()) if len(days) else nan,
            "biggest_days": float(len(top)),
            "biggest_outages_mean": float(top["outages"].mean()) if len(top) else nan,
            "biggest_t50_h_mean": float(top["t50_h"].mean()) if len(top) else nan,
            "biggest_t90_h_mean": float(top["t90_h"].mean()) if len(top) else nan}


@dataclass
class Validation:
    """The comparison of a log with a simulation: every number the table and the report show.

    ``restore``: a RestoreComparison per group (``calm``, ``storm``, ``all``); ``log_daily``/``sim_daily``:
    statistics of faults per day (``sim.analysis.fit.STATISTICS``); ``log_storms``/``sim_storms``: storm restoration
    figures (``storm_days``, ``t50_h_median``, ``t90_h_median``, ``biggest_outages_mean``, ``biggest_t50_h_mean``,
    ``biggest_t90_h_mean``); ``storm_days``: one row per storm day of either side."""

    log_source: str
    simulation: str
    replications: int
    log_days: int  # days counted in the log's faults per day
    sim_days: int  # per replication
    calm_below: int
    storm_from: int
    biggest: int
    restore: dict[str, RestoreComparison]
    log_daily: dict[str, float]
    sim_daily: dict[str, float]
    log_storms: dict[str, float]
    sim_storms: dict[str, float]
    storm_days: pd.DataFrame
    notes: list[str]
    log_hours: dict[str, np.ndarray] = field(repr=False, default_factory=dict)  # sorted restore hours per group
    sim_hours: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    log_counts: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))  # faults per day
    sim_counts: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    curves: dict[tuple[str, int, int], np.ndarray] = field(repr=False, default_factory=dict)  # biggest days
    log_first_day: str | None = None  # the calendar day of the log's day 0 (ISO date)

    def group_label(self, group: str) -> str:
        """How the table names a kind of day."""
        return {"calm": f"calm days (< {self.calm_below} outages)", "storm": f"storm days (>= {self.storm_from})",
                "all": "all days"}[group]

    def rows(self) -> list[tuple[str, float, float, float, str]]:
        """(figure, log, simulation, KS distance or simulation - log, kind) for every line of the table; kind is
        ``ks`` (the fourth value is a KS distance), ``diff`` or ``count`` (no comparison)."""
        out: list[tuple[str, float, float, float, str]] = []
        for g in GROUPS:
            c = self.restore[g]
            out.append((f"restore h, {self.group_label(g)}: outages", c.log_n, c.sim_n, c.ks, "ks"))
            if g == "all":
                out.append(("  mean h (CAIDI-like)", c.log_mean_h, c.sim_mean_h, c.sim_mean_h - c.log_mean_h, "diff"))
            out.append(("  median h", c.log_median_h, c.sim_median_h, c.sim_median_h - c.log_median_h, "diff"))
            out.append(("  p90 h", c.log_p90_h, c.sim_p90_h, c.sim_p90_h - c.log_p90_h, "diff"))
        out.append(("faults per day: days", self.log_days, self.sim_days * self.replications, math.nan, "count"))
        names = {"mean": "  mean", "median": "  median", "p90": "  p90", "p99": "  p99",
                 "share_over_50": "  share of days > 50"}
        for k in STATISTICS:
            lv, sv = self.log_daily[k], self.sim_daily[k]
            out.append((names[k], lv, sv, sv - lv, "diff"))
        ls, ss = self.log_storms, self.sim_storms
        out.append((f"storm days (>= {self.storm_from}): days", ls["storm_days"], ss["storm_days"], math.nan,
                    "count"))
        for k, label in (("t50_h_median", "  t50 h after first report (median)"),
                         ("t90_h_median", "  t90 h after first report (median)"),
                         ("biggest_outages_mean", f"  biggest {self.biggest}: outages (mean)"),
                         ("biggest_t50_h_mean", f"  biggest {self.biggest}: t50 h (mean)"),
                         ("biggest_t90_h_mean", f"  biggest {self.biggest}: t90 h (mean)")):
            out.append((label, ls[k], ss[k], ss[k] - ls[k], "diff"))
        return out

    def table(self) -> pd.DataFrame:
        """The rows as a DataFrame (figure, log, simulation, ks_or_difference, kind)."""
        return pd.DataFrame(self.rows(), columns=["figure", "log", "simulation", "ks_or_difference", "kind"])

    def text(self) -> str:
        """The table as the ``validate-against`` command prints it, with a head line and notes."""
        def num(v: float, kind: str, figure: str) -> str:
            if v is None or math.isnan(v):
                return "-"
            if kind in ("count", "ks"):
                return f"{v:,.0f}"
            if "outages" in figure:
                return f"{v:,.1f}"
            return f"{v:.3f}" if "share" in figure else f"{v:.2f}"

        rows = []
        for figure, lv, sv, d, kind in self.rows():
            if kind == "ks":
                last = "-" if math.isnan(d) else f"KS {d:.3f}"
            elif kind == "count":
                last = ""
            else:
                last = "-" if math.isnan(d) else (f"{d:+.3f}" if "share" in figure else f"{d:+,.1f}"
                                                   if "outages" in figure else f"{d:+.2f}")
            rows.append([figure, num(lv, kind, figure), num(sv, kind, figure), last])
        head = (f"{self.log_source} ({self.log_days:,} days) against {self.simulation} "
                f"({self.replications} replications of {self.sim_days} days)")
        lines = [head, text_table(["figure", "log", "simulation", "KS / sim - log"], rows)]
        lines.append("restore h: log duration against simulated report-to-restored time, outages of 0 h left out; "
                     "a day's kind is its count of outages; t50/t90: hours from a storm day's first report until "
                     "50/90 % of its outages were restored")
        lines += self.notes
        return "\n".join(lines)

    # ------------------------------------------------------------ the HTML report
    def figures(self) -> list[tuple[str, Any]]:
        """(title, plotly figure) for each plot of the report."""
        import plotly.graph_objects as go  # noqa: PLC0415 (plotly or dask only when used: they take long to import)
        from plotly.subplots import make_subplots  # noqa: PLC0415 (plotly or dask only when used: they take long to import)

        log_colour, sim_colour = "#4C78A8", "#F58518"
        fig = make_subplots(rows=1, cols=3, subplot_titles=[
            f"{self.group_label(g)}: KS {self.restore[g].ks:.3f}" for g in GROUPS])
        for i, g in enumerate(GROUPS, start=1):
            for label, v, colour in (("log", self.log_hours.get(g), log_colour),
                                     ("simulation", self.sim_hours.get(g), sim_colour)):
                if v is None or not len(v):
                    continue
                x, y = _ecdf(v)
                fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=label, legendgroup=label, showlegend=i == 1,
                                         line={"shape": "hv", "color": colour}), row=1, col=i)
            fig.update_xaxes(type="log", title_text="hours to restore", row=1, col=i)
        fig.update_yaxes(title_text="share of outages restored within", range=[0, 1])
        out = [("Time to restore: log against simulation", fig)]

        fig = go.Figure()
        for label, counts, colour in (("log", self.log_counts, log_colour), ("simulation", self.sim_counts,
                                                                             sim_colour)):
            if not len(counts):
                continue
            x = np.sort(counts)
            surv = 1.0 - np.arange(1, len(x) + 1) / len(x)
            keep = surv > 0
            fig.add_scatter(x=x[keep] + 1, y=surv[keep], mode="lines", name=f"{label} ({len(x):,} days)",
                            line={"shape": "hv", "color": colour})
        fig.add_vline(x=self.storm_from + 1, line_dash="dot", annotation_text=f"storm day ({self.storm_from})")
        fig.update_xaxes(type="log", title_text="faults per day + 1")
        fig.update_yaxes(type="log", title_text="share of days with more")
        out.append(("Faults per day", fig))

        fig = go.Figure()
        for (source, rep, day), since in self.curves.items():
            if not len(since):
                continue
            grid = np.arange(0.0, math.ceil(since[-1] / CURVE_STEP_HOURS + 1) * CURVE_STEP_HOURS, CURVE_STEP_HOURS)
            share = np.searchsorted(since, grid, side="right") / len(since)
            is_log = source == "log"
            when = self._day_label(source, rep, day)
            fig.add_scatter(x=grid, y=100 * share, mode="lines", name=f"{source}: {when}, {len(since)} outages",
                            line={"color": log_colour if is_log else sim_colour, "dash": "solid" if is_log else
                                  "dash"})
        for p in (50, 90):
            fig.add_hline(y=p, line_dash="dot", annotation_text=f"{p} %")
        fig.update_xaxes(title_text="hours after the day's first report")
        fig.update_yaxes(title_text="% of the day's outages restored", range=[0, 100])
        out.append((f"Restoration of the {self.biggest} biggest storm days of each side", fig))

        fig = go.Figure()
        for source, colour in (("log", log_colour), ("simulation", sim_colour)):
            d = self.storm_days[self.storm_days["source"] == source]
            if len(d):
                fig.add_scatter(x=d["outages"], y=d["t90_h"], mode="markers", name=f"{source} ({len(d)} days)",
                                marker={"color": colour, "size": 7, "opacity": 0.7})
        fig.update_xaxes(type="log", title_text="outages on the storm day")
        fig.update_yaxes(type="log", title_text="t90: hours until 90 % restored")
        out.append(("Storm days: size against time to 90 % restored", fig))
        return out

    def _day_label(self, source: str, rep: int, day: int) -> str:
        if source == "log" and self.log_first_day:
            return (pd.Timestamp(self.log_first_day) + pd.Timedelta(days=day)).date().isoformat()
        return f"replication {rep} day {day}" if source != "log" else f"day {day}"

    def html(self) -> str:
        """The self-contained HTML report (plotly.js embedded)."""

        t = self.table()
        shown = pd.DataFrame({"figure": t["figure"], "log": t["log"], "simulation": t["simulation"],
                              "KS distance / simulation - log": [
                                  ("" if k == "count" else ("KS " if k == "ks" else "") + (
                                      "-" if math.isnan(v) else f"{v:+.3f}" if k == "diff" else f"{v:.3f}"))
                                  for v, k in zip(t["ks_or_difference"], t["kind"], strict=True)]})
        intro = (f"<p>Historical log <b>{html.escape(self.log_source)}</b> ({self.log_days:,} days) against "
                 f"<b>{html.escape(self.simulation)}</b> ({self.replications} replications of {self.sim_days} days). "
                 f"Restore time: the log's outage duration against the simulated time from report to supply back "
                 f"(outages of 0 h left out on both sides). Calm days have fewer than {self.calm_below} outages, "
                 f"storm days at least {self.storm_from}, counted the same way on both sides. KS: the two-sample "
                 "Kolmogorov-Smirnov distance (0 = the same distribution, 1 = disjoint). t50/t90: hours from a "
                 "storm day's first report until 50/90 % of its outages were restored.</p>")
        notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in self.notes)
        sections = [("What this is", intro + notes), ("Figures", table_html(shown))]
        sections += [(title, plot_html(fig, height=460)) for title, fig in self.figures()]
        return page(f"stormcrew validate-against: {self.simulation}", sections)

    def write_html(self, path: str | Path) -> Path:
        """Write the report to ``path`` atomically (the caller checks the target first:
        ``sim.output.outfolder.file_target``)."""

        return write_html(self.html(), Path(path))


def _ecdf(v: np.ndarray, points: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """The empirical distribution function of sorted ``v``, thinned to about ``points`` steps for the page."""
    n = len(v)
    idx = np.unique(np.linspace(0, n - 1, min(n, points)).astype(np.int64))
    return v[idx], (idx + 1) / n


def compare_sides(log: Outages, sim: Outages, calm_below: int = CALM_BELOW, storm_from: int = STORM_FROM,
                  biggest: int = BIGGEST) -> Validation:
    """Every figure of the comparison, from two sides built the same way (log_outages, simulated_outages)."""
    hours: dict[str, dict[str, np.ndarray]] = {}
    for side in (log, sim):
        count = side.day_count()
        h = side.frame["restore_h"].to_numpy(float)
        ok = np.isfinite(h)
        hours[side.name] = {"calm": np.sort(h[ok & (count < calm_below)]),
                            "storm": np.sort(h[ok & (count >= storm_from)]), "all": np.sort(h[ok])}
    lh, sh = hours[log.name], hours[sim.name]
    restore = {g: compare_restore(g, lh[g], sh[g]) for g in GROUPS}
    notes = [*log.notes, *sim.notes]
    for g in ("calm", "storm"):
        for side, n in ((log, restore[g].log_n), (sim, restore[g].sim_n)):
            if n == 0:
                notes.append(f"{'log' if side is log else 'simulation'}: no {g} day with a restore time; its "
                             f"figures are left blank")
    log_days, log_since = storm_days(log, storm_from)
    sim_days, sim_since = storm_days(sim, storm_from)
    log_days["source"], sim_days["source"] = "log", "simulation"
    curves: dict[tuple[str, int, int], np.ndarray] = {}
    for source, days, since in (("log", log_days, log_since), ("simulation", sim_days, sim_since)):
        top = days.sort_values(["outages", "replication", "day"], ascending=[False, True, True],
                               kind="stable").head(biggest)
        for r in top.itertuples(index=False):
            curves[(source, r.replication, r.day)] = since[(r.replication, r.day)]
    log_counts, sim_counts = log.counts(), sim.counts()
    return Validation(log.name, sim.name, sim.replications, len(log_counts), sim.days, calm_below, storm_from, biggest,
                      restore, day_statistics(log_counts), day_statistics(sim_counts),
                      _storm_figures(log_days, biggest), _storm_figures(sim_days, biggest),
                      pd.concat([log_days, sim_days], ignore_index=True), notes, lh, sh, log_counts, sim_counts,
                      curves)


def _log_notes(log: OutageLog, result: Any, only: list[int] | None) -> list[str]:
    """What differs between the two sides beyond the model: the log's months against the season's."""
    months = sorted(set(log.frame["time_out"].dt.month.unique().tolist()) & set(only or range(1, 13)))
    sc = getattr(result, "scenario", None)
    if sc is None:
        return []
    start = pd.Timestamp(sc.start)
    end = start + pd.Timedelta(minutes=float(sc.horizon))
    season = sorted(set(pd.date_range(start.normalize(), end - pd.Timedelta(minutes=1), freq="D").month.tolist()))
    if set(months) <= set(season):
        return []
    return [f"the log spans months {_months(months)}, the simulated season months {_months(season)}: compare like "
            f"with like with --months {','.join(str(m) for m in season)} (months=[...]) or --from/--to"]


def _months(m: list[int]) -> str:
    return ", ".join(str(x) for x in m) if len(m) <= 4 else f"{m[0]}-{m[-1]}"


def validate_against(log: OutageLog | str | Path, result_or_scenario: Any, *,
                     columns: LogColumns | dict[str, Any] | None = None, first: str | None = None,
                     last: str | None = None, replications: int | None = None, seed: int | None = None,
                     workers: int | None = 1, progress: bool = False, dask: str | None = None,
                     calm_below: int = CALM_BELOW, storm_from: int = STORM_FROM, biggest: int = BIGGEST,
                     start: Any = None, horizon_min: float | None = None,
                     months: list[int] | None = None) -> Validation:
    """Compare a historical outage log with a simulation (see the module for every figure).

    ``log``: an OutageLog or a CSV path (read with sim.inputs.outagelog.read_log and ``columns``), restricted to
    the days ``first`` to ``last`` (ISO dates, inclusive). ``result_or_scenario``: a sim.output.results.Result, a
    faults table (a DataFrame with ``reported`` and ``restored`` or ``time_to_restore`` in minutes, optionally
    ``replication``;
    ``start`` and ``horizon_min`` place its days), or a scenario (path, dict or Scenario) to run with
    ``replications``, ``seed``, ``workers``. ``months``: compare only the log's outages and days in these months
    (1-12), e.g. the summers of a log of whole years against a summer season. Bad input raises ScenarioError or
    InputError (exit code 2 in the CLI), before any replication runs.
    """
    if months is not None and not (months and set(months) <= set(range(1, 13))):
        raise InputError(f"months: expected month numbers 1-12, got {sorted(months)}")
    if not isinstance(log, OutageLog):
        log = read_log(log, columns)
    if first or last:
        log = log.between(first, last)
    log_side = log_outages(log, months)
    if isinstance(result_or_scenario, pd.DataFrame):
        sim = simulated_outages(result_or_scenario, start, horizon_min, name="faults table")
        notes: list[str] = []
    else:
        result = result_or_scenario
        if not hasattr(result, "faults"):

            result = run(result, replications=replications, seed=seed, workers=workers, progress=progress,
                         dask=dask)
        sc = getattr(result, "scenario", None)
        if sc is not None:
            sim = simulated_outages(result.faults, sc.start, float(sc.horizon), int(sc.replications),
                                    name=f"scenario {sc.name}")
        else:
            sim = simulated_outages(result.faults, start, horizon_min)
        notes = _log_notes(log, result, months)
    if not len(sim.frame):
        raise InputError(f"{sim.name}: no fault to compare; expected a scenario whose season has faults")
    out = compare_sides(log_side, sim, calm_below, storm_from, biggest)
    out.notes += notes
    out.log_first_day = log.frame["time_out"].min().normalize().date().isoformat()
    return out
