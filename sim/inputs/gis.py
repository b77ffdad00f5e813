"""Zones, depots and staging points read from GIS files into a scenario's coordinates (km).

A scenario may point at a GIS file instead of writing coordinates:

- a zone's ``area: {file: F}``: the Polygon and MultiPolygon features of F whose property ``zone`` is the zone's name
  (several features are joined; in a layer without a ``zone`` field, every polygon it has);
- a depot's ``location: {file: F}``: the one Point feature whose property ``depot`` is the depot's name;
- a unit group's ``staging: {file: F}``: the Point features whose property ``staging`` is the group's id
  (``depot/group``) or its depot's name, in file order.

On a real territory (the scenario states ``crs``: its metric working CRS, or ``auto`` for the territory's UTM
zone), F is any vector file GDAL reads (GeoPackage, shapefile, FlatGeobuf, GeoJSON ...), read with pyogrio and
reprojected with pyproj from its own CRS into the working CRS; the reference may add ``layer`` (a layer of a
GeoPackage), ``where`` (an OGR SQL filter, ``"kind = 'urban'"``) and ``crs`` (for a file that does not say which
CRS it is in, or says it wrongly). A file without a CRS and no ``crs`` on the reference is refused: degrees and
metres are never guessed. GeoJSON is EPSG:4326 (RFC 7946) unless the reference says otherwise.

Without ``crs`` (a generated or hand-drawn area in local km), F is GeoJSON in the road network's coordinates:
metres, or degrees projected around ``travel.origin`` (``travel.units`` says which).

The files are read once, when the scenario is loaded, and the coordinates are written into the scenario, so the
resolved scenario echoed into every result needs no file.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon

from sim.bounds import MAX_KM
from sim.distributions import finite_number
from sim.errors import Issue, ScenarioError
from sim.inputs.coordinates import project
from sim.inputs.files import file_problem, first_line
from sim.inputs.zones import ring_problem, shape_of

Where = tuple[str | int, ...]


MAX_BYTES = 256 * 2**20
"""Largest GIS file read (256 MiB; the generated area, roads included, is 0.3 MB)."""


class _Problem(Exception):
    pass


class _Skip(Exception):
    """A reference left unread because what it depends on could not be read (and that is reported)."""


REFERENCE_KEYS = {"file", "layer", "where", "crs"}
"""What a reference to a GIS layer may say (``layer``, ``where`` and ``crs`` need the scenario's ``crs``)."""


class _Layer:
    """One layer of a vector file GDAL reads, its geometries reprojected into the working CRS (km)."""

    def __init__(self, path: Path, ref: dict[str, Any], name: str) -> None:
        import pyogrio  # noqa: PLC0415 (GDAL loads only for a scenario on a real territory)
        from pyogrio.errors import DataLayerError, DataSourceError, FieldError  # noqa: PLC0415 (as above)

        layer, where, stated = ref.get("layer"), ref.get("where"), ref.get("crs")
        for key, value in (("layer", layer), ("where", where), ("crs", stated)):
            if value is not None and not isinstance(value, str):
                raise _Problem(f"{name}: expected {key} as text, got {value!r}")
        self.name = name + (f" (layer {layer})" if layer else "")
        problem = file_problem(path, MAX_BYTES)
        if problem:
            raise _Problem(f"{name} {problem}; expected a GIS file of zones, depots or staging points")
        if not path.exists():
            raise _Problem(f"{name}: file not found; expected a GIS file of zones, depots or staging points")
        try:
            meta, _, wkb, fields = pyogrio.raw.read(path, layer=layer, where=where)
        except DataLayerError as exc:
            if where and ("SQL" in str(exc) or "column" in str(exc)):
                reason = str(exc).split(":")[-1].strip()
                raise _Problem(f"{self.name}: where {where!r}: {reason}; expected an OGR SQL filter on the layer's "
                               f"fields {[str(f) for f in pyogrio.read_info(path, layer=layer)['fields']]}") from None
            try:
                have = [str(n) for n, _ in pyogrio.list_layers(path)]
            except Exception:  # noqa: BLE001 (only for the message)
                have = []
            raise _Problem(f"{self.name}: {first_line(exc)}"
                           + (f"; its layers are {have}" if have else "")) from None
        except FieldError as exc:
            raise _Problem(f"{self.name}: where {where!r}: {first_line(exc)}; expected an OGR SQL filter on the "
                           "layer's fields") from None
        except (DataSourceError, OSError, ValueError) as exc:
            raise _Problem(f"{self.name}: not a GIS file GDAL can read ({first_line(exc)})") from None
        except Exception as exc:  # noqa: BLE001 (GDAL's errors on a damaged file are many)
            raise _Problem(f"{self.name}: cannot be read ({first_line(exc)})") from None
        self.crs_text = stated or meta.get("crs")
        if not self.crs_text:
            raise _Problem(f"{self.name} does not say which CRS its coordinates are in; expected the file's CRS "
                           f"on the reference: {{file: {name}, crs: EPSG:NNNN}}")
        self.geoms = shapely.from_wkb(wkb) if wkb is not None else np.array([], object)
        self.fields = {str(k): np.asarray(v) for k, v in zip(meta["fields"], fields, strict=True)}
        self._km: np.ndarray | None = None

    def lonlat_bounds(self) -> tuple[float, float, float, float] | None:
        """The layer's extent in longitude and latitude (for ``crs: auto``)."""
        from sim.inputs.crs import CrsProblem, read_crs, to_degrees  # noqa: PLC0415 (PROJ: only for a territory)

        geoms = self.geoms[~shapely.is_missing(self.geoms)] if len(self.geoms) else self.geoms
        if not len(geoms):
            return None
        x0, y0, x1, y1 = shapely.total_bounds(geoms)
        try:
            xs, ys = to_degrees(read_crs(self.crs_text))(np.array([x0, x1, x0, x1]), np.array([y0, y0, y1, y1]))
        except CrsProblem as exc:
            raise _Problem(f"{self.name}: {exc}") from None
        if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
            raise _Problem(f"{self.name}: its extent does not reproject from {self.crs_text} to longitude and "
                           "latitude; expected coordinates in that CRS")
        return float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys))

    def to_working(self, work: Any) -> None:
        """Reproject the geometries into the working CRS, in km."""
        from sim.inputs.crs import CrsProblem, read_crs, transformer  # noqa: PLC0415 (as above)

        try:
            src = read_crs(self.crs_text)
        except CrsProblem as exc:
            raise _Problem(f"{self.name}: {exc}") from None
        coords = shapely.get_coordinates(self.geoms)
        if not np.isfinite(coords).all():
            raise _Problem(f"{self.name}: expected finite coordinates, got NaN or infinity")
        if src.is_geographic and len(coords) and ((np.abs(coords[:, 0]) > 180).any()
                                                  or (np.abs(coords[:, 1]) > 90).any()):
            raise _Problem(f"{self.name}: coordinates outside longitude [-180, 180] and latitude [-90, 90], but the "
                           f"file's CRS is {self.crs_text} (GeoJSON is always EPSG:4326, RFC 7946); expected "
                           f"the CRS the coordinates are in on the reference: {{file: ..., crs: EPSG:NNNN}}")
        to_km = transformer(src, work)

        def move(xy: np.ndarray) -> np.ndarray:
            x, y = to_km(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        self._km = shapely.transform(self.geoms, move)
        if len(coords) and not np.isfinite(shapely.get_coordinates(self._km)).all():
            raise _Problem(f"{self.name}: some coordinates do not reproject from {self.crs_text} into the "
                           "working CRS (outside its area of use?)")

    def _select(self, key: str, values: set[str], kinds: tuple[str, ...], all_without_key: bool) -> list[int]:
        assert self._km is not None
        types = shapely.get_type_id(self._km)
        want = {"Point": 0, "Polygon": 3, "MultiPolygon": 6}
        ok = np.isin(types, [want[k] for k in kinds])
        if key in self.fields:
            ok &= np.isin(self.fields[key].astype(str), list(values))
        elif not all_without_key:
            return []
        return np.flatnonzero(ok).tolist()

    def names(self, key: str) -> list[str]:
        return sorted(set(self.fields[key].astype(str).tolist())) if key in self.fields else []

    def zone_shapes(self, zone: str) -> list[Any]:
        assert self._km is not None
        found = self._select("zone", {zone}, ("Polygon", "MultiPolygon"), True)
        if not found:
            have = self.names("zone")
            raise _Problem(f"{self.name} has no polygon for zone {zone!r}; "
                           + (f"its zones are {have}" if have else "expected Polygon features (with a 'zone' "
                              "field naming the zone, or a where filter that keeps only this zone's)"))
        shapes = []
        for i in found:
            g = self._km[i]
            if not g.is_valid:
                reason = shapely.is_valid_reason(g)
                raise _Problem(f"{self.name}: feature {i} (zone {zone!r}) is not a valid polygon ({reason}); "
                               "expected simple rings, holes inside their outer ring")
            shapes.append(g)
        return shapes

    def point(self, key: str, name: str) -> list[float]:
        assert self._km is not None
        found = self._select(key, {name}, ("Point",), True)
        if len(found) != 1:
            have = self.names(key)
            raise _Problem(f"{self.name} has {len(found) or 'no'} Point features for {key} {name!r}; expected one"
                           + (f" (its {key} points are {have})" if have and not found else "")
                           + ("" if key in self.fields else f" (or a {key!r} field naming them)"))
        p = self._km[found[0]]
        return [round(float(p.x), 6), round(float(p.y), 6)]

    def points(self, key: str, ids: set[str]) -> list[list[float]]:
        assert self._km is not None
        found = self._select(key, ids, ("Point",), False)
        if not found:
            raise _Problem(f"{self.name} has no Point with field {key}: one of {sorted(ids)}")
        return [[round(float(self._km[i].x), 6), round(float(self._km[i].y), 6)] for i in found]


def read_layer(path: Path, ref: dict[str, Any], name: str, work: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The geometries (km in the working CRS ``work``) and fields of a GIS layer; ScenarioError naming the file
    when it cannot be read."""
    try:
        layer = _Layer(path, ref, name)
        layer.to_working(work)
    except _Problem as exc:
        raise ScenarioError(name, [Issue((), str(exc))]) from None
    assert layer._km is not None
    return layer._km, layer.fields


def inside_zone(geoms: np.ndarray, weight: np.ndarray, zone: Any) -> tuple[np.ndarray, np.ndarray]:
    """The features of a customer layer inside a zone and their customers: points inside it with their weight,
    polygons cut to it with the share of their weight that the part inside holds (by area)."""
    kind = shapely.get_type_id(geoms)
    w = np.where(np.isfinite(weight), weight, 0.0).astype(float)
    inside = np.zeros(len(geoms), bool)
    pts = kind == 0
    inside[pts] = shapely.intersects(zone, geoms[pts])
    polys = np.isin(kind, (3, 6))
    clipped = geoms.copy()
    if polys.any():
        clipped[polys] = shapely.intersection(geoms[polys], zone)
        share = shapely.area(clipped[polys]) / np.maximum(shapely.area(geoms[polys]), 1e-300)
        inside[polys] = share > 0
        w[polys] = w[polys] * share
    return clipped[inside], w[inside]


def layer_weights(fields: dict[str, np.ndarray], n: int, weight: str | None, name: str) -> np.ndarray:
    """The customers at each of a layer's ``n`` features: its ``weight`` field (1 each without one); ValueError
    naming the fields it has when the layer lacks it."""
    if weight is None:
        return np.ones(n)
    if weight not in fields:
        raise ValueError(f"{name}: no field {weight!r} with the customers; its fields are {sorted(fields)}")
    return np.asarray(fields[weight], float)


def _grid_check(f: _File | _Layer, weight: Any) -> None:
    """A zone's faults_at layer: points or polygons, with its weight field (read again, cached, at the run)."""
    if not isinstance(f, _Layer) or f._km is None:
        raise _Problem("a customer layer needs the scenario's working CRS: add crs: auto or crs: EPSG:NNNN")
    kinds = shapely.get_type_id(f._km)
    if not np.isin(kinds, (0, 3, 6)).any():
        raise _Problem(f"{f.name} has no points or polygons; expected customers as points or polygons")
    try:
        layer_weights(f.fields, len(f._km), weight, f.name)
    except ValueError as exc:
        raise _Problem(str(exc)) from None


def _ignore(_: Any) -> None:
    return None


def _customers_in(f: _File | _Layer, area: dict[str, Any], weight: str | None) -> int:
    """customers: layer: the customers of the zone's faults_at layer inside the zone."""
    assert isinstance(f, _Layer) and f._km is not None
    try:
        w = layer_weights(f.fields, len(f._km), weight, f.name)
    except ValueError as exc:
        raise _Problem(str(exc)) from None
    if "polygon" in area:
        zone = shape_of(area["polygon"])
    elif isinstance(area.get("box"), list) and len(area["box"]) == 4:
        zone = shapely.box(*area["box"])
    else:
        raise _Skip  # the zone's area could not be read: that is reported
    _, inside = inside_zone(f._km, w, zone)
    total = int(round(float(inside.sum())))
    if total <= 0:
        raise _Problem(f"{f.name}: no customers inside the zone; expected points or polygons of customers in it")
    return total


class _File:
    """One GeoJSON file's features, with its coordinates turned into km."""

    def __init__(self, path: Path, name: str, units: str, origin: Any) -> None:
        self.name = name
        try:
            problem = file_problem(path, MAX_BYTES)  # a folder, FIFO or device (would block) or too large
            if problem:
                raise _Problem(f"{name} {problem}; expected a GeoJSON file of zones, depots or staging points")
            data = json.loads(path.read_bytes().decode("utf-8-sig"))
        except FileNotFoundError:
            raise _Problem(f"{name}: file not found; expected a GeoJSON file of zones, depots or staging points") \
                from None
        except (OSError, ValueError) as exc:  # ValueError: bad JSON or UTF-8, a NUL byte in the path
            raise _Problem(f"{name}: not valid GeoJSON ({exc})") from None
        except RecursionError:
            raise _Problem(f"{name}: not valid GeoJSON (nested too deeply)") from None
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection" \
                or not isinstance(data.get("features"), list):
            raise _Problem(f"{name}: expected a GeoJSON FeatureCollection with a list of features")
        self.features = [f for f in data["features"] if isinstance(f, dict)]
        if origin is not None and not (isinstance(origin, (list, tuple)) and len(origin) == 2
                                       and all(finite_number(v) for v in origin)):
            origin = None  # the schema says what is wrong with travel.origin
        if units not in ("degrees", "metres"):
            raise _Problem(f"{name}: which coordinates is it in? expected travel.units: metres or degrees (a local "
                           "area), or the scenario's crs: EPSG:NNNN or auto (a real territory, read in its own CRS)")
        self.degrees = units == "degrees"
        self.origin = origin
        if self.degrees and origin is None:
            raise _Problem(f"{name} is in degrees: expected travel.origin [longitude, latitude], the point that roads, "
                           "zones and depots are projected around")

    def km(self, coords: Any, what: str) -> np.ndarray:
        """``[[x, y], ...]`` in the file's units as km."""
        try:
            pairs = [c[:2] for c in coords]
            if any(isinstance(v, bool) or isinstance(v, str) for p in pairs for v in p):
                raise TypeError  # true and false (and text) are not coordinates, though numpy would take them
            xy = np.array(pairs, float).reshape(-1, 2)
        except (TypeError, ValueError, IndexError, OverflowError):
            raise _Problem(f"{self.name}: {what}: expected [x, y] coordinates") from None
        if not np.isfinite(xy).all():
            raise _Problem(f"{self.name}: {what}: expected finite [x, y] coordinates, got NaN or infinity")
        if self.degrees:
            if (np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any():
                raise _Problem(f"{self.name}: {what}: expected [longitude, latitude] in degrees")
            px, py = project(xy[:, 0], xy[:, 1], tuple(self.origin))
            km = np.column_stack([px, py])
        else:
            km = xy / 1000.0
        if (np.abs(km) > MAX_KM).any():  # (checked before rounding, which would overflow near the float limit)
            raise _Problem(f"{self.name}: {what}: coordinates more than {MAX_KM:,.0f} km from the origin; expected "
                           f"{'degrees around travel.origin' if self.degrees else 'metres'}")
        return np.round(km, 6)

    def with_property(self, key: str, values: set[str], kinds: tuple[str, ...]) -> list[tuple[int, dict]]:
        """(index, geometry) of the features of geometry ``kinds`` whose property ``key`` is one of ``values``."""
        out = []
        for i, f in enumerate(self.features):
            geom = _dict(f.get("geometry"))
            if geom.get("type") in kinds and key in _dict(f.get("properties")) \
                    and str(_dict(f.get("properties"))[key]) in values:
                out.append((i, geom))
        return out

    def names(self, key: str) -> list[str]:
        """The values of property ``key`` in the file."""
        return sorted({str(p[key]) for f in self.features if key in (p := _dict(f.get("properties")))})


def _dict(value: Any) -> dict:
    """A feature's geometry or properties, when it is a mapping (JSON null, a list or a number is none)."""
    return value if isinstance(value, dict) else {}


def _points(geom: Any) -> list[Any]:
    """Every coordinate pair of a geometry (for telling degrees from metres)."""
    if not isinstance(geom, dict):
        return []
    out: list[Any] = []
    todo = [geom.get("coordinates")]
    while todo:  # iterative: the nesting of a damaged file is unbounded
        v = todo.pop()
        if isinstance(v, list) and len(v) >= 2 and all(finite_number(a) for a in v[:2]):
            out.append(v[:2])
        elif isinstance(v, list):
            todo.extend(reversed(v))
    return out


def _zone_rings(f: _File | _Layer, zone: str) -> list[list[list[float]]]:
    shapes = f.zone_shapes(zone) if isinstance(f, _Layer) else _geojson_zone_shapes(f, zone)
    joined: Any = shapely.union_all(shapes)
    polys = list(joined.geoms) if hasattr(joined, "geoms") else [joined]
    return [[[round(float(x), 6), round(float(y), 6)] for x, y in ring.coords[:-1]]
            for p in polys for ring in (p.exterior, *p.interiors)]


def _geojson_zone_shapes(f: _File, zone: str) -> list[Any]:
    feats = f.with_property("zone", {zone}, ("Polygon", "MultiPolygon"))
    if not feats:
        have = f.names("zone")
        raise _Problem(f"{f.name} has no Polygon with property zone: {zone!r}; "
                       + (f"its zones are {have}" if have else "expected Polygon features with a 'zone' property"))
    shapes = []
    for i, geom in feats:
        parts = [geom.get("coordinates")] if geom["type"] == "Polygon" else geom.get("coordinates")
        if not isinstance(parts, list):
            raise _Problem(f"{f.name}: feature {i}: expected polygon rings of [x, y] coordinates")
        for poly in parts:
            if not isinstance(poly, list) or not poly:
                raise _Problem(f"{f.name}: feature {i}: expected polygon rings of [x, y] coordinates")
            rings = [f.km(r, f"feature {i}") for r in poly]
            for ring in rings:
                problem = ring_problem([tuple(p) for p in ring])
                if problem:
                    raise _Problem(f"{f.name}: feature {i} (zone {zone!r}): {problem}")
            shape = Polygon(rings[0], rings[1:])
            if not shape.is_valid:  # each ring is simple (above): its holes cross the outer ring or lie outside it
                reason = shapely.is_valid_reason(shape)
                what, _, at = reason.partition("[")
                near = at.rstrip("]").split()
                where = f" near ({float(near[0]):g}, {float(near[1]):g}) km" if len(near) == 2 else ""
                raise _Problem(f"{f.name}: feature {i} (zone {zone!r}): {what.strip().lower()}{where}; expected "
                               "holes (the rings after the first) inside the outer ring, apart from each other")
            shapes.append(shape)
    return shapes


def _one_point(f: _File | _Layer, key: str, name: str) -> list[float]:
    if isinstance(f, _Layer):
        return f.point(key, name)
    feats = f.with_property(key, {name}, ("Point",))
    if len(feats) != 1:
        have = f.names(key)
        raise _Problem(f"{f.name} has {len(feats) or 'no'} Point features with property {key}: {name!r}; expected "
                       f"one" + (f" (its {key} points are {have})" if have and not feats else ""))
    i, geom = feats[0]
    return _point_km(f, geom, f"feature {i}")


def _point_km(f: _File, geom: dict, what: str) -> list[float]:
    """The [x, y] in km of a Point geometry."""
    km = f.km([geom.get("coordinates")], what)
    if km.shape != (1, 2):  # [] or nested lists: no one point
        raise _Problem(f"{f.name}: {what}: expected a Point's coordinates [x, y]")
    return [float(km[0, 0]), float(km[0, 1])]


def resolve(data: dict[str, Any], base_dir: Path,
            territory_centre: Callable[[], tuple[float, float] | None] | None = None,
            skipped: list[Where] | None = None) -> list[Issue]:
    """Replace the GIS file references in a raw scenario mapping by coordinates in km, in place; return what could
    not be read, at the place in the scenario that names the file. On a real territory (``crs``), ``crs: auto``
    is replaced by the UTM zone of the layers' centre (or, without layers, of ``territory_centre()``, the road
    network's). ``skipped`` collects the places left unread because of a problem already reported (a working CRS
    that cannot be read, a zone area that could not), so that the schema does not report them again."""
    travel: dict[str, Any] = data["travel"] if isinstance(data.get("travel"), dict) else {}
    units, origin = travel.get("units"), travel.get("origin")
    georef = data.get("crs") is not None
    files: dict[str, _File | _Layer] = {}
    issues: list[Issue] = []
    todo: list[tuple[Where, Any, Callable[[_File | _Layer], Any], Callable[[Any], None]]] = []

    def want(where: Where, ref: Any, get: Callable[[_File | _Layer], Any], put: Callable[[Any], None]) -> None:
        todo.append((where, ref, get, put))

    zones = data.get("zones")
    for name, zone in (zones.items() if isinstance(zones, dict) else []):
        area = zone.get("area") if isinstance(zone, dict) else None
        if isinstance(area, dict) and "file" in area and "box" not in area and "polygon" not in area:
            want(("zones", name, "area"), {k: v for k, v in area.items() if k in REFERENCE_KEYS},
                 functools.partial(_zone_rings, zone=name), functools.partial(_set, area, "polygon"))
        grid = zone.get("faults_at") if isinstance(zone, dict) else None
        if isinstance(grid, dict) and "file" in grid:
            want(("zones", name, "faults_at"), {k: v for k, v in grid.items() if k in REFERENCE_KEYS},
                 functools.partial(_grid_check, weight=grid.get("weight")), _ignore)
        if isinstance(zone, dict) and zone.get("customers") == "layer":
            fa = zone.get("faults_at")
            if not (georef and isinstance(fa, dict) and isinstance(area, dict)):
                issues.append(Issue(("zones", name, "customers"), "layer (the customers of the zone's faults_at layer) "
                                    "needs faults_at: {file: ..., weight: ...} and the scenario's crs"))
            else:
                want(("zones", name, "customers"), {k: v for k, v in fa.items() if k in REFERENCE_KEYS},
                     functools.partial(_customers_in, area=area, weight=fa.get("weight")),
                     functools.partial(_set, zone, "customers"))
    depots = data.get("depots")
    for name, depot in (depots.items() if isinstance(depots, dict) else []):
        if not isinstance(depot, dict):
            continue
        loc = depot.get("location")
        if isinstance(loc, dict):
            if not loc.keys() <= REFERENCE_KEYS or "file" not in loc:
                issues.append(Issue(("depots", name, "location"), "expected [x, y] or {file: a GIS file}"))
            else:
                want(("depots", name, "location"), loc, functools.partial(_one_point, key="depot", name=name),
                     functools.partial(_set, depot, "location"))
        units_ = depot.get("units")
        for k, group in enumerate(units_ if isinstance(units_, list) else []):  # anything else: the schema says so
            staging = group.get("staging") if isinstance(group, dict) else None
            if isinstance(staging, dict):
                where: Where = ("depots", name, "units", k, "staging")
                ids = {str(name), f"{name}/{group.get('name', k)}"}

                def points(f: _File | _Layer, ids: set[str] = ids) -> list[list[float]]:
                    if isinstance(f, _Layer):
                        return f.points("staging", ids)
                    feats = f.with_property("staging", ids, ("Point",))
                    if not feats:
                        raise _Problem(f"{f.name} has no Point with property staging: one of {sorted(ids)}")
                    return [_point_km(f, g, f"feature {i}") for i, g in feats]

                if not staging.keys() <= REFERENCE_KEYS or "file" not in staging:
                    issues.append(Issue(where, "expected a list of [x, y] or {file: a GIS file}"))
                else:
                    want(where, staging, points, functools.partial(_set, group, "staging"))

    def open_ref(where: Where, ref: Any) -> _File | _Layer | None:
        path = ref.get("file") if isinstance(ref, dict) else None
        if not isinstance(path, str) or not path:
            issues.append(Issue(where, "expected file: the path of a GIS file, relative to the scenario"))
            return None
        extra = sorted(set(ref) - {"file"})
        if not georef and (extra or Path(path).suffix.lower() not in (".geojson", ".json")):
            what = f"{', '.join(extra)} on a reference" if extra else f"a {Path(path).suffix or 'suffix-less'} file"
            issues.append(Issue(where, f"{what} needs the scenario's working CRS: add crs: auto (the territory's UTM "
                                "zone) or crs: EPSG:NNNN; without it, files are GeoJSON in travel.units"))
            return None
        key = json.dumps(ref, sort_keys=True, default=str)
        if key not in files:
            try:
                files[key] = _Layer(base_dir / path, ref, path) if georef else _File(
                    base_dir / path, path, units if units in ("degrees", "metres") else "", origin)
            except _Problem as exc:
                issues.append(Issue(where, str(exc)))
                return None
        return files[key]

    opened = [(where, open_ref(where, ref), get, put) for where, ref, get, put in todo]
    failed: set[int] = set()  # layers that could not be reprojected: reported once, at the first reference
    if georef:
        work = _working(data, [(w, f) for w, f, _, _ in opened if isinstance(f, _Layer)], territory_centre, issues)
        if work is None:  # nothing can be placed: the references are not read (not "expected a list" each)
            if skipped is not None:
                skipped.extend(where for where, _, _, _ in opened)
            return issues
        for where, f, _, _ in opened:
            if isinstance(f, _Layer) and f._km is None:
                try:
                    f.to_working(work)
                except _Problem as exc:
                    issues.append(Issue(where, str(exc)))
                    failed.add(id(f))
                    f._km = f.geoms
    for where, f, get, put in opened:
        if f is None or id(f) in failed:
            continue
        try:
            put(get(f))
        except _Skip:
            if skipped is not None:
                skipped.append(where)
        except _Problem as exc:
            issues.append(Issue(where, str(exc)))
    return issues


def _set(mapping: dict[str, Any], key: str, value: Any) -> None:
    mapping[key] = value


def _working(data: dict[str, Any], layers: list[tuple[Where, _Layer]],
             territory_centre: Callable[[], tuple[float, float] | None] | None, issues: list[Issue]) -> Any:
    """The working CRS (pyproj.CRS) the scenario states; ``auto`` becomes the UTM zone of the territory's centre
    and is written back, so the resolved scenario says which it was."""
    from sim.inputs.crs import CrsProblem, utm_for, working_crs  # noqa: PLC0415 (PROJ loads only for a territory)

    spec = data.get("crs")
    if not isinstance(spec, str) or not spec.strip():
        issues.append(Issue(("crs",), "expected a metric CRS such as EPSG:32618, or auto (the territory's UTM zone)"))
        return None
    if spec.strip().lower() == "auto":
        boxes = []
        for where, f in layers:
            try:
                b = f.lonlat_bounds()
            except _Problem as exc:
                issues.append(Issue(where, str(exc)))
                return None
            if b is not None:
                boxes.append(b)
        centre = None
        if boxes:
            arr = np.array(boxes)
            centre = ((arr[:, 0].min() + arr[:, 2].max()) / 2, (arr[:, 1].min() + arr[:, 3].max()) / 2)
        elif territory_centre is not None:
            try:
                centre = territory_centre()
            except ScenarioError as exc:
                issues.extend(Issue(("travel", "network"), i.message) for i in exc.issues)
                return None
        if centre is None:
            issues.append(Issue(("crs",), "auto needs a territory to find its UTM zone: GIS layers or an "
                                "OpenStreetMap road network; expected those, or crs: EPSG:NNNN"))
            return None
        data["crs"] = spec = utm_for(*centre)
    try:
        return working_crs(spec)
    except CrsProblem as exc:
        issues.append(Issue(("crs",), str(exc)))
        return None
