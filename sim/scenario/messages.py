"""Problems found in a scenario, as issues a planner can act on: the YAML path, the line, and what is expected
there (pydantic's messages rewritten in the scenario's words, with "did you mean" for misspelt keys)."""

from __future__ import annotations

import difflib
import typing
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ValidationError,
)

from sim.bounds import MAX_MINUTES
from sim.distributions import shown
from sim.errors import Issue
from sim.scenario.schema import Scenario
from sim.yamlsource import YamlDocument

# ---------------------------------------------------------------- pydantic errors -> planner's messages


def schema_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that holds the last key of ``loc`` (to list the keys it accepts)."""
    tp: Any = Scenario
    for part in loc[:-1]:
        while typing.get_origin(tp) in (typing.Union, Annotated) or str(typing.get_origin(tp)) == "types.UnionType":
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0]
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return None
            tp = field.annotation
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        elif typing.get_origin(tp) in (list, tuple):
            tp = typing.get_args(tp)[0]
        else:
            return None
    while typing.get_origin(tp) is not None and typing.get_origin(tp) is not dict:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        tp = args[0] if args else None
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def message_of(err: Any) -> str:
    kind, ctx, got = err["type"], err.get("ctx", {}), err.get("input")
    loc = tuple(err["loc"])
    if kind == "missing":
        return "required; expected a value, none given"
    if kind == "extra_forbidden":
        model = schema_at(loc)
        allowed = sorted(model.model_fields) if model else []
        near = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        return f"unknown key{hint} expected one of: {', '.join(allowed)}" if allowed else "unknown key"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()))
        what = "minutes" if str(loc[-1]) in ("arrive", "restore", "horizon") else "a number"
        if bound == MAX_MINUTES:
            return f"expected minutes {op} {bound:,.0f} (100 years), got {shown(got)}"
        if isinstance(bound, int) and not isinstance(bound, bool) and abs(bound) >= 10_000:
            bound = f"{bound:,}"
        return f"expected {what} {op} {bound}, got {shown(got)}"
    if kind == "finite_number":
        return f"expected a finite number, got {shown(got)}"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        want = "a whole number" if kind.startswith("int") else "a number"
        return f"expected {want}, got {shown(got)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping of keys to values, got {got!r}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {got!r}"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}, got {got!r}"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        return msg[len("Value error, "):]
    return f"{msg[0].lower()}{msg[1:]}, got {got!r}"


def issues_of(exc: ValidationError, doc: YamlDocument | None) -> list[Issue]:
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p in ("function-after",))))
        out.append(issue_at(doc, loc, message_of(err)) if doc else Issue(loc, message_of(err)))
    return out


def issue_at(doc: YamlDocument, path: tuple[str | int, ...], message: str) -> Issue:
    """An issue at ``path`` with its line; a value that came from a base file (``extends``) names that file."""
    origin = doc.origin_of(path)
    if origin != doc.source:
        return Issue(path, f"{message} (set in {origin}, line {doc.line_of(path)})")
    return Issue(path, message, doc.line_of(path))


def by_line(issues: list[Issue]) -> list[Issue]:
    return sorted(issues, key=lambda i: i.line or 0)  # stable: same-line issues keep their order
