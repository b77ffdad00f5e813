"""Georeferenced results: a run on a real territory (a scenario with ``crs``) also writes ``results.gpkg``, a
GeoPackage in longitude and latitude (EPSG:4326) that opens in QGIS on the right spot, with three layers:

- ``faults``: one point per fault, with every column of ``faults.parquet``;
- ``dispatches``: one line per dispatch, from where the unit was sent to the fault, with ``dispatches.parquet``'s
  columns;
- ``activities``: one line (or point, for work on site) per unit activity, with ``units.parquet``'s columns.

The km columns stay as they are (working-CRS km); the geometry is the same place in EPSG:4326.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.inputs.crs import to_lonlat, working_crs


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Columns GDAL can store: categories as text, times as text (a GeoPackage has no timedelta)."""
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype) or out[c].dtype == object:
            out[c] = out[c].astype(str)
        elif pd.api.types.is_timedelta64_dtype(out[c]):
            out[c] = out[c].dt.total_seconds() / 60.0
        elif pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].astype(np.int8)
    return out


def write_geopackage(path: Path, crs: str, faults: pd.DataFrame, dispatches: pd.DataFrame,
                     activities: pd.DataFrame) -> None:
    """Write the three layers (see the module) to ``path``."""
    import geopandas as gpd  # noqa: PLC0415 (GDAL loads only for a run on a real territory)
    import shapely  # noqa: PLC0415 (as above)

    back = to_lonlat(working_crs(crs))

    def points(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        lon, lat = back(x, y)
        return shapely.points(lon, lat)

    def lines(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
        lon0, lat0 = back(x0, y0)
        lon1, lat1 = back(x1, y1)
        coords = np.stack([np.column_stack([lon0, lat0]), np.column_stack([lon1, lat1])], axis=1)
        return shapely.linestrings(coords) if len(coords) else np.array([], object)

    layers = {"faults": gpd.GeoDataFrame(_plain(faults), geometry=points(faults["x_km"].to_numpy(float),
                                                                          faults["y_km"].to_numpy(float)),
                                         crs="EPSG:4326")}
    at = faults.set_index(["replication", "fault"])[["x_km", "y_km"]]
    d = dispatches.join(at, on=["replication", "fault"])
    layers["dispatches"] = gpd.GeoDataFrame(_plain(d.drop(columns=["x_km", "y_km"])), geometry=lines(
        d["from_x_km"].to_numpy(float), d["from_y_km"].to_numpy(float), d["x_km"].to_numpy(float),
        d["y_km"].to_numpy(float)), crs="EPSG:4326")
    a = activities
    layers["activities"] = gpd.GeoDataFrame(_plain(a), geometry=lines(
        a["from_x_km"].to_numpy(float), a["from_y_km"].to_numpy(float), a["to_x_km"].to_numpy(float),
        a["to_y_km"].to_numpy(float)), crs="EPSG:4326")
    for name, gdf in layers.items():
        gdf.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
