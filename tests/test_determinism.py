"""Same scenario + same seed = identical results, whatever the number of worker processes; and a change of units
leaves the faults drawn exactly as they were (common random numbers)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

import sim
from tests.conftest import DEFAULT_SCENARIO, with_crews


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_identical_faults_parquet(tmp_path: Path) -> None:
    a = sim.run(DEFAULT_SCENARIO, replications=3, seed=42).save(tmp_path / "a")
    b = sim.run(DEFAULT_SCENARIO, replications=3, seed=42).save(tmp_path / "b")
    assert _digest(a / "faults.parquet") == _digest(b / "faults.parquet")
    assert _digest(a / "units.parquet") == _digest(b / "units.parquet")
    assert (a / "summary.json").read_text() == (b / "summary.json").read_text()


def test_results_do_not_depend_on_worker_count() -> None:
    one = sim.run(DEFAULT_SCENARIO, replications=4, seed=9, workers=1)
    two = sim.run(DEFAULT_SCENARIO, replications=4, seed=9, workers=2)
    pd.testing.assert_frame_equal(one.faults, two.faults)
    pd.testing.assert_frame_equal(one.units, two.units)
    pd.testing.assert_frame_equal(one.summary, two.summary)


def test_other_seed_gives_other_faults() -> None:
    a = sim.run(DEFAULT_SCENARIO, replications=1, seed=1).faults
    b = sim.run(DEFAULT_SCENARIO, replications=1, seed=2).faults
    assert len(a) != len(b) or not a["reported"].equals(b["reported"])


def test_replications_differ_from_each_other() -> None:
    f = sim.run(DEFAULT_SCENARIO, replications=2, seed=1).faults
    r0, r1 = (f[f["replication"] == r]["reported"].to_numpy() for r in (0, 1))
    assert len(r0) != len(r1) or (r0 != r1).any()


FAULT_COLUMNS = ["fault", "zone", "fault_type", "x_km", "y_km", "customers", "reported", "repair_minutes"]


def test_changing_units_leaves_the_faults_unchanged() -> None:
    base = sim.scenario_dict(DEFAULT_SCENARIO)
    more = with_crews(base, "city", "overhead", +3)
    a = sim.run(base, replications=2, seed=3).faults
    b = sim.run(more, replications=2, seed=3).faults
    pd.testing.assert_frame_equal(a[FAULT_COLUMNS], b[FAULT_COLUMNS])
    assert not a["time_to_site"].equals(b["time_to_site"])  # and the change did change the outcome


def test_adding_a_fault_type_leaves_the_other_faults_unchanged() -> None:
    base = sim.scenario_dict(DEFAULT_SCENARIO)
    more = sim.scenario_dict(DEFAULT_SCENARIO)
    more["fault_types"]["vandalism"] = {"skills": ["distribution_equipment"], "repair": 60}
    more["arrivals"]["per_day"]["urban"]["vandalism"] = 2.0
    a = sim.run(base, replications=1, seed=3).faults
    b = sim.run(more, replications=1, seed=3).faults
    b = b[b["fault_type"] != "vandalism"]
    cols = [c for c in FAULT_COLUMNS if c != "fault"]
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True), b[cols].reset_index(drop=True),
                                  check_categorical=False)


@pytest.mark.parametrize("field", ["seed", "replications"])
def test_resolved_scenario_round_trips(field: str) -> None:
    sc = sim.load_scenario(DEFAULT_SCENARIO)
    again = sim.load_scenario(sc.resolved(), base_dir=DEFAULT_SCENARIO.parent)
    assert again == sc and again.digest() == sc.digest()
    assert sc.with_changes(**{field: 99}).digest() != sc.digest()
