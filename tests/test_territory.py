"""A real territory: GIS layers in any CRS reprojected into one working CRS, faults where the grid is, the shipped
Helsinki scenario end to end with its georeferenced results, and bad territory input refused with exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
import yaml
from shapely.geometry import Point, Polygon

import sim
from sim.cli import main
from sim.engine.faults import generate
from sim.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
HELSINKI = ROOT / "scenarios" / "helsinki.yaml"

# A zone in Western Massachusetts drawn in longitude/latitude; the working CRS is its UTM zone (EPSG:32618), and the
# same zone is also written in that UTM zone and in the Massachusetts state plane in US survey feet (EPSG:2249).
LONLAT_RING = [(-72.70, 42.25), (-72.50, 42.24), (-72.45, 42.40), (-72.62, 42.43), (-72.70, 42.25)]
DEPOT = (-72.58, 42.33)


def _write(tmp: Path, name: str, crs: str) -> str:
    zones = gpd.GeoDataFrame({"zone": ["rural"]}, geometry=[Polygon(LONLAT_RING)], crs="EPSG:4326").to_crs(crs)
    depots = gpd.GeoDataFrame({"depot": ["hq"]}, geometry=[Point(DEPOT)], crs="EPSG:4326").to_crs(crs)
    path = tmp / name
    if name.endswith(".geojson"):  # one file, RFC 7946: longitude/latitude only
        both = gpd.GeoDataFrame({"zone": ["rural", None], "depot": [None, "hq"]},
                                geometry=[zones.geometry[0], depots.geometry[0]], crs=crs)
        both.to_file(path, driver="GeoJSON", engine="pyogrio")
    else:
        zones.to_file(path, layer="zones", driver="GPKG", engine="pyogrio")
        depots.to_file(path, layer="depots", driver="GPKG", engine="pyogrio")
    return name


def _scenario(tmp: Path, file: str, **zone_ref: str) -> dict:
    layer = {"layer": "zones"} if file.endswith(".gpkg") else {}
    dlayer = {"layer": "depots"} if file.endswith(".gpkg") else {}
    return {
        "name": "crs_check", "horizon": "30 d", "replications": 1, "seed": 7, "crs": "EPSG:32618",
        "zones": {"rural": {"speed_kmh": 50, "area": {"file": file, **layer, **zone_ref}}},
        "fault_types": {"f": {"skills": ["line"], "repair": 60}},
        "arrivals": {"per_day": {"rural": {"f": 20}}},
        "depots": {"hq": {"zone": "rural", "location": {"file": file, **dlayer},
                          "units": [{"name": "crew", "skills": ["line"], "count": 2}]}},
    }


def test_the_same_zones_in_lonlat_utm_and_state_plane_feet_give_the_same_faults_within_a_metre(tmp_path: Path) \
        -> None:
    runs = {}
    for name, crs in (("z4326.geojson", "EPSG:4326"), ("zutm.gpkg", "EPSG:32618"), ("zft.gpkg", "EPSG:2249")):
        sc = sim.load_scenario(_scenario(tmp_path, _write(tmp_path, name, crs)), base_dir=tmp_path)
        faults = generate(sc, 7, 0)
        runs[crs] = (np.array(sc.zones["rural"].area.polygon[0]), np.array(sc.depots["hq"].location),
                     faults.x, faults.y)
    ring, depot, x, y = runs["EPSG:4326"]
    assert len(x) > 400
    # the state plane is in feet: read as metres it would be 3.28 times too far; the UTM zone's numbers are
    # hundreds of km from it
    for crs in ("EPSG:32618", "EPSG:2249"):
        r, d, xx, yy = runs[crs]
        assert np.abs(r - ring).max() < 0.001 and np.abs(d - depot).max() < 0.001  # km: a metre
        assert len(xx) == len(x) and np.abs(xx - x).max() < 0.001 and np.abs(yy - y).max() < 0.001
    # and the place is right: the depot's UTM 18N coordinates, computed independently by pyproj
    import pyproj
    e, n = pyproj.Transformer.from_crs(4326, 32618, always_xy=True).transform(*DEPOT)
    assert depot == pytest.approx([e / 1000, n / 1000], abs=1e-6)


def test_crs_auto_chooses_the_territorys_utm_zone_and_echoes_it(tmp_path: Path) -> None:
    data = _scenario(tmp_path, _write(tmp_path, "z.gpkg", "EPSG:2249"))
    data["crs"] = "auto"
    sc = sim.load_scenario(data, base_dir=tmp_path)
    assert sc.crs == "EPSG:32618" and sc.resolved()["crs"] == "EPSG:32618"


def test_a_file_in_metres_that_claims_lonlat_is_refused_not_guessed(tmp_path: Path) -> None:
    # GeoJSON written in UTM metres without saying so: RFC 7946 says degrees; the coordinates say otherwise
    zones = gpd.GeoDataFrame({"zone": ["rural"]}, geometry=[Polygon(LONLAT_RING)], crs="EPSG:4326").to_crs(32618)
    text = zones.to_json(drop_id=True)
    (tmp_path / "m.geojson").write_text(text.replace('"crs"', '"_crs"'))
    data = _scenario(tmp_path, _write(tmp_path, "d.gpkg", "EPSG:4326"))
    data["zones"]["rural"]["area"] = {"file": "m.geojson"}
    with pytest.raises(ScenarioError, match=r"m\.geojson.*outside longitude.*crs: EPSG"):
        sim.load_scenario(data, base_dir=tmp_path)
    data["zones"]["rural"]["area"] = {"file": "m.geojson", "crs": "EPSG:32618"}  # said: read as it is
    sc = sim.load_scenario(data, base_dir=tmp_path)
    assert sc.zones["rural"].area.polygon is not None


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["zones"]["rural"]["area"].update(layer="zonez"), r"zones.rural.area.*layer.*zonez.*its layers are"),
    (lambda d: d.update(crs="EPSG:99999999"), r"crs.*cannot read the CRS 'EPSG:99999999'"),
    (lambda d: d.update(crs="EPSG:4326"), r"crs.*not a projected CRS"),
    (lambda d: d.update(crs="EPSG:2249"), r"crs.*measures in US survey foot.*metres"),
    (lambda d: d["zones"]["rural"]["area"].update(where="nosuchfield = 1"), r"where 'nosuchfield = 1'"),
    (lambda d: d["zones"]["rural"]["area"].update(file="missing.gpkg"), r"missing.gpkg: file not found"),
])
def test_bad_territory_input_names_the_file_the_layer_and_the_problem(tmp_path: Path, change, expected) -> None:
    data = _scenario(tmp_path, _write(tmp_path, "t.gpkg", "EPSG:4326"))
    change(data)
    with pytest.raises(ScenarioError, match=expected):
        sim.load_scenario(data, base_dir=tmp_path)


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_an_invalid_zone_polygon_and_a_file_without_crs_are_refused(tmp_path: Path) -> None:
    bowtie = Polygon([(-72.7, 42.25), (-72.5, 42.43), (-72.5, 42.25), (-72.7, 42.43)])
    gpd.GeoDataFrame({"zone": ["rural"]}, geometry=[bowtie], crs="EPSG:4326").to_file(
        tmp_path / "bad.gpkg", layer="zones", driver="GPKG", engine="pyogrio")
    data = _scenario(tmp_path, _write(tmp_path, "t.gpkg", "EPSG:4326"))
    data["zones"]["rural"]["area"] = {"file": "bad.gpkg", "layer": "zones"}
    with pytest.raises(ScenarioError, match=r"bad.gpkg \(layer zones\): feature 0 .*not a valid polygon"):
        sim.load_scenario(data, base_dir=tmp_path)
    gpd.GeoDataFrame({"zone": ["rural"]}, geometry=[Polygon(LONLAT_RING)]).to_file(
        tmp_path / "nocrs.shp", engine="pyogrio")
    data["zones"]["rural"]["area"] = {"file": "nocrs.shp"}
    with pytest.raises(ScenarioError, match=r"nocrs.shp does not say which CRS.*crs: EPSG:NNNN"):
        sim.load_scenario(data, base_dir=tmp_path)
    data["zones"]["rural"]["area"] = {"file": "nocrs.shp", "crs": "EPSG:4326"}
    assert sim.load_scenario(data, base_dir=tmp_path).zones["rural"].area.polygon is not None


def test_bad_territory_input_exits_2_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _scenario(tmp_path, _write(tmp_path, "t.gpkg", "EPSG:4326"))
    data["zones"]["rural"]["area"]["layer"] = "nope"
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert "s.yaml" in err and "t.gpkg (layer nope)" in err and "Traceback" not in err


def _helsinki_copy(tmp: Path) -> Path:
    shutil.copytree(ROOT / "scenarios" / "data", tmp / "data",
                    ignore=shutil.ignore_patterns("*.csv", "generated_area.geojson"))
    shutil.copy(HELSINKI, tmp / "helsinki.yaml")
    return tmp / "helsinki.yaml"


def test_the_helsinki_scenario_runs_end_to_end_and_every_fault_lands_in_its_zone_in_lonlat(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["run", str(HELSINKI), "-n", "2", "--workers", "1", "--out", str(out)]) == 0
    resolved = yaml.safe_load((out / "scenario.resolved.yaml").read_text())["resolved"]
    assert resolved["crs"] == "EPSG:32635"
    faults = pyogrio.read_dataframe(out / "results.gpkg", layer="faults")
    assert faults.crs.to_epsg() == 4326 and len(faults) > 20
    zones = pyogrio.read_dataframe(ROOT / "scenarios" / "data" / "helsinki.gpkg", layer="zones").to_crs(4326)
    polygon = dict(zip(zones["zone"], zones.geometry, strict=True))
    tol = 1e-7  # degrees: about a centimetre, for the round trip through the working CRS
    inside = [polygon[z].buffer(tol).contains(p) for z, p in zip(faults["zone"], faults.geometry, strict=True)]
    assert all(inside)
    # faults along the streets of kaartinkaupunki lie on a road (within a metre of one)
    roads = pyogrio.read_dataframe(ROOT / "scenarios" / "data" / "helsinki.osm.pbf", layer="lines")
    street = shapely.union_all(roads.to_crs(32635).geometry.to_numpy())
    on_road = faults[faults["zone"] == "kaartinkaupunki"].to_crs(32635).distance(street)
    assert len(on_road) and float(on_road.max()) < 1.0
    # faults by customers in kamppi: each on a customer point of the layer (storm faults moved to the nearest one)
    customers = pyogrio.read_dataframe(ROOT / "scenarios" / "data" / "helsinki.gpkg", layer="customers").to_crs(32635)
    points = shapely.union_all(customers.geometry.to_numpy())
    at_customer = faults[faults["zone"] == "kamppi"].to_crs(32635).distance(points)
    assert len(at_customer) and float(at_customer.max()) < 0.01
    for layer in ("dispatches", "activities"):
        assert pyogrio.read_info(out / "results.gpkg", layer=layer)["crs"] == "EPSG:4326"


def test_a_depot_far_from_every_road_is_refused_at_the_run(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = _helsinki_copy(tmp_path)
    data = yaml.safe_load(path.read_text())
    data["travel"]["max_snap_km"] = 0.001
    path.write_text(yaml.safe_dump(data))
    assert main(["run", str(path), "-n", "1", "--workers", "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "depot kamppi" in err and "max_snap_km" in err and "Traceback" not in err


def test_customers_layer_counts_the_customers_inside_the_zone() -> None:
    sc = sim.load_scenario(HELSINKI)
    customers = pyogrio.read_dataframe(ROOT / "scenarios" / "data" / "helsinki.gpkg", layer="customers")
    zones = pyogrio.read_dataframe(ROOT / "scenarios" / "data" / "helsinki.gpkg", layer="zones")
    kamppi = zones.geometry[zones["zone"] == "kamppi"].iloc[0]  # both in EPSG:3067
    expected = int(customers.loc[customers.within(kamppi), "customers"].sum())
    assert sc.zones["kamppi"].customers == expected and sc.resolved()["zones"]["kamppi"]["customers"] == expected


def test_an_outage_log_in_lonlat_is_reprojected_into_the_working_crs(tmp_path: Path) -> None:
    import pyproj

    data = _scenario(tmp_path, _write(tmp_path, "t.gpkg", "EPSG:4326"))
    points = [(-72.60, 42.30), (-72.55, 42.35)]
    (tmp_path / "log.csv").write_text("time_out,duration_h,longitude,latitude\n" + "".join(
        f"2026-06-0{k + 2} 10:00,2,{lon},{lat}\n" for k, (lon, lat) in enumerate(points)))
    data["arrivals"] = {"replay": {"log": "log.csv", "mix": {"f": 1}}}
    sc = sim.load_scenario(data, base_dir=tmp_path)
    faults = generate(sc, 1, 0)
    to_utm = pyproj.Transformer.from_crs(4326, 32618, always_xy=True)
    expected = np.array([to_utm.transform(lon, lat) for lon, lat in points]) / 1000
    assert np.abs(np.column_stack([faults.x, faults.y]) - expected).max() < 1e-6


def test_a_road_file_with_no_drivable_road_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _helsinki_copy(tmp_path)
    (tmp_path / "data" / "paths.osm").write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>\n"
        "<node id='1' lat='60.170' lon='24.940'/><node id='2' lat='60.171' lon='24.941'/>\n"
        "<way id='10'><nd ref='1'/><nd ref='2'/><tag k='highway' v='footway'/></way>\n</osm>\n")
    path.write_text(path.read_text().replace("data/helsinki.osm.pbf", "data/paths.osm"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "travel.network" in err and "paths.osm" in err and "no drivable road" in err and "Traceback" not in err


@pytest.mark.parametrize(("change", "where"), [
    (lambda d: d["depots"]["hq"]["location"].update(crs="EPSG:xyz"), "depots.hq.location"),
    (lambda d: d.update(crs=[1, 2]), "crs"),
    (lambda d: d.update(crs="auto") or d["depots"]["hq"]["location"].update(crs="EPSG:xyz"), "depots.hq.location"),
])
def test_one_problem_is_said_once_not_again_at_every_reference_it_stops(tmp_path: Path, change, where) -> None:
    data = _scenario(tmp_path, _write(tmp_path, "t.gpkg", "EPSG:4326"))
    change(data)
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(data, base_dir=tmp_path)
    assert [".".join(map(str, i.path)) for i in info.value.issues] == [where], str(info.value)


def test_a_warm_start_reads_no_road_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the disk cache is keyed by the road file's bytes: an OpenStreetMap extract is not parsed again
    from sim.inputs import roadcache

    monkeypatch.setenv("STORMCREW_CACHE", str(tmp_path / "cache"))
    roadcache.prepared_network.cache_clear()
    first = sim.load_scenario(HELSINKI)
    from sim.scenario.territory import load_network

    cold = load_network(first)
    roadcache.prepared_network.cache_clear()

    def no_reading(*args: object, **kw: object) -> None:
        raise AssertionError("the road file was read again")

    monkeypatch.setattr(roadcache, "read_roads", no_reading)
    warm = load_network(sim.load_scenario(HELSINKI))
    assert np.array_equal(warm.x, cold.x) and np.array_equal(warm.minutes_matrix, cold.minutes_matrix)
    roadcache.prepared_network.cache_clear()
