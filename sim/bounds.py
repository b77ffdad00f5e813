"""Bounds on what a number in stormcrew's inputs may be. Beyond them a value is a typing error or a unit mix-up,
and a run would overflow, exhaust memory or simulate for centuries; each is refused with its place when the
scenario or file is read."""

from __future__ import annotations

# Bounds on what a scenario may say. Beyond them a value is a typing error or a unit mix-up, and a run would
# overflow, exhaust memory or simulate for centuries; each is refused with its place when the scenario is read.
MAX_MINUTES = 100 * 365.25 * 1440.0
"""Longest duration (horizon, limits, delays, rests, ...): 100 years, in minutes."""


MAX_KM = 20_000.0
"""Largest coordinate, in km from the origin (and largest distance, e.g. a storm's radius): half the Earth's
circumference."""


MIN_SPEED_KMH, MAX_SPEED_KMH = 1.0, 1000.0
"""Slowest and fastest driving speed (km/h)."""


MIN_FACTOR, MAX_FACTOR = 0.01, 100.0
"""Smallest and largest factor on a speed or a repair time (work speed, slowdown, terrain, repair factor, ...)."""


MAX_MULTIPLIER = 1000.0
"""Largest multiplier of a rate (month, heat wave, prevention)."""


MAX_WEIGHT = 1e9
"""Largest relative weight (hours of the day, a storm's fault-type mix and zones, a replayed log's mix)."""


MAX_PER_WEEK = 1000.0
"""Most storms or heat waves starting per week, on average."""


MAX_UNITS = 10_000
"""Most units in one group, shift, seasonal extra or mutual-aid call."""


MAX_CUSTOMERS = 10_000_000
"""Most customers in one zone."""


MAX_REPLICATIONS = 100_000
"""Most replications a scenario may ask for."""


MAX_COST = 1e6
"""Highest cost per hour of one unit, and largest dispatch weight."""


MAX_FAULTS = 2_000_000
"""Most faults one replication may be expected to draw (the default season: about 1,400)."""


MAX_EVENTS = 100_000
"""Most storms or heat waves one replication may be expected to draw."""


FIRST_YEAR, LAST_YEAR = 1900, 2200
"""Calendar times (start, storms, heat waves, seasonal staff) must fall in these years."""
