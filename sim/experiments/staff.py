"""The cheapest staffing that keeps every target: a search over unit counts within the planner's bounds.

Candidates (every combination of the counts given) are tried in order of their staffing cost: each unit's
``cost_per_hour`` x hours on duty per day (round the clock for ``count``, the shift's hours for a roster shift)
x days of the horizon. A candidate passes when every target holds by the ``ci`` rule (the confidence bound on the
passing side clears the threshold). The first that passes is the cheapest; the candidates after it are listed as
not reached. Every candidate is run on the same seed (common random numbers), so two candidates differ only by
their staffing. The cost includes the season's share of prevention programmes (a crew against a kilometre of
trimming); with emergency plans, whose cost depends on how often they start, every candidate is run and the cost is
the measured mean season cost ``costs.all.total``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.analysis.metrics import confidence_interval
from sim.errors import InputError
from sim.experiments.runner import run_many
from sim.experiments.sweep import point_scenario
from sim.scenario.expect import Expectation
from sim.scenario.figures import known_figures
from sim.scenario.plans import season_cost
from sim.scenario.schema import Scenario
from sim.texttable import text_table


def staffing_cost(sc: Scenario) -> float:
    """Cost of the planned staffing over the horizon (overtime and call-outs aside), plus the season's share of
    the prevention programmes' yearly cost, so a crew can be weighed against a kilometre of trimming."""
    days = sc.horizon / 1440.0
    total = 0.0
    for depot in sc.depots.values():
        for g in depot.units:
            hours = 24.0 * g.count
            for s in g.roster:
                length = (s.end - s.start) % 1440.0 or 1440.0
                hours += s.count * length / 60.0 * (0.25 if s.on_call else 1.0)
            total += hours * g.cost_per_hour * days
    return total + season_cost(sc.prevention, sc.horizon)


@dataclass
class StaffResult:
    """The cheapest passing candidate (None if none passed) and the search path."""

    best: dict[str, Any] | None
    path: pd.DataFrame  # candidate, values..., cost, status (pass, fail, not reached), target figures' means

    def text(self) -> str:
        """The search as the CLI prints it."""

        cols = [c for c in self.path.columns if c not in ("candidate",)]
        rows = [[str(r[c]) if not isinstance(r[c], float) else f"{r[c]:.4g}" for c in cols]
                for _, r in self.path.iterrows() if r["status"] != "not reached"]
        head = text_table(cols, rows)
        if self.best is None:
            return head + "\nno candidate within the bounds keeps every target"
        pretty = ", ".join(f"{k}={v}" for k, v in self.best.items() if k not in ("cost",))
        return head + f"\ncheapest staffing keeping every target: {pretty} (cost {self.best['cost']:,.0f})"


def search(sc: Scenario, targets: list[str], bounds: list[tuple[str, list[Any]]], replications: int | None = None,
           confidence: float = 0.95, workers: int | None = 1, max_runs: int = 50,
           dask: str | None = None) -> StaffResult:
    """Find the cheapest combination of ``bounds`` (path -> counts) meeting every target."""
    try:
        checks = [Expectation.model_validate(t) for t in targets]
    except ValueError as exc:
        raise InputError(f"--target: {exc}") from None
    if not checks:
        raise InputError("expected at least one --target such as 'urban.arrive>=0.95'")
    n = replications or sc.replications
    paths = [p for p, _ in bounds]
    combos = [dict(zip(paths, c, strict=True)) for c in itertools.product(*(v for _, v in bounds))]
    scenarios = [point_scenario(sc, c, k) for k, c in enumerate(combos)]
    known = set(known_figures(list(sc.zones), sc.unit_groups(), list(sc.fault_types), list(sc.plans)))
    for c in checks:
        if c.figure not in known:
            raise InputError(f"--target {c}: unknown figure {c.figure!r}")
    order = sorted(range(len(combos)), key=lambda k: (staffing_cost(scenarios[k]), k))
    # emergency plans cost what their activations cost: known only once run, so every candidate is run and the
    # cheapest passing one by measured season cost (costs.all.total) wins
    measured = any(s.plans for s in scenarios)
    rows: list[dict[str, Any]] = []
    best = None
    runs = 0
    for k in order:
        combo, cost = combos[k], staffing_cost(scenarios[k])
        row: dict[str, Any] = {"candidate": k, **combo, "cost": cost}
        if (best is not None and not measured) or runs >= max_runs:
            rows.append({**row, "status": "not reached"})
            continue
        res = run_many([scenarios[k].with_changes(replications=n)], workers=workers, keep_records=False,
                       dask=dask)[0]
        runs += 1
        if measured:
            cost = row["cost"] = float(res.values("costs.all.total").mean())
        ok = True
        for c in checks:
            ci = confidence_interval(res.values(c.figure), confidence)
            bound = ci.low if c.op in (">=", ">") else ci.high
            holds = {">=": bound >= c.value, ">": bound > c.value, "<=": bound <= c.value,
                     "<": bound < c.value}[c.op]
            row[str(c.figure)] = ci.mean
            ok = ok and bool(holds)
        row["status"] = "pass" if ok else "fail"
        rows.append(row)
        if ok and (best is None or cost < best["cost"]):
            best = {**combo, "cost": cost}
    return StaffResult(best, pd.DataFrame(rows))
