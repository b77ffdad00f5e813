"""The result of a run and its results folder, written atomically: a folder is either complete or absent.

Folder contents: ``faults.parquet``, ``units.parquet``, ``replications.parquet`` (every figure of every
replication), ``storms.parquet`` (one row per storm per replication, with its restoration times),
``restoration.parquet`` (storm restoration curves), ``timeseries.parquet`` (hourly customers out, backlog, units
busy), ``days.parquet`` (daily IEEE indices and major event days), ``dispatches.parquet`` (every dispatch),
``unit_summary.parquet`` (each unit's duty, overtime, waiting, call-outs and cost), ``summary.json``,
``scenario.resolved.yaml`` (the resolved scenario with its hash, the package version, the seed and ``t_med``: the
major event day threshold used and where it came from) and ``report.html`` (sim.report: the figures a planner
looks at, self-contained).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.analysis.major_events import Threshold
from sim.analysis.metrics import MIN_RELIABLE
from sim.inputs.roadcache import road_segments
from sim.output.outfolder import claim
from sim.output.report import (
    run_report,  # the report reads the folder just written
)
from sim.scenario.figures import ALL, SCOPES, parse_figure
from sim.scenario.schema import Scenario
from sim.scenario.territory import load_network
from sim.texttable import text_table

SECTIONS = {"zone": "zones", "type": "types", "weather": "weather", "special": "special_cause", "ieee": "ieee",
            "storms": "storms", "etr": "etr", "units": "units"}
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
    t_med: Threshold | None = None  # the major event day threshold the run was judged against, and its source

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
        def fig(group: str, metric: str, pct: bool) -> str:
            f = self.figure(group, metric)
            if f["mean"] is None or math.isnan(f["mean"]):
                return "-"
            half = (f["ci_high"] - f["ci_low"]) / 2 if not math.isnan(f["ci_high"]) else math.nan
            if pct:
                return f"{100 * f['mean']:.1f}" + ("" if math.isnan(half) else f" ±{100 * half:.1f}")
            return f"{f['mean']:.0f}" + ("" if math.isnan(half) else f" ±{half:.0f}")

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
        if self.replications < MIN_RELIABLE:
            lines.append(f"unreliable: fewer than {MIN_RELIABLE} replications; intervals are rough")
        return "\n".join(lines)

    def save(self, out: str | Path) -> Path:
        """Write the results folder ``out`` atomically (replacing an earlier run there, never a folder stormcrew did
        not write: see sim.outfolder) and return its path."""
        with claim(out, "run", need_bytes=self.size_estimate()) as folder:
            return folder.replace(self._write)

    def size_estimate(self) -> int:
        """Bytes the results folder will take, roughly (parquet compresses the tables about fivefold)."""
        tables = (self.faults, self.units, self.per_replication, self.storms, self.timeseries, self.restoration,
                  self.days, self.dispatches, self.unit_summary)
        return sum(int(t.memory_usage(deep=False).sum()) for t in tables) // 5 + 2**20

    def _write(self, tmp: Path) -> None:
        self.faults.to_parquet(tmp / "faults.parquet", index=False)
        self.units.to_parquet(tmp / "units.parquet", index=False)
        self.per_replication.to_parquet(tmp / "replications.parquet", index=False)
        for name in ("storms", "timeseries", "restoration", "days", "dispatches", "unit_summary"):
            getattr(self, name).to_parquet(tmp / f"{name}.parquet", index=False)
        if self.scenario.travel.model == "road_network":  # the map's roads, so the folder stands alone

            road_segments(load_network(self.scenario)).to_parquet(tmp / "roads.parquet", index=False)
        (tmp / "summary.json").write_text(json.dumps(self.summary_dict(), indent=2) + "\n")
        # the folder the scenario's relative file paths (roads, GIS files, logs) start from, to reload it
        resolved = {**self.meta(), "scenario_folder": str(self.scenario.path_of(".").resolve()),
                    **({"t_med": self.t_med.echo()} if self.t_med is not None else {}),
                    "resolved": self.scenario.resolved()}
        (tmp / "scenario.resolved.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))

        (tmp / "report.html").write_text(run_report(tmp), encoding="utf-8")
