"""IEEE 1366 indices on hand-computed logs, major event days by the 2.5 beta method, compliance counts on a designed
case, restoration curves on a designed storm, and confidence intervals that cover the truth at their nominal rate."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.analysis.reliability import Interruptions, daily_saidi, day_table, indices, major_event_days, med_threshold
from sim.analysis.timeseries import open_at, storm_restoration
from tests.conftest import mmc_scenario, replay_scenario

# One zone of 1,000 customers over three days (72 h). By hand:
#   A day 0, 120 min, customers 0-99        sustained
#   B day 0, exactly 5 min, customers 100-299   momentary (5 min is not more than 5)
#   C day 1, 3 min, customers 0-49          momentary: day 1 has zero SAIDI
#   D day 2, 600 min, customers 50-449      sustained; customers 50-99 are interrupted twice (A and D)
LOG = Interruptions.from_rows([(0, 60.0, 120.0, 100, 0), (0, 600.0, 5.0, 200, 100), (0, 1540.0, 3.0, 50, 0),
                               (0, 2910.0, 600.0, 400, 50)])
SERVED = {0: 1000}
HAND = {
    "CI": 500.0,                      # 100 + 400 customer interruptions (sustained only)
    "CMI": 100 * 120 + 400 * 600.0,   # 252,000 customer minutes
    "CN": 450.0,                      # customers 0-449, each once however often interrupted
    "SAIFI": 0.5,                     # 500 / 1000
    "SAIDI": 252.0,                   # 252,000 / 1000
    "CAIDI": 504.0,                   # 252 / 0.5
    "CAIFI": 500 / 450,
    "CTAIDI": 252_000 / 450,
    "ASAI": (1000 * 72 - 252_000 / 60) / (1000 * 72),
    "CEMI_1": 50 / 1000,              # customers 50-99 had 2 sustained interruptions
    "CEMI_2": 0.0,
    "CEMI_3": 0.0,
    "CELID_s": 400 / 1000,            # one interruption over 8 h: D's 400 customers
    "CELID_t": 50 / 1000,             # over 11 h in total: only 50-99 (120 + 600 = 720 min)
    "MAIFI_E": (200 + 50) / 1000,     # momentary events B and C
}


@pytest.mark.parametrize("name", list(HAND))
def test_index_on_a_hand_computed_log(name: str) -> None:
    got = indices(LOG, SERVED, hours=72.0, celid_s_hours=8.0, celid_t_hours=11.0)
    assert got[name] == pytest.approx(HAND[name], rel=1e-12, abs=1e-12)


def test_daily_saidi_counts_a_day_where_the_interruption_began_and_has_a_zero_day() -> None:
    assert daily_saidi(LOG, SERVED, 3).tolist() == [12.0, 0.0, 240.0]


def test_a_customer_interrupted_twice_counts_once_in_cn_even_across_zones_and_wraps() -> None:
    # zone 1 has 100 customers; an interruption of 30 starting at customer 90 wraps to customers 90-99 and 0-19
    log = Interruptions.from_rows([(1, 0.0, 60.0, 30, 90), (1, 100.0, 60.0, 5, 15), (0, 0.0, 60.0, 10, 0)])
    got = indices(log, {0: 1000, 1: 100}, hours=24.0)
    assert got["CN"] == 40.0  # 30 in zone 1 (customers 15-19 twice) + 10 in zone 0
    assert got["CEMI_1"] == pytest.approx(5 / 1100)


def _med_log() -> tuple[Interruptions, list[float]]:
    """Ten days, each with one whole-system interruption of N_T customers lasting its day's SAIDI; day 9 is a
    storm; day 10 has nothing (zero SAIDI, left out of the logs)."""
    saidi = [10.0] * 9 + [1000.0, 0.0]
    rows = [(0, d * 1440.0 + 60, s, 1000, 0) for d, s in enumerate(saidi) if s > 0]
    return Interruptions.from_rows(rows), saidi


def test_major_event_day_by_the_2_5_beta_method() -> None:
    log, saidi = _med_log()
    logs = [math.log(v) for v in saidi if v > 0]
    expected = math.exp(statistics.mean(logs) + 2.5 * statistics.stdev(logs))  # by hand: exp(2.763 + 3.641) = 605
    assert med_threshold(np.array(saidi)) == pytest.approx(expected)
    assert 604 < expected < 605
    flags = major_event_days(daily_saidi(log, SERVED, 11))
    assert flags.tolist() == [False] * 9 + [True, False]
    table = day_table(log, SERVED, 11, dt.datetime(2026, 7, 1))
    assert table["major_event_day"].sum() == 1 and table.loc[9, "date"] == pd.Timestamp("2026-07-10")


def test_indices_without_major_event_days() -> None:
    """SAIDI without major event days leaves out the interruptions that began on day 9."""
    log, saidi = _med_log()
    normal = log.select(~major_event_days(daily_saidi(log, SERVED, 11))[(log.start // 1440).astype(int)])
    assert indices(normal, SERVED, hours=10 * 24.0)["SAIDI"] == pytest.approx(90.0)
    assert indices(log, SERVED, hours=11 * 24.0)["SAIDI"] == pytest.approx(1090.0)


# ---------------------------------------------------------------- compliance on a designed case


DESIGNED_LOG = "time_out,x_km,y_km,customers\n2026-06-01 00:00,3,4,10\n2026-06-01 00:10,6,8,30\n" \
               "2026-06-01 08:20,0,3,60\n"


def _designed(tmp_path: Path) -> sim.Scenario:
    (tmp_path / "log.csv").write_text(DESIGNED_LOG)
    return sim.load_scenario(replay_scenario("1 d"), base_dir=tmp_path)


def test_compliance_counts_on_a_designed_case(tmp_path: Path) -> None:
    """One crew at (0, 0), 1 km a minute, repairs of 100 min. By hand:
    fault 1 at t=0, (3, 4): 5 km, on site at 5, restored 105;
    fault 2 at t=10, (6, 8): waits for the crew, which drives 5 km from fault 1: on site 110 (100 min: late),
    restored 210 (200 min: within 4 h);
    fault 3 at t=500, (0, 3): the crew is home by 220; 3 min, restored 603."""
    res = sim.run(_designed(tmp_path))
    f = res.faults[res.faults["replication"] == 0]
    assert f["time_to_site"].tolist() == pytest.approx([5.0, 100.0, 3.0])
    assert f["time_to_restore"].tolist() == pytest.approx([105.0, 200.0, 103.0])
    fig = {m: res.figure("urban", m)["mean"] for m in ("arrive", "arrive_customers", "restore", "time_to_site_mean")}
    assert fig == pytest.approx({"arrive": 2 / 3, "arrive_customers": 70 / 100, "restore": 1.0,
                                 "time_to_site_mean": 36.0})
    assert res.figure("calm", "arrive", scope="weather")["mean"] == pytest.approx(2 / 3)
    assert res.figure("fault", "restore", scope="type")["mean"] == 1.0
    # IEEE 1366 from the same faults: 100 customers interrupted for 105, 200 and 103 min, over 1000 customers
    assert res.figure("all", "SAIFI", scope="ieee")["mean"] == pytest.approx(0.1)
    assert res.figure("all", "SAIDI", scope="ieee")["mean"] == pytest.approx((10 * 105 + 30 * 200 + 60 * 103) / 1000)
    # ETRs: fault 1 got a crew at once: its drive (5) + the typical repair (100). Fault 2 had to wait: the rule of
    # thumb is one (typical drive into the zone + repair) for the queue, then the drive and the repair again; the
    # typical drive is depot to zone centre, hypot(5, 5) km at 1 km/min
    drive = math.hypot(5, 5)
    assert f["etr_at_report"].tolist()[:2] == pytest.approx([105.0, 10 + 2 * (drive + 100)])
    assert f["etr_at_dispatch"].tolist()[:2] == pytest.approx([105.0, 105 + 5 + 100])


def test_time_series_on_the_designed_case(tmp_path: Path) -> None:
    res = sim.run(_designed(tmp_path), replications=1)
    ts = res.timeseries.set_index("minute")
    assert ts.loc[60.0, "customers_out"] == 40 and ts.loc[60.0, "faults_waiting"] == 1
    assert ts.loc[120.0, "customers_out"] == 30 and ts.loc[120.0, "busy:d/c"] == 1
    assert ts.loc[300.0, "faults_open"] == 0 and ts.loc[300.0, "busy:d/c"] == 0
    assert open_at(np.array([0.0]), np.array([60.0]), np.array([0.0, 59.9, 60.0])).tolist() == [1.0, 1.0, 0.0]


def test_restoration_curve_of_a_designed_storm() -> None:
    storms = pd.DataFrame({"replication": [0], "storm": [0], "start": [600.0], "end": [660.0], "faults": [3]})
    faults = pd.DataFrame({"storm": [0, 0, 0, -1], "restored": [660.0, 720.0, 840.0, 100.0],
                           "customers": [50, 40, 10, 999]})
    table, curve = storm_restoration(storms, faults)
    assert table.loc[0, ["t50_h", "t90_h", "t99_h"]].tolist() == [1.0, 2.0, 4.0]
    assert table.loc[0, "customers"] == 100
    share = curve.set_index("hours")["restored_share"]
    assert share[0.5] == 0.0 and share[1.0] == 0.5 and share[1.5] == 0.5 and share[2.0] == 0.9 and share[4.0] == 1.0


# ---------------------------------------------------------------- interval coverage


def test_confidence_intervals_cover_the_truth_at_their_nominal_rate() -> None:
    """Ample crews and no travel: a fault's time to restore is its exponential repair (mean 100 min), so the
    expected share restored within 4 h is exactly 1 - exp(-2.4). Split 1,500 replications into 300 runs of 5;
    the count of 95 % intervals that hold the truth is Binomial(300, 0.95) if the intervals are right, and must
    lie inside that law's 99.9 % range."""
    truth = 1 - math.exp(-240 / 100)
    sc = mmc_scenario(30 / 1440, 100.0, 50, 1440.0)
    per = sim.run(sc, replications=1500, seed=99, workers=2, keep_records=False).per_replication
    v = per[(per["scope"] == "zone") & (per["group"] == "all") & (per["metric"] == "restore")]
    values = v.sort_values("replication")["value"].to_numpy().reshape(300, 5)
    covered = 0
    for run in values:
        ci = sim.analysis.metrics.confidence_interval(run, 0.95)
        covered += ci.low <= truth <= ci.high
    lo, hi = stats.binom.ppf([0.0005, 0.9995], 300, 0.95)
    assert lo <= covered <= hi, covered


def test_special_cause_faults_are_reported_apart(tmp_path: Path) -> None:
    from sim.analysis.metrics import replication_figures

    sc = _designed(tmp_path)
    res = sim.run(sc, replications=1)
    faults = res.faults.copy()
    faults["special_cause"] = ["", "road_closed", ""]  # as if fault 2's crew had found the road closed
    fig = replication_figures(sc, faults, res.units, {u: "d/c" for u in res.units["unit"].unique()})
    get = fig.set_index(["scope", "group", "metric"])["value"]
    assert get[("special", "none", "arrive")] == 1.0 and get[("special", "none", "faults")] == 2
    assert get[("special", "recorded", "arrive")] == 0.0 and get[("zone", "urban", "special_cause")] == 1
    assert get[("zone", "urban", "arrive")] == pytest.approx(2 / 3)  # the zone figure still holds every fault
