"""Where in its zone a fault occurs (a zone's ``faults_at``): uniformly over its area, uniformly along its roads
(overhead lines and cables follow them), or in proportion to the customers of a GIS layer (points, or polygons
sampled uniformly inside). Storm faults, drawn around the cell's track, then move to the nearest such place of
their zone, so a storm breaks the grid where the grid is.

Built once per process for a scenario's zones (the road network and the layers are read once).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import shapely

from sim.errors import Issue, ScenarioError
from sim.inputs.gis import inside_zone, layer_weights, read_layer
from sim.inputs.zones import ZoneMap
from sim.scenario.schema import GridLayer, Scenario
from sim.scenario.territory import load_network


class _Area:
    """Uniform over the zone's area (what ZoneMap.sample draws)."""

    def __init__(self, zm: ZoneMap, i: int) -> None:
        self.zm, self.i = zm, i

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        return self.zm.sample(rng, self.i, n)

    def settle(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x, y


class _Features:
    """Points, lines or polygons inside the zone, each with a weight: a feature is drawn in proportion to its
    weight (a line's weight is its length), then a point on it (uniform along a line, inside a polygon)."""

    def __init__(self, geoms: np.ndarray, weight: np.ndarray, what: str) -> None:
        keep = ~shapely.is_empty(geoms) & (weight > 0)
        self.geoms, self.weight = geoms[keep], weight[keep]
        if not len(self.geoms):
            raise ValueError(f"no {what} inside the zone")
        self.cum = np.cumsum(self.weight) / self.weight.sum()
        self.tree = shapely.STRtree(self.geoms)
        self.kind = shapely.get_type_id(self.geoms)  # 0 point, 1 line, 3 polygon

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        pick = np.minimum(np.searchsorted(self.cum, rng.random(n), side="right"), len(self.cum) - 1)
        along = rng.random(n)  # drawn for every fault, used by lines: one draw per fault whatever the layer
        x, y = np.empty(n), np.empty(n)
        for k in range(n):
            g = self.geoms[pick[k]]
            if self.kind[pick[k]] == 0:
                x[k], y[k] = g.x, g.y
            elif self.kind[pick[k]] in (1, 2):
                p = shapely.line_interpolate_point(g, along[k], normalized=True)
                x[k], y[k] = p.x, p.y
            else:
                x[k], y[k] = _inside(rng, g)
        return x, y

    def settle(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not len(x):
            return x, y
        pts = shapely.points(x, y)
        near = self.tree.query_nearest(pts, return_distance=False, all_matches=False)[1]
        ends = shapely.get_coordinates(shapely.shortest_line(self.geoms[near], pts)).reshape(-1, 2, 2)[:, 0]
        return ends[:, 0].copy(), ends[:, 1].copy()


def _inside(rng: np.random.Generator, poly: Any) -> tuple[float, float]:
    x0, y0, x1, y1 = poly.bounds
    for _ in range(10_000):
        x, y = x0 + rng.random() * (x1 - x0), y0 + rng.random() * (y1 - y0)
        if shapely.intersects_xy(poly, x, y):
            return x, y
    p = poly.representative_point()  # a sliver: its bounds are almost all outside it
    return float(p.x), float(p.y)


class Places:
    """Per zone (scenario order): ``sample(rng, i, n)`` draws n fault locations, ``settle(i, x, y)`` moves storm
    faults to the nearest place of zone i."""

    def __init__(self, parts: list[Any]) -> None:
        self.parts = parts

    def sample(self, rng: np.random.Generator, i: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        return self.parts[i].sample(rng, n)

    def settle(self, i: int, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.parts[i].settle(np.asarray(x, float), np.asarray(y, float))

    @property
    def uniform(self) -> bool:
        """Whether every zone draws over its area (nothing to settle)."""
        return all(isinstance(p, _Area) for p in self.parts)


_BUILT: dict[str, Places] = {}


def fault_places(sc: Scenario) -> Places:
    """The scenario's fault places (built once per process for the same zones, roads and layer files)."""
    layers = [(z.faults_at.file, _version(sc.path_of(z.faults_at.file))) for z in sc.zones.values()
              if isinstance(z.faults_at, GridLayer)]
    key = sc.model_dump_json(include={"zones", "crs", "travel"}) + repr(layers) + sc._base_dir
    if key not in _BUILT:
        if len(_BUILT) >= 4:
            _BUILT.pop(next(iter(_BUILT)))
        _BUILT[key] = _build(sc)
    return _BUILT[key]


def _version(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (0, 0)
    return st.st_mtime_ns, st.st_size


def _build(sc: Scenario) -> Places:
    """Each zone's places (see the module)."""
    zm = sc.zone_map()
    segments = None
    if any(z.faults_at == "roads" for z in sc.zones.values()):
        net = load_network(sc)
        assert net.segments is not None
        segments = shapely.linestrings(net.segments.reshape(-1, 2, 2))
    parts: list[Any] = []
    work = None
    for i, (name, zone) in enumerate(sc.zones.items()):
        fa = zone.faults_at
        where = ("zones", name, "faults_at")
        try:
            if fa == "area":
                parts.append(_Area(zm, i))
            elif fa == "roads":
                assert segments is not None
                pieces = shapely.intersection(segments, zm.geometry(i))
                pieces = pieces[shapely.get_type_id(pieces) == 1]  # lines; touching points dropped
                parts.append(_Features(pieces, shapely.length(pieces), "road"))
            else:
                assert isinstance(fa, GridLayer) and sc.crs is not None
                if work is None:
                    from sim.inputs.crs import working_crs  # noqa: PLC0415 (PROJ loads only for a territory)

                    work = working_crs(sc.crs)
                geoms, fields = read_layer(sc.path_of(fa.file), fa.model_dump(exclude={"weight"}), fa.file, work)
                w = layer_weights(fields, len(geoms), fa.weight, fa.file)
                feats, weights = inside_zone(geoms, w, zm.geometry(i))
                parts.append(_Features(feats, weights, f"customer points or polygons of {fa.file}"))
        except ValueError as exc:
            raise ScenarioError(sc.name, [Issue(where, str(exc))]) from None
    return Places(parts)
