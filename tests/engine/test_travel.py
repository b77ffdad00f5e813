"""sim.engine.travel part by part: straight lines (circuity, zone speeds), a storm's slowdown in time and space,
travel-time variability, and a hand-built road network (routes, snapping, closures and detours).

Every expected distance and time is worked out by hand in the test's docstring or comments.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine.travel import ROAD_CLOSED, RoadTravel, Slowdown, StormIndex, StraightLineTravel
from sim.inputs.roads import PreparedNetwork, RoadNetwork


def storm(start: float, end: float, factor: float = 0.5, reach: float = 10.0, x0: float = 0.0, y0: float = 0.0,
          dx: float = 0.0, dy: float = 0.0, closed: np.ndarray | None = None, reopen: float = math.inf) -> Slowdown:
    return Slowdown(start, end, factor, reach, x0, y0, dx, dy, closed, reopen)


# ------------------------------------------------------------------ straight lines


def test_straight_line_km_are_straight_km_times_circuity() -> None:
    """(0, 0) to (3, 4) is 5 km as the crow flies; circuity 1.3 makes it 6.5 road km."""
    t = StraightLineTravel(circuity=1.3, speed_kmh=[60.0])
    assert t.distance(0, 0, 3, 4) == pytest.approx(6.5)
    km, minutes, cause = t.trip(0, 0, 0, 3, 4, 0, 0.0)
    assert km == pytest.approx(6.5)
    assert minutes == pytest.approx(6.5)  # 60 km/h: a km a minute
    assert cause == ""


def test_straight_line_half_the_way_at_each_zones_speed() -> None:
    """Zone 0 at 60 km/h (1 min/km), zone 1 at 30 km/h (2 min/km): half of the 6.5 km at each pace,
    6.5 x (1 + 2) / 2 = 9.75 min, the same either way; within zone 1 alone 6.5 x 2 = 13 min."""
    t = StraightLineTravel(circuity=1.3, speed_kmh=[60.0, 30.0])
    assert t.minutes(6.5, 0, 1) == pytest.approx(9.75)
    assert t.trip(0, 0, 0, 3, 4, 1, 0.0)[1] == pytest.approx(9.75)
    assert t.trip(3, 4, 1, 0, 0, 0, 0.0)[1] == pytest.approx(9.75)
    assert t.trip(0, 0, 1, 3, 4, 1, 0.0)[1] == pytest.approx(13.0)
    assert t.trip(0, 0, 0, 3, 4, 0, 0.0)[1] == pytest.approx(6.5)


def test_straight_line_estimate_is_the_trip_without_variation() -> None:
    """Variability off: the trip takes what the centre estimates (10 km at 60 km/h = 10 min), trip after trip."""
    t = StraightLineTravel(circuity=1.0, speed_kmh=[60.0])
    assert t.variability is None
    for _ in range(3):
        assert t.trip(0, 0, 0, 6, 8, 0, 0.0)[1] == pytest.approx(10.0)
    assert t.estimate(0, 0, 0, 6, 8, 0, 0.0) == pytest.approx(10.0)


def test_variability_multiplies_each_trip_in_turn_and_leaves_the_estimate() -> None:
    """Factors drawn ahead [2.0, 0.5] are used trip by trip and then cycle: the 10 min trip takes 20, 5, 20;
    the estimate stays 10 (the centre does not know the draw)."""
    t = StraightLineTravel(circuity=1.0, speed_kmh=[60.0])
    t.variability = np.array([2.0, 0.5])
    assert [t.trip(0, 0, 0, 6, 8, 0, 0.0)[1] for _ in range(3)] == pytest.approx([20.0, 5.0, 20.0])
    assert t.estimate(0, 0, 0, 6, 8, 0, 0.0) == pytest.approx(10.0)
    assert t.trip(0, 0, 0, 6, 8, 0, 0.0)[0] == pytest.approx(10.0)  # the km do not vary


def test_storm_slows_trips_ending_in_its_reach_while_it_lasts() -> None:
    """A storm from 60 to 180 min, factor 0.5, reach 10 km around (0, 0). A 10 min trip (6, 8) -> (0, 0) ends
    inside: 20 min from 60 (its start, inclusive) to just before 180 (its end, exclusive); 10 before and after."""
    t = StraightLineTravel(circuity=1.0, speed_kmh=[60.0])
    t.storms.append(storm(60.0, 180.0))
    assert t.trip(6, 8, 0, 0, 0, 0, 59.9)[1] == pytest.approx(10.0)
    assert t.trip(6, 8, 0, 0, 0, 0, 60.0)[1] == pytest.approx(20.0)
    assert t.trip(6, 8, 0, 0, 0, 0, 179.9)[1] == pytest.approx(20.0)
    assert t.trip(6, 8, 0, 0, 0, 0, 180.0)[1] == pytest.approx(10.0)
    assert t.estimate(6, 8, 0, 0, 0, 0, 100.0) == pytest.approx(20.0)  # the centre knows about the storm


def test_storm_slows_by_where_the_trip_ends_not_where_it_starts() -> None:
    """Reach 10 km around (0, 0): (0, 0) -> (6, 8) ends 10 km away, on the edge (inside: 20 min); (0, 0) ->
    (12, 16) ends 20 km away (outside: 20 km = 20 min, though it starts in the storm's middle)."""
    t = StraightLineTravel(circuity=1.0, speed_kmh=[60.0])
    t.storms.append(storm(0.0, 100.0))
    assert t.trip(0, 0, 0, 6, 8, 0, 50.0)[1] == pytest.approx(20.0)
    assert t.trip(0, 0, 0, 12, 16, 0, 50.0)[1] == pytest.approx(20.0)
    assert t.trip(12, 16, 0, 0, 0, 0, 50.0)[1] == pytest.approx(40.0)  # back into it: 20 min / 0.5


def test_storm_footprint_drifts_with_its_cell() -> None:
    """The cell starts at (0, 0) at minute 0 and drifts east at 0.1 km/min (6 km/h); reach 10 km. A trip to
    (20, 0) (20 km from (40, 0): 20 min unslowed): at 50 min the cell is at (5, 0), 15 km away, outside; at
    150 min at (15, 0), 5 km away, inside: 40 min; at 350 min at (35, 0), 15 km away, outside again."""
    t = StraightLineTravel(circuity=1.0, speed_kmh=[60.0])
    t.storms.append(storm(0.0, 1000.0, dx=0.1))
    assert t.trip(40, 0, 0, 20, 0, 0, 50.0)[1] == pytest.approx(20.0)
    assert t.trip(40, 0, 0, 20, 0, 0, 150.0)[1] == pytest.approx(40.0)
    assert t.trip(40, 0, 0, 20, 0, 0, 350.0)[1] == pytest.approx(20.0)


def test_overlapping_storms_slow_by_the_worst_not_the_product() -> None:
    """Two storms over (0, 0), factors 0.5 and 0.8: the 10 min trip takes 10 / 0.5 = 20 min (not 10 / 0.4 = 25).
    A factor of 1 (no slowdown) changes nothing."""
    t = StraightLineTravel(circuity=1.0, speed_kmh=[60.0])
    t.storms += [storm(0.0, 100.0, factor=0.8), storm(0.0, 100.0, factor=0.5), storm(0.0, 100.0, factor=1.0)]
    assert t.trip(6, 8, 0, 0, 0, 0, 10.0)[1] == pytest.approx(20.0)


# ------------------------------------------------------------------ a road network
#
#   D (0,10) ------------------ E (20,10)        the detour A-D-E-C: residential roads, 30 km/h (OSM default)
#   |                           |                10 + 20 + 10 = 40 km, 80 min
#   |                           |
#   A (0,0) ----- B (10,0) ---- C (20,0)         the main road A-B-C: primary at 60 km/h, 20 km, 20 min
#
# Every node is kept as a junction (``keep``) so that B and the corners stay snap targets.

A, B, C, D, E = (0.0, 0.0), (10.0, 0.0), (20.0, 0.0), (0.0, 10.0), (20.0, 10.0)
NODES = [A, B, C, D, E]


def network(bc_speed: float | None = None) -> PreparedNetwork:
    edges = [(0, 1, "primary", None), (1, 2, "primary", bc_speed),
             (0, 3, "residential", None), (3, 4, "residential", None), (4, 2, "residential", None)]
    net = RoadNetwork.from_edges(NODES, edges, source="three roads")
    return net.prepare({"primary": 60.0, "residential": 30.0}, snap_speed_kmh=6.0, keep=NODES, cache=None)


@pytest.fixture(scope="module")
def roads() -> PreparedNetwork:
    return network()


def junction(net: PreparedNetwork, p: tuple[float, float]) -> int:
    i, d = net.snap_one(*p)
    assert d == 0.0
    return i


def edge(net: PreparedNetwork, p: tuple[float, float], q: tuple[float, float]) -> int:
    """Index of the (collapsed) edge between junctions at ``p`` and ``q``."""
    a, b = junction(net, p), junction(net, q)
    hits = [k for k in range(len(net.eu)) if {int(net.eu[k]), int(net.ev[k])} == {a, b}]
    assert len(hits) == 1
    return hits[0]


def closing(net: PreparedNetwork, *edges: tuple[tuple[float, float], tuple[float, float]]) -> np.ndarray:
    closed = np.zeros(len(net.eu), bool)
    for p, q in edges:
        closed[edge(net, p, q)] = True
    return closed


def test_road_network_keeps_the_five_junctions_and_their_roads(roads: PreparedNetwork) -> None:
    assert len(roads) == 5
    assert len(roads.eu) == 5


def test_route_minutes_and_km_between_junctions(roads: PreparedNetwork) -> None:
    """A -> C on the main road: 20 km at 60 km/h = 20 min (the detour would take 80). A -> E: via D, 10 + 20 =
    30 km at 30 km/h = 60 min, or A-B-C (20 min) then C-E (10 km at 30 km/h = 20 min) = 40 min, 30 km: the
    latter. B -> D: B-A (10 min) + A-D (20 min) = 30 min, 20 km."""
    t = RoadTravel(roads, snap_speed_kmh=6.0)
    km, minutes, cause = t.trip(*A, 0, *C, 0, 0.0)
    assert (km, minutes, cause) == (pytest.approx(20.0), pytest.approx(20.0), "")
    assert t.trip(*A, 0, *E, 0, 0.0)[:2] == (pytest.approx(30.0), pytest.approx(40.0))
    assert t.trip(*B, 0, *D, 0, 0.0)[:2] == (pytest.approx(20.0), pytest.approx(30.0))
    assert t.estimate(*A, 0, *C, 0, 0.0) == pytest.approx(20.0)
    assert t.trip(*C, 0, *A, 0, 0.0)[:2] == (pytest.approx(20.0), pytest.approx(20.0))  # roads go both ways


def test_route_is_the_fastest_and_its_km_are_that_routes() -> None:
    """B-C limited to 5 km/h: A-B-C takes 10 + 120 = 130 min for 20 km; the detour 80 min for 40 km wins, and
    the km are the detour's. At 10 km/h, A-B-C takes 10 + 60 = 70 min < 80: the main road, 20 km."""
    slow = RoadTravel(network(bc_speed=5.0), snap_speed_kmh=6.0)
    assert slow.trip(*A, 0, *C, 0, 0.0)[:2] == (pytest.approx(40.0), pytest.approx(80.0))
    less_slow = RoadTravel(network(bc_speed=10.0), snap_speed_kmh=6.0)
    assert less_slow.trip(*A, 0, *C, 0, 0.0)[:2] == (pytest.approx(20.0), pytest.approx(70.0))


def test_off_road_point_snaps_to_its_nearest_junction_at_snap_speed(roads: PreparedNetwork) -> None:
    """(10, 3) is 3 km from B (12.2 from D, 10.4 from A and C): it snaps to B, and the 3 km are driven at 6 km/h,
    30 min. (10, 3) -> C: 3 km + B-C 10 km = 13 km, 30 + 10 = 40 min; both ends off the road, (10, 3) ->
    (21, 1) (1.41 km from C): 3 + 10 + 1.414 km, (3 + 1.414) x 10 + 10 = 54.14 min."""
    assert roads.snap_one(10.0, 3.0) == (junction(roads, B), pytest.approx(3.0))
    t = RoadTravel(roads, snap_speed_kmh=6.0)
    km, minutes, _ = t.trip(10.0, 3.0, 0, *C, 0, 0.0)
    assert (km, minutes) == (pytest.approx(13.0), pytest.approx(40.0))
    km, minutes, _ = t.trip(10.0, 3.0, 0, 21.0, 1.0, 0, 0.0)
    assert km == pytest.approx(13.0 + math.sqrt(2))
    assert minutes == pytest.approx((3.0 + math.sqrt(2)) * 10.0 + 10.0)
    assert t.estimate(10.0, 3.0, 0, 21.0, 1.0, 0, 0.0) == pytest.approx(minutes)


def test_storm_slows_the_drive_between_junctions(roads: PreparedNetwork) -> None:
    """A storm over C (reach 5 km), factor 0.5, from 0 to 100 min: A -> C takes 20 / 0.5 = 40 min inside it,
    20 after it; A -> D (ending 22 km from C) is not slowed: 20 min."""
    t = RoadTravel(roads, snap_speed_kmh=6.0)
    t.storms.append(storm(0.0, 100.0, factor=0.5, reach=5.0, x0=20.0, y0=0.0))
    assert t.trip(*A, 0, *C, 0, 50.0)[1] == pytest.approx(40.0)
    assert t.estimate(*A, 0, *C, 0, 50.0) == pytest.approx(40.0)
    assert t.trip(*A, 0, *C, 0, 100.0)[1] == pytest.approx(20.0)
    assert t.trip(*A, 0, *D, 0, 50.0)[1] == pytest.approx(20.0)


def test_closed_road_forces_the_detour(roads: PreparedNetwork) -> None:
    """B-C closed from 0 until it reopens at 500 min (the storm's slowdown factor 1: closures only): A -> C must
    go round by D and E, 40 km at 30 km/h = 80 min, flagged road_closed; the centre expects the same; once the
    road has reopened, 20 min again and no special cause."""
    t = RoadTravel(roads, snap_speed_kmh=6.0)
    t.storms.append(storm(0.0, 100.0, factor=1.0, reach=5.0, x0=15.0, closed=closing(roads, (B, C)), reopen=500.0))
    _, minutes, cause = t.trip(*A, 0, *C, 0, 200.0)  # after the storm, before the reopening: still closed
    assert (minutes, cause) == (pytest.approx(80.0), ROAD_CLOSED)
    assert t.estimate(*A, 0, *C, 0, 200.0) == pytest.approx(80.0)
    assert t.trip(*A, 0, *C, 0, 500.0)[1:] == (pytest.approx(20.0), "")
    # A -> B does not use B-C: no detour, no cause
    assert t.trip(*A, 0, *B, 0, 200.0)[1:] == (pytest.approx(10.0), "")


def test_closed_road_detour_km_are_the_detours(roads: PreparedNetwork) -> None:
    """B-C closed: A -> C goes A-D-E-C, 10 + 20 + 10 = 40 km driven."""
    t = RoadTravel(roads, snap_speed_kmh=6.0)
    t.storms.append(storm(0.0, 100.0, factor=1.0, reach=5.0, x0=15.0, closed=closing(roads, (B, C)), reopen=500.0))
    km, _, cause = t.trip(*A, 0, *C, 0, 50.0)
    assert cause == ROAD_CLOSED
    assert km == pytest.approx(40.0)


def test_closure_off_the_route_changes_nothing(roads: PreparedNetwork) -> None:
    """D-E closed: A -> C still takes the main road, 20 min, no special cause."""
    t = RoadTravel(roads, snap_speed_kmh=6.0)
    t.storms.append(storm(0.0, 100.0, factor=1.0, closed=closing(roads, (D, E)), reopen=500.0))
    assert t.trip(*A, 0, *C, 0, 50.0)[1:] == (pytest.approx(20.0), "")


def test_detour_is_slowed_by_the_storm_too(roads: PreparedNetwork) -> None:
    """B-C closed and a slowdown 0.5 within 5 km of C until 100 min: the 80 min detour takes 160 min."""
    t = RoadTravel(roads, snap_speed_kmh=6.0)
    t.storms.append(storm(0.0, 100.0, factor=0.5, reach=5.0, x0=20.0, closed=closing(roads, (B, C)), reopen=500.0))
    assert t.trip(*A, 0, *C, 0, 50.0)[1:] == (pytest.approx(160.0), ROAD_CLOSED)


def test_unreachable_fault_waits_for_the_reopening(roads: PreparedNetwork) -> None:
    """B-C and E-C closed: C cannot be reached. Leaving at 30 min, the unit waits for the reopening at 100 min
    (70 min), then takes the main road (20 min): 90 min, road_closed. Two storms' closures: the first to reopen
    (at 100) ends the wait even though the other (E-C, until 400) is still closed, since then A-B-C is open."""
    t = RoadTravel(roads, snap_speed_kmh=6.0)
    t.storms.append(storm(0.0, 50.0, factor=1.0, closed=closing(roads, (B, C), (E, C)), reopen=100.0))
    assert t.trip(*A, 0, *C, 0, 30.0)[1:] == (pytest.approx(90.0), ROAD_CLOSED)
    assert t.estimate(*A, 0, *C, 0, 30.0) == pytest.approx(90.0)

    two = RoadTravel(roads, snap_speed_kmh=6.0)
    two.storms += [storm(0.0, 50.0, factor=1.0, closed=closing(roads, (B, C)), reopen=100.0),
                   storm(0.0, 50.0, factor=1.0, closed=closing(roads, (E, C)), reopen=400.0)]
    assert two.trip(*A, 0, *C, 0, 30.0)[1:] == (pytest.approx(90.0), ROAD_CLOSED)


def test_unreachable_fault_after_the_wait_takes_the_detour_still_needed(roads: PreparedNetwork) -> None:
    """B-C closed until 400 and E-C until 100: C is cut off until 100, when E-C reopens and the detour A-D-E-C
    (80 min) is open while B-C is still closed. Leaving at 30: wait 70, then the detour, 150 min."""
    t = RoadTravel(roads, snap_speed_kmh=6.0)
    t.storms += [storm(0.0, 50.0, factor=1.0, closed=closing(roads, (B, C)), reopen=400.0),
                 storm(0.0, 50.0, factor=1.0, closed=closing(roads, (E, C)), reopen=100.0)]
    assert t.trip(*A, 0, *C, 0, 30.0)[1:] == (pytest.approx(150.0), ROAD_CLOSED)


def test_road_trip_variability_scales_snap_and_drive_not_the_wait(roads: PreparedNetwork) -> None:
    """Variability factor 2: (10, 3) -> C takes 2 x (30 + 10) = 80 min; the unreachable trip above, 70 min of
    waiting + 2 x 20 min of driving = 110 min (the wait for a reopening does not vary)."""
    t = RoadTravel(roads, snap_speed_kmh=6.0)
    t.variability = np.array([2.0])
    assert t.trip(10.0, 3.0, 0, *C, 0, 0.0)[1] == pytest.approx(80.0)
    t.storms.append(storm(0.0, 50.0, factor=1.0, closed=closing(roads, (B, C), (E, C)), reopen=100.0))
    assert t.trip(*A, 0, *C, 0, 30.0)[1] == pytest.approx(110.0)


def test_the_storm_index_finds_exactly_what_a_scan_of_every_storm_finds() -> None:
    # storms of a long season, some without slowdown or closures, some ending on a bucket's edge, queried in any
    # order (an estimate may look ahead, a wait for a reopening jumps)
    rng = np.random.default_rng(11)
    storms = []
    for _ in range(300):
        start = float(rng.uniform(0, 90 * 1440))
        end = start + float(rng.choice([60.0, rng.uniform(1, 600)]))
        closed = np.zeros(3, bool) if rng.random() < 0.5 else None
        reopen = start + float(rng.uniform(0, 1200)) if closed is not None else math.inf
        storms.append(Slowdown(start, end, float(rng.choice([1.0, 0.7])), 5.0, 0, 0, 0, 0, closed, reopen))
    index = StormIndex(storms)
    times = np.concatenate([rng.uniform(-100, 92 * 1440, 5000), [s.start for s in storms], [s.end for s in storms]])
    for t in rng.permutation(times).tolist():
        assert index.slowing(t) == [k for k, s in enumerate(storms) if s.factor < 1 and s.start <= t < s.end]
        assert index.closing(t) == [k for k, s in enumerate(storms)
                                    if s.closed is not None and s.start <= t < s.reopen]
