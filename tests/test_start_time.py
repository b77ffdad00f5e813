"""The command starts fast: ``stormcrew --help`` imports none of the heavy libraries, and ``stormcrew validate`` of
a scenario without a road network, history or log reads it without pandas, scipy, SimPy or plotly
(benchmarks/start_time.py measures the seconds). Reading the common distributions without scipy.stats checks them
as scipy.stats would."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.stats

from sim.distributions import _CLOSED, _Z_TAIL, TAIL, Distribution, _law_range, _shapes

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "benchmarks" / "small_scenario.yaml"
HEAVY = ["numpy", "pandas", "scipy", "simpy", "plotly", "pyarrow", "pydantic", "shapely", "yaml", "tqdm"]


def imported_by(*argv: str) -> tuple[int, set[str]]:
    """Exit code of ``stormcrew ARGV`` run in a fresh interpreter, and which of HEAVY it imported."""
    code = ("import json, sys\nfrom sim.cli import main\ntry:\n    code = main(sys.argv[1:])\n"
            "except SystemExit as exc:\n    code = exc.code\n"
            f"print(json.dumps([code, [m for m in {HEAVY!r} if m in sys.modules]]), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT, timeout=120)
    exit_code, mods = json.loads(proc.stderr.strip().splitlines()[-1])
    return exit_code, set(mods)


def test_help_imports_no_library() -> None:
    code, mods = imported_by("--help")
    assert code == 0 and mods == set()
    code, mods = imported_by("run", "--help")
    assert code == 0 and mods == set()


def test_validate_reads_a_scenario_without_pandas_or_scipy() -> None:
    code, mods = imported_by("validate", str(SMALL))
    assert code == 0
    assert mods & {"pandas", "scipy", "simpy", "plotly", "pyarrow", "tqdm"} == set(), mods


def test_import_sim_imports_no_library() -> None:
    proc = subprocess.run([sys.executable, "-c", f"import sys, sim; print([m for m in {HEAVY!r} if m in sys.modules])"],
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]"


# ------------------------------------------------------- distributions checked without scipy.stats


def scipy_range(dist: str, params: dict[str, float]) -> tuple[float, float]:
    """What the scenario check computed with scipy.stats before the closed forms: support's low end, 99.9th
    percentile."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            frozen = getattr(scipy.stats, dist)(**params)
            return float(frozen.support()[0]), float(frozen.ppf(1.0 - TAIL))
    except (ValueError, TypeError, OverflowError, ArithmeticError):
        return math.nan, math.nan


VALUES = [-1.0, 0.0, 5e-324, 1e-300, 1e-3, 0.5, 1, 2.5, 40, 1e4, 1e300, 1.7e308]
LOCS = [-10.0, 0.0, 3, 1e300]


@pytest.mark.parametrize("dist", sorted(_CLOSED))
def test_closed_forms_agree_with_scipy(dist: str) -> None:
    law = getattr(scipy.stats, dist)
    assert _shapes(dist) == [s.strip() for s in (law.shapes or "").split(",") if s.strip()]
    shapes = _CLOSED[dist][0]
    for combo in itertools.product(VALUES, repeat=len(shapes)):
        for scale, loc in itertools.product(VALUES, LOCS):
            params = {**dict(zip(shapes, combo, strict=True)), "scale": scale, "loc": loc}
            ours, theirs = _law_range(dist, params), scipy_range(dist, params)
            for a, b in zip(ours, theirs, strict=True):
                assert (math.isnan(a) and math.isnan(b)) or a == b or math.isclose(a, b, rel_tol=1e-12), \
                    (params, ours, theirs)


def test_the_normal_quantile_is_scipys() -> None:
    assert _Z_TAIL == float(scipy.stats.norm.ppf(1.0 - TAIL))


def judged(spec: dict[str, float]) -> str:
    try:
        return Distribution.model_validate(spec).describe()
    except ValueError as exc:
        return str(exc)


@pytest.mark.parametrize("spec", [{"dist": "lognorm", "s": 0}, {"dist": "lognorm", "s": 30, "scale": 95},
                                  {"dist": "lognorm", "s": 0.9, "scale": 95}, {"dist": "expon", "scale": 30},
                                  {"dist": "weibull_min", "c": 0.01, "scale": 10}, {"dist": "expon", "loc": -5},
                                  {"dist": "uniform", "scale": -1}, {"dist": "lognorm"}, {"dist": "expon", "s": 1},
                                  {"dist": "uniform", "loc": 1e7, "scale": 10}, {"dist": "weibull_min", "c": 1.5}])
def test_a_law_is_judged_in_scipys_words(spec: dict[str, float], monkeypatch: pytest.MonkeyPatch) -> None:
    """The same verdict and message whether a closed form or scipy.stats judges."""
    ours = judged(spec)
    monkeypatch.setattr("sim.distributions._CLOSED", {})
    assert ours == judged(spec)
