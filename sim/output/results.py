"""The result of a run and its results folder, written atomically: a folder is either complete or absent.

Folder contents: ``faults.parquet``, ``units.parquet``, ``replications.parquet`` (every figure of every
replication), ``storms.parquet`` (one row per storm per replication, with its restoration times),
``restoration.parquet`` (storm restoration curves), ``timeseries.parquet`` (hourly customers out, backlog, units
busy), ``days.parquet`` (daily IEEE indices and major event days), ``dispatches.parquet`` (every dispatch),
``unit_summary.parquet`` (each unit's duty, overtime, waiting, call-outs and cost), ``plans.parquet`` (each
emergency plan's actions: when, on what, at what cost), ``summary.json``,
``scenario.resolved.yaml`` (the resolved scenario with its hash, the package version, the seed and ``t_med``: the
major event day threshold used and where it came from) and ``report.html`` (sim.report: the figures a planner
looks at, self-contained).
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pydantic
import yaml

from sim.analysis.compare import difference
from sim.analysis.major_events import Threshold
from sim.analysis.metrics import MIN_RELIABLE, summarise
from sim.errors import InputError
from sim.inputs.roadcache import road_segments
from sim.output.outfolder import claim
from sim.output.report import (
    GANTT_DAYS,
    compliance_figure,
    gantt_figure,
    map_figure,
    page,
    plot_html,
    restoration_figure,
    state_figure,
    summary_rows,
    table_html,
    times_figure,
)
from sim.scenario.figures import ALL, SCOPES, parse_figure
from sim.scenario.schema import Scenario
from sim.scenario.territory import load_network
from sim.texttable import text_table

SECTIONS = {"zone": "zones", "type": "types", "weather": "weather", "special": "special_cause", "ieee": "ieee",
            "storms": "storms", "etr": "etr", "units": "units", "priority": "priority", "plans": "plans",
            "costs": "costs", "communication": "communication"}
"""summary.json section of each figure scope."""


def package_version() -> str:
    """The installed stormcrew version."""
    try:
        return version("stormcrew")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


@dataclass
class Result:
    """Everything one run produced. ``faults``: one row per fault per replication; ``units``: one row per unit
    activity; ``per_replication``: every figure of every replication; ``summary``: mean and 95 % interval."""

    scenario: Scenario
    seed: int
    faults: pd.DataFrame
    units: pd.DataFrame
    per_replication: pd.DataFrame
    summary: pd.DataFrame
    storms: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    timeseries: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    restoration: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    days: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    dispatches: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    unit_summary: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    plans: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)  # emergency plans' actions
    t_med: Threshold | None = None  # the major event day threshold the run was judged against, and its source
    roads: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)  # the map's road segments, if on roads

    def __repr__(self) -> str:
        head = ", ".join(f"{z}.arrive {self._pct(z, 'arrive')}" for z in [*self.scenario.zones, ALL])
        return (f"<Result {self.scenario.name!r}: {self.replications} replications, seed {self.seed}, "
                f"{len(self.faults):,} faults kept; {head}>")

    def _pct(self, group: str, metric: str) -> str:
        try:
            f = self.figure(group, metric)
        except KeyError:
            return "-"
        if f["mean"] is None or math.isnan(f["mean"]):
            return "-"
        if math.isnan(f["ci_low"]):
            return f"{100 * f['mean']:.1f} %"
        return f"{100 * f['mean']:.1f} % [{100 * f['ci_low']:.1f}, {100 * f['ci_high']:.1f}]"

    def headline(self) -> pd.DataFrame:
        """The headline table: per zone, faults a season, every skill on site and power back within the limits
        (per cent with the 95 % interval), and the IEEE indices SAIFI, SAIDI and CAIDI."""
        rows = []
        for z in [*self.scenario.zones, ALL]:
            row: dict[str, Any] = {"zone": z}
            f = self.figure(z, "faults")
            row["faults"] = round(float(f["mean"]), 1)
            for metric, label in (("arrive", "on site in time"), ("restore", "power back in time"),
                                  ("restore_customers", "customers back in time")):
                row[label] = self._pct(z, metric)
            for index in ("SAIFI", "SAIDI", "CAIDI"):
                try:
                    row[index] = round(float(self.figure(z, index, scope="ieee")["mean"]), 3)
                except KeyError:
                    row[index] = math.nan
            rows.append(row)
        return pd.DataFrame(rows).set_index("zone")

    def _repr_html_(self) -> str:
        intro = (f"<p><b>{html.escape(self.scenario.name)}</b>: {self.replications} replications, seed {self.seed} "
                 f"(95 % intervals over replications)</p>")
        return intro + self.headline().to_html(escape=True)

    @property
    def plot(self) -> ResultPlots:
        """The report's figures one by one, as plotly figures: ``res.plot.compliance()``, ``time_to_site()``,
        ``time_to_restore()``, ``backlog()``, ``restoration()``, ``map()``, ``timeline()``."""
        return ResultPlots(self)

    def compare(self, other: Result, figures: list[str] | None = None, paired: bool | None = None,
                level: float = 0.95) -> pd.DataFrame:
        """``other - self`` for each figure (default: the comparison's headline figures this run has), with its
        interval at ``level``. Paired replication by replication when both runs share the seed and replications
        (common random numbers: the same storms and faults), else Welch's unpaired interval; ``paired`` forces
        one or the other."""
        if paired is None:
            paired = self.seed == other.seed and set(self.per_replication["replication"]) == set(
                other.per_replication["replication"])
        refs = figures or [r for r in COMPARED if not self.values(r).empty]
        rows = [{"figure": ref, **difference(self.values(ref), other.values(ref), paired, level)} for ref in refs]
        return pd.DataFrame(rows)

    def report_html(self) -> str:
        """The run's report page (``report.html``): what it is, then the figures of ``plot``."""
        meta = self.meta()
        sections = [("What this is", f"<p>Scenario <b>{html.escape(meta['scenario'])}</b> (sha256 "
                                     f"{meta['scenario_sha256'][:12]}), {meta['replications']} replications, seed "
                                     f"{meta['seed']}, stormcrew {html.escape(meta['stormcrew_version'])}. Bars and "
                                     "intervals are 95 % confidence intervals over replications.</p>"),
                    ("Compliance by zone", plot_html(self.plot.compliance()))]
        if len(self.faults):
            sections += [("Time to site against each zone's limit", plot_html(self.plot.time_to_site())),
                         ("Time to power back against each zone's limit", plot_html(self.plot.time_to_restore()))]
        if len(self.timeseries):
            sections.append(("Customers out, backlog and units busy (replication 0)",
                             plot_html(self.plot.backlog(), height=700)))
        if len(self.restoration):
            sections.append(("Storm restoration curves (replication 0)", plot_html(self.plot.restoration())))
        sections.append(("Map: zones, roads, depots, staging points and faults (replication 0)",
                         plot_html(self.plot.map(), height=600)))
        if len(self.units):
            g = self.plot.timeline()
            sections.append((f"Unit timeline: the first {GANTT_DAYS:g} days of replication 0",
                             plot_html(g, height=int(g.layout.height or 400))))
        tables = [("ieee", "IEEE 1366 indices"),
                  ("priority", "Critical customers (held to their own limits) and the others"),
                  ("communication", "Customer communication: ETR notices, calls and complaint risk"),
                  ("plans", "Emergency plans: activations, hours active and the actions' cost"),
                  ("costs", "The season's cost: units, plans and prevention")]
        summary = self.summary_dict()
        for section, title in tables:
            rows = summary_rows(summary, section)
            if not len(rows) or (section == "plans" and not self.scenario.plans):
                continue
            wide = rows.pivot(index="metric", columns="group", values="mean").reset_index()
            groups = [*self.scenario.zones, *self.scenario.plans, "critical", "other", ALL]
            order = ["metric", *(c for c in groups if c in wide.columns)]
            sections.append((f"{title} (mean over replications)", table_html(wide[order])))
        return page(f"stormcrew report: {meta['scenario']}", sections)

    def road_segments(self) -> pd.DataFrame:
        """The road segments of the map (x0, y0, x1, y1 in km): kept with the result, else from the scenario's
        network; empty for straight-line travel."""
        if len(self.roads) or self.scenario.travel.model != "road_network":
            return self.roads
        self.roads = road_segments(load_network(self.scenario))
        return self.roads

    @property
    def replications(self) -> int:
        """Number of replications run."""
        return self.scenario.replications

    def figure(self, group: str, metric: str, scope: str = "zone") -> dict[str, float]:
        """One summary figure: ``{"mean", "ci_low", "ci_high", "replications"}``.

        ``res.figure("urban", "arrive")`` is the share of urban faults with a crew on site within the limit.
        """
        row = self.summary[(self.summary["scope"] == scope) & (self.summary["group"] == group)
                           & (self.summary["metric"] == metric)]
        if row.empty:
            raise KeyError(f"no figure {scope}:{group}.{metric}")
        r = row.iloc[0]
        return {"mean": r["mean"], "ci_low": r["ci_low"], "ci_high": r["ci_high"], "replications": r["replications"]}

    def values(self, ref: str) -> pd.Series:
        """One figure (``urban.arrive``, ``ieee.all.SAIDI``...) in every replication, indexed by replication."""
        scope, group, metric = parse_figure(ref)
        p = self.per_replication
        sel = p[(p["scope"] == scope) & (p["group"] == group) & (p["metric"] == metric)]
        return sel.set_index("replication")["value"]

    def meta(self) -> dict[str, Any]:
        """What identifies this result: scenario name and hash, seed, replications, package version."""
        return {"scenario": self.scenario.name, "scenario_sha256": self.scenario.digest(), "seed": self.seed,
                "replications": self.replications, "stormcrew_version": package_version(),
                "time_unit": "minutes", "confidence_level": 0.95}

    def summary_dict(self) -> dict[str, Any]:
        """summary.json as a dict: meta, limits, then one section per scope (``zones``, ``types``, ``weather``,
        ``ieee``, ``storms``, ``etr``, ``units``) -> group -> metric -> figure."""
        out: dict[str, Any] = {"meta": self.meta(),
                               "limits": {z: {"arrive": zone.limits.arrive, "restore": zone.limits.restore}
                                          for z, zone in self.scenario.zones.items()}}
        out.update({SECTIONS[s]: {} for s in SCOPES})
        for r in self.summary.itertuples(index=False):
            out[SECTIONS[r.scope]].setdefault(r.group, {})[r.metric] = {
                "mean": _num(r.mean), "ci_low": _num(r.ci_low), "ci_high": _num(r.ci_high),
                "replications": int(r.replications), "reliable": bool(r.reliable)}
        return out

    def table(self) -> str:
        """A compact text table of compliance and times per zone, as the CLI prints it."""
        def fig(group: str, metric: str, pct: bool, scope: str = "zone", digits: int = 0) -> str:
            f = self.figure(group, metric, scope=scope)
            if f["mean"] is None or math.isnan(f["mean"]):
                return "-"
            half = (f["ci_high"] - f["ci_low"]) / 2 if not math.isnan(f["ci_high"]) else math.nan
            if pct:
                return f"{100 * f['mean']:.1f}" + ("" if math.isnan(half) else f" ±{100 * half:.1f}")
            return f"{f['mean']:,.{digits}f}" + ("" if math.isnan(half) else f" ±{half:,.{digits}f}")

        head = ["zone", "limits", "faults", "on site %", "restored %", "restored % cust", "site p90 min",
                "restore p90 min"]
        rows = []
        for z in [*self.scenario.zones, ALL]:
            lim = "-" if z == ALL else (f"{self.scenario.zones[z].limits.arrive:g}m/"
                                        f"{self.scenario.zones[z].limits.restore / 60:g}h")
            rows.append([z, lim, fig(z, "faults", False), fig(z, "arrive", True), fig(z, "restore", True),
                         fig(z, "restore_customers", True), fig(z, "time_to_site_p90", False),
                         fig(z, "time_to_restore_p90", False)])
        util = self.figure(ALL, "utilisation", scope="units")
        lines = [text_table(head, rows)]
        lines.append(f"{self.replications} replications, seed {self.seed}; ± is the 95 % confidence half-width; "
                     f"unit utilisation {100 * util['mean']:.1f} %")
        ieee = {m: self.figure(ALL, m, scope="ieee")["mean"] for m in ("SAIFI", "SAIDI", "CAIDI", "SAIDI_excl_med",
                                                                        "major_event_days")}
        if not any(v is None or math.isnan(v) for v in ieee.values()):
            lines.append(f"IEEE 1366 (all zones): SAIFI {ieee['SAIFI']:.3f}, SAIDI {ieee['SAIDI']:.0f} min "
                         f"({ieee['SAIDI_excl_med']:.0f} without {ieee['major_event_days']:.1f} major event days), "
                         f"CAIDI {ieee['CAIDI']:.0f} min")
            if self.t_med is not None:
                lines.append(f"major event days: {self.t_med.text()}")
        lines += self._extra_lines(fig)
        if "communication" in set(self.summary["scope"]):  # (not in a results folder from before these figures)
            told = self.scenario.communication.told_within
            lines.append(f"customers (all zones): told an ETR within {told:g} min "
                         f"{fig(ALL, 'told_within', True, 'communication')} %, first ETR held "
                         f"{fig(ALL, 'etr_held', True, 'communication')} %, "
                         f"{fig(ALL, 'calls', False, 'communication')} calls "
                         f"({fig(ALL, 'calls_peak_per_h', False, 'communication')} in the busiest hour), "
                         f"complaint risk {fig(ALL, 'complaint_risk', True, 'communication')} % per customer out: "
                         f"{fig(ALL, 'complaints', False, 'communication')} complaints")
        if self.replications < MIN_RELIABLE:
            lines.append(f"unreliable: fewer than {MIN_RELIABLE} replications; intervals are rough")
        return "\n".join(lines)

    def _extra_lines(self, fig: Callable[..., str]) -> list[str]:
        """Critical customers, emergency plans and prevention, when the scenario has them."""
        sc = self.scenario
        lines: list[str] = []
        have = set(self.summary["scope"].unique())
        if not {"priority", "plans", "costs"} <= have:  # a results folder from before these figures
            return lines
        critical = self.figure("critical", "faults", scope="priority")["mean"]
        if critical is not None and critical > 0:
            p = sc.priority
            own = "" if p.arrive is None and p.restore is None else (
                f" (own limits: {'zone' if p.arrive is None else f'{p.arrive:g} min'} / "
                f"{'zone' if p.restore is None else f'{p.restore / 60:g} h'})")
            lines.append(f"critical customers{own}: {critical:.1f} faults a season, on site in time "
                         f"{fig('critical', 'arrive', True, 'priority')} %, power back in time "
                         f"{fig('critical', 'restore', True, 'priority')} % (other faults "
                         f"{fig('other', 'arrive', True, 'priority')} % / "
                         f"{fig('other', 'restore', True, 'priority')} %)")
        for name in sc.plans:
            lines.append(f"plan {name}: {fig(name, 'activations', False, 'plans', 1)} activations a season "
                         f"({fig(name, 'false_alarms', False, 'plans', 1)} on false alarms), "
                         f"{fig(name, 'active_h', False, 'plans')} h active, actions cost "
                         f"{fig(name, 'cost', False, 'plans')}")
        if sc.plans or sc.prevention:
            lines.append(f"season cost: units {fig(ALL, 'units', False, 'costs')}, plans "
                         f"{fig(ALL, 'plans', False, 'costs')}, prevention {fig(ALL, 'prevention', False, 'costs')}; "
                         f"total {fig(ALL, 'total', False, 'costs')}")
        return lines

    def save(self, out: str | Path) -> Path:
        """Write the results folder ``out`` atomically (replacing an earlier run there, never a folder stormcrew did
        not write: see sim.outfolder) and return its path."""
        with claim(out, "run", need_bytes=self.size_estimate()) as folder:
            return folder.replace(self._write)

    def size_estimate(self) -> int:
        """Bytes the results folder will take, roughly (parquet compresses the tables about fivefold)."""
        tables = (self.faults, self.units, self.per_replication, self.storms, self.timeseries, self.restoration,
                  self.days, self.dispatches, self.unit_summary, self.plans)
        return sum(int(t.memory_usage(deep=False).sum()) for t in tables) // 5 + 2**20

    def _write(self, tmp: Path) -> None:
        self.faults.to_parquet(tmp / "faults.parquet", index=False)
        self.units.to_parquet(tmp / "units.parquet", index=False)
        self.per_replication.to_parquet(tmp / "replications.parquet", index=False)
        for name in ("storms", "timeseries", "restoration", "days", "dispatches", "unit_summary", "plans"):
            getattr(self, name).to_parquet(tmp / f"{name}.parquet", index=False)
        if self.scenario.travel.model == "road_network":  # the map's roads, so the folder stands alone
            self.road_segments().to_parquet(tmp / "roads.parquet", index=False)
        (tmp / "summary.json").write_text(json.dumps(self.summary_dict(), indent=2) + "\n")
        # the folder the scenario's relative file paths (roads, GIS files, logs) start from, to reload it
        resolved = {**self.meta(), "scenario_folder": str(self.scenario.path_of(".").resolve()),
                    **({"t_med": self.t_med.echo()} if self.t_med is not None else {}),
                    "resolved": self.scenario.resolved()}
        (tmp / "scenario.resolved.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))
        (tmp / "report.html").write_text(self.report_html(), encoding="utf-8")
        if self.scenario.crs is not None:  # a real territory: the same results on the map, for QGIS
            from sim.output.geo import write_geopackage  # noqa: PLC0415 (GDAL loads only for a real territory)

            write_geopackage(tmp / "results.gpkg", self.scenario.crs, self.faults, self.dispatches, self.units)


class ResultPlots:
    """The figures of a run's report, one by one (``Result.plot``), for a notebook to show inline."""

    def __init__(self, result: Result):
        self._result = result

    def compliance(self) -> go.Figure:
        """Share of faults on site, power back and customers back within the limits, per zone, with intervals."""
        return compliance_figure(self._result.summary_dict())

    def time_to_site(self) -> go.Figure:
        """Distribution of the time to site per zone, against each zone's arrival limit."""
        r = self._result
        return times_figure(r.faults, r.summary_dict()["limits"], "time_to_site", "arrive")

    def time_to_restore(self) -> go.Figure:
        """Distribution of the time to power back per zone, against each zone's restoration limit."""
        r = self._result
        return times_figure(r.faults, r.summary_dict()["limits"], "time_to_restore", "restore")

    def backlog(self) -> go.Figure:
        """Customers out, faults waiting and units busy over the season (replication 0), storms shaded."""
        return state_figure(self._result.timeseries, self._result.storms)

    def restoration(self) -> go.Figure:
        """Each storm's restoration curve: share of its customers back against hours since it began."""
        return restoration_figure(self._result.restoration, self._result.storms)

    def map(self) -> go.Figure:
        """Zones, roads, depots, staging points and the faults of replication 0."""
        r = self._result
        return map_figure(r.scenario.resolved(), r.faults, r.road_segments())

    def timeline(self) -> go.Figure:
        """What each unit did over the first days of replication 0."""
        return gantt_figure(self._result.units)


COMPARED = ("all.arrive", "all.restore", "all.restore_customers", "urban.arrive", "rural.arrive", "mountain.arrive",
            "ieee.all.SAIDI", "units.all.cost", "costs.all.total")
"""Figures ``Result.compare`` reports by default (those the run has)."""


RESULT_TABLES = ("faults", "units", "storms", "timeseries", "restoration", "days", "dispatches", "unit_summary",
                 "plans", "roads")


def load_result(folder: str | Path) -> Result:
    """A results folder written by ``stormcrew run`` or ``Result.save``, read back as the ``Result`` the run
    returned: the same tables, summary, scenario (as resolved when it ran), seed and T_MED. Raises InputError
    naming the folder and what is missing or damaged."""
    path = Path(folder)
    if not (path / "scenario.resolved.yaml").is_file() or not (path / "replications.parquet").is_file():
        raise InputError(f"{path}: not a stormcrew run's results folder (expected scenario.resolved.yaml and "
                         "replications.parquet, as `stormcrew run --out` writes)")
    try:
        echo = yaml.safe_load((path / "scenario.resolved.yaml").read_text(encoding="utf-8"))
        data = echo["resolved"]
        scenario = Scenario.model_validate(data)
        scenario._base_dir = str(echo.get("scenario_folder") or path)
        tables = {name: pd.read_parquet(path / f"{name}.parquet") if (path / f"{name}.parquet").is_file()
                  else pd.DataFrame() for name in RESULT_TABLES}
        per_replication = pd.read_parquet(path / "replications.parquet")
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError, pydantic.ValidationError) as exc:
        raise InputError(f"{path}: a damaged results folder ({type(exc).__name__}: {str(exc)[:300]}); expected "
                         "the files `stormcrew run` writes") from None
    t_med = None
    if isinstance(echo.get("t_med"), dict):
        value = echo["t_med"].get("saidi_min_per_day")
        t_med = Threshold(math.inf if value is None else float(value), str(echo["t_med"].get("source", "")))
    return Result(scenario=scenario, seed=int(echo.get("seed", scenario.seed)), faults=tables["faults"],
                  units=tables["units"], per_replication=per_replication,
                  summary=summarise(per_replication), t_med=t_med,
                  **{name: tables[name] for name in RESULT_TABLES if name not in ("faults", "units")})
