"""The JSON Schema of scenario files, for editors: completion, the models' descriptions on hover, and a misspelt key
or a value of the wrong kind underlined as it is typed (``stormcrew schema``; shipped as
``scenarios/stormcrew.schema.json``, which every shipped scenario names in its first line for the YAML language
server).

It is the pydantic ``Scenario`` model's validation schema, made to describe the file as written rather than the
values the model holds: a duration may be ``"4 h"`` or a number of minutes, a time of day ``"07:00"``, a date
``2026-06-01``; a distribution may be a bare number, a rate a bare number, an ``expect:`` section a bare list of
promises written as text; a zone named urban, rural or mountain may leave out its limits; a depot's location and a
van group's staging points may come from a GeoJSON file; ``extends:`` names a base scenario. The loader
(``stormcrew validate``) remains the judge: it also checks the names one section uses in another, distribution
parameters and the files a scenario names, and it accepts some forms the schema does not (``"3"`` for 3).

``partial=True`` gives the schema of a file that ``extends:`` a base: the base supplies what such a file leaves out,
so nothing is required in what is merged key by key (mappings); a list replaces the base's list, so its items are
still whole (a shift still needs its count).

>>> schema = scenario_schema()
>>> schema["properties"]["horizon"]["anyOf"][1]["examples"]
['92 d', '4 h', '45 min']
>>> "required" in scenario_schema(partial=True)["$defs"]["Depot"]
False
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from sim.distributions import MAX_VALUE
from sim.scenario.expect import _EXPECTATION
from sim.scenario.fields import _CLOCK, _UNITS, parse_clock, parse_minutes, parse_when
from sim.scenario.schema import DEFAULT_LIMITS, Scenario

MARK = "stormcrew scenario"
"""In the title, at the top of the schema file: ``stormcrew schema --out`` overwrites only a file that has it."""

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


# JSON Schema patterns have no flags: the units of fields.parse_minutes, in either case
_DURATION = (r"^\s*[0-9]*\.?[0-9]+\s*(" + "|".join(_any_case(u) for u in sorted(_UNITS, key=lambda u: (-len(u), u)))
             + r")?\s*$")

_WRITTEN: dict[Any, JsonSchemaValue] = {
    parse_minutes: {"type": "string", "pattern": _DURATION, "examples": ["92 d", "4 h", "45 min"],
                    "description": "a duration with its unit: s, min, h, d or w (a number alone is minutes)"},
    parse_clock: {"type": "string", "pattern": _CLOCK.pattern, "examples": ["07:00", "19:30"],
                  "description": "a time of day, HH:MM (quote it in YAML: \"07:00\")"},
}
"""What a field parsed by one of these functions may also be, besides its number."""

_DATE = {"type": "string", "pattern": r"^\s*[0-9]{4}-?[0-9]{2}-?[0-9]{2}",
         "examples": ["2026-06-01", "2026-07-14 15:00"],
         "description": "a date, or a date and time of day (local time): YYYY-MM-DD or 'YYYY-MM-DD HH:MM'"}

_LIMITS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}

_FILE = {"type": "object", "properties": {
    "file": {"type": "string", "minLength": 1, "description": "a GIS file, relative to the scenario file"},
    "layer": {"type": "string", "description": "a layer of the file (a GeoPackage's), with the scenario's crs"},
    "where": {"type": "string", "description": "an OGR SQL filter on the layer's fields"},
    "crs": {"type": "string", "description": "the file's CRS, when it does not say (or says wrongly)"}},
    "required": ["file"], "additionalProperties": False}


class _FileSchema(GenerateJsonSchema):
    """Pydantic's validation schema, with the strings that the fields' BeforeValidators parse."""

    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema) -> JsonSchemaValue:
        inner = super().function_before_schema(schema)
        parse = schema["function"]["function"]
        if parse is parse_when:
            return copy.deepcopy(_DATE)
        if parse in _WRITTEN:
            return {"anyOf": [inner, copy.deepcopy(_WRITTEN[parse])]}
        return inner


def _standard(node: Any) -> None:
    """Pydantic writes a bound it cannot place (one on the number a BeforeValidator returns) as ``gt``, ``le``...:
    turn them into JSON Schema's keywords, on the number (not on the string with a unit)."""
    if isinstance(node, list):
        for item in node:
            _standard(item)
    if not isinstance(node, dict):
        return
    bounds = {_LIMITS[k]: node.pop(k) for k in list(node) if k in _LIMITS}
    if bounds:
        numbers = [a for a in node.get("anyOf", []) if a.get("type") in ("number", "integer")]
        for target in numbers or [node]:
            target.update(bounds)
    for value in node.values():
        _standard(value)


def _either(defs: dict[str, Any], name: str, other: JsonSchemaValue) -> None:
    """Model ``name`` may also be written as ``other`` (what its ``mode="before"`` validator turns into it)."""
    model = defs[name]
    outer = {k: model.pop(k) for k in ("title", "description", "examples") if k in model}
    defs[name] = {**outer, "anyOf": [model, other]}


def _file_form(defs: dict[str, Any]) -> None:
    """Reshape the models' schema into the file's."""
    _either(defs, "Distribution", {"type": "number", "minimum": 0, "maximum": MAX_VALUE,
                                   "description": "a constant"})
    defs["Distribution"]["examples"] = [{"dist": "lognorm", "s": 0.9, "scale": 95}, {"dist": "expon", "scale": 30},
                                        {"dist": "empirical", "values": [10, 20, 45]}, 5]
    defs["Distribution"]["anyOf"][0]["properties"]["dist"]["examples"] = [
        "lognorm", "expon", "gamma", "weibull_min", "uniform", "constant", "empirical"]
    defs["Distribution"]["anyOf"][0]["properties"]["dist"]["description"] = (
        "a scipy.stats distribution (its parameters beside it: shapes, loc, scale), constant (value) or empirical "
        "(values)")
    _either(defs, "Rate", {"type": "number", "minimum": 0, "description": "faults per day"})
    _either(defs, "MedThreshold", {"type": "number", "exclusiveMinimum": 0,
                                   "description": "SAIDI minutes per day"})
    _either(defs, "Expectation", {"type": "string", "pattern": _EXPECTATION.pattern,
                                  "examples": ["urban.arrive >= 0.95", "all.time_to_site_p90 <= 45 (mean)"]})
    _either(defs, "Expect", {"type": "array", "items": {"$ref": "#/$defs/Expectation"}, "minItems": 1,
                             "description": "the checks alone"})
    defs["Reliability"]["properties"]["med_threshold"] = {
        "$ref": "#/$defs/MedThreshold", "deprecated": True, "description": "the former name of t_med"}
    area = defs["Area"]
    ring = area["properties"]["polygon"]["anyOf"][0]["items"]
    area["properties"]["polygon"]["anyOf"].insert(0, {**ring, "description": "one ring of [x, y] corners"})
    area["anyOf"] = [{"required": ["box"]}, {"required": ["polygon"]}, {"required": ["file"]}]
    area["not"] = {"required": ["box", "polygon"]}
    depot = defs["Depot"]["properties"]
    depot["location"] = {"anyOf": [depot["location"], _FILE], "description": "[x, y] in km, or {file: a GeoJSON "
                         "file} with a Point whose property depot is this depot's name"}
    staging = defs["UnitGroup"]["properties"]["staging"]
    staging["anyOf"] = [{k: staging.pop(k) for k in ("items", "type")}, _FILE]
    # the published limits of urban, rural and mountain are filled in before validation (checks.fill_defaults)
    defs["Zone"]["required"].remove("limits")
    defs["Zone"]["properties"]["limits"]["description"] = (
        "default for urban, rural and mountain: "
        + "; ".join(f"{z} {a:g} min / {r / 60:g} h" for z, (a, r) in DEFAULT_LIMITS.items()))


def _partial(full: dict[str, Any]) -> dict[str, Any]:
    """The schema of a file that extends a base: ``required`` dropped wherever mappings merge (not in list items,
    which replace the base's whole)."""
    out = copy.deepcopy(full)
    defs = out["$defs"]
    merged: set[str] = set()

    def walk(node: Any, merging: bool) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, merging)
        if not isinstance(node, dict):
            return
        if merging:
            node.pop("required", None)
            ref = node.get("$ref", "")
            name = ref.rsplit("/", 1)[-1]
            if ref.startswith("#/$defs/") and name not in merged:
                merged.add(name)
                walk(defs[name], True)
        for key, value in node.items():
            if key not in ("$defs", "not"):  # ("not": dropping its required would refuse everything)
                walk(value, merging and key not in ("items", "prefixItems"))

    walk(out, True)
    out["required"] = ["extends"]
    return _headed(out, f"{MARK} (partial: extends a base)", (
        "A stormcrew scenario that extends a base scenario (extends: base.yaml): mappings merge key by key over the "
        "base's, anything else (lists, numbers, null) replaces; nothing else is required. Generated by `stormcrew "
        "schema --partial`."))


def _headed(body: dict[str, Any], title: str, description: str) -> dict[str, Any]:
    """``body`` with the dialect, ``title`` and ``description`` first and the definitions last, as a reader wants
    them."""
    rest = {k: v for k, v in body.items() if k not in ("$schema", "title", "description", "$defs")}
    return {"$schema": DIALECT, "title": title, "description": description, **rest, "$defs": body["$defs"]}


def scenario_schema(partial: bool = False) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file, or of a file that extends a base (``partial``)."""
    body = Scenario.model_json_schema(mode="validation", schema_generator=_FileSchema)
    _standard(body)
    _file_form(body["$defs"])
    zone = body["properties"]["zones"]
    zone["properties"] = {z: {"$ref": "#/$defs/Zone"} for z in DEFAULT_LIMITS}
    zone["additionalProperties"] = {"allOf": [{"$ref": "#/$defs/Zone"}, {"required": ["limits"]}],
                                    "description": "a zone of another name states its limits"}
    body["properties"] = {"extends": {"type": "string", "minLength": 1, "description": (
        "a base scenario file (relative to this one) that this file changes: mappings merge key by key, anything "
        "else replaces"), "examples": ["../storm_season.yaml"]}, **body["properties"]}
    full = _headed(body, MARK, (
        "A stormcrew scenario file: one service area, its faults, crews and dispatch policy, and the promises it is "
        "held to. Times are minutes, or text with a unit (\"4 h\"); distances km. Generated from the scenario model "
        "by `stormcrew schema`; `stormcrew validate` also checks names across sections, distribution parameters and "
        "the files a scenario names."))
    _plain(full)
    return _partial(full) if partial else full


def _plain(node: Any) -> None:
    """Descriptions as an editor shows them: ``code`` (reStructuredText) as `code`."""
    if isinstance(node, list):
        for item in node:
            _plain(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                node[key] = value.replace("``", "`")
            else:
                _plain(value)


def schema_text(partial: bool = False) -> str:
    """The schema as the committed file holds it."""
    return json.dumps(scenario_schema(partial), indent=2, ensure_ascii=False) + "\n"
