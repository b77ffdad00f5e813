"""Zones as polygons and depots / staging points from GIS files: point location, uniform faults in a polygon
(tested against the areas), GeoJSON in metres and degrees agreeing, bad GIS input naming the file and the place,
and paths of a base scenario staying relative to the file that writes them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

import sim
from sim.cli import main
from sim.engine.faults import generate
from sim.inputs.coordinates import KM_PER_DEGREE_LAT, KM_PER_DEGREE_LON_EQUATOR
from sim.inputs.zones import ZoneMap
from tests.conftest import DEFAULT_SCENARIO

# An L-shaped zone (a 10 x 10 km square less its upper-right 5 x 5 quarter, area 75 km²) with a 1 x 1 km lake
# (a hole) at [1, 1]-[2, 2], and a box zone overlapping its right edge.
L_SHAPE = ((0, 0), (10, 0), (10, 5), (5, 5), (5, 10), (0, 10))
LAKE = ((1, 1), (2, 1), (2, 2), (1, 2))


def zones() -> ZoneMap:
    return ZoneMap([(None, (L_SHAPE, LAKE)), ((8.0, 0.0, 20.0, 10.0), None)])


def test_locate_counts_boundaries_holes_and_scenario_order() -> None:
    zm = zones()
    x = [0.5, 7.0, 1.5, 5.0, 9.0, 9.0, 12.0, 30.0]
    y = [0.5, 7.0, 1.5, 5.0, 1.0, 7.0, 1.0, 1.0]
    # inside; in the cut-out quarter; in the lake; on the inner corner; in both (first wins); box only x2; none
    assert zm.locate(x, y).tolist() == [0, -1, -1, 0, 0, 1, 1, -1]
    assert zm.locate(x, y, among=[1, 0]).tolist() == [0, -1, -1, 0, 1, 1, 1, -1]
    assert zm.area(0) == pytest.approx(74.0) and zm.bounds(0) == (0.0, 0.0, 10.0, 10.0)
    cx, cy = zm.centre(0)
    assert zm.locate([cx], [cy]).tolist() == [0]


def test_points_in_a_polygon_are_uniform_over_its_area() -> None:
    """The share of points in each part of the L (lower strip, left column, less the lake) must match its share of
    the area, within the 99.9 % binomial interval of n draws."""
    zm = zones()
    n = 40_000
    x, y = zm.sample(np.random.default_rng(11), 0, n)
    assert len(x) == n and (zm.locate(x, y) == 0).all()
    parts = {"lower strip y < 5": ((y < 5), (50.0 - 1.0) / 74.0), "left column y >= 5": ((y >= 5), 25.0 / 74.0),
             "lower left quarter": ((x < 5) & (y < 5), (25.0 - 1.0) / 74.0)}
    for name, (sel, p) in parts.items():
        half = 3.29 * math.sqrt(p * (1 - p) / n)
        assert abs(sel.mean() - p) <= half, (name, sel.mean(), p, half)


def test_clamp_moves_outside_points_to_the_nearest_boundary() -> None:
    zm = zones()
    x, y = zm.clamp(0, np.array([7.0, 3.0, -4.0]), np.array([9.0, 3.0, 5.0]))
    assert np.allclose(x, [5.0, 3.0, 0.0]) and np.allclose(y, [9.0, 3.0, 5.0])


def test_faults_of_the_default_season_fall_inside_their_zone_polygons() -> None:
    sc = sim.load_scenario(DEFAULT_SCENARIO).with_changes(horizon=40 * 1440.0)
    assert all(z.area.polygon is not None for z in sc.zones.values())
    f = generate(sc, sc.seed, 0)
    assert len(f) > 100 and (f.storm >= 0).any()
    assert (sc.zone_map().locate(f.x, f.y) == f.zone).all()


def _area_file(path: Path, to_coords, extra: list[dict] | None = None) -> None:  # type: ignore[no-untyped-def]
    """Two zones, a depot and two staging points; ``to_coords`` maps km to the file's units."""
    def poly(ring: list[tuple[float, float]], zone: str) -> dict:
        return {"type": "Feature", "properties": {"zone": zone},
                "geometry": {"type": "Polygon", "coordinates": [[to_coords(p) for p in [*ring, ring[0]]]]}}

    def point(p: tuple[float, float], **props: str) -> dict:
        return {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": to_coords(p)}}

    feats = [poly([(0, 0), (10, 0), (10, 10), (0, 10)], "town"),
             poly([(10, 0), (30, 0), (20, 15), (10, 10)], "farms"),
             point((5, 5), depot="main"), point((20, 5), staging="main/van"), point((15, 8), staging="main")]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats + (extra or [])}))


SCENARIO = """
name: gis
horizon: 10 d
replications: 2
seed: 3
zones:
  town: {limits: {arrive: 30, restore: 240}, speed_kmh: 30, area: {file: area.geojson}}
  farms: {limits: {arrive: 60, restore: 360}, speed_kmh: 50, area: {file: area.geojson}}
fault_types:
  fuse: {skills: [line], repair: 60, van: {fixes: 0.5}}
arrivals:
  per_day: {town: {fuse: 2}, farms: {fuse: 1}}
depots:
  main:
    zone: town
    location: {file: area.geojson}
    units:
      - {name: crew, skills: [line], count: 2}
      - {name: van, kind: van, count: 1, staging: {file: area.geojson}}
travel: {units: metres}
"""


def test_zones_depots_and_staging_points_come_from_a_geojson_file(tmp_path: Path) -> None:
    _area_file(tmp_path / "area.geojson", lambda p: [p[0] * 1000, p[1] * 1000])
    (tmp_path / "s.yaml").write_text(SCENARIO)
    sc = sim.load_scenario(tmp_path / "s.yaml")
    assert sc.depots["main"].location == (5.0, 5.0)
    assert sc.depots["main"].units[1].staging == [(20.0, 5.0), (15.0, 8.0)]
    zm = sc.zone_map()
    assert zm.area(0) == pytest.approx(100.0) and zm.area(1) == pytest.approx(200.0)
    assert zm.locate([5, 20, 29], [5, 5, 14]).tolist() == [0, 1, -1]
    # the resolved scenario carries the polygons: it loads again with no file beside it
    again = sim.load_scenario(yaml.safe_load(yaml.safe_dump(sc.resolved(), sort_keys=False)))
    assert again.zone_map().area(1) == pytest.approx(200.0) and again.zones["farms"].area.file == "area.geojson"
    res = sim.run(sc, replications=2)
    assert (zm.locate(res.faults["x_km"], res.faults["y_km"]) >= 0).all()


def test_a_file_in_degrees_gives_the_same_km_as_one_in_metres(tmp_path: Path) -> None:
    origin = (-72.6, 42.3)
    k_lon = KM_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(origin[1]))
    _area_file(tmp_path / "area.geojson", lambda p: [origin[0] + p[0] / k_lon, origin[1] + p[1] / KM_PER_DEGREE_LAT])
    (tmp_path / "s.yaml").write_text(SCENARIO.replace("travel: {units: metres}",
                                                      f"travel: {{units: degrees, origin: {list(origin)}}}"))
    sc = sim.load_scenario(tmp_path / "s.yaml")
    assert sc.depots["main"].location == pytest.approx((5.0, 5.0), abs=1e-6)
    assert sc.zone_map().area(1) == pytest.approx(200.0, rel=1e-6)


BAD_GIS = [
    ("missing", None, "zones.town.area", "area.geojson: file not found"),
    ("not json", "{roads", "zones.town.area", "area.geojson: not valid GeoJSON"),
    ("no such zone", "rename", "zones.town.area", "has no Polygon with property zone: 'town'; its zones are ['farms'"),
    ("crossing ring", "bowtie", "zones.town.area", "crosses itself near (5, 5)"),
    ("two depot points", "twice", "depots.main.location", "has 2 Point features with property depot: 'main'"),
    ("degrees, no origin", "degrees", "zones.town.area", "is in degrees: expected travel.origin"),
    ("units not stated", "unstated", "zones.town.area", "which coordinates is it in? expected travel.units: metres "
                                                        "or degrees"),
]


@pytest.mark.parametrize("case", BAD_GIS, ids=[c[0] for c in BAD_GIS])
def test_bad_gis_zones_and_depots_exit_2_naming_file_and_place(case: tuple[str, str | None, str, str],
                                                               tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    _, how, where, expected = case
    path = tmp_path / "area.geojson"
    scenario = SCENARIO
    if how == "degrees":  # said to be in degrees, with no origin to project them around
        _area_file(path, lambda p: [-72.6 + p[0] / 80, 42.3 + p[1] / 111])
        scenario = SCENARIO.replace("units: metres", "units: degrees")
    elif how == "unstated":  # degrees or metres is never guessed
        _area_file(path, lambda p: [p[0] * 1000, p[1] * 1000])
        scenario = SCENARIO.replace("travel: {units: metres}\n", "")
    elif how is not None:
        _area_file(path, lambda p: [p[0] * 1000, p[1] * 1000])
        data = json.loads(path.read_text())
        if how == "rename":
            data["features"][0]["properties"]["zone"] = "farms"
        elif how == "bowtie":
            data["features"][0]["geometry"]["coordinates"] = [[[0, 0], [10000, 10000], [10000, 0], [0, 10000], [0, 0]]]
        elif how == "twice":
            data["features"].append(data["features"][2])
        else:
            path.write_text(how)
            data = None
        if data is not None:
            path.write_text(json.dumps(data))
    (tmp_path / "s.yaml").write_text(scenario)
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "s.yaml"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{where} " in err or f"{where}:" in err
    assert expected in err and "line " in err and "Traceback" not in err
    assert not out.exists()


def test_polygons_written_in_the_scenario_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = SCENARIO.replace("area: {file: area.geojson}}", "area: {polygon: [[0, 0], [10, 10], [10, 0], [0, 10]]}}",
                            1).replace("farms: {limits: {arrive: 60, restore: 360}, speed_kmh: 50, area: {file: "
                                       "area.geojson}}", "farms: {limits: {arrive: 60, restore: 360}, speed_kmh: 50, "
                                       "area: {box: [10, 0, 30, 10], polygon: [[10, 0], [30, 0], [20, 15]]}}")
    text = text.replace("location: {file: area.geojson}", "location: [5, 5]").replace(
        ", staging: {file: area.geojson}", "")
    (tmp_path / "s.yaml").write_text(text)
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert "zones.town.area.polygon" in err and "crosses itself" in err
    assert "zones.farms.area" in err and "expected one of box" in err


def test_paths_in_a_base_scenario_stay_relative_to_it(tmp_path: Path) -> None:
    sub = tmp_path / "deep" / "er"
    sub.mkdir(parents=True)
    (sub / "child.yaml").write_text(f"extends: {Path('..') / '..' / 'base.yaml'}\nname: child\n")
    _area_file(tmp_path / "area.geojson", lambda p: [p[0] * 1000, p[1] * 1000])
    (tmp_path / "base.yaml").write_text(SCENARIO)
    sc = sim.load_scenario(sub / "child.yaml")
    assert sc.zones["town"].area.file == "../../area.geojson" and sc.depots["main"].location == (5.0, 5.0)
