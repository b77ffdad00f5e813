"""Customer communication and complaint risk: when customers out of supply are told an estimated restoration time
(ETR), how many call the centre, and how likely they are to complain. All of it is read from a replication's
records afterwards (``sim.analysis.communication``): nothing here changes what the simulation does.

The source material names what the dispatch centre owes customers (progress notices, information released on
time) and what they complain about (limits missed, long and repeated outages, late or wrong information). It
gives no numbers for calls or complaints: every default below is a planner's assumption, to be replaced with the
utility's own call-centre and complaint records.

>>> c = Communication.model_validate({"updates": ["report", "on_site"], "margin": "45 min",
...                                   "complaints": {"long_h": 8}})
>>> c.margin, c.notice_delay, c.complaints.long_h, c.complaints.wrong_info
(45.0, 5.0, 8.0, 0.01)
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from sim.bounds import MAX_MINUTES
from sim.scenario.fields import Minutes, MinutesOrZero, Strict

Moment = Literal["report", "dispatch", "on_site"]


MOMENTS: tuple[Moment, ...] = ("report", "dispatch", "on_site")
"""The moments the centre has a new estimate: the call handled (``decided``), a unit sent, every skill on site."""


Weight = Annotated[float, Field(ge=0, le=100)]
"""A complaint hazard: added to the exponent of 1 - exp(-hazard)."""


class Complaints(Strict):
    """The complaint risk of one customer in one outage: 1 - exp(-(``base`` + the sum of the weights of what
    went wrong for that customer)). What can go wrong is what the source material says customers complain about:
    the on-site limit missed (``site_limit``, the fault's), supply back later than the zone's restore limit
    (``restore_limit``), an outage longer than ``long_h`` hours (``long``), a customer interrupted more than once
    in the season (``repeated``, as CEMI_1 counts them), not told an ETR within ``told_within`` (``late_info``)
    and an ETR told that passed (by ``held_margin``) with supply not back and no revised ETR before it
    (``wrong_info``). The weights are assumptions: with them a customer whose outage went well complains with
    chance 0.1 %, one with everything wrong 5.8 %."""

    base: Weight = Field(default=0.001, description="hazard of any outage, however well handled")
    site_limit: Weight = Field(default=0.004, description="hazard added when the on-site limit was missed")
    restore_limit: Weight = Field(default=0.01, description="hazard added when the restore limit was missed")
    long: Weight = Field(default=0.02, description="hazard added for an outage longer than long_h")
    long_h: float = Field(default=12.0, gt=0, le=MAX_MINUTES / 60, description="hours that make an outage long")
    repeated: Weight = Field(default=0.01, description="hazard added for a customer interrupted more than once")
    late_info: Weight = Field(default=0.005, description="hazard added when not told an ETR within told_within")
    wrong_info: Weight = Field(default=0.01, description="hazard added when an ETR passed unrevised")


class Communication(Strict):
    """What customers are told and when, the calls they make, and the complaint risk (see Complaints).

    ETR notices: a notice goes out at each moment in ``updates`` (``report``: the call handled, ``dispatch``: a
    unit sent, ``on_site``: every skill on site) with the centre's estimate then (the ETRs at report and at
    dispatch in the records; on site, the arrival plus the fault type's mean repair, longer for storm damage). At a
    moment not in ``updates`` a revised notice goes out only when the estimate differs from the last ETR told by
    more than ``margin``; and whenever the last ETR told is ``margin`` past with supply not back (the estimate has
    moved by more than the margin), a revised notice tells a new one: now plus the typical repair. No notice goes
    out before the first ETR is told, or once supply is back. A notice reaches customers ``notice_delay`` after
    its moment; every ETR told is ``etr_bias`` minutes later than the estimate (negative: earlier, an optimistic
    ETR), but never before the moment it is told. Customers are told in time if the first notice reaches them
    within ``told_within`` of the outage's start (or supply is back by then); an ETR held if supply came back no
    later than ETR + ``held_margin``.

    Calls: ``calls_per_customer`` of the customers out call when the outage starts; then, each time
    ``repeat_after`` minutes pass without a notice reaching them while they are still out, ``repeat_share`` of them
    call again."""

    updates: list[Moment] = Field(
        default_factory=lambda: list(MOMENTS), description="moments a notice always goes out")
    margin: Minutes = Field(default=30.0, description="an estimate moving by more than this is told again")
    notice_delay: MinutesOrZero = Field(default=5.0, description="minutes from the moment to customers told")
    told_within: Minutes = Field(default=30.0, description="customers should be told an ETR this soon")
    held_margin: MinutesOrZero = Field(default=30.0, description="an ETR held if supply was back by ETR + this")
    etr_bias: float = Field(default=0.0, ge=-MAX_MINUTES, le=MAX_MINUTES,
                            description="minutes added to every ETR told (a what-if: < 0 makes ETRs optimistic)")
    calls_per_customer: float = Field(default=0.1, ge=0, le=1, description="share of customers out who call")
    repeat_after: Minutes = Field(default=60.0, description="minutes without a notice before customers call again")
    repeat_share: float = Field(default=0.05, ge=0, le=1, description="share of customers out who call again")
    complaints: Complaints = Complaints()

    @field_validator("updates")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"expected each moment once, got {value}")
        return value
