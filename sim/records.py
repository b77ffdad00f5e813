"""What happened in one replication, kept as columns: one row per fault, one row per unit activity.

The model writes into these buffers and nothing else; metrics and reports read them and know nothing of SimPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.faults import ORIGINS, FaultTable

TRAVEL, WORK, RETURN = "travel", "work", "return"
ACTIVITIES = (TRAVEL, WORK, RETURN)


@dataclass(frozen=True)
class UnitInfo:
    """Who a unit is: its id (``depot/group-k``), depot, group and skills."""

    uid: str
    depot: str
    group: str
    kind: str
    skills: tuple[str, ...]


@dataclass
class Records:
    """Buffers filled by one replication of the model."""

    replication: int
    faults: FaultTable
    units: list[UnitInfo]
    dispatched: np.ndarray = field(init=False)
    on_site: np.ndarray = field(init=False)
    repair_start: np.ndarray = field(init=False)
    restored: np.ndarray = field(init=False)
    unit: np.ndarray = field(init=False)
    etr_report: np.ndarray = field(init=False)  # estimated restoration time given when the fault was reported
    etr_dispatch: np.ndarray = field(init=False)  # re-estimated when a unit was sent
    activities: list[tuple] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.faults)
        self.dispatched = np.full(n, math.nan)
        self.on_site = np.full(n, math.nan)
        self.repair_start = np.full(n, math.nan)
        self.restored = np.full(n, math.nan)
        self.unit = np.full(n, -1, dtype=np.int64)
        self.etr_report = np.full(n, math.nan)
        self.etr_dispatch = np.full(n, math.nan)

    def activity(self, unit: int, job: int, kind: str, start: float, end: float,
                 x0: float, y0: float, x1: float, y1: float, km: float) -> None:
        """Log one activity of ``unit`` (index) for fault ``job`` (-1 for none)."""
        self.activities.append((unit, job, kind, start, end, x0, y0, x1, y1, km))

    def fault_frame(self) -> pd.DataFrame:
        """One row per fault, times in minutes since the start of the season."""
        f = self.faults
        uids = np.array([u.uid for u in self.units] + [""], dtype=object)
        df = pd.DataFrame({
            "replication": np.full(len(f), self.replication, dtype=np.int64),
            "fault": np.arange(len(f), dtype=np.int64),
            "zone": pd.Categorical.from_codes(f.zone, categories=list(f.zone_names)),
            "fault_type": pd.Categorical.from_codes(f.fault_type, categories=list(f.type_names)),
            "x_km": f.x,
            "y_km": f.y,
            "customers": f.customers,
            "reported": f.reported,
            "dispatched": self.dispatched,
            "on_site": self.on_site,
            "repair_start": self.repair_start,
            "restored": self.restored,
            "unit": uids[self.unit],
            "repair_minutes": f.repair,
            "etr_at_report": self.etr_report,
            "etr_at_dispatch": self.etr_dispatch,
            "storm": f.storm.astype(np.int64),
            "origin": pd.Categorical.from_codes(f.origin, categories=list(ORIGINS)),
        })
        df.insert(8, "reported_at", pd.Timestamp(f.start) + pd.to_timedelta(f.reported, unit="min"))
        df["time_to_site"] = df["on_site"] - df["reported"]
        df["time_to_restore"] = df["restored"] - df["reported"]
        df["special_cause"] = ""
        return df

    def storm_frame(self) -> pd.DataFrame:
        """One row per storm: number, name, kind (random or calendar), start and end (minutes), intensity (faults
        per hour before prevention), the zones it may hit, and the faults it brought."""
        f = self.faults
        counts = np.bincount(f.storm[f.storm >= 0], minlength=len(f.storms))
        rows = [(self.replication, s.number, s.name, s.kind, s.start, s.end, s.intensity, ",".join(s.zones),
                 int(counts[i])) for i, s in enumerate(f.storms)]
        df = pd.DataFrame(rows, columns=["replication", "storm", "name", "kind", "start", "end", "intensity",
                                         "zones", "faults"])
        return df.astype({"replication": np.int64, "storm": np.int64, "start": float, "end": float,
                          "intensity": float, "faults": np.int64})

    def unit_frame(self) -> pd.DataFrame:
        """One row per unit activity: which unit did what for which fault, from where to where, how far."""
        cols = ["unit", "job", "activity", "start", "end", "from_x_km", "from_y_km", "to_x_km", "to_y_km",
                "distance_km"]
        df = pd.DataFrame(self.activities, columns=cols)
        df = df.astype({"unit": np.int64, "job": np.int64, "start": float, "end": float, "from_x_km": float,
                        "from_y_km": float, "to_x_km": float, "to_y_km": float, "distance_km": float})
        df.insert(0, "replication", np.int64(self.replication))
        df["unit"] = np.array([u.uid for u in self.units], dtype=object)[df["unit"].to_numpy()] if len(df) else ""
        df["activity"] = pd.Categorical(df["activity"], categories=list(ACTIVITIES))
        return df.sort_values(["unit", "start", "end"], kind="stable").reset_index(drop=True)
