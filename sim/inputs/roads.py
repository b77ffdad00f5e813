"""Road networks: read (GeoJSON here, OpenStreetMap in sim.inputs.osm, GIS layers in sim.inputs.roadcache) or
generate, prepare once, answer travel times in microseconds.

Preparation: edges get a driving time from their road class's speed (or their own speed limit) times the terrain
factor of the zone they lie in; chains of degree-2 nodes are collapsed into single edges (a city network of tens
of thousands of nodes shrinks to a few thousand junctions); shortest times and the lengths of those fastest routes
between all remaining junctions are computed with scipy.sparse.csgraph and cached on disk, keyed by a checksum of
the input file and the preparation settings, so the second run starts at once. Each cache entry stores its key and
a sha256 of its arrays; an entry that cannot be read, or whose key or checksum does not match, is rebuilt and
rewritten with a :class:`CacheWarning` naming the file, and a cache that cannot be written is skipped with one. A
point (a fault, a depot) snaps to the nearest junction (a KD-tree), and the snap distance is driven at a slow speed.

>>> net = RoadNetwork.from_edges([(0, 0), (1, 0), (1, 1)], [(0, 1, "primary", None), (1, 2, "primary", None)])
>>> prepared = net.prepare({"primary": 60.0}, snap_speed_kmh=6.0)
>>> len(prepared)  # the middle node, on a chain, is collapsed away
2
>>> (a, b), _ = prepared.snap([0, 1], [0, 1])
>>> round(prepared.minutes(a, b), 6), round(prepared.km(a, b), 6)
(2.0, 2.0)
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from sim.atomic import write_with
from sim.cells import ring as ring_cells
from sim.errors import Issue, ScenarioError
from sim.inputs.coordinates import project

DEFAULT_SPEEDS = {"motorway": 100.0, "trunk": 80.0, "primary": 70.0, "secondary": 60.0, "tertiary": 50.0,
                  "residential": 30.0, "unclassified": 40.0, "service": 20.0, "track": 20.0}
"""km/h by road class (OpenStreetMap names), for edges without their own speed limit."""


PREPARED_VERSION = 4  # 2: entries carry their key and a sha256 of their arrays; 3: one-way edges; 4: segments


_CACHED = ("nx", "ny", "minutes", "km", "eu", "ev", "emin", "elen", "eone", "segs")


class _Damaged(ValueError):
    """A cache entry that reads but is not the complete, unchanged entry it should be."""


class CacheWarning(UserWarning):
    """The disk cache of prepared road networks could not be used: the run goes on without it (or rebuilds)."""


def cache_warning(message: str) -> None:
    """Warn about the disk cache (once per message and process, as warnings do by default)."""
    warnings.warn(message, CacheWarning, stacklevel=3)


def _digest(arrays: dict[str, np.ndarray]) -> str:
    """sha256 over the cached arrays: names, dtypes, shapes and bytes."""
    h = hashlib.sha256()
    for name in _CACHED:
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape};".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _read_entry(path: Path, key: str) -> dict[str, np.ndarray]:
    """The arrays of the cache entry at ``path``; _Damaged (or whatever reading a damaged file raises) when it is
    not the complete, unchanged entry for ``key``."""
    with np.load(path, allow_pickle=False) as z:
        missing = [k for k in (*_CACHED, "key", "sha256") if k not in z.files]
        if missing:
            raise _Damaged(f"no {', '.join(missing)} in it")
        arrays = {k: z[k] for k in _CACHED}
        stored_key, stored_sum = str(z["key"]), str(z["sha256"])
    if stored_key != key:
        raise _Damaged(f"it holds the entry {stored_key!r}, not {key!r}")
    if _digest(arrays) != stored_sum:
        raise _Damaged("its contents do not match their sha256")
    m, k = len(arrays["nx"]), len(arrays["eu"])
    table = (m, m) if m <= DENSE_JUNCTIONS else (0, 0)
    if arrays["ny"].shape != (m,) or arrays["minutes"].shape != table or arrays["km"].shape != table or any(
            arrays[e].shape != (k,) for e in ("ev", "emin", "elen", "eone")) or arrays["segs"].ndim != 2 \
            or arrays["segs"].shape[1] != 4:
        raise _Damaged("its arrays do not fit together")
    return arrays


DENSE_JUNCTIONS = 4000
"""Up to this many junctions, shortest times and route lengths between all of them are computed once (two float32
tables: 128 MB at 4,000); beyond, each source junction's row is computed when a trip first needs it and kept in a
bounded cache, so a county's network prepares in memory linear in its size."""


ROW_BYTES = 256 * 2**20
"""Memory for the rows kept per network in the on-demand mode (each 12 bytes per junction)."""


ROW_REACH = 10.0
"""Minutes a first search towards a target goes in the on-demand mode; a trip from farther searches again, four
times as far each time, then without limit."""


_SNAP_RINGS = 4
"""Rings of grid cells a snap searches before it asks the KD-tree (a point far outside the network)."""


_LIKELY_DETOUR = 2.5
"""A drive's minutes over its straight line at the network's fastest pace, seldom exceeded (roads wind, most are
slower than the fastest): how far a first search towards a target goes."""


MAX_COORDINATE = 1e8
"""Largest coordinate a road may have: metres (1e8 m is 100,000 km, past any territory) or degrees."""


def _fail(source: str, message: str) -> ScenarioError:
    return ScenarioError(source, [Issue((), message)])


@dataclass
class RoadNetwork:
    """Nodes (km coordinates) and edges (u, v, road class, speed limit km/h or None, length km, one-way): an edge
    is driven both ways unless ``oneway`` flags it, and then only from ``u`` to ``v``."""

    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    road_class: list[str]
    speed: np.ndarray  # NaN where the edge has no speed limit of its own
    length: np.ndarray
    source: str = "<network>"
    oneway: np.ndarray | None = None  # None: every edge both ways

    def __post_init__(self) -> None:
        if self.oneway is None:
            self.oneway = np.zeros(len(self.u), bool)

    @classmethod
    def from_edges(cls, nodes: Sequence[tuple[float, float]],
                   edges: Sequence[tuple[Any, ...]], source: str = "<network>") -> RoadNetwork:
        """From node coordinates (km) and (u, v, class, speed limit[, one-way]) edges; lengths are straight
        segments."""
        xy = np.asarray(nodes, float).reshape(-1, 2)
        u = np.array([e[0] for e in edges], np.int64)
        v = np.array([e[1] for e in edges], np.int64)
        length = np.hypot(xy[u, 0] - xy[v, 0], xy[u, 1] - xy[v, 1])
        speed = np.array([math.nan if e[3] is None else float(e[3]) for e in edges])
        return cls(xy[:, 0], xy[:, 1], u, v, [e[2] for e in edges], speed, length, source,
                   np.array([bool(e[4]) if len(e) > 4 else False for e in edges], bool))

    @classmethod
    def from_lines(cls, lines: Sequence[tuple[np.ndarray, str, float | None]], source: str) -> RoadNetwork:
        """From polylines in km (an (n, 2) array each, with its road class and speed limit or None): every vertex is
        a node, shared where two lines meet at the same coordinates."""
        index: dict[tuple[float, float], int] = {}
        nodes: list[tuple[float, float]] = []
        edges: list[tuple[int, int, str, float | None]] = []
        for coords, road_class, speed in lines:
            ids = []
            for cx, cy in np.asarray(coords, float).reshape(-1, 2).tolist():
                key = (cx, cy)
                if key not in index:
                    index[key] = len(nodes)
                    nodes.append(key)
                ids.append(index[key])
            edges += [(a, b, road_class, speed) for a, b in zip(ids, ids[1:], strict=False) if a != b]
        if not edges:
            raise _fail(source, "no LineString features: expected roads as LineStrings")
        return cls.from_edges(nodes, edges, source)

    @classmethod
    def from_geojson(cls, path: str | Path, degrees: bool, origin: tuple[float, float] | None = None,
                     name: str | None = None) -> RoadNetwork:
        """LineStrings (properties ``road_class`` or ``highway``, optional ``speed_kmh`` or ``maxspeed``) of a local
        area: coordinates in degrees (projected to km around ``origin``, default the centre) or in metres."""

        name = name or str(path)
        try:
            data = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise _fail(name, "file not found; expected a GeoJSON road network") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _fail(name, f"not valid GeoJSON (JSON error: {exc})") from None
        except RecursionError:
            raise _fail(name, "not a road network: JSON nested too deeply; expected a GeoJSON FeatureCollection") \
                from None
        except OSError as exc:
            raise _fail(name, f"cannot be read: {exc.strerror or exc}") from None
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection" \
                or not isinstance(data.get("features"), list):
            raise _fail(name, "expected a GeoJSON FeatureCollection with a list of features")
        lines: list[tuple[np.ndarray, str, float | None]] = []
        for i, feat in enumerate(data["features"]):
            if not isinstance(feat, dict):
                raise _fail(name, f"feature {i}: expected a GeoJSON Feature object, got {type(feat).__name__}")
            geom = feat.get("geometry") or {}
            props = feat.get("properties") or {}
            if not isinstance(geom, dict) or not isinstance(props, dict):
                raise _fail(name, f"feature {i}: expected its geometry and properties as JSON objects")
            if geom.get("type") != "LineString":
                continue
            coords = geom.get("coordinates")
            if not isinstance(coords, list) or len(coords) < 2 or not all(
                    isinstance(c, list) and len(c) >= 2 and all(isinstance(a, (int, float)) and not isinstance(
                        a, bool) and abs(a) <= MAX_COORDINATE for a in c[:2])  # NaN and inf fail the bound too
                    for c in coords):
                raise _fail(name, f"feature {i}: expected a LineString of at least two finite [x, y] coordinates "
                            f"(within ±{MAX_COORDINATE:g})")
            speed = props.get("speed_kmh", props.get("maxspeed"))
            try:
                speed = float(speed) if speed is not None else None
            except (TypeError, ValueError):
                speed = None
            lines.append((np.array([c[:2] for c in coords], float),
                          str(props.get("road_class", props.get("highway", "unclassified"))), speed))
        if not lines:
            raise _fail(name, "no LineString features: expected roads as LineStrings")
        if degrees:
            allc = np.concatenate([c for c, _, _ in lines])
            if (np.abs(allc[:, 0]) > 180).any() or (np.abs(allc[:, 1]) > 90).any():
                raise _fail(name, "travel.units is degrees, but some coordinates are outside longitude [-180, 180] "
                            "and latitude [-90, 90]; expected degrees (or units: metres)")
            o = origin or (float(allc[:, 0].mean()), float(allc[:, 1].mean()))
            lines = [(np.column_stack(project(c[:, 0], c[:, 1], o)), k, v) for c, k, v in lines]
        else:
            lines = [(c / 1000.0, k, v) for c, k, v in lines]
        return cls.from_lines(lines, name)

    def checksum(self) -> str:
        """sha256 of the network's geometry and attributes."""
        h = hashlib.sha256()
        for a in (self.x, self.y, self.u, self.v, self.speed, self.length, self.oneway):
            h.update(np.ascontiguousarray(a).tobytes())
        h.update("\n".join(self.road_class).encode())
        return h.hexdigest()

    def prepare(self, speeds: dict[str, float] | None = None, terrain: Callable[[np.ndarray, np.ndarray],
                                                                                np.ndarray] | None = None,
                snap_speed_kmh: float = 15.0, keep: Sequence[tuple[float, float]] = (),
                cache: str | Path | None = None, key: str | None = None) -> PreparedNetwork:
        """Driving times, collapsed chains, all-pairs shortest times and route lengths (see the module).

        ``terrain(x, y)`` gives a speed factor for edge midpoints (mountain roads slower); ``keep``: points
        whose nearest junction must survive the collapse (depots, staging points). ``key``: the cache entry's name
        when the caller knows it before reading the network (from the file's bytes: see ``cached``)."""
        spd = {**DEFAULT_SPEEDS, **(speeds or {})}
        speed = np.where(np.isnan(self.speed), [spd.get(c, spd["unclassified"]) for c in self.road_class],
                         self.speed)
        mx, my = (self.x[self.u] + self.x[self.v]) / 2, (self.y[self.u] + self.y[self.v]) / 2
        factor = terrain(mx, my) if terrain is not None else np.ones(len(mx))
        minutes = self.length / np.maximum(speed * factor, 1e-6) * 60.0
        if key is None:  # (a caller that names the entry has looked for it already)
            key = hashlib.sha256(json.dumps([PREPARED_VERSION, self.checksum(), sorted(spd.items()),
                                             hashlib.sha256(minutes.tobytes()).hexdigest(), snap_speed_kmh,
                                             [list(map(float, k)) for k in keep]]).encode()).hexdigest()[:20]
            hit = cached(cache, key, snap_speed_kmh, self.source)
            if hit is not None:
                return hit
        path = Path(cache) / f"roads-{key}.npz" if cache is not None else None
        n = len(self.x)
        keep_nodes = set(cKDTree(np.column_stack([self.x, self.y])).query(np.asarray(keep, float).reshape(-1, 2))[1]
                         .tolist()) if len(keep) else set()
        assert self.oneway is not None
        cu, cv, cmin, clen, cone = collapse(n, self.u, self.v, minutes, self.length, keep_nodes, self.oneway)
        used = np.unique(np.concatenate([cu, cv]))
        remap = -np.ones(n, np.int64)
        remap[used] = np.arange(len(used))
        m = len(used)
        u2, v2 = remap[cu], remap[cv]
        g_min = directed_graph(m, u2, v2, cmin, oneway=cone)
        g_len = directed_graph(m, u2, v2, cmin, clen, oneway=cone)  # the km of the fastest of parallel edges
        n_comp, labels = csgraph.connected_components(g_min, directed=True, connection="strong")
        if n_comp > 1:
            sizes = np.bincount(labels)
            raise _fail(self.source, f"the road network is not connected: {n_comp} separate parts (largest "
                        f"{sizes.max()} of {m} junctions); expected every road reachable from every other"
                        + (", one-way streets included" if cone.any() else ""))
        if m <= DENSE_JUNCTIONS:
            d_min64, pred = csgraph.dijkstra(g_min, directed=True, return_predecessors=True)
            d_min = d_min64.astype(np.float32)
            d_len = route_lengths(d_min64, pred, g_len).astype(np.float32)
        else:  # a county: each source's row when a trip first needs it (memory linear in the network)
            d_min = d_len = np.zeros((0, 0), np.float32)
        segs = np.column_stack([self.x[self.u], self.y[self.u], self.x[self.v], self.y[self.v]])
        out = PreparedNetwork(self.x[used], self.y[used], d_min, d_len, snap_speed_kmh, self.source, u2, v2, cmin,
                              clen, cone, segs)
        if path is not None:
            arrays = {"nx": out.x, "ny": out.y, "minutes": d_min, "km": d_len, "eu": u2, "ev": v2, "emin": cmin,
                      "elen": clen, "eone": cone, "segs": segs}
            try:
                write_with(path, lambda tmp: np.savez(tmp, **arrays, key=np.array(key),
                                                      sha256=np.array(_digest(arrays))), suffix=".npz")
            except OSError as exc:
                cache_warning(f"road cache {path.parent}: cannot write {path.name} ({exc.strerror or exc}); "
                              "going on without the disk cache")
        return out


def cached(cache: str | Path | None, key: str, snap_speed_kmh: float, source: str) -> PreparedNetwork | None:
    """The prepared network of cache entry ``key``, or None when there is none; a damaged entry is None with a
    CacheWarning (it is rebuilt and rewritten)."""
    if cache is None:
        return None
    path = Path(cache) / f"roads-{key}.npz"
    if not path.exists():
        return None
    try:
        z = _read_entry(path, key)
    except Exception as exc:  # whatever a damaged file raises (zip, zlib, pickle, EOF ...): rebuild
        reason = str(exc).strip() if isinstance(exc, (_Damaged, zipfile.BadZipFile)) else ""
        reason = reason or f"unreadable: {type(exc).__name__}"
        cache_warning(f"road cache {path} was damaged ({reason}); rebuilt it")
        return None
    return PreparedNetwork(z["nx"], z["ny"], z["minutes"], z["km"], snap_speed_kmh, source, z["eu"], z["ev"],
                           z["emin"], z["elen"], z["eone"], z["segs"])


def collapse(n: int, u: np.ndarray, v: np.ndarray, minutes: np.ndarray, length: np.ndarray,
             keep: set[int] = frozenset(),  # type: ignore[assignment]
             oneway: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Replace chains through degree-2 nodes by single edges (times and lengths added). Parallel routes between
    the same two junctions are all kept (a closure may close one and leave the other). A one-way chain stays one
    way (from its first node to its last); a node where a one-way street meets a two-way one, or two one-way
    streets that both enter or both leave it, stays a junction. Returns the edges between the remaining nodes:
    (u, v, minutes, km, one-way), two-way edges with u < v.

    >>> u, v, t, km, one = collapse(4, np.array([0, 1, 2]), np.array([1, 2, 3]), np.ones(3), np.ones(3))
    >>> u, v, t, km, one
    (array([0]), array([3]), array([3.]), array([3.]), array([False]))
    >>> collapse(3, np.array([0, 2]), np.array([1, 1]), np.ones(2), np.ones(2), oneway=np.array([True, True]))[0]
    array([0, 2])
    """
    one = np.zeros(len(u), bool) if oneway is None else np.asarray(oneway, bool)
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for k, (a, b) in enumerate(zip(u.tolist(), v.tolist(), strict=True)):
        adj[a].append((b, k))
        adj[b].append((a, k))
    degree = np.array([len(a) for a in adj])
    junction = (degree != 2) | np.isin(np.arange(n), list(keep))
    touches_oneway = np.zeros(n, bool)
    touches_oneway[u[one]] = touches_oneway[v[one]] = True
    for node in np.flatnonzero(~junction & touches_oneway).tolist():
        (_, k1), (_, k2) = adj[node]
        # a one-way chain passes through only as one edge in and one edge out
        if not (one[k1] and one[k2] and (int(v[k1]) == node) != (int(v[k2]) == node)):
            junction[node] = True
    seen = np.zeros(len(u), bool)
    found: list[tuple[int, int, float, float, bool]] = []

    def add(a: int, b: int, t: float, km: float, forward: bool | None) -> None:
        if a == b:
            return
        if forward is None:
            found.append((min(a, b), max(a, b), t, km, False))
        else:
            found.append((a, b, t, km, True) if forward else (b, a, t, km, True))

    for start in np.flatnonzero(junction).tolist():
        for nxt, k in adj[start]:
            if seen[k]:
                continue
            seen[k] = True
            forward = (int(u[k]) == start) if one[k] else None
            t, km, node = float(minutes[k]), float(length[k]), nxt
            while not junction[node]:
                (n1, k1), (n2, k2) = adj[node]
                nk, kk = (n2, k2) if k1 == k or seen[k1] else (n1, k1)
                if seen[kk]:
                    break
                seen[kk] = True
                t += float(minutes[kk])
                km += float(length[kk])
                node, k = nk, kk
            add(start, node, t, km, forward)
    # rings made only of degree-2 nodes have no junction: keep one node of each as a junction
    for k in np.flatnonzero(~seen).tolist():
        if not seen[k]:
            a, b = int(u[k]), int(v[k])
            seen[k] = True
            add(a, b, float(minutes[k]), float(length[k]), True if one[k] else None)
    found.sort()
    return (np.array([k[0] for k in found], np.int64), np.array([k[1] for k in found], np.int64),
            np.array([k[2] for k in found], float), np.array([k[3] for k in found], float),
            np.array([k[4] for k in found], bool))


def directed_graph(m: int, u: np.ndarray, v: np.ndarray, w: np.ndarray,
             value: np.ndarray | None = None, oneway: np.ndarray | None = None) -> sparse.csr_matrix:
    """Directed graph of ``m`` nodes: each edge both ways unless ``oneway`` flags it (then u -> v only), keeping
    the smallest weight of parallel edges; with ``value``, the matrix holds that edge's ``value`` (its km)
    instead of its weight."""
    both = np.ones(len(u), bool) if oneway is None else ~np.asarray(oneway, bool)
    val = w if value is None else value
    u, v, w, val = (np.concatenate([u, v[both]]), np.concatenate([v, u[both]]), np.concatenate([w, w[both]]),
                    np.concatenate([val, val[both]]))
    order = np.lexsort((w, v, u))
    u, v, val = u[order], v[order], val[order]
    first = np.ones(len(u), bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return sparse.coo_matrix((val[first], (u[first], v[first])), shape=(m, m)).tocsr()


def route_lengths(times: np.ndarray, pred: np.ndarray, edge_km: sparse.csr_matrix) -> np.ndarray:
    """Length of every fastest route, from dijkstra's predecessors, by pointer jumping (log n numpy steps)."""
    m = times.shape[0]
    rows = np.arange(m)[:, None]
    parent = np.where(pred < 0, rows, pred)
    dense = edge_km.toarray()
    step = np.where(pred < 0, 0.0, dense[parent, np.arange(m)[None, :]])
    total = step.copy()
    jump = parent.copy()
    for _ in range(max(1, int(np.ceil(np.log2(max(m, 2)))) + 1)):
        total = total + total[rows, jump] * (jump != rows)
        jump = jump[rows, jump]
        if (jump == rows).all():
            break
    return total


@dataclass
class PreparedNetwork:
    """Junctions (km), all-pairs shortest minutes and route km (float32), and the collapsed edges."""

    x: np.ndarray
    y: np.ndarray
    minutes_matrix: np.ndarray
    km_matrix: np.ndarray
    snap_speed_kmh: float
    source: str
    eu: np.ndarray
    ev: np.ndarray
    emin: np.ndarray
    elen: np.ndarray
    eone: np.ndarray | None = None  # one-way edges (eu -> ev only); None: none
    segments: np.ndarray | None = None  # the roads as drawn, before the collapse: (x0, y0, x1, y1) km per segment
    _tree: Any = field(default=None, repr=False)
    _rows: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, float]] = field(default_factory=dict, repr=False)
    _from: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.eone is None:
            self.eone = np.zeros(len(self.eu), bool)
        self._tree = cKDTree(np.column_stack([self.x, self.y]))
        # whether the all-pairs tables are there (small networks) or rows come on demand (large ones)
        self.dense = self.minutes_matrix.shape[0] == len(self.x) and len(self.x) > 0

    def to(self, b: int, reach: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Towards junction ``b``: the shortest minutes from every junction and, along each one's fastest route, the
        next junction and the km to it; searched backwards from ``b`` up to ``reach`` minutes (None: as far as the
        first search went; junctions beyond come out infinite). Returns (minutes, next junction, km to it, reach).
        Cached per target (faults and depots are the targets; units drive from anywhere), within ROW_BYTES, least
        recently used dropped first."""
        hit = self._rows.pop(b, None)
        if hit is None or (reach is not None and reach > hit[3]):
            g_min, g_len = self._backward  # a search from b along roads driven towards b
            limit = ROW_REACH if reach is None else reach
            dist, nxt = csgraph.dijkstra(g_min, directed=True, indices=b, return_predecessors=True, limit=limit)
            step = np.zeros(len(nxt), np.float32)
            on = np.flatnonzero(nxt >= 0)
            step[on] = np.asarray(g_len[nxt[on], on]).ravel()
            hit = (dist.astype(np.float32), nxt.astype(np.int32), step, limit)
            while self._rows and (len(self._rows) + 1) * len(nxt) * 12 > ROW_BYTES:
                self._rows.pop(next(iter(self._rows)))
        self._rows[b] = hit  # most recently used last
        return hit

    def reach_of(self, a: int, b: int, hub: bool = False) -> float:
        """Minutes a -> b if within ROW_REACH of ``b`` (or from a ``hub``), else a lower bound: ROW_REACH, or the
        straight line at the network's top speed if more. What a dispatch centre ranking many units needs: exact for
        the near ones, an estimate for the far ones, without searching the whole county for them. The answer does not
        depend on how far earlier trips made the search towards ``b`` go (rows are shared by the replications a
        process runs, and results must not depend on which ran before)."""
        if self.dense:
            return float(self.minutes_matrix[a, b])
        if hub:
            return float(self.from_hub(a)[0][b])
        d = float(self.to(b)[0][a])
        if d <= ROW_REACH:
            return d
        return max(ROW_REACH, math.hypot(self.x[a] - self.x[b], self.y[a] - self.y[b]) / self.top_speed)

    @functools.cached_property
    def pace_bound(self) -> float:
        """Minutes per straight km that no route beats: the least of each road's minutes per straight km between its
        ends (by the triangle inequality a route is no faster) and the inverse of the top speed ``reach_of`` assumes.
        Dispatch ranks far units by it without asking for their routes."""
        if not len(self.eu):
            return 0.0
        straight = np.hypot(self.x[self.eu] - self.x[self.ev], self.y[self.eu] - self.y[self.ev])
        on = straight > 0
        least = float(np.min(self.emin[on] / straight[on])) if on.any() else math.inf
        return max(0.0, min(least, 1.0 / self.top_speed))

    @functools.cached_property
    def _forward(self) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """The junction graph's minutes and km, built once (the on-demand mode searches them many times)."""
        return self.graph(), self.graph_km()

    @functools.cached_property
    def _backward(self) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """The same graphs with every road reversed: a search from a target finds the routes towards it."""
        return self._forward[0].T.tocsr(), self._forward[1].T.tocsr()

    @functools.cached_property
    def top_speed(self) -> float:
        """The fastest edge's km per minute."""
        return float(np.max(self.elen / np.maximum(self.emin, 1e-9))) if len(self.emin) else 1.0

    def from_hub(self, a: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """From hub junction ``a`` (a depot, a staging point): minutes to every junction, each one's predecessor on
        its fastest route and the km from it; searched once, in full, and kept (the few places most trips start)."""
        hit = self._from.get(a)
        if hit is None:
            forward, forward_km = self._forward
            dist, prev = csgraph.dijkstra(forward, directed=True, indices=a, return_predecessors=True)
            step = np.zeros(len(prev), np.float32)
            on = np.flatnonzero(prev >= 0)
            step[on] = np.asarray(forward_km[prev[on], on]).ravel()
            hit = self._from[a] = (dist.astype(np.float32), prev.astype(np.int32), step)
        return hit

    def _exact(self, a: int, b: int, km_too: bool = True, hub: bool = False) -> tuple[float, float]:
        if hub:
            dist, prev, step = self.from_hub(a)
            if not km_too:
                return float(dist[b]), math.nan
            km, node = 0.0, b
            while node != a and prev[node] >= 0:  # back along the route from b to the hub
                km += float(step[node])
                node = int(prev[node])
            return float(dist[b]), km
        # search as far as the drive probably is at once (the straight line at a typical pace), not 10 minutes, then
        # 40, then 160: each wider search repeats the narrower one
        likely = _LIKELY_DETOUR * self.pace_bound * math.hypot(self.x[a] - self.x[b], self.y[a] - self.y[b])
        dist, nxt, step, reach = self.to(b, max(ROW_REACH, likely) if likely < ROW_REACH * 256 else math.inf)
        while not math.isfinite(dist[a]) and math.isfinite(reach):
            dist, nxt, step, reach = self.to(b, reach * 4 if reach * 4 < ROW_REACH * 256 else math.inf)
        if not km_too:
            return float(dist[a]), math.nan
        km, node = 0.0, a
        while node != b and nxt[node] >= 0:  # along the route, one junction after another
            km += float(step[node])
            node = int(nxt[node])
        return float(dist[a]), km

    def __len__(self) -> int:
        return len(self.x)

    def snap(self, x: float | np.ndarray, y: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest junction of each point, and the straight km to it."""
        d, i = self._tree.query(np.column_stack([np.atleast_1d(x), np.atleast_1d(y)]))
        return np.asarray(i, np.int64), np.asarray(d, float)

    def snap_one(self, x: float, y: float) -> tuple[int, float]:
        """Nearest junction of one point, and the straight km to it. Trips and dispatch call this for every unit on
        the move, so a point is looked up in a grid of about two junctions a cell (a few microseconds, where the
        KD-tree's call costs ten); a point far from every junction, or as near to two (a depot on a grid), goes to
        the KD-tree, so that the answer is always the tree's.

        >>> net = PreparedNetwork(np.array([0.0, 3.0]), np.array([0.0, 4.0]), np.zeros((0, 0), np.float32),
        ...     np.zeros((0, 0), np.float32), 15.0, "two junctions", np.zeros(0, np.int64), np.zeros(0, np.int64),
        ...     np.zeros(0), np.zeros(0))
        >>> net.snap_one(2.9, 3.9)[0], net.snap_one(-50.0, 0.0)
        (1, (0, 50.0))
        """
        cells, size, xs, ys = self._grid
        ci, cj = math.floor(x / size), math.floor(y / size)
        best, best_d2, tied = -1, math.inf, False
        for ring in range(_SNAP_RINGS):
            for cell in ring_cells(ci, cj, ring):
                for k in cells.get(cell, ()):
                    dx, dy = xs[k] - x, ys[k] - y
                    d2 = dx * dx + dy * dy
                    if d2 < best_d2:
                        best, best_d2, tied = k, d2, False
                    elif d2 == best_d2:
                        tied = True
            edge = min(x - (ci - ring) * size, (ci + ring + 1) * size - x, y - (cj - ring) * size,
                       (cj + ring + 1) * size - y)
            if best_d2 < edge * edge and not tied:  # no junction outside the square searched is as near
                return best, math.sqrt(best_d2)
        d, i = self._tree.query((x, y))
        return int(i), float(d)

    @functools.cached_property
    def _grid(self) -> tuple[dict[tuple[int, int], tuple[int, ...]], float, list[float], list[float]]:
        n = len(self.x)
        if n == 0:
            return {}, 1.0, [], []
        wide, high = float(np.ptp(self.x)), float(np.ptp(self.y))
        area = max(wide * high, max(wide, high) ** 2 / n, 1e-12)  # a network along a line: cells along it
        size = max(math.sqrt(2.0 * area / n), 1e-6)
        ci, cj = np.floor(self.x / size).astype(np.int64), np.floor(self.y / size).astype(np.int64)
        cells: dict[tuple[int, int], list[int]] = {}
        for k, cell in enumerate(zip(ci.tolist(), cj.tolist(), strict=True)):
            cells.setdefault(cell, []).append(k)
        return {c: tuple(v) for c, v in cells.items()}, size, self.x.tolist(), self.y.tolist()

    def minutes(self, a: int, b: int, hub: bool = False) -> float:
        """Shortest driving minutes between junctions ``a`` and ``b`` (``hub``: ``a`` is a place many trips start
        from, a depot or a staging point, searched from once, in full, and kept)."""
        return float(self.minutes_matrix[a, b]) if self.dense else self._exact(a, b, False, hub)[0]

    def km(self, a: int, b: int, hub: bool = False) -> float:
        """Road km of the fastest route between junctions ``a`` and ``b``."""
        return float(self.km_matrix[a, b]) if self.dense else self._exact(a, b, True, hub)[1]

    def graph(self, closed: np.ndarray | None = None) -> sparse.csr_matrix:
        """The directed junction graph (fastest minutes per pair) with the edges flagged in ``closed`` removed."""
        keep = np.ones(len(self.eu), bool) if closed is None else ~closed
        assert self.eone is not None
        return directed_graph(len(self.x), self.eu[keep], self.ev[keep], self.emin[keep], oneway=self.eone[keep])

    def graph_km(self, closed: np.ndarray | None = None) -> sparse.csr_matrix:
        """The km of the edges ``graph(closed)`` keeps (of parallel edges, the fastest one's)."""
        keep = np.ones(len(self.eu), bool) if closed is None else ~closed
        assert self.eone is not None
        return directed_graph(len(self.x), self.eu[keep], self.ev[keep], self.emin[keep], self.elen[keep],
                        self.eone[keep])
