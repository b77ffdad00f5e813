"""The reference benchmark: the model's speed against a bare SimPy M/M/c queue on the same machine, memory, the
speed-up of two workers over one, and how the cost per fault scales with faults and units.

    .venv/bin/python benchmarks/reference.py [--quick]

Prints every figure; docs/tests.md records one run. Timings are medians of repeated runs (wall clock).
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import simpy

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import sim  # noqa: E402
from sim.engine.model import simulate  # noqa: E402
from sim.experiments.runner import run_many  # noqa: E402
from sim.output.results import package_version  # noqa: E402
from sim.yamlsource import extend, read_yaml  # noqa: E402

REFERENCE = HERE / "reference_season.yaml"


def bare_mmc(jobs: int, servers: int = 60, rho: float = 0.8, seed: int = 1) -> float:
    """Seconds per job of the textbook SimPy M/M/c: one process per customer requesting a Resource."""
    rng = np.random.default_rng(seed)
    mean_service = 60.0
    lam = rho * servers / mean_service
    gaps = rng.exponential(1 / lam, jobs).tolist()
    services = rng.exponential(mean_service, jobs).tolist()
    env = simpy.Environment()
    crews = simpy.Resource(env, capacity=servers)

    def customer(service: float) -> Any:
        with crews.request() as req:
            yield req
            yield env.timeout(service)

    def source() -> Any:
        for gap, service in zip(gaps, services, strict=True):
            yield env.timeout(gap)
            env.process(customer(service))

    env.process(source())
    t0 = time.perf_counter()
    env.run()
    return (time.perf_counter() - t0) / jobs


def _burn(n: int) -> int:
    s = 0
    for i in range(n):
        s += i * i % 7
    return s


def machine_speedup(n: int = 10_000_000) -> float:
    """What two processes give on this machine for pure Python arithmetic: the ceiling for any Python model."""
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.perf_counter()
    for _ in range(4):
        _burn(n)
    one = time.perf_counter() - t0
    with ProcessPoolExecutor(2) as pool:
        t0 = time.perf_counter()
        list(pool.map(_burn, [n] * 4))
        two = time.perf_counter() - t0
    return one / two


def timed(fn: Any, repeats: int = 3) -> float:
    """Median wall-clock seconds of ``fn()``."""
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def scaled(data: dict[str, Any], rate: float, units: float, days: float, bigger_storms: bool = False) -> sim.Scenario:
    """The reference season with fault rates x ``rate``, unit counts x ``units`` and ``days`` long; storms x
    ``rate`` as often, or (``bigger_storms``) as often as before with ``rate`` times the faults an hour. A utility
    with 50 times the crews has a larger territory, not 50 times the thunderstorms over the same roads: 100 storms
    a week, each closing roads for hours, would keep the territory's roads closed for good."""
    d = copy.deepcopy(data)
    d["horizon"] = f"{days} d"
    for by_type in d["arrivals"]["per_day"].values():
        for k in by_type:
            by_type[k] = by_type[k] * rate
    storms = d["arrivals"]["storms"]
    if bigger_storms:
        storms["intensity"] = dict(storms["intensity"], scale=storms["intensity"]["scale"] * rate)
    else:
        storms["per_week"] = storms["per_week"] * rate
    for depot in d["depots"].values():
        for g in depot["units"]:
            g["count"] = max(1, int(round(g["count"] * units)))
    return sim.load_scenario(d, base_dir=HERE)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="smaller scaling table (for a smoke run)")
    args = p.parse_args()
    sc = sim.load_scenario(REFERENCE)
    data = extend(read_yaml(REFERENCE)).data
    data.pop("extends", None)
    print(f"stormcrew {package_version()} on Python "
          f"{platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}")

    faults = [len(simulate(sc, sc.seed, r).faults) for r in range(2)]
    n_units = sum(g.count for d in sc.depots.values() for g in d.units)
    print(f"reference season: {sc.horizon / 1440:.0f} days, {len(sc.zones)} zones, {n_units} units "
          f"(of which {sum(g.count for d in sc.depots.values() for g in d.units if g.kind == 'van')} vans), "
          f"about {np.mean(faults):,.0f} faults a replication")

    engine = timed(lambda: simulate(sc, sc.seed, 0))
    n0 = len(simulate(sc, sc.seed, 0).faults)
    mmc = bare_mmc(100_000)
    reps = sc.replications
    one = timed(lambda: run_many([sc], workers=1, keep_records=False), repeats=2)
    two = timed(lambda: run_many([sc], workers=2, keep_records=False), repeats=2)
    total_faults = sum(len(simulate(sc, sc.seed, r).faults) for r in range(reps))
    per_fault = one / total_faults
    print(f"bare SimPy M/M/c (60 servers, rho 0.8, 100,000 jobs): {1e6 * mmc:.1f} us per job "
          f"({1 / mmc:,.0f} jobs/s)")
    print(f"engine only (simulate): {engine:.3f} s per replication, {1e6 * engine / n0:.1f} us per fault, "
          f"ratio to M/M/c {engine / n0 / mmc:.1f}")
    print(f"whole replication (faults, engine, records, every figure): {one / reps:.3f} s per replication, "
          f"{total_faults / one:,.0f} faults/s, {1e6 * per_fault:.1f} us per fault, ratio to M/M/c "
          f"{per_fault / mmc:.1f}")
    print(f"{reps} replications: 1 worker {one:.2f} s, 2 workers {two:.2f} s, speed-up {one / two:.2f}x "
          f"(this machine's ceiling, pure Python arithmetic in 2 processes: {machine_speedup():.2f}x)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB in this process, {child:.0f} MB in the largest worker")

    print("\nscaling: cost per fault (engine only, median of 2 runs)")
    print(f"{'faults/rep':>11} {'units':>6} {'s/rep':>8} {'us/fault':>9}")
    # the ranges: faults 1,000 to 100,000 a replication, units 10 to 5,000 (with the faults they serve)
    fault_sizes = [(1, 1, 18), (1, 1, 120), (1, 1, 1200), (1, 1, 1750)] if not args.quick else [(1, 1, 12),
                                                                                              (1, 1, 120)]
    unit_sizes = [(0.15, 0.15, 120 / 0.15 / 10), (1.5, 1.5, 120 / 1.5), (15, 15, 120 / 15), (73, 73, 120 / 73)]
    if args.quick:
        unit_sizes = unit_sizes[:2]
    for label, sizes in (("faults", fault_sizes), ("units", unit_sizes)):
        for rate, units, days in sizes:
            s = scaled(data, rate, units, days, bigger_storms=label == "units")
            n = len(simulate(s, 1, 0).faults)
            t = timed(lambda s=s: simulate(s, 1, 0), repeats=2)
            u = sum(g.count for d in s.depots.values() for g in d.units)
            print(f"{n:>11,} {u:>6} {t:>8.2f} {1e6 * t / n:>9.1f}   ({label} axis)")


if __name__ == "__main__":
    main()
