"""Validation against a historical log: the comparison code is checked against known answers (a simulation made
from the log itself, restore times doubled, disjoint samples, a storm day built by hand), then run on the sample
log and the default scenario, and through the command line."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.analysis.fit import STATISTICS
from sim.cli import main
from sim.errors import InputError
from sim.experiments.validation import GROUPS, Validation, validate_against
from sim.inputs.outagelog import OutageLog, read_log
from tests.conftest import DEFAULT_SCENARIO
from tests.test_outagelog import REAL_LOG


@pytest.fixture(scope="module")
def real_log() -> OutageLog:
    return read_log(REAL_LOG)


def _faults_from_log(log, factor: float = 1.0) -> pd.DataFrame:
    """A Result-like faults table made from the log: one fault per outage, reported when it went out (minutes
    since the midnight of the log's first day), restored after its logged duration times ``factor``."""
    t = log.frame["time_out"]
    reported = ((t - t.min().normalize()) / pd.Timedelta(minutes=1)).to_numpy(float)
    return pd.DataFrame({"replication": 0, "reported": reported,
                         "restored": reported + factor * 60.0 * log.frame["duration_h"].to_numpy(float)})


def test_simulation_made_from_the_log_matches_it_exactly(real_log) -> None:
    v = validate_against(real_log, _faults_from_log(real_log))
    for g in GROUPS:
        c = v.restore[g]
        assert c.ks == 0.0
        assert c.log_n == c.sim_n > 0
        assert c.log_median_h == c.sim_median_h and c.log_p90_h == c.sim_p90_h and c.log_mean_h == c.sim_mean_h
    assert v.log_daily == v.sim_daily
    assert v.log_storms == v.sim_storms
    # the log's own figures, as the domain notes and the fit give them
    assert v.restore["calm"].log_median_h == pytest.approx(1.633)
    assert v.restore["all"].log_n == len(real_log.frame) - 1  # the one outage of 0 h is left out
    assert v.log_days == 2191 and v.log_daily["mean"] == pytest.approx(len(real_log.frame) / 2191)
    assert v.log_storms["storm_days"] == 24
    assert all(r[3] == 0.0 for r in v.rows() if r[4] in ("ks", "diff") and not math.isnan(r[3]))


def test_known_differences_are_measured(real_log) -> None:
    doubled = validate_against(real_log, _faults_from_log(real_log, factor=2.0))
    for g in GROUPS:
        c = doubled.restore[g]
        assert c.sim_median_h == pytest.approx(2 * c.log_median_h)
        assert c.sim_p90_h == pytest.approx(2 * c.log_p90_h)
        assert 0.0 < c.ks < 1.0
    assert doubled.sim_daily == doubled.log_daily  # the same days: only restore times changed
    far = _faults_from_log(real_log)
    far["restored"] = far["reported"] + 1000 * 60.0  # every outage 1000 h: longer than any logged one
    assert validate_against(real_log, far).restore["all"].ks == 1.0


def test_storm_day_restoration_against_a_hand_built_day() -> None:
    """60 outages at 10:00 on one day lasting 1, 2, ... 60 h (a storm day) and two calm days of 2 outages."""
    rows = [f"2020-06-02 10:00,{h}" for h in range(1, 61)]
    rows += ["2020-06-01 08:00,1.5", "2020-06-01 09:00,2.5", "2020-06-03 08:00,0.5", "2020-06-03 09:00,3"]
    log = read_log(io.StringIO("time_out,duration_h\n" + "\n".join(rows) + "\n"),
                   {"longitude": None, "latitude": None}, source="hand.csv")
    faults = _faults_from_log(log)
    faults["restored"] = faults["reported"] + 60.0  # the simulation restores everything in an hour
    v = validate_against(log, faults)
    assert v.log_days == 3 and v.log_daily["median"] == 2.0 and v.log_daily["share_over_50"] == pytest.approx(1 / 3)
    assert v.log_storms["storm_days"] == 1
    assert v.log_storms["t50_h_median"] == 30.0 and v.log_storms["t90_h_median"] == 54.0
    assert v.sim_storms["t50_h_median"] == 1.0 and v.sim_storms["t90_h_median"] == 1.0
    assert v.restore["calm"].log_median_h == pytest.approx(2.0)  # 0.5, 1.5, 2.5, 3
    assert v.restore["storm"].log_n == 60 and v.restore["storm"].ks == pytest.approx(59 / 60)


@pytest.fixture(scope="module")
def default_run() -> sim.Result:
    return sim.run(DEFAULT_SCENARIO, replications=4, seed=20260601)


def test_sample_log_against_the_default_scenario(real_log, default_run) -> None:
    v = validate_against(real_log, default_run)
    assert isinstance(v, Validation) and v.replications == 4 and v.sim_days == 92
    for g in GROUPS:
        c = v.restore[g]
        assert c.log_n > 0 and c.sim_n > 0
        assert 0.0 <= c.ks <= 1.0 and math.isfinite(c.ks)
        assert all(math.isfinite(x) and x > 0 for x in (c.log_median_h, c.sim_median_h, c.log_p90_h, c.sim_p90_h))
    assert v.restore["all"].sim_n == int(default_run.faults["restored"].notna().sum())
    assert v.restore["all"].sim_median_h == pytest.approx(default_run.faults["time_to_restore"].median() / 60)
    assert all(math.isfinite(v.sim_daily[k]) for k in STATISTICS)
    assert v.sim_daily["mean"] == pytest.approx(len(default_run.faults) / (4 * 92))
    assert any("months" in n for n in v.notes)  # a whole-year log against a summer season is said
    text = v.text()
    assert "KS" in text and "storm days" in text
    page = v.html()
    assert '<meta name="generator" content="stormcrew">' in page and "plotly" in page
    summers = validate_against(real_log, default_run, months=[6, 7, 8])
    assert summers.log_days == 6 * 92 and not any("months" in n for n in summers.notes)
    assert summers.restore["all"].log_n == int(real_log.frame["time_out"].dt.month.isin([6, 7, 8]).sum())
    assert summers.sim_daily == v.sim_daily


def test_cli_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "val.html"
    code = main(["validate-against", str(REAL_LOG), str(DEFAULT_SCENARIO), "-n", "2", "-j", "1",
                 "--from", "2017-06-01", "--to", "2017-08-31", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "restore h, storm days" in printed and f"report: {out}" in printed
    assert '<meta name="generator" content="stormcrew">' in out.read_text(encoding="utf-8")[:4096]
    assert "months" not in printed  # one summer of the log against a summer season


@pytest.mark.parametrize("case", ["missing", "column", "zero", "foreign", "months"])
def test_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    log, extra = REAL_LOG, []
    out = tmp_path / "val.html"
    if case == "missing":
        log = tmp_path / "no-such-log.csv"
    elif case == "column":
        extra = ["--column", "duration=hours"]
    elif case == "months":
        extra = ["--months", "6-13"]
    elif case == "zero":
        log = tmp_path / "zero.csv"
        log.write_text("time_out,duration_h,longitude,latitude\n2017-10-30 02:00,0,-72.6,42.3\n")
    else:
        out.write_text("a planner's notes")
    try:
        code = main(["validate-against", str(log), str(DEFAULT_SCENARIO), "-n", "1", "--out", str(out), *extra])
    except SystemExit as exc:  # argparse refuses bad option values itself, with exit code 2
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert {"missing": "no-such-log.csv", "column": "--column", "zero": "zero.csv", "foreign": "val.html",
            "months": "--months"}[case] in err
    assert "Traceback" not in err
    if case == "foreign":
        assert out.read_text() == "a planner's notes"
    else:
        assert not out.exists()


def test_api_refuses_a_log_without_durations() -> None:
    with pytest.raises(InputError, match="no-durations.csv"):
        validate_against(read_log(io.StringIO("time_out,duration_h\n2020-06-01 10:00,0\n"),
                                  {"longitude": None, "latitude": None}, source="no-durations.csv"),
                         pd.DataFrame({"reported": [1.0], "restored": [2.0]}))
