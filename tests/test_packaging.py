"""What the package ships besides its modules: ``py.typed`` (PEP 561: users' type checkers read the hints) and
``python -m sim``, the command without its script on the PATH."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parents[1]


def test_py_typed_is_in_the_package_and_shipped() -> None:
    assert (Path(sim.__file__).parent / "py.typed").is_file()
    config = (ROOT / "pyproject.toml").read_text(encoding="utf-8")  # (no tomllib before Python 3.11)
    section = re.search(r"^\[tool\.setuptools\.package-data\]\n(.*?)(?=^\[)", config, re.M | re.S)
    assert section and re.search(r'^sim = \[.*"py\.typed".*\]$', section.group(1), re.M)


def test_python_m_sim_is_the_command(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "sim"]
    version = subprocess.run([*run, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("stormcrew ")
    ok = subprocess.run([*run, "validate", str(ROOT / "benchmarks" / "small_scenario.yaml")], capture_output=True,
                        text=True, timeout=120)
    assert ok.returncode == 0 and "small_scenario.yaml: ok" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nhorizon: 4 hrs\n")
    refused = subprocess.run([*run, "validate", str(bad)], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "bad.yaml" in refused.stderr and "Traceback" not in refused.stderr
