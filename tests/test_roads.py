"""Road networks: exact shortest times on hand-made networks, the triangle inequality on a generated one,
storm slowdowns and closures that lengthen trips and are undone after, bad GIS input, GraphML, the disk cache."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.cli import main
from sim.engine.travel import ROAD_CLOSED, RoadTravel, Slowdown
from sim.errors import ScenarioError
from sim.inputs.generated_area import generate_area, to_geojson
from sim.inputs.roads import RoadNetwork, collapse
from tests.conftest import ROOT

ROADS = ROOT / "scenarios" / "storm_season.yaml"  # the default season drives over the generated area

# A square of 1 km sides, A(0,0) B(1,0) C(1,1) D(0,1), with a slow diagonal A-C; by hand at 60 km/h on the
# primary sides (1 min per km) and 30 km/h on the residential diagonal (sqrt(2) km: 2.83 min):
#   A -> C: via B or D 2 min (2 km); the diagonal would take 2.83.
SQUARE = ([(0, 0), (1, 0), (1, 1), (0, 1)],
          [(0, 1, "primary", None), (1, 2, "primary", None), (2, 3, "primary", None), (3, 0, "primary", None),
           (0, 2, "residential", None)])


def prepared(nodes: list, edges: list, **kw: object):  # type: ignore[no-untyped-def]
    return RoadNetwork.from_edges(nodes, edges).prepare({"primary": 60.0, "residential": 30.0}, **kw)


def test_exact_shortest_times_on_a_square() -> None:
    net = prepared(*SQUARE)
    (a, c), _ = net.snap([0, 1], [0, 1])
    # the fastest route goes round the sides (2 km), not along the shorter, slower diagonal
    assert net.minutes(a, c) == pytest.approx(2.0) and net.km(a, c) == pytest.approx(2.0, rel=1e-6)


def test_speed_limits_and_terrain_factors() -> None:
    nodes, edges = SQUARE
    edges = [*edges[:4], (0, 2, "residential", 120.0)]  # a fast diagonal with its own limit
    net = prepared(nodes, edges)
    (a, c), _ = net.snap([0, 1], [0, 1])
    assert net.minutes(a, c) == pytest.approx(math.sqrt(2) / 120 * 60, rel=1e-6)
    slow = RoadNetwork.from_edges(*SQUARE).prepare({"primary": 60.0, "residential": 30.0},
                                                   terrain=lambda x, y: np.where(x + y >= 1.5, 0.5, 1.0))
    (a, c), _ = slow.snap([0, 1], [0, 1])
    # the edges B-C and C-D lie where x + y >= 1.5: half speed, so A-B-C takes 1 + 2 = 3 min, the diagonal 2.83
    assert slow.minutes(a, c) == pytest.approx(2 * math.sqrt(2), rel=1e-6)


def test_snap_distance_is_driven_slowly() -> None:
    net = prepared(*SQUARE, snap_speed_kmh=6.0)
    travel = RoadTravel(net, 6.0)
    km, minutes, cause = travel.trip(0, -0.1, 0, 1, 1.1, 0, 0.0)  # 0.1 km off A and off C
    assert km == pytest.approx(0.2 + 2.0, rel=1e-6)
    assert minutes == pytest.approx(2.0 + 0.2 / 6 * 60, rel=1e-6) and cause == ""


def test_degree_two_chains_collapse_to_one_edge() -> None:
    u, v, t, km, one = collapse(5, np.array([0, 1, 2, 3]), np.array([1, 2, 3, 4]), np.array([1.0, 2, 3, 4]),
                                np.ones(4), keep={2})
    assert list(zip(u.tolist(), v.tolist(), strict=True)) == [(0, 2), (2, 4)] and t.tolist() == [3.0, 7.0]
    assert not one.any()


def test_a_one_way_chain_collapses_into_one_one_way_edge_pointing_its_way() -> None:
    # 3 -> 2 -> 1 -> 0 one way, written against the node order: the collapsed edge runs 3 -> 0
    u, v, t, _, one = collapse(4, np.array([1, 2, 3]), np.array([0, 1, 2]), np.ones(3), np.ones(3),
                               oneway=np.ones(3, bool))
    assert (u.tolist(), v.tolist(), t.tolist(), one.tolist()) == ([3], [0], [3.0], [True])


def test_where_one_way_meets_two_way_or_two_one_ways_collide_the_node_stays_a_junction() -> None:
    # 0 -> 1 one way, then 1 - 2 two way; and 3 -> 4 <- 5 (both enter 4)
    u, v, _, _, one = collapse(6, np.array([0, 1, 3, 5]), np.array([1, 2, 4, 4]), np.ones(4), np.ones(4),
                               oneway=np.array([True, False, True, True]))
    assert sorted(zip(u.tolist(), v.tolist(), one.tolist(), strict=True)) == [(0, 1, True), (1, 2, False), (3, 4, True),
                                                                  (5, 4, True)]


# A square 0 (0,0) - 1 (1,0) - 2 (1,1) - 3 (0,1), every side 1 km at 60 km/h, with a diagonal 0-2 so no node is on
# a chain; the side 0 -> 1 is one way.
ONE_WAY_SQUARE = ([(0, 0), (1, 0), (1, 1), (0, 1)],
                  [(0, 1, "primary", None, True), (1, 2, "primary", None), (2, 3, "primary", None),
                   (3, 0, "primary", None), (0, 2, "primary", 10.0)])


def test_a_one_way_street_is_driven_only_its_way_and_the_reverse_trip_takes_the_detour() -> None:
    net = RoadNetwork.from_edges(*ONE_WAY_SQUARE).prepare({"primary": 60.0})
    (a, b), _ = net.snap([0, 1], [0, 0])
    assert net.minutes(a, b) == pytest.approx(1.0)  # along the one-way street
    # back: 1 -> 2 -> 3 -> 0 (3 min) beats 1 -> 2 -> 0 (1 + sqrt 2 km at 10 km/h)
    assert net.minutes(b, a) == pytest.approx(3.0) and net.km(b, a) == pytest.approx(3.0)


def test_a_network_that_one_way_streets_cut_in_two_is_refused() -> None:
    # 0 -> 1 -> 2 and no way back
    with pytest.raises(ScenarioError, match="not connected.*one-way"):
        RoadNetwork.from_edges([(0, 0), (1, 0), (2, 0)], [(0, 1, "primary", None, True),
                                                          (1, 2, "primary", None, True)]).prepare()


@pytest.fixture(scope="module")
def area():  # type: ignore[no-untyped-def]
    return RoadNetwork.from_edges(*generate_area(3)).prepare()


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 10_000))
def test_triangle_inequality_on_a_generated_area(area, a: int, b: int, c: int) -> None:  # type: ignore[no-untyped-def]
    n = len(area)
    a, b, c = a % n, b % n, c % n
    d = area.minutes_matrix
    assert d[a, c] <= d[a, b] + d[b, c] + 1e-3 * (1 + d[a, c])  # float32 tables
    assert d[a, b] == pytest.approx(d[b, a], rel=1e-6) and d[a, a] == 0


def test_generated_area_has_all_three_kinds_of_road(area) -> None:  # type: ignore[no-untyped-def]
    nodes, edges = generate_area(3)
    classes = {e[2] for e in edges}
    assert {"residential", "primary", "secondary", "track"} <= classes
    assert len(area) < len(nodes) / 3  # chains collapsed


def _closure_case() -> tuple[RoadTravel, int]:
    net = prepared(*SQUARE)
    travel = RoadTravel(net, 15.0)
    # B and D sit on chains, so the network is A and C with three routes: via B, via D (2 min each) and the
    # diagonal (2.83 min). Close the two side routes: only the slow diagonal is left
    assert len(net) == 2 and sorted(np.round(net.emin, 2).tolist()) == [2.0, 2.0, 2.83]
    closed = net.emin < 2.5
    travel.storms.append(Slowdown(100.0, 200.0, 0.5, 0.5, 1.0, 1.0, 0.0, 0.0, closed, reopen=300.0))
    return travel, int(closed.sum())


def test_closures_force_a_detour_and_are_undone_when_roads_reopen() -> None:
    travel, _ = _closure_case()
    before = travel.trip(0, 0, 0, 1, 1, 0, 50.0)
    during = travel.trip(0, 0, 0, 1, 1, 0, 250.0)  # storm over (no slowdown), roads still closed
    after = travel.trip(0, 0, 0, 1, 1, 0, 350.0)
    assert before[1] == pytest.approx(2.0) and before[2] == ""
    assert during[1] == pytest.approx(2 * math.sqrt(2), rel=1e-5) and during[2] == ROAD_CLOSED
    assert after[1] == pytest.approx(2.0) and after[2] == ""


def test_a_storm_slows_trips_into_its_footprint_while_it_lasts() -> None:
    travel, _ = _closure_case()
    # to A, outside the footprint (0.5 km around the cell at C): the detour, at full speed
    assert travel.trip(1, 1, 0, 0, 0, 0, 150.0)[1] == pytest.approx(2 * math.sqrt(2), rel=1e-5)
    # to C, inside it: the detour at half speed
    assert travel.trip(0, 0, 0, 1, 1, 0, 150.0)[1] == pytest.approx(4 * math.sqrt(2), rel=1e-5)


def test_an_unreachable_fault_waits_for_the_roads_to_reopen() -> None:
    net = prepared([(0, 0), (1, 0), (5, 5), (6, 5)], [(0, 1, "primary", None), (1, 2, "primary", None),
                                                      (2, 3, "primary", None)])
    travel = RoadTravel(net, 15.0)
    closed = np.ones(len(net.eu), bool)  # every road closed
    travel.storms.append(Slowdown(0.0, 10.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, closed, reopen=90.0))
    km, minutes, cause = travel.trip(0, 0, 0, 6, 5, 0, 30.0)
    assert cause == ROAD_CLOSED and minutes == pytest.approx(60 + float(net.minutes_matrix[net.snap(0, 0)[0][0],
                                                                                            net.snap(6, 5)[0][0]]))


# ---------------------------------------------------------------- reading and bad input


def test_geojson_in_degrees_and_metres_agree(tmp_path: Path) -> None:
    nodes, edges = SQUARE
    metres = to_geojson(nodes, edges)
    (tmp_path / "m.geojson").write_text(json.dumps(metres))
    a = RoadNetwork.from_geojson(tmp_path / "m.geojson", degrees=False)
    assert a.length.sum() == pytest.approx(4 + math.sqrt(2))
    deg = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"highway": "primary", "maxspeed": "50"},
         "geometry": {"type": "LineString", "coordinates": [[-72.6, 42.3], [-72.6, 42.31]]}}]}
    (tmp_path / "d.geojson").write_text(json.dumps(deg))
    b = RoadNetwork.from_geojson(tmp_path / "d.geojson", degrees=True)
    assert b.length[0] == pytest.approx(1.10574, rel=1e-4) and b.speed[0] == 50


BAD = [
    ("broken.geojson", '{"type": "FeatureCollection", "features": [', "not valid GeoJSON"),
    ("wrong.geojson", '{"type": "Feature"}', "expected a GeoJSON FeatureCollection"),
    ("short.geojson", '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
                      '{"type": "LineString", "coordinates": [[0, 0]]}}]}', "at least two"),
    ("split.geojson", json.dumps(to_geojson([(0, 0), (1, 0), (5, 5), (6, 5)],
                                            [(0, 1, "primary", None), (2, 3, "primary", None)])),
     "not connected: 2 separate parts"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_gis_input_is_exit_2_with_the_file_and_the_problem(case: tuple[str, str, str], tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    name, text, expected = case
    (tmp_path / name).write_text(text)
    (tmp_path / "s.yaml").write_text(f"extends: {ROADS}\ntravel:\n  network: {name}\n")
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert "travel.network" in err and name in err and expected in err and "Traceback" not in err


def test_a_depot_outside_every_zone_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s.yaml").write_text(f"extends: {ROADS}\ndepots:\n  pinecrest:\n    location: [178, 20]\n")
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert "depots.pinecrest.location: [178, 20] is outside zone 'mountain'" in err
    assert "it lies outside every zone" in err and "line 4" in err


def test_the_prepared_network_is_cached_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    net = RoadNetwork.from_edges(*generate_area(5))
    first = net.prepare(cache=tmp_path)
    files = list(tmp_path.glob("roads-*.npz"))
    assert len(files) == 1
    second = net.prepare(cache=tmp_path)
    assert np.array_equal(first.minutes_matrix, second.minutes_matrix)
    other = net.prepare({"primary": 90.0}, cache=tmp_path)  # other settings: another entry
    assert len(list(tmp_path.glob("roads-*.npz"))) == 2 and not np.array_equal(first.minutes_matrix,
                                                                                 other.minutes_matrix)


def test_the_roads_scenario_runs_and_flags_closures() -> None:
    sc = sim.load_scenario(ROADS)
    res = sim.run(sc.with_changes(horizon=30 * 1440.0), replications=2, seed=7)
    f = res.faults
    assert f["repaired"].notna().all()
    assert set(f["special_cause"]) <= {"", ROAD_CLOSED}
    assert res.figure("recorded", "faults", scope="special")["mean"] == (f["special_cause"] != "").sum() / 2


def test_rows_on_demand_equal_the_all_pairs_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    # a county's network is too large for all-pairs tables: each source's row is computed when first needed
    net = RoadNetwork.from_edges(*generate_area(3))
    dense = net.prepare()
    monkeypatch.setattr("sim.inputs.roads.DENSE_JUNCTIONS", 10)
    rows = net.prepare()
    assert dense.dense and not rows.dense and rows.minutes_matrix.size == 0
    rng = np.random.default_rng(4)
    pairs = rng.integers(0, len(dense), (300, 2)).tolist()
    for a, b in pairs:
        assert rows.minutes(a, b) == pytest.approx(dense.minutes(a, b), rel=1e-6, abs=1e-6)
        assert rows.km(a, b) == pytest.approx(dense.km(a, b), rel=1e-5, abs=1e-5)
        # a unit ranking answers the exact time inside the search, a lower bound beyond it
        assert rows.reach_of(a, b) <= dense.minutes(a, b) + 1e-4
        # and no route beats the pace bound dispatch ranks far units by
        assert rows.pace_bound * math.hypot(rows.x[a] - rows.x[b], rows.y[a] - rows.y[b]) \
            <= min(rows.reach_of(a, b), dense.minutes(a, b)) + 1e-9
    for a, b in pairs[:5]:  # trips from a hub: one full search from it, kept
        assert rows.minutes(a, b, hub=True) == pytest.approx(dense.minutes(a, b), rel=1e-6, abs=1e-6)
        assert rows.km(a, b, hub=True) == pytest.approx(dense.km(a, b), rel=1e-5, abs=1e-5)
        assert rows.reach_of(a, b, hub=True) == pytest.approx(dense.minutes(a, b), rel=1e-6, abs=1e-6)


def test_ranking_does_not_depend_on_earlier_searches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows towards a target are shared by every replication a process runs, and a far trip searches further:
    the ranking answer for a unit must be the same whichever trips came before (results must not depend on the
    number of workers)."""
    monkeypatch.setattr("sim.inputs.roads.DENSE_JUNCTIONS", 10)
    net = RoadNetwork.from_edges(*generate_area(3))
    fresh, used = net.prepare(), net.prepare()
    rng = np.random.default_rng(5)
    pairs = rng.integers(0, len(fresh), (200, 2)).tolist()
    for a, b in pairs:
        used.minutes(a, b)  # exact trips make the searches towards each b go as far as a
    assert [used.reach_of(a, b) for a, b in pairs] == [fresh.reach_of(a, b) for a, b in pairs]


@pytest.mark.parametrize("spread", [0.0, 0.3, 5.0])
def test_the_snap_grid_finds_what_the_kd_tree_finds(spread: float) -> None:
    """Snapping by grid (fast for one point) gives the KD-tree's junction and distance: points on the network, near
    it, between junctions and far outside it (where the grid hands over to the tree)."""
    net = RoadNetwork.from_edges(*generate_area(3)).prepare()
    rng = np.random.default_rng(int(spread * 10))
    k = rng.integers(0, len(net), 2000)
    xs = net.x[k] + rng.normal(0, spread, 2000)
    ys = net.y[k] + rng.normal(0, spread, 2000)
    xs[:50] += rng.choice([-1, 1], 50) * rng.uniform(10, 500, 50)  # far outside
    a, b = rng.integers(0, len(net), (2, 100))
    xs[50:150], ys[50:150] = (net.x[a] + net.x[b]) / 2, (net.y[a] + net.y[b]) / 2  # halfway: ties, the tree's way
    d, i = net._tree.query(np.column_stack([xs, ys]))
    got = [net.snap_one(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
    assert [g[0] for g in got] == i.tolist()
    assert [g[1] for g in got] == pytest.approx(d.tolist(), rel=1e-12, abs=1e-12)
