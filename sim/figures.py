"""Names of the figures a run reports, and references to them such as ``urban.arrive`` or
``units.city/cable.utilisation``, as used by ``expect:`` sections and baselines.

>>> parse_figure("urban.arrive")
('zone', 'urban', 'arrive')
>>> parse_figure("units.city/cable.utilisation")
('units', 'city/cable', 'utilisation')
>>> figure_name("units", "all", "utilisation")
'units.all.utilisation'
"""

from __future__ import annotations

ZONE_METRICS = ("faults", "customers", "arrive", "arrive_customers", "restore", "restore_customers",
                "time_to_site_mean", "time_to_site_p50", "time_to_site_p90", "time_to_site_p95",
                "time_to_restore_mean", "time_to_restore_p50", "time_to_restore_p90", "time_to_restore_p95")
"""Figures per zone (and for ``all`` zones). Shares are fractions, times are minutes."""

UNIT_METRICS = ("utilisation", "units")
"""Figures per unit group (``depot/group``) and for ``all`` units."""

ALL = "all"


def parse_figure(ref: str) -> tuple[str, str, str]:
    """``"<zone>.<metric>"`` or ``"units.<group>.<metric>"`` -> (scope, group, metric); no check of the names."""
    head, _, metric = ref.rpartition(".")
    if not head or not metric:
        raise ValueError(f"expected a figure such as 'urban.arrive' or 'units.all.utilisation', got {ref!r}")
    if head.startswith("units."):
        return "units", head[len("units."):], metric
    return "zone", head, metric


def figure_name(scope: str, group: str, metric: str) -> str:
    """The inverse of parse_figure."""
    return f"units.{group}.{metric}" if scope == "units" else f"{group}.{metric}"


def known_figures(zones: list[str], unit_groups: list[str]) -> list[str]:
    """Every figure reference a scenario with these zones and unit groups reports."""
    return ([figure_name("zone", z, m) for z in [*zones, ALL] for m in ZONE_METRICS]
            + [figure_name("units", g, m) for g in [*unit_groups, ALL] for m in UNIT_METRICS])
