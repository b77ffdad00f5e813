"""Reading a scenario: from a YAML file (with ``extends:``), YAML text, a dict or a parsed document, through the
defaults and the schema to the cross-checks, then the files it names (GIS layers, road network, history, log) and
its variants, so every problem is reported at once, with its YAML path and line, when the scenario is read.

The readers of a road network, a daily history and an outage log (pandas, scipy) are imported only when the
scenario names one: ``stormcrew validate`` of a scenario without them starts in a fraction of a second."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from sim.errors import Issue, ScenarioError
from sim.inputs.files import file_problem
from sim.inputs.gis import resolve
from sim.plugins import load_function
from sim.scenario.checks import cross_check, fill_defaults
from sim.scenario.crews import ORDER_NAMES
from sim.scenario.derived import variant
from sim.scenario.messages import by_line, issue_at, issues_of
from sim.scenario.schema import Scenario
from sim.yamlsource import YamlDocument, extend, parse_yaml, read_yaml, rebase


def check_variants(sc: Scenario, doc: YamlDocument) -> None:
    """Build every variant, so a bad override is reported now, at its place under ``variants``."""
    issues: list[Issue] = []
    for name in sc.variants:
        if not re.match(r"^[A-Za-z0-9_-]+$", name):
            issues.append(issue_at(doc, ("variants", name), "expected a variant name of letters, digits, _ and -"))
            continue
        try:
            variant(sc, name)
        except ScenarioError as exc:
            for i in exc.issues:
                path = ("variants", name, *i.path)
                issues.append(Issue(path, i.message, doc.line_of(path)))
    if issues:
        raise ScenarioError(doc.source, issues)


# ---------------------------------------------------------------- entry point


MAX_NETWORK_BYTES = 1024 * 2**20
"""Largest road network file read (1 GiB; the generated area is 0.3 MB, a county from OpenStreetMap some MB)."""


def scenario_dict(path: str | Path, relative_to: str | Path | None = ".") -> dict[str, Any]:
    """A scenario file as a plain dict to change and pass to ``sim.run`` or ``load_scenario``: its ``extends``
    merged in and its file paths (road network, GIS files, logs) made relative to ``relative_to`` (default the
    working directory; None: absolute), so the dict loads from there.

    >>> scenario_dict("scenarios/storm_season.yaml")["travel"]["network"]
    'scenarios/data/generated_area.geojson'
    """
    doc = extend(read_yaml(path))
    if not isinstance(doc.data, dict):
        raise ScenarioError(str(path), [Issue((), "expected a mapping at the top level", 1)])
    here = Path(path).parent
    if relative_to is None:
        return rebase(doc.data, here.resolve(), Path("/"), absolute=True)
    return rebase(doc.data, here, Path(relative_to))


def load_scenario(source: str | Path | dict[str, Any] | YamlDocument | Scenario,
                  base_dir: str | Path | None = None) -> Scenario:
    """Read, validate and resolve a scenario from a YAML file path, YAML text, a dict, a parsed YamlDocument or an
    existing Scenario.

    Paths in the scenario (a replayed log) are relative to ``base_dir``, by default the scenario file's folder
    (the working directory for text and dicts). Raises ScenarioError listing every problem with its YAML path and
    line.
    """
    if isinstance(source, Scenario):
        return source
    if isinstance(source, YamlDocument):
        doc = source
        if base_dir is None and not doc.source.startswith("<"):
            base_dir = Path(doc.source).parent
    elif isinstance(source, dict):
        doc = YamlDocument("<scenario dict>", json.loads(json.dumps(source, default=str)))
    elif isinstance(source, (str, Path)) and "\n" not in str(source):
        doc = read_yaml(source)
        base_dir = Path(source).parent if base_dir is None else base_dir
    elif isinstance(source, str):
        doc = parse_yaml(source, "<scenario text>")
    else:
        raise TypeError(f"load_scenario takes a path, a dict or a Scenario, not {type(source).__name__}")
    doc = extend(doc)
    data = doc.data
    if data is None:
        raise ScenarioError(doc.source, [Issue((), "the file is empty; expected a scenario mapping "
                                                   "(name, horizon, zones, fault_types, arrivals, depots)", 1)])
    if not isinstance(data, dict):
        raise ScenarioError(doc.source, [Issue((), f"expected a mapping at the top level, got "
                                                   f"{type(data).__name__}", 1)])
    folder = Path(base_dir or ".")

    def territory_centre() -> tuple[float, float] | None:  # for crs: auto on roads alone
        travel = data.get("travel")
        net = travel.get("network") if isinstance(travel, dict) else None
        if not (isinstance(net, str) and net):
            return None
        from sim.inputs.roadcache import roads_centre  # noqa: PLC0415 (the road machinery: only for crs: auto)

        return roads_centre(folder / net, net)

    skipped: list[tuple[str | int, ...]] = []  # GIS references left unread for a problem reported already
    pre = [issue_at(doc, i.path, i.message)
           for i in fill_defaults(data) + resolve(data, folder, territory_centre, skipped)]
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        # a missing default-less limit or an unreadable GIS file is already explained
        told = {i.path for i in pre} | set(skipped)
        found = [i for i in issues_of(exc, doc) if not any(i.path[:len(t)] == t for t in told)]
        raise ScenarioError(doc.source, by_line(pre + found)) from None
    post = pre + [issue_at(doc, i.path, i.message) for i in cross_check(sc)]
    if post:
        raise ScenarioError(doc.source, by_line(post))
    sc._base_dir = str(base_dir if base_dir is not None else ".")
    d = sc.dispatch
    own: list[tuple[tuple[str, ...], str]] = [(("dispatch", "order"), d.order)] if d.order not in ORDER_NAMES else []
    own += [(("dispatch", "divert"), d.divert)] if isinstance(d.divert, str) else []
    for where, name in own:  # a planner's own policy: it must import now, not in a worker mid-run
        try:
            load_function(name, sc._base_dir)
        except ValueError as exc:
            raise ScenarioError(doc.source, [issue_at(doc, where, str(exc))]) from None
    if sc.travel.model == "road_network":
        at = ("travel", "network")
        problem = file_problem(sc.path_of(sc.travel.network or ""), MAX_NETWORK_BYTES)
        if problem:
            raise ScenarioError(doc.source, [Issue(at, f"{sc.travel.network} {problem}; expected an OpenStreetMap "
                                                   "(.osm.pbf, .osm, .graphml) or GIS road network", doc.line_of(at))])
        from sim.scenario.territory import load_network  # noqa: PLC0415 (scipy and pandas, for a network only)

        try:
            load_network(sc)
        except ScenarioError as exc:
            raise ScenarioError(doc.source, [
                Issue(at, f"{i.message} in {exc.source}", doc.line_of(at)) if not i.path
                else issue_at(doc, i.path, i.message) for i in exc.issues]) from None
    if sc.reliability.t_med is not None and sc.reliability.t_med.days is not None:
        from sim.inputs.history import read_history_cached  # noqa: PLC0415 (pandas, for a history only)

        days: tuple[str, ...] = ("reliability", "t_med", "days")
        try:
            read_history_cached(sc.path_of(sc.reliability.t_med.days))
        except ScenarioError as exc:
            raise ScenarioError(doc.source, [issue_at(doc, days, f"{i.message} in {exc.source}"
                                                 + (f" at its line {i.line}" if i.line else "")) for i in exc.issues]) \
                from None
    if sc.variants:
        check_variants(sc, doc)
    if sc.arrivals.replay is not None:
        from sim.inputs.outagelog import read_log_cached  # noqa: PLC0415 (pandas, for a log only)

        log_at: tuple[str, ...] = ("arrivals", "replay", "log")
        try:
            read_log_cached(sc.path_of(sc.arrivals.replay.log), sc.arrivals.replay.columns)
        except ScenarioError as exc:
            raise ScenarioError(doc.source, [Issue(log_at, f"{i.message} in {exc.source}"
                                                   + (f" at its line {i.line}" if i.line else ""), doc.line_of(log_at))
                                             for i in exc.issues]) from None
    return sc


Scenario.loader = load_scenario
