"""User-facing input errors: each names the file, the place in it and what was expected.

>>> err = ScenarioError("storm.yaml", [Issue(("zones", "rural", "limits", "arrive"),
...                                          "expected minutes > 0, got -5", 14)])
>>> print(err)
storm.yaml: 1 problem
  zones.rural.limits.arrive: expected minutes > 0, got -5 (line 14)
"""

from __future__ import annotations

from dataclasses import dataclass


def dotted(path: tuple[str | int, ...]) -> str:
    """``("depots", "north", "units", 0)`` -> ``depots.north.units[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True)
class Issue:
    """One problem in an input file: where (path and line) and what was expected."""

    path: tuple[str | int, ...]
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = dotted(self.path)
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} (line {self.line})" if self.line else text


class InputError(Exception):
    """Bad input from a user: reported without a traceback, exit code 2."""

    exit_code = 2


class ScenarioError(InputError):
    """A scenario (or other input file) that cannot be used, with every problem found."""

    def __init__(self, source: str, issues: list[Issue]):
        self.source = source
        self.issues = list(issues)
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.issues)
        head = f"{self.source}: {n} problem{'s' if n != 1 else ''}"
        return "\n".join([head, *(f"  {issue}" for issue in self.issues)])
