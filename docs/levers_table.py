"""The levers table of docs/units-and-levers.md, measured: each lever scenario of scenarios/levers/ run with the
default's replications and seed (the same storms and faults), one markdown row each.

    python docs/levers_table.py [lever[#variant] ...]   # default: every lever and variant, the default first
"""

from __future__ import annotations

import sys
from pathlib import Path

import sim
from sim.analysis.metrics import confidence_interval
from sim.scenario.derived import variant

LEVERS = Path(__file__).resolve().parent.parent / "scenarios" / "levers"
COLUMNS = ("all on site %", "customers restored in time %", "critical on site %", "critical restored in time %",
           "SAIDI min", "complaint risk %", "calls", "plan activations", "cost M (units + plans + prevention)")


def cell(res: sim.Result, ref: str, scale: float = 1.0, digits: int = 1) -> str:
    """``mean ±half`` of a figure, scaled."""
    v = res.values(ref).to_numpy() * scale
    ci = confidence_interval(v)
    half = (ci.high - ci.low) / 2
    return f"{ci.mean:.{digits}f} ±{half:.{digits}f}"


def row(path: Path, name: str | None = None) -> str:
    sc = sim.load_scenario(path)
    res = sim.run(sc if name is None else variant(sc, name), keep_records=False, workers=1)
    cells = [cell(res, "all.arrive", 100), cell(res, "all.restore_customers", 100),
             cell(res, "priority.critical.arrive", 100), cell(res, "priority.critical.restore", 100),
             cell(res, "ieee.all.SAIDI", digits=0), cell(res, "communication.all.complaint_risk", 100, 2),
             cell(res, "communication.all.calls", digits=0), cell(res, "plans.all.activations"),
             cell(res, "costs.all.total", 1e-6, 2)]
    label = res.scenario.name if name is None else f"{sc.name}: {name}"
    return f"| `{label}` | " + " | ".join(cells) + " |"


def main(names: list[str]) -> None:
    paths = [LEVERS / f"{n}.yaml" for n in names] if names else [LEVERS.parent / "storm_season.yaml",
                                                                  *sorted(LEVERS.glob("*.yaml"))]
    print("| scenario | " + " | ".join(COLUMNS) + " |")
    print("| --- " * (len(COLUMNS) + 1) + "|")
    for p in paths:
        file, _, only = str(p).partition("#")
        path = Path(file if file.endswith(".yaml") else file + ".yaml")
        if not only:
            print(row(path), flush=True)
        if path.parent == LEVERS:  # a lever's own variants are levers too (not those it inherits)
            inherited = set(sim.load_scenario(LEVERS.parent / "storm_season.yaml").variants)
            for v in [only] if only else [v for v in sim.load_scenario(path).variants if v not in inherited]:
                print(row(path, v), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
