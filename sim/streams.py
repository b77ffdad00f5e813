"""Random-number streams, one per purpose, all derived from one seed.

Each stream is keyed by the replication and a purpose path such as ``("arrivals", "urban", "cable_fault")``.
The key is hashed to stable integers, so adding a zone, a fault type or a unit leaves every other stream
untouched: policy variants see the same faults and the same repair draws (common random numbers), and a
replication draws the same numbers in any process, on any machine.

>>> a = stream(7, 0, "arrivals", "urban", "cable_fault").random()
>>> b = stream(7, 0, "arrivals", "urban", "cable_fault").random()
>>> a == b, a == stream(7, 1, "arrivals", "urban", "cable_fault").random()
(True, False)
"""

from __future__ import annotations

import zlib

import numpy as np


def _word(name: str) -> int:
    # crc32 is stable across Python runs and versions, unlike hash().
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, replication: int, *purpose: str) -> np.random.Generator:
    """A generator for ``purpose`` in ``replication`` of a run seeded with ``seed``."""
    key = (replication, *(_word(p) for p in purpose))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=key)))
