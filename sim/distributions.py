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


def _stats() -> Any:
    """``scipy.stats``, imported on first use: it takes most of a second to import, and reading a scenario whose
    laws are all in ``_CLOSED`` (or running ``stormcrew --help``) does not need it."""
    import scipy.stats  # noqa: PLC0415 (the start time of ``stormcrew validate``)

    return scipy.stats


_Z_TAIL = 3.090232306167813
"""The standard normal quantile at ``1 - TAIL`` (``scipy.special.ndtri(0.999)``)."""


def _power(base: float, exponent: float) -> float:
    try:
        return float(base**exponent)
    except OverflowError:
        return math.inf


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


_CLOSED: dict[str, tuple[tuple[str, ...], Any]] = {
    # name: (shape parameters, (shapes) -> 99.9th percentile of the standard law, or None when the shapes are
    # invalid); every one of these laws has support [loc, ...) for scale > 0, as in scipy.stats
    "lognorm": (("s",), lambda s: _exp(s * _Z_TAIL) if s > 0 else None),
    "expon": ((), lambda: -math.log1p(-(1.0 - TAIL))),
    "weibull_min": (("c",), lambda c: _power(-math.log1p(-(1.0 - TAIL)), 1.0 / c) if c > 0 else None),
    "uniform": ((), lambda: 1.0 - TAIL),
}
"""The laws scenarios use most, checked in closed form as scipy.stats would check them (the same shapes, the same
refusals, the same 99.9th percentile), so that reading a scenario does not import scipy.stats (about a second);
``tests/test_start_time.py`` holds the two to the same answers. Any other law asks scipy.stats."""


def _law_range(dist: str, params: dict[str, Any]) -> tuple[float, float]:
    """``(lowest value, 99.9th percentile)`` of a law with its parameters; NaN when the parameters are invalid."""
    if dist in _CLOSED:
        shapes, top_of = _CLOSED[dist]
        loc, scale = float(params.get("loc", 0.0)), float(params.get("scale", 1.0))
        top = top_of(*(float(params[s]) for s in shapes)) if scale > 0 else None
        if top is None:
            return math.nan, math.nan
        return loc, top * scale + loc
    law = getattr(_stats(), dist)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            frozen = law(**params)
            lo, _hi = frozen.support()
            return float(lo), float(frozen.ppf(1.0 - TAIL))
    except (ValueError, TypeError, OverflowError, ArithmeticError):  # scipy's own refusal of the parameters
        return math.nan, math.nan


def _shapes(dist: str) -> list[str] | None:
    """The shape parameters of a scipy.stats law, or None when ``dist`` names none."""
    if dist in _CLOSED:
        return list(_CLOSED[dist][0])
    stats = _stats()
    law = getattr(stats, dist, None)
    if not isinstance(law, (stats.rv_continuous, stats.rv_discrete)):
        return None
    return [s.strip() for s in (law.shapes or "").split(",") if s.strip()]


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
        shapes = _shapes(self.dist)
        if shapes is None:
            raise ValueError(f"unknown distribution '{self.dist}'; expected a scipy.stats name "
                             "(expon, lognorm, gamma, weibull_min, uniform, ...) or constant or empirical")
        allowed = shapes + ["loc", "scale"]
        unknown = [k for k in params if k not in allowed]
        missing = [s for s in shapes if s not in params]
        if unknown or missing:
            raise ValueError(f"'{self.dist}' takes {', '.join(allowed)}"
                             + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                             + (f"; missing: {', '.join(missing)}" if missing else ""))
        lo, top = _law_range(self.dist, params)
        if math.isnan(lo) or math.isnan(top):
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
        return getattr(_stats(), self.dist)(**self.params)

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
