"""Measured run time of the default scenario: seconds per run and per replication, faults per second,
on 1 and 2 worker processes. Run: .venv/bin/python benchmarks/run_time.py
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path

import sim

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "storm_season.yaml"


def measure(workers: int, repeats: int = 3) -> tuple[float, int]:
    sc = sim.load_scenario(SCENARIO)
    times, faults = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = sim.run(sc, workers=workers)
        times.append(time.perf_counter() - t0)
        faults = len(res.faults)
    return statistics.median(times), faults


def main() -> None:
    sc = sim.load_scenario(SCENARIO)
    print(f"stormcrew {sim.__version__}, Python {platform.python_version()}, {os.cpu_count()} cores")
    print(f"scenario {sc.name}: {sc.replications} replications of {sc.horizon / 1440:g} days")
    t0 = time.perf_counter()
    sim.run(sc, replications=1)
    print(f"one replication, cold (imports warm): {time.perf_counter() - t0:.3f} s")
    base = None
    for workers in (1, 2):
        seconds, faults = measure(workers)
        base = base or seconds
        print(f"workers={workers}: {seconds:.2f} s per run (median of 3), {seconds / sc.replications * 1000:.0f} ms "
              f"per replication, {faults / seconds:,.0f} faults/s, speed-up {base / seconds:.2f}x")


if __name__ == "__main__":
    main()
