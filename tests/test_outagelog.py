"""Reading historical outage logs: the real sample log, column maps, bad rows reported and dropped, logs that cannot
be used at all (exit 2, no traceback), and replay of a logged storm as the scenario's faults."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.engine.faults import LOG, generate, replay_report
from sim.errors import ScenarioError
from sim.inputs.coordinates import project
from sim.inputs.outagelog import read_log
from tests.conftest import ROOT

REAL_LOG = ROOT / "scenarios" / "data" / "western-ma-outages-2013-2018.csv"
REPLAY = ROOT / "scenarios" / "replay_october_2017.yaml"


def test_the_real_sample_log_is_read_whole() -> None:
    log = read_log(REAL_LOG)
    assert len(log.frame) == 8731 and log.report.rows_dropped == 0
    assert log.frame["time_out"].min() == pd.Timestamp("2013-01-01 13:20:00")
    assert log.frame["time_out"].is_monotonic_increasing
    assert any("= 0" in n for n in log.report.notes)  # the one zero duration is kept and said


GOOD = "when,hours,lon,lat,why\n2017-10-30 02:00,3.5,-72.6,42.3,tree\n2017-10-30 03:00,1.0,-72.5,42.4,wind\n"


def test_columns_are_mapped_by_name(tmp_path: Path) -> None:
    p = tmp_path / "log.csv"
    p.write_text(GOOD)
    log = read_log(p, {"time_out": "when", "duration_h": "hours", "longitude": "lon", "latitude": "lat",
                       "cause": "why"})
    assert log.frame["cause"].tolist() == ["tree", "wind"]
    assert log.frame["duration_h"].tolist() == [3.5, 1.0]


def test_bad_rows_are_counted_listed_and_dropped(tmp_path: Path) -> None:
    p = tmp_path / "log.csv"
    p.write_text("time_out,duration_h,longitude,latitude\n"
                 "2017-10-30 02:00,3.5,-72.6,42.3\n"      # line 2: good
                 "30/30/2017,1.0,-72.6,42.3\n"            # line 3: bad date
                 "2017-10-30 04:00,-2,-72.6,42.3\n"       # line 4: negative duration
                 "2017-10-30 05:00,abc,-72.6,42.3\n"      # line 5: duration not a number
                 "2017-10-30 06:00,1.0,-272.6,42.3\n"     # line 6: longitude out of range
                 "2017-10-30 07:00,1.0,-72.6,42.3\n")     # line 7: good
    log = read_log(p)
    assert log.frame["line"].tolist() == [2, 7]
    assert log.report.dropped == {"time_out is not a date": [3], "duration_h is negative": [4],
                                  "duration_h is not a number": [5], "longitude is outside [-180, 180]": [6]}
    text = str(log.report)
    assert "6 rows read, 4 dropped" in text and "(line 3)" in text


CORRUPT = [
    ("empty", "", "the file is empty"),
    ("header only", "time_out,duration_h,longitude,latitude\n", "no rows"),
    ("missing column", "time_out,longitude,latitude\n2017-10-30 02:00,-72.6,42.3\n", "missing column 'duration_h'"),
    ("no valid row", "time_out,duration_h,longitude,latitude\nnever,1,-72.6,42.3\nlater,-1,-72.6,42.3\n",
     "no usable row"),
]


@pytest.mark.parametrize("case", CORRUPT, ids=[c[0] for c in CORRUPT])
def test_a_corrupt_log_is_exit_2_with_a_clear_message(case: tuple[str, str, str], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    _, text, expected = case
    p = tmp_path / "log.csv"
    p.write_text(text)
    assert main(["fit", str(p), "--out", str(tmp_path / "frag.yaml")]) == 2
    err = capsys.readouterr().err
    assert str(p) in err and expected in err and "Traceback" not in err
    assert not (tmp_path / "frag.yaml").exists()


def test_a_missing_log_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit", str(tmp_path / "nowhere.csv")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_fit_column_argument_is_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "log.csv"
    p.write_text(GOOD)
    assert main(["fit", str(p), "--column", "when=time_out"]) == 2
    assert "expected FIELD=NAME" in capsys.readouterr().err


# ---------------------------------------------------------------- replay


def test_replay_takes_every_logged_outage_of_the_window_as_a_fault() -> None:
    sc = sim.load_scenario(REPLAY)
    log = read_log(REAL_LOG).frame
    window = log[(log["time_out"] >= "2017-10-29") & (log["time_out"] < "2017-11-04")]
    f = generate(sc, sc.seed, 0)
    assert len(f) == len(window) == 347
    assert (f.origin == LOG).all()
    minutes = (window["time_out"] - pd.Timestamp("2017-10-29")).dt.total_seconds().to_numpy() / 60
    assert np.allclose(np.sort(f.reported), np.sort(minutes))
    x, y = project(window["longitude"].to_numpy(), window["latitude"].to_numpy(), (-72.6, 42.3))
    assert np.allclose(np.sort(f.x), np.sort(x)) and np.allclose(np.sort(f.y), np.sort(y))
    # another replication replays the same outages with other fault types and repair draws
    g = generate(sc, sc.seed, 1)
    assert np.array_equal(f.reported, g.reported) and not np.array_equal(f.repair, g.repair)


def test_replay_reports_rows_outside_every_zone(tmp_path: Path) -> None:
    text = REPLAY.read_text().replace("start: 2017-10-29", "start: 2013-01-01").replace("horizon: 6 d",
                                                                                        "horizon: 2191 d")
    text = text.replace("log: data/", f"log: {REAL_LOG.parent}/")
    p = tmp_path / "whole.yaml"
    p.write_text(text)
    report = replay_report(sim.load_scenario(p))
    outside = sorted(report.dropped["a location outside every zone"])
    raw = pd.read_csv(REAL_LOG)
    misplaced = raw.index[raw["longitude"] > -71.5] + 2  # LEVERETT rows geocoded to Boston: a real flaw
    assert outside == misplaced.tolist() and len(outside) == 128
    assert (raw.loc[misplaced - 2, "town"] == "LEVERETT").all()


def test_replay_with_log_repair_times_uses_the_logged_durations(tmp_path: Path) -> None:
    p = tmp_path / "r.yaml"
    p.write_text(REPLAY.read_text().replace("repair: model", "repair: log\n    repair_share: 0.5")
                 .replace("log: data/", f"log: {REAL_LOG.parent}/"))
    sc = sim.load_scenario(p)
    f = generate(sc, 1, 0)
    log = read_log(REAL_LOG).frame
    window = log[(log["time_out"] >= "2017-10-29") & (log["time_out"] < "2017-11-04")]
    assert np.allclose(np.sort(f.repair), np.sort(window["duration_h"].to_numpy() * 30.0))


def test_a_replay_of_a_missing_log_names_the_scenario_line(tmp_path: Path) -> None:
    p = tmp_path / "r.yaml"
    p.write_text(REPLAY.read_text().replace("log: data/western", "log: data/eastern"))
    with pytest.raises(ScenarioError) as exc:
        sim.load_scenario(p)
    text = str(exc.value)
    line = next(i for i, s in enumerate(p.read_text().splitlines(), 1) if "log: data/eastern" in s)
    assert "arrivals.replay.log: file not found" in text and f"(line {line})" in text


def test_replay_runs_end_to_end() -> None:
    res = sim.run(REPLAY, replications=2)
    assert len(res.faults) == 2 * 347 and res.faults["restored"].notna().all()
