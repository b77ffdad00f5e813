"""``report.html``: what a planner looks at, as one self-contained page (plotly.js embedded once: it opens offline).

Built from a results folder's tables only, so ``stormcrew report DIR`` rebuilds it from saved results. Sections:
compliance by zone with confidence bars, time to site and to restore against each zone's limits, customers out,
backlog and units busy over time with storms shaded, storm restoration curves, a map of zones, depots, staging
points and faults, a timeline of one replication's units, and the IEEE 1366 indices. Comparison pages show the
paired differences of variants with their intervals, or a sweep's compliance against cost.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from sim.analysis.reach import reach_grid
from sim.atomic import write_text
from sim.inputs.roadcache import road_segments
from sim.inputs.zones import ZoneMap
from sim.scenario.figures import ALL
from sim.scenario.schema import Scenario
from sim.scenario.territory import load_network

GANTT_DAYS = 7.0
"""The unit timeline shows the first week of replication 0 (a season of activities is too dense to read)."""


MAP_FAULTS = 4000
"""At most this many faults on the map (those of replication 0 first)."""


_COLOURS = {"travel": "#4C78A8", "work": "#F58518", "return": "#B0B0B0", "wait": "#E45756", "callout": "#72B7B2",
            "turnout": "#54A24B"}


def page(title: str, sections: list[tuple[str, str]]) -> str:
    body = "\n".join(f"<section><h2>{html.escape(h)}</h2>{content}</section>" for h, content in sections)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="stormcrew">
<title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5em;color:#222}} section{{margin-bottom:2em}}
table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}
th:first-child,td:first-child{{text-align:left}} .note{{color:#555;font-size:90%}}</style>
<script type="text/javascript">{get_plotlyjs()}</script></head>
<body><h1>{html.escape(title)}</h1>
{body}
</body></html>
"""


def plot_html(fig: go.Figure, height: int = 420) -> str:
    fig.update_layout(height=height, margin={"l": 60, "r": 20, "t": 40, "b": 50}, template="plotly_white")
    return fig.to_html(include_plotlyjs=False, full_html=False, config={"displaylogo": False})


def table_html(df: pd.DataFrame) -> str:
    return df.to_html(index=False, float_format=lambda v: f"{v:,.4g}", border=0, classes="figures")


def summary_rows(summary: dict[str, Any], section: str) -> pd.DataFrame:
    rows = []
    for group, metrics in summary.get(section, {}).items():
        for metric, v in metrics.items():
            rows.append({"group": group, "metric": metric, **v})
    return pd.DataFrame(rows)


def compliance_figure(summary: dict[str, Any]) -> go.Figure:
    """Share of faults on site / restored within each zone's limits, with 95 % confidence bars."""
    zones = summary_rows(summary, "zones")
    fig = go.Figure()
    for metric, label in (("arrive", "on site within limit"), ("restore", "power back within limit"),
                          ("restore_customers", "customers back within limit")):
        sel = zones[zones["metric"] == metric]
        fig.add_bar(x=sel["group"], y=100 * sel["mean"], name=label,
                    error_y={"type": "data", "symmetric": False, "array": 100 * (sel["ci_high"] - sel["mean"]),
                             "arrayminus": 100 * (sel["mean"] - sel["ci_low"])})
    limits = summary.get("limits", {})
    ticks = [f"{z}<br>{v['arrive']:g} min / {v['restore'] / 60:g} h" if z in limits else z
             for z, v in ((z, limits.get(z, {})) for z in zones["group"].unique())]
    fig.update_xaxes(ticktext=ticks, tickvals=list(zones["group"].unique()))
    fig.update_yaxes(title_text="% within the zone's limit", range=[0, 100])
    fig.add_hline(y=95, line_dash="dot", annotation_text="95 %")
    return fig


def times_figure(faults: pd.DataFrame, limits: dict[str, Any], column: str, limit_key: str) -> go.Figure:
    """Distribution (share of faults within t) of time to site or to restore per zone, with each zone's limit."""
    fig = go.Figure()
    palette = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2"]
    for k, zone in enumerate(limits):
        t = np.sort(faults.loc[faults["zone"].astype(str) == zone, column].to_numpy(float) / 60.0)
        t = np.maximum(t[np.isfinite(t)], 1.0 / 60)  # a log axis: under a minute is shown at one minute
        if not len(t):
            continue
        colour = palette[k % len(palette)]
        fig.add_scatter(x=t, y=np.arange(1, len(t) + 1) / len(t), mode="lines", name=zone,
                        line={"shape": "hv", "color": colour})
        lim = limits[zone][limit_key] / 60.0
        fig.add_scatter(x=[lim, lim], y=[0, 1], mode="lines", name=f"{zone} limit ({lim:g} h)",
                        line={"dash": "dash", "color": colour})
    fig.update_xaxes(title_text="hours after the report", type="log")
    fig.update_yaxes(title_text="share of faults", range=[0, 1])
    return fig


def state_figure(ts: pd.DataFrame, storms: pd.DataFrame) -> go.Figure:
    """Customers out, faults waiting and units busy over time (replication 0), storms shaded."""
    from plotly.subplots import make_subplots  # noqa: PLC0415 (plotly or dask only when used: they take long to import)

    ts = ts[ts["replication"] == ts["replication"].min()]
    days = ts["minute"] / 1440.0
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.05,
                        subplot_titles=("customers out", "faults waiting for a unit", "units busy"))
    fig.add_scatter(x=days, y=ts["customers_out"], name="customers out", row=1, col=1)
    fig.add_scatter(x=days, y=ts["faults_waiting"], name="faults waiting", row=2, col=1)
    for col in [c for c in ts.columns if c.startswith("busy:")]:
        fig.add_scatter(x=days, y=ts[col], name=col[5:], stackgroup="busy", row=3, col=1)
    for s in storms[storms["replication"] == ts["replication"].min()].itertuples():
        fig.add_vrect(x0=s.start / 1440.0, x1=s.end / 1440.0, fillcolor="#9467bd", opacity=0.15, line_width=0)
    fig.update_xaxes(title_text="days since the start (storms shaded)", row=3, col=1)
    return fig


def restoration_figure(curves: pd.DataFrame, storms: pd.DataFrame) -> go.Figure:
    """Each storm's share of customers back against hours since it began (replication 0), 50/90 % marked."""
    fig = go.Figure()
    rep = curves["replication"].min() if len(curves) else 0
    names = storms[storms["replication"] == rep].set_index("storm")["name"].to_dict() if len(storms) else {}
    for storm, c in curves[curves["replication"] == rep].groupby("storm"):
        fig.add_scatter(x=c["hours"], y=100 * c["restored_share"], mode="lines", name=names.get(storm, str(storm)))
    for p in (50, 90):
        fig.add_hline(y=p, line_dash="dot", annotation_text=f"{p} %")
    fig.update_xaxes(title_text="hours since the storm began")
    fig.update_yaxes(title_text="% of the storm's customers with power back", range=[0, 100])
    return fig


def _add_roads(fig: go.Figure, roads: pd.DataFrame) -> None:
    """Road segments (columns x0, y0, x1, y1) as one trace, broken between segments."""
    n = len(roads)
    xs = np.column_stack([roads["x0"], roads["x1"], np.full(n, np.nan)]).ravel()
    ys = np.column_stack([roads["y0"], roads["y1"], np.full(n, np.nan)]).ravel()
    fig.add_scatter(x=xs, y=ys, mode="lines", name="roads", line={"color": "#999", "width": 1}, hoverinfo="skip")


def map_figure(resolved: dict[str, Any], faults: pd.DataFrame, roads: pd.DataFrame | None = None) -> go.Figure:
    """Zones, roads (a road network's junctions joined straight), depots, staging points and the faults of
    replication 0 (storm faults apart)."""
    fig = go.Figure()
    zm = ZoneMap([(z["area"].get("box"), z["area"].get("polygon")) for z in resolved["zones"].values()])
    for i, name in enumerate(resolved["zones"]):
        for k, (xs, ys) in enumerate(zm.outline(i)):
            fig.add_scatter(x=xs, y=ys, mode="lines", fill="toself", opacity=0.25, name=f"zone {name}",
                            legendgroup=name, showlegend=k == 0)
    if roads is not None and len(roads):
        _add_roads(fig, roads)
    f = faults[faults["replication"] == faults["replication"].min()].head(MAP_FAULTS) if len(faults) else faults
    if len(f):
        storm = f["storm"].to_numpy() >= 0
        for label, sel in (("faults (calm)", ~storm), ("faults (storm)", storm)):
            fig.add_scatter(x=f.loc[sel, "x_km"], y=f.loc[sel, "y_km"], mode="markers", name=label,
                            marker={"size": 4, "opacity": 0.6})
    dx = [d["location"][0] for d in resolved["depots"].values()]
    dy = [d["location"][1] for d in resolved["depots"].values()]
    fig.add_scatter(x=dx, y=dy, mode="markers+text", text=list(resolved["depots"]), textposition="top center",
                    marker={"symbol": "square", "size": 14, "color": "black"}, name="depots")
    staging = [(p[0], p[1]) for d in resolved["depots"].values() for g in d["units"] for p in g.get("staging", [])]
    if staging:
        fig.add_scatter(x=[p[0] for p in staging], y=[p[1] for p in staging], mode="markers", name="staging points",
                        marker={"symbol": "triangle-up", "size": 11, "color": "#444"})
    _axes(fig, resolved.get("crs"))
    return fig


def _axes(fig: go.Figure, crs: str | None) -> None:
    """km east and north: of the territory's working CRS (its metres / 1000, as QGIS shows them), or local."""
    of = f" ({crs})" if crs else ""
    fig.update_xaxes(title_text=f"km east{of}")
    fig.update_yaxes(title_text=f"km north{of}", scaleanchor="x")


def gantt_figure(units: pd.DataFrame) -> go.Figure:
    """What each unit did in the first GANTT_DAYS days of replication 0."""
    u = units[(units["replication"] == units["replication"].min()) & (units["start"] < GANTT_DAYS * 1440)]
    fig = go.Figure()
    for activity, colour in _COLOURS.items():
        a = u[u["activity"].astype(str) == activity]
        if not len(a):
            continue
        fig.add_bar(y=a["unit"], x=(a["end"] - a["start"]) / 60.0, base=a["start"] / 60.0, orientation="h",
                    name=activity, marker_color=colour)
    fig.update_layout(barmode="overlay", height=max(300, 22 * u["unit"].nunique() + 120))
    fig.update_xaxes(title_text="hours since the start")
    return fig


def comparison_report(table: pd.DataFrame, title: str) -> str:
    """Paired differences of each variant against the baseline, with their intervals (a forest plot per
    figure)."""
    sections = []
    for figure, t in table.groupby("figure", sort=False):
        fig = go.Figure()
        fig.add_scatter(x=t["difference"], y=t["variant"], mode="markers", marker={"size": 10},
                        error_x={"type": "data", "symmetric": False, "array": t["ci_high"] - t["difference"],
                                 "arrayminus": t["difference"] - t["ci_low"]}, name=figure)
        fig.add_vline(x=0, line_dash="dot")
        fig.update_xaxes(title_text=f"variant - baseline ({figure})")
        sections.append((figure, plot_html(fig, height=max(220, 60 * len(t) + 100))))
    sections.append(("All differences", table_html(table)))
    return page(title, sections)


def sweep_report(summary: pd.DataFrame, points: pd.DataFrame, title: str) -> str:
    """Each sweep point's compliance against its cost, with intervals."""
    def fig_of(metric: str) -> pd.DataFrame:
        s = summary[(summary["scope"] == "zone") & (summary["group"] == ALL) & (summary["metric"] == metric)]
        return s.set_index("point")

    comp, cost = fig_of("restore_customers"), summary[(summary["scope"] == "units") & (summary["group"] == ALL)
                                                      & (summary["metric"] == "cost")].set_index("point")
    joined = comp.join(cost.add_suffix("_cost")).join(points.set_index("point"))
    labels = [", ".join(f"{c.split('.')[-2] if '.' in c else c}={joined.loc[p, c]}" for c in points.columns
                        if c != "point") for p in joined.index]
    fig = go.Figure()
    fig.add_scatter(x=joined["mean_cost"], y=100 * joined["mean"], mode="markers+text", text=labels,
                    textposition="top center",
                    error_y={"type": "data", "symmetric": False, "array": 100 * (joined["ci_high"] - joined["mean"]),
                             "arrayminus": 100 * (joined["mean"] - joined["ci_low"])})
    fig.update_xaxes(title_text="cost of the season")
    fig.update_yaxes(title_text="% of customers with power back within the limit")
    return page(title, [("Compliance against cost", plot_html(fig, height=560)),
                         ("Points", table_html(joined.reset_index()))])


def write_html(text: str, path: Path) -> Path:
    """Write ``text`` to ``path`` atomically."""
    return write_text(path, text)


def reach_figure(sc: Scenario, step_km: float | None = None) -> go.Figure:
    """The planner's first question: which places can a unit reach within their zone's arrival limit? Every
    point of a grid over the zones (see ``sim.analysis.reach``), coloured by the drive from the nearest depot that
    serves it, with the points beyond the limit marked."""
    grid = reach_grid(sc, step_km)
    zones = list(sc.zones)
    zm = sc.zone_map()
    gx, gy, gz = grid["x"].to_numpy(), grid["y"].to_numpy(), grid["zone"].to_numpy()
    best = grid["minutes"].to_numpy()
    limit = grid["limit"].to_numpy()
    fig = go.Figure()
    fig.add_scatter(x=gx, y=gy, mode="markers", name="drive from the nearest depot (min)",
                    marker={"size": 8 if step_km is None else max(3, int(8 * step_km)),
                            "color": np.minimum(best, 240), "colorscale": "Viridis",
                            "colorbar": {"title": "min"}, "symbol": "square"},
                    text=[f"{zones[z]}: {b:.0f} min (limit {lim:g})"
                          for z, b, lim in zip(gz, best, limit, strict=True)])
    late = best > limit
    fig.add_scatter(x=gx[late], y=gy[late], mode="markers", name="beyond the zone's arrival limit",
                    marker={"size": 4, "color": "red", "symbol": "x"})
    if sc.travel.model == "road_network":
        _add_roads(fig, road_segments(load_network(sc)))
    for zone_no, name in enumerate(sc.zones):
        for ring_no, (xs, ys) in enumerate(zm.outline(zone_no)):
            fig.add_scatter(x=xs, y=ys, mode="lines", name=f"zone {name}", legendgroup=name, showlegend=ring_no == 0,
                            line={"color": "black", "width": 1})
    fig.add_scatter(x=[d.location[0] for d in sc.depots.values()], y=[d.location[1] for d in sc.depots.values()],
                    mode="markers+text", text=list(sc.depots), textposition="top center", name="depots",
                    marker={"symbol": "square", "size": 14, "color": "black"})
    _axes(fig, sc.crs)
    share = {zones[z]: float(np.mean(best[gz == z] <= limit[gz == z])) for z in np.unique(gz)}
    fig.update_layout(title_text="Area within the arrival limit: " + ", ".join(
        f"{z} {100 * v:.0f} %" for z, v in share.items()),
        legend={"orientation": "h", "y": -0.12})
    return fig


def map_page(sc: Scenario) -> str:
    """``stormcrew map``: the reach map of a scenario, before any run."""
    return page(f"stormcrew map: {sc.name}", [("Reach within each zone's arrival limit",
                                                 plot_html(reach_figure(sc), height=700))])
