"""Reading YAML while remembering where every value stood, so errors can name a line.

>>> doc = parse_yaml("zones:\\n  urban:\\n    speed_kmh: -5\\n", "example.yaml")
>>> doc.data["zones"]["urban"]["speed_kmh"]
-5
>>> doc.line_of(("zones", "urban", "speed_kmh"))
3
>>> doc.line_of(("zones", "urban", "missing", "deeper"))  # nearest known ancestor
2

Hostile or broken input is refused with a ScenarioError, never a traceback, hang or unbounded memory: only
regular files are read, at most MAX_BYTES of them, and the parse stops as soon as the document nests deeper than
MAX_DEPTH or grows past MAX_NODES (aliases counted as the values they repeat).

>>> parse_yaml("a: [1, 2]\\nb: 3\\na: .inf\\n", "x.yaml")
Traceback (most recent call last):
...
sim.errors.ScenarioError: x.yaml: 2 problems
  a: key written twice (first at line 1); expected each key once (line 3)
  a: expected a finite number, got .inf (line 3)
"""

from __future__ import annotations

import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Issue, ScenarioError

Path_ = tuple[str | int, ...]

MAX_BYTES = 2 * 1024 * 1024
"""Largest scenario file read (2 MiB; the default season is 13 kB). Anything larger is refused unread, so a huge
file cannot take minutes to parse and ``extends: /dev/zero`` cannot exhaust memory; long data (outage logs, roads,
GIS shapes) belongs in the files a scenario names."""

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists, aliases expanded (the default season nests 8 deep). Bounds the parser's
recursion, so deep input is an error, not a RecursionError."""

MAX_NODES = 100_000
"""Most values (YAML nodes: keys, scalars, lists, mappings) in a document, each alias counted as the whole value it
repeats (the default season has 738). Stops alias bombs ("billion laughs") and keeps a file near MAX_BYTES to a few
seconds."""

_BREAKS = "\0\r\n\x85\u2028\u2029"  # what ends a line for PyYAML ("\0" ends the text)
_CHECKED = {f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "timestamp")}
"""Scalar tags whose construction can fail on an explicit tag (``!!float abc``) or give a non-finite number."""


class _Refused(Exception):
    """Input the parser stops reading at once; parse_yaml turns it into a ScenarioError."""

    def __init__(self, issue: Issue):
        super().__init__(issue.message)
        self.issue = issue


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: the schema parses them and can say where a bad one is (PyYAML would
    raise a bare ValueError for 2026-13-45). It also accepts tabs where YAML does (between tokens, inside plain
    scalars and flow collections), names tab indentation, and stops composing at MAX_DEPTH / MAX_NODES or at an
    alias inside the value it names."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0  # mappings and lists open around the node being composed
        self._deepest = 0  # deepest level reached so far, aliases expanded
        self._total = 0  # nodes so far, aliases expanded
        self._open: set[str] = set()  # anchors of the collections being composed
        self._expansion: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, levels) of its value

    # -- tabs: PyYAML stops at any tab outside quotes and comments; YAML only forbids indenting with them.

    def scan_to_next_token(self) -> None:
        super().scan_to_next_token()
        while self.peek() == "\t":
            if not self.flow_level and self._indenting():
                raise _Refused(Issue((), "tab used for indentation; YAML indents with spaces", self.line + 1))
            while self.peek() in " \t":
                self.forward()
            super().scan_to_next_token()

    def _indenting(self) -> bool:
        """At a tab in a line's leading blanks, with content after them (a blank or comment line may hold tabs)."""
        start = self.pointer - self.column  # parse_yaml passes a str, so the whole text is in the buffer
        if start < 0 or self.buffer[start:self.pointer].strip(" \t"):
            return False
        length = 0
        while self.peek(length) in " \t":
            length += 1
        return self.peek(length) not in "#" + _BREAKS

    def scan_plain_spaces(self, indent: int, start_mark: yaml.Mark) -> list[str] | None:
        length = 0
        while self.peek(length) in " \t":
            length += 1
        blanks = self.prefix(length)
        if "\t" not in blanks:
            return super().scan_plain_spaces(indent, start_mark)
        self.forward(length)
        if self.peek() in _BREAKS[1:]:  # blanks at a line's end drop out when the scalar folds
            return super().scan_plain_spaces(indent, start_mark)
        return [blanks]  # "x\ty": the tab is part of the scalar, as for a space

    # -- limits, checked while composing so that an oversized document is not parsed to its end.

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            return self._compose_alias(event, parent, index)
        self._count(1, line)
        if not isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            node = super().compose_node(parent, index)
            if event.anchor is not None:
                self._expansion[event.anchor] = (1, 0)
            return node
        depth = self._depth + 1
        if depth > MAX_DEPTH:
            raise _Refused(Issue((), f"nested deeper than {MAX_DEPTH} levels of mappings and lists; expected a "
                                     "scenario a few levels deep", line))
        before, outer = self._total - 1, self._deepest
        self._depth = self._deepest = depth
        if event.anchor is not None:
            self._open.add(event.anchor)
        node = super().compose_node(parent, index)
        self._depth = depth - 1
        if event.anchor is not None:
            self._open.discard(event.anchor)
            self._expansion[event.anchor] = (self._total - before, self._deepest - depth + 1)
        self._deepest = max(outer, self._deepest)
        return node

    def _compose_alias(self, event: yaml.AliasEvent, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """An alias counts as a copy of its value: its nodes and its levels."""
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        assert event.anchor is not None  # an alias always names its anchor
        if event.anchor in self._open:  # the value would contain itself, without end
            raise _Refused(Issue((), f"alias *{event.anchor} is inside the value &{event.anchor} it repeats (a "
                                     "recursive alias); expected aliases only after their value ends", line))
        node = super().compose_node(parent, index)  # an undefined alias is a ComposerError
        size, levels = self._expansion[event.anchor]
        self._count(size, line, event.anchor)
        if self._depth + levels > MAX_DEPTH:
            raise _Refused(Issue((), f"alias *{event.anchor} nests the document deeper than {MAX_DEPTH} levels of "
                                     "mappings and lists; expected a scenario a few levels deep", line))
        self._deepest = max(self._deepest, self._depth + levels)
        return node

    def _count(self, nodes: int, line: int | None, alias: str | None = None) -> None:
        self._total += nodes
        if self._total <= MAX_NODES:
            return
        if alias is not None:
            raise _Refused(Issue((), f"alias *{alias} repeats {nodes:,} values, taking the document past "
                                     f"{MAX_NODES:,} (aliases that multiply, a \"billion laughs\"?); expected a "
                                     "scenario of a few thousand values", line))
        raise _Refused(Issue((), f"more than {MAX_NODES:,} values (keys, numbers, lists...); expected a scenario "
                                 "of a few thousand, with long data (outage logs, GIS shapes) in files it names",
                             line))


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


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _scalar_problem(node: yaml.ScalarNode, loader: _Loader) -> str | None:
    """What is wrong with a number, boolean or date scalar, if anything. Constructing it here is not wasted: the
    loader keeps it for construct_document."""
    if node.tag not in _CHECKED:
        return None
    try:
        value = loader.construct_object(node)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):  # e.g. !!float abc, !!bool maybe
        return f"expected a value of type !!{node.tag.rsplit(':', 1)[-1]}, got {node.value!r}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"expected a finite number, got {node.value}"
    return None


def _walk(root: yaml.Node, loader: _Loader) -> tuple[dict[Path_, int], list[Issue]]:
    """The line of every path, and the problems YAML itself lets through: keys written twice, non-finite numbers,
    unreadable tagged scalars. Iterative, so depth costs no recursion; aliases are walked as the values they
    repeat (the composer has bounded that)."""
    lines: dict[Path_, int] = {}
    issues: list[Issue] = []
    stack: list[tuple[yaml.Node, Path_]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        lines.setdefault(path, _line(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue  # a list or mapping as key: construct_document says it cannot be a key
                child = path + (key_node.value,)
                key, line = (key_node.tag, key_node.value), _line(key_node)
                if key in first and key_node.tag != "tag:yaml.org,2002:merge":  # several << merges are allowed
                    issues.append(Issue(child, f"key written twice (first at line {first[key]}); expected each "
                                               "key once", line))
                first.setdefault(key, line)
                problem = _scalar_problem(key_node, loader)
                if problem:
                    issues.append(Issue(child, problem, line))
                lines[child] = line
                stack.append((value_node, child))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[path + (i,)] = _line(item)
                stack.append((item, path + (i,)))
        elif isinstance(node, yaml.ScalarNode) and (problem := _scalar_problem(node, loader)):
            issues.append(Issue(path, problem, _line(node)))
    return lines, sorted(issues, key=lambda i: i.line or 0)


def _too_big(source: str, size: int | None, unit: str = "bytes") -> ScenarioError:
    """Refusal of a text over MAX_BYTES (``size`` None: unknown, it grew while being read)."""
    what = f"is {size:,} {unit}, more than" if size is not None else "is larger than"
    return ScenarioError(source, [Issue((), f"{what} the limit of {MAX_BYTES:,} ({MAX_BYTES / 2**20:g} MiB) for a "
                                            "scenario; expected a few kB, with long data (outage logs, GIS shapes) "
                                            "in the files it names", None)])


def _syntax_error(source: str, exc: yaml.YAMLError, text: str = "") -> ScenarioError:
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.character, int):  # a NUL, a control character
        line = text.count("\n", 0, exc.position) + 1 if text else None
        return ScenarioError(source, [Issue((), f"not valid YAML: the character {chr(exc.character)!r} (#x"
                                                f"{exc.character:04x}) is not allowed in YAML; expected printable "
                                                "text", line)])
    if not isinstance(exc, yaml.MarkedYAMLError):
        return ScenarioError(source, [Issue((), f"not valid YAML: {exc}", None)])
    mark = exc.problem_mark or exc.context_mark
    what = " ".join(p for p in (exc.context, exc.problem) if p)
    if "'\\t'" in what:
        what += " (YAML allows no tab there; use spaces)"
    return ScenarioError(source, [Issue((), f"not valid YAML: {what}", mark.line + 1 if mark else None)])


def parse_yaml(text: str, source: str) -> YamlDocument:
    """Parse ``text`` (named ``source`` in messages); raise ScenarioError on syntax errors and on input that is too
    big, too deep, repeats keys or holds non-finite numbers. The text is parsed once: composed into nodes (with the
    limits), checked, and only then constructed into Python data."""
    if len(text) > MAX_BYTES:
        raise _too_big(source, len(text), "characters")
    try:
        loader = _Loader(text)  # refuses a text with a non-printable character (a NUL, a control character)
    except yaml.YAMLError as exc:
        raise _syntax_error(source, exc, text) from None
    try:
        node = loader.get_single_node()
        lines, issues = _walk(node, loader) if node is not None else ({}, [])
        if issues:
            raise ScenarioError(source, issues)
        data = loader.construct_document(node) if node is not None else None
    except _Refused as exc:
        raise ScenarioError(source, [exc.issue]) from None
    except yaml.YAMLError as exc:
        raise _syntax_error(source, exc) from None
    except RecursionError:  # a backstop: MAX_DEPTH stops nesting long before Python's recursion limit
        raise ScenarioError(source, [Issue((), f"nested too deeply; expected at most {MAX_DEPTH} levels", None)]) \
            from None
    finally:
        loader.dispose()
    return YamlDocument(source, data, lines)


def _kind(mode: int) -> str:
    """What a non-regular file is, for a message."""
    for test, what in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return "not a regular file"


def _not_regular(source: str, mode: int) -> ScenarioError:
    what = _kind(mode)
    if what == "a folder":  # the message this module always gave
        return ScenarioError(source, [Issue((), "is a folder; expected a scenario YAML file", None)])
    return ScenarioError(source, [Issue((), f"is {what}, not a regular file; expected a scenario YAML file", None)])


def _nonblocking(path: str, flags: int) -> int:
    # Should the path turn into a FIFO between stat and open, opening it must not wait for a writer.
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _read_text(p: Path) -> str:
    """The text of regular file ``p``: anything else (a FIFO would block, /dev/zero never ends) is refused
    unopened, and a file over MAX_BYTES unread (at most MAX_BYTES + 1 bytes are read, should it grow)."""
    source = str(p)
    try:
        st = os.stat(p)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(source, st.st_mode)
        if st.st_size > MAX_BYTES:
            raise _too_big(source, st.st_size)
        with open(p, "rb", opener=_nonblocking) as f:
            mode = os.fstat(f.fileno()).st_mode
            if not stat.S_ISREG(mode):  # replaced since the stat
                raise _not_regular(source, mode)
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(source, [Issue((), "file not found", None)]) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise ScenarioError(source, [Issue((), f"cannot be read: {exc}", None)]) from None
    if len(raw) > MAX_BYTES:
        raise _too_big(source, None)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(source, [Issue((), f"cannot be read: {exc}", None)]) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")  # the newlines text mode gave before


def read_yaml(path: str | Path) -> YamlDocument:
    """Read and parse a YAML file; a missing, unreadable, irregular (FIFO, device, folder) or oversized file is a
    ScenarioError."""
    p = Path(path)
    return parse_yaml(_read_text(p), str(p))


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
    ("depots", "*", "location", "file"), ("depots", "*", "units", "*", "staging", "file"),
    ("reliability", "t_med", "days"))
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
    if not isinstance(ref, str) or not ref.strip() or "\0" in ref:  # a NUL byte cannot be in a path
        raise ScenarioError(doc.source, [Issue(("extends",), f"expected the path of a base scenario file, got "
                                               f"{ref!r}", doc.line_of(("extends",)))])
    path = here / ref
    if str(path.resolve()) in seen:
        raise ScenarioError(doc.source, [Issue(("extends",), f"{ref} extends itself, in a loop",
                                               doc.line_of(("extends",)))])
    try:
        text = _read_text(path)
    except ScenarioError as exc:  # missing, a FIFO or device, too big: said at this file's ``extends`` line
        problem = exc.issues[0].message
        what = f"not found (looked at {path})" if problem == "file not found" else problem
        raise ScenarioError(doc.source, [Issue(("extends",), f"base scenario {ref} {what}",
                                               doc.line_of(("extends",)))]) from None
    base = extend(parse_yaml(text, str(path)), (*seen, str(path.resolve())))
    child = {k: v for k, v in data.items() if k != "extends"}
    base_data = rebase(base.data, path.parent, here) if isinstance(base.data, dict) else {}
    merged = merge(base_data, child)
    lines = {p: n for p, n in base.lines.items()}
    origins = {p: base.origins.get(p, base.source) for p in base.lines}
    for p, n in doc.lines.items():
        lines[p] = n
        origins.pop(p, None)
    return YamlDocument(doc.source, merged, lines, origins)
