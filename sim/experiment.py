"""Replications of a scenario, in this process or in parallel worker processes, gathered into a Result.

Replication ``r`` is a pure function of (resolved scenario, seed, r): results do not depend on how many
workers ran them or in which order they finished.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from sim.metrics import replication_figures, summarise
from sim.model import simulate
from sim.results import Result
from sim.scenario import Scenario, load_scenario


def run_replication(sc: Scenario, seed: int, replication: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One replication: its faults, unit activities and figures as DataFrames."""
    rec = simulate(sc, seed, replication)
    faults, units = rec.fault_frame(), rec.unit_frame()
    figures = replication_figures(sc, faults, units, {u.uid: u.group for u in rec.units})
    figures.insert(0, "replication", replication)
    return faults, units, figures


def _star(args: tuple[Scenario, int, int]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return run_replication(*args)


def _replications(sc: Scenario, seed: int, n: int, workers: int) -> Iterator[tuple[Any, ...]]:
    jobs = [(sc, seed, r) for r in range(n)]
    if workers <= 1 or n <= 1:
        yield from map(_star, jobs)
        return
    with ProcessPoolExecutor(max_workers=min(workers, n)) as pool:
        yield from pool.map(_star, jobs)  # map keeps replication order


def run(scenario: Scenario | str | Path | dict[str, Any], replications: int | None = None,
        seed: int | None = None, workers: int | None = 1, progress: bool = False) -> Result:
    """Run ``replications`` replications of ``scenario`` (defaults: the scenario's own) and gather the results.

    ``workers``: processes to use (``None``: one per core). ``progress``: show a progress bar on the terminal
    when the run takes more than a second.

    >>> res = run("scenarios/storm_season.yaml", replications=2)
    >>> sorted(res.faults["replication"].unique().tolist())
    [0, 1]
    """
    sc = load_scenario(scenario)
    n = sc.replications if replications is None else int(replications)
    s = sc.seed if seed is None else int(seed)
    if n < 1:
        raise ValueError("replications must be at least 1")
    sc = sc.with_changes(replications=n, seed=s)
    w = (os.cpu_count() or 1) if workers is None else workers
    faults, units, figures = [], [], []
    bar = tqdm(total=n, desc=sc.name, unit="rep", delay=1.0, disable=not progress, leave=False)
    for f, u, fig in _replications(sc, s, n, w):
        faults.append(f)
        units.append(u)
        figures.append(fig)
        bar.update()
    bar.close()
    per_rep = pd.concat(figures, ignore_index=True)
    return Result(scenario=sc, seed=s, faults=pd.concat(faults, ignore_index=True),
                  units=pd.concat(units, ignore_index=True), per_replication=per_rep, summary=summarise(per_rep))
