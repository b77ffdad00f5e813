"""Zone geometry: which zone holds a point, uniform points in a zone, its bounds, centre and outline.

A zone's area is a box ``[x_min, y_min, x_max, y_max]`` or polygon rings in km (outer rings and holes; a point is
inside when it is inside an odd number of rings, so a ring inside another is a hole). Points on a boundary count
as inside, and where zones overlap the first zone in scenario order holds the point. Boxes are tested with plain
arithmetic, polygons with shapely's prepared geometries.

>>> zm = ZoneMap([((0.0, 0.0, 10.0, 10.0), None), (None, (((10, 0), (20, 0), (10, 10)),))])
>>> zm.locate([5.0, 12.0, 19.0], [5.0, 2.0, 9.0]).tolist()
[0, 1, -1]
>>> zm.area(1), zm.bounds(1)
(50.0, (10.0, 0.0, 20.0, 10.0))
>>> x, y = zm.sample(np.random.default_rng(1), 1, 1000)
>>> bool((zm.locate(x, y) == 1).all())
True
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon

Point = tuple[float, float]


Ring = tuple[Point, ...]


Box = tuple[float, float, float, float]


def shape_of(rings: Sequence[Sequence[Point]]) -> Any:
    """The shapely geometry of even-odd ``rings`` (the symmetric difference of their polygons)."""
    geom = None
    for ring in rings:
        p = Polygon(ring)
        geom = p if geom is None else shapely.symmetric_difference(geom, p)
    return geom


def ring_problem(ring: Sequence[Point]) -> str | None:
    """Why ``ring`` cannot bound an area (too few corners, crossing itself), or None.

    >>> ring_problem([(0, 0), (1, 1), (1, 0), (0, 1)])
    'the ring crosses itself near (0.5, 0.5); expected a simple ring of [x, y] corners'
    """
    if not all(math.isfinite(float(x)) and math.isfinite(float(y)) for x, y in ring):
        return "expected finite [x, y] corners, got NaN or infinity"
    if len({(float(x), float(y)) for x, y in ring}) < 3:
        return "expected a ring of at least three distinct [x, y] corners"
    p = Polygon(ring)
    if not p.is_valid:
        reason = shapely.is_valid_reason(p)
        at = reason[reason.find("[") + 1:reason.find("]")].split() if "[" in reason else []
        near = f" near ({float(at[0]):g}, {float(at[1]):g})" if len(at) == 2 else ""
        return f"the ring crosses itself{near}; expected a simple ring of [x, y] corners"
    if p.area <= 0:
        return "the ring encloses no area; expected corners that are not all on one line"
    return None


class ZoneMap:
    """The areas of a scenario's zones, in scenario order; each a ``(box, None)`` or ``(None, rings)`` pair."""

    def __init__(self, areas: Sequence[tuple[Box | None, Sequence[Sequence[Point]] | None]]) -> None:
        self._boxes: list[Box | None] = []
        self._shapes: list[Any] = []
        for box, rings in areas:
            if box is not None:
                self._boxes.append(tuple(float(v) for v in box))  # type: ignore[arg-type]
                self._shapes.append(None)
            else:
                assert rings is not None
                geom = shape_of(rings)
                shapely.prepare(geom)
                self._boxes.append(None)
                self._shapes.append(geom)

    def __len__(self) -> int:
        return len(self._boxes)

    def is_box(self, i: int) -> bool:
        """Whether zone ``i`` is a box."""
        return self._boxes[i] is not None

    def contains(self, i: int, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Whether each point lies in zone ``i`` (its boundary included)."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        b = self._boxes[i]
        if b is not None:
            return (x >= b[0]) & (x <= b[2]) & (y >= b[1]) & (y <= b[3])
        return shapely.intersects_xy(self._shapes[i], x, y)

    def locate(self, x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray,
               among: Sequence[int] | None = None) -> np.ndarray:
        """The first zone (of ``among``, default all, in that order) holding each point, -1 for none."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        out = np.full(len(x), -1, np.int64)
        for i in range(len(self)) if among is None else among:
            todo = np.flatnonzero(out < 0)
            if not len(todo):
                break
            out[todo[self.contains(int(i), x[todo], y[todo])]] = int(i)
        return out

    def bounds(self, i: int) -> Box:
        """``(x_min, y_min, x_max, y_max)`` of zone ``i``."""
        b = self._boxes[i]
        return b if b is not None else tuple(float(v) for v in self._shapes[i].bounds)  # type: ignore[return-value]

    def extent(self) -> Box:
        """The bounds of all zones together."""
        bs = np.array([self.bounds(i) for i in range(len(self))])
        return float(bs[:, 0].min()), float(bs[:, 1].min()), float(bs[:, 2].max()), float(bs[:, 3].max())

    def area(self, i: int) -> float:
        """Area of zone ``i`` in km²."""
        b = self._boxes[i]
        return (b[2] - b[0]) * (b[3] - b[1]) if b is not None else float(self._shapes[i].area)

    def centre(self, i: int) -> Point:
        """A central point inside zone ``i``: a box's centre, a polygon's representative point."""
        b = self._boxes[i]
        if b is not None:
            return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        p = self._shapes[i].representative_point()
        return float(p.x), float(p.y)

    def sample(self, rng: np.random.Generator, i: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` points uniform over zone ``i``: a box directly (all x, then all y), a polygon by drawing from its
        bounds and keeping the points inside, in order."""
        x0, y0, x1, y1 = self.bounds(i)
        if self._boxes[i] is not None:
            return x0 + rng.random(n) * (x1 - x0), y0 + rng.random(n) * (y1 - y0)
        share = self.area(i) / max((x1 - x0) * (y1 - y0), 1e-12)
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        have = 0
        while have < n:
            m = max(16, math.ceil((n - have) / share * 1.1))
            x, y = x0 + rng.random(m) * (x1 - x0), y0 + rng.random(m) * (y1 - y0)
            inside = self.contains(i, x, y)
            xs.append(x[inside])
            ys.append(y[inside])
            have += int(inside.sum())
        return np.concatenate(xs)[:n] if xs else np.empty(0), np.concatenate(ys)[:n] if ys else np.empty(0)

    def geometry(self, i: int) -> Any:
        """Zone ``i`` as a shapely geometry."""
        b = self._boxes[i]
        return shapely.box(*b) if b is not None else self._shapes[i]

    def clamp(self, i: int, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each point moved to the nearest point of zone ``i`` (points inside stay where they are)."""
        x, y = np.asarray(x, float).copy(), np.asarray(y, float).copy()
        b = self._boxes[i]
        if b is not None:
            return np.clip(x, b[0], b[2]), np.clip(y, b[1], b[3])
        out = np.flatnonzero(~self.contains(i, x, y))
        if len(out):
            lines = shapely.shortest_line(self._shapes[i], shapely.points(x[out], y[out]))
            ends = shapely.get_coordinates(lines).reshape(-1, 2, 2)[:, 0]
            x[out], y[out] = ends[:, 0], ends[:, 1]
        return x, y

    def outline(self, i: int) -> list[tuple[list[float], list[float]]]:
        """The closed rings of zone ``i``'s boundary, as (xs, ys) for plotting."""
        b = self._boxes[i]
        if b is not None:
            return [([b[0], b[2], b[2], b[0], b[0]], [b[1], b[1], b[3], b[3], b[1]])]
        geom = self._shapes[i]
        polys = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
        out = []
        for p in polys:
            for ring in (p.exterior, *p.interiors):
                xs, ys = ring.xy
                out.append((list(map(float, xs)), list(map(float, ys))))
        return out


@functools.lru_cache(maxsize=16)
def zone_map(areas: tuple[tuple[Box | None, tuple[Ring, ...] | None], ...]) -> ZoneMap:
    """A ZoneMap, built once per process for the same areas."""
    return ZoneMap(areas)
