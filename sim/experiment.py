"""Replications of a scenario, in this process or in parallel worker processes, gathered into a Result.

Replication ``r`` is a pure function of (resolved scenario, seed, r): results do not depend on how many
workers ran them or in which order they finished.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.metrics import reliability_figures, replication_figures, summarise
from sim.model import simulate
from sim.results import Result
from sim.scenario import Scenario, load_scenario
from sim.timeseries import series, storm_restoration

TABLES = ("faults", "units", "figures", "storms", "timeseries", "restoration", "days", "dispatches", "unit_summary")
"""The tables one replication produces (``figures`` become ``Result.per_replication``)."""
RECORD_TABLES = ("faults", "units", "dispatches")
"""The tables that grow with the number of faults: dropped in the worker when records are not kept."""

Tables = dict[str, pd.DataFrame]


def run_replication(sc: Scenario, seed: int, replication: int, keep_records: bool = True) -> Tables:
    """One replication: its tables as DataFrames (see TABLES). Figures are computed here, in the worker, so a run
    that does not keep records never ships them between processes."""
    rec = simulate(sc, seed, replication)
    faults, units = rec.fault_frame(), rec.unit_frame()
    unit_group = {u.uid: u.group for u in rec.units}
    storms, curves = storm_restoration(rec.storm_frame(), faults)
    unit_summary = rec.unit_summary(sc.horizon)
    reliability = reliability_figures(sc, faults)
    figures = replication_figures(sc, faults, units, unit_group, storms, unit_summary, reliability)
    figures.insert(0, "replication", replication)
    days = reliability[1].copy()
    days.insert(0, "replication", np.int64(replication))
    out = {"faults": faults, "units": units, "figures": figures, "storms": storms,
           "timeseries": series(faults, units, unit_group, sc.horizon, replication), "restoration": curves,
           "days": days, "dispatches": rec.dispatch_frame(), "unit_summary": unit_summary}
    if not keep_records:
        for name in RECORD_TABLES:
            out[name] = out[name].iloc[0:0]
    return out


def _star(args: tuple[Scenario, int, int, bool]) -> Tables:
    return run_replication(*args)


def execute(fn: Callable[[Any], Any], jobs: list[Any], workers: int = 1, dask: str | None = None,
            ordered: bool = True) -> Iterator[Any]:
    """``fn(job)`` for every job: in this process, in ``workers`` local processes, or on the Dask scheduler at
    ``dask``. ``ordered``: results in job order; otherwise as they finish, with at most two jobs per worker in
    flight (memory stays flat however many jobs)."""
    if dask:
        from distributed import Client, as_completed

        with Client(dask) as client:
            futures = client.map(fn, jobs, pure=False)
            for future in (futures if ordered else as_completed(futures)):
                yield future.result()
        return
    if workers <= 1 or len(jobs) <= 1:
        yield from map(fn, jobs)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        if ordered:
            yield from pool.map(fn, jobs)
            return
        pending: set[Future[Any]] = set()
        queue = iter(jobs)
        for job in itertools.islice(queue, 2 * workers):
            pending.add(pool.submit(fn, job))
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
                nxt = next(queue, None)
                if nxt is not None:
                    pending.add(pool.submit(fn, nxt))


def _resolve(scenario: Scenario | str | Path | dict[str, Any], replications: int | None,
             seed: int | None) -> Scenario:
    sc = load_scenario(scenario)
    n = sc.replications if replications is None else int(replications)
    if n < 1:
        raise ValueError("replications must be at least 1")
    return sc.with_changes(replications=n, seed=sc.seed if seed is None else int(seed))


def run_many(scenarios: list[Scenario], workers: int | None = 1, progress: bool = False,
             desc: str = "replications", keep_records: bool = True, dask: str | None = None) -> list[Result]:
    """Run every replication of every scenario (each with its own ``replications`` and ``seed``) in one pool of
    ``workers`` processes and return one Result per scenario, in order. ``keep_records=False`` keeps only figures,
    storms, time series and day tables (memory no longer grows with the number of faults). ``dask``: the address
    of a Dask distributed scheduler to run on instead of local processes; results are the same either way."""
    jobs = [(sc, sc.seed, r, keep_records) for sc in scenarios for r in range(sc.replications)]
    w = (os.cpu_count() or 1) if workers is None else workers
    done: list[Tables] = []
    with tqdm(total=len(jobs), desc=desc, unit="rep", delay=1.0, disable=not progress, leave=False) as bar:
        for out in execute(_star, jobs, w, dask):
            done.append(out)
            bar.update()
    results, i = [], 0
    for sc in scenarios:
        mine, i = done[i:i + sc.replications], i + sc.replications
        tables = {name: pd.concat([m[name] for m in mine], ignore_index=True) for name in TABLES}
        per_rep = tables.pop("figures")
        results.append(Result(scenario=sc, seed=sc.seed, per_replication=per_rep, summary=summarise(per_rep),
                              **tables))
    return results


def run(scenario: Scenario | str | Path | dict[str, Any], replications: int | None = None,
        seed: int | None = None, workers: int | None = 1, progress: bool = False,
        keep_records: bool = True, dask: str | None = None) -> Result:
    """Run ``replications`` replications of ``scenario`` (defaults: the scenario's own) and gather the results.

    ``workers``: processes to use (``None``: one per core). ``progress``: show a progress bar on the terminal
    when the run takes more than a second. ``keep_records=False``: keep figures and summary tables only, not the
    per-fault and per-activity records.

    >>> res = run("scenarios/storm_season.yaml", replications=2)
    >>> sorted(res.faults["replication"].unique().tolist())
    [0, 1]
    """
    sc = _resolve(scenario, replications, seed)
    return run_many([sc], workers=workers, progress=progress, desc=sc.name, keep_records=keep_records,
                    dask=dask)[0]
