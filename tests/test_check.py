"""stormcrew check: expectations judged by their rule, JUnit output, baselines, the pytest fixture."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

import sim
from sim.cli import main
from sim.experiments.check import check, judge
from tests.conftest import DEFAULT_SCENARIO

BASE = sim.scenario_dict(DEFAULT_SCENARIO, relative_to=None)  # written to other folders: absolute paths
BASE["horizon"] = "30 d"
del BASE["expect"]
# calm weather: these tests are about the check's mechanics, and storm-to-storm noise would hide a lost crew
del BASE["arrivals"]["storms"], BASE["arrivals"]["heat_waves"]


def scenario(tmp_path: Path, checks: list, name: str = "policy", **changes: object) -> Path:
    sc = copy.deepcopy(BASE)
    sc.update(name=name, expect={"replications": 8, "checks": checks}, **changes)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(sc, sort_keys=False))
    return path


def test_passing_and_failing_expectations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario(tmp_path, ["urban.arrive >= 0.5", "all.time_to_site_p90 <= 1000 (mean)"], name="easy")
    scenario(tmp_path, ["urban.arrive >= 0.999"], name="hard")
    junit = tmp_path / "junit.xml"
    code = main(["check", str(tmp_path), "--junit", str(junit), "--baselines", str(tmp_path / "b"), "-j", "1"])
    out = capsys.readouterr().out
    assert code == 1
    assert "urban.arrive" in out and "FAIL" in out and "check: 2 passed, 1 failed" in out
    suites = {s.get("name"): s for s in ET.parse(junit).getroot()}
    assert suites["easy"].get("tests") == "2" and suites["easy"].get("failures") == "0"
    assert suites["hard"].get("failures") == "1"
    failure = suites["hard"].find("testcase/failure")
    assert failure is not None and "urban.arrive >= 0.999" in failure.get("message", "")


def test_all_pass_exits_0(tmp_path: Path) -> None:
    path = scenario(tmp_path, ["rural.arrive >= 0.5", "units.all.utilisation <= 0.9"])
    assert main(["check", str(path), "--junit", str(tmp_path / "j.xml"), "--baselines", str(tmp_path / "b"),
                 "-j", "1"]) == 0


def test_ci_rule_is_stricter_than_mean_rule(tmp_path: Path) -> None:
    sc = sim.load_scenario({**BASE, "expect": ["urban.arrive >= 0.5"]}).with_changes(replications=8)
    res = sim.run(sc)
    fig = res.figure("urban", "arrive")
    between = (fig["mean"] + fig["ci_low"]) / 2  # above the lower bound, below the mean
    assert fig["ci_low"] < between < fig["mean"]
    for rule, expected in [("mean", True), ("ci", False)]:
        sc2 = sc.with_changes(expect={"checks": [{"figure": "urban.arrive", "op": ">=", "value": between,
                                                  "rule": rule}]})
        (outcome,) = judge(sc2, res)
        assert outcome.passed is expected, (rule, outcome.describe())
    # for an upper limit the ci rule uses the upper bound
    sc3 = sc.with_changes(expect=[f"urban.arrive <= {(fig['mean'] + fig['ci_high']) / 2}"])
    assert judge(sc3, res)[0].passed is False


def test_invalid_scenarios_exit_2_before_running(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = scenario(tmp_path, ["urban.arrive >= 0.5"], name="good")
    bad = scenario(tmp_path, ["urban.arive >= 0.5"], name="bad")
    code = main(["check", str(good), str(bad), "--junit", str(tmp_path / "j.xml")])
    err = capsys.readouterr().err
    assert code == 2
    assert "bad.yaml" in err and "expect.checks[0]" in err and "unknown figure 'urban.arive'" in err
    assert "(line " in err and not (tmp_path / "j.xml").exists()


def test_scenarios_without_expect_are_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario(tmp_path, ["urban.arrive >= 0.5"])
    plain = copy.deepcopy(BASE)
    (tmp_path / "plain.yaml").write_text(yaml.safe_dump(plain))
    assert main(["check", str(tmp_path), "--junit", str(tmp_path / "j.xml"), "--baselines", str(tmp_path / "b"),
                 "-j", "1"]) == 0
    assert "skipped (no expect: section)" in capsys.readouterr().out


def test_baseline_catches_what_moved(tmp_path: Path) -> None:
    path = scenario(tmp_path, ["urban.arrive >= 0.1"])
    baselines = tmp_path / "baselines"
    written = check([path], workers=1, baselines=baselines, update_baseline=True)
    assert written.written == [baselines / "policy.json"]
    stored = json.loads((baselines / "policy.json").read_text())
    assert stored["figures"]["urban.arrive"]["n"] == 8

    same = check([path], workers=1, baselines=baselines)
    assert same.passed and not same.moves and same.compared["policy"] == len(stored["figures"])

    # the same expectations still pass without the city's overhead crews (the rural depot's cover the city, later),
    # but the baseline sees compliance drop
    fewer = yaml.safe_load(path.read_text())
    overhead = next(g for g in fewer["depots"]["city"]["units"] if g["name"] == "overhead")
    gone = overhead["count"] + max((s["count"] for s in overhead.get("roster", [])), default=0)
    lost = overhead["count"] + sum(s["count"] for s in overhead.get("roster", []))
    overhead.update(count=0, roster=[])
    path.write_text(yaml.safe_dump(fewer, sort_keys=False))
    moved = check([path], workers=1, baselines=baselines)
    assert gone > 0 and all(o.passed for o in moved.outcomes)
    assert not moved.passed
    by_name = {m.figure: m for m in moved.moves}
    assert by_name["all.arrive"].now < by_name["all.arrive"].baseline  # compliance dropped, and it was seen
    assert by_name["units.all.units"].now == by_name["units.all.units"].baseline - lost
    assert "urban.faults" not in by_name  # the faults themselves did not change (common random numbers)
    assert "all.arrive moved" in moved.table()


def test_baseline_does_not_flag_a_new_seed(tmp_path: Path) -> None:
    """Only the random numbers change: no figure may move (Bonferroni-corrected Welch intervals)."""
    path = scenario(tmp_path, ["urban.arrive >= 0.5"], seed=1)
    baselines = tmp_path / "baselines"
    check([path], workers=1, baselines=baselines, update_baseline=True)
    path.write_text(path.read_text().replace("seed: 1\n", "seed: 2\n"))
    report = check([path], workers=1, baselines=baselines)
    assert report.compared["policy"] > 50
    assert report.moves == [], report.table()


def test_pytest_fixture(stormcrew: object, tmp_path: Path) -> None:
    ok = scenario(tmp_path, ["urban.arrive >= 0.5"], name="ok")
    stormcrew.check(ok).assert_passed()  # type: ignore[attr-defined]
    bad = scenario(tmp_path, ["urban.arrive >= 0.9999"], name="bad")
    with pytest.raises(AssertionError, match=r"urban\.arrive .*FAIL"):
        stormcrew.check(bad).assert_passed()  # type: ignore[attr-defined]
    res = stormcrew.run(ok, replications=2)  # type: ignore[attr-defined]
    assert res.replications == 2


def test_shipped_scenarios_keep_their_promises(stormcrew: object) -> None:
    report = stormcrew.check(DEFAULT_SCENARIO.parent, baselines=DEFAULT_SCENARIO.parents[1] / "results" / "baselines")
    report.assert_passed()  # type: ignore[attr-defined]
    assert report.outcomes and report.compared  # type: ignore[attr-defined]
