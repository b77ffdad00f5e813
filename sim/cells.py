"""Square grid cells, as the idle units' index and the road network's snap grid walk them: outwards from a point's
cell, one ring at a time."""

from __future__ import annotations


def ring(ci: int, cj: int, r: int) -> list[tuple[int, int]]:
    """The cells at Chebyshev distance ``r`` from cell (ci, cj), each once.

    >>> ring(0, 0, 0)
    [(0, 0)]
    >>> sorted(ring(5, 5, 1)) == sorted((5 + i, 5 + j) for i in (-1, 0, 1) for j in (-1, 0, 1) if i or j)
    True
    >>> len(ring(0, 0, 3))
    24
    """
    if r == 0:
        return [(ci, cj)]
    cells = [(i, j) for i in range(ci - r, ci + r + 1) for j in (cj - r, cj + r)]
    cells += [(i, j) for j in range(cj - r + 1, cj + r) for i in (ci - r, ci + r)]
    return cells
