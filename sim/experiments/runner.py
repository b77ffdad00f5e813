"""Replications of a scenario, in this process or in parallel worker processes, gathered into a Result.

Replication ``r`` is a pure function of (resolved scenario, seed, r): results do not depend on how many
workers ran them or in which order they finished.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import numbers
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm  # widgets in a notebook, a bar in a terminal

from sim.analysis.major_events import (
    ZONE_DAYS,
    Threshold,
    judge,
    threshold_of,
    zone_day_frame,
)
from sim.analysis.metrics import (
    interruptions,
    reliability_figures,
    replication_figures,
    summarise,
)
from sim.analysis.timeseries import series, storm_restoration
from sim.engine.model import simulate
from sim.output.results import Result
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

TABLES = ("faults", "units", "figures", "storms", "timeseries", "restoration", "days", "dispatches", "unit_summary",
          "plans")
"""The tables one replication produces (``figures`` become ``Result.per_replication``)."""


RECORD_TABLES = ("faults", "units", "dispatches")
"""The tables that grow with the number of faults: dropped in the worker when records are not kept."""


Tables = dict[str, pd.DataFrame]


def run_replication(sc: Scenario, seed: int, replication: int, keep_records: bool = True,
                    t_med: float | None = None) -> Tables:
    """One replication: its tables as DataFrames (see TABLES), and ``zone_days`` (each zone's customer
    interruptions and minutes per day, for run_many's second pass). Figures are computed here, in the worker, so a
    run that does not keep records never ships them between processes. ``t_med``: the major event day threshold
    (default the scenario's stated one, else the replication's own; run_many replaces the figures that depend on
    it: see sim.major_events)."""
    rec = simulate(sc, seed, replication)
    faults, units = rec.fault_frame(), rec.unit_frame()
    unit_group = {u.uid: u.group for u in rec.units}
    storms, curves = storm_restoration(rec.storm_frame(), faults)
    unit_summary = rec.unit_summary(sc.horizon)
    log = interruptions(sc, faults)  # once: the IEEE figures and the zone-day sums both read it
    reliability = reliability_figures(sc, faults, t_med, log)
    plans = rec.plan_frame()
    figures = replication_figures(sc, faults, units, unit_group, storms, unit_summary, reliability, plans, log)
    figures.insert(0, "replication", replication)
    days = reliability[1].copy()
    days.insert(0, "replication", np.int64(replication))
    out = {"faults": faults, "units": units, "figures": figures, "storms": storms,
           "timeseries": series(faults, units, unit_group, sc.horizon, replication), "restoration": curves,
           "days": days, "dispatches": rec.dispatch_frame(), "unit_summary": unit_summary,
           "plans": plans,
           ZONE_DAYS: zone_day_frame(sc, log, replication)}
    if not keep_records:
        for name in RECORD_TABLES:
            out[name] = out[name].iloc[0:0]
    return out


def _star(args: tuple[Scenario, int, int, bool]) -> Tables:
    return run_replication(*args)


def whole(name: str, value: Any, minimum: int) -> int:
    """An API argument that must be a whole number >= ``minimum``: 2.7 replications or 1.5 as a seed is a
    mistake to report, not to round.

    >>> whole("replications", 3, 1)
    3
    >>> whole("seed", 1.5, 0)
    Traceback (most recent call last):
    TypeError: seed: expected a whole number, got 1.5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: expected a whole number >= {minimum}, got {value}")
    return int(value)


def _die_with_parent(parent: int) -> None:
    """Pool initializer: a worker ends when the process that started it ends, even by kill -9, instead of waiting
    forever on its job queue; Ctrl-C is the parent's to handle (it stops the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)

    def watch() -> None:  # where PR_SET_PDEATHSIG does not exist
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def execute(fn: Callable[[Any], Any], jobs: list[Any], workers: int = 1, dask: str | None = None,
            ordered: bool = True) -> Iterator[Any]:
    """``fn(job)`` for every job: in this process, in ``workers`` local processes, or on the Dask scheduler at
    ``dask``. ``ordered``: results in job order; otherwise as they finish (a caller that writes each result
    away keeps memory flat however many jobs). Worker processes end with this one: when it is interrupted, when
    the caller stops early, and when it is killed."""
    workers = whole("workers", workers, 1)
    if dask:
        from distributed import Client, as_completed  # noqa: PLC0415 (plotly or dask only when used: they take long to import)

        with Client(dask) as client:
            futures = client.map(fn, jobs, pure=False)
            for future in (futures if ordered else as_completed(futures)):
                yield future.result()
        return
    if workers <= 1 or len(jobs) <= 1:
        yield from map(fn, jobs)
        return
    # multiprocessing's Pool, not concurrent.futures: its terminate() stops the workers and its own threads
    # at once, where an executor shut down mid-run can hang on its job queue at exit
    with multiprocessing.Pool(min(workers, len(jobs)), initializer=_die_with_parent,
                              initargs=(os.getpid(),)) as pool:  # leaving the block terminates the pool
        yield from (pool.imap if ordered else pool.imap_unordered)(fn, jobs, chunksize=1)


def _resolve(scenario: Scenario | str | Path | dict[str, Any], replications: int | None,
             seed: int | None) -> Scenario:
    sc = load_scenario(scenario)
    n = sc.replications if replications is None else whole("replications", replications, 1)
    return sc.with_changes(replications=n, seed=sc.seed if seed is None else whole("seed", seed, 0))


def run_many(scenarios: list[Scenario], workers: int | None = 1, progress: bool = False,
             desc: str = "replications", keep_records: bool = True, dask: str | None = None,
             same_t_med: bool = False) -> list[Result]:
    """Run every replication of every scenario (each with its own ``replications`` and ``seed``) in one pool of
    ``workers`` processes and return one Result per scenario, in order. ``keep_records=False`` keeps only figures,
    storms, time series and day tables (memory no longer grows with the number of faults). ``dask``: the address
    of a Dask distributed scheduler to run on instead of local processes; results are the same either way.

    Major event days: once a scenario's replications are all in, the figures that depend on T_MED are computed
    against one T_MED for all of them (its stated one, else the 2.5 beta threshold of all its replications' daily
    SAIDI pooled: see sim.major_events); ``same_t_med``: against the first scenario's T_MED for every scenario (a
    baseline and its variants)."""
    jobs = [(sc, sc.seed, r, keep_records) for sc in scenarios for r in range(sc.replications)]
    w = (os.cpu_count() or 1) if workers is None else whole("workers", workers, 1)
    done: list[Tables] = []
    with tqdm(total=len(jobs), desc=desc, unit="rep", delay=1.0, disable=not progress, leave=False) as bar:
        for out in execute(_star, jobs, w, dask):
            done.append(out)
            bar.update()
    results, i = [], 0
    shared: Threshold | None = None
    for sc in scenarios:
        mine, i = done[i:i + sc.replications], i + sc.replications
        tables = {name: pd.concat([m[name] for m in mine], ignore_index=True) for name in TABLES}
        _unit_categories(tables)
        zone_days = pd.concat([m[ZONE_DAYS] for m in mine], ignore_index=True)
        threshold = shared or threshold_of(sc, tables["days"])
        if same_t_med and shared is None:
            shared = Threshold(threshold.value, f"{sc.name}'s, {threshold.source}")
        per_rep, tables["days"] = judge(sc, tables.pop("figures"), tables["days"], zone_days, threshold)
        results.append(Result(scenario=sc, seed=sc.seed, per_replication=per_rep, summary=summarise(per_rep),
                              t_med=threshold, **tables))
    return results


def _unit_categories(tables: dict[str, pd.DataFrame]) -> None:
    """Unit ids as one categorical type shared by every table (a few names over many rows; the same categories
    everywhere, so ``faults.unit == units.unit`` compares)."""
    named = [n for n in ("faults", "units", "dispatches", "unit_summary") if "unit" in tables[n].columns]
    ids = sorted({str(v) for n in named for v in tables[n]["unit"].unique()})
    kind = pd.CategoricalDtype(ids)
    for n in named:
        tables[n]["unit"] = tables[n]["unit"].astype(str).astype(kind)


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
