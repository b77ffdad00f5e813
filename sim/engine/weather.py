"""The weather of one replication, drawn before the run: each day's background factor (the weather between calm
and storm), heat waves and storms, random and from the calendar.

All are drawn from their own streams, so a variant that changes units, dispatch or fault rates sees the same
weather (common random numbers). Random starts follow a Poisson process whose rate is constant within each
calendar hour (``per_week`` shaped by month multipliers and hour-of-day weights).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from sim.scenario.arrivals import Storms
from sim.scenario.schema import Scenario
from sim.streams import stream

RANDOM, CALENDAR = "random", "calendar"


def hour_calendar(start: dt.datetime, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """Month (1-12) and hour of day (0-23) of each hour of the horizon, the last hour possibly partial.

    >>> months, hours = hour_calendar(dt.datetime(2026, 6, 30, 22), 240.0)
    >>> months.tolist(), hours.tolist()
    ([6, 6, 7, 7], [22, 23, 0, 1])
    """
    n = max(1, int(math.ceil(horizon / 60.0)))  # a horizon of a fraction of a minute still has its first hour
    t = np.datetime64(start, "h") + np.arange(n).astype("timedelta64[h]")
    month = t.astype("datetime64[M]").astype(np.int64) % 12 + 1
    hour = (t - t.astype("datetime64[D]")).astype(np.int64)
    return month, hour


def hourly_rates(per_day: float, weights: list[float] | None, horizon: float,
                 months: dict[int, float] | None = None, start: dt.datetime = dt.datetime(2026, 6, 1)) -> np.ndarray:
    """Expected events in each hour of the horizon: ``per_day`` spread over the day by the relative hour-of-day
    ``weights``, times the multiplier of the hour's month (1 where none is given).

    >>> hourly_rates(24.0, None, 150.0).round(3).tolist()
    [1.0, 1.0, 0.5]
    >>> hourly_rates(24.0, None, 120.0, {6: 2.0}, dt.datetime(2026, 6, 30, 23)).tolist()
    [2.0, 1.0]
    """
    month, hour = hour_calendar(start, horizon)
    w = np.ones(24) if weights is None else np.asarray(weights, dtype=float)
    w = w * 24.0 / w.sum()  # weights are relative: the day's total stays per_day
    lam = per_day / 24.0 * w[hour]
    if months:
        mult = np.ones(13)
        for m, v in months.items():
            mult[int(m)] = v
        lam = lam * mult[month]
    lam[-1] *= (horizon - 60.0 * (len(lam) - 1)) / 60.0
    return lam


def poisson_times(rng: np.random.Generator, lam: np.ndarray, horizon: float) -> np.ndarray:
    """Event times (minutes, sorted) of a Poisson process with ``lam[h]`` expected events in hour ``h``: a count
    per hour, placed uniformly inside it, which is exact for a rate constant within each hour."""
    counts = rng.poisson(lam)
    hour = np.repeat(np.arange(len(lam)), counts)
    width = np.minimum(60.0, horizon - 60.0 * hour)
    return np.sort(60.0 * hour + rng.random(len(hour)) * width)


def day_factor(sc: Scenario, seed: int, replication: int) -> np.ndarray:
    """Factor of the background rate in each hour of the horizon, one value per day (24-hour blocks from the
    start): the weather between calm and storm, shared by every zone and fault type. It is the product of

    - a gamma factor of mean 1 and coefficient of variation ``day_to_day`` (stream ``day_factor``), and
    - a weather severity ``exp(s Z - s^2 / 2)``, ``Z`` standard normal, ``s = severity`` (stream ``day_severity``):
      lognormal with mean 1, heavy-tailed, so windy and rainy days come more often than a gamma factor alone gives.

    So the day's count of a rate ``mu`` has mean ``mu`` and variance ``mu + mu^2 ((1 + day_to_day^2) e^(s^2) - 1)``.
    Each part is drawn only when set, from its own stream: without ``severity`` every draw is as before.
    """
    arr = sc.arrivals
    n_hours = int(math.ceil(sc.horizon / 60.0))
    n_days = n_hours // 24 + 1
    factor = np.ones(n_days)
    k = arr.day_to_day ** 2
    if k > 0:  # (a coefficient of variation so small that its square is 0 is no variation)
        factor = stream(seed, replication, "day_factor").gamma(1.0 / k, k, size=n_days)
    if arr.severity > 0:
        s = arr.severity
        factor = factor * np.exp(s * stream(seed, replication, "day_severity").standard_normal(n_days) - s * s / 2)
    return factor[np.arange(n_hours) // 24]


def minutes_since(start: dt.datetime, when: dt.datetime) -> float:
    """Minutes from ``start`` to ``when``."""
    return (when - start).total_seconds() / 60.0


def heat_spells(sc: Scenario, seed: int, replication: int) -> list[tuple[float, float]]:
    """Heat waves of a replication as (start, end) minutes, clipped to the horizon."""
    hw = sc.arrivals.heat_waves
    if hw is None:
        return []
    spells = []
    if hw.per_week > 0:
        rng = stream(seed, replication, "heat_waves")
        starts = poisson_times(rng, hourly_rates(hw.per_week / 7.0, None, sc.horizon, hw.month, sc.start), sc.horizon)
        spells += list(zip(starts, starts + hw.duration.sample(rng, len(starts)), strict=True))
    for spell in hw.calendar:
        t0 = minutes_since(sc.start, spell.start)
        spells.append((t0, t0 + spell.duration))
    return sorted((max(0.0, a), min(sc.horizon, b)) for a, b in spells if b > 0 and a < sc.horizon)


def heat_factor(sc: Scenario, spells: list[tuple[float, float]], fault_type: str, n_hours: int) -> np.ndarray:
    """Rate factor of ``fault_type`` in each hour: the heat-wave multiplier where a heat wave covers the hour's
    middle, else 1 (overlapping heat waves do not compound)."""
    hw = sc.arrivals.heat_waves
    f = np.ones(n_hours)
    if hw is None or fault_type not in hw.multiplier or not spells:
        return f
    mid = 60.0 * np.arange(n_hours) + 30.0
    hot = np.zeros(n_hours, dtype=bool)
    for a, b in spells:
        hot |= (mid >= a) & (mid < b)
    f[hot] = hw.multiplier[fault_type]
    return f


@dataclass(frozen=True)
class Storm:
    """One storm: when (minutes), its intensity (faults per hour before prevention), where its cell starts and
    where it heads, the zones its faults may fall in and the fault-type mix."""

    number: int
    key: str  # names its random streams: stays the same when other storms come or go
    name: str
    kind: str
    start: float
    end: float
    intensity: float
    x0: float
    y0: float
    heading: float  # radians
    speed_kmh: float
    radius_km: float
    zones: tuple[str, ...]
    mix: dict[str, float]

    def centre(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the storm cell is at minutes ``t``."""
        d = self.speed_kmh * (np.asarray(t) - self.start) / 60.0
        return self.x0 + d * math.cos(self.heading), self.y0 + d * math.sin(self.heading)


def _point(rng: np.random.Generator, sc: Scenario, zone: str) -> tuple[float, float]:
    x, y = sc.zone_map().sample(rng, list(sc.zones).index(zone), 1)
    return float(x[0]), float(y[0])


def draw_storms(sc: Scenario, seed: int, replication: int) -> list[Storm]:
    """Storms of a replication: random ones (Poisson starts) then the calendar's, numbered in order of start."""
    st: Storms | None = sc.arrivals.storms
    if st is None:
        return []
    zones = list(sc.zones)
    out: list[tuple[float, Storm]] = []
    if st.per_week > 0:
        rng = stream(seed, replication, "storms")
        lam = hourly_rates(st.per_week / 7.0, st.hour_of_day, sc.horizon, st.month, sc.start)
        starts = poisson_times(rng, lam, sc.horizon)
        weights = np.array([(st.zones or {}).get(z, 0.0 if st.zones else 1.0) for z in zones], dtype=float)
        for k, t0 in enumerate(starts):
            # each storm's own stream: the k-th storm is the same whatever later storms do
            r = stream(seed, replication, "storm", str(k))
            duration = float(st.duration.sample(r, 1)[0])
            intensity = float(st.intensity.sample(r, 1)[0])
            if st.size is not None:
                intensity = float(st.size.sample(r, 1)[0]) / max(duration / 60.0, 1e-9)
            centre_zone = zones[int(r.choice(len(zones), p=weights / weights.sum()))]
            x0, y0 = _point(r, sc, centre_zone)
            end = float(t0) + max(duration, 1e-9)
            out.append((float(t0), Storm(0, f"random-{k}", "", RANDOM, float(t0), end, intensity,
                                         x0, y0, float(r.random() * 2 * math.pi), st.speed_kmh, st.radius_km,
                                         tuple(zones), dict(st.mix))))
    for i, known in enumerate(st.calendar):
        r = stream(seed, replication, "calendar_storm", str(i))
        t0 = minutes_since(sc.start, known.start)
        x0, y0 = _point(r, sc, known.zones[0])
        out.append((t0, Storm(0, f"calendar-{i}", known.name, CALENDAR, t0, t0 + known.duration,
                              known.faults_per_hour, x0, y0, float(r.random() * 2 * math.pi), st.speed_kmh,
                              st.radius_km, tuple(known.zones), dict(known.mix or st.mix))))
    out.sort(key=lambda p: p[0])
    storms = []
    for number, (_, s) in enumerate(out):
        storms.append(Storm(number, s.key, s.name or f"storm-{number + 1}", s.kind, s.start, s.end, s.intensity, s.x0,
                            s.y0, s.heading, s.speed_kmh, s.radius_km, s.zones, s.mix))
    return storms
