"""Measured start time of the command: wall-clock seconds from launch to exit of ``stormcrew --help``, ``stormcrew
validate`` of a small scenario (no road network, history or log: no pandas or scipy) and of a lever of the default
season (its road network and a gamma law need scipy), and ``python -c "import sim"``; the median of several runs,
each in a fresh process, after one warm-up run (compiled bytecode, the road network's disk cache).
Run: .venv/bin/python benchmarks/start_time.py [RUNS]
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def command() -> list[str]:
    """The installed ``stormcrew`` script beside this Python, else ``python -m sim``."""
    script = Path(sys.executable).parent / "stormcrew"
    if script.is_file():
        return [str(script)]
    found = shutil.which("stormcrew")
    return [found] if found else [sys.executable, "-m", "sim"]


def seconds(argv: list[str], runs: int) -> float:
    """Median wall-clock seconds of ``argv`` over ``runs`` runs, after a warm-up run."""
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        if i:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    cmd = command()
    cases = [
        ("python -c pass (the interpreter alone)", [sys.executable, "-c", "pass"]),
        ('python -c "import sim"', [sys.executable, "-c", "import sim"]),
        ("stormcrew --help", [*cmd, "--help"]),
        ("stormcrew validate benchmarks/small_scenario.yaml", [*cmd, "validate", "benchmarks/small_scenario.yaml"]),
        ("stormcrew validate scenarios/levers/night_roster.yaml",
         [*cmd, "validate", "scenarios/levers/night_roster.yaml"]),
    ]
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores; median of {runs} runs, wall clock")
    for label, argv in cases:
        print(f"{seconds(argv, runs):6.3f} s  {label}")


if __name__ == "__main__":
    main()
