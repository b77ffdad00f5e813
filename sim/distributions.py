"""Probability distributions named the way scipy.stats names them, with parameters in minutes.

A scenario writes ``{dist: lognorm, s: 0.9, scale: 95}`` for any scipy.stats distribution, plus two of
its own: ``{dist: constant, value: 5}`` and ``{dist: empirical, values: [10, 20, 45]}`` (drawn uniformly
from the list). A bare number means a constant.

>>> import numpy as np
>>> d = Distribution.model_validate({"dist": "expon", "scale": 30})
>>> round(d.mean(), 6)
30.0
>>> d.sample(np.random.default_rng(1), 3).shape
(3,)
>>> Distribution.model_validate(12).sample(np.random.default_rng(1), 2).tolist()
[12.0, 12.0]
"""

from __future__ import annotations

import math
import warnings
from functools import cached_property
from typing import Any

import numpy as np
import scipy.stats
from pydantic import BaseModel, ConfigDict, model_validator

_OWN = {"constant": ("value",), "empirical": ("values",)}

MAX_VALUE = 1e7
"""Largest value a distribution may draw (for a scipy.stats law: at a chance of one in a thousand or more): ten
million, i.e. 19 years in minutes, and customers, faults per hour or travel factors far beyond any real one. Values
beyond it would make a replication run for centuries of simulated time (or overflow), so such a law is refused when
the scenario is read."""

TAIL = 1e-3
"""The upper-tail chance at which a scipy.stats law's values are checked against MAX_VALUE (its 99.9th
percentile): absurd parameters are refused, a heavy tail is not."""


def finite_number(val: Any) -> bool:
    """A finite int or float (not a bool; an int too large for a float is not one)."""
    if not isinstance(val, (int, float)) or isinstance(val, bool):
        return False
    try:
        return math.isfinite(float(val))
    except OverflowError:
        return False


class Distribution(BaseModel):
    """A non-negative random quantity: a scipy.stats distribution by name, a constant or a list."""

    model_config = ConfigDict(extra="allow", frozen=True)

    dist: str

    @model_validator(mode="before")
    @classmethod
    def _number_is_constant(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"dist": "constant", "value": value}
        return value

    @property
    def params(self) -> dict[str, Any]:
        """The distribution's parameters as written (everything but ``dist``)."""
        return dict(self.model_extra or {})

    @model_validator(mode="after")
    def _check(self) -> Distribution:
        params = self.params
        for key, val in params.items():
            ok = finite_number(val)
            if key == "values":
                ok = isinstance(val, list) and len(val) > 0 and all(finite_number(v) for v in val)
            if not ok:
                want = "a non-empty list of finite numbers" if key == "values" else "a finite number"
                raise ValueError(f"parameter '{key}' of {self.dist}: expected {want}, got {shown(val)}")
        if self.dist in _OWN:
            need = _OWN[self.dist]
            if set(params) != set(need):
                raise ValueError(f"'{self.dist}' takes exactly: {', '.join(need)}; got: {', '.join(params) or 'none'}")
            values = params.get("values", [params.get("value")])
            if min(values) < 0:
                raise ValueError(f"'{self.dist}' has a negative value; durations and counts must be >= 0")
            if max(values) > MAX_VALUE:
                raise ValueError(f"'{self.dist}' has a value of {max(values):.6g}; expected values up to "
                                 f"{MAX_VALUE:,.0f} (minutes: 19 years)")
            return self
        law = getattr(scipy.stats, self.dist, None)
        if not isinstance(law, (scipy.stats.rv_continuous, scipy.stats.rv_discrete)):
            raise ValueError(f"unknown distribution '{self.dist}'; expected a scipy.stats name "
                             "(expon, lognorm, gamma, weibull_min, uniform, ...) or constant or empirical")
        shapes = [s.strip() for s in (law.shapes or "").split(",") if s.strip()]
        allowed = shapes + ["loc", "scale"]
        unknown = [k for k in params if k not in allowed]
        missing = [s for s in shapes if s not in params]
        if unknown or missing:
            raise ValueError(f"'{self.dist}' takes {', '.join(allowed)}"
                             + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                             + (f"; missing: {', '.join(missing)}" if missing else ""))
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                frozen = law(**params)
                lo, _hi = frozen.support()
                top = float(frozen.ppf(1.0 - TAIL))
        except (ValueError, TypeError, OverflowError, ArithmeticError):  # scipy's own refusal of the parameters
            lo, top = math.nan, math.nan
        if np.isnan(lo) or np.isnan(top):
            raise ValueError(f"invalid parameters for '{self.dist}': {params}")
        if lo < 0:
            raise ValueError(f"'{self.dist}' with {params} can be negative; durations and counts must be >= 0 "
                             "(pick a distribution on [0, inf) or raise loc)")
        if top > MAX_VALUE:
            raise ValueError(f"'{self.dist}' with {params} draws values above {MAX_VALUE:,.0f} (one draw in a "
                             f"thousand reaches {top:.3g}); expected durations in minutes, counts or factors well "
                             "below (19 years of minutes)")
        return self

    @cached_property
    def _frozen(self) -> Any:
        return getattr(scipy.stats, self.dist)(**self.params)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` values as float64 from ``rng``."""
        if self.dist == "constant":
            return np.full(size, float(self.params["value"]))
        if self.dist == "empirical":
            values = np.asarray(self.params["values"], dtype=float)
            return values[rng.integers(0, len(values), size=size)]
        return np.asarray(self._frozen.rvs(size=size, random_state=rng), dtype=float)

    def mean(self) -> float:
        """Expected value."""
        if self.dist == "constant":
            return float(self.params["value"])
        if self.dist == "empirical":
            return float(np.mean(self.params["values"]))
        return float(self._frozen.mean())

    def describe(self) -> str:
        """Short text such as ``lognorm(s=0.9, scale=95)``."""
        return f"{self.dist}({', '.join(f'{k}={v}' for k, v in self.params.items())})"


def shown(val: Any) -> str:
    """``repr`` of a value for a message, shortened when long (a 400-digit number, a long string)."""
    text = repr(val)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"
