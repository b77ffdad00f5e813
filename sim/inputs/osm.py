"""OpenStreetMap road networks, as planners get them, read into a :class:`~sim.inputs.roads.RoadNetwork`.

Why this module: a utility's territory is mapped in OpenStreetMap, and planners bring it as a Geofabrik or BBBike
extract (``.osm.pbf``), an export from the OSM website or JOSM (``.osm`` XML), or a graph someone already built
with OSMnx (``.graphml``). The simulator needs the same thing from all three: the roads a repair truck may drive,
which of them are one-way, their speed limits, their lengths along the curve, and one network in which every
junction can be reached from every other. The files are read with the libraries made for them (pyrosm for PBF,
OSMnx for XML and GraphML; no parsing here), and one set of rules, OSMnx's, is applied to all of them, so the same
area gives the same network whichever format it came in:

- the drivable roads are those of OSMnx's ``network_type="drive"`` filter (:func:`is_drivable`);
- a speed limit is read the way OSMnx reads ``maxspeed`` (:func:`maxspeed_kmh`); an edge without one takes its
  road class's speed (``sim.inputs.roads.DEFAULT_SPEEDS``) when the network is prepared;
- one-way streets follow OSMnx's reading of ``oneway`` and ``junction=roundabout``; a two-way road is one edge;
- an edge is as long as its ``length`` (metres), else its geometry, else the straight line between its ends;
- only the largest strongly connected part is kept (OSMnx's ``retain_all=False``, strongly): an extract clipped
  from a bigger map always has fragments (a driveway cut at the border, a one-way stub), and a crew must be able
  to get from every junction to every other and back.

Coordinates (nodes and the vertices of edge geometries) are longitude and latitude (EPSG:4326) in all three
formats; the caller's ``to_km`` turns them into the scenario's working coordinates (km). OSMnx and pyrosm are
heavy imports (seconds): they are imported inside the readers, only when a file of theirs is read.

>>> maxspeed_kmh("60 mph"), maxspeed_kmh("50;70"), maxspeed_kmh("none")
(96.56064, 60.0, None)
>>> is_drivable({"highway": "residential"}), is_drivable({"highway": "footway"})
(True, False)
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from scipy.sparse import csgraph

from sim.errors import Issue, ScenarioError
from sim.inputs.files import file_problem
from sim.inputs.roads import RoadNetwork, directed_graph

ToKm = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

FORMATS = {".osm.pbf": "pbf", ".pbf": "pbf", ".osm": "xml", ".xml": "xml", ".graphml": "graphml"}
"""File name suffixes read (case-insensitive), and the reader of each: pyrosm (PBF) or OSMnx (XML, GraphML)."""

MAX_BYTES = 4 * 2**30
"""Largest OSM file read (4 GiB: a PBF of a whole country; an XML file is ten times its PBF)."""

# OSMnx's "drive" filter, from osmnx._overpass._get_network_filter (OSMnx 2.1.1) and the default of
# osmnx.settings.default_access ('["access"!~"private"]'): a way is drivable when it has a highway tag and none of
# these Overpass "!~" conditions excludes it. Overpass matches them as regular expressions searched anywhere in
# the value (unanchored, case-sensitive), so "private" also excludes access=private;delivery, and "no" also
# excludes motor_vehicle=unknown; they are matched the same way here, to select exactly the ways OSMnx would.
_EXCLUDE: dict[str, re.Pattern[str]] = {
    "area": re.compile("yes"),
    "access": re.compile("private"),
    "highway": re.compile("abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator|escalator|"
                          "footway|no|path|pedestrian|planned|platform|proposed|raceway|razed|rest_area|service|"
                          "services|steps|track"),
    "motor_vehicle": re.compile("no"),
    "motorcar": re.compile("no"),
    "service": re.compile("alley|driveway|emergency_access|parking|parking_aisle|private"),
}

# OSMnx's one-way rules, from osmnx.graph._add_paths, _is_path_one_way and _is_path_reversed (OSMnx 2.1.1): the
# oneway values meaning one way (T and F from Geofabrik's shapefiles), those of them meaning against the order of
# the way's nodes, and junction=roundabout as one way along the nodes. Exact, case-sensitive matches.
_ONEWAY = frozenset({"yes", "true", "1", "-1", "reverse", "T", "F"})
_REVERSED = frozenset({"-1", "reverse", "T"})

_TAGS = ("highway", "maxspeed", "oneway", "junction", *(k for k in _EXCLUDE if k != "highway"))
"""The way tags the readers need."""

_PAIR_KM = 1e-5
"""Two opposite directed edges between the same nodes, of lengths within this (1 cm), are one two-way road."""

_MPH = 1.609344  # km in a (statute) mile, exactly
_KNOT = 1.852  # km/h in a knot, exactly
_WALK = 6.0  # maxspeed=walk: walking pace (OSM wiki, Key:maxspeed)
_SPEED = re.compile(r"^([0-9]+(?:[.,][0-9]+)?)\s*(km/h|kmh|kph|mph|knots?)?$", re.IGNORECASE)
_NO_LIMIT = frozenset({"", "none", "signals", "variable", "unlimited", "no"})


def _fail(source: str, message: str) -> ScenarioError:
    return ScenarioError(source, [Issue((), message)])


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _values(value: object) -> list[str]:
    """A tag's values as strings: none for a missing one, each element of a list (a simplified OSMnx edge)."""
    if _missing(value):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if not _missing(v)]
    return [str(value)]


def is_drivable(tags: Mapping[str, object]) -> bool:
    """Whether a way with these tags is in OSMnx's ``network_type="drive"`` network: it has a highway tag, and is
    not a footway, cycleway, track, service road and the like, not an area, not private, not closed to motor
    vehicles or cars, and not an alley, driveway or parking aisle. Values are matched as OSMnx's Overpass filter
    matches them (anywhere in the value); for a list (an edge OSMnx simplified from several ways), a value of any
    of its elements excludes it.

    >>> is_drivable({"highway": "primary", "maxspeed": "50"})
    True
    >>> [is_drivable({"highway": h}) for h in ("service", "track", "cycleway", "motorway_link")]
    [False, False, False, True]
    >>> is_drivable({"highway": "residential", "access": "private"}), is_drivable({"highway": "residential",
    ...                                                                             "service": "driveway"})
    (False, False)
    >>> is_drivable({"highway": "tertiary", "motor_vehicle": "no"}), is_drivable({"name": "Main Street"})
    (False, False)
    """
    if not any(h.strip() for h in _values(tags.get("highway"))):
        return False
    return not any(pattern.search(v) for key, pattern in _EXCLUDE.items() for v in _values(tags.get(key)))


@functools.cache
def _implicit_speeds() -> Mapping[str, float]:
    """OSMnx's table of implicit country speed limits (``DE:urban`` -> 50), when this OSMnx has one."""
    try:
        import osmnx.routing  # noqa: PLC0415 (OSMnx is heavy: imported only for a value like "DE:urban")
    except ImportError:
        return {}
    table = getattr(osmnx.routing, "_IMPLICIT_MAXSPEEDS", {})
    return table if isinstance(table, Mapping) else {}


def maxspeed_kmh(value: object) -> float | None:
    """The speed limit in km/h of an OSM ``maxspeed`` value, or None where it sets none (the edge then takes its
    road class's speed). Numbers with an optional unit (km/h by default; mph and knots converted), a decimal comma,
    several values (a list, or ``;`` or ``|`` between them: their mean), ``walk`` (walking pace, 6 km/h) and
    implicit country limits (``DE:urban``, from OSMnx's table) are understood; ``none``, ``signals``,
    ``variable``, empty and missing values, and anything else give None.

    >>> maxspeed_kmh("50"), maxspeed_kmh("50 km/h"), maxspeed_kmh("30,5"), maxspeed_kmh(80)
    (50.0, 50.0, 30.5, 80.0)
    >>> maxspeed_kmh("10 knots"), maxspeed_kmh("40|60"), maxspeed_kmh(["30", "50"]), maxspeed_kmh("walk")
    (18.52, 50.0, 40.0, 6.0)
    >>> maxspeed_kmh("signals"), maxspeed_kmh(float("nan")), maxspeed_kmh(None), maxspeed_kmh("fast")
    (None, None, None, None)
    """
    if _missing(value) or isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        speed = float(value)
        return speed if math.isfinite(speed) and speed > 0 else None
    if not isinstance(value, (list, tuple, str)):
        return None
    if not isinstance(value, str) or ";" in value or "|" in value:  # several values: their mean
        parts: Sequence[object] = re.split(r"[;|]", value) if isinstance(value, str) else value
        found = [s for s in (maxspeed_kmh(p) for p in parts) if s is not None]
        return float(np.mean(found)) if found else None
    text = value.strip()
    match = _SPEED.match(text)
    if match:
        speed = float(match.group(1).replace(",", "."))
        unit = (match.group(2) or "").lower()
        speed *= _MPH if unit == "mph" else _KNOT if unit.startswith("knot") else 1.0
        return speed if speed > 0 else None
    if text.lower() == "walk":
        return _WALK
    if text.lower() in _NO_LIMIT:
        return None
    implicit = _implicit_speeds().get(text)
    return float(implicit) if isinstance(implicit, (int, float)) and implicit > 0 else None


@dataclass
class _Ways:
    """The drivable edges of a file, before the rules common to all formats: nodes in degrees, edges between node
    indices with their tags, length in metres (NaN: none) and geometry (None: none). ``oneway`` None: the edges are
    an OSMnx graph's directed edges (a two-way road both ways); else each edge is a road, one-way where flagged."""

    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    highway: list[object]
    maxspeed: list[object]
    length_m: np.ndarray
    geometry: np.ndarray
    oneway: np.ndarray | None


def read_osm(path: str | Path, to_km: ToKm, name: str | None = None) -> RoadNetwork:
    """The drivable road network of an OpenStreetMap file (``.osm.pbf``/``.pbf``, ``.osm``/``.xml`` or an OSMnx
    ``.graphml``), coordinates through ``to_km(lon, lat)`` into km; ``name`` is the file's name in messages.

    Raises :class:`ScenarioError` (naming the file and what was expected) for a file that is missing, of another
    format, unreadable, or without a drivable road."""
    name = name or str(path)
    path = Path(path)
    lower = path.name.lower()
    kind = next((k for suffix, k in FORMATS.items() if lower.endswith(suffix)), None)
    if kind is None:
        raise _fail(name, f"not an OpenStreetMap file: expected a name ending in {', '.join(FORMATS)} "
                    "(OSM PBF, OSM XML, or a graph saved by OSMnx)")
    problem = file_problem(path, MAX_BYTES)
    if problem:
        raise _fail(name, f"{problem}; expected an OpenStreetMap file")
    if not path.is_file():
        raise _fail(name, "file not found; expected an OpenStreetMap road network (.osm.pbf, .osm or .graphml)")
    reader = {"pbf": _read_pbf, "xml": _read_xml, "graphml": _read_graphml}[kind]
    ways = reader(path, name)
    if ways is None or len(ways.u) == 0:
        raise _fail(name, "no drivable road: expected OpenStreetMap ways with a highway tag that cars may use "
                    "(OSMnx's drive filter)")
    return _network(ways, to_km, name)


def _reason(exc: BaseException, path: Path) -> str:
    """A library's error in one short line, without the file's path (the message names the file)."""
    text = " ".join(str(exc).split()).rstrip(".") or type(exc).__name__
    for p in (f"'{path}'", f'"{path}"', str(path)):
        text = text.replace(p, "the file")
    if len(text) > 200:
        tail = re.search(r"\(([^()]*)\)\.?$", text)
        first = text.split(". ")[0]
        text = f"{first} ({tail.group(1)})" if tail and len(first) + len(tail.group(1)) < 300 else text[:197] + "..."
    return text


_EXPECTED = {"pbf": "OSM PBF, such as a Geofabrik or BBBike extract",
             "xml": 'OSM XML (<osm version="0.6">) with every node its ways use',
             "graphml": "a graph saved by OSMnx (osmnx.save_graphml)"}


def _unreadable(name: str, path: Path, exc: BaseException) -> ScenarioError:
    suffix = next(s for s in FORMATS if path.name.lower().endswith(s))
    return _fail(name, f"not a readable OSM file ({suffix}): {_reason(exc, path)}; expected "
                 f"{_EXPECTED[FORMATS[suffix]]}")


def _osm(pyrosm: Any, path: Path) -> Any:
    if "engine" in inspect.signature(pyrosm.OSM.__init__).parameters:
        return pyrosm.OSM(str(path), engine="in_memory")
    return pyrosm.OSM(str(path))


def _read_pbf(path: Path, name: str) -> _Ways | None:
    import pandas as pd  # noqa: PLC0415 (with pyrosm: only for an OSM file)
    import pyrosm  # noqa: PLC0415 (pyrosm is heavy: imported only when a PBF file is read)

    options: dict[str, Any] = {"network_type": "driving", "nodes": True, "extra_attributes": list(_TAGS)}
    if "tags_to_keep" in inspect.signature(pyrosm.OSM.get_network).parameters:  # pyrosm 0.25: less memory
        options["tags_to_keep"] = list(_TAGS)
    try:
        with warnings.catch_warnings():  # its warnings (an empty result ...) are said here, as a ScenarioError
            warnings.simplefilter("ignore")
            # in memory: pyrosm's default engine keeps its own cache in the temporary folder, which a damaged or
            # stale copy would turn into wrong roads; the prepared network is cached by stormcrew anyway
            got = _osm(pyrosm, path).get_network(**options)
    except Exception as exc:  # noqa: BLE001 (a damaged file raises many kinds of errors in pyrosm)
        raise _unreadable(name, path, exc) from None
    nodes, edges = got if isinstance(got, tuple) else (None, got)
    if nodes is None or edges is None or len(edges) == 0 or len(nodes) == 0:
        return None
    # pyrosm's own "driving" filter has already run; OSMnx's is applied on top, as on the other formats. A tag
    # in extra_attributes is a column whenever a way has it.
    if "highway" not in edges:
        return None
    ok = edges["highway"].notna() & edges["highway"].astype(str).str.strip().ne("")
    for key, pattern in _EXCLUDE.items():
        if key in edges:
            ok &= ~edges[key].astype("string").str.contains(pattern, na=False).astype(bool)
    edges = edges[ok.to_numpy(bool)]
    nodes = nodes.drop_duplicates("id")
    index = pd.Index(nodes["id"].to_numpy())
    u = index.get_indexer(edges["u"].to_numpy())
    v = index.get_indexer(edges["v"].to_numpy())
    known = (u >= 0) & (v >= 0)

    def column(key: str) -> pd.Series:
        return edges[key] if key in edges else pd.Series(None, index=edges.index, dtype=object)

    oneway_tag = column("oneway")
    one = (oneway_tag.isin(_ONEWAY) | column("junction").eq("roundabout")).to_numpy(bool)
    back = one & oneway_tag.isin(_REVERSED).to_numpy(bool)
    u, v = np.where(back, v, u), np.where(back, u, v)
    length = pd.to_numeric(column("length"), errors="coerce").to_numpy(float)
    return _Ways(nodes["lon"].to_numpy(float), nodes["lat"].to_numpy(float), u[known].astype(np.int64),
                 v[known].astype(np.int64), column("highway")[known].tolist(), column("maxspeed")[known].tolist(),
                 length[known], np.asarray(edges.geometry, object)[known] if "geometry" in edges
                 else np.full(int(known.sum()), None, object), one[known])


def _read_xml(path: Path, name: str) -> _Ways | None:
    import osmnx  # noqa: PLC0415 (OSMnx is heavy: imported only when an OSM XML file is read)
    from osmnx._errors import InsufficientResponseError  # noqa: PLC0415 (as above)

    saved = list(osmnx.settings.useful_tags_way)
    osmnx.settings.useful_tags_way = saved + [k for k in _TAGS if k not in saved]  # the drive filter's tags
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = osmnx.graph_from_xml(path, simplify=False, retain_all=True)
    except InsufficientResponseError:  # well-formed XML without a node or way
        return None
    except Exception as exc:  # noqa: BLE001 (XML, SAX, encoding and OSMnx errors)
        raise _unreadable(name, path, exc) from None
    finally:
        osmnx.settings.useful_tags_way = saved
    return _from_graph(graph, name)


def _read_graphml(path: Path, name: str) -> _Ways | None:
    import osmnx  # noqa: PLC0415 (OSMnx is heavy: imported only when a GraphML file is read)
    import pyproj  # noqa: PLC0415 (as above)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = osmnx.load_graphml(path)
            crs = graph.graph.get("crs")
            if crs is not None and not pyproj.CRS.from_user_input(crs).is_geographic and all(
                    "x" in d and "y" in d for _, d in graph.nodes(data=True)):
                graph = osmnx.project_graph(graph, to_latlong=True)  # a projected graph: back to degrees
    except Exception as exc:  # noqa: BLE001 (XML, networkx, type conversion, WKT and CRS errors)
        raise _unreadable(name, path, exc) from None
    return _from_graph(graph, name)


def _from_graph(graph: Any, name: str) -> _Ways | None:
    """The drivable edges of an OSMnx MultiDiGraph (nodes x = longitude, y = latitude)."""
    index: dict[Any, int] = {}
    lon: list[float] = []
    lat: list[float] = []
    for node, data in graph.nodes(data=True):
        x, y = data.get("x"), data.get("y")
        if not isinstance(x, numbers.Real) or not isinstance(y, numbers.Real):
            raise _fail(name, f"node {node} has no x and y coordinates; expected a graph saved by OSMnx "
                        "(osmnx.save_graphml), each node with x (longitude) and y (latitude)")
        index[node] = len(lon)
        lon.append(float(x))
        lat.append(float(y))
    u: list[int] = []
    v: list[int] = []
    highway: list[object] = []
    maxspeed: list[object] = []
    length: list[float] = []
    geometry: list[object] = []
    for a, b, data in graph.edges(data=True):
        if not is_drivable(data):
            continue
        u.append(index[a])
        v.append(index[b])
        highway.append(data.get("highway"))
        maxspeed.append(data.get("maxspeed"))
        metres = data.get("length")
        length.append(float(metres) if isinstance(metres, numbers.Real) else math.nan)
        geometry.append(data.get("geometry"))
    if not u:
        return None
    geoms = np.empty(len(geometry), object)
    geoms[:] = geometry
    return _Ways(np.array(lon), np.array(lat), np.array(u, np.int64), np.array(v, np.int64), highway, maxspeed,
                 np.array(length, float), geoms, None)


def _road_class(highway: object) -> str:
    values = [h.strip() for h in _values(highway) if h.strip()]
    return values[0] if values else "unclassified"


def _speeds(values: list[object]) -> np.ndarray:
    """maxspeed_kmh of each value (NaN for None), each distinct value parsed once."""
    seen: dict[object, float] = {}
    out = np.empty(len(values))
    for i, value in enumerate(values):
        key: object = tuple(value) if isinstance(value, list) else value
        try:
            out[i] = seen[key]
        except KeyError:
            speed = maxspeed_kmh(value)
            out[i] = seen[key] = math.nan if speed is None else speed
        except TypeError:  # unhashable
            speed = maxspeed_kmh(value)
            out[i] = math.nan if speed is None else speed
    return out


def _geometry_km(geoms: np.ndarray, to_km: ToKm) -> np.ndarray:
    """Length in km of each LineString (NaN where there is none) after ``to_km``: the sum of its segments."""
    out = np.full(len(geoms), math.nan)
    has = np.array([isinstance(g, shapely.LineString) and not g.is_empty for g in geoms], bool)
    if not has.any():
        return out
    coords, which = shapely.get_coordinates(geoms[has], return_index=True)
    px, py = (np.asarray(a, float) for a in to_km(coords[:, 0], coords[:, 1]))
    same = which[1:] == which[:-1]
    seg = np.hypot(np.diff(px), np.diff(py))[same]
    out[has] = np.bincount(which[1:][same], weights=seg, minlength=int(has.sum()))
    return out


def _pair(u: np.ndarray, v: np.ndarray, km: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """OSMnx's directed edges as roads: an edge whose opposite edge (same nodes, length within 1 cm) exists is one
    two-way road with its partner dropped; any other is one-way. Returns (keep, oneway)."""
    m = len(u)
    keep = np.ones(m, bool)
    one = np.ones(m, bool)
    if m == 0:
        return keep, one
    lo, hi, fwd = np.minimum(u, v), np.maximum(u, v), u < v
    _, group, counts = np.unique(lo * np.int64(n) + hi, return_inverse=True, return_counts=True)
    group = group.reshape(-1)
    n_fwd = np.bincount(group, weights=fwd, minlength=len(counts)).astype(np.int64)
    order = np.argsort(group, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    simple = np.flatnonzero((counts == 2) & (n_fwd == 1))  # the common case: one edge each way
    a, b = order[starts[simple]], order[starts[simple] + 1]
    close = np.abs(km[a] - km[b]) <= _PAIR_KM
    first, second = np.minimum(a, b)[close], np.maximum(a, b)[close]
    one[first] = False
    keep[second] = False
    for g in np.flatnonzero((counts > 2) & (n_fwd > 0) & (n_fwd < counts)).tolist():  # parallel edges: rare
        members = order[starts[g]:starts[g] + counts[g]].tolist()
        backward = [e for e in members if not fwd[e]]
        for e in (e for e in members if fwd[e]):
            near = [o for o in backward if abs(km[o] - km[e]) <= _PAIR_KM]
            if near:
                partner = min(near, key=lambda o: abs(km[o] - km[e]))
                backward.remove(partner)
                one[min(e, partner)] = False
                keep[max(e, partner)] = False
    return keep, one


def _network(ways: _Ways, to_km: ToKm, name: str) -> RoadNetwork:
    """The rules common to every format: lengths, two-way roads as one edge, no self-loops, the largest strongly
    connected part, nodes renumbered."""
    lon, lat = ways.lon, ways.lat
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()) or (np.abs(lon) > 180).any() \
            or (np.abs(lat) > 90).any():
        raise _fail(name, "node coordinates outside longitude [-180, 180] and latitude [-90, 90]; expected "
                    "OpenStreetMap coordinates in degrees (EPSG:4326)")
    x, y = (np.asarray(a, float).reshape(-1) for a in to_km(lon, lat))
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise _fail(name, "some node coordinates cannot be projected into the scenario's coordinates; expected "
                    "roads within the territory")
    n = len(x)
    u, v = ways.u, ways.v
    loop = u == v
    km = ways.length_m / 1000.0
    need = ~(np.isfinite(km) & (km >= 0))
    if need.any():
        km[need] = _geometry_km(ways.geometry[need], to_km)
        need = ~np.isfinite(km)
        km[need] = np.hypot(x[u[need]] - x[v[need]], y[u[need]] - y[v[need]])
    keep = ~loop
    if ways.oneway is None:
        pair_keep, one = _pair(u[keep], v[keep], km[keep], n)
        idx = np.flatnonzero(keep)[pair_keep]
        one = one[pair_keep]
    else:
        idx = np.flatnonzero(keep)
        one = ways.oneway[idx].astype(bool)
    u, v, km = u[idx], v[idx], km[idx]
    graph = directed_graph(n, u, v, np.ones(len(u)), oneway=one)
    _, labels = csgraph.connected_components(graph, directed=True, connection="strong")
    inside = labels == np.argmax(np.bincount(labels))
    kept = inside[u] & inside[v]
    if not kept.any():
        raise _fail(name, "no drivable road that can be driven from one junction to another and back (one-way "
                    "streets only, none of them in a loop); expected a connected OpenStreetMap road network")
    used = np.flatnonzero(inside)
    remap = -np.ones(n, np.int64)
    remap[used] = np.arange(len(used))
    idx, u, v, km, one = idx[kept], remap[u[kept]], remap[v[kept]], km[kept], one[kept]
    road_class = [_road_class(ways.highway[i]) for i in idx.tolist()]
    speed = _speeds([ways.maxspeed[i] for i in idx.tolist()])
    return RoadNetwork(x[used], y[used], u, v, road_class, speed, km, name, one)
