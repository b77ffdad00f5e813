"""Experiments at scale: variants compared on common random numbers, resumable sweeps, the staffing search and
runs on a Dask cluster giving the same numbers as local processes."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.errors import InputError
from sim.experiments.staff import search, staffing_cost
from sim.experiments.sweep import grid_points, parse_assignment, sweep
from sim.experiments.variants import compare
from sim.scenario.derived import set_path, variant
from tests.conftest import DEFAULT_SCENARIO, mmc_scenario


def _short_season(**variants: dict) -> sim.Scenario:
    data = sim.scenario_dict(DEFAULT_SCENARIO)
    data["horizon"] = "20 d"
    data.pop("expect")
    data["variants"] = variants
    return sim.load_scenario(data)


def test_a_variant_that_changes_nothing_differs_by_exactly_zero() -> None:
    """Common random numbers: the same staffing on the same seed gives the same season, replication by
    replication, so every paired difference is 0 and none is significant."""
    sc = _short_season(same={"description": "renamed only"})
    c = compare(sc, replications=4)
    assert len(c.table) > 0
    assert (c.table["difference"] == 0).all() and not c.table["significant"].any()


def test_vans_make_a_significant_difference_on_common_random_numbers() -> None:
    """On the default season thinned to its round-the-clock crews (no day shift, no on-call reserve), three vans
    get power back in time for significantly more faults, and the paired interval is far narrower than the runs'
    own intervals."""
    data = sim.scenario_dict(DEFAULT_SCENARIO)
    data["horizon"] = "20 d"
    data.pop("expect")
    for depot in data["depots"].values():
        for group in depot["units"]:
            group["roster"] = []
    units = data["depots"]["eastfield"]["units"]
    data["variants"] = {"vans": {"depots": {"eastfield": {"units": [*units, {"name": "van", "kind": "van",
                                                                               "count": 3}]}}}}
    c = compare(sim.load_scenario(data), figures=["all.restore"], replications=8)
    row = c.table.iloc[0]
    assert row["significant"] and row["ci_low"] > 0
    # the paired interval is far narrower than the two runs' own intervals: that is what CRN buys
    base = c.base.figure("all", "restore")
    assert row["ci_high"] - row["ci_low"] < (base["ci_high"] - base["ci_low"]) / 2


def test_until_significant_adds_replications_up_to_the_cap() -> None:
    c = compare(_short_season(same={"description": "no change"}), figures=["all.arrive"], replications=2,
                until_significant=True, max_replications=8)
    assert int(c.table["replications"].iloc[0]) == 8  # 2 -> 4 -> 8, and a zero difference never gets significant


def test_a_bad_variant_is_reported_at_its_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(f"extends: {DEFAULT_SCENARIO}\nvariants:\n  tree_trimming:\n    arrivals:\n"
                 "      prevention: {tree_contact: -1}\n")
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert "variants.tree_trimming.arrivals.prevention" in err and "line 5" in err and "non-negative" in err


def test_variant_names_and_set_path() -> None:
    sc = sim.load_scenario(DEFAULT_SCENARIO)
    v = variant(sc, "tree_trimming")
    assert v.name == "storm_season.tree_trimming" and v.arrivals.prevention == {"tree_contact": 0.7}
    with pytest.raises(InputError):
        variant(sc, "nonexistent")
    with pytest.raises(InputError, match="no item named 'nobody'"):
        set_path(sc.resolved(), "depots.city.units[nobody].count", 1)


# ---------------------------------------------------------------- sweeps


def test_grid_parsing_and_points() -> None:
    assert parse_assignment("a.b=1..7..3") == ("a.b", [1, 4, 7])
    assert parse_assignment("a=0.5..1..0.25") == ("a", [0.5, 0.75, 1.0])
    assert parse_assignment("a=x,y") == ("a", ["x", "y"])
    pts = grid_points([("a", [1, 2]), ("b", [3, 4, 5])])
    assert pts[0] == {"a": 1, "b": 3} and len(pts) == 6
    assert len(grid_points([("a", [1, 2]), ("b", [3, 4, 5])], sample=4, seed=1)) == 4
    with pytest.raises(InputError):
        parse_assignment("a=3..1")


GRID = [("depots.city.units[overhead].count", [1, 3]), ("arrivals.prevention.tree_contact", [0.7, 1.0])]


def test_an_interrupted_sweep_resumes_without_redoing_work(tmp_path: Path) -> None:
    sc = _short_season().with_changes(horizon=5 * 1440.0)
    first = sweep(sc, GRID, tmp_path / "s", replications=3, limit=5)
    assert first.ran == 5 and first.skipped == 0
    stamp = {p: p.stat().st_mtime_ns for p in (tmp_path / "s" / "figures").rglob("*.parquet")}
    second = sweep(sc, GRID, tmp_path / "s", replications=3)
    assert second.skipped == 5 and second.ran == 4 * 3 - 5
    assert all(p.stat().st_mtime_ns == t for p, t in stamp.items())  # finished work untouched
    whole = sweep(sc, GRID, tmp_path / "fresh", replications=3)
    cols = ["point", "replication", "scope", "group", "metric", "value"]
    pd.testing.assert_frame_equal(second.figures()[cols], whole.figures()[cols])
    assert set(whole.summary()["point"]) == {0, 1, 2, 3}
    points = whole.points  # each path's values in their own type, not as JSON text
    assert points["depots.city.units[overhead].count"].tolist() == [1, 1, 3, 3]
    assert points["arrivals.prevention.tree_contact"].dtype == float


def test_a_folder_holding_another_sweep_is_refused(tmp_path: Path) -> None:
    sc = _short_season().with_changes(horizon=2 * 1440.0)
    sweep(sc, GRID, tmp_path / "s", replications=1, limit=1)
    with pytest.raises(InputError, match="holds a different sweep"):
        sweep(sc, GRID[:1], tmp_path / "s", replications=1)


def test_a_bad_grid_value_stops_the_sweep_before_anything_runs(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sweep", str(DEFAULT_SCENARIO), "--grid", "depots.city.units[overhead].count=-1,2",
                 "--out", str(tmp_path / "s"), "-n", "1"])
    assert code == 2 and "grid point 0" in capsys.readouterr().err
    assert not (tmp_path / "s" / "figures").exists()


# ---------------------------------------------------------------- staffing search


def test_staff_search_finds_the_cheapest_count_meeting_the_target() -> None:
    """An M/M/c queue where each crew costs the same: the search must return the smallest crew count whose
    interval clears the target, and the count below it must fail when run the same way."""
    base = mmc_scenario(3 / 60, 30.0, 2, 5 * 1440.0)
    base["depots"]["d"]["units"][0]["cost_per_hour"] = 100
    base["zones"]["urban"]["limits"] = {"arrive": 10, "restore": 240}
    sc = sim.load_scenario(base)
    res = search(sc, ["urban.arrive>=0.9"], [("depots.d.units[crew].count", [2, 3, 4, 5, 6, 7])], replications=6)
    assert res.best is not None
    best = res.best["depots.d.units[crew].count"]
    tried = res.path.set_index("depots.d.units[crew].count")
    assert tried.loc[best, "status"] == "pass"
    assert (tried.loc[[c for c in tried.index if c < best], "status"] == "fail").all()
    assert (tried.loc[[c for c in tried.index if c > best], "status"] == "not reached").all()


def test_staff_search_tries_candidates_cheapest_first_in_two_dimensions() -> None:
    base = mmc_scenario(3 / 60, 30.0, 1, 3 * 1440.0)
    base["depots"]["d"]["units"][0]["cost_per_hour"] = 100
    base["depots"]["d"]["units"].append({"name": "spare", "skills": ["line"], "count": 0, "cost_per_hour": 150})
    base["zones"]["urban"]["limits"] = {"arrive": 10, "restore": 240}
    res = search(sim.load_scenario(base), ["urban.arrive>=0.95"],
                 [("depots.d.units[crew].count", [1, 2, 3]), ("depots.d.units[spare].count", [0, 1, 2])],
                 replications=4)
    tried = res.path[res.path["status"] != "not reached"]
    costs = tried["cost"].to_numpy()
    assert (costs[1:] >= costs[:-1]).all()  # tried cheapest first
    assert list(tried["status"])[-1] == "pass" and set(list(tried["status"])[:-1]) <= {"fail"}
    assert res.best is not None and res.best["cost"] == costs[-1]


def test_staffing_cost_counts_shift_hours() -> None:
    data = copy.deepcopy(mmc_scenario(0.01, 30.0, 0, 1440.0))
    data["depots"]["d"]["units"][0].update({"cost_per_hour": 10, "count": 1, "roster": [
        {"name": "day", "start": "08:00", "end": "16:00", "count": 2},
        {"name": "night", "start": "16:00", "end": "08:00", "count": 1, "on_call": True}]})
    assert staffing_cost(sim.load_scenario(data)) == pytest.approx(10 * (24 + 2 * 8 + 16 * 0.25))


# ---------------------------------------------------------------- Dask


def test_a_dask_cluster_gives_the_same_numbers_as_local_processes() -> None:
    distributed = pytest.importorskip("distributed")
    sc = _short_season().with_changes(horizon=4 * 1440.0, replications=3)
    local = sim.run(sc, workers=2, keep_records=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = sim.run(sc, dask=cluster.scheduler_address, keep_records=False)
    pd.testing.assert_frame_equal(local.per_replication, remote.per_replication)
