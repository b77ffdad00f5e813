"""Emergency plans during a replication: started by a forecast or by the state of the event, they pre-stage
groups, hold shifts over, call staff or mutual aid in and switch the dispatch order, then stand down.

Every activation is logged with its actions and their costs (``Records.plan_action``); the staff hours are paid
through the units (units called in form group ``plan/<name>``).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from sim.engine.duty import Duty
from sim.engine.forecasts import Forecast
from sim.engine.policies import ORDERS
from sim.plugins import load_function
from sim.scenario.plans import Action, Plan

if TYPE_CHECKING:
    from sim.engine.dispatch import DispatchCentre
    from sim.engine.model import _Builder
    from sim.engine.records import Records
    from sim.engine.units import Unit
    from sim.scenario.schema import Scenario


class PlanRunner:
    """Watches forecasts and the event for each plan and carries its actions out."""

    def __init__(self, sc: Scenario, env: simpy.Environment, centre: DispatchCentre, build: _Builder,
                 records: Records, forecasts: list[Forecast]):
        self.sc, self.env, self.centre, self.build, self.records = sc, env, centre, build, records
        self.forecasts = forecasts
        self.active: dict[str, float] = {}  # plan -> when it stands down
        self.free_at: dict[str, float] = {}  # plan -> earliest next start (cooldown)
        self.count: dict[str, int] = {}
        self.base_order = centre.policy.order
        self.orders: list[tuple[str, Any]] = []  # (plan, order) switched to, latest last
        self._lo = 0  # faults before this index are all restored

    def start(self) -> None:
        """Schedule the forecast triggers and the checks of conditions."""
        for name, plan in self.sc.plans.items():
            ft = plan.when.forecast
            if ft is not None:
                for f in self.forecasts:
                    if f.probability >= ft.probability and (ft.zones is None or set(ft.zones) & set(f.zones)):
                        at = f.issued if ft.before is None else max(f.issued, f.start - ft.before)
                        self.env.process(self._on_forecast(name, plan, f, max(0.0, at)))
        watched = [(n, p) for n, p in self.sc.plans.items() if p.when.conditions()]
        if watched:
            self.env.process(self._watch(watched))

    # ------------------------------------------------------------ triggers

    def _on_forecast(self, name: str, plan: Plan, f: Forecast, at: float) -> Generator[simpy.Event, Any, None]:
        if at >= self.sc.horizon:
            return
        yield self.env.timeout(at - self.env.now)
        self.activate(name, plan, "forecast" if f.storm >= 0 else "false_alarm", f.storm,
                      max(self.env.now, f.end) + plan.stand_down, f)

    def _watch(self, watched: list[tuple[str, Plan]]) -> Generator[simpy.Event, Any, None]:
        step = min(p.when.check_every for _, p in watched)
        while self.env.now < self.sc.horizon:
            yield self.env.timeout(step)
            for name, plan in watched:
                why = self._condition(plan)
                if why:
                    self.activate(name, plan, why, -1, self.env.now + plan.stand_down)

    def _condition(self, plan: Plan) -> str:
        t, now = plan.when, self.env.now
        if t.backlog is not None and self.centre.waiting >= t.backlog:
            return "backlog"
        if t.customers_out is not None and self.customers_out(now) >= t.customers_out:
            return "customers_out"
        c = t.compliance
        if c is not None:
            share, counted = self.compliance(c.zone, c.limit, c.window, now)
            if counted >= c.min_faults and share < c.below:
                return "compliance"
        return ""

    def customers_out(self, now: float) -> int:
        """Customers of faults the centre knows of (decided) and not yet restored at ``now``."""
        rec = self.records
        restored = rec.restored
        while self._lo < len(restored) and restored[self._lo] <= now:
            self._lo += 1
        hi = int(np.searchsorted(self.centre.faults.reported, now, side="right"))
        if hi <= self._lo:
            return 0
        sl = slice(self._lo, hi)
        out = ~(restored[sl] <= now) & (rec.decided[sl] <= now)
        return int(self.centre.faults.customers[sl][out].sum())

    def compliance(self, zone: str, limit: str, window: float, now: float) -> tuple[float, int]:
        """Share of ``zone``'s faults reported in the last ``window`` minutes that met ``limit`` by ``now``, and
        how many count (met, or missed already)."""
        f, rec = self.centre.faults, self.records
        lo, hi = np.searchsorted(f.reported, [now - window, now], side="right")
        zi = list(f.zone_names).index(zone)
        sl = slice(int(lo), int(hi))
        here = f.zone[sl] == zi
        lim = getattr(self.sc.zones[zone].limits, limit)
        done = rec.on_site[sl] if limit == "arrive" else rec.restored[sl]
        due = f.reported[sl] + lim
        met = here & (done <= due) & (done <= now)
        missed = here & ~(done <= due) & (now > due)
        counted = int(met.sum() + missed.sum())
        return (float(met.sum()) / counted if counted else math.nan), counted

    # ------------------------------------------------------------ actions

    def activate(self, name: str, plan: Plan, trigger: str, storm: int, until: float,
                 forecast: Forecast | None = None) -> None:
        """Start ``plan`` now (unless active or cooling down) until ``until``; ``forecast``: the one it acts on."""
        now = self.env.now
        if name in self.active or now < self.free_at.get(name, -math.inf):
            return
        self.active[name] = until
        k = self.count[name] = self.count.get(name, 0) + 1
        undo = []
        for action in plan.actions:
            detail, back = self._act(name, k, action, until, forecast)
            self.records.plan_action(name, k, trigger, now, until, storm, action.kind(), detail, action.cost)
            if back is not None:
                undo.append(back)
        self.env.process(self._stand_down(name, plan, until, undo))

    def _stand_down(self, name: str, plan: Plan, until: float, undo: list[Any]) -> Generator[simpy.Event, Any,
                                                                                               None]:
        yield self.env.timeout(max(0.0, until - self.env.now))
        for back in undo:
            back()
        del self.active[name]
        self.free_at[name] = self.env.now + plan.cooldown

    def _units(self, group: str) -> list[Unit]:
        return self.build.by_group.get(group, [])

    def _place(self, forecast: Forecast) -> tuple[float, float]:
        """Where the forecast storm is to start, moved into the nearest of its zones if it lies outside."""
        zm, zones = self.sc.zone_map(), list(self.sc.zones)
        among = [zones.index(z) for z in forecast.zones]
        if zm.locate([forecast.x], [forecast.y], among)[0] >= 0:
            return forecast.x, forecast.y
        best = min((zm.clamp(i, np.array([forecast.x]), np.array([forecast.y])) for i in among),
                   key=lambda p: (p[0][0] - forecast.x) ** 2 + (p[1][0] - forecast.y) ** 2)
        return float(best[0][0]), float(best[1][0])

    def _act(self, name: str, k: int, action: Action, until: float,
             forecast: Forecast | None) -> tuple[str, Any]:
        now, kind = self.env.now, action.kind()
        if kind == "prestage":
            assert action.prestage is not None
            moved = []
            for group, where in action.prestage.items():
                if where == "forecast":
                    if forecast is None:  # (refused when the scenario is read: only a forecast says where)
                        continue
                    x, y = self._place(forecast)
                else:
                    x, y = where
                for u in self._units(group):
                    u.set_home((x, y, self.build._zone_at(x, y, u.depot[2])))
                    moved.append(u)

            def back() -> None:
                for u in moved:
                    u.set_home(u.depot)
            return f"{len(moved)} units", back
        if kind == "hold_over":
            assert action.hold_over is not None
            held = 0
            for group in action.hold_over.groups:
                for u in self._units(group):
                    held += _hold(u.duty, now, until, action.hold_over.hours * 60.0)
            return f"{held} shift ends held {action.hold_over.hours:g} h", None
        if kind == "reserve_in":
            assert action.reserve_in is not None
            reserve = [u for g in action.reserve_in.groups for u in self._units(g) if u.on_call]
            for u in reserve:
                self._pay(u, on_call=False)

            def stand_by() -> None:
                for u in reserve:
                    self._pay(u, on_call=True)
            return f"{len(reserve)} on-call units", stand_by
        if kind == "call_in":
            c = action.call_in
            assert c is not None
            depot_name, group_name = c.group.split("/", 1)
            depot = self.sc.depots[depot_name]
            g = next(x for x in depot.units if x.name == group_name)
            zi = self.build.zone_index
            serves = tuple(sorted(zi[z] for z in (depot.serves or self.sc.zones)))
            home = (depot.location[0], depot.location[1], zi[depot.zone])
            arrive = now + c.delay
            for j in range(c.crews):
                self.build.add(f"plan/{name}/{k}-{j + 1}", depot_name, f"plan/{name}", g.kind, g.skills, serves, home,
                               Duty([(arrive, arrive + c.stay)]), g.cost_per_hour * c.pay_factor,
                               g.overtime_rate() * c.pay_factor, work_speed=g.work_speed)
            return f"{c.crews} units of {c.group}", None
        if kind == "mutual_aid":
            call = self.build.call_mutual_aid
            assert call is not None
            call(now)
            return "called", None
        assert action.dispatch_order is not None
        order = ORDERS.get(action.dispatch_order) or load_function(action.dispatch_order,
                                                                   str(self.sc.path_of("")))
        self.orders.append((name, order))
        self._set_order(order)

        def restore() -> None:
            self.orders[:] = [(n, o) for n, o in self.orders if n != name]
            self._set_order(self.orders[-1][1] if self.orders else self.base_order)
        return action.dispatch_order, restore

    def _pay(self, u: Unit, on_call: bool) -> None:
        """Switch ``u`` between on call and on duty; a duty period (and a job) under way is split, so each part
        is paid at its rate."""
        now = self.env.now
        if u.job_start is not None:  # a job under way: its on-call part is paid in full, and only that part
            if u.on_call and not on_call:
                self.records.on_call_work[u.index] += now - u.job_start
            u.job_start = now
        u.on_call = on_call
        if u.on_since is not None:
            self.records.duty_end(u.index, self.env.now)
            self.records.duty_start(u.index, self.env.now, on_call)

    def _set_order(self, order: Any) -> None:
        self.centre.policy = replace(self.centre.policy, order=order)
        self.centre.reorder()


def _hold(duty: Duty, now: float, until: float, minutes: float) -> int:
    """Hold ``duty`` over ``minutes`` past each end of duty between ``now`` and ``until``; returns how many."""
    held, t = 0, now
    while t < until:
        on, nxt = duty.status(t)
        if nxt == math.inf:
            break
        if on and nxt <= until:
            duty.hold(nxt, nxt + minutes)
            held += 1
            t = nxt + minutes
        else:
            t = nxt
    return held
