"""The field types every part of the scenario schema shares: durations with units (``"4 h"``), times of day
(``"07:30"``), calendar dates, coordinates in km, speeds and factors, the weight checks, and the strict pydantic
base (unknown keys, NaN and infinity refused).

>>> parse_minutes("4 h"), parse_clock("07:30")
(240.0, 450.0)
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)

from sim.bounds import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_FACTOR,
    MAX_KM,
    MAX_MINUTES,
    MAX_MULTIPLIER,
    MAX_SPEED_KMH,
    MAX_WEIGHT,
    MIN_FACTOR,
    MIN_SPEED_KMH,
)

_UNITS = {"s": 1 / 60, "sec": 1 / 60, "min": 1.0, "m": 1.0, "minute": 1.0, "minutes": 1.0,
          "h": 60.0, "hr": 60.0, "hour": 60.0, "hours": 60.0, "d": 1440.0, "day": 1440.0, "days": 1440.0,
          "w": 10080.0, "week": 10080.0, "weeks": 10080.0}


_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*$")


def parse_minutes(value: Any) -> Any:
    """``"4 h"`` -> 240.0; numbers pass through (they are minutes); anything else is left for pydantic.

    >>> parse_minutes("4 h"), parse_minutes("90min"), parse_minutes("1.5 days"), parse_minutes(12)
    (240.0, 90.0, 2160.0, 12)
    """
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m and (m.group(2).lower() in _UNITS or m.group(2) == ""):
            minutes = float(m.group(1)) * _UNITS.get(m.group(2).lower(), 1.0)
            if math.isfinite(minutes):  # 400 digits overflow to inf, which the YAML check cannot see in a string
                return minutes
            raise ValueError(f"expected a finite duration, got {value!r}")
        raise ValueError(f"expected a duration such as 30, '45 min', '4 h' or '92 d', got {value!r}")
    return value


Minutes = Annotated[float, BeforeValidator(parse_minutes), Field(gt=0, le=MAX_MINUTES)]
"""A positive duration in minutes (or a string with a unit), at most MAX_MINUTES."""


MinutesOrZero = Annotated[float, BeforeValidator(parse_minutes), Field(ge=0, le=MAX_MINUTES)]
"""A duration in minutes that may be zero."""


Km = Annotated[float, Field(ge=-MAX_KM, le=MAX_KM), AfterValidator(lambda v: round(v, 9))]
"""A coordinate in km, to the micrometre (a coordinate such as 5e-324 would trouble the geometry library)."""


XY = tuple[Km, Km]
"""A point ``[x, y]`` in km."""


LonLat = tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]]
"""A point ``[longitude, latitude]`` in degrees."""


Speed = Annotated[float, Field(ge=MIN_SPEED_KMH, le=MAX_SPEED_KMH)]
"""A driving speed in km/h."""


Factor = Annotated[float, Field(ge=MIN_FACTOR, le=MAX_FACTOR)]
"""A factor on a speed or a repair time."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # "nan" and "inf" are no numbers


def parse_when(value: Any) -> Any:
    """A calendar time: ``2026-07-14``, ``"2026-07-14 15:00"`` or a date/datetime; anything else is left for pydantic.

    >>> parse_when("2026-07-14 15:30"), parse_when(dt.date(2026, 6, 1))
    (datetime.datetime(2026, 7, 14, 15, 30), datetime.datetime(2026, 6, 1, 0, 0))
    """
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    want = "expected a date or date and time such as 2026-07-14 or '2026-07-14 15:00'"
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # (pydantic would take it as a Unix time)
        raise ValueError(f"{want}, got {value!r}")
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip()).replace(tzinfo=None)
        except ValueError:
            raise ValueError(f"{want}, got {value!r}") from None
    return value


def _in_years(value: dt.datetime) -> dt.datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"expected a date in the years {FIRST_YEAR}-{LAST_YEAR}, got {value.isoformat(' ')}")
    return value.replace(tzinfo=None)


When = Annotated[dt.datetime, BeforeValidator(parse_when), AfterValidator(_in_years)]
"""A calendar time (local, no time zone): minute 0 of the season is the scenario's ``start``."""


HourWeights = Annotated[list[float], Field(min_length=24, max_length=24)]
"""24 relative weights, one per hour of the day (their scale does not matter)."""


def check_weights(w: list[float] | None) -> list[float] | None:
    if w is not None and (min(w) < 0 or max(w) <= 0):
        raise ValueError("expected 24 non-negative weights with a positive sum")
    if w is not None and max(w) > MAX_WEIGHT:
        raise ValueError(f"expected relative weights up to {MAX_WEIGHT:g}, got {max(w):g}")
    return w


def check_shares(m: dict[str, float] | None) -> dict[str, float] | None:
    if m is not None and (any(v < 0 for v in m.values()) or max(m.values(), default=0) <= 0):
        raise ValueError("expected non-negative weights with a positive sum")
    if m is not None and max(m.values()) > MAX_WEIGHT:
        raise ValueError(f"expected relative weights up to {MAX_WEIGHT:g}, got {max(m.values()):g}")
    return m


def check_factors(m: dict[str, float]) -> dict[str, float]:
    if any(v < 0 for v in m.values()):
        raise ValueError("expected non-negative rate multipliers")
    if any(v > MAX_MULTIPLIER for v in m.values()):
        raise ValueError(f"expected rate multipliers up to {MAX_MULTIPLIER:g}, got {max(m.values()):g}")
    return m


def check_months(m: dict[int, float] | None) -> dict[int, float] | None:
    if m is not None:
        bad = [k for k in m if not 1 <= k <= 12]
        if bad:
            raise ValueError(f"expected month numbers 1-12 as keys, got {bad}")
        if any(v < 0 for v in m.values()):
            raise ValueError("expected non-negative multipliers")
        if any(v > MAX_MULTIPLIER for v in m.values()):
            raise ValueError(f"expected multipliers up to {MAX_MULTIPLIER:g}, got {max(m.values()):g}")
    return m


_CLOCK = re.compile(r"^\s*([01]?[0-9]|2[0-3]):([0-5][0-9])\s*$")


def parse_clock(value: Any) -> Any:
    """``"07:30"`` -> 450.0 (minutes after midnight); numbers pass through.

    >>> parse_clock("07:30"), parse_clock("23:00")
    (450.0, 1380.0)
    """
    if isinstance(value, str):
        m = _CLOCK.match(value)
        if not m:
            raise ValueError(f"expected a time of day HH:MM such as '07:00', got {value!r}")
        return float(int(m.group(1)) * 60 + int(m.group(2)))
    return value


Clock = Annotated[float, BeforeValidator(parse_clock), Field(ge=0, lt=1440)]
"""A time of day, ``"HH:MM"``, as minutes after midnight."""
