"""A real utility's scale: a county road network (about 100,000 junctions) prepared cold and started warm from the
disk cache, and a hurricane over it (about 100,000 faults in 72 hours, 3,000 units with mutual aid).

    .venv/bin/python benchmarks/scale.py [--write-only] [--hours H]

Writes the county network (benchmarks/data/county_roads.geojson, metres, about 25 MB; not committed) that
``benchmarks/hurricane.yaml`` drives over, so the hurricane also runs as a scenario:
``stormcrew run benchmarks/hurricane.yaml -n 1``. ``--hours H`` simulates only the first H hours of the storm (for a
machine where the whole one takes too long); every figure printed is measured, none extrapolated.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

NETWORK = HERE / "data" / "county_roads.geojson"
SIDE = 317  # junctions a side: 100,489 in all
SPACING_KM = 0.2  # a block: a 63 km square


def county() -> tuple[list[tuple[float, float]], list[tuple[int, int, str, None]]]:
    """A street grid of SIDE x SIDE junctions, a block apart, jittered; every 10th street a primary road."""
    rng = np.random.default_rng(2026)
    ii, jj = np.meshgrid(np.arange(SIDE), np.arange(SIDE), indexing="ij")
    x = ii * SPACING_KM + rng.normal(0, SPACING_KM * 0.1, ii.shape)
    y = jj * SPACING_KM + rng.normal(0, SPACING_KM * 0.1, jj.shape)
    nodes = [(round(float(a), 4), round(float(b), 4)) for a, b in zip(x.ravel(), y.ravel(), strict=True)]
    idx = np.arange(SIDE * SIDE).reshape(SIDE, SIDE)
    edges: list[tuple[int, int, str, None]] = []
    for i in range(SIDE):
        for j in range(SIDE):
            if i + 1 < SIDE:
                edges.append((int(idx[i, j]), int(idx[i + 1, j]), "primary" if j % 10 == 0 else "residential", None))
            if j + 1 < SIDE:
                edges.append((int(idx[i, j]), int(idx[i, j + 1]), "primary" if i % 10 == 0 else "residential", None))
    return nodes, edges


def write_network() -> None:
    nodes, edges = county()
    feats = [{"type": "Feature", "properties": {"highway": c},
              "geometry": {"type": "LineString", "coordinates": [[nodes[u][0] * 1000, nodes[u][1] * 1000],
                                                                 [nodes[v][0] * 1000, nodes[v][1] * 1000]]}}
             for u, v, c, _ in edges]
    NETWORK.parent.mkdir(exist_ok=True)
    NETWORK.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    print(f"wrote {NETWORK}: {len(nodes):,} junctions, {len(edges):,} road segments")


PREPARE = """
import resource, sys, time
sys.path.insert(0, {root!r})
from sim.inputs.roads import RoadNetwork
from benchmarks.scale import county
net = RoadNetwork.from_edges(*county())
t0 = time.perf_counter()
p = net.prepare(cache={cache!r})
t = time.perf_counter() - t0
print(t, len(p), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def prepare_figures() -> None:
    """Cold preparation and warm start, each in a fresh process (peak memory is the process's)."""
    with tempfile.TemporaryDirectory() as cache:
        for label in ("cold (collapse, connectivity, disk cache written)", "warm (from the disk cache)"):
            out = subprocess.run([sys.executable, "-c", PREPARE.format(root=str(HERE.parent), cache=cache)],
                                 capture_output=True, text=True, check=True).stdout.split()
            print(f"county network {label}: {float(out[0]):.2f} s, {int(out[1]):,} junctions, peak memory "
                  f"{float(out[2]):.0f} MB")


def hurricane(hours: float | None) -> None:
    import sim
    from sim.engine.model import simulate

    if not NETWORK.exists():
        write_network()
    t0 = time.perf_counter()
    sc = sim.load_scenario(HERE / "hurricane.yaml")  # reads and prepares the network (or takes it from the cache)
    load = time.perf_counter() - t0
    if hours is not None:
        sc = sc.with_changes(horizon=hours * 60.0)
    t0 = time.perf_counter()
    rec = simulate(sc, sc.seed, 0)
    run = time.perf_counter() - t0
    n = len(rec.faults)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"hurricane: {sc.horizon / 60:.0f} h simulated, {n:,} faults, {sc.unit_count():,} units (+ mutual aid): "
          f"scenario and network read in {load:.1f} s, one replication {run:.1f} s ({1e6 * run / max(n, 1):.0f} us "
          f"per fault), peak memory {peak:.0f} MB")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--write-only", action="store_true", help="write the county network and stop")
    p.add_argument("--hours", type=float, help="simulate only the first H hours of the hurricane")
    args = p.parse_args()
    if args.write_only:
        write_network()
        return
    prepare_figures()
    hurricane(args.hours)


if __name__ == "__main__":
    main()
