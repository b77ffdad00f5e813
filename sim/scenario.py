"""The scenario: a typed, validated, fully resolved description of one service area and its organisation.

Times are in minutes. Wherever a time is asked for, a string with a unit is accepted too: ``"4 h"``,
``"90 min"``, ``"92 d"``. Zones named urban, rural and mountain get the published response limits by default.

>>> sc = load_scenario({
...     "name": "tiny",
...     "horizon": "2 d",
...     "zones": {"urban": {"speed_kmh": 30, "area": {"box": [0, 0, 10, 10]}}},
...     "fault_types": {"cable_fault": {"skills": ["cable"], "repair": {"dist": "expon", "scale": 120}}},
...     "arrivals": {"per_day": {"urban": {"cable_fault": 6}}},
...     "depots": {"central": {"zone": "urban", "location": [5, 5],
...                            "units": [{"name": "cable", "skills": ["cable"], "count": 2}]}},
... })
>>> sc.horizon, sc.zones["urban"].limits.arrive, sc.zones["urban"].limits.restore
(2880.0, 30.0, 240.0)
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import math
import os
import re
import stat
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.distributions import Distribution, finite_number, shown
from sim.errors import Issue, ScenarioError
from sim.figures import known_figures
from sim.yamlsource import YamlDocument, extend, parse_yaml, read_yaml, rebase
from sim.zones import ZoneMap, ring_problem
from sim.zones import zone_map as _zone_map

# The published promise (DOMAIN.md): minutes to be on site, minutes to restore.
DEFAULT_LIMITS: dict[str, tuple[float, float]] = {
    "urban": (30.0, 240.0),
    "rural": (60.0, 360.0),
    "mountain": (90.0, 360.0),
}

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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # "nan" and "inf" are no numbers


class Limits(_Strict):
    """The promise for one zone: on site within ``arrive`` and power back within ``restore`` minutes."""

    arrive: Minutes
    restore: Minutes


class Area(_Strict):
    """Where a zone's faults occur (uniformly over it), in km: a ``box`` ``[x_min, y_min, x_max, y_max]``, or a
    ``polygon``: one ring of ``[x, y]`` corners or a list of rings (outer rings and holes, even-odd), or ``file``: a
    GeoJSON file whose Polygon and MultiPolygon features with property ``zone`` equal to this zone's name make its
    area. A file is read when the scenario is loaded, in the road network's coordinates (``travel.units``,
    ``travel.origin``) and written out as ``polygon`` (``file`` stays as a record of where it came from)."""

    box: tuple[Km, Km, Km, Km] | None = None
    polygon: tuple[tuple[XY, ...], ...] | None = None
    file: str | None = None

    @field_validator("box")
    @classmethod
    def _ordered(cls, box: tuple[float, float, float, float] | None) -> tuple[float, float, float, float] | None:
        if box is not None and (box[0] > box[2] or box[1] > box[3]):
            raise ValueError(f"expected [x_min, y_min, x_max, y_max] with min <= max, got {list(box)}")
        return box

    @field_validator("polygon", mode="before")
    @classmethod
    def _one_ring(cls, value: Any) -> Any:
        # a single ring [[x, y], ...] is the common case; a list of rings has one more level
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)) and value[0] \
                and isinstance(value[0][0], (int, float)) and not isinstance(value[0][0], bool):
            return [value]
        return value

    @field_validator("polygon")
    @classmethod
    def _simple(cls, rings: tuple[tuple[tuple[float, float], ...], ...] | None) -> Any:
        if rings is not None and not rings:
            raise ValueError("expected a ring of [x, y] corners or a list of rings, got none")
        for k, ring in enumerate(rings or ()):
            problem = ring_problem(ring)
            if problem:
                raise ValueError(problem if len(rings or ()) == 1 else f"ring {k}: {problem}")
        return rings

    @model_validator(mode="after")
    def _one_shape(self) -> Area:
        if (self.box is None) == (self.polygon is None):
            if self.box is None and self.file is not None:
                raise ValueError(f"no zone polygon could be read from {self.file}")
            raise ValueError("expected one of box: [x_min, y_min, x_max, y_max], polygon: [[x, y], ...] or file: "
                             "a GeoJSON file of zone polygons")
        return self

    def shape(self) -> tuple[tuple[float, float, float, float] | None, tuple[tuple[tuple[float, float], ...], ...]
                             | None]:
        """The ``(box, rings)`` pair ZoneMap takes."""
        return self.box, self.polygon


class Zone(_Strict):
    """A service area with its own promise, road speed and geography."""

    limits: Limits  # filled in for urban, rural and mountain before validation
    speed_kmh: Speed = Field(description="typical driving speed on this zone's roads")
    area: Area
    customers: int | None = Field(default=None, gt=0, le=MAX_CUSTOMERS,
                                  description="customers served (N_T for indices)")


class VanWork(_Strict):
    """What a mobile service van can do for a fault type: light work taking ``work`` minutes, which is the whole
    repair for a share ``fixes`` of these faults (a fuse, a reset) and, when ``restores``, gets the customers'
    supply back temporarily while the fault waits for its crew; reconnecting them to the repaired network later
    cuts them off again for ``reconnect`` minutes. Whether a van can fix a fault is known for sure only once it is
    there: the customer's call tells the dispatch centre with probability ``triage``; otherwise it knows only the
    share ``fixes``, and its guess is a draw with that share."""

    work: Distribution = Distribution.model_validate(30)
    fixes: float = Field(default=0.0, ge=0, le=1)
    restores: bool = False
    reconnect: MinutesOrZero = 30.0
    triage: float = Field(default=0.7, ge=0, le=1)


class Switching(_Strict):
    """Restoration in stages: once a unit with one of ``skills`` (default: any skill of the fault type) is on
    site, isolating the fault and switching a share ``share`` of its customers to another feeder takes ``time``
    minutes; those customers have supply back then, the rest when the fault is repaired."""

    share: float = Field(gt=0, le=1)
    time: MinutesOrZero = 30.0
    skills: list[str] | None = None


class FaultType(_Strict):
    """A kind of fault: the skills its repair needs (one unit with them all, or several that together have them),
    how long the repair takes, how many customers it cuts off, the share that cut off critical customers
    (hospitals), what a van can do for it, and whether part of its customers can be switched to another feeder
    before the repair."""

    skills: list[str] = Field(min_length=1)
    repair: Distribution
    customers: Distribution = Distribution.model_validate(1)
    critical: float = Field(default=0.0, ge=0, le=1, description="share of faults cutting off critical customers")
    van: VanWork | None = None
    switching: Switching | None = None


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


def _check_weights(w: list[float] | None) -> list[float] | None:
    if w is not None and (min(w) < 0 or max(w) <= 0):
        raise ValueError("expected 24 non-negative weights with a positive sum")
    if w is not None and max(w) > MAX_WEIGHT:
        raise ValueError(f"expected relative weights up to {MAX_WEIGHT:g}, got {max(w):g}")
    return w


def _check_shares(m: dict[str, float] | None) -> dict[str, float] | None:
    if m is not None and (any(v < 0 for v in m.values()) or max(m.values(), default=0) <= 0):
        raise ValueError("expected non-negative weights with a positive sum")
    if m is not None and max(m.values()) > MAX_WEIGHT:
        raise ValueError(f"expected relative weights up to {MAX_WEIGHT:g}, got {max(m.values()):g}")
    return m


def _check_factors(m: dict[str, float]) -> dict[str, float]:
    if any(v < 0 for v in m.values()):
        raise ValueError("expected non-negative rate multipliers")
    if any(v > MAX_MULTIPLIER for v in m.values()):
        raise ValueError(f"expected rate multipliers up to {MAX_MULTIPLIER:g}, got {max(m.values()):g}")
    return m


def _check_months(m: dict[int, float] | None) -> dict[int, float] | None:
    if m is not None:
        bad = [k for k in m if not 1 <= k <= 12]
        if bad:
            raise ValueError(f"expected month numbers 1-12 as keys, got {bad}")
        if any(v < 0 for v in m.values()):
            raise ValueError("expected non-negative multipliers")
        if any(v > MAX_MULTIPLIER for v in m.values()):
            raise ValueError(f"expected multipliers up to {MAX_MULTIPLIER:g}, got {max(m.values()):g}")
    return m


class Rate(_Strict):
    """Faults per day of one type in one zone, optionally shaped by hour of day."""

    per_day: float = Field(ge=0)
    hour_of_day: HourWeights | None = None

    _weights = field_validator("hour_of_day")(_check_weights)

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"per_day": value}
        return value


class Spell(_Strict):
    """A heat wave of the calendar: when it starts and how long it lasts."""

    start: When
    duration: Minutes


class HeatWaves(_Strict):
    """Heat waves raise the background rate of some fault types (overheating, oil leaks, insulation) while they
    last. Random ones start as a Poisson process (``per_week``, shaped by ``month``); ``calendar`` adds known ones.
    """

    per_week: float = Field(default=0.0, ge=0, le=MAX_PER_WEEK)
    month: dict[int, float] | None = None
    duration: Distribution = Distribution.model_validate(4320)
    multiplier: dict[str, float] = Field(default_factory=dict, description="fault type -> rate factor (>= 0)")
    calendar: list[Spell] = Field(default_factory=list)

    _months = field_validator("month")(_check_months)
    _factors = field_validator("multiplier")(_check_factors)


class Closures(_Strict):
    """On a road network, a storm closes each road in its footprint with probability ``share``; they reopen
    ``duration`` minutes after the storm began."""

    share: float = Field(gt=0, le=1)
    duration: Distribution = Distribution.model_validate(720)


class KnownStorm(_Strict):
    """A storm of the calendar: when, how long, how many faults per hour, and which zones it hits."""

    name: str = ""
    start: When
    duration: Minutes
    faults_per_hour: float = Field(gt=0)
    zones: list[str] = Field(min_length=1)
    mix: dict[str, float] | None = Field(default=None, description="default: the storms' mix")


class Storms(_Strict):
    """Storms as their own random process: a Poisson stream of storm starts (``per_week``, shaped by ``month`` and
    ``hour_of_day``), each with a random duration (minutes) and intensity (faults per hour, heavy-tailed), or a
    random ``size`` (faults per storm) spread over its duration when size and duration are what is known. A storm
    cell starts in a zone (chosen by ``zones`` weights) and drifts at ``speed_kmh`` in a random direction; its
    faults fall around its track with a spread of ``radius_km``, so they cluster. ``mix`` is the fault-type mix of
    storm faults. ``calendar`` adds known storms.
    """

    per_week: float = Field(default=0.0, ge=0, le=MAX_PER_WEEK)
    month: dict[int, float] | None = None
    hour_of_day: HourWeights | None = None
    duration: Distribution = Distribution.model_validate(360)
    intensity: Distribution = Distribution.model_validate(10)
    size: Distribution | None = Field(default=None, description="faults per storm; replaces intensity when given")
    mix: dict[str, float] = Field(min_length=1)
    zones: dict[str, float] | None = Field(default=None, description="relative chance a storm centres on a zone")
    radius_km: float = Field(default=10.0, gt=0, le=MAX_KM)
    speed_kmh: float = Field(default=30.0, ge=0, le=MAX_SPEED_KMH)
    repair_factor: Factor = Field(default=1.0, description="storm damage takes this much longer to repair")
    slowdown: float = Field(default=1.0, ge=MIN_FACTOR, le=1,
                            description="speed factor in the footprint while it lasts")
    closures: Closures | None = None
    calendar: list[KnownStorm] = Field(default_factory=list)

    _weights = field_validator("hour_of_day")(_check_weights)
    _months = field_validator("month")(_check_months)

    _shares = field_validator("mix", "zones")(_check_shares)


class LogColumns(_Strict):
    """Which column of a historical log holds what (names in the file); unset optional ones are not read."""

    time_out: str = "time_out"
    duration_h: str | None = "duration_h"
    longitude: str | None = "longitude"
    latitude: str | None = "latitude"
    x_km: str | None = None
    y_km: str | None = None
    cause: str | None = None
    customers: str | None = None


class Replay(_Strict):
    """Faults taken from a historical outage log instead of (or besides) the model: every row reported between
    the scenario's ``start`` and ``start + horizon`` becomes a fault at its place and time.

    Locations in degrees are projected to km around ``origin`` (longitude, latitude); the zone is the first whose
    area holds the point, and rows outside every zone are dropped and reported. The fault type comes from the
    ``cause`` column through ``causes``, else is drawn from ``mix``. ``repair: model`` draws the repair time from
    the fault type; ``repair: log`` uses ``repair_share`` x the logged outage duration.
    """

    log: str = Field(min_length=1, description="CSV file, relative to the scenario file")
    columns: LogColumns = LogColumns()
    origin: LonLat | None = None
    causes: dict[str, str] = Field(default_factory=dict)
    mix: dict[str, float] = Field(min_length=1)
    repair: Literal["model", "log"] = "model"
    repair_share: Factor = 1.0

    _shares = field_validator("mix")(_check_shares)


class Arrivals(_Strict):
    """Where faults come from: a background Poisson rate per zone and fault type (``per_day``, shaped by
    ``hour_of_day`` weights and ``month`` multipliers), heat waves, storms and a replayed log. ``day_to_day`` > 0
    makes the background rate vary between days (weather that is not a storm): each day's rate is multiplied by a
    gamma factor with mean 1 and this coefficient of variation, shared by every zone and type, so calm-day counts
    are negative binomial rather than Poisson. ``severity`` > 0 adds the days between calm and storm: each day also
    draws a weather severity, a lognormal factor with mean 1 and this log standard deviation (``exp(severity * Z -
    severity**2 / 2)``, ``Z`` standard normal), multiplying the same rates; it has its own random stream, so a
    scenario without it draws exactly as before.
    ``prevention`` multiplies the rate of a fault type everywhere (tree trimming: ``tree_contact: 0.7``).
    """

    process: Literal["poisson"] = "poisson"
    hour_of_day: HourWeights | None = None
    month: dict[int, float] | None = None
    per_day: dict[str, dict[str, Rate]] = Field(default_factory=dict)
    day_to_day: float = Field(default=0.0, ge=0, le=10,
                              description="coefficient of variation of a daily rate factor")
    severity: float = Field(default=0.0, ge=0, le=3, description="log-sd of a daily lognormal weather factor")
    prevention: dict[str, float] = Field(default_factory=dict)
    heat_waves: HeatWaves | None = None
    storms: Storms | None = None
    replay: Replay | None = None

    _weights = field_validator("hour_of_day")(_check_weights)
    _months = field_validator("month")(_check_months)
    _factors = field_validator("prevention")(_check_factors)


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


class Shift(_Strict):
    """``count`` units on duty every day from ``start`` to ``end`` (crossing midnight when end < start). On-call
    units are reachable but leave only after a ``callout`` delay."""

    name: str = Field(min_length=1)
    start: Clock
    end: Clock
    count: int = Field(ge=0, le=MAX_UNITS)
    on_call: bool = False
    callout: MinutesOrZero = Field(default=0.0, description="minutes from call to leaving, for on-call units")


class Extra(_Strict):
    """Seasonal extra staff: ``count`` more units from ``start`` to ``end`` (on the named shift, or all day)."""

    start: When
    end: When
    count: int = Field(ge=0, le=MAX_UNITS)
    shift: str | None = None


class UnitGroup(_Strict):
    """Identical units based at a depot: ``count`` on duty round the clock, plus a ``roster`` of shifts and
    seasonal ``extra`` staff.

    Kinds: ``crew`` (a specialist crew), ``team`` (an integrated repair team: all its skills in one unit, ``size``
    people, repairs ``work_speed`` times as fast), ``van`` (a mobile service van: GPS-tracked, light work, no
    skills needed; idle vans go back to the depot or to the nearest of their ``staging`` points).
    ``max_hours`` caps the hours a unit works in a row, after which it rests ``rest`` minutes. A job in progress at
    the end of a shift is finished (overtime, paid at ``overtime_cost_per_hour``).
    """

    name: str = Field(min_length=1)
    kind: Literal["crew", "team", "van"] = "crew"
    skills: list[str] = Field(default_factory=list)
    count: int = Field(default=0, ge=0, le=MAX_UNITS)
    roster: list[Shift] = Field(default_factory=list)
    extra: list[Extra] = Field(default_factory=list)
    size: int = Field(default=2, ge=1, le=1000, description="people in one unit")
    work_speed: Factor = Field(default=1.0, description="repair time is divided by this")
    cost_per_hour: float = Field(default=0.0, ge=0, le=MAX_COST, description="cost of one unit per hour on duty")
    overtime_cost_per_hour: float | None = Field(default=None, ge=0, le=MAX_COST,
                                                 description="default 1.5 x cost_per_hour")
    max_hours: Minutes | None = Field(default=None, description="minutes of work in a row before rest")
    rest: Minutes = 480.0
    staging: list[XY] = Field(default_factory=list, description="where idle vans wait")

    @model_validator(mode="after")
    def _consistent(self) -> UnitGroup:
        if self.kind != "van" and not self.skills:
            raise ValueError(f"a {self.kind} needs skills; expected a list such as [overhead_line]")
        names = [s.name for s in self.roster]
        for e in self.extra:
            if e.shift is not None and e.shift not in names:
                raise ValueError(f"extra staff on unknown shift {e.shift!r}; expected one of {names}")
        return self

    def staffed(self) -> bool:
        """Whether any unit of this group is ever on duty."""
        return self.count > 0 or any(s.count for s in self.roster) or any(e.count for e in self.extra)

    def overtime_rate(self) -> float:
        """Cost of an overtime hour."""
        return 1.5 * self.cost_per_hour if self.overtime_cost_per_hour is None else self.overtime_cost_per_hour


class Depot(_Strict):
    """Where units start, return to and wait; ``serves`` lists the zones they may be sent to (default: all)."""

    zone: str
    location: XY
    serves: list[str] | None = None
    units: list[UnitGroup] = Field(default_factory=list)


class Travel(_Strict):
    """How units drive. ``straight_line``: distance x circuity, half the way at each end's zone speed.
    ``road_network``: shortest routes over the roads of ``network`` (GeoJSON LineStrings or an OSMnx GraphML
    file, relative to the scenario file; coordinates in degrees, projected around ``origin``, or in metres),
    at ``speeds`` by road class times the ``terrain`` factor of the zone a road lies in; points snap to the
    nearest junction and drive the snap at ``snap_speed_kmh``. ``variability``: a random factor on every trip's
    time (e.g. lognorm with scale 1)."""

    model: Literal["straight_line", "road_network"] = "straight_line"
    circuity: float = Field(default=1.3, ge=1.0, le=10.0, description="road km per straight-line km")
    network: str | None = None
    units: Literal["auto", "degrees", "metres"] = "auto"
    origin: LonLat | None = None
    speeds: dict[str, Speed] = Field(default_factory=dict, description="km/h by road class")
    terrain: dict[str, Factor] = Field(default_factory=dict, description="speed factor by zone")
    snap_speed_kmh: Speed = 15.0
    variability: Distribution | None = None

    @model_validator(mode="after")
    def _network_given(self) -> Travel:
        if self.model == "road_network" and not self.network:
            raise ValueError("model road_network needs network: a GeoJSON or GraphML file of roads")
        return self


class MedThreshold(_Strict):
    """T_MED, the major event day threshold (IEEE 1366, 2.5 beta method): ``t_med: 600``, SAIDI minutes per day
    stated by the planner from the utility's history, or ``t_med: {days: FILE}``, the daily history to compute it
    from: a CSV with columns ``date,saidi_min`` (one row per day, YYYY-MM-DD and SAIDI minutes >= 0; a day not
    listed had none; the last five years are used) or a results folder (or its ``days.parquet``), whose
    replications' days are pooled. FILE is relative to the scenario file."""

    value: float | None = Field(default=None, gt=0, description="SAIDI minutes per day")
    days: str | None = Field(default=None, min_length=1, description="daily SAIDI history file")

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        if finite_number(value) and value > 0:
            return {"value": value}
        raise ValueError(f"expected SAIDI minutes per day (a number > 0) or {{days: FILE}} (a daily SAIDI history), "
                         f"got {shown(value)}")

    @model_validator(mode="after")
    def _one(self) -> MedThreshold:
        if (self.value is None) == (self.days is None):
            raise ValueError("expected either a number (SAIDI minutes per day) or {days: FILE}, got "
                             + ("both" if self.value is not None else "neither"))
        return self


class Reliability(_Strict):
    """How IEEE 1366 indices are computed. Customers of a zone are laid out over a grid of ``feeder_km`` cells of
    its area, so faults in the same cell interrupt the same customers (counted once in CN). A day whose SAIDI is
    above ``t_med`` is a major event day: ``t_med`` is the planner's threshold from the utility's history (SAIDI
    minutes per day) or ``{days: FILE}``, a daily history to compute it from (see MedThreshold); by default one
    threshold for the whole run, from the daily SAIDI of all its replications pooled (sim.major_events).
    ``med_threshold`` is the former name of a stated ``t_med``. CELID counts customers with one interruption
    longer than ``celid_s_hours`` (CELID_s) or interruptions adding up to more than ``celid_t_hours``
    (CELID_t)."""

    feeder_km: float = Field(default=2.0, ge=0.1, le=MAX_KM)
    t_med: MedThreshold | None = None
    celid_s_hours: float = Field(default=8.0, gt=0)
    celid_t_hours: float = Field(default=8.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _former_name(cls, value: Any) -> Any:
        if isinstance(value, dict) and "med_threshold" in value and "t_med" not in value:
            value = {("t_med" if k == "med_threshold" else k): v for k, v in value.items()}
        return value


class Divert(_Strict):
    """A van heading to a fault of a type in ``from_types`` may be diverted to a new fault of a type in
    ``to_types`` when it can be there sooner than any idle van; the bumped fault goes back to the queue. ``any``
    matches every type."""

    from_types: list[str] = Field(min_length=1)
    to_types: list[str] = Field(min_length=1)


class Dispatch(_Strict):
    """The dispatch centre's policy. A new fault gets the idle capable unit(s) that can be there soonest; a unit
    that comes free takes the waiting fault first in ``order``: ``oldest``, ``most_customers``, ``critical_first``
    or ``score`` (``weights`` x customers, critical customers, hours waited). A fault still waiting after
    ``escalate_after`` minutes goes ahead of every fault that is not escalated. A fault that needs several
    specialist crews gets them together: none is sent (each takes other work meanwhile) until all its skills are
    free, or until it has waited ``hold_back`` (then each goes as it comes free and waits on site for the others;
    0: always so; null: never).

    The promise's clock starts with the customer's call: taking the call and deciding takes ``call_handling``
    minutes (a distribution), queued for one of ``call_takers`` call takers when that is stated (in a storm the
    calls wait for them); a unit leaving from its depot needs ``turnout`` minutes to get rolling (an on-call unit
    at home its ``callout`` instead; a unit already out, none)."""

    order: Literal["oldest", "most_customers", "critical_first", "score"] = "oldest"
    weights: dict[Literal["customers", "critical", "waiting_h"], Annotated[float, Field(ge=-MAX_COST, le=MAX_COST)]] \
        = Field(default_factory=dict)
    escalate_after: Minutes | None = None
    hold_back: MinutesOrZero | None = 120.0
    call_handling: Distribution | None = None
    call_takers: int | None = Field(default=None, ge=1, le=MAX_UNITS)
    turnout: MinutesOrZero = 0.0
    divert: list[Divert] = Field(default_factory=list)


class MutualAid(_Strict):
    """Crews from neighbouring utilities, called when a storm is declared: when the faults waiting reach
    ``backlog`` (and again after ``cooldown``), or at the start of each calendar storm. ``crews`` units arrive at
    ``staging`` after ``delay``, stay ``stay`` and drive ``speed_factor`` times as fast (slower on roads they do
    not know)."""

    backlog: int | None = Field(default=None, ge=1)
    on_calendar_storms: bool = False
    crews: int = Field(ge=1, le=MAX_UNITS)
    kind: Literal["crew", "team"] = "crew"
    skills: list[str] = Field(min_length=1)
    zone: str
    staging: XY
    serves: list[str] | None = None
    delay: Minutes = 480.0
    stay: Minutes = 4320.0
    cooldown: Minutes = 1440.0
    speed_factor: Factor = 0.8
    work_speed: Factor = 1.0
    cost_per_hour: float = Field(default=0.0, ge=0, le=MAX_COST)


class Prestage(_Strict):
    """Before each calendar storm, ``before`` minutes ahead, idle units of the listed groups (``depot/group``)
    move to a staging point and wait there until the storm is over."""

    before: Minutes = 360.0
    groups: dict[str, XY] = Field(min_length=1)


_EXPECTATION = re.compile(r"^\s*(\S+)\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*(?:\((ci|mean)\))?\s*$")


class Expectation(_Strict):
    """One promise checked by ``stormcrew check``: ``urban.arrive >= 0.95``, optionally ``(mean)`` or ``(ci)``.

    Rule ``ci``: the confidence bound on the passing side must clear the threshold (the lower bound for >=);
    rule ``mean``: the mean over replications must.
    """

    figure: str
    op: Literal[">=", "<=", ">", "<"]
    value: float
    rule: Literal["ci", "mean"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            m = _EXPECTATION.match(value)
            if not m:
                raise ValueError(f"expected '<figure> <op> <number>' such as 'urban.arrive >= 0.95' or "
                                 f"'all.time_to_site_p90 <= 45 (mean)', got {value!r}")
            return {"figure": m.group(1), "op": m.group(2), "value": float(m.group(3)), "rule": m.group(4)}
        return value

    def __str__(self) -> str:
        return f"{self.figure} {self.op} {self.value:g}"


class Expect(_Strict):
    """The ``expect:`` section: promises a CI pipeline holds this scenario to."""

    replications: int | None = Field(default=None, ge=2, le=MAX_REPLICATIONS,
                                     description="default: the scenario's replications")
    rule: Literal["ci", "mean"] = "ci"
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    checks: list[Expectation] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _bare_list(cls, value: Any) -> Any:
        return {"checks": value} if isinstance(value, list) else value

    @model_validator(mode="after")
    def _resolve_rules(self) -> Expect:
        checks = [c if c.rule else c.model_copy(update={"rule": self.rule}) for c in self.checks]
        object.__setattr__(self, "checks", checks)  # frozen model: resolve once, here
        return self


class Scenario(_Strict):
    """Everything one simulation needs, resolved: no field is left to a later default."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    time_unit: Literal["minutes"] = "minutes"
    start: When = dt.datetime(2026, 6, 1)
    horizon: Annotated[Minutes, Field(ge=1)]  # (a horizon that rounds to 0 hours would divide by zero)
    replications: int = Field(default=20, ge=1, le=MAX_REPLICATIONS)
    seed: int = Field(default=1, ge=0, lt=2**128)
    zones: dict[str, Zone] = Field(min_length=1)
    fault_types: dict[str, FaultType] = Field(min_length=1)
    arrivals: Arrivals
    depots: dict[str, Depot] = Field(min_length=1)
    travel: Travel = Travel()
    dispatch: Dispatch = Dispatch()
    mutual_aid: MutualAid | None = None
    prestage: Prestage | None = None
    reliability: Reliability = Reliability()
    variants: dict[str, dict[str, Any]] = Field(default_factory=dict,
                                                description="policy variants: overrides merged over this scenario")
    expect: Expect | None = None
    _base_dir: str = PrivateAttr(default=".")  # folder of the scenario file: relative paths in it start here

    def path_of(self, relative: str) -> Path:
        """A path written in the scenario, relative to the scenario file's folder."""
        return Path(self._base_dir) / relative

    def zone_map(self) -> ZoneMap:
        """The zones' geometry (built once per process for the same areas)."""
        return _zone_map(tuple(z.area.shape() for z in self.zones.values()))

    def unit_groups(self) -> list[str]:
        """Ids of the unit groups, ``depot/group``, in scenario order."""
        return [f"{d}/{g.name}" for d, depot in self.depots.items() for g in depot.units]

    def resolved(self) -> dict[str, Any]:
        """Plain data of the scenario with every default filled in (what gets echoed into results)."""
        return self.model_dump(mode="json")

    def digest(self) -> str:
        """sha256 of the resolved scenario, independent of key order and formatting in the file."""
        blob = json.dumps(self.resolved(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def with_changes(self, **changes: Any) -> Scenario:
        """A validated copy with top-level fields replaced (``replications=``, ``seed=`` ...)."""
        data = self.resolved()
        data.update(changes)
        return load_scenario(data, base_dir=self._base_dir)


# ---------------------------------------------------------------- resolution and cross-references


def _fill_defaults(data: Any) -> list[Issue]:
    """Give zones with a known name their default limits; report unknown zones without limits."""
    issues: list[Issue] = []
    zones = data.get("zones") if isinstance(data, dict) else None
    if not isinstance(zones, dict):
        return issues
    for name, zone in zones.items():
        if isinstance(zone, dict) and "limits" not in zone:
            if name in DEFAULT_LIMITS:
                arrive, restore = DEFAULT_LIMITS[name]
                zone["limits"] = {"arrive": arrive, "restore": restore}
            else:
                issues.append(Issue(("zones", name, "limits"),
                                    "expected limits {arrive, restore} in minutes: only urban, rural and "
                                    "mountain have default limits"))
    return issues


def _cross_check(sc: Scenario) -> list[Issue]:
    """References between sections, and that every fault that can occur can be served by someone."""
    issues: list[Issue] = []
    zones = list(sc.zones)
    for name, depot in sc.depots.items():
        if depot.zone not in sc.zones:
            issues.append(Issue(("depots", name, "zone"), f"unknown zone {depot.zone!r}; expected one of {zones}"))
        else:
            zm = sc.zone_map()
            x, y = depot.location
            zi = zones.index(depot.zone)
            if not zm.contains(zi, np.array([x]), np.array([y]))[0]:
                inside = int(zm.locate([x], [y])[0])
                where = f"it lies in {zones[inside]!r}" if inside >= 0 else "it lies outside every zone"
                issues.append(Issue(("depots", name, "location"), f"[{x:g}, {y:g}] is outside zone {depot.zone!r} "
                                    f"(bounds {[round(v, 3) for v in zm.bounds(zi)]}); {where}"))
        for i, z in enumerate(depot.serves or []):
            if z not in sc.zones:
                issues.append(Issue(("depots", name, "serves", i), f"unknown zone {z!r}; expected one of {zones}"))
    types = list(sc.fault_types)
    arr = sc.arrivals

    def known_type(path: tuple[str | int, ...], name: str) -> bool:
        if name not in sc.fault_types:
            near = difflib.get_close_matches(name, types, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            issues.append(Issue(path, f"unknown fault type {name!r}{hint}; expected one of {types}"))
            return False
        return True

    def known_zone(path: tuple[str | int, ...], name: str) -> bool:
        if name not in sc.zones:
            issues.append(Issue(path, f"unknown zone {name!r}; expected one of {zones}"))
            return False
        return True

    # every (zone, fault type) that can occur, with the place in the file that makes it occur
    occurs: dict[tuple[str, str], tuple[str | int, ...]] = {}
    for zone, by_type in arr.per_day.items():
        if not known_zone(("arrivals", "per_day", zone), zone):
            continue
        for ftype, rate in by_type.items():
            if known_type(("arrivals", "per_day", zone, ftype), ftype) and rate.per_day > 0:
                occurs.setdefault((zone, ftype), ("arrivals", "per_day", zone, ftype))
    for ftype in arr.prevention:
        known_type(("arrivals", "prevention", ftype), ftype)
    if arr.heat_waves is not None:
        for ftype in arr.heat_waves.multiplier:
            known_type(("arrivals", "heat_waves", "multiplier", ftype), ftype)
    if arr.storms is not None:
        st = arr.storms
        for z in st.zones or {}:
            known_zone(("arrivals", "storms", "zones", z), z)
        if st.per_week > 0:
            for ftype, w in st.mix.items():
                if known_type(("arrivals", "storms", "mix", ftype), ftype) and w > 0:
                    for z in zones:  # a random storm's footprint can reach any zone
                        occurs.setdefault((z, ftype), ("arrivals", "storms", "mix", ftype))
        for i, storm in enumerate(st.calendar):
            here = ("arrivals", "storms", "calendar", i)
            for j, z in enumerate(storm.zones):
                known_zone((*here, "zones", j), z)
            mix = storm.mix if storm.mix is not None else st.mix
            for ftype, w in mix.items():
                if known_type((*here, "mix", ftype), ftype) and w > 0:
                    for z in storm.zones:
                        if z in sc.zones:
                            occurs.setdefault((z, ftype), (*here, "mix", ftype))
    if arr.replay is not None:
        rp = arr.replay
        for ftype, w in rp.mix.items():
            if known_type(("arrivals", "replay", "mix", ftype), ftype) and w > 0:
                for z in zones:
                    occurs.setdefault((z, ftype), ("arrivals", "replay", "mix", ftype))
        for cause, ftype in rp.causes.items():
            if known_type(("arrivals", "replay", "causes", cause), ftype):
                for z in zones:
                    occurs.setdefault((z, ftype), ("arrivals", "replay", "causes", cause))
        if rp.origin is None and (rp.columns.x_km is None or rp.columns.y_km is None):
            issues.append(Issue(("arrivals", "replay"), "expected either origin [longitude, latitude] (to project "
                                "a log in degrees) or columns x_km and y_km (a log in km)"))
        elif rp.columns.x_km is None or rp.columns.y_km is None:  # projected around origin: degrees are needed
            for key in ("longitude", "latitude"):
                if getattr(rp.columns, key) is None:
                    issues.append(Issue(("arrivals", "replay", "columns", key), f"expected the name of the log's "
                                        f"{key} column (the log is projected around origin), got none"))
        if rp.repair == "log" and rp.columns.duration_h is None:
            issues.append(Issue(("arrivals", "replay", "columns", "duration_h"), "expected the name of the log's "
                                "duration column: repair: log takes the repair time from it"))
    unserved: set[str] = set()
    for (zone, ftype), path in occurs.items():
        serving = [d for d in sc.depots.values() if zone in (d.serves or zones)
                   and any(g.staffed() and g.kind != "van" for g in d.units)]
        if not serving:
            if zone not in unserved:
                unserved.add(zone)
                issues.append(Issue(("zones", zone), "no depot with crews or teams serves this zone, but faults "
                                    "arrive in it; expected a depot whose 'serves' includes it"))
            continue
        need = set(sc.fault_types[ftype].skills)
        have = {s for d in serving for g in d.units if g.staffed() and g.kind != "van" for s in g.skills}
        if not need <= have:
            issues.append(Issue(path, f"no units serving zone {zone!r} have together the skills {sorted(need)} "
                                f"that {ftype!r} needs (missing {sorted(need - have)})"))
    groups = sc.unit_groups()
    for i, rule in enumerate(sc.dispatch.divert):
        for key in ("from_types", "to_types"):
            for j, name in enumerate(getattr(rule, key)):
                if name != "any":
                    known_type(("dispatch", "divert", i, key, j), name)
    if sc.mutual_aid is not None:
        known_zone(("mutual_aid", "zone"), sc.mutual_aid.zone)
        for j, z in enumerate(sc.mutual_aid.serves or []):
            known_zone(("mutual_aid", "serves", j), z)
        if sc.mutual_aid.backlog is None and not sc.mutual_aid.on_calendar_storms:
            issues.append(Issue(("mutual_aid",), "never called: expected backlog: N or on_calendar_storms: true"))
    if sc.prestage is not None:
        for g in sc.prestage.groups:
            if g not in groups:
                issues.append(Issue(("prestage", "groups", g), f"unknown unit group {g!r}; expected one of {groups}"))
    if sc.expect is not None:
        known = known_figures(zones, sc.unit_groups(), list(sc.fault_types))
        for i, check in enumerate(sc.expect.checks):
            if check.figure not in known:
                near = difflib.get_close_matches(check.figure, known, n=3)
                issues.append(Issue(("expect", "checks", i), f"unknown figure {check.figure!r}; expected a figure "
                                    "such as " + ", ".join(repr(n) for n in (near or known[:3]))))
    issues += _too_many(sc)
    return issues


def _mean(d: Distribution) -> float:
    try:
        m = float(d.mean())
    except (ValueError, TypeError, OverflowError, ArithmeticError):
        return math.inf
    return m if math.isfinite(m) else math.inf


def _too_many(sc: Scenario) -> list[Issue]:
    """A bound on the faults, storms and heat waves one replication is expected to draw (an upper estimate: the
    largest month multiplier all season), so that rates that are typing errors are refused rather than exhausting
    memory or running for days."""
    issues: list[Issue] = []
    arr = sc.arrivals
    days = sc.horizon / 1440.0

    def peak(month: dict[int, float] | None) -> float:
        return max([1.0, *(month or {}).values()]) if not month or len(month) < 12 else max(month.values())

    def events(where: tuple[str | int, ...], n: float, what: str) -> None:
        if n > MAX_EVENTS:
            issues.append(Issue(where, f"about {n:,.0f} {what} expected in one replication; expected at most "
                                f"{MAX_EVENTS:,} (check per_week and the horizon)"))

    hw = arr.heat_waves
    if hw is not None:
        events(("arrivals", "heat_waves", "per_week"), hw.per_week / 7.0 * days * peak(hw.month), "heat waves")
    heat = max([1.0, *(hw.multiplier.values() if hw is not None else [])])
    expected = 0.0
    for by_type in arr.per_day.values():
        for ftype, rate in by_type.items():
            expected += rate.per_day * arr.prevention.get(ftype, 1.0) * heat * peak(arr.month) * days
    st = arr.storms
    if st is not None:
        storms = st.per_week / 7.0 * days * peak(st.month)
        events(("arrivals", "storms", "per_week"), storms, "storms")
        if storms > 0:
            size = _mean(st.size) if st.size is not None else _mean(st.intensity) * _mean(st.duration) / 60.0
            expected += storms * size * max([1.0, *arr.prevention.values()])
        for known in st.calendar:
            expected += known.faults_per_hour * known.duration / 60.0 * max([1.0, *arr.prevention.values()])
    if expected > MAX_FAULTS:
        issues.append(Issue(("arrivals",), f"about {expected:,.3g} faults expected in one replication; expected at "
                            f"most {MAX_FAULTS:,} (check per_day, the storms' per_week, intensity, size and "
                            "duration, the multipliers and the horizon)"))
    return issues


# ---------------------------------------------------------------- pydantic errors -> planner's messages


def _schema_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that holds the last key of ``loc`` (to list the keys it accepts)."""
    tp: Any = Scenario
    for part in loc[:-1]:
        while typing.get_origin(tp) in (typing.Union, Annotated) or str(typing.get_origin(tp)) == "types.UnionType":
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0]
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return None
            tp = field.annotation
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        elif typing.get_origin(tp) in (list, tuple):
            tp = typing.get_args(tp)[0]
        else:
            return None
    while typing.get_origin(tp) is not None and typing.get_origin(tp) is not dict:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        tp = args[0] if args else None
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _message(err: Any) -> str:
    kind, ctx, got = err["type"], err.get("ctx", {}), err.get("input")
    loc = tuple(err["loc"])
    if kind == "missing":
        return "required; expected a value, none given"
    if kind == "extra_forbidden":
        model = _schema_at(loc)
        allowed = sorted(model.model_fields) if model else []
        near = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        return f"unknown key{hint} expected one of: {', '.join(allowed)}" if allowed else "unknown key"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()))
        what = "minutes" if str(loc[-1]) in ("arrive", "restore", "horizon") else "a number"
        if bound == MAX_MINUTES:
            return f"expected minutes {op} {bound:,.0f} (100 years), got {shown(got)}"
        if isinstance(bound, int) and not isinstance(bound, bool) and abs(bound) >= 10_000:
            bound = f"{bound:,}"
        return f"expected {what} {op} {bound}, got {shown(got)}"
    if kind == "finite_number":
        return f"expected a finite number, got {shown(got)}"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        want = "a whole number" if kind.startswith("int") else "a number"
        return f"expected {want}, got {shown(got)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping of keys to values, got {got!r}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {got!r}"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}, got {got!r}"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        return msg[len("Value error, "):]
    return f"{msg[0].lower()}{msg[1:]}, got {got!r}"


def _issues(exc: ValidationError, doc: YamlDocument | None) -> list[Issue]:
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p in ("function-after",))))
        out.append(_at(doc, loc, _message(err)) if doc else Issue(loc, _message(err)))
    return out


def _check_variants(sc: Scenario, doc: YamlDocument) -> None:
    """Build every variant, so a bad override is reported now, at its place under ``variants``."""
    from sim.variants import variant  # variants build on this module

    issues: list[Issue] = []
    for name in sc.variants:
        if not re.match(r"^[A-Za-z0-9_-]+$", name):
            issues.append(_at(doc, ("variants", name), "expected a variant name of letters, digits, _ and -"))
            continue
        try:
            variant(sc, name)
        except ScenarioError as exc:
            for i in exc.issues:
                path = ("variants", name, *i.path)
                issues.append(Issue(path, i.message, doc.line_of(path)))
    if issues:
        raise ScenarioError(doc.source, issues)


def _at(doc: YamlDocument, path: tuple[str | int, ...], message: str) -> Issue:
    """An issue at ``path`` with its line; a value that came from a base file (``extends``) names that file."""
    origin = doc.origin_of(path)
    if origin != doc.source:
        return Issue(path, f"{message} (set in {origin}, line {doc.line_of(path)})")
    return Issue(path, message, doc.line_of(path))


def _by_line(issues: list[Issue]) -> list[Issue]:
    return sorted(issues, key=lambda i: i.line or 0)  # stable: same-line issues keep their order


# ---------------------------------------------------------------- entry point


MAX_NETWORK_BYTES = 1024 * 2**20
"""Largest road network file read (1 GiB; the generated area is 0.3 MB, a county from OpenStreetMap some MB)."""


def file_problem(path: Path, limit: int) -> str | None:
    """Why ``path`` cannot be read as a data file, or None: missing is left to the reader (it says so), but a path
    with a NUL character, a folder, a FIFO or device (which would block or never end) or a file over ``limit`` bytes
    is refused unread."""
    try:
        st = os.stat(path)
    except ValueError:  # a NUL character
        return "is not a file path (it holds a NUL character)"
    except OSError:  # missing or unreadable: the reader says so
        return None
    if stat.S_ISDIR(st.st_mode):
        return "is a folder"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file (a FIFO, device or socket)"
    if st.st_size > limit:
        return f"is {st.st_size:,} bytes, more than the limit of {limit:,}"
    return None


def scenario_dict(path: str | Path, relative_to: str | Path | None = ".") -> dict[str, Any]:
    """A scenario file as a plain dict to change and pass to ``sim.run`` or ``load_scenario``: its ``extends``
    merged in and its file paths (road network, GIS files, logs) made relative to ``relative_to`` (default the
    working directory; None: absolute), so the dict loads from there.

    >>> scenario_dict("scenarios/storm_season.yaml")["travel"]["network"]
    'scenarios/data/generated_area.geojson'
    """
    doc = extend(read_yaml(path))
    if not isinstance(doc.data, dict):
        raise ScenarioError(str(path), [Issue((), "expected a mapping at the top level", 1)])
    here = Path(path).parent
    if relative_to is None:
        return rebase(doc.data, here.resolve(), Path("/"), absolute=True)
    return rebase(doc.data, here, Path(relative_to))


def load_scenario(source: str | Path | dict[str, Any] | YamlDocument | Scenario,
                  base_dir: str | Path | None = None) -> Scenario:
    """Read, validate and resolve a scenario from a YAML file path, YAML text, a dict, a parsed YamlDocument or an
    existing Scenario.

    Paths in the scenario (a replayed log) are relative to ``base_dir``, by default the scenario file's folder
    (the working directory for text and dicts). Raises ScenarioError listing every problem with its YAML path and
    line.
    """
    if isinstance(source, Scenario):
        return source
    if isinstance(source, YamlDocument):
        doc = source
        if base_dir is None and not doc.source.startswith("<"):
            base_dir = Path(doc.source).parent
    elif isinstance(source, dict):
        doc = YamlDocument("<scenario dict>", json.loads(json.dumps(source, default=str)))
    elif isinstance(source, (str, Path)) and "\n" not in str(source):
        doc = read_yaml(source)
        base_dir = Path(source).parent if base_dir is None else base_dir
    elif isinstance(source, str):
        doc = parse_yaml(source, "<scenario text>")
    else:
        raise TypeError(f"load_scenario takes a path, a dict or a Scenario, not {type(source).__name__}")
    doc = extend(doc)
    data = doc.data
    if data is None:
        raise ScenarioError(doc.source, [Issue((), "the file is empty; expected a scenario mapping "
                                                   "(name, horizon, zones, fault_types, arrivals, depots)", 1)])
    if not isinstance(data, dict):
        raise ScenarioError(doc.source, [Issue((), f"expected a mapping at the top level, got "
                                                   f"{type(data).__name__}", 1)])
    from sim.gis import resolve  # zones, depots and staging points given as GIS files

    pre = [_at(doc, i.path, i.message) for i in _fill_defaults(data) + resolve(data, Path(base_dir or "."))]
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        told = {i.path for i in pre}  # a missing default-less limit or an unreadable GIS file is already explained
        found = [i for i in _issues(exc, doc) if not any(i.path[:len(t)] == t for t in told)]
        raise ScenarioError(doc.source, _by_line(pre + found)) from None
    post = pre + [_at(doc, i.path, i.message) for i in _cross_check(sc)]
    if post:
        raise ScenarioError(doc.source, _by_line(post))
    sc._base_dir = str(base_dir if base_dir is not None else ".")
    if sc.travel.model == "road_network":
        from sim.network import load_network  # reads and prepares the roads (cached), or says what is wrong

        at = ("travel", "network")
        problem = file_problem(sc.path_of(sc.travel.network or ""), MAX_NETWORK_BYTES)
        if problem:
            raise ScenarioError(doc.source, [Issue(at, f"{sc.travel.network} {problem}; expected a GeoJSON or "
                                                   "GraphML road network", doc.line_of(at))])
        try:
            load_network(sc)
        except ScenarioError as exc:
            raise ScenarioError(doc.source, [Issue(at, f"{i.message} in {exc.source}", doc.line_of(at))
                                             for i in exc.issues]) from None
    if sc.reliability.t_med is not None and sc.reliability.t_med.days is not None:
        from sim.major_events import history_threshold  # reads the daily SAIDI history (cached), or says what is wrong

        where = ("reliability", "t_med", "days")
        try:
            history_threshold(sc.path_of(sc.reliability.t_med.days))
        except ScenarioError as exc:
            raise ScenarioError(doc.source, [_at(doc, where, f"{i.message} in {exc.source}"
                                                 + (f" at its line {i.line}" if i.line else "")) for i in exc.issues]) \
                from None
    if sc.variants:
        _check_variants(sc, doc)
    if sc.arrivals.replay is not None:
        from sim.outagelog import read_log_cached  # the log reader needs this module's LogColumns

        where = ("arrivals", "replay", "log")
        try:
            read_log_cached(sc.path_of(sc.arrivals.replay.log), sc.arrivals.replay.columns)
        except ScenarioError as exc:
            raise ScenarioError(doc.source, [Issue(where, f"{i.message} in {exc.source}"
                                                   + (f" at its line {i.line}" if i.line else ""), doc.line_of(where))
                                             for i in exc.issues]) from None
    return sc
