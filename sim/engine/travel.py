"""Travel between points of the service area: how far and how long, at a given moment (storms slow traffic in
their footprint, and on a road network they close roads).

Two models answer ``trip(x0, y0, z0, x1, y1, z1, now) -> (km, minutes, special_cause)``:

- straight lines: road km = straight km x circuity; half of the way is driven at the origin zone's speed and half
  at the destination zone's, so a trip into the mountains is slowed by mountain roads;
- a road network (sim.inputs.roads): each end snaps to its nearest junction, the snap distance is driven slowly, and the
  shortest time between the junctions comes from the prepared all-pairs table.

A storm with ``slowdown`` < 1 divides the speed of trips ending inside its footprint (within two radii of its
cell) while it lasts. On a road network, storms with ``closures`` close a share of the roads in their footprint
until they reopen: a trip then takes the detour, or, if the fault cannot be reached at all, waits for the first
reopening; such trips carry the special cause ``road_closed``. An optional lognormal factor (``variability``)
spreads each trip's time around the model's.

>>> t = StraightLineTravel(circuity=1.0, speed_kmh=[60.0, 30.0])
>>> t.trip(0, 0, 0, 3, 4, 0, 0.0)[:2], t.trip(0, 0, 0, 3, 4, 1, 0.0)[:2]
((5.0, 5.0), (5.0, 7.5))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csgraph

from sim.engine.faults import FaultTable
from sim.inputs.roads import PreparedNetwork
from sim.scenario.schema import Scenario
from sim.scenario.territory import hub_junctions, load_network
from sim.streams import stream

ROAD_CLOSED = "road_closed"


@dataclass(frozen=True)
class Slowdown:
    """A storm's effect on traffic: from ``start`` to ``end`` (minutes), trips ending within ``reach`` km of its
    cell go at ``factor`` of their speed; ``closed`` flags the network's edges it closes (None: no closures)."""

    start: float
    end: float
    factor: float
    reach: float
    x0: float
    y0: float
    dx: float  # km per minute of the cell's drift
    dy: float
    closed: np.ndarray | None = None
    reopen: float = math.inf


BUCKET_MINUTES = 60.0
"""Width of the time buckets that index storm effects: a query looks only at the storms of its hour."""


class StormIndex:
    """Which storms slow traffic, and which keep roads closed, at a given minute: each storm is listed in the
    hourly buckets its effect spans, so a query costs the same on the first day of a season as on the last, and
    does not depend on the order in which queries come.

    >>> idx = StormIndex([Slowdown(0, 90, 0.5, 1, 0, 0, 0, 0), Slowdown(600, 700, 0.5, 1, 0, 0, 0, 0)])
    >>> idx.slowing(30.0), idx.slowing(120.0), idx.slowing(650.0)
    ([0], [], [1])
    """

    def __init__(self, storms: Sequence[Slowdown]) -> None:
        self.slow: dict[int, list[int]] = {}
        self.close: dict[int, list[int]] = {}
        for k, st in enumerate(storms):
            if st.factor < 1.0 and st.end > st.start:
                self._add(self.slow, k, st.start, st.end)
            if st.closed is not None and st.reopen > st.start:
                self._add(self.close, k, st.start, st.reopen)
        self.storms = storms

    @staticmethod
    def _add(buckets: dict[int, list[int]], k: int, start: float, end: float) -> None:
        first = math.floor(start / BUCKET_MINUTES)
        last = math.floor(min(end, 1e12) / BUCKET_MINUTES)
        for b in range(first, last + 1):
            buckets.setdefault(b, []).append(k)

    def slowing(self, now: float) -> list[int]:
        """Storms slowing traffic at ``now`` (start <= now < end), in storm order."""
        return [k for k in self.slow.get(math.floor(now / BUCKET_MINUTES), ())
                if self.storms[k].start <= now < self.storms[k].end]

    def closing(self, now: float) -> list[int]:
        """Storms keeping roads closed at ``now`` (start <= now < reopen), in storm order."""
        return [k for k in self.close.get(math.floor(now / BUCKET_MINUTES), ())
                if self.storms[k].start <= now < self.storms[k].reopen]


class Travel:
    """What both models share: storm effects and travel-time variability."""

    def __init__(self) -> None:
        self.storms: list[Slowdown] = []
        self.variability: np.ndarray | None = None  # a factor per trip, drawn ahead (common random numbers)
        self._trip_no = 0
        self._index: StormIndex | None = None
        self._indexed = -1  # how many storms the index holds: storms added later rebuild it

    @property
    def index(self) -> StormIndex:
        if self._index is None or self._indexed != len(self.storms):
            self._index, self._indexed = StormIndex(self.storms), len(self.storms)
        return self._index

    def _storm_factor(self, x: float, y: float, now: float) -> float:
        f = 1.0
        for k in self.index.slowing(now):
            s = self.storms[k]
            cx, cy = s.x0 + s.dx * (now - s.start), s.y0 + s.dy * (now - s.start)
            if (x - cx) ** 2 + (y - cy) ** 2 <= s.reach ** 2:
                f = min(f, s.factor)
        return f

    def _vary(self, minutes: float) -> float:
        if self.variability is None or minutes <= 0:
            return minutes
        k = self._trip_no % len(self.variability)
        self._trip_no += 1
        return minutes * float(self.variability[k])

    def trip(self, x0: float, y0: float, z0: int, x1: float, y1: float, z1: int,
             now: float) -> tuple[float, float, str]:
        """(road km, minutes, special cause or "") of a trip starting at ``now``."""
        raise NotImplementedError

    def estimate(self, x0: float, y0: float, z0: int, x1: float, y1: float, z1: int, now: float) -> float:
        """Minutes the dispatch centre expects (no random variation): used to choose units."""
        raise NotImplementedError

    def pace_bound(self) -> float:
        """Minutes per straight km that no ``estimate`` beats (storms only slow, closures only lengthen): dispatch
        leaves far units unasked when nearer ones are sooner. 0 (no bound) unless a model knows better."""
        return 0.0


class StraightLineTravel(Travel):
    """Distances in km and driving times in minutes by straight line and zone speed."""

    def __init__(self, circuity: float, speed_kmh: Sequence[float]):
        super().__init__()
        self.circuity = circuity
        self._pace = [60.0 / v for v in speed_kmh]  # minutes per km, per zone index

    def distance(self, x0: float, y0: float, x1: float, y1: float) -> float:
        """Road km between two points."""
        return math.hypot(x1 - x0, y1 - y0) * self.circuity

    def minutes(self, km: float, zone_from: int, zone_to: int) -> float:
        """Minutes to drive ``km`` road km from a point in ``zone_from`` to one in ``zone_to``."""
        return km * 0.5 * (self._pace[zone_from] + self._pace[zone_to])

    def pace_bound(self) -> float:
        return self.circuity * min(self._pace) * (1 - 1e-9)  # a hair under, against rounding

    def estimate(self, x0: float, y0: float, z0: int, x1: float, y1: float, z1: int, now: float) -> float:
        km = math.hypot(x1 - x0, y1 - y0) * self.circuity
        t = km * 0.5 * (self._pace[z0] + self._pace[z1])
        return t / self._storm_factor(x1, y1, now) if self.storms else t

    def trip(self, x0: float, y0: float, z0: int, x1: float, y1: float, z1: int,
             now: float) -> tuple[float, float, str]:
        km = math.hypot(x1 - x0, y1 - y0) * self.circuity
        t = km * 0.5 * (self._pace[z0] + self._pace[z1])
        if self.storms:
            t /= self._storm_factor(x1, y1, now)
        return km, self._vary(t), ""


class RoadTravel(Travel):
    """Travel over a prepared road network, with storm slowdowns and road closures."""

    def __init__(self, net: PreparedNetwork, snap_speed_kmh: float, hubs: frozenset[int] = frozenset()):
        super().__init__()
        self.net, self.hubs = net, hubs
        self.snap_pace = 60.0 / snap_speed_kmh
        self._snaps: dict[tuple[float, float], tuple[int, float]] = {}
        # per set of closures and source junction: minutes to every junction and each one's predecessor (trips)
        self._detours: dict[tuple[tuple[int, ...], int], tuple[np.ndarray, np.ndarray]] = {}
        # per set of closures and target junction: minutes from every junction (ranking the units for a fault: one
        # search from the fault instead of one from each unit)
        self._towards: dict[tuple[tuple[int, ...], int], np.ndarray] = {}
        self._graphs: dict[tuple[int, ...], Any] = {}  # the graph without the roads each set of storms closed
        self._acts: dict[float, tuple[int, ...]] = {}  # closures active at the minutes asked lately
        self._acts_of = -1  # how many storms they were worked out with

    def snap(self, x: float, y: float) -> tuple[int, float]:
        """The junction a point drives from or to, and the km to it (cached per point)."""
        key = (x, y)
        hit = self._snaps.get(key)
        if hit is None:
            hit = self.net.snap_one(x, y)
            if len(self._snaps) < 200_000:
                self._snaps[key] = hit
        return hit

    def pace_bound(self) -> float:
        # the snap legs are straight, the route between the junctions no faster than the network's bound
        return min(self.snap_pace, self.net.pace_bound) * (1 - 1e-9)

    def _base(self, x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, float, float]:
        a, da = self.snap(x0, y0)
        b, db = self.snap(x1, y1)
        return a, b, da + db, (da + db) * self.snap_pace

    def estimate(self, x0: float, y0: float, z0: int, x1: float, y1: float, z1: int, now: float) -> float:
        a, b, _, snap_t = self._base(x0, y0, x1, y1)
        wait, drive, _, _ = self._route(a, b, x1, y1, now, ranking=True)
        return wait + snap_t + drive

    def _route(self, a: int, b: int, x1: float, y1: float, now: float,
               ranking: bool = False) -> tuple[float, float, str, float]:
        """(minutes waiting for a road to reopen, minutes driving between the junctions, special cause, road km
        between the junctions: of the detour when closed roads force one). ``ranking``: for choosing among units,
        a large network may answer a lower bound for a unit beyond its search (see PreparedNetwork.reach_of)."""
        hub = a in self.hubs
        net = self.net
        drive = net.reach_of(a, b, hub) if ranking else net.minutes(a, b, hub)
        cause, wait, km = "", 0.0, math.nan
        if self.storms:
            closed_t = self._closed_time(a, b, now, ranking)
            if closed_t is not None and closed_t > drive + 1e-9:
                cause = ROAD_CLOSED
                at = now
                while math.isinf(closed_t):  # unreachable: wait for the first reopening, then try again
                    # at the reopening itself, not now + (reopening - now), which floating point need not make equal
                    # to it: a hair before it, the road is still closed and the same reopening comes up for ever
                    at = min(self.storms[k].reopen for k in self._active_closures(at))
                    again = self._closed_time(a, b, at, ranking)
                    closed_t = (net.reach_of(a, b, hub) if ranking else net.minutes(a, b, hub)) if again is None \
                        else again
                wait = at - now
                if closed_t > drive + 1e-9 and not ranking:
                    km = self._detour_km(a, b, at)
                drive = closed_t
            drive /= self._storm_factor(x1, y1, now + wait)
        if ranking:  # only the time counts
            return wait, drive, cause, math.nan
        return wait, drive, cause, net.km(a, b, hub) if math.isnan(km) else km

    def _detour_km(self, a: int, b: int, now: float) -> float:
        """Road km of the fastest route a -> b around the roads closed at ``now`` (walked back from b along the
        predecessors of the detour search)."""
        act = tuple(self._active_closures(now))
        _, pred = self._detours[(act, a)]
        km_of = self._graphs[act][1]
        total, node = 0.0, b
        while node != a:
            prev = int(pred[node])
            total += km_of[(prev, node)]
            node = prev
        return total

    def _active_closures(self, now: float) -> tuple[int, ...]:
        # units ranked for a fault ask at one minute, and at the reopening they would wait for
        acts = self._acts
        if self._acts_of != len(self.storms) or len(acts) > 16:
            acts.clear()
            self._acts_of = len(self.storms)
        act = acts.get(now)
        if act is None:
            act = acts[now] = tuple(self.index.closing(now))
        return act

    def _closed_graphs(self, act: tuple[int, ...]) -> Any:
        graphs = self._graphs.get(act)
        if graphs is None:
            closed = np.zeros(len(self.net.eu), bool)
            for k in act:
                closed |= self.storms[k].closed
            km = self.net.graph_km(closed).tocoo()  # a plain dict: scipy's element access costs ~20 us
            g = self.net.graph(closed)
            _bounded(self._graphs, 150 * len(self.net.eu))  # two graphs and a dict of every road's km
            graphs = self._graphs[act] = (g, dict(zip(
                zip(km.row.tolist(), km.col.tolist(), strict=True), km.data.tolist(), strict=True)), g.T.tocsr())
        return graphs

    def _closed_time(self, a: int, b: int, now: float, ranking: bool = False) -> float | None:
        """Shortest minutes a -> b with today's closed roads, None if nothing is closed; may be inf. ``ranking``:
        from one search towards ``b`` (the same route, its minutes summed the other way round)."""
        act = self._active_closures(now)
        if not act:
            return None
        if ranking:
            towards = self._towards.get((act, b))
            if towards is None:
                towards = csgraph.dijkstra(self._closed_graphs(act)[2], directed=True, indices=b)
                _bounded(self._towards, len(towards) * 8)
                self._towards[(act, b)] = towards
            return float(towards[a])
        hit = self._detours.get((act, a))
        if hit is None:
            dist, pred = csgraph.dijkstra(self._closed_graphs(act)[0], directed=True, indices=[a],
                                          return_predecessors=True)
            _bounded(self._detours, len(dist[0]) * 12)
            hit = self._detours[(act, a)] = (dist[0], pred[0])
        return float(hit[0][b])

    def trip(self, x0: float, y0: float, z0: int, x1: float, y1: float, z1: int,
             now: float) -> tuple[float, float, str]:
        a, b, snap_km, snap_t = self._base(x0, y0, x1, y1)
        wait, drive, cause, km = self._route(a, b, x1, y1, now)
        return snap_km + km, wait + self._vary(snap_t + drive), cause


DETOUR_BYTES = 256 * 2**20
"""Memory for what is kept under road closures, for each kind: the network without the closed roads (per set of
storms), searches from a trip's start, searches towards a fault."""


def _bounded(cache: dict[Any, Any], entry_bytes: int) -> None:
    """Make room for one more entry of ``entry_bytes`` in ``cache``, oldest entries first."""
    while cache and (len(cache) + 1) * entry_bytes > DETOUR_BYTES:
        cache.pop(next(iter(cache)))


def make_travel(sc: Scenario, faults: FaultTable, seed: int, replication: int) -> Travel:
    """The travel model of one replication, with its storms' effects."""
    travel: Travel
    if sc.travel.model == "road_network":
        net = load_network(sc)
        travel = RoadTravel(net, sc.travel.snap_speed_kmh, hub_junctions(sc, net))
    else:
        net = None
        travel = StraightLineTravel(sc.travel.circuity, [z.speed_kmh for z in sc.zones.values()])
    st = sc.arrivals.storms
    if st is not None and (st.slowdown < 1.0 or (st.closures is not None and net is not None)):
        for s in faults.storms:
            reach = 2.0 * s.radius_km
            dx = s.speed_kmh / 60.0 * math.cos(s.heading)
            dy = s.speed_kmh / 60.0 * math.sin(s.heading)
            closed, reopen = None, math.inf
            if st.closures is not None and net is not None:
                rng = stream(seed, replication, "closures", s.key)
                mx = (net.x[net.eu] + net.x[net.ev]) / 2
                my = (net.y[net.eu] + net.y[net.ev]) / 2
                # distance of each road to the segment the cell travels while the storm lasts
                ex, ey = dx * (s.end - s.start), dy * (s.end - s.start)
                seg = ex * ex + ey * ey
                tt = np.clip(((mx - s.x0) * ex + (my - s.y0) * ey) / seg, 0, 1) if seg > 0 else np.zeros(len(mx))
                near = np.hypot(mx - (s.x0 + tt * ex), my - (s.y0 + tt * ey)) <= reach
                closed = near & (rng.random(len(mx)) < st.closures.share)
                reopen = s.start + float(st.closures.duration.sample(rng, 1)[0])
            travel.storms.append(Slowdown(s.start, s.end, st.slowdown, reach, s.x0, s.y0, dx, dy, closed, reopen))
    if sc.travel.variability is not None:
        travel.variability = sc.travel.variability.sample(stream(seed, replication, "travel_variability"), 4096)
    return travel
