"""The generated service area of the shipped scenarios: a city grid, a rural tree and a mountain valley road,
with its zone polygons, depots and staging points, written as GeoJSON by ``stormcrew generate-area``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPoint, Polygon, box

# ---------------------------------------------------------------- generated service areas


def generate_area(seed: int = 1, detail: int = 1, block_km: float = 1.0) -> tuple[
        list[tuple[float, float]], list[tuple[int, int, str, float | None]]]:
    """A synthetic service area matching the default scenario's zones: a city street grid (urban, 0-15 km, a
    junction every ``block_km``), a rural road tree of secondary roads and lanes (15-60 km), and a mountain valley
    with one slow road and a few dead-end tracks (60-100 km), joined by a primary road. Roads bend through
    intermediate points (``detail`` times more of them for bigger test networks). Returns nodes (km) and edges
    (u, v, class, None)."""
    rng = np.random.default_rng(seed)
    nodes: list[tuple[float, float]] = []
    edges: list[tuple[int, int, str, float | None]] = []

    def node(x: float, y: float) -> int:
        nodes.append((round(float(x), 4), round(float(y), 4)))
        return len(nodes) - 1

    def road(a: int, b: int, cls: str, steps: int = 1) -> None:
        """A road from a to b through ``steps - 1`` intermediate points (degree-2 chains, as real data has)."""
        steps *= detail
        prev = a
        (x0, y0), (x1, y1) = nodes[a], nodes[b]
        for k in range(1, steps):
            f = k / steps
            mid = node(x0 + (x1 - x0) * f + rng.normal(0, 0.05), y0 + (y1 - y0) * f + rng.normal(0, 0.05))
            edges.append((prev, mid, cls, None))
            prev = mid
        edges.append((prev, b, cls, None))

    # city grid over 15 x 15 km, avenues every fifth street
    side = int(round(15.0 / block_km)) + 1
    grid = [[node(i * block_km, j * block_km) for j in range(side)] for i in range(side)]
    avenue = max(1, int(round(5.0 / block_km)))
    for i in range(side):
        for j in range(side):
            if i < side - 1:
                road(grid[i][j], grid[i + 1][j], "secondary" if j % avenue == 0 else "residential", 3)
            if j < side - 1:
                road(grid[i][j], grid[i][j + 1], "secondary" if i % avenue == 0 else "residential", 3)
    # rural tree: a primary spine east from the city to the valley, secondary branches and lanes
    spine = [grid[side - 1][side // 2]] + [node(15 + 5 * k, 8 + rng.normal(0, 1)) for k in range(1, 10)]
    for a, b in zip(spine, spine[1:], strict=False):
        road(a, b, "primary", 8)
    for k, s in enumerate(spine[1:-1], start=1):
        for side in (-1, 1):
            end = node(15 + 5 * k + rng.normal(0, 1.5), 8 + side * rng.uniform(8, 20))
            road(s, end, "secondary", 10)
            for _ in range(2):
                lane = node(nodes[end][0] + rng.normal(0, 4), nodes[end][1] + rng.normal(0, 4))
                road(end, lane, "unclassified", 6)
    # mountain valley: one winding road up the valley, a few dead-end tracks
    valley = [spine[-1]] + [node(60 + 5 * k, 10 + 3 * k + rng.normal(0, 1)) for k in range(1, 8)]
    for a, b in zip(valley, valley[1:], strict=False):
        road(a, b, "tertiary", 12)
    for v in valley[1::2]:
        t = node(nodes[v][0] + rng.normal(0, 3), nodes[v][1] + rng.uniform(4, 10))
        road(v, t, "track", 10)
    return nodes, edges


GENERATED_DEPOTS = {"city": (7.5, 7.5), "eastfield": (38.0, 8.0), "pinecrest": (78.0, 20.0)}
"""Depots of the generated area (km), as the default scenario names them."""


GENERATED_STAGING = {"city/van": [(5.0, 5.0), (12.0, 10.0)], "eastfield/van": [(30.0, 0.0), (48.0, 18.0)],
                     "pinecrest/van": [(70.0, 12.0), (88.0, 30.0)]}
"""Staging points of the generated area's vans (km), by unit group."""


def generated_places(nodes: Sequence[tuple[float, float]]) -> tuple[
        dict[str, list[list[list[tuple[float, float]]]]], dict[str, tuple[float, float]],
                                                                     dict[str, list[tuple[float, float]]]]:
    """Zones, depots and staging points of a generated area: the urban zone is the city grid, the mountain zone a
    corridor around the valley's roads (x >= 60 km) and the rural zone the land around the rural road tree between
    them. Zones are lists of polygons, each a list of rings (outer ring first, then holes) in km rounded to metres;
    the zones are disjoint."""

    xy = np.asarray(nodes, float)
    urban = Polygon([(0, 0), (15, 0), (15, 15), (0, 15)])
    mx = xy[xy[:, 0] > 60]
    mountain = shapely.union_all([LineString(mx[np.argsort(mx[:, 0])]).buffer(5.0, quad_segs=2),
                                  MultiPoint([tuple(p) for p in mx]).buffer(3.0, quad_segs=2)])
    mountain = mountain.intersection(box(60, -100, 200, 200)).simplify(0.2)
    rx = xy[(xy[:, 0] > 15) & (xy[:, 0] <= 60)]
    rural = MultiPoint([tuple(p) for p in rx]).convex_hull.buffer(2.0, quad_segs=2)
    rural = rural.intersection(box(15, -100, 60, 200)).difference(urban).difference(mountain).simplify(0.2)

    def rings(g: Any) -> list[list[list[tuple[float, float]]]]:
        polys = list(g.geoms) if hasattr(g, "geoms") else [g]
        return [[[(round(float(a), 3), round(float(b), 3)) for a, b in r.coords[:-1]]
                 for r in (p.exterior, *p.interiors)] for p in polys]

    return ({"urban": rings(urban), "rural": rings(rural), "mountain": rings(mountain)}, dict(GENERATED_DEPOTS),
            {k: list(v) for k, v in GENERATED_STAGING.items()})


def to_geojson(nodes: Sequence[tuple[float, float]], edges: Sequence[tuple[int, int, str, float | None]],
               places: tuple[dict, dict, dict] | None = None) -> dict:
    """A FeatureCollection in metres: two-point LineStrings (road_class in the properties) and, with ``places``
    (zones, depots, staging points as generated_places returns them), zone Polygons (property ``zone``), depot
    Points (``depot``) and staging Points (``staging``)."""
    def m(p: Sequence[float]) -> list[float]:
        return [round(p[0] * 1000, 3), round(p[1] * 1000, 3)]

    feats = [{"type": "Feature", "properties": {"road_class": c, **({"speed_kmh": s} if s else {})},
              "geometry": {"type": "LineString", "coordinates": [m(nodes[a]), m(nodes[b])]}}
             for a, b, c, s in edges]
    if places is not None:
        zones, depots, staging = places
        feats += [{"type": "Feature", "properties": {"zone": name},
                   "geometry": {"type": "Polygon", "coordinates": [[m(p) for p in [*ring, ring[0]]] for ring in poly]}}
                  for name, polys in zones.items() for poly in polys]
        feats += [{"type": "Feature", "properties": {"depot": name}, "geometry": {"type": "Point", "coordinates": m(p)}}
                  for name, p in depots.items()]
        feats += [{"type": "Feature", "properties": {"staging": group},
                   "geometry": {"type": "Point", "coordinates": m(p)}} for group, ps in staging.items() for p in ps]
    return {"type": "FeatureCollection", "generator": "stormcrew generate-area", "features": feats}
