"""The JSON Schema of scenario files (``stormcrew schema``, scenarios/stormcrew.schema.json): every shipped scenario
validates against it as an editor reads it, a misspelt key does not, the forms the loader parses (``"4 h"``,
``"07:00"``, a bare number for a distribution) are accepted, and the committed files are what the command writes."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from jsonschema.exceptions import best_match

from sim.cli import main
from sim.scenario.fields import parse_clock, parse_minutes
from sim.scenario.jsonschema import scenario_schema
from sim.yamlsource import read_yaml

ROOT = Path(__file__).resolve().parents[1]
FULL_FILE = ROOT / "scenarios" / "stormcrew.schema.json"
PARTIAL_FILE = ROOT / "scenarios" / "stormcrew.partial.schema.json"
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios" / "levers").glob("*.yaml"))
FULL = scenario_schema()
PARTIAL = scenario_schema(partial=True)


def errors(schema: dict[str, Any], data: Any) -> list[str]:
    """Each error as ``path: message``, the most telling of the alternatives' errors for an anyOf (as an editor
    shows it)."""
    found = [best_match([e]) for e in jsonschema.Draft202012Validator(schema).iter_errors(data)]
    return [f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:200]}" for e in found if e is not None]


def loaded(path: Path) -> Any:
    """The file as the loader (and an editor's YAML 1.2 reader) sees it: dates stay text."""
    return read_yaml(path).data


def test_the_schemas_are_valid_draft_2020_12() -> None:
    for schema in (FULL, PARTIAL):
        jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("partial", [False, True], ids=["full", "partial"])
def test_the_committed_schema_is_what_stormcrew_schema_writes(partial: bool, capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    """So it cannot go stale: regenerate with ``stormcrew schema --out scenarios/stormcrew.schema.json`` and
    ``stormcrew schema --partial --out scenarios/stormcrew.partial.schema.json``."""
    committed = (PARTIAL_FILE if partial else FULL_FILE).read_text(encoding="utf-8")
    assert main(["schema", *(["--partial"] if partial else [])]) == 0
    assert capsys.readouterr().out == committed, "stale: regenerate it with stormcrew schema --out (see docstring)"
    out = tmp_path / "s.json"
    for _ in range(2):  # the second time over its own file
        assert main(["schema", "--out", str(out), *(["--partial"] if partial else [])]) == 0
    assert out.read_text(encoding="utf-8") == committed


def test_schema_out_refuses_to_overwrite_a_file_it_did_not_write(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    precious = tmp_path / "notes.json"
    precious.write_text("{}")
    assert main(["schema", "--out", str(precious)]) == 2
    assert "not written by stormcrew" in capsys.readouterr().err and precious.read_text() == "{}"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(ROOT / "scenarios").as_posix())
def test_every_shipped_scenario_names_its_schema_and_validates(path: Path) -> None:
    """A full scenario against the schema; one that ``extends:`` a base (its keys merged over the base's) against
    the partial schema, which requires nothing the base supplies."""
    data = loaded(path)
    partial = "extends" in data
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert m, f"{path.name}: first line {first!r}"
    assert (path.parent / m.group(1)).resolve() == (PARTIAL_FILE if partial else FULL_FILE)
    assert errors(PARTIAL if partial else FULL, data) == []
    if partial:
        assert errors(FULL, data), "a partial file that is whole could name the full schema"


@pytest.fixture(scope="module")
def season() -> dict[str, Any]:
    return loaded(ROOT / "scenarios" / "storm_season.yaml")


@pytest.mark.parametrize("where", [(), ("fault_types", "cable_fault"), ("depots", "city", "units", 0),
                                   ("depots", "city", "units", 0, "roster", 0), ("arrivals", "storms"),
                                   ("travel",), ("zones", "urban", "area")])
def test_a_misspelt_key_is_refused(season: dict[str, Any], where: tuple[Any, ...]) -> None:
    data = copy.deepcopy(season)
    node: Any = data
    for key in where:
        node = node[key]
    node["custmers"] = 5
    for found in (errors(FULL, data), errors(PARTIAL, {**data, "extends": "base.yaml"})):
        assert found and all("custmers" in e for e in found), found
    assert errors(PARTIAL, {"extends": "base.yaml", "depots": {"city": {"units": [{"name": "x", "skils": []}]}}})


def test_the_forms_the_loader_parses_are_accepted(season: dict[str, Any]) -> None:
    data = copy.deepcopy(season)
    data["horizon"] = 1440 * 92  # minutes, or text with a unit
    data["start"] = "2026-06-01 06:00"
    data["fault_types"]["lightning"]["repair"] = 45  # a constant
    data["arrivals"]["per_day"]["urban"]["lightning"] = {"per_day": 0.5, "hour_of_day": [1] * 24}
    data["arrivals"]["per_day"]["rural"]["lightning"] = 0.5
    data["zones"]["urban"]["area"] = {"polygon": [[0, 0], [10, 0], [10, 10]]}  # one ring, or a list of rings
    data["zones"]["rural"]["area"] = {"polygon": [[[0, 0], [10, 0], [10, 10]], [[1, 1], [2, 1], [2, 2]]]}
    data["zones"]["feeder"] = {"speed_kmh": 30, "area": {"box": [0, 0, 1, 1]}, "limits": {"arrive": "1 h",
                                                                                         "restore": 360}}
    data["depots"]["city"]["location"] = {"file": "data/depots.geojson"}
    data["depots"]["city"]["units"][0]["roster"][0].update(start=420, end="19:00", callout="45 min")
    data["expect"] = ["urban.arrive >= 0.95", {"figure": "rural.restore", "op": ">", "value": 0.5}]
    data["reliability"] = {"t_med": 600}
    assert errors(FULL, data) == []
    data["reliability"] = {"t_med": {"days": "history.csv"}, "feeder_km": 3}
    assert errors(FULL, data) == []


@pytest.mark.parametrize("change, where", [
    (lambda d: d.update(horizon="92 days please"), "horizon"),
    (lambda d: d.update(horizon=-5), "horizon"),
    (lambda d: d.update(start=20260601), "start"),
    (lambda d: d["depots"]["city"]["units"][0]["roster"][0].update(start="25:00"), "depots.city.units.0.roster.0"),
    (lambda d: d["fault_types"]["lightning"].update(repair=-1), "fault_types.lightning.repair"),
    (lambda d: d["zones"].update(feeder={"speed_kmh": 30, "area": {"box": [0, 0, 1, 1]}}), "zones.feeder"),
    (lambda d: d["zones"]["urban"].update(area={}), "zones.urban.area"),
    (lambda d: d["travel"].update(model="teleport"), "travel.model"),
    (lambda d: d.update(expect=["urban.arrive is good"]), "expect"),
])
def test_wrong_values_are_refused(season: dict[str, Any], change: Any, where: str) -> None:
    data = copy.deepcopy(season)
    change(data)
    found = errors(FULL, data)
    assert found and all(e.startswith(where) for e in found), found


def _string_form(schema: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in schema["anyOf"] if a.get("type") == "string")


def _schema_agrees_with_loader(form: dict[str, Any], parse: Any, text: str) -> None:
    """The schema's text form accepts ``text`` exactly when the loader's parser reads it."""
    try:
        parse(text)
        parsed = True
    except ValueError:
        parsed = False
    assert jsonschema.Draft202012Validator(form).is_valid(text) == parsed


@pytest.mark.parametrize("text", ["4 h", "4H", "90min", "1.5 days", " 30 ", "30", ".5 w", "2 Hours", "4 hrs",
                                  "h", "4 h 30 min", "-4 h", "4,5 h", "1e3 min", "", "4 hours ago"])
def test_a_duration_is_text_the_loader_reads(text: str) -> None:
    _schema_agrees_with_loader(_string_form(FULL["properties"]["horizon"]), parse_minutes, text)


@pytest.mark.parametrize("text", ["07:00", "7:00", "23:59", " 19:30 ", "24:00", "7", "07:60", "7:5", "07:00:00"])
def test_a_time_of_day_is_text_the_loader_reads(text: str) -> None:
    _schema_agrees_with_loader(_string_form(FULL["$defs"]["Shift"]["properties"]["start"]), parse_clock, text)


def test_descriptions_and_examples_come_along() -> None:
    defs = FULL["$defs"]
    assert "integrated repair team" in defs["UnitGroup"]["description"]  # a model's docstring
    assert defs["UnitGroup"]["properties"]["size"]["description"] == "people in one unit"  # a Field's
    assert "4 h" in _string_form(FULL["properties"]["horizon"])["examples"]
    assert "07:00" in _string_form(defs["Shift"]["properties"]["start"])["examples"]
    assert {"dist": "lognorm", "s": 0.9, "scale": 95} in defs["Distribution"]["examples"]
