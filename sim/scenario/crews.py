"""The scenario's organisation: depots and their unit groups (crews, integrated teams, vans), shifts, on-call and
seasonal staff, the dispatch rules, mutual aid and pre-staging."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    model_validator,
)

from sim.bounds import MAX_COST, MAX_UNITS
from sim.distributions import Distribution
from sim.plugins import SPEC
from sim.scenario.fields import XY, Clock, Factor, Minutes, MinutesOrZero, Strict, When

ORDER_NAMES = ("oldest", "most_customers", "critical_first", "score")
"""The built-in dispatch orders (``sim.engine.policies``); a planner's own is named ``module:function``."""


def _function_name(value: str) -> str:
    if not re.match(SPEC, value):
        raise ValueError(f"expected a function of your own as 'module:function', got {value!r}")
    return value


def _order_name(value: str) -> str:
    if value in ORDER_NAMES or re.match(SPEC, value):
        return value
    raise ValueError(f"expected one of {', '.join(ORDER_NAMES)} or a function of your own as 'module:function', "
                     f"got {value!r}")

class Shift(Strict):
    """``count`` units on duty every day from ``start`` to ``end`` (crossing midnight when end < start). On-call
    units are reachable but leave only after a ``callout`` delay."""

    name: str = Field(min_length=1)
    start: Clock
    end: Clock
    count: int = Field(ge=0, le=MAX_UNITS)
    on_call: bool = False
    callout: MinutesOrZero = Field(default=0.0, description="minutes from call to leaving, for on-call units")


class Extra(Strict):
    """Seasonal extra staff: ``count`` more units from ``start`` to ``end`` (on the named shift, or all day)."""

    start: When
    end: When
    count: int = Field(ge=0, le=MAX_UNITS)
    shift: str | None = None


class UnitGroup(Strict):
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


class Depot(Strict):
    """Where units start, return to and wait; ``serves`` lists the zones they may be sent to (default: all)."""

    zone: str
    location: XY
    serves: list[str] | None = None
    units: list[UnitGroup] = Field(default_factory=list)


class Divert(Strict):
    """A van heading to a fault of a type in ``from_types`` may be diverted to a new fault of a type in
    ``to_types`` when it can be there sooner than any idle van; the bumped fault goes back to the queue. ``any``
    matches every type. Instead of a list of rules, ``dispatch.divert`` may name a planner's own rule as
    ``module:function``."""

    from_types: list[str] = Field(min_length=1)
    to_types: list[str] = Field(min_length=1)


class Dispatch(Strict):
    """The dispatch centre's policy. A new fault gets the idle capable unit(s) that can be there soonest; a unit
    that comes free takes the waiting fault first in ``order``: ``oldest``, ``most_customers``, ``critical_first``
    or ``score`` (``weights`` x customers, critical customers, hours waited), or a planner's own function
    ``module:function`` (``sim.engine.policies``; the module beside the scenario file or on the Python path).
    A fault still waiting after ``escalate_after`` minutes goes ahead of every fault that is not escalated. A fault
    that needs several specialist crews gets them together: none is sent (each takes other work meanwhile) until all
    its skills are free, or until it has waited ``hold_back`` (then each goes as it comes free and waits on site for
    the others; 0: always so; null: never).

    The promise's clock starts with the customer's call: taking the call and deciding takes ``call_handling``
    minutes (a distribution), queued for one of ``call_takers`` call takers when that is stated (in a storm the
    calls wait for them); a unit leaving from its depot needs ``turnout`` minutes to get rolling (an on-call unit
    at home its ``callout`` instead; a unit already out, none)."""

    order: Annotated[str, AfterValidator(_order_name)] = "oldest"
    weights: dict[Literal["customers", "critical", "waiting_h"], Annotated[float, Field(ge=-MAX_COST, le=MAX_COST)]] \
        = Field(default_factory=dict)
    escalate_after: Minutes | None = None
    hold_back: MinutesOrZero | None = 120.0
    call_handling: Distribution | None = None
    call_takers: int | None = Field(default=None, ge=1, le=MAX_UNITS)
    turnout: MinutesOrZero = 0.0
    divert: list[Divert] | Annotated[str, AfterValidator(_function_name)] = Field(default_factory=list)


class MutualAid(Strict):
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


class Prestage(Strict):
    """Before each calendar storm, ``before`` minutes ahead, idle units of the listed groups (``depot/group``)
    move to a staging point and wait there until the storm is over."""

    before: Minutes = 360.0
    groups: dict[str, XY] = Field(min_length=1)
