"""Travel times between points of the service area.

The straight-line model: road distance = straight-line distance x circuity; half of the way is driven at the
origin zone's speed and half at the destination zone's, so a trip is as long in both directions and a trip
into the mountains is slowed by mountain roads. (Road networks are a separate model.)

>>> t = StraightLineTravel(circuity=1.0, speed_kmh=[60.0, 30.0])
>>> t.distance(0, 0, 3, 4)
5.0
>>> round(t.minutes(5.0, 0, 0), 6), round(t.minutes(5.0, 0, 1), 6)
(5.0, 7.5)
"""

from __future__ import annotations

import math
from collections.abc import Sequence


class StraightLineTravel:
    """Distances in km and driving times in minutes by straight line and zone speed."""

    def __init__(self, circuity: float, speed_kmh: Sequence[float]):
        self.circuity = circuity
        # minutes per km, per zone index
        self._pace = [60.0 / v for v in speed_kmh]

    def distance(self, x0: float, y0: float, x1: float, y1: float) -> float:
        """Road km between two points."""
        return math.hypot(x1 - x0, y1 - y0) * self.circuity

    def minutes(self, km: float, zone_from: int, zone_to: int) -> float:
        """Minutes to drive ``km`` road km from a point in ``zone_from`` to one in ``zone_to``."""
        return km * 0.5 * (self._pace[zone_from] + self._pace[zone_to])
