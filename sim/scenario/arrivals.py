"""The scenario's ``arrivals`` section: background rates per zone and fault type, day-to-day weather, heat
waves, storms (random and from the calendar, with their slowdown and road closures) and a replayed outage log."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from sim.bounds import MAX_KM, MAX_PER_WEEK, MAX_SPEED_KMH, MIN_FACTOR
from sim.distributions import Distribution
from sim.inputs.logcolumns import LogColumns
from sim.scenario.fields import (
    Factor,
    HourWeights,
    LonLat,
    Minutes,
    Strict,
    When,
    check_factors,
    check_months,
    check_shares,
    check_weights,
)


class Rate(Strict):
    """Faults per day of one type in one zone, optionally shaped by hour of day."""

    per_day: float = Field(ge=0)
    hour_of_day: HourWeights | None = None

    _weights = field_validator("hour_of_day")(check_weights)

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"per_day": value}
        return value


class Spell(Strict):
    """A heat wave of the calendar: when it starts and how long it lasts."""

    start: When
    duration: Minutes


class HeatWaves(Strict):
    """Heat waves raise the background rate of some fault types (overheating, oil leaks, insulation) while they
    last. Random ones start as a Poisson process (``per_week``, shaped by ``month``); ``calendar`` adds known ones.
    """

    per_week: float = Field(default=0.0, ge=0, le=MAX_PER_WEEK)
    month: dict[int, float] | None = None
    duration: Distribution = Distribution.model_validate(4320)
    multiplier: dict[str, float] = Field(default_factory=dict, description="fault type -> rate factor (>= 0)")
    calendar: list[Spell] = Field(default_factory=list)

    _months = field_validator("month")(check_months)
    _factors = field_validator("multiplier")(check_factors)


class Closures(Strict):
    """On a road network, a storm closes each road in its footprint with probability ``share``; they reopen
    ``duration`` minutes after the storm began."""

    share: float = Field(gt=0, le=1)
    duration: Distribution = Distribution.model_validate(720)


class KnownStorm(Strict):
    """A storm of the calendar: when, how long, how many faults per hour, and which zones it hits."""

    name: str = ""
    start: When
    duration: Minutes
    faults_per_hour: float = Field(gt=0)
    zones: list[str] = Field(min_length=1)
    mix: dict[str, float] | None = Field(default=None, description="default: the storms' mix")


class Storms(Strict):
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

    _weights = field_validator("hour_of_day")(check_weights)
    _months = field_validator("month")(check_months)

    _shares = field_validator("mix", "zones")(check_shares)


class Replay(Strict):
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

    _shares = field_validator("mix")(check_shares)


class Repeats(Strict):
    """Repeat outages: weak spots that fail again. Every fault (of ``types``, default all) brings on average
    ``branching`` repeats of its own type in its zone, each an exponential delay of mean ``mean_delay`` after it
    and ``radius_km`` (sd in each axis) from it; a repeat may bring repeats in turn (a self-exciting, Hawkes
    component: ``branching`` < 1 keeps it finite, and a share ``branching`` of all faults are repeats). ``stormcrew
    fit`` estimates ``branching`` and ``mean_delay`` from a log (sim.analysis.repeats)."""

    branching: float = Field(ge=0, lt=0.95, description="expected repeats each fault brings")
    mean_delay: Minutes = 1440.0
    radius_km: float = Field(default=0.3, ge=0, le=MAX_KM)
    types: list[str] | None = None


class Arrivals(Strict):
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
    repeats: Repeats | None = None

    _weights = field_validator("hour_of_day")(check_weights)
    _months = field_validator("month")(check_months)
    _factors = field_validator("prevention")(check_factors)
