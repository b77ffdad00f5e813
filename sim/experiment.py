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

Frames = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]


def run_replication(sc: Scenario, seed: int, replication: int) -> Frames:
    """One replication: its faults, unit activities, figures and storms as DataFrames."""
    rec = simulate(sc, seed, replication)
    faults, units = rec.fault_frame(), rec.unit_frame()
    figures = replication_figures(sc, faults, units, {u.uid: u.group for u in rec.units})
    figures.insert(0, "replication", replication)
    return faults, units, figures, rec.storm_frame()


def _star(args: tuple[Scenario, int, int]) -> Frames:
    return run_replication(*args)


def _replications(jobs: list[tuple[Scenario, int, int]], workers: int) -> Iterator[tuple[Any, ...]]:
    if workers <= 1 or len(jobs) <= 1:
        yield from map(_star, jobs)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        yield from pool.map(_star, jobs)  # map keeps job order


def _resolve(scenario: Scenario | str | Path | dict[str, Any], replications: int | None,
             seed: int | None) -> Scenario:
    sc = load_scenario(scenario)
    n = sc.replications if replications is None else int(replications)
    if n < 1:
        raise ValueError("replications must be at least 1")
    return sc.with_changes(replications=n, seed=sc.seed if seed is None else int(seed))


def run_many(scenarios: list[Scenario], workers: int | None = 1, progress: bool = False,
             desc: str = "replications") -> list[Result]:
    """Run every replication of every scenario (each with its own ``replications`` and ``seed``) in one pool of
    ``workers`` processes and return one Result per scenario, in order."""
    jobs = [(sc, sc.seed, r) for sc in scenarios for r in range(sc.replications)]
    w = (os.cpu_count() or 1) if workers is None else workers
    done: list[Frames] = []
    with tqdm(total=len(jobs), desc=desc, unit="rep", delay=1.0, disable=not progress, leave=False) as bar:
        for out in _replications(jobs, w):
            done.append(out)
            bar.update()
    results, i = [], 0
    for sc in scenarios:
        mine, i = done[i:i + sc.replications], i + sc.replications
        per_rep = pd.concat([m[2] for m in mine], ignore_index=True)
        results.append(Result(scenario=sc, seed=sc.seed, faults=pd.concat([m[0] for m in mine], ignore_index=True),
                              units=pd.concat([m[1] for m in mine], ignore_index=True),
                              per_replication=per_rep, summary=summarise(per_rep),
                              storms=pd.concat([m[3] for m in mine], ignore_index=True)))
    return results


def run(scenario: Scenario | str | Path | dict[str, Any], replications: int | None = None,
        seed: int | None = None, workers: int | None = 1, progress: bool = False) -> Result:
    """Run ``replications`` replications of ``scenario`` (defaults: the scenario's own) and gather the results.

    ``workers``: processes to use (``None``: one per core). ``progress``: show a progress bar on the terminal
    when the run takes more than a second.

    >>> res = run("scenarios/storm_season.yaml", replications=2)
    >>> sorted(res.faults["replication"].unique().tolist())
    [0, 1]
    """
    sc = _resolve(scenario, replications, seed)
    return run_many([sc], workers=workers, progress=progress, desc=sc.name)[0]
