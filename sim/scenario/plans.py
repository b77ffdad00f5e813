"""Storm forecasts, emergency plans, critical customers' own promise and prevention at a price.

A forecast comes for each storm with chance ``detection``, ``lead`` before it, with errors in timing, size and
place; false alarms come without a storm. A plan is a set of actions that starts on a forecast (stated chance at
least ``probability``) or on conditions during the event (backlog, customers out, a zone's compliance falling)
and stands down after a while; each action has a cost per activation.

>>> Plan.model_validate({"when": {"forecast": {"probability": 0.7}},
...                      "actions": [{"hold_over": {"groups": ["city/overhead"], "hours": 4}, "cost": 2000}]}
...                     ).actions[0].kind()
'hold_over'
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from sim.bounds import MAX_COST, MAX_UNITS
from sim.distributions import Distribution
from sim.scenario.crews import _order_name
from sim.scenario.fields import XY, Factor, Minutes, MinutesOrZero, Strict


class Forecasting(Strict):
    """How storms are forecast. Each storm (random or from the calendar) is forecast with chance ``detection``,
    issued ``lead`` minutes before its start; the forecast's start is off by a normal error of sd ``timing_sd``
    minutes, its size (faults per hour) by a lognormal factor of log-sd ``size_sd``, its place by ``place_sd_km``
    in each axis. False alarms come at ``false_alarms_per_week`` (a Poisson process over the season) with the
    sizes and durations of the random storms. Each forecast states a chance that the storm comes: drawn from
    ``stated`` for a storm that comes and ``stated_false`` for a false alarm (clipped to 0..1); a plan acts on the
    forecasts stating at least its ``probability``. Forecasts have their own random streams: a scenario with
    forecasts draws the same storms and faults as one without."""

    detection: float = Field(default=0.8, ge=0, le=1, description="chance that a storm is forecast")
    lead: Distribution = Distribution.model_validate(720.0)
    timing_sd: MinutesOrZero = 0.0
    size_sd: float = Field(default=0.0, ge=0, le=3, description="log-sd of the forecast size's error")
    place_sd_km: float = Field(default=0.0, ge=0, le=1000)
    false_alarms_per_week: float = Field(default=0.0, ge=0, le=50)
    # made when a forecast section is read, not on import: a beta law needs scipy, which `validate` does not load
    stated: Distribution = Field(default_factory=lambda: Distribution.model_validate({"dist": "beta", "a": 6, "b": 2}),
                                 description="the chance stated for a storm that comes (default beta(6, 2))")
    stated_false: Distribution = Field(
        default_factory=lambda: Distribution.model_validate({"dist": "beta", "a": 2, "b": 4}),
        description="the chance stated for a false alarm (default beta(2, 4))")


class ForecastTrigger(Strict):
    """Start on a forecast stating at least ``probability`` that the storm comes (touching one of ``zones``, if
    given), ``before`` minutes ahead of the forecast start (at once when issued later; None: when issued)."""

    probability: float = Field(ge=0, le=1)
    before: Minutes | None = None
    zones: list[str] | None = None


class ComplianceTrigger(Strict):
    """Start when the share of ``zone``'s faults reported within the last ``window`` minutes that met its
    ``limit`` (on site: ``arrive``, power back: ``restore``) falls below ``below``: a fault still waiting past the
    limit counts as missed, one still within it is not counted yet; at least ``min_faults`` must count."""

    zone: str
    limit: Literal["arrive", "restore"] = "arrive"
    below: float = Field(gt=0, le=1)
    window: Minutes = 360.0
    min_faults: int = Field(default=5, ge=1)


class Trigger(Strict):
    """When a plan starts: on a forecast, or when a condition holds at a check (every ``check_every`` minutes):
    faults waiting for a crew at least ``backlog``, customers out at least ``customers_out``, or a zone's
    compliance falling. Any one is enough."""

    forecast: ForecastTrigger | None = None
    backlog: int | None = Field(default=None, ge=1)
    customers_out: int | None = Field(default=None, ge=1)
    compliance: ComplianceTrigger | None = None
    check_every: Minutes = 15.0

    @model_validator(mode="after")
    def _some(self) -> Trigger:
        if self.forecast is None and self.backlog is None and self.customers_out is None and self.compliance is None:
            raise ValueError("expected at least one of forecast, backlog, customers_out, compliance")
        return self

    def conditions(self) -> bool:
        """Whether the plan watches the event (needs periodic checks)."""
        return self.backlog is not None or self.customers_out is not None or self.compliance is not None


class HoldOver(Strict):
    """The listed groups' units stay on duty ``hours`` past the end of every shift that ends while the plan is
    active."""

    groups: list[str] = Field(min_length=1)
    hours: float = Field(gt=0, le=24)


class ReserveIn(Strict):
    """The listed groups' on-call units come in: while the plan is active they are on duty at their depot like
    any other unit (no call-out delay) and paid in full for their shift hours."""

    groups: list[str] = Field(min_length=1)


class CallIn(Strict):
    """``crews`` more units like those of ``group`` (extra staff, or on-call crews called in) join at the group's
    depot ``delay`` minutes after the plan starts and stay ``stay`` minutes, paid at the group's rate times
    ``pay_factor``."""

    group: str
    crews: int = Field(ge=1, le=MAX_UNITS)
    delay: MinutesOrZero = 60.0
    stay: Minutes = 720.0
    pay_factor: Factor = 1.0


class Action(Strict):
    """One action of a plan, with its cost per activation (logistics, fees, a contract's call-out charge; staff
    hours are paid through the units). Exactly one of: ``prestage`` (groups -> staging point: their units' base
    moves there while the plan is active), ``hold_over``, ``reserve_in``, ``call_in``, ``mutual_aid`` (call the
    scenario's mutual aid, which comes after its own delay), ``dispatch_order`` (the order waiting faults are
    taken in while the plan is active). A group staged at ``forecast`` goes where the forecast storm is to start
    (the nearest point of its zones), which only a plan on a forecast knows."""

    prestage: dict[str, XY | Literal["forecast"]] | None = None
    hold_over: HoldOver | None = None
    reserve_in: ReserveIn | None = None
    call_in: CallIn | None = None
    mutual_aid: bool | None = None
    dispatch_order: str | None = None
    cost: float = Field(default=0.0, ge=0, le=MAX_COST)

    _order = field_validator("dispatch_order")(lambda v: v if v is None else _order_name(v))

    @model_validator(mode="after")
    def _one(self) -> Action:
        given = [k for k in ACTIONS if getattr(self, k) not in (None, False)]
        if len(given) != 1:
            raise ValueError(f"expected exactly one of {', '.join(ACTIONS)}, got {', '.join(given) or 'none'}")
        return self

    def kind(self) -> str:
        """The action's name."""
        return next(k for k in ACTIONS if getattr(self, k) not in (None, False))


ACTIONS = ("prestage", "hold_over", "reserve_in", "call_in", "mutual_aid", "dispatch_order")


class Plan(Strict):
    """An emergency plan: its ``actions`` start ``when`` the trigger fires and stand down ``stand_down`` minutes
    after the forecast storm's end (on a forecast) or after the start (on a condition); a plan that stood down may
    start again after ``cooldown``. A plan already active does not start again."""

    when: Trigger
    actions: list[Action] = Field(min_length=1)
    stand_down: MinutesOrZero = 360.0
    cooldown: MinutesOrZero = 0.0


class Priority(Strict):
    """Critical customers (hospitals, water, telecom): faults that cut them off (each fault type's ``critical``
    share) are a group of their own, held to ``arrive`` and ``restore`` minutes (None: their zone's limits) and
    reported apart; the dispatch order ``critical_first`` takes them first."""

    arrive: Minutes | None = None
    restore: Minutes | None = None


class Programme(Strict):
    """Prevention at a price: ``amount`` a year (km of trimming, arresters fitted, km renewed) at
    ``cost_per_unit`` plus ``fixed_cost`` a year. At ``full`` (the amount that treats everything it can) a fault
    type's rate falls by ``effect`` (the share it prevents: ``tree_contact: 0.6``); below it, in proportion. The
    season carries the share of the yearly cost its horizon is of a year, unless ``season_share`` says what."""

    amount: float = Field(ge=0, le=1e7)
    full: float = Field(gt=0, le=1e7)
    effect: dict[str, float] = Field(min_length=1)
    cost_per_unit: float = Field(default=0.0, ge=0, le=MAX_COST)
    fixed_cost: float = Field(default=0.0, ge=0, le=MAX_COST)
    season_share: float | None = Field(default=None, ge=0, le=1)

    @field_validator("effect")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k, x in v.items() if not 0 <= x <= 1]
        if bad:
            raise ValueError(f"expected shares between 0 and 1 for {', '.join(bad)}")
        return v

    def factor(self, fault_type: str) -> float:
        """The factor on ``fault_type``'s rate.

        >>> Programme(amount=100, full=400, effect={"tree_contact": 0.6}).factor("tree_contact")
        0.85
        """
        return 1.0 - self.effect.get(fault_type, 0.0) * min(1.0, self.amount / self.full)

    def yearly_cost(self) -> float:
        """The programme's cost a year."""
        return self.amount * self.cost_per_unit + self.fixed_cost


YEAR = 525_600.0  # minutes


def season_cost(programmes: dict[str, Programme], horizon: float) -> float:
    """What the season carries of the programmes' yearly costs.

    >>> season_cost({"trim": Programme(amount=10, full=10, effect={"t": 1}, cost_per_unit=100)}, YEAR / 4)
    250.0
    """
    return sum(p.yearly_cost() * (p.season_share if p.season_share is not None else min(1.0, horizon / YEAR))
               for p in programmes.values())


__all__ = ["ACTIONS", "Action", "CallIn", "ComplianceTrigger", "ForecastTrigger", "Forecasting", "HoldOver",
           "Plan", "ReserveIn", "Priority", "Programme", "Trigger", "season_cost"]
