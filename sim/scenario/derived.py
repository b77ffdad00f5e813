"""Scenarios derived from another: its policy variants and copies with values set by path.

A scenario may declare ``variants: {name: {overrides}}``; each variant is the scenario with its overrides merged
over it (mappings key by key, anything else replaces). Values can also be set by path:
``depots.city.units[overhead].count`` (a list item by its ``name``, or by index ``units[0]``), as sweeps and the
staffing search do.

>>> data = {"depots": {"city": {"units": [{"name": "overhead", "count": 2}]}}}
>>> set_path(data, "depots.city.units[overhead].count", 5)["depots"]["city"]["units"][0]["count"]
5
"""

from __future__ import annotations

import copy
import re
from typing import Any

from sim.errors import InputError
from sim.scenario.schema import Scenario
from sim.yamlsource import merge

_PART = re.compile(r"([^.\[\]]+)|\[([^\]]+)\]")


def path_parts(path: str) -> list[str | int]:
    out: list[str | int] = []
    for name, index in _PART.findall(path):
        if name:
            out.append(name)
        else:
            out.append(int(index) if index.lstrip("-").isdigit() else f"[{index}]")
    if not out:
        raise InputError(f"{path!r}: expected a path such as depots.city.units[overhead].count")
    return out


def set_path(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set ``path`` in scenario data (in place, and returned): ``a.b[2].c``, or ``units[name]`` for the list item
    whose ``name`` is ``name``. Missing mapping keys are created; a missing list item is an error."""
    node: Any = data
    parts = path_parts(path)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(part, str) and part.startswith("["):
            key = part[1:-1]
            if not isinstance(node, list):
                raise InputError(f"{path!r}: {key!r} selects a list item, but here is no list")
            match = [k for k, item in enumerate(node) if isinstance(item, dict) and item.get("name") == key]
            if not match:
                names = [item.get("name") for item in node if isinstance(item, dict)]
                raise InputError(f"{path!r}: no item named {key!r}; expected one of {names}")
            part = match[0]
        if isinstance(part, int):
            if not isinstance(node, list) or not -len(node) <= part < len(node):
                raise InputError(f"{path!r}: no list item {part}")
        elif not isinstance(node, dict):
            raise InputError(f"{path!r}: {part!r} is below a value that is not a mapping")
        if last:
            node[part] = value
        else:
            if isinstance(node, dict) and part not in node:
                node[part] = {}
            node = node[part]
    return data


def variant(sc: Scenario, name: str) -> Scenario:
    """The scenario of variant ``name``: overrides merged over the baseline, same seed, named ``base.name``."""
    if name not in sc.variants:
        raise InputError(f"{sc.name}: no variant {name!r}; expected one of {list(sc.variants)}")
    data = sc.resolved()
    data.pop("variants", None)
    data = merge(data, copy.deepcopy(sc.variants[name]))
    data["name"] = f"{sc.name}.{name}"
    data.pop("expect", None)
    return Scenario.loader(data, base_dir=sc._base_dir)


def baseline(sc: Scenario) -> Scenario:
    """The scenario without its variants (what the variants are compared with)."""
    data = sc.resolved()
    data.pop("variants", None)
    return Scenario.loader(data, base_dir=sc._base_dir)
