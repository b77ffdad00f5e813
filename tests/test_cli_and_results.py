"""The results folder a planner gets from `stormcrew run`, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim
from sim.cli import main
from tests.conftest import DEFAULT_SCENARIO

FILES = {"faults.parquet", "units.parquet", "replications.parquet", "storms.parquet", "summary.json",
         "scenario.resolved.yaml", "timeseries.parquet", "restoration.parquet", "days.parquet", "dispatches.parquet",
         "unit_summary.parquet", "plans.parquet", "report.html",
         "roads.parquet",  # roads: the default season drives on roads
         ".stormcrew"}  # the marker that makes the folder stormcrew's to replace


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "season"
    assert main(["run", str(DEFAULT_SCENARIO), "-n", "3", "--seed", "5", "--out", str(out), "-j", "1"]) == 0
    return out


def test_run_writes_every_file(run_dir: Path) -> None:
    assert {p.name for p in run_dir.iterdir()} == FILES
    assert not [p for p in run_dir.parent.iterdir() if p.name.startswith(".")]  # no temporary folders left


def test_faults_parquet_has_a_row_per_fault_per_replication(run_dir: Path) -> None:
    f = pd.read_parquet(run_dir / "faults.parquet")
    assert sorted(f["replication"].unique()) == [0, 1, 2]
    assert f.groupby("replication")["fault"].apply(lambda s: (s.to_numpy() == range(len(s))).all()).all()
    for col in ["zone", "fault_type", "customers", "reported", "dispatched", "on_site", "repair_start",
                "restored", "unit", "time_to_site", "time_to_restore", "special_cause", "storm", "origin",
                "reported_at"]:
        assert col in f.columns
    assert f["restored"].notna().all()


def test_units_parquet_says_who_served_which_fault_and_how_far(run_dir: Path) -> None:
    u = pd.read_parquet(run_dir / "units.parquet")
    f = pd.read_parquet(run_dir / "faults.parquet")
    travel = u[u["activity"] == "travel"]
    assert len(travel) == f["units_sent"].sum()  # one trip for every unit sent to a fault
    merged = travel.merge(f, left_on=["replication", "job"], right_on=["replication", "fault"])
    named = merged[merged["unit_x"] == merged["unit_y"]]  # the fault names one of the units sent to it
    assert len(named.drop_duplicates(["replication", "job"])) == len(f)
    assert (merged["to_x_km"] == merged["x_km"]).all()
    assert (travel["distance_km"] >= 0).all()
    assert set(u["activity"].astype(str)) <= {"travel", "work", "return", "wait", "callout", "turnout"}


def test_summary_json_has_zone_figures_with_intervals(run_dir: Path) -> None:
    s = json.loads((run_dir / "summary.json").read_text())
    assert s["meta"]["seed"] == 5 and s["meta"]["replications"] == 3
    for zone in ["urban", "rural", "mountain", "all"]:
        for metric in ["arrive", "arrive_customers", "restore", "restore_customers", "time_to_site_mean",
                       "time_to_site_p90", "time_to_restore_p95"]:
            fig = s["zones"][zone][metric]
            assert fig["ci_low"] <= fig["mean"] <= fig["ci_high"]
            assert fig["replications"] == 3
    assert 0 < s["units"]["all"]["utilisation"]["mean"] < 1
    assert s["units"]["city/cable"]["units"]["mean"] == 4  # one round the clock, one by day, two on call


def test_resolved_scenario_is_echoed_and_reloads_to_the_same_hash(run_dir: Path) -> None:
    r = yaml.safe_load((run_dir / "scenario.resolved.yaml").read_text())
    assert r["seed"] == 5 and r["stormcrew_version"] == sim.__version__
    assert sim.load_scenario(r["resolved"], base_dir=r["scenario_folder"]).digest() == r["scenario_sha256"]


def test_default_out_is_results_scenario_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(DEFAULT_SCENARIO), "-n", "2"]) == 0
    assert (tmp_path / "results" / "storm_season" / "summary.json").exists()
    out = capsys.readouterr().out
    assert "urban" in out and "on site %" in out and "results/storm_season" in out


def test_a_failed_write_leaves_no_half_written_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    res = sim.run(DEFAULT_SCENARIO, replications=1)
    out = res.save(tmp_path / "run")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(OSError):
        sim.run(DEFAULT_SCENARIO, replications=2, seed=99).save(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the earlier run is intact
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # and no temporary folder is left


def test_save_replaces_an_earlier_run(tmp_path: Path) -> None:
    sim.run(DEFAULT_SCENARIO, replications=1, seed=1).save(tmp_path / "run")
    sim.run(DEFAULT_SCENARIO, replications=2, seed=1).save(tmp_path / "run")
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["meta"]["replications"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_python_api_result(tmp_path: Path) -> None:
    res = sim.run(sim.load_scenario(DEFAULT_SCENARIO), replications=2, seed=3)
    assert isinstance(res.faults, pd.DataFrame) and isinstance(res.summary, pd.DataFrame)
    assert set(res.summary.columns) == {"scope", "group", "metric", "mean", "ci_low", "ci_high", "replications",
                                        "reliable"}
    assert not res.summary["reliable"].any()  # 2 replications are too few to trust an interval
    assert 0 <= res.figure("urban", "arrive")["mean"] <= 1
    with pytest.raises(KeyError):
        res.figure("urban", "no_such_metric")
    assert "urban" in res.table()
