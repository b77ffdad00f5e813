"""Shared scenario builders for the tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = ROOT / "scenarios" / "storm_season.yaml"


def mmc_scenario(lam_per_min: float, mean_repair: float, crews: int, horizon: float, **extra: Any) -> dict:
    """One zone, zero travel, exponential repair, ``crews`` identical crews always on duty: an M/M/c queue."""
    sc = {
        "name": "mmc",
        "horizon": horizon,
        "zones": {"urban": {"speed_kmh": 30, "area": {"box": [0, 0, 0, 0]}}},
        "fault_types": {"fault": {"skills": ["line"], "repair": {"dist": "expon", "scale": mean_repair}}},
        "arrivals": {"per_day": {"urban": {"fault": lam_per_min * 1440}}},
        "depots": {"d": {"zone": "urban", "location": [0, 0],
                         "units": [{"name": "crew", "skills": ["line"], "count": crews}]}},
    }
    sc.update(extra)
    return sc


def replay_scenario(horizon: str, **extra: Any) -> dict:
    """One urban zone [0, 10] x [0, 10] km of 1,000 customers, one crew at (0, 0), straight roads at 1 km a minute,
    repairs of 100 min, and faults replayed from ``log.csv`` (columns time_out, x_km, y_km, customers) in the
    folder the scenario is loaded from."""
    sc = {
        "name": "designed", "start": "2026-06-01", "horizon": horizon, "replications": 2,
        "zones": {"urban": {"speed_kmh": 60, "area": {"box": [0, 0, 10, 10]}, "customers": 1000}},
        "fault_types": {"fault": {"skills": ["line"], "repair": 100}},
        "arrivals": {"replay": {"log": "log.csv", "mix": {"fault": 1},
                                "columns": {"duration_h": None, "longitude": None, "latitude": None,
                                            "x_km": "x_km", "y_km": "y_km", "customers": "customers"}}},
        "depots": {"d": {"zone": "urban", "location": [0, 0], "units": [{"name": "c", "skills": ["line"],
                                                                          "count": 1}]}},
        "travel": {"circuity": 1.0},
    }
    sc.update(extra)
    return sc


def with_crews(sc: dict, depot: str, group: str, delta: int) -> dict:
    """A copy of scenario dict ``sc`` with ``delta`` more units in ``depot``'s group ``group``."""
    out = copy.deepcopy(sc)
    for g in out["depots"][depot]["units"]:
        if g["name"] == group:
            g["count"] += delta
    return out


@pytest.fixture
def default_scenario_path() -> Path:
    return DEFAULT_SCENARIO
