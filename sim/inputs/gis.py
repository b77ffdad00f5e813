"""Zones, depots and staging points read from GeoJSON files into a scenario's coordinates (km).

A scenario may point at a GIS file instead of writing coordinates:

- a zone's ``area: {file: F}``: the Polygon and MultiPolygon features of F whose property ``zone`` is the zone's name
  (several features are joined);
- a depot's ``location: {file: F}``: the one Point feature whose property ``depot`` is the depot's name;
- a unit group's ``staging: {file: F}``: the Point features whose property ``staging`` is the group's id
  (``depot/group``) or its depot's name, in file order.

Coordinates are those of the road network: metres, or degrees projected around ``travel.origin`` (``travel.units``
says which; ``auto`` takes degrees when every coordinate could be one). The files are read once, when the scenario
is loaded, and the coordinates are written into the scenario, so the resolved scenario echoed into every result
needs no file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon

from sim.bounds import MAX_KM
from sim.distributions import finite_number
from sim.errors import Issue
from sim.inputs.coordinates import looks_like_degrees, project
from sim.inputs.files import file_problem
from sim.inputs.zones import ring_problem

Where = tuple[str | int, ...]


MAX_BYTES = 256 * 2**20
"""Largest GIS file read (256 MiB; the generated area, roads included, is 0.3 MB)."""


class _Problem(Exception):
    pass


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
        coords = np.array([c for f in self.features for c in _points(f.get("geometry"))], float).reshape(-1, 2)
        if units == "auto":
            units = "degrees" if looks_like_degrees(coords) else "metres"
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


def _zone_rings(f: _File, zone: str) -> list[list[list[float]]]:
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
    joined: Any = shapely.union_all(shapes)
    polys = list(joined.geoms) if hasattr(joined, "geoms") else [joined]
    return [[[round(float(x), 6), round(float(y), 6)] for x, y in ring.coords[:-1]]
            for p in polys for ring in (p.exterior, *p.interiors)]


def _one_point(f: _File, key: str, name: str) -> list[float]:
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


def resolve(data: dict[str, Any], base_dir: Path) -> list[Issue]:
    """Replace the GIS file references in a raw scenario mapping by coordinates in km, in place; return what could
    not be read, at the place in the scenario that names the file."""
    travel: dict[str, Any] = data["travel"] if isinstance(data.get("travel"), dict) else {}
    units, origin = travel.get("units", "auto"), travel.get("origin")
    files: dict[str, _File] = {}
    issues: list[Issue] = []

    def read(ref: Any, where: Where) -> _File | None:
        if not isinstance(ref, str) or not ref:
            issues.append(Issue(where, "expected file: the path of a GeoJSON file, relative to the scenario"))
            return None
        if ref not in files:
            try:
                files[ref] = _File(base_dir / ref, ref, units if units in ("auto", "degrees", "metres") else "auto",
                                   origin)
            except _Problem as exc:
                issues.append(Issue(where, str(exc)))
                return None
        return files[ref]

    def fill(where: Where, ref: Any, get: Any) -> Any:
        f = read(ref, where)
        if f is None:
            return None
        try:
            return get(f)
        except _Problem as exc:
            issues.append(Issue(where, str(exc)))
            return None

    zones = data.get("zones")
    for name, zone in (zones.items() if isinstance(zones, dict) else []):
        area = zone.get("area") if isinstance(zone, dict) else None
        if isinstance(area, dict) and "file" in area and "box" not in area and "polygon" not in area:
            rings = fill(("zones", name, "area"), area["file"], lambda f, n=name: _zone_rings(f, n))
            if rings is not None:
                area["polygon"] = rings
    depots = data.get("depots")
    for name, depot in (depots.items() if isinstance(depots, dict) else []):
        if not isinstance(depot, dict):
            continue
        loc = depot.get("location")
        if isinstance(loc, dict):
            if set(loc) != {"file"}:
                issues.append(Issue(("depots", name, "location"), "expected [x, y] or {file: a GeoJSON file}"))
            else:
                point = fill(("depots", name, "location"), loc["file"], lambda f, n=name: _one_point(f, "depot", n))
                if point is not None:
                    depot["location"] = point
        units = depot.get("units")
        for k, group in enumerate(units if isinstance(units, list) else []):  # anything else: the schema says so
            staging = group.get("staging") if isinstance(group, dict) else None
            if isinstance(staging, dict):
                where: Where = ("depots", name, "units", k, "staging")
                ids = {str(name), f"{name}/{group.get('name', k)}"}

                def points(f: _File, ids: set[str] = ids) -> list[list[float]]:
                    feats = f.with_property("staging", ids, ("Point",))
                    if not feats:
                        raise _Problem(f"{f.name} has no Point with property staging: one of {sorted(ids)}")
                    return [_point_km(f, g, f"feature {i}") for i, g in feats]

                if set(staging) != {"file"}:
                    issues.append(Issue(where, "expected a list of [x, y] or {file: a GeoJSON file}"))
                else:
                    pts = fill(where, staging["file"], points)
                    if pts is not None:
                        group["staging"] = pts
    return issues
