"""The scenario's ``reliability`` (IEEE 1366: momentary interruptions, T_MED) and ``expect`` (the figures a
scenario promises, checked by ``stormcrew check``) sections."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    Field,
    model_validator,
)

from sim.bounds import MAX_KM, MAX_REPLICATIONS
from sim.distributions import finite_number, shown
from sim.scenario.fields import Strict


class MedThreshold(Strict):
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


class Reliability(Strict):
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


_EXPECTATION = re.compile(r"^\s*(\S+)\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*(?:\((ci|mean)\))?\s*$")


class Expectation(Strict):
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


class Expect(Strict):
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
