"""Plain-text tables for the terminal.

>>> print(text_table(["zone", "faults"], [["urban", "664"], ["all", "1472"]]))
zone   faults
-----  ------
urban     664
all      1472
"""

from __future__ import annotations

from collections.abc import Sequence


def text_table(head: Sequence[str], rows: Sequence[Sequence[str]], right: bool = True) -> str:
    """Columns padded to width under a rule; the first column left-aligned, the others right-aligned if ``right``."""
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).rjust(w) if (i and right) else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(head), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])
