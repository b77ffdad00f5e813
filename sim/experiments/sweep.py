"""Sweeps: a grid (or a random sample of it) over any scenario values, every point run for its replications, the
figures streamed to a partitioned parquet dataset as replications finish.

The dataset ``OUT/`` holds ``sweep.json`` (what was swept: the scenario's hash, the grid, the replications, the
seed), ``points.parquet`` (each point's values) and ``figures/point=K/rep=R.parquet`` (one replication's figures,
written atomically). An interrupted sweep started again with the same arguments skips every file already there,
so no finished work is redone; memory holds one replication's figures at a time, however many there are.

Major event days at every point are judged against the base scenario's T_MED: its stated one, else the 2.5 beta
threshold of the daily SAIDI of the base scenario's own replications pooled (run once, before the points, and kept
in ``sweep.json`` under ``t_med`` so a resumed sweep uses the same).

>>> parse_assignment("depots.city.units[overhead].count=1..3")
('depots.city.units[overhead].count', [1, 2, 3])
>>> parse_assignment("arrivals.prevention.tree_contact=0.5,0.7,1")
('arrivals.prevention.tree_contact', [0.5, 0.7, 1])
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from tqdm.auto import tqdm  # widgets in a notebook, a bar in a terminal

from sim.analysis.major_events import stated as stated_t_med
from sim.analysis.metrics import summarise
from sim.atomic import write_text, write_with
from sim.errors import InputError, ScenarioError
from sim.experiments.runner import execute, run_many, run_replication, whole
from sim.output.outfolder import MARKER, OutputFolder, claim
from sim.scenario.derived import baseline, set_path
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario


def _value(text: str) -> Any:
    return yaml.safe_load(text)


def parse_assignment(text: str) -> tuple[str, list[Any]]:
    """``path=values``: ``a..b`` (whole numbers, inclusive), ``a..b..step``, a comma list, or one value."""
    path, sep, spec = text.partition("=")
    if not sep or not path.strip() or not spec.strip():
        raise InputError(f"--grid {text!r}: expected PATH=VALUES such as depots.city.units[overhead].count=1..4")
    spec = spec.strip()
    if ".." in spec:
        bits = spec.split("..")
        try:
            nums = [float(b) for b in bits]
        except ValueError:
            raise InputError(f"--grid {text!r}: expected a range a..b or a..b..step of numbers") from None
        lo, hi = nums[0], nums[1]
        step = nums[2] if len(nums) > 2 else 1.0
        if step <= 0 or hi < lo:
            raise InputError(f"--grid {text!r}: expected a..b with a <= b and a positive step")
        values = list(np.arange(lo, hi + step / 2, step))
        whole = all(float(v).is_integer() for v in [lo, hi, step])
        return path.strip(), [int(round(v)) if whole else round(float(v), 12) for v in values]
    return path.strip(), [_value(v.strip()) for v in spec.split(",")]


def grid_points(assignments: list[tuple[str, list[Any]]], sample: int | None = None,
                seed: int = 0) -> list[dict[str, Any]]:
    """Every combination of the values (the first path varies slowest), or ``sample`` of them at random."""
    paths = [p for p, _ in assignments]
    points = [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*(v for _, v in assignments))]
    if sample is not None and sample < len(points):
        pick = np.sort(np.random.default_rng(seed).choice(len(points), size=sample, replace=False))
        points = [points[i] for i in pick]
    return points


def point_scenario(sc: Scenario, point: dict[str, Any], number: int) -> Scenario:
    """The scenario at one grid point, named ``<name>.p<number>``."""
    data = sc.resolved()
    data.pop("variants", None)
    data.pop("expect", None)
    for path, value in point.items():
        set_path(data, path, copy.deepcopy(value))
    data["name"] = f"{sc.name}.p{number}"
    try:
        return load_scenario(data, base_dir=sc._base_dir)
    except ScenarioError as exc:
        where = ", ".join(f"{k}={v}" for k, v in point.items())
        raise InputError(f"grid point {number} ({where}) is not a valid scenario:\n"
                         + "\n".join(f"  {i}" for i in exc.issues)) from None


@dataclass
class SweepResult:
    """Where the dataset is, its points, and what this call ran and skipped."""

    out: Path
    points: pd.DataFrame
    ran: int
    skipped: int

    def figures(self) -> pd.DataFrame:
        """Every figure of every replication of every point (read back from the dataset)."""
        f = pd.read_parquet(self.out / "figures", partitioning="hive")
        f["point"] = f["point"].astype(str).astype(np.int64)
        return f.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """Mean and interval of each figure at each point."""
        f = self.figures()
        parts = []
        for point, g in f.groupby("point", sort=True):
            s = summarise(g)
            s.insert(0, "point", point)
            parts.append(s)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _write_atomic(df: pd.DataFrame, path: Path) -> None:
    write_with(path, lambda tmp: df.to_parquet(tmp, index=False))


def _job(args: tuple[Scenario, int, int, int, float]) -> tuple[int, int, pd.DataFrame]:
    sc, seed, rep, point, t_med = args
    figures = run_replication(sc, seed, rep, keep_records=False, t_med=t_med)["figures"]
    return point, rep, figures  # the point is the partition (folder point=K), not a column


def sweep(sc: Scenario, assignments: list[tuple[str, list[Any]]], out: str | Path, sample: int | None = None,
          replications: int | None = None, workers: int = 1, progress: bool = False, dask: str | None = None,
          limit: int | None = None) -> SweepResult:
    """Run the sweep into ``out`` (resuming whatever is already there); ``limit`` stops after that many
    replications (as an interruption would)."""
    out = Path(out)
    n = sc.replications if replications is None else whole("replications", replications, 1)
    points = grid_points(assignments, sample, sc.seed)
    scenarios = [point_scenario(sc, p, k) for k, p in enumerate(points)]  # all checked before anything runs
    definition = {"scenario": sc.name, "scenario_sha256": sc.digest(), "seed": sc.seed, "replications": n,
                  "grid": [[p, v] for p, v in assignments], "sample": sample}
    with claim(out, "sweep", what=f"--out {out}") as folder:  # one writer; a folder of other output is refused
        recorded = _start(folder, definition)
        t_med = _base_t_med(sc, n, out, recorded, workers, progress, dask)
        return _run_points(sc, scenarios, points, n, out, workers, progress, dask, limit, t_med)


def _base_t_med(sc: Scenario, n: int, out: Path, recorded: dict[str, Any], workers: int, progress: bool,
                dask: str | None) -> float:
    """The base scenario's T_MED for every point: as recorded in sweep.json by an earlier start of this sweep, else
    stated in the scenario or pooled over ``n`` replications of it (then recorded)."""
    if isinstance(recorded.get("t_med"), dict):
        value = recorded["t_med"].get("saidi_min_per_day")
        return math.inf if value is None else float(value)
    threshold = stated_t_med(sc) or run_many([baseline(sc).with_changes(replications=n)], workers=workers,
                                             progress=progress, desc="sweep: base T_MED", keep_records=False,
                                             dask=dask)[0].t_med
    assert threshold is not None
    write_text(out / "sweep.json", json.dumps({**recorded, "t_med": threshold.echo()}, indent=2) + "\n")
    return threshold.value


def _start(folder: OutputFolder, definition: dict[str, Any]) -> dict[str, Any]:
    """Mark a new sweep folder and record what is swept, or check that ``folder`` holds this same sweep; remove
    the temporaries of a writer that was killed. Returns what sweep.json holds."""
    out = folder.path
    stamp = out / "sweep.json"
    held = json.loads(json.dumps(definition))
    if stamp.exists():
        try:
            old = json.loads(stamp.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"{stamp}: damaged ({exc}); expected the JSON definition of the sweep in this folder: "
                             "remove the folder to start again, or choose another --out") from None
        if not isinstance(old, dict) or {k: v for k, v in old.items() if k != "t_med"} != held:
            raise InputError(f"{out}: holds a different sweep (other scenario, grid, seed or replications); "
                             "expected an empty folder or the same sweep to resume")
        held = old  # with the base T_MED, once the first start has found it
    else:
        out.mkdir(parents=True, exist_ok=True)
        write_text(stamp, json.dumps(definition, indent=2) + "\n")
    folder.mark()
    for p in out.rglob(".*"):  # atomic writes interrupted by a kill leave their hidden temporary files
        if p.is_file() and p.name != MARKER:
            p.unlink(missing_ok=True)
    return held


def _run_points(sc: Scenario, scenarios: list[Scenario], points: list[dict[str, Any]], n: int, out: Path,
                workers: int, progress: bool, dask: str | None, limit: int | None, t_med: float) -> SweepResult:
    table = pd.DataFrame([{"point": k, **{p: json.dumps(v) for p, v in pt.items()}} for k, pt in enumerate(points)])
    _write_atomic(table, out / "points.parquet")
    todo = [(s, sc.seed, r, k, t_med) for k, s in enumerate(scenarios) for r in range(n)
            if not (out / "figures" / f"point={k}" / f"rep={r}.parquet").exists()]
    skipped = len(scenarios) * n - len(todo)
    if limit is not None:
        todo = todo[:limit]
    ran = 0
    with tqdm(total=len(todo), desc="sweep", unit="rep", delay=1.0, disable=not progress, leave=False) as bar:
        for point, rep, figures in execute(_job, todo, workers, dask, ordered=False):
            _write_atomic(figures, out / "figures" / f"point={point}" / f"rep={rep}.parquet")
            ran += 1
            bar.update()
    return SweepResult(out, typed_points(table), ran, skipped)


def typed_points(table: pd.DataFrame) -> pd.DataFrame:
    """The points as ``points.parquet`` keeps them (each value as JSON, so any value survives) with each path's
    values in their own type: numbers as numbers, text as text, anything else (lists, mappings) as objects.

    >>> typed_points(pd.DataFrame({"point": [0, 1], "a.count": ["2", "3"], "b": ['"x"', '"y"']})).dtypes.tolist()
    [dtype('int64'), dtype('int64'), dtype('O')]
    """
    out = table[["point"]].copy()
    for col in table.columns.drop("point"):
        values = [json.loads(v) for v in table[col]]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            out[col] = pd.to_numeric(pd.Series(values, index=table.index))
        else:
            out[col] = pd.Series(values, index=table.index, dtype=object)
    return out


def sweep_id(assignments: list[tuple[str, list[Any]]]) -> str:
    """A short id of a grid, for a default output folder name."""
    return hashlib.sha256(json.dumps(assignments, default=str).encode()).hexdigest()[:8]
