"""The storm forecasts of one replication, drawn before the run from the storms it will bring.

Each storm is forecast or missed, with errors in timing, size and place, and false alarms come without a storm.
Every draw has its own stream (a storm's by its key), so forecasts leave storms and faults as they were and a
storm's forecast stays the same when other storms come or go (common random numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.engine.weather import Storm, hourly_rates, poisson_times
from sim.scenario.schema import Scenario
from sim.streams import stream


@dataclass(frozen=True)
class Forecast:
    """A forecast: issued at ``issued`` (minutes), for a storm from ``start`` to ``end`` of ``intensity`` faults
    an hour around (x, y), over ``zones``, stating ``probability`` that it comes; ``storm`` is the number of the
    storm it forecasts, -1 for a false alarm."""

    issued: float
    start: float
    end: float
    intensity: float
    x: float
    y: float
    zones: tuple[str, ...]
    probability: float
    storm: int


def _stated(d: object, rng: np.random.Generator) -> float:
    return float(np.clip(d.sample(rng, 1)[0], 0.0, 1.0))  # type: ignore[attr-defined]


def draw_forecasts(sc: Scenario, storms: tuple[Storm, ...] | list[Storm], seed: int,
                   replication: int) -> list[Forecast]:
    """The forecasts of a replication whose storms are ``storms``, in order of issue (none without a forecast
    section)."""
    fc, st = sc.forecast, sc.arrivals.storms
    if fc is None or st is None:
        return []
    out: list[Forecast] = []
    for s in storms:
        rng = stream(seed, replication, "forecast", s.key)
        hit, lead = rng.random() < fc.detection, float(fc.lead.sample(rng, 1)[0])
        err_t, err_size = rng.standard_normal(), rng.standard_normal()
        err_x, err_y = rng.standard_normal(2)
        stated = _stated(fc.stated, rng)
        if not hit:
            continue
        shift = fc.timing_sd * float(err_t)
        size = s.intensity * math.exp(fc.size_sd * float(err_size) - fc.size_sd ** 2 / 2)
        out.append(Forecast(s.start - lead, s.start + shift, s.end + shift, size, s.x0 + fc.place_sd_km * err_x,
                            s.y0 + fc.place_sd_km * err_y, s.zones, stated, s.number))
    if fc.false_alarms_per_week > 0:
        rng = stream(seed, replication, "false_alarms")
        starts = poisson_times(rng, hourly_rates(fc.false_alarms_per_week / 7.0, st.hour_of_day, sc.horizon,
                                                 st.month, sc.start), sc.horizon)
        zones = list(sc.zones)
        for t0 in starts.tolist():
            lead = float(fc.lead.sample(rng, 1)[0])
            duration = max(float(st.duration.sample(rng, 1)[0]), 1e-9)
            size = float(st.intensity.sample(rng, 1)[0])
            zone = zones[int(rng.integers(len(zones)))]
            x, y = sc.zone_map().sample(rng, zones.index(zone), 1)
            out.append(Forecast(t0 - lead, t0, t0 + duration, size, float(x[0]), float(y[0]), tuple(zones),
                                _stated(fc.stated_false, rng), -1))
    return sorted(out, key=lambda f: (f.issued, f.start))
