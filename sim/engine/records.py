"""What happened in one replication, kept as columns: one row per fault, one row per unit activity.

The model writes into these buffers and nothing else; metrics and reports read them and know nothing of SimPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.engine.faults import ORIGINS, FaultTable

TRAVEL, WORK, RETURN, WAIT, CALLOUT, TURNOUT = "travel", "work", "return", "wait", "callout", "turnout"


ACTIVITIES = (TRAVEL, WORK, RETURN, WAIT, CALLOUT, TURNOUT)
"""What a unit can be doing: driving to a fault, working on it, driving back, waiting on site for the other
units of its job, getting ready after a call-out, or getting rolling from its depot (turnout)."""


ON_CALL_PAY = 0.25
"""Share of its hourly cost a unit is paid while on call and not called out."""


@dataclass(frozen=True)
class UnitInfo:
    """Who a unit is: its id (``depot/group-k``), depot, group and skills."""

    uid: str
    depot: str
    group: str
    kind: str
    skills: tuple[str, ...]
    cost_per_hour: float = 0.0
    overtime_cost_per_hour: float = 0.0


@dataclass
class Records:
    """Buffers filled by one replication of the model."""

    replication: int
    faults: FaultTable
    units: list[UnitInfo]
    decided: np.ndarray = field(init=False)  # the call handled: the dispatch centre decides
    dispatched: np.ndarray = field(init=False)
    first_on_site: np.ndarray = field(init=False)  # the first unit (a van, one specialist of several) on site
    on_site: np.ndarray = field(init=False)  # every skill the repair needs on site: the promise's "on site"
    repair_start: np.ndarray = field(init=False)
    repaired: np.ndarray = field(init=False)  # the full repair is done
    restored: np.ndarray = field(init=False)  # supply back: the repair, or a van's temporary restoration
    temp_restored: np.ndarray = field(init=False)  # supply back temporarily (a van), before the repair
    switched: np.ndarray = field(init=False)  # part of the customers switched to another feeder
    switched_customers: np.ndarray = field(init=False)
    reconnect: np.ndarray = field(init=False)  # minutes customers are cut off again to reconnect after the repair
    triage_miss: np.ndarray = field(init=False)  # a van sent to repair alone found it could not
    van_on_site: np.ndarray = field(init=False)
    units_sent: np.ndarray = field(init=False)
    diverted: np.ndarray = field(init=False)
    van_repaired: np.ndarray = field(init=False)  # the repair was a van's light work
    special_cause: np.ndarray = field(init=False)  # why a fault was delayed beyond anyone's control ("" if not)
    unit: np.ndarray = field(init=False)
    etr_report: np.ndarray = field(init=False)  # estimated restoration time given when the fault was reported
    etr_dispatch: np.ndarray = field(init=False)  # re-estimated when a unit was sent
    activities: list[tuple] = field(init=False, default_factory=list)
    dispatches: list[tuple] = field(init=False, default_factory=list)
    duty: list[list[list[float]]] = field(init=False, default_factory=list)  # per unit: [start, end, on_call]
    overtime: list[float] = field(init=False, default_factory=list)
    waited: list[float] = field(init=False, default_factory=list)
    callouts: list[int] = field(init=False, default_factory=list)
    on_call_work: list[float] = field(init=False, default_factory=list)  # minutes of jobs done while on call
    plans: list[tuple] = field(init=False, default_factory=list)  # one row per plan action taken

    def __post_init__(self) -> None:
        n = len(self.faults)
        self.decided = np.array(self.faults.reported, float)
        self.dispatched = np.full(n, math.nan)
        self.first_on_site = np.full(n, math.nan)
        self.on_site = np.full(n, math.nan)
        self.repair_start = np.full(n, math.nan)
        self.repaired = np.full(n, math.nan)
        self.restored = np.full(n, math.nan)
        self.temp_restored = np.full(n, math.nan)
        self.switched = np.full(n, math.nan)
        self.switched_customers = np.zeros(n, dtype=np.int64)
        self.reconnect = np.zeros(n)
        self.triage_miss = np.zeros(n, dtype=bool)
        self.van_on_site = np.full(n, math.nan)
        self.units_sent = np.zeros(n, dtype=np.int64)
        self.diverted = np.zeros(n, dtype=np.int64)
        self.van_repaired = np.zeros(n, dtype=bool)
        self.special_cause = np.full(n, "", dtype=object)
        for _ in self.units:
            self._grow()
        self.unit = np.full(n, -1, dtype=np.int64)
        self.etr_report = np.full(n, math.nan)
        self.etr_dispatch = np.full(n, math.nan)

    def _grow(self) -> None:
        self.duty.append([])
        self.overtime.append(0.0)
        self.waited.append(0.0)
        self.callouts.append(0)
        self.on_call_work.append(0.0)

    def add_unit(self, info: UnitInfo) -> int:
        """Register a unit (also one that joins during the run) and return its index."""
        self.units.append(info)
        self._grow()
        return len(self.units) - 1

    def duty_start(self, unit: int, t: float, on_call: bool) -> None:
        """``unit`` goes on duty at ``t``."""
        self.duty[unit].append([t, math.inf, float(on_call)])

    def duty_end(self, unit: int, t: float) -> None:
        """``unit`` goes off duty at ``t``."""
        self.duty[unit][-1][1] = t

    def dispatch(self, unit: int, fault: int, t: float, x: float, y: float, km: float, minutes: float) -> None:
        """Log a dispatch: which unit, from where, to which fault, how far, the drive expected."""
        self.dispatches.append((unit, fault, t, x, y, km, minutes))

    def activity(self, unit: int, job: int, kind: str, start: float, end: float,
                 x0: float, y0: float, x1: float, y1: float, km: float) -> None:
        """Log one activity of ``unit`` (index) for fault ``job`` (-1 for none)."""
        self.activities.append((unit, job, kind, start, end, x0, y0, x1, y1, km))

    def plan_action(self, plan: str, activation: int, trigger: str, start: float, end: float, forecast_storm: int,
                    action: str, detail: str, cost: float) -> None:
        """Log one action of an emergency plan's activation: what started it (``forecast``, ``false_alarm``,
        ``backlog``, ``customers_out``, ``compliance``), when it started and stood down, the storm a forecast
        foretold (-1: none or a false alarm), the action and its cost."""
        self.plans.append((plan, activation, trigger, start, end, forecast_storm, action, detail, cost))

    def plan_frame(self) -> pd.DataFrame:
        """One row per action of each plan activation (see ``plan_action``), times in minutes."""
        cols = ["plan", "activation", "trigger", "start", "stand_down", "storm", "action", "detail", "cost"]
        df = pd.DataFrame(self.plans, columns=cols).astype({"activation": np.int64, "start": float,
                                                           "stand_down": float, "storm": np.int64, "cost": float})
        df.insert(0, "replication", np.int64(self.replication))
        df["start_at"] = pd.Timestamp(self.faults.start) + pd.to_timedelta(df["start"], unit="min")
        return df

    def fault_frame(self) -> pd.DataFrame:
        """One row per fault, times in minutes since the start of the season."""
        f = self.faults
        uids = np.array([u.uid for u in self.units] + [""], dtype=object)
        with np.errstate(invalid="ignore"):  # switching that came no sooner than the restoration did nothing
            switched = np.where(self.switched < self.restored, self.switched, math.nan)
        df = pd.DataFrame({
            "replication": np.full(len(f), self.replication, dtype=np.int64),
            "fault": np.arange(len(f), dtype=np.int64),
            "zone": pd.Categorical.from_codes(f.zone, categories=list(f.zone_names)),
            "fault_type": pd.Categorical.from_codes(f.fault_type, categories=list(f.type_names)),
            "x_km": f.x,
            "y_km": f.y,
            "customers": f.customers,
            "reported": f.reported,
            "decided": self.decided,
            "dispatched": self.dispatched,
            "first_on_site": self.first_on_site,
            "on_site": self.on_site,
            "repair_start": self.repair_start,
            "restored": self.restored,
            "temp_restored": self.temp_restored,
            "switched": switched,
            "switched_customers": np.where(np.isnan(switched), 0, self.switched_customers),
            "repaired": self.repaired,
            "reconnect_minutes": self.reconnect,
            "van_on_site": self.van_on_site,
            "units_sent": self.units_sent,
            "van_repaired": self.van_repaired,
            "triage_miss": self.triage_miss,
            "diverted": self.diverted,
            "critical": f.critical,
            "unit": uids[self.unit],
            "repair_minutes": f.repair,
            "etr_at_report": self.etr_report,
            "etr_at_dispatch": self.etr_dispatch,
            "storm": f.storm.astype(np.int64),
            "origin": pd.Categorical.from_codes(f.origin, categories=list(ORIGINS)),
        })
        df.insert(8, "reported_at", pd.Timestamp(f.start) + pd.to_timedelta(f.reported, unit="min"))
        df["time_to_first_site"] = df["first_on_site"] - df["reported"]
        df["time_to_site"] = df["on_site"] - df["reported"]
        df["time_to_restore"] = df["restored"] - df["reported"]
        df["time_to_repair"] = df["repaired"] - df["reported"]
        df["special_cause"] = self.special_cause
        start = pd.Timestamp(f.start)
        for col in ("on_site", "restored", "repaired"):  # calendar times beside the minutes (NaT if never)
            df[f"{col}_at"] = start + pd.to_timedelta(df[col], unit="min")
        return df

    def dispatch_frame(self) -> pd.DataFrame:
        """Every dispatch: unit, fault, when, from where, distance, the drive expected and the drive it took
        (shorter when a van was diverted on the way; NaN for a drive cut short)."""
        cols = ["unit", "fault", "time", "from_x_km", "from_y_km", "distance_km", "expected_minutes"]
        df = pd.DataFrame(self.dispatches, columns=cols).astype({"unit": np.int64, "fault": np.int64})
        act = pd.DataFrame([(a[0], a[1], a[3], a[4]) for a in self.activities if a[2] == TRAVEL],
                           columns=["unit", "fault", "time", "arrived"])
        df = df.merge(act, on=["unit", "fault", "time"], how="left")
        df["actual_minutes"] = df.pop("arrived") - df["time"]
        df["time_at"] = pd.Timestamp(self.faults.start) + pd.to_timedelta(df["time"], unit="min")
        df.insert(0, "replication", np.int64(self.replication))
        df["unit"] = np.array([u.uid for u in self.units], dtype=object)[df["unit"].to_numpy()] if len(df) else ""
        return df

    def unit_summary(self, horizon: float) -> pd.DataFrame:
        """One row per unit: its group and kind, hours on duty (within the horizon and in all), hours on call,
        hours worked on call, overtime, waiting on site for other units, call-outs, and the cost.

        The cost pays every hour once: duty hours at ``cost_per_hour``, except overtime (the part of a job past
        the end of the duty window, which the duty period runs on to include) at ``overtime_cost_per_hour``
        instead, and on-call hours not spent on a job (standing by) at ``ON_CALL_PAY`` of the rate; a job done on
        call, from the call-out to its end, is paid in full."""
        rows = []
        for i, u in enumerate(self.units):
            on = sum(min(e, horizon) - min(s, horizon) for s, e, _ in self.duty[i] if e != math.inf)
            total = sum(e - s for s, e, _ in self.duty[i] if e != math.inf)
            on_call = sum(e - s for s, e, c in self.duty[i] if c and e != math.inf)
            rows.append((u.uid, u.group, u.kind, on / 60, total / 60, on_call / 60, self.on_call_work[i] / 60,
                         self.overtime[i] / 60, self.waited[i] / 60, self.callouts[i], u.cost_per_hour,
                         u.overtime_cost_per_hour))
        df = pd.DataFrame(rows, columns=["unit", "group", "kind", "duty_h_horizon", "duty_h", "on_call_h",
                                         "on_call_work_h", "overtime_h", "wait_h", "callouts", "cost_per_hour",
                                         "overtime_cost_per_hour"])
        standby = (df["on_call_h"] - df["on_call_work_h"]).clip(lower=0.0)
        df["cost"] = ((df["duty_h"] - df["overtime_h"] - standby) * df["cost_per_hour"]
                      + standby * ON_CALL_PAY * df["cost_per_hour"] + df["overtime_h"] * df["overtime_cost_per_hour"])
        df.insert(0, "replication", np.int64(self.replication))
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
        start = pd.Timestamp(self.faults.start)
        df["start_at"] = start + pd.to_timedelta(df["start"], unit="min")
        df["end_at"] = start + pd.to_timedelta(df["end"], unit="min")
        return df.sort_values(["unit", "start", "end"], kind="stable").reset_index(drop=True)
