"""Prepared road networks kept on disk (``$STORMCREW_CACHE``) and in memory, keyed by the file's version and the
preparation's parameters, so a network is prepared once per machine."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import Issue, ScenarioError
from sim.inputs.coordinates import project
from sim.inputs.files import first_line
from sim.inputs.osm import read_osm
from sim.inputs.roads import PREPARED_VERSION, PreparedNetwork, RoadNetwork, cache_warning, cached
from sim.inputs.zones import zone_map

if TYPE_CHECKING:
    import pandas as pd


def cache_dir() -> Path | None:
    """Where prepared networks are kept: ``$STORMCREW_CACHE`` (unset or empty: ``~/.cache/stormcrew``), created if
    need be. None, with a CacheWarning naming the location, when it is not a folder that can be created and written
    (a file, under a file, read-only): the run goes on without the disk cache."""
    try:
        where = Path(os.environ.get("STORMCREW_CACHE") or Path.home() / ".cache" / "stormcrew").expanduser()
    except RuntimeError as exc:  # no home folder to be found
        cache_warning(f"road cache: no location ({exc}); set STORMCREW_CACHE to a folder; going on without it")
        return None
    try:
        if where.exists() and not where.is_dir():
            raise FileExistsError
        where.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=where):
            pass
    except FileExistsError:
        problem = "exists and is not a folder"
    except NotADirectoryError:
        problem = "lies under a file, not a folder"
    except PermissionError:
        problem = "is not writable"
    except OSError as exc:
        problem = f"cannot be used: {exc.strerror or exc}"
    else:
        return where
    cache_warning(f"road cache {where} {problem}; expected a writable folder (set STORMCREW_CACHE to one); going on "
                  "without the disk cache")
    return None


OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".xml", ".graphml")
"""Road files read as OpenStreetMap data (sim.inputs.osm); anything else is a GIS file of LineStrings."""


def is_osm(path: str | Path) -> bool:
    return str(path).lower().endswith(OSM_SUFFIXES)


def read_roads(path: Path, name: str, crs: str | None, units: str | None,
               origin: tuple[float, float] | None) -> RoadNetwork:
    """The road file at ``path``: on a real territory (``crs``, the working CRS) reprojected into it; else
    GeoJSON in ``units`` or OpenStreetMap projected around ``origin``."""
    if crs is not None:
        from sim.inputs.crs import transformer, working_crs  # noqa: PLC0415 (PROJ loads only for a territory)

        work = working_crs(crs)
        if is_osm(path):
            return read_osm(path, transformer("EPSG:4326", work), name)
        return _line_layer(path, name, work)
    if is_osm(path):
        if origin is None:
            raise ScenarioError(name, [Issue((), "OpenStreetMap roads are in longitude and latitude: expected the "
                                             "scenario's crs (auto: the territory's UTM zone), or travel.origin")])
        o = origin
        return read_osm(path, lambda lon, lat: project(lon, lat, o), name)
    if units not in ("degrees", "metres"):
        raise ScenarioError(name, [Issue((), "which coordinates are the roads in? expected travel.units: metres or "
                                         "degrees (a local area), or the scenario's crs (a real territory)")])
    return RoadNetwork.from_geojson(path, units == "degrees", origin, name)


def roads_centre(path: Path, name: str) -> tuple[float, float]:
    """Longitude and latitude of the middle of a road file's extent (``crs: auto`` takes its UTM zone)."""
    if not path.is_file():
        raise ScenarioError(name, [Issue((), "file not found; expected an OpenStreetMap or GIS road network")])
    if is_osm(path):
        net = read_osm(path, lambda lon, lat: (np.asarray(lon, float), np.asarray(lat, float)), name)
        return (float(net.x.min() + net.x.max()) / 2, float(net.y.min() + net.y.max()) / 2)
    import pyogrio  # noqa: PLC0415 (GDAL loads only for a real territory)

    from sim.inputs.crs import read_crs, to_degrees  # noqa: PLC0415 (as above)

    try:
        info = pyogrio.read_info(path, force_total_bounds=True)
        x0, y0, x1, y1 = info["total_bounds"]
        to_deg = to_degrees(read_crs(info["crs"] or "EPSG:4326"))
        lon, lat = to_deg(np.array([(x0 + x1) / 2]), np.array([(y0 + y1) / 2]))
    except Exception as exc:  # noqa: BLE001 (GDAL's errors on a damaged file are many)
        raise ScenarioError(name, [Issue((), f"not a GIS file of roads GDAL can read ({first_line(exc)})")]) \
            from None
    return float(lon[0]), float(lat[0])


def _line_layer(path: Path, name: str, work: Any) -> RoadNetwork:
    """LineStrings of any GIS file (fields ``road_class`` or ``highway``, optional ``speed_kmh`` or ``maxspeed``),
    reprojected from the file's CRS into the working CRS."""
    import pyogrio  # noqa: PLC0415 (GDAL loads only for a real territory)
    import shapely  # noqa: PLC0415 (as above)

    from sim.inputs.crs import transformer  # noqa: PLC0415 (as above)
    from sim.inputs.osm import maxspeed_kmh  # noqa: PLC0415 (as above)

    try:
        meta, _, wkb, fields = pyogrio.raw.read(path)
    except Exception as exc:  # noqa: BLE001 (GDAL's errors on a damaged file are many)
        raise ScenarioError(name, [Issue((), f"not a GIS file of roads GDAL can read ({first_line(exc)})")]) \
            from None
    if not meta.get("crs"):
        raise ScenarioError(name, [Issue((), "the road file does not say which CRS it is in; expected a file with "
                                         "its CRS (a GeoPackage, or GeoJSON in EPSG:4326)")])
    cols = {str(k): v for k, v in zip(meta["fields"], fields, strict=True)}
    geoms = shapely.from_wkb(wkb) if wkb is not None else np.array([], object)
    to_km = transformer(meta["crs"], work)
    cls = cols.get("road_class", cols.get("highway"))
    spd = cols.get("speed_kmh", cols.get("maxspeed"))
    lines = []
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        parts = [g] if g.geom_type == "LineString" else list(g.geoms) if g.geom_type == "MultiLineString" else []
        for part in parts:
            xy = shapely.get_coordinates(part)
            x, y = to_km(xy[:, 0], xy[:, 1])
            speed = maxspeed_kmh(str(spd[i])) if spd is not None and spd[i] is not None else None
            lines.append((np.column_stack([x, y]), str(cls[i]) if cls is not None and cls[i] else "unclassified",
                          speed))
    return RoadNetwork.from_lines(lines, name)


@functools.lru_cache(maxsize=4)
def prepared_network(path: str, mtime_ns: int, size: int, units: str | None, origin: tuple[float, float] | None,
                     speeds: tuple[tuple[str, float], ...], areas: tuple[Any, ...],
                     factors: tuple[float, ...], snap: float, keep: tuple[tuple[float, float], ...],
                     crs: str | None = None, name: str | None = None) -> PreparedNetwork:
    # the entry is named from the file's bytes and the settings, so a warm start reads no road file (an OpenStreetMap
    # extract of a county takes far longer to parse than to hash)
    where = cache_dir()
    try:
        digest = _file_sha256(Path(path))
    except OSError:  # unreadable: reading it says so, with the file's name
        digest, where = "", None
    key = hashlib.sha256(json.dumps([PREPARED_VERSION, digest, crs, units, origin, speeds, repr(areas), factors,
                                     snap, keep, READER_VERSION]).encode()).hexdigest()[:20]
    hit = cached(where, key, snap, name or path)
    if hit is not None:
        return hit
    net = read_roads(Path(path), name or path, crs, units, origin)
    zm = zone_map(areas)

    def terrain(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        z = zm.locate(x, y)
        f = np.asarray(factors, float)
        return np.where(z >= 0, f[np.maximum(z, 0)], 1.0)

    return net.prepare(dict(speeds), terrain, snap, keep, where, key=key)


READER_VERSION = 1
"""Bumped when reading a road file changes what it gives (OSMnx's rules, the drivable filter): the disk cache is
keyed by the file's bytes, so an entry made by the old reader must not be taken for the new one."""


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            h.update(block)
    return h.hexdigest()


def road_segments(net: PreparedNetwork) -> pd.DataFrame:
    """The prepared network's roads as drawn (every segment of the road file; columns x0, y0, x1, y1 in km), for
    maps."""
    import pandas as pd  # noqa: PLC0415 (for maps only: reading a scenario with a road network does not need it)

    if net.segments is not None:
        return pd.DataFrame(net.segments, columns=["x0", "y0", "x1", "y1"])
    return pd.DataFrame({"x0": net.x[net.eu], "y0": net.y[net.eu], "x1": net.x[net.ev], "y1": net.y[net.ev]})
