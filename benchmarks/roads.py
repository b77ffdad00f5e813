"""Road network speed: prepare a generated network of about 10,000 nodes (collapse, all-pairs, disk cache), then
answer 100,000 random trips; and the second start, from the disk cache.

    .venv/bin/python benchmarks/roads.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.engine.travel import RoadTravel  # noqa: E402
from sim.inputs.generated_area import generate_area  # noqa: E402
from sim.inputs.roads import RoadNetwork


def main() -> None:
    nodes, edges = generate_area(seed=1, detail=2, block_km=0.5)
    net = RoadNetwork.from_edges(nodes, edges)
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        prepared = net.prepare(cache=cache)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        net.prepare(cache=cache)
        second = time.perf_counter() - t0
    travel = RoadTravel(prepared, 15.0)
    rng = np.random.default_rng(1)
    n = 100_000
    pts = rng.uniform([0, -15, 0, -15], [100, 40, 100, 40], size=(n, 4))
    # fault locations repeat in a run (a unit drives from one fault to the next): snap 10,000 places, trip 100,000
    places = rng.uniform([0, -15], [100, 40], size=(10_000, 2))
    pairs = rng.integers(0, len(places), size=(n, 2))
    t0 = time.perf_counter()
    for i, j in pairs:
        travel.trip(places[i, 0], places[i, 1], 0, places[j, 0], places[j, 1], 0, 0.0)
    lookups = time.perf_counter() - t0
    travel = RoadTravel(prepared, 15.0)
    t0 = time.perf_counter()
    for x0, y0, x1, y1 in pts:
        travel.trip(x0, y0, 0, x1, y1, 0, 0.0)
    fresh = time.perf_counter() - t0
    print(f"network: {len(nodes):,} nodes, {len(edges):,} road segments -> {len(prepared):,} junctions after "
          f"collapsing chains")
    print(f"prepare (collapse, all-pairs times and route lengths, write cache): {first:.2f} s; "
          f"second start from the disk cache: {second:.3f} s")
    print(f"100,000 trips between 10,000 places: {lookups:.2f} s, {1e6 * lookups / n:.1f} us per trip")
    print(f"100,000 trips between fresh random points (each snapped by KD-tree): {fresh:.2f} s, "
          f"{1e6 * fresh / n:.1f} us per trip")


if __name__ == "__main__":
    main()
