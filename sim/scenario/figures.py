"""Names of the figures a run reports, and references to them such as ``urban.arrive``, ``ieee.all.SAIDI`` or
``units.city/cable.utilisation``, as used by ``expect:`` sections, baselines and summary.json.

A figure is (scope, group, metric). Scopes and their groups:

- ``zone``: each zone and ``all`` (written without a prefix: ``urban.arrive``)
- ``type``: each fault type (``type.cable_fault.restore``)
- ``weather``: ``calm`` (not from a storm) and ``storm`` (``weather.storm.arrive``)
- ``special``: ``none`` and ``recorded``: faults without and with a special cause (``special.none.arrive``), so
  compliance can be read with the faults a planner could not have helped set apart
- ``ieee``: each zone and ``all`` (``ieee.all.SAIDI``, ``ieee.all.SAIDI_excl_med``)
- ``storms``: ``all`` (``storms.all.t90_h_max``)
- ``etr``: ``all`` (``etr.all.report_within_1h``)
- ``units``: each unit group ``depot/group`` and ``all`` (``units.all.utilisation``)
- ``priority``: ``critical`` (faults cutting off critical customers, against their own limits) and ``other``
  (``priority.critical.arrive``)
- ``plans``: each emergency plan and ``all`` (``plans.hold_day.activations``)
- ``costs``: ``all``: units, plans, prevention and their total (``costs.all.total``)
- ``communication``: each zone and ``all``: ETR notices, calls and complaint risk
  (``communication.all.complaint_risk``)

>>> parse_figure("urban.arrive")
('zone', 'urban', 'arrive')
>>> parse_figure("units.city/cable.utilisation")
('units', 'city/cable', 'utilisation')
>>> parse_figure("ieee.all.SAIDI_excl_med")
('ieee', 'all', 'SAIDI_excl_med')
>>> figure_name("units", "all", "utilisation")
'units.all.utilisation'
"""

from __future__ import annotations

INDICES = ("SAIFI", "SAIDI", "CAIDI", "CAIFI", "CTAIDI", "ASAI", "CEMI_1", "CEMI_2", "CEMI_3", "CELID_s",
           "CELID_t", "MAIFI_E", "CI", "CMI", "CN")
"""Index names as reported; CI (customer interruptions), CMI (customer minutes) and CN are the raw counts."""

ZONE_METRICS = ("faults", "customers", "arrive", "arrive_customers", "first_arrive", "restore", "restore_customers",
                "restore_permanent", "temporary", "temporary_h_mean", "triage_miss", "switched_customers",
                "time_to_site_mean", "time_to_site_p50", "time_to_site_p90", "time_to_site_p95",
                "time_to_restore_mean", "time_to_restore_p50", "time_to_restore_p90", "time_to_restore_p95",
                "special_cause")
"""Figures per zone (and for ``all`` zones), per fault type and per weather. Shares are fractions, times minutes.
The promise is read as the source material means it: ``arrive`` is the share of faults with every skill their
repair needs on site within the zone's limit (a van that only makes safe, or one specialist of two, is not yet
"on site"); ``first_arrive`` the share with a first unit there in time. ``restore`` is the share with supply back
within the limit by any means (a van's temporary restoration included); ``restore_permanent`` the share repaired
within it. ``temporary`` is the share of faults temporarily restored before their repair, ``temporary_h_mean``
the mean hours from that to the repair, ``triage_miss`` the share where a van sent to repair alone found it
could not, ``switched_customers`` the share of customers whose supply came back by switching to another feeder
before the repair (``restore_customers`` counts each customer when its own supply came back). ``special_cause``
counts faults with a recorded special cause (they are in the other figures too)."""


MED_INDICES = ("SAIFI", "SAIDI", "CAIDI")


IEEE_METRICS = (*INDICES, *(f"{i}_excl_med" for i in MED_INDICES), "major_event_days", "T_MED")
"""IEEE 1366 indices per zone and for ``all``: every index, SAIFI/SAIDI/CAIDI without major event days, the number
of major event days and their SAIDI threshold (minutes)."""


STORM_METRICS = ("storms", "storm_faults", "t50_h_mean", "t90_h_mean", "t99_h_mean", "t90_h_max")
"""Per replication: storms, their faults, and the hours from a storm's start until 50 / 90 / 99 % of its
customers were back (mean over storms, and the worst storm's 90 %)."""


ETR_METRICS = ("report_bias_h", "report_mae_h", "report_within_1h", "dispatch_bias_h", "dispatch_mae_h",
               "dispatch_within_1h")
"""Quality of estimated restoration times given at report and at dispatch: bias (actual - estimate, hours; > 0
means late), mean absolute error, share of faults restored within one hour of the estimate."""


UNIT_METRICS = ("utilisation", "units", "duty_h", "overtime_h", "wait_h", "callouts", "distance_km", "cost")
"""Figures per unit group (``depot/group``) and for ``all`` units: utilisation (busy share of duty time within
the horizon), units, hours on duty, overtime hours, hours waiting on site for the other units of a job, call-outs,
km driven, cost."""


PLAN_METRICS = ("activations", "on_forecast", "false_alarms", "active_h", "cost")
"""Per emergency plan and for ``all``: how often it started, how often on a forecast and on a false alarm (a
forecast no storm followed), hours active, and the cost of its actions (per activation; staff hours are in the
units' cost, called-in units in group ``plan/<name>``)."""


COST_METRICS = ("units", "plans", "prevention", "total")
"""The season's cost: units (duty, overtime, on call; mutual aid and called-in staff included), the plans'
actions, the prevention programmes' share of their yearly cost, and the total."""


COMMUNICATION_METRICS = ("notices_per_fault", "told_within", "etr_held", "calls", "calls_peak_per_h",
                         "complaint_risk", "complaints")
"""Customer communication per zone and for ``all`` (``sim.analysis.communication``): ETR notices sent per fault,
the share of customers out told an ETR within ``communication.told_within`` of their outage's start (or back by
then), the share of those told whose first ETR held, the calls in the season and in its busiest hour, the
customer-weighted mean complaint risk per customer out and the expected complaints."""


PRIORITY_GROUPS = ("critical", "other")


ALL = "all"


WEATHER_GROUPS = ("calm", "storm")


SPECIAL_GROUPS = ("none", "recorded")


SCOPES = ("zone", "type", "weather", "special", "ieee", "storms", "etr", "units", "priority", "plans", "costs",
          "communication")


_PREFIXED = tuple(s for s in SCOPES if s != "zone")


def parse_figure(ref: str) -> tuple[str, str, str]:
    """``"<zone>.<metric>"`` or ``"<scope>.<group>.<metric>"`` -> (scope, group, metric); no check of names."""
    head, _, metric = ref.rpartition(".")
    if not head or not metric:
        raise ValueError(f"expected a figure such as 'urban.arrive' or 'units.all.utilisation', got {ref!r}")
    for scope in _PREFIXED:
        if head.startswith(scope + "."):
            return scope, head[len(scope) + 1:], metric
    return "zone", head, metric


def figure_name(scope: str, group: str, metric: str) -> str:
    """The inverse of parse_figure."""
    return f"{group}.{metric}" if scope == "zone" else f"{scope}.{group}.{metric}"


def known_figures(zones: list[str], unit_groups: list[str], fault_types: list[str] | None = None,
                  plans: list[str] | None = None) -> list[str]:
    """Every figure reference a scenario with these zones, unit groups, fault types and plans reports."""
    return ([figure_name("zone", z, m) for z in [*zones, ALL] for m in ZONE_METRICS]
            + [figure_name("type", t, m) for t in fault_types or [] for m in ZONE_METRICS]
            + [figure_name("weather", w, m) for w in WEATHER_GROUPS for m in ZONE_METRICS]
            + [figure_name("special", w, m) for w in SPECIAL_GROUPS for m in ZONE_METRICS]
            + [figure_name("ieee", z, m) for z in [*zones, ALL] for m in IEEE_METRICS]
            + [figure_name("storms", ALL, m) for m in STORM_METRICS]
            + [figure_name("etr", ALL, m) for m in ETR_METRICS]
            + [figure_name("units", g, m) for g in [*unit_groups, ALL] for m in UNIT_METRICS]
            + [figure_name("priority", g, m) for g in PRIORITY_GROUPS for m in ZONE_METRICS]
            + [figure_name("plans", p, m) for p in [*(plans or []), ALL] for m in PLAN_METRICS]
            + [figure_name("costs", ALL, m) for m in COST_METRICS]
            + [figure_name("communication", z, m) for z in [*zones, ALL] for m in COMMUNICATION_METRICS])
