"""When a unit is on duty: inside its date windows and, for a shift, inside the shift's hours every day.

>>> d = Duty([(0.0, math.inf)], shift=(420.0, 900.0), day0=0.0)   # 07:00-15:00, from midnight
>>> d.status(0.0), d.status(420.0), d.status(899.0)
((False, 420.0), (True, 900.0), (True, 900.0))
>>> night = Duty([(0.0, math.inf)], shift=(1380.0, 420.0), day0=0.0)   # 23:00-07:00
>>> night.status(60.0), night.status(600.0)
((True, 420.0), (False, 1380.0))
"""

from __future__ import annotations

import math

EPS = 1e-9


class Duty:
    """Duty windows ``[(start, end), ...]`` in minutes (sorted, disjoint), optionally cut to a daily shift
    ``(start, end)`` in minutes after midnight (end < start crosses midnight); ``day0`` is the time of day of
    minute 0."""

    def __init__(self, windows: list[tuple[float, float]], shift: tuple[float, float] | None = None,
                 day0: float = 0.0):
        self.windows = sorted(windows)
        self.shift = None if shift is None or shift[0] == shift[1] else shift
        self.day0 = day0
        self.holds: list[tuple[float, float]] = []  # held over past a shift's end (an emergency plan)

    def hold(self, start: float, end: float) -> None:
        """On duty from ``start`` to ``end`` whatever the windows and shift say (a shift held over).

        >>> d = Duty([(0.0, math.inf)], shift=(420.0, 900.0), day0=0.0)
        >>> d.hold(900.0, 1140.0)
        >>> d.status(899.0), d.status(900.0), d.status(1140.0)
        ((True, 1140.0), (True, 1140.0), (False, 1860.0))
        """
        self.holds.append((start, end))
        self.holds.sort()

    def _window(self, t: float) -> tuple[bool, float]:
        for a, b in self.windows:
            if t < a - EPS:
                return False, a
            if t < b - EPS:
                return True, b
        return False, math.inf

    def status(self, t: float) -> tuple[bool, float]:
        """(on duty at ``t``, the next time that may change); the time is infinite when it never will."""
        if not self.holds:
            return self._status(t)
        for a, b in self.holds:
            if a - EPS <= t < b - EPS:
                on, nxt = self._status(b)  # held: on until the hold ends, and on past it if duty goes on
                return True, (nxt if on and nxt > b else b)
        on, nxt = self._status(t)
        later = min([nxt, *(a for a, _ in self.holds if a > t + EPS)])
        if on and later < math.inf and later == nxt and any(a - EPS <= nxt < b - EPS for a, b in self.holds):
            return True, self.status(nxt)[1]  # duty runs straight into a hold: on until the hold ends
        return on, later

    def _status(self, t: float) -> tuple[bool, float]:
        in_window, w_next = self._window(t)
        if self.shift is None:
            return in_window, w_next
        if not in_window and w_next == math.inf:
            return False, math.inf
        s, e = self.shift
        tod = (self.day0 + t) % 1440.0
        in_shift = (s <= tod + EPS and tod < e - EPS) if s < e else (tod >= s - EPS or tod < e - EPS)

        def ahead(mark: float) -> float:
            d = (mark - tod) % 1440.0
            return 1440.0 if d < EPS or d > 1440.0 - EPS else d

        nxt = t + min(ahead(s), ahead(e))
        return in_window and in_shift, min(nxt, w_next)

    def minutes_on(self, t0: float, t1: float) -> float:
        """Minutes on duty between ``t0`` and ``t1``."""
        total, t = 0.0, t0
        while t < t1:
            on, nxt = self.status(t)
            end = min(nxt, t1)
            if on:
                total += end - t
            if nxt == math.inf:
                break
            t = end
        return total
