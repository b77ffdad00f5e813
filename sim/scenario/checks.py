"""Defaults filled in before validation (the published limits of zones named urban, rural and mountain) and the
checks across sections after it: every name a section uses exists, every fault type can be served, and a season
is not so large that a run would exhaust memory."""

from __future__ import annotations

import difflib
import math
from typing import Any

import numpy as np

from sim.bounds import MAX_EVENTS, MAX_FAULTS
from sim.distributions import Distribution
from sim.errors import Issue
from sim.scenario.figures import known_figures
from sim.scenario.schema import DEFAULT_LIMITS, Scenario

# ---------------------------------------------------------------- resolution and cross-references


def fill_defaults(data: Any) -> list[Issue]:
    """Give zones with a known name their default limits; report unknown zones without limits."""
    issues: list[Issue] = []
    zones = data.get("zones") if isinstance(data, dict) else None
    if not isinstance(zones, dict):
        return issues
    for name, zone in zones.items():
        if isinstance(zone, dict) and "limits" not in zone:
            if name in DEFAULT_LIMITS:
                arrive, restore = DEFAULT_LIMITS[name]
                zone["limits"] = {"arrive": arrive, "restore": restore}
            else:
                issues.append(Issue(("zones", name, "limits"),
                                    "expected limits {arrive, restore} in minutes: only urban, rural and "
                                    "mountain have default limits"))
    return issues


def cross_check(sc: Scenario) -> list[Issue]:
    """References between sections, and that every fault that can occur can be served by someone."""
    issues: list[Issue] = []
    zones = list(sc.zones)
    for zname, zdef in sc.zones.items():
        if zdef.faults_at == "roads" and sc.travel.model != "road_network":
            issues.append(Issue(("zones", zname, "faults_at"), "roads needs a road network: travel.model "
                                "road_network with its network file (or faults_at: area)"))
        elif not isinstance(zdef.faults_at, str) and sc.crs is None:
            issues.append(Issue(("zones", zname, "faults_at"), "a GIS layer needs the scenario's working CRS: add "
                                "crs: auto (the territory's UTM zone) or crs: EPSG:NNNN"))
    for name, depot in sc.depots.items():
        if depot.zone not in sc.zones:
            issues.append(Issue(("depots", name, "zone"), f"unknown zone {depot.zone!r}; expected one of {zones}"))
        else:
            zm = sc.zone_map()
            x, y = depot.location
            zi = zones.index(depot.zone)
            if not zm.contains(zi, np.array([x]), np.array([y]))[0]:
                inside = int(zm.locate([x], [y])[0])
                where = f"it lies in {zones[inside]!r}" if inside >= 0 else "it lies outside every zone"
                issues.append(Issue(("depots", name, "location"), f"[{x:g}, {y:g}] is outside zone {depot.zone!r} "
                                    f"(bounds {[round(v, 3) for v in zm.bounds(zi)]}); {where}"))
        for i, z in enumerate(depot.serves or []):
            if z not in sc.zones:
                issues.append(Issue(("depots", name, "serves", i), f"unknown zone {z!r}; expected one of {zones}"))
    types = list(sc.fault_types)
    arr = sc.arrivals

    def known_type(path: tuple[str | int, ...], name: str) -> bool:
        if name not in sc.fault_types:
            near = difflib.get_close_matches(name, types, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            issues.append(Issue(path, f"unknown fault type {name!r}{hint}; expected one of {types}"))
            return False
        return True

    def known_zone(path: tuple[str | int, ...], name: str) -> bool:
        if name not in sc.zones:
            issues.append(Issue(path, f"unknown zone {name!r}; expected one of {zones}"))
            return False
        return True

    # every (zone, fault type) that can occur, with the place in the file that makes it occur
    occurs: dict[tuple[str, str], tuple[str | int, ...]] = {}
    for zone, by_type in arr.per_day.items():
        if not known_zone(("arrivals", "per_day", zone), zone):
            continue
        for ftype, rate in by_type.items():
            if known_type(("arrivals", "per_day", zone, ftype), ftype) and rate.per_day > 0:
                occurs.setdefault((zone, ftype), ("arrivals", "per_day", zone, ftype))
    for ftype in arr.prevention:
        known_type(("arrivals", "prevention", ftype), ftype)
    for j, ftype in enumerate(arr.repeats.types or [] if arr.repeats is not None else []):
        known_type(("arrivals", "repeats", "types", j), ftype)
    if arr.heat_waves is not None:
        for ftype in arr.heat_waves.multiplier:
            known_type(("arrivals", "heat_waves", "multiplier", ftype), ftype)
    if arr.storms is not None:
        st = arr.storms
        for z in st.zones or {}:
            known_zone(("arrivals", "storms", "zones", z), z)
        if st.per_week > 0:
            for ftype, w in st.mix.items():
                if known_type(("arrivals", "storms", "mix", ftype), ftype) and w > 0:
                    for z in zones:  # a random storm's footprint can reach any zone
                        occurs.setdefault((z, ftype), ("arrivals", "storms", "mix", ftype))
        for i, storm in enumerate(st.calendar):
            here = ("arrivals", "storms", "calendar", i)
            for j, z in enumerate(storm.zones):
                known_zone((*here, "zones", j), z)
            mix = storm.mix if storm.mix is not None else st.mix
            for ftype, w in mix.items():
                if known_type((*here, "mix", ftype), ftype) and w > 0:
                    for z in storm.zones:
                        if z in sc.zones:
                            occurs.setdefault((z, ftype), (*here, "mix", ftype))
    if arr.replay is not None:
        rp = arr.replay
        for ftype, w in rp.mix.items():
            if known_type(("arrivals", "replay", "mix", ftype), ftype) and w > 0:
                for z in zones:
                    occurs.setdefault((z, ftype), ("arrivals", "replay", "mix", ftype))
        for cause, ftype in rp.causes.items():
            if known_type(("arrivals", "replay", "causes", cause), ftype):
                for z in zones:
                    occurs.setdefault((z, ftype), ("arrivals", "replay", "causes", cause))
        if rp.origin is None and sc.crs is None and (rp.columns.x_km is None or rp.columns.y_km is None):
            issues.append(Issue(("arrivals", "replay"), "expected the scenario's crs (a real territory: the log's "
                                "longitude and latitude are reprojected into it), origin [longitude, latitude] (to "
                                "project a log in degrees) or columns x_km and y_km (a log in km)"))
        elif rp.columns.x_km is None or rp.columns.y_km is None:  # projected around origin: degrees are needed
            for key in ("longitude", "latitude"):
                if getattr(rp.columns, key) is None:
                    issues.append(Issue(("arrivals", "replay", "columns", key), f"expected the name of the log's "
                                        f"{key} column (the log is in degrees), got none"))
        if rp.repair == "log" and rp.columns.duration_h is None:
            issues.append(Issue(("arrivals", "replay", "columns", "duration_h"), "expected the name of the log's "
                                "duration column: repair: log takes the repair time from it"))
    unserved: set[str] = set()
    for (zone, ftype), path in occurs.items():
        serving = [d for d in sc.depots.values() if zone in (d.serves or zones)
                   and any(g.staffed() and g.kind != "van" for g in d.units)]
        if not serving:
            if zone not in unserved:
                unserved.add(zone)
                issues.append(Issue(("zones", zone), "no depot with crews or teams serves this zone, but faults "
                                    "arrive in it; expected a depot whose 'serves' includes it"))
            continue
        need = set(sc.fault_types[ftype].skills)
        have = {s for d in serving for g in d.units if g.staffed() and g.kind != "van" for s in g.skills}
        if not need <= have:
            issues.append(Issue(path, f"no units serving zone {zone!r} have together the skills {sorted(need)} "
                                f"that {ftype!r} needs (missing {sorted(need - have)})"))
    groups = sc.unit_groups()
    for i, rule in enumerate(sc.dispatch.divert if isinstance(sc.dispatch.divert, list) else []):
        for key in ("from_types", "to_types"):
            for j, name in enumerate(getattr(rule, key)):
                if name != "any":
                    known_type(("dispatch", "divert", i, key, j), name)
    if sc.mutual_aid is not None:
        known_zone(("mutual_aid", "zone"), sc.mutual_aid.zone)
        for j, z in enumerate(sc.mutual_aid.serves or []):
            known_zone(("mutual_aid", "serves", j), z)
        if sc.mutual_aid.backlog is None and not sc.mutual_aid.on_calendar_storms \
                and not any(a.mutual_aid for p in sc.plans.values() for a in p.actions):
            issues.append(Issue(("mutual_aid",), "never called: expected backlog: N, on_calendar_storms: true or a "
                                "plan whose action calls it"))
    if sc.prestage is not None:
        for g in sc.prestage.groups:
            if g not in groups:
                issues.append(Issue(("prestage", "groups", g), f"unknown unit group {g!r}; expected one of {groups}"))
    for name, programme in sc.prevention.items():
        for ftype in programme.effect:
            known_type(("prevention", name, "effect", ftype), ftype)
    issues += _plan_checks(sc, known_zone)
    if sc.expect is not None:
        known = known_figures(zones, sc.unit_groups(), list(sc.fault_types), list(sc.plans))
        for i, check in enumerate(sc.expect.checks):
            if check.figure not in known:
                near = difflib.get_close_matches(check.figure, known, n=3)
                issues.append(Issue(("expect", "checks", i), f"unknown figure {check.figure!r}; expected a figure "
                                    "such as " + ", ".join(repr(n) for n in (near or known[:3]))))
    issues += too_many(sc)
    return issues


def _plan_checks(sc: Scenario, known_zone: Any) -> list[Issue]:
    """Every group, zone and order a plan names exists; forecasts need storms to forecast."""
    issues: list[Issue] = []
    groups = sc.unit_groups()
    if sc.forecast is not None and sc.arrivals.storms is None:
        issues.append(Issue(("forecast",), "forecasts need storms: expected an arrivals.storms section"))
    for name, plan in sc.plans.items():
        here: tuple[str | int, ...] = ("plans", name)
        trigger = plan.when
        if trigger.forecast is not None:
            if sc.forecast is None:
                issues.append(Issue((*here, "when", "forecast"), "a plan on a forecast needs forecasts: expected "
                                    "a top-level forecast section (detection, lead, ...)"))
            for j, z in enumerate(trigger.forecast.zones or []):
                known_zone((*here, "when", "forecast", "zones", j), z)
        if trigger.compliance is not None:
            known_zone((*here, "when", "compliance", "zone"), trigger.compliance.zone)
        for i, action in enumerate(plan.actions):
            at = (*here, "actions", i)
            named = list(action.prestage or []) + (action.hold_over.groups if action.hold_over else []) \
                + (action.reserve_in.groups if action.reserve_in else []) \
                + ([action.call_in.group] if action.call_in else [])
            for g in named:
                if g not in groups:
                    issues.append(Issue((*at, action.kind()), f"unknown unit group {g!r}; expected one of {groups}"))
            if action.prestage and "forecast" in action.prestage.values() and trigger.forecast is None:
                issues.append(Issue((*at, "prestage"), "staging at the forecast place needs a plan on a forecast "
                                    "(when: forecast); on a condition, give a point [x, y]"))
            if action.mutual_aid and sc.mutual_aid is None:
                issues.append(Issue((*at, "mutual_aid"), "no mutual_aid section to call: expected one (crews, "
                                    "skills, zone, staging, delay)"))
    return issues


def mean_of(d: Distribution) -> float:
    try:
        m = float(d.mean())
    except (ValueError, TypeError, OverflowError, ArithmeticError):
        return math.inf
    return m if math.isfinite(m) else math.inf


def too_many(sc: Scenario) -> list[Issue]:
    """A bound on the faults, storms and heat waves one replication is expected to draw (an upper estimate: the
    largest month multiplier all season), so that rates that are typing errors are refused rather than exhausting
    memory or running for days."""
    issues: list[Issue] = []
    arr = sc.arrivals
    days = sc.horizon / 1440.0

    def peak(month: dict[int, float] | None) -> float:
        return max([1.0, *(month or {}).values()]) if not month or len(month) < 12 else max(month.values())

    def events(where: tuple[str | int, ...], n: float, what: str) -> None:
        if n > MAX_EVENTS:
            issues.append(Issue(where, f"about {n:,.0f} {what} expected in one replication; expected at most "
                                f"{MAX_EVENTS:,} (check per_week and the horizon)"))

    hw = arr.heat_waves
    if hw is not None:
        events(("arrivals", "heat_waves", "per_week"), hw.per_week / 7.0 * days * peak(hw.month), "heat waves")
    heat = max([1.0, *(hw.multiplier.values() if hw is not None else [])])
    expected = 0.0
    for by_type in arr.per_day.values():
        for ftype, rate in by_type.items():
            expected += rate.per_day * arr.prevention.get(ftype, 1.0) * heat * peak(arr.month) * days
    st = arr.storms
    if st is not None:
        storms = st.per_week / 7.0 * days * peak(st.month)
        events(("arrivals", "storms", "per_week"), storms, "storms")
        if storms > 0:
            size = mean_of(st.size) if st.size is not None else mean_of(st.intensity) * mean_of(st.duration) / 60.0
            expected += storms * size * max([1.0, *arr.prevention.values()])
        for known in st.calendar:
            expected += known.faults_per_hour * known.duration / 60.0 * max([1.0, *arr.prevention.values()])
    if arr.repeats is not None:  # each fault's descendants: 1 / (1 - branching) faults in all
        expected /= 1.0 - arr.repeats.branching
    if expected > MAX_FAULTS:
        issues.append(Issue(("arrivals",), f"about {expected:,.3g} faults expected in one replication; expected at "
                            f"most {MAX_FAULTS:,} (check per_day, the storms' per_week, intensity, size and "
                            "duration, the multipliers and the horizon)"))
    return issues
