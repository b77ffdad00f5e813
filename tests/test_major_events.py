"""Major event days against one T_MED per run (IEEE 1366, 2.5 beta method): a T_MED computed by hand from a stated
daily history, one T_MED pooled over all replications (the same for any number of workers and any order), the
baseline's T_MED for every variant of a comparison and every point of a sweep, and bad history files refused with
exit code 2 naming the file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.analysis.major_events import Threshold, judge, med_figures, pooled, stated, threshold_of
from sim.analysis.metrics import interruptions
from sim.analysis.reliability import indices, med_threshold
from sim.cli import main
from sim.experiments.runner import run_replication
from sim.experiments.sweep import sweep
from sim.experiments.variants import compare
from tests.conftest import replay_scenario
from tests.test_bad_input import GOOD


def small(crews: int = 4, **extra: object) -> dict:
    """Two zones with customers, 30 days with about three storms: a few major event days a season, 0.5 s a run."""
    d = yaml.safe_load(GOOD)
    d.update(name="small", horizon="30 d", replications=4)
    d["zones"]["urban"]["customers"] = 5000
    d["zones"]["rural"]["customers"] = 2000
    d["arrivals"]["storms"] = {"per_week": 0.7, "duration": 240, "intensity": 6, "mix": {"cable_fault": 1}}
    d["depots"]["central"]["units"][0]["count"] = crews
    d.update(extra)
    return d


def ieee(res: sim.Result, group: str = "all") -> pd.DataFrame:
    p = res.per_replication
    return p[(p["scope"] == "ieee") & (p["group"] == group)].pivot(index="replication", columns="metric",
                                                                   values="value")


# ---------------------------------------------------------------- a stated history, by hand

# Ten days of a utility's history (SAIDI minutes); the two zero days are left out of the logs.
HISTORY = [("2025-07-01", 4.0), ("2025-07-02", 0.0), ("2025-07-03", 9.5), ("2025-07-04", 6.0), ("2025-07-05", 2.5),
           ("2025-07-06", 14.0), ("2025-07-07", 5.5), ("2025-07-08", 3.0), ("2025-07-09", 7.5), ("2025-07-10", 0.0)]


def t_med_by_hand() -> float:
    logs = np.log([v for _, v in HISTORY if v > 0])     # 8 non-zero days
    alpha, beta = logs.mean(), logs.std(ddof=1)          # 1.72537, 0.58095
    return math.exp(alpha + 2.5 * beta)                  # exp(1.72537 + 1.45236) = 23.992


def write_history(path: Path, rows: list[tuple[str, float]] = HISTORY) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("date,saidi_min\n" + "".join(f"{d},{v}\n" for d, v in rows))
    return path


# One crew at (0, 0), 1 km a minute, repairs of 100 min: a fault at (3, 4) is back 105 min after its report. One a
# day, cutting off 228, 229 and 50 of 1,000 customers: daily SAIDI 23.94, 24.045 and 5.25 minutes, just below,
# just above and well below the history's T_MED of 23.992.
DESIGNED_LOG = ("time_out,x_km,y_km,customers\n2026-06-01 01:00,3,4,228\n2026-06-02 01:00,3,4,229\n"
                "2026-06-03 01:00,3,4,50\n")


def designed(folder: Path, t_med: object) -> Path:
    (folder / "log.csv").write_text(DESIGNED_LOG)
    scenario = replay_scenario("3 d", reliability={"t_med": t_med})
    path = folder / "designed.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


def test_t_med_from_a_stated_daily_history_by_hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t = t_med_by_hand()
    assert 23.99 < t < 24.0
    write_history(tmp_path / "scenario" / "history" / "daily.csv")
    path = designed(tmp_path / "scenario", {"days": "history/daily.csv"})
    monkeypatch.chdir(tmp_path)  # the history's path is relative to the scenario file, not to here
    sc = sim.load_scenario(Path("scenario") / "designed.yaml")
    threshold = stated(sc)
    assert threshold is not None and threshold.value == pytest.approx(t, rel=1e-12)
    assert "history/daily.csv" in threshold.source and "10 days" in threshold.source and "8 with SAIDI > 0" in \
        threshold.source
    res = sim.run(path)
    days = res.days[res.days["replication"] == 0]
    assert days["SAIDI"].tolist() == pytest.approx([228 * 0.105, 229 * 0.105, 50 * 0.105])
    assert days["major_event_day"].tolist() == [False, True, False]  # 23.94 < T_MED < 24.045
    fig = ieee(res).loc[0]
    assert fig["major_event_days"] == 1 and fig["T_MED"] == pytest.approx(t, rel=1e-12)
    assert fig["SAIDI_excl_med"] == pytest.approx((228 + 50) * 105 / 1000)
    assert fig["SAIFI_excl_med"] == pytest.approx((228 + 50) / 1000)
    assert fig["SAIDI"] == pytest.approx((228 + 229 + 50) * 105 / 1000)
    assert res.t_med is not None and res.t_med.value == threshold.value


def test_a_day_exactly_at_t_med_is_not_a_major_event_day(tmp_path: Path) -> None:
    """IEEE 1366: a major event day's SAIDI exceeds T_MED; a stated number is used as it is."""
    at = sim.run(designed(tmp_path, 24.045)).days
    below = sim.run(designed(tmp_path, 24.0449)).days
    assert at["major_event_day"].sum() == 0 and below["major_event_day"].sum() == 2  # one a replication
    t = t_med_by_hand()
    flags = med_figures(np.zeros((1, 1, 2)), np.zeros((1, 1, 2)), np.array([[t * (1 - 1e-12), t * (1 + 1e-12)]]),
                        np.array([1000.0]), t)["major_event_days"]
    assert flags[0, 0] == 1


def test_the_former_name_med_threshold_still_reads() -> None:
    sc = sim.load_scenario(small(reliability={"med_threshold": 55}))
    assert sc.reliability.t_med is not None and sc.reliability.t_med.value == 55
    assert stated(sc) == Threshold(55.0, "stated in the scenario (reliability.t_med)")


# ---------------------------------------------------------------- one T_MED for the whole run


def test_one_t_med_pooled_over_all_replications_the_same_for_any_number_of_workers() -> None:
    sc = sim.load_scenario(small())
    one = sim.run(sc, workers=1)
    two = sim.run(sc, workers=2, keep_records=False)
    pd.testing.assert_frame_equal(one.per_replication, two.per_replication)
    pd.testing.assert_frame_equal(one.days, two.days)
    # by hand: the 2.5 beta threshold of the 4 x 30 daily SAIDI values together
    saidi = one.days["SAIDI"].to_numpy()
    logs = np.log(saidi[saidi > 0])
    t = math.exp(logs.mean() + 2.5 * logs.std(ddof=1))
    assert one.t_med is not None and one.t_med.value == pytest.approx(t, rel=1e-12) and "4 replications" in \
        one.t_med.source
    fig = ieee(one)
    assert (fig["T_MED"] == one.t_med.value).all()
    above = (one.days["SAIDI"] > one.t_med.value).groupby(one.days["replication"]).sum()
    assert fig["major_event_days"].tolist() == above.tolist() and above.sum() > 0
    assert (one.days["major_event_day"] == (one.days["SAIDI"] > one.t_med.value)).all()
    # a replication's own threshold would have been another one
    own = [med_threshold(g["SAIDI"].to_numpy()) for _, g in one.days.groupby("replication")]
    assert not np.allclose(own, one.t_med.value)
    # the indices without major event days are those of the interruptions that began on the other days
    for r in range(sc.replications):
        log = interruptions(sc, one.faults[one.faults["replication"] == r])
        flags = one.days.loc[one.days["replication"] == r, "major_event_day"].to_numpy()
        normal = log.select(~flags[np.minimum((log.start // 1440).astype(int), 29)])
        for zone, served in (("all", {0: 5000, 1: 2000}), ("urban", {0: 5000}), ("rural", {1: 2000})):
            got = ieee(one, zone).loc[r]
            want = indices(normal, served, hours=24.0 * 30)
            for m in ("SAIFI", "SAIDI", "CAIDI"):
                assert got[f"{m}_excl_med"] == pytest.approx(want[m], rel=1e-12)


def test_the_second_pass_does_not_depend_on_the_order_replications_arrive_in() -> None:
    sc = sim.load_scenario(small())
    outs = {r: run_replication(sc, sc.seed, r, keep_records=False) for r in range(4)}

    def gather(order: list[int]) -> tuple[pd.DataFrame, pd.DataFrame, Threshold]:
        tables = {k: pd.concat([outs[r][k] for r in order], ignore_index=True)
                  for k in ("figures", "days", "zone_days")}
        t = threshold_of(sc, tables["days"])
        per_rep, days = judge(sc, tables["figures"], tables["days"], tables["zone_days"], t)
        key = ["replication", "scope", "group", "metric"]
        return per_rep.sort_values(key).reset_index(drop=True), days, t

    a, days_a, t_a = gather([0, 1, 2, 3])
    b, days_b, t_b = gather([3, 1, 0, 2])
    assert t_a == t_b
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(days_a, days_b)
    pd.testing.assert_frame_equal(a, sim.run(sc).per_replication.sort_values(
        ["replication", "scope", "group", "metric"]).reset_index(drop=True))


def test_a_stated_t_med_gives_the_workers_figures_unchanged() -> None:
    """With a stated T_MED the second pass finds what each worker found, to the last bit."""
    sc = sim.load_scenario(small(reliability={"t_med": 70}))
    res = sim.run(sc, replications=2)
    assert res.t_med == Threshold(70.0, "stated in the scenario (reliability.t_med)")
    for r in range(2):
        alone = run_replication(sc, sc.seed, r)["figures"]
        pd.testing.assert_frame_equal(alone, res.per_replication[res.per_replication["replication"] == r]
                                      .reset_index(drop=True))
    assert (ieee(res)["T_MED"] == 70).all()


def test_the_results_folder_records_where_t_med_came_from(tmp_path: Path) -> None:
    res = sim.run(small(), replications=3, keep_records=False)
    folder = res.save(tmp_path / "run")
    echo = yaml.safe_load((folder / "scenario.resolved.yaml").read_text())
    assert echo["t_med"]["saidi_min_per_day"] == pytest.approx(res.t_med.value)
    assert "pooled" in echo["t_med"]["source"] and "3 replications" in echo["t_med"]["source"]
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["ieee"]["all"]["T_MED"]["mean"] == pytest.approx(res.t_med.value)
    assert "major event days: T_MED" in res.table()
    # a results folder is a history too: its days pooled give the same T_MED
    again = sim.load_scenario(small(reliability={"t_med": {"days": str(folder)}}))
    assert stated(again).value == res.t_med.value
    parquet = sim.load_scenario(small(reliability={"t_med": {"days": str(folder / "days.parquet")}}))
    assert stated(parquet).value == res.t_med.value == pooled(pd.read_parquet(folder / "days.parquet")).value


# ---------------------------------------------------------------- the baseline's T_MED for variants and points


def test_compare_judges_every_variant_against_the_baselines_t_med() -> None:
    sc = sim.load_scenario(small(crews=3, variants={"more_crews": {"depots": {"central": {"units": [
        {"name": "cable", "skills": ["cable"], "count": 6}]}}}}))
    c = compare(sc, figures=["ieee.all.SAIDI_excl_med", "ieee.all.major_event_days"], replications=4)
    base, more = c.base, c.variants["more_crews"]
    assert c.t_med is not None and base.t_med is not None and more.t_med is not None
    assert c.t_med.value == base.t_med.value == more.t_med.value
    assert (ieee(more)["T_MED"] == base.t_med.value).all() and (ieee(base)["T_MED"] == base.t_med.value).all()
    above = (more.days["SAIDI"] > base.t_med.value).groupby(more.days["replication"]).sum()
    assert ieee(more)["major_event_days"].tolist() == above.tolist()
    alone = sim.run(sim.scenario.derived.variant(sc, "more_crews"), replications=4, keep_records=False)
    assert alone.t_med is not None and not math.isclose(alone.t_med.value, base.t_med.value)  # it would differ
    assert "small's" in more.t_med.source
    assert f"T_MED {base.t_med.value:.1f} SAIDI min a day" in c.text()


def test_sweep_points_are_judged_against_the_base_scenarios_t_med(tmp_path: Path) -> None:
    sc = sim.load_scenario(small())
    res = sweep(sc, [("depots.central.units[cable].count", [3, 6])], tmp_path / "s", replications=2)
    base = sim.run(sc, replications=2, keep_records=False)
    f = res.figures()
    t = f[(f["scope"] == "ieee") & (f["metric"] == "T_MED") & f["group"].isin(["all", "urban", "rural"])]
    assert len(t) == 2 * 2 * 3 and (t["value"] == base.t_med.value).all()
    recorded = json.loads((tmp_path / "s" / "sweep.json").read_text())["t_med"]
    assert recorded["saidi_min_per_day"] == base.t_med.value and "pooled" in recorded["source"]


# ---------------------------------------------------------------- bad history files


@pytest.mark.parametrize(("text", "expected", "line"), [
    ("day,saidi_min\n2025-07-01,4\n", ["missing column 'date'", "the file has ['day', 'saidi_min']"], 1),
    ("date,saidi\n2025-07-01,4\n", ["missing column 'saidi_min'"], 1),
    ("date,saidi_min\n2025-07-01,4\n2025-07-02,-3\n2025-07-03,5\n", ["saidi_min -3 is negative",
                                                                    "expected SAIDI minutes >= 0"], 3),
    ("", ["the file is empty", "date,saidi_min"], 1),
    ("date,saidi_min\n", ["header but no rows"], 1),
    ("date,saidi_min\n2025-07-01,4\n07/02/2025,5\n", ["'07/02/2025' is not a date YYYY-MM-DD"], 3),
    ("date,saidi_min\n2025-07-01,4\n2025-07-02,lots\n", ["'lots' is not a number"], 3),
    ("date,saidi_min\n2025-07-01,4\n2025-07-02,5\n2025-07-01,6\n", ["2025-07-01 is listed twice (first at line 2)"],
     4),
    ("date,saidi_min\n2025-07-01,4\n2025-07-02,0\n", ["1 day with SAIDI > 0; expected at least two"], None),
], ids=["missing date", "missing saidi_min", "negative", "empty", "header only", "not a date", "not a number",
        "repeated day", "one non-zero day"])
def test_a_bad_history_file_is_refused_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                                                  expected: list[str], line: int | None) -> None:
    (tmp_path / "hist.csv").write_text(text)
    path = tmp_path / "s.yaml"
    path.write_text(GOOD + "reliability:\n  feeder_km: 2\n  t_med: {days: hist.csv}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "reliability.t_med.days" in err and str(tmp_path / "hist.csv") in err
    assert f"(line {GOOD.count(chr(10)) + 3})" in err  # the scenario's line of t_med
    for fragment in expected:
        assert fragment in err
    if line is not None:
        assert f"at its line {line}" in err
    assert "Traceback" not in err


def test_a_missing_or_unusable_history_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    for ref, expected in (("nowhere.csv", "file not found"), (".", "a folder without days.parquet"),
                          ("bad.parquet", "not a readable parquet file")):
        (tmp_path / "bad.parquet").write_text("not parquet")
        path.write_text(GOOD + f"reliability:\n  t_med: {{days: {ref}}}\n")
        assert main(["validate", str(path)]) == 2
        err = capsys.readouterr().err
        assert "reliability.t_med.days" in err and expected in err, err
    for value in ("-5", "lots", "{days: a.csv, value: 3}"):
        path.write_text(GOOD + f"reliability:\n  t_med: {value}\n")
        assert main(["validate", str(path)]) == 2
        assert "reliability.t_med" in capsys.readouterr().err


def test_a_good_history_csv_validates_and_only_its_last_five_years_count(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    old = [("2015-07-01", 5000.0), ("2015-07-02", 0.01)]  # more than five years before the last day: left out
    write_history(tmp_path / "hist.csv", old + HISTORY)
    path = tmp_path / "s.yaml"
    path.write_text(GOOD + "reliability:\n  t_med: {days: hist.csv}\n")
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    t = stated(sim.load_scenario(path))
    assert t is not None and t.value == pytest.approx(t_med_by_hand(), rel=1e-12) and "of 12" in t.source
