"""Reading YAML while remembering where every value stood, so errors can name a line.

>>> doc = parse_yaml("zones:\\n  urban:\\n    speed_kmh: -5\\n", "example.yaml")
>>> doc.data["zones"]["urban"]["speed_kmh"]
-5
>>> doc.line_of(("zones", "urban", "speed_kmh"))
3
>>> doc.line_of(("zones", "urban", "missing", "deeper"))  # nearest known ancestor
2
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Issue, ScenarioError

Path_ = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: the schema parses them and can say where a bad one is (PyYAML would
    raise a bare ValueError for 2026-13-45)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class YamlDocument:
    """Parsed YAML data plus the 1-based line of every mapping key and sequence item."""

    source: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    origins: dict[Path_, str] = field(default_factory=dict)  # paths set by a base file (``extends``) -> that file

    def origin_of(self, path: Path_) -> str:
        """The file that set ``path`` (or its nearest known ancestor): this one, or a base it extends."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.origins.get(path, self.source)

    def line_of(self, path: Path_) -> int | None:
        """Line of ``path``, or of its nearest ancestor that exists in the file."""
        path = tuple(path)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                child = path + (key_node.value,)
                lines[child] = key_node.start_mark.line + 1
                _walk(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = path + (i,)
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines)


def parse_yaml(text: str, source: str) -> YamlDocument:
    """Parse ``text`` (named ``source`` in messages); raise ScenarioError on syntax errors."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        raise ScenarioError(source, [Issue((), f"not valid YAML: {what}", line)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(source, [Issue((), f"not valid YAML: {exc}", None)]) from None
    lines: dict[Path_, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return YamlDocument(source, data, lines)


def read_yaml(path: str | Path) -> YamlDocument:
    """Read and parse a YAML file; a missing or unreadable file is a ScenarioError."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(str(p), [Issue((), "file not found", None)]) from None
    except IsADirectoryError:
        raise ScenarioError(str(p), [Issue((), "is a folder; expected a scenario YAML file", None)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(p), [Issue((), f"cannot be read: {exc}", None)]) from None
    return parse_yaml(text, str(p))


def merge(base: Any, child: Any) -> Any:
    """``child`` over ``base``: mappings merge key by key, anything else (lists, numbers, null) replaces.

    >>> merge({"a": {"x": 1, "y": 2}, "l": [1]}, {"a": {"y": 3}, "l": [2], "b": None})
    {'a': {'x': 1, 'y': 3}, 'l': [2], 'b': None}
    """
    if isinstance(base, dict) and isinstance(child, dict):
        out = dict(base)
        for k, v in child.items():
            out[k] = merge(base[k], v) if k in base else v
        return out
    return child


PATH_FIELDS: tuple[tuple[str, ...], ...] = (
    ("travel", "network"), ("arrivals", "replay", "log"), ("zones", "*", "area", "file"),
    ("depots", "*", "location", "file"), ("depots", "*", "units", "*", "staging", "file"))
"""Places of file paths in a scenario (``*``: any key or index); a path is relative to the file that writes it."""


def rebase(data: Any, src: Path, dst: Path, absolute: bool = False) -> Any:
    """A copy of scenario ``data`` whose relative file paths (PATH_FIELDS), written relative to folder ``src``, are
    relative to folder ``dst`` instead (``absolute``: absolute paths).

    >>> rebase({"travel": {"network": "data/roads.geojson"}}, Path("scenarios"), Path("scenarios/levers"))
    {'travel': {'network': '../data/roads.geojson'}}
    """
    def walk(node: Any, pattern: tuple[str, ...]) -> Any:
        if not pattern:
            if isinstance(node, str) and node and not Path(node).is_absolute():
                full = os.path.normpath(src / node)
                return Path(os.path.abspath(full) if absolute else os.path.relpath(full, os.path.normpath(dst))) \
                    .as_posix()
            return node
        head, rest = pattern[0], pattern[1:]
        if isinstance(node, dict):
            return {k: walk(v, rest) if head in ("*", k) else v for k, v in node.items()}
        if isinstance(node, list) and head == "*":
            return [walk(v, rest) for v in node]
        return node

    for pattern in PATH_FIELDS:
        data = walk(data, pattern)
    return data


def extend(doc: YamlDocument, seen: tuple[str, ...] = ()) -> YamlDocument:
    """Resolve ``extends: base.yaml`` (relative to ``doc``'s file, chains allowed): the base's data with ``doc``'s
    merged over it. Lines of values that come from a base keep that base's line and remember its file."""
    data = doc.data
    if not isinstance(data, dict) or "extends" not in data:
        return doc
    ref = data["extends"]
    here = Path(doc.source).parent if not doc.source.startswith("<") else Path(".")
    if not isinstance(ref, str) or not ref.strip():
        raise ScenarioError(doc.source, [Issue(("extends",), f"expected the path of a base scenario file, got "
                                               f"{ref!r}", doc.line_of(("extends",)))])
    path = here / ref
    if str(path.resolve()) in seen:
        raise ScenarioError(doc.source, [Issue(("extends",), f"{ref} extends itself, in a loop",
                                               doc.line_of(("extends",)))])
    try:
        base = extend(read_yaml(path), (*seen, str(path.resolve())))
    except ScenarioError as exc:
        if exc.issues and exc.issues[0].message in ("file not found",):
            raise ScenarioError(doc.source, [Issue(("extends",), f"base scenario {ref} not found (looked at "
                                                   f"{path})", doc.line_of(("extends",)))]) from None
        raise
    child = {k: v for k, v in data.items() if k != "extends"}
    base_data = rebase(base.data, path.parent, here) if isinstance(base.data, dict) else {}
    merged = merge(base_data, child)
    lines = {p: n for p, n in base.lines.items()}
    origins = {p: base.origins.get(p, base.source) for p in base.lines}
    for p, n in doc.lines.items():
        lines[p] = n
        origins.pop(p, None)
    return YamlDocument(doc.source, merged, lines, origins)
