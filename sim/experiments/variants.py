"""Policy variants of a scenario, and their comparison with the baseline on common random numbers.

A scenario may declare ``variants: {name: {overrides}}``; each variant is the scenario with its overrides merged
over it (mappings key by key, anything else replaces), run with the same seed. Faults and repair draws come from
streams keyed by their zone, type and storm, never by the units, so the baseline and a variant see the same storm
season and the difference of a figure is measured replication by replication (a paired difference, whose
interval is much narrower than that of two independent runs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.analysis.compare import difference
from sim.analysis.major_events import Threshold
from sim.errors import InputError
from sim.experiments.runner import run_many
from sim.output.results import Result
from sim.scenario.derived import baseline, variant
from sim.scenario.figures import figure_name, known_figures, parse_figure
from sim.scenario.schema import Scenario
from sim.texttable import text_table

HEADLINE = ("all.arrive", "all.restore", "all.restore_customers", "urban.arrive", "rural.arrive", "mountain.arrive",
            "priority.critical.arrive", "ieee.all.SAIDI", "units.all.cost", "costs.all.total")
"""Figures compared by default (those the scenario has)."""




@dataclass
class Comparison:
    """Paired differences of each figure between every variant and the baseline."""

    base: Result
    variants: dict[str, Result]
    table: pd.DataFrame  # variant, figure, baseline, value, difference, ci_low, ci_high, significant, replications
    confidence: float
    t_med: Threshold | None = None  # the baseline's major event day threshold, used for every variant too

    def text(self) -> str:
        """The comparison as the CLI prints it."""

        rows = []
        for r in self.table.itertuples(index=False):
            rows.append([r.variant, r.figure, f"{r.baseline:.4g}", f"{r.value:.4g}", f"{r.difference:+.4g}",
                         f"[{r.ci_low:+.4g}, {r.ci_high:+.4g}]", "yes" if r.significant else "no"])
        head = ["variant", "figure", "baseline", "variant", "difference", f"{100 * self.confidence:g} % interval",
                "significant"]
        n = int(self.table["replications"].max()) if len(self.table) else 0
        t_med = (f"\nmajor event days of the baseline and every variant judged against the baseline's "
                 f"{self.t_med.text()}") if self.t_med is not None and not math.isnan(self.t_med.value) else ""
        return text_table(head, rows) + (f"\n{n} replications on common random numbers; an interval that excludes "
                                         "0 is significant") + t_med


def paired(base: Result, other: Result, figures: list[str], level: float) -> list[dict[str, Any]]:
    """Paired t intervals of ``other - base`` for each figure, replication by replication."""
    rows = []
    for ref in figures:
        scope, group, metric = parse_figure(ref)
        a, b = base.values(ref), other.values(ref)
        if a.empty or b.empty:
            continue
        row = difference(a, b, paired=True, level=level)
        del row["method"]
        rows.append({"figure": figure_name(scope, group, metric), **row})
    return rows


def compare(sc: Scenario, names: list[str] | None = None, figures: list[str] | None = None,
            replications: int | None = None, until_significant: bool = False, max_replications: int = 320,
            confidence: float = 0.95, workers: int | None = 1, progress: bool = False,
            dask: str | None = None) -> Comparison:
    """Run the baseline and its variants on the same seed and compare them. Major event days of every variant are
    judged against the baseline's T_MED (its stated one, else pooled over its replications), so a variant's
    ``SAIDI_excl_med`` leaves out the days the baseline's threshold calls major events.

    ``until_significant``: double the replications until every paired interval excludes 0 or
    ``max_replications`` is reached (a storm season terminates: more replications, not longer runs).
    """
    names = list(sc.variants) if names is None else names
    if not names:
        raise InputError(f"{sc.name}: the scenario has no variants; expected a variants: section")
    base_sc = baseline(sc)
    scenarios = [base_sc, *(variant(sc, n) for n in names)]
    known = set(_figure_refs(base_sc))
    wanted = [f for f in (figures or list(HEADLINE)) if f in known]
    n = replications or sc.replications
    while True:
        runs = run_many([s.with_changes(replications=n) for s in scenarios], workers=workers, progress=progress,
                        desc="compare", keep_records=False, dask=dask, same_t_med=True)
        rows = []
        for name, res in zip(names, runs[1:], strict=True):
            rows += [{"variant": name, **r} for r in paired(runs[0], res, wanted, confidence)]
        table = pd.DataFrame(rows, columns=["variant", "figure", "baseline", "value", "difference", "ci_low",
                                            "ci_high", "significant", "replications"])
        done = bool(table["significant"].all()) if len(table) else True
        if not until_significant or done or n >= max_replications:
            return Comparison(runs[0], dict(zip(names, runs[1:], strict=True)), table, confidence, runs[0].t_med)
        n = min(max_replications, 2 * n)


def _figure_refs(sc: Scenario) -> list[str]:

    return known_figures(list(sc.zones), sc.unit_groups(), list(sc.fault_types), list(sc.plans))
