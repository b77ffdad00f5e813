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

from sim.errors import Issue
from sim.outagelog import looks_like_degrees, project  # the road and log readers' rules, so all files agree
from sim.zones import ring_problem

Where = tuple[str | int, ...]


class _Problem(Exception):
    pass


class _File:
    """One GeoJSON file's features, with its coordinates turned into km."""

    def __init__(self, path: Path, name: str, units: str, origin: Any) -> None:
        self.name = name
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise _Problem(f"{name}: file not found; expected a GeoJSON file of zones, depots or staging points") \
                from None
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _Problem(f"{name}: not valid GeoJSON ({exc})") from None
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection" \
                or not isinstance(data.get("features"), list):
            raise _Problem(f"{name}: expected a GeoJSON FeatureCollection with a list of features")
        self.features = [f for f in data["features"] if isinstance(f, dict)]
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
            xy = np.array([c[:2] for c in coords], float).reshape(-1, 2)
        except (TypeError, ValueError, IndexError):
            raise _Problem(f"{self.name}: {what}: expected [x, y] coordinates") from None
        if self.degrees:
            px, py = project(xy[:, 0], xy[:, 1], tuple(self.origin))
            return np.round(np.column_stack([px, py]), 6)
        return np.round(xy / 1000.0, 6)

    def with_property(self, key: str, values: set[str], kinds: tuple[str, ...]) -> list[tuple[int, dict]]:
        """(index, geometry) of the features of geometry ``kinds`` whose property ``key`` is one of ``values``."""
        out = []
        for i, f in enumerate(self.features):
            geom = f.get("geometry") or {}
            if geom.get("type") in kinds and str((f.get("properties") or {}).get(key)) in values:
                out.append((i, geom))
        return out

    def names(self, key: str) -> list[str]:
        """The values of property ``key`` in the file."""
        return sorted({str(p[key]) for f in self.features if key in (p := f.get("properties") or {})})


def _points(geom: Any) -> list[Any]:
    """Every coordinate pair of a geometry (for telling degrees from metres)."""
    if not isinstance(geom, dict):
        return []
    c = geom.get("coordinates")

    def walk(v: Any) -> list[Any]:
        if isinstance(v, list) and len(v) >= 2 and all(isinstance(a, (int, float)) for a in v[:2]):
            return [v[:2]]
        return [p for w in v for p in walk(w)] if isinstance(v, list) else []

    return walk(c)


def _zone_rings(f: _File, zone: str) -> list[list[list[float]]]:
    feats = f.with_property("zone", {zone}, ("Polygon", "MultiPolygon"))
    if not feats:
        have = f.names("zone")
        raise _Problem(f"{f.name} has no Polygon with property zone: {zone!r}; "
                       + (f"its zones are {have}" if have else "expected Polygon features with a 'zone' property"))
    shapes = []
    for i, geom in feats:
        parts = [geom.get("coordinates")] if geom["type"] == "Polygon" else geom.get("coordinates")
        for poly in parts or []:
            if not isinstance(poly, list) or not poly:
                raise _Problem(f"{f.name}: feature {i}: expected polygon rings of [x, y] coordinates")
            rings = [f.km(r, f"feature {i}") for r in poly]
            for ring in rings:
                problem = ring_problem([tuple(p) for p in ring])
                if problem:
                    raise _Problem(f"{f.name}: feature {i} (zone {zone!r}): {problem}")
            shapes.append(Polygon(rings[0], rings[1:]))
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
    x, y = f.km([geom.get("coordinates")], f"feature {i}")[0]
    return [float(x), float(y)]


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
        for k, group in enumerate(depot.get("units") or []):
            staging = group.get("staging") if isinstance(group, dict) else None
            if isinstance(staging, dict):
                where: Where = ("depots", name, "units", k, "staging")
                ids = {str(name), f"{name}/{group.get('name', k)}"}

                def points(f: _File, ids: set[str] = ids) -> list[list[float]]:
                    feats = f.with_property("staging", ids, ("Point",))
                    if not feats:
                        raise _Problem(f"{f.name} has no Point with property staging: one of {sorted(ids)}")
                    return [list(map(float, f.km([g.get("coordinates")], f"feature {i}")[0])) for i, g in feats]

                if set(staging) != {"file"}:
                    issues.append(Issue(where, "expected a list of [x, y] or {file: a GeoJSON file}"))
                else:
                    pts = fill(where, staging["file"], points)
                    if pts is not None:
                        group["staging"] = pts
    return issues
