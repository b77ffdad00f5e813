"""Property tests (hypothesis, derandomized) of the promise made for bad input: whatever is wrong with a scenario,
an outage log or a GIS file, ``stormcrew`` answers with exit code 0 or 2, within a time bound, and on exit 2 with a
message that names the file; never a traceback, never a hang, never a results folder on exit 2.

Every test draws the same examples on every run (``derandomize=True``, no example database) from a small, fixed
budget, so the file runs in about a minute. Each example is guarded by a SIGALRM timer: an answer that takes
longer than the bound fails the example as a hang.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import json
import math
import re
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from sim.cli import main
from sim.scenario.loading import scenario_dict
from tests.conftest import DEFAULT_SCENARIO, ROOT

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="the time bound needs SIGALRM")

DATA = ROOT / "scenarios" / "data"
AREA = DATA / "generated_area.geojson"
REAL_LOG = DATA / "western-ma-outages-2013-2018.csv"

VALIDATE_SECONDS = 20.0
RUN_SECONDS = 30.0
FIT_SECONDS = 30.0


def _settings(n: int) -> settings:
    return settings(derandomize=True, database=None, max_examples=n, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.large_base_example,
                                           HealthCheck.filter_too_much])


# ---------------------------------------------------------------- running the command under a time bound


class _Hang(BaseException):
    """Raised by the SIGALRM timer inside the command; a BaseException so no ``except Exception`` swallows it."""


@contextlib.contextmanager
def _time_bound(seconds: float, what: str) -> Iterator[None]:
    """Fail (AssertionError) when the body takes longer than ``seconds``."""
    def ring(signum: int, frame: object) -> None:
        raise _Hang()

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Hang:
        raise AssertionError(f"no answer within {seconds:g} s (a hang?): {what}") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _cli(argv: list[str], seconds: float) -> tuple[int, str, str]:
    """``main(argv)`` with its stdout and stderr captured, under a time bound: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with _time_bound(seconds, " ".join(argv)), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _event(text: str) -> None:
    """Count an outcome (``pytest --hypothesis-show-statistics`` shows how many examples had each)."""
    if currently_in_test_context():
        event(text)


def _answered(code: int, err: str, path: Path, what: str) -> None:
    """The promise for one command: exit 0 or 2, no traceback, and on exit 2 a message that names ``path`` as the
    file with the problems (``PATH: 1 problem`` and the problems below it)."""
    assert "Traceback" not in err, f"{what}: traceback\n{err}"
    assert code in (0, 2), f"{what}: exit code {code}\n{err}"
    if code == 2:
        named = re.compile(rf"^{re.escape(str(path))}: \d+ problems?$", re.MULTILINE)
        assert named.search(err), f"{what}: the message does not name {path}\n{err}"


# ---------------------------------------------------------------- odd values and mutations of parsed data

HUGE_INT = 10 ** 400
ODD_VALUES: list[Any] = [
    None, -1, 0, 1, 0.5, -0.0, 1e308, -1e308, 5e-324, HUGE_INT, -HUGE_INT, 2 ** 63, 2 ** 64 + 1, True, False,
    "", " ", "abc", "-1", "0", "1e308", "1e400 h", "1e308 d", ".inf", "-.inf", ".nan", "nan", "NaN", "inf", "9" * 400,
    "x" * 100_000, "ünï©ødé ☃ \u202e ⚡", "\x00", "a\tb", "2026-13-45", "2026-06-01", "25:00", "07:30",
    "1 fortnight",
    "4 h", "~", "null", "yes", "{", "[", "*alias", "&anchor", "!!python/object:os.system", "../../../etc/passwd",
    "/dev/zero", [], {}, [None], [1, 2], [[1, 2], [3, 4]], [0, 0, 0, 0], [-1, -1, 1, 1], [1e308, 1e308],
    {"a": 1}, {"dist": "lognorm"}, {"dist": "lognorm", "s": 1e308, "scale": 1e308}, {"dist": "norm"},
    {"dist": "randint", "low": 0, "high": 10 ** 18}, {"dist": "constant", "value": 1e308},
    {"dist": "empirical", "values": []}, {"file": "missing.geojson"}, {"box": [0, 0, 0, 0]},
    {"polygon": [[0, 0], [1, 1], [1, 0], [0, 1]]}, {"": None}, {1: 2}, list(range(50)), [[[[[]]]]],
]
UNKNOWN_KEYS = ["colour", "extends_", "zones", "", "0", "__class__", "ünï", "<<", "x" * 300]


def _odd_value(data: st.DataObject) -> Any:
    return copy.deepcopy(data.draw(st.sampled_from(ODD_VALUES), label="odd value"))


def _paths(root: Any) -> list[tuple]:
    """Every path into a tree of dicts and lists, the root included, in document order (iterative: a mutant may
    nest deeply)."""
    out: list[tuple] = []
    todo: list[tuple[tuple, Any]] = [((), root)]
    while todo:
        here, node = todo.pop()
        out.append(here)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        todo.extend(reversed([((*here, k), v) for k, v in items]))
    return out


def _get(node: Any, path: tuple) -> Any:
    for p in path:
        node = node[p]
    return node


def _set(root: Any, path: tuple, value: Any) -> Any:
    """``root`` with the value at ``path`` replaced (the root itself when ``path`` is empty)."""
    if not path:
        return value
    _get(root, path[:-1])[path[-1]] = value
    return root


MUTATIONS = ["near", "replace", "near", "replace", "near", "replace", "delete", "add_key", "restructure", "wrap"]
SCALES = [0.0, -1.0, 1e-9, 1e-3, 0.5, 2.0, 10.0, 1e3, 1e6, 1e9, 1e12]


def _near_value(data: st.DataObject, node: Any) -> Any:
    """A value like ``node`` but changed: a number scaled (by 0, -1, tiny or huge factors), a text edited, a list
    shortened, reordered or with an item repeated, a mapping without one of its keys. These mutants are often still
    valid, so they reach the run."""
    if isinstance(node, bool):
        return not node
    if isinstance(node, (int, float)):
        factor = data.draw(st.sampled_from(SCALES), label="scale")
        value = node * factor if node else factor
        return int(value) if isinstance(node, int) and abs(value) < 1e18 else value
    if isinstance(node, str):
        return data.draw(st.sampled_from([node + " ", node.upper(), node[:-1], node + "x", node * 2, f"{node} h",
                                          f"{node} d"]), label="text")
    if isinstance(node, list) and node:
        return data.draw(st.sampled_from([[node[0], *node], node[1:], node[::-1], node[:1]]), label="list")
    if isinstance(node, dict) and node:
        key = data.draw(st.sampled_from(list(node)), label="key dropped")
        return {k: v for k, v in node.items() if k != key}
    return _odd_value(data)


def mutate_data(data: st.DataObject, doc: Any, what: str = "scenario", focus: tuple = ()) -> tuple[Any, str]:
    """A copy of parsed ``doc`` with one or a few mutations at random paths (mostly under ``focus`` when given), and
    a description of them."""
    doc = copy.deepcopy(doc)
    told = []
    for _ in range(data.draw(st.sampled_from([1, 1, 1, 1, 2, 3]), label=f"{what} mutations")):
        paths = _paths(doc)
        inside = [p for p in paths if p[:len(focus)] == focus] if focus else []
        if inside and data.draw(st.integers(0, 3), label="under focus") < 3:
            paths = inside
        paths.sort(key=lambda p: (isinstance(_get(doc, p), (dict, list)), -len(p)))  # values first, the root last
        path = data.draw(st.sampled_from(paths), label="path")
        kind = data.draw(st.sampled_from(MUTATIONS), label="mutation")
        node = _get(doc, path)
        if kind in ("replace", "near"):
            value = _odd_value(data) if kind == "replace" else _near_value(data, node)
            doc = _set(doc, path, value)
            told.append(f"{path} = {_short(value)}")
        elif kind == "delete" and path:
            parent = _get(doc, path[:-1])
            del parent[path[-1]]
            told.append(f"del {path}")
        elif kind == "add_key" and isinstance(node, dict):
            key = data.draw(st.sampled_from(UNKNOWN_KEYS), label="key")
            node[key] = _odd_value(data)
            told.append(f"{path}[{key!r}] added")
        elif kind == "restructure" and isinstance(node, dict):
            doc = _set(doc, path, data.draw(st.sampled_from([list(node), list(node.values()),
                                                            [[k, v] for k, v in node.items()]]), label="as list"))
            told.append(f"{path}: mapping -> list")
        elif kind == "restructure" and isinstance(node, list):
            doc = _set(doc, path, {i: v for i, v in enumerate(node)})
            told.append(f"{path}: list -> mapping")
        else:  # wrap (or a mutation that does not apply here): the value inside a list
            doc = _set(doc, path, [node])
            told.append(f"{path} wrapped in a list")
    return doc, "; ".join(told)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 80 else text[:60] + f"... ({len(text)} chars)"


# ---------------------------------------------------------------- text-level mutations

TAGS = ["!!python/object:os.system", "!!python/object/apply:os.system [echo hi]", "!!python/name:os.system",
        "!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]", "!!timestamp 2026-01-01", "!!float abc", "!!int 0x1F",
        "!!int 1_000", "!!str 5", "!!bool maybe", "!!null ''", "!custom x", "!!map {a: 1}", "!!seq [1]",
        "!!float 1e400", "!!timestamp 2026-99-99", "!<tag:yaml.org,2002:int> 12", "!!merge <<"]
JUNK = [":", "{", "}", "[", "]", "&", "*", "!", "|", ">", "'", '"', "%", "@", "`", "#", ",", "- ", "? ", "\n", "\t",
        "\0", "\x85", "\u2028", "\ufeff", "\\", "---", "...", "<<: ", ": :", "&a *a", "{a: *a}"]


def _lines_with_value(text: str) -> list[int]:
    """Indices of lines ``key: value`` with a plain value on the same line (not a comment)."""
    out = []
    for i, line in enumerate(text.split("\n")):
        body = line.split(" #")[0].rstrip()
        key, sep, value = body.partition(": ")
        if sep and key.strip() and not key.strip().startswith(("#", "-")) and value.strip():
            out.append(i)
    return out


TEXT_MUTATIONS = ["duplicate_line", "duplicate_key", "anchor_alias", "merge_key", "tag", "multi_document", "tabs",
                  "bom", "crlf", "cr", "invalid_utf8", "truncate", "junk", "nul", "indent", "delete_line",
                  "swap_lines", "document_markers", "directive", "latin1"]


def mutate_text(data: st.DataObject, text: str) -> tuple[bytes, str]:
    """The bytes of ``text`` with one or two text-level mutations, and a description of them."""
    raw = text.encode("utf-8")
    told = []
    for _ in range(data.draw(st.integers(1, 2), label="text mutations")):
        kind = data.draw(st.sampled_from(TEXT_MUTATIONS), label="text mutation")
        lines = raw.split(b"\n")
        valued = _lines_with_value(raw.decode("utf-8", "replace"))
        at = data.draw(st.integers(0, max(len(lines) - 1, 0)), label="line")
        if kind == "duplicate_line":
            lines.insert(at, lines[at])
        elif kind == "duplicate_key" and valued:
            i = data.draw(st.sampled_from(valued), label="key line")
            key = lines[i].split(b":")[0]
            lines.insert(i + 1, key + b": " + repr(_odd_value(data)).encode("utf-8", "replace")[:200])
        elif kind in ("anchor_alias", "merge_key") and len(valued) >= 2:
            i, j = sorted(data.draw(st.lists(st.sampled_from(valued), min_size=2, max_size=2, unique=True),
                                    label="anchor and alias lines"))
            key, _, value = lines[i].partition(b": ")
            lines[i] = key + b": &a " + value
            key2 = lines[j].split(b":")[0]
            if kind == "anchor_alias":
                lines[j] = key2 + b": *a"
            else:
                lines[j] = key2 + b": {<<: *a}"
        elif kind == "tag" and valued:
            i = data.draw(st.sampled_from(valued), label="tagged line")
            key = lines[i].split(b":")[0]
            lines[i] = key + b": " + data.draw(st.sampled_from(TAGS), label="tag").encode()
        elif kind == "multi_document":
            tail = data.draw(st.sampled_from([b"---\nname: second\n", b"---\n", b"--- []\n", b"...\n---\n{}\n"]),
                             label="second document")
            lines.append(tail)
        elif kind == "tabs":
            line = lines[at]
            stripped = line.lstrip(b" ")
            lines[at] = data.draw(st.sampled_from([b"\t", b" \t", b"\t "]), label="tab") + stripped \
                if len(stripped) < len(line) else line.replace(b": ", b":\t", 1)
        elif kind == "bom":
            raw = b"\xef\xbb\xbf" + raw
            told.append(kind)
            continue
        elif kind == "crlf":
            raw = raw.replace(b"\n", b"\r\n")
            told.append(kind)
            continue
        elif kind == "cr":
            raw = raw.replace(b"\n", b"\r")
            told.append(kind)
            continue
        elif kind == "invalid_utf8":
            pos = data.draw(st.integers(0, len(raw)), label="byte offset")
            junk = data.draw(st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80"]),
                             label="bytes")
            raw = raw[:pos] + junk + raw[pos:]
            told.append(f"{kind} {junk!r} at byte {pos}")
            continue
        elif kind == "latin1":
            raw = raw.decode("utf-8", "replace").encode("latin-1", "replace") + "\n# café\n".encode("latin-1")
            told.append(kind)
            continue
        elif kind == "truncate":
            pos = data.draw(st.integers(0, len(raw)), label="byte offset")
            raw = raw[:pos]
            told.append(f"truncated at byte {pos}")
            continue
        elif kind == "junk":
            pos = data.draw(st.integers(0, len(raw)), label="byte offset")
            junk = data.draw(st.sampled_from(JUNK), label="junk").encode()
            raw = raw[:pos] + junk + raw[pos:]
            told.append(f"junk {junk!r} at byte {pos}")
            continue
        elif kind == "nul":
            pos = data.draw(st.integers(0, len(raw)), label="byte offset")
            raw = raw[:pos] + b"\0" + raw[pos:]
            told.append(f"NUL at byte {pos}")
            continue
        elif kind == "indent":
            lines[at] = data.draw(st.sampled_from([b" ", b"  ", b"   "]), label="indent") + lines[at]
        elif kind == "delete_line":
            del lines[at]
        elif kind == "swap_lines" and len(lines) > 1:
            other = data.draw(st.integers(0, len(lines) - 1), label="other line")
            lines[at], lines[other] = lines[other], lines[at]
        elif kind == "document_markers":
            lines.insert(at, data.draw(st.sampled_from([b"---", b"...", b"--- |", b"--- !!map"]), label="marker"))
        elif kind == "directive":
            lines.insert(0, data.draw(st.sampled_from([b"%YAML 1.1\n---", b"%YAML 9.9\n---", b"%TAG ! tag:x,2000:\n---",
                                                       b"%FOO bar\n---", b"%YAML 1.1"]), label="directive"))
        told.append(f"{kind} at line {at + 1}")
        raw = b"\n".join(lines)
    return raw, "; ".join(told)


# ---------------------------------------------------------------- the scenarios mutated

SMALL = """\
name: small_fuzz
description: a small, fast scenario for property tests
start: 2026-07-01
horizon: 2 d
replications: 2
seed: 7
zones:
  urban:
    speed_kmh: 30
    area: {box: [0, 0, 10, 10]}
    customers: 5000
  rural:
    limits: {arrive: 60 min, restore: 6 h}
    speed_kmh: 60
    area: {polygon: [[10, 0], [40, 0], [40, 30], [10, 30]]}
fault_types:
  cable_fault:
    skills: [cable]
    repair: {dist: lognorm, s: 0.6, scale: 120}
    customers: {dist: lognorm, s: 1.0, scale: 40}
    critical: 0.05
    van: {work: {dist: expon, scale: 20}, fixes: 0.3, restores: true}
  tree_contact:
    skills: [overhead_line]
    repair: {dist: gamma, a: 2, scale: 40}
    customers: 25
arrivals:
  hour_of_day: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
  month: {7: 1.2}
  per_day:
    urban: {cable_fault: 4, tree_contact: 1}
    rural: {cable_fault: 2, tree_contact: {per_day: 2}}
  day_to_day: 0.2
  prevention: {tree_contact: 0.8}
  heat_waves:
    per_week: 1
    duration: {dist: lognorm, s: 0.4, scale: 600}
    multiplier: {cable_fault: 1.5}
  storms:
    per_week: 2
    duration: {dist: lognorm, s: 0.5, scale: 240}
    intensity: {dist: lognorm, s: 0.9, scale: 3}
    mix: {tree_contact: 0.7, cable_fault: 0.3}
    zones: {urban: 1, rural: 2}
    radius_km: 5
    repair_factor: 1.2
    slowdown: 0.8
    calendar:
      - {start: "2026-07-01 12:00", duration: 3 h, faults_per_hour: 4, zones: [rural]}
depots:
  central:
    zone: urban
    location: [5, 5]
    units:
      - {name: cable, skills: [cable], count: 2, cost_per_hour: 100}
      - name: overhead
        skills: [overhead_line]
        roster:
          - {name: day, start: "07:00", end: "19:00", count: 2}
          - {name: night, start: "19:00", end: "07:00", count: 1, on_call: true, callout: 30 min}
        max_hours: 10 h
      - {name: van, kind: van, count: 1, staging: [[3, 3], [20, 10]]}
  outpost:
    zone: rural
    location: [25, 15]
    serves: [rural]
    units:
      - {name: team, kind: team, skills: [cable, overhead_line], count: 1, size: 3, work_speed: 1.2}
travel: {model: straight_line, circuity: 1.3, variability: {dist: lognorm, s: 0.2, scale: 1}}
dispatch: {rule: nearest, order: score, weights: {customers: 1, critical: 50, waiting_h: 5}, escalate_after: 8 h}
mutual_aid: {backlog: 6, crews: 2, skills: [cable, overhead_line], zone: rural, staging: [25, 15], delay: 2 h}
reliability: {feeder_km: 2}
expect:
  replications: 2
  checks: [urban.arrive >= 0.1, all.restore <= 1.0 (mean)]
variants:
  more_cable:
    depots:
      central:
        units:
          - {name: cable, skills: [cable], count: 3}
          - {name: overhead, skills: [overhead_line], count: 2}
"""


@pytest.fixture(scope="module", autouse=True)
def _own_road_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Mutated zones and depots change the prepared road network: keep those entries out of the user's cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("STORMCREW_CACHE", str(tmp_path_factory.mktemp("road-cache")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def season() -> dict[str, Any]:
    """The default season with its file paths made absolute, so a mutant loads from any folder."""
    return scenario_dict(DEFAULT_SCENARIO, relative_to=None)


@pytest.fixture(scope="module")
def small() -> dict[str, Any]:
    return yaml.safe_load(SMALL)


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)


@contextlib.contextmanager
def _folder(parent: Path) -> Iterator[Path]:
    where = Path(tempfile.mkdtemp(dir=parent))
    try:
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


def _validate(path: Path, what: str) -> int:
    code, out, err = _cli(["validate", str(path)], VALIDATE_SECONDS)
    _event(f"validate: exit {code}")
    _answered(code, err, path, what)
    if code == 0:
        assert f"{path}: ok" in out, f"{what}: exit 0 without 'ok'\n{out}\n{err}"
    return code


def _run_one(path: Path, folder: Path, what: str) -> int:
    """``run -n 1`` of a mutant; on exit 2 no results folder and nothing else left beside where it would be."""
    runs = folder / "runs"
    runs.mkdir()
    out = runs / "out"
    code, _, err = _cli(["run", str(path), "-n", "1", "-j", "1", "--out", str(out)], RUN_SECONDS)
    _event(f"run: exit {code}")
    _answered(code, err, path, what)
    if code == 2:
        assert not out.exists(), f"{what}: a results folder on exit 2\n{err}"
        assert not list(runs.iterdir()), f"{what}: left {sorted(p.name for p in runs.iterdir())} on exit 2"
    else:
        assert (out / "summary.json").is_file(), what
    return code


@_settings(100)
@given(data=st.data())
def test_small_scenario_mutants_validate_and_run_or_are_refused(data: st.DataObject, small: dict[str, Any],
                                                                 tmp_path: Path) -> None:
    """Value-level mutations of a small inline scenario (a value replaced by one of another type or an odd one, a
    key deleted or added, a mapping turned into a list, a value wrapped in a list), dumped with yaml.safe_dump:
    ``validate`` exits 0 or 2 within the bound, without a traceback, naming the file on 2; a valid mutant also
    runs (``run -n 1``, 2 days, about 0.5 s) with exit 0 or 2, leaving no results folder on 2."""
    doc, what = mutate_data(data, small)
    with _folder(tmp_path) as folder:
        path = folder / "mutant.yaml"
        try:
            path.write_text(_dump(doc), encoding="utf-8")
        except (yaml.YAMLError, ValueError, OverflowError):  # not representable in YAML: nothing to test
            return
        if _validate(path, what) == 0:
            _run_one(path, folder, what)


@_settings(60)
@given(data=st.data())
def test_small_scenario_text_mutants_are_answered(data: st.DataObject, tmp_path: Path) -> None:
    """Text-level mutations of the small scenario (a key written twice, anchors and aliases, merge keys, tags such
    as !!python/object and !!binary, several documents, tabs, a BOM, CRLF or CR line ends, invalid UTF-8, NUL,
    truncation, junk characters, directives): ``validate`` exits 0 or 2 within the bound, without a traceback,
    naming the file on 2; some mutants that validate are run too."""
    raw, what = mutate_text(data, SMALL)
    with _folder(tmp_path) as folder:
        path = folder / "mutant.yaml"
        path.write_bytes(raw)
        if _validate(path, what) == 0 and data.draw(st.integers(0, 3), label="run it") == 0:
            _run_one(path, folder, what)


def _write_mutant(path: Path, doc: Any) -> Path | None:
    """Write a mutated scenario as YAML; None when the mutant cannot be written as YAML at all (nothing to test)."""
    try:
        path.write_text(_dump(doc), encoding="utf-8")
    except (yaml.YAMLError, ValueError, OverflowError):
        return None
    return path


@_settings(60)
@given(data=st.data())
def test_storm_season_mutants_are_answered(data: st.DataObject, season: dict[str, Any], tmp_path: Path) -> None:
    """Value-level mutations of the shipped storm season (road network, GIS zones and depots, variants, expect),
    with its file paths made absolute: ``validate`` exits 0 or 2 within the bound, without a traceback, naming the
    file on 2. (Not run: a default season takes seconds per replication.)"""
    doc, what = mutate_data(data, season)
    with _folder(tmp_path) as folder:
        path = _write_mutant(folder / "season.yaml", doc)
        if path is not None:
            _validate(path, what)


REPLAY = ROOT / "scenarios" / "replay_october_2017.yaml"


@pytest.fixture(scope="module")
def replay() -> dict[str, Any]:
    """The shipped replay of October 2017 with its file paths made absolute."""
    return scenario_dict(REPLAY, relative_to=None)


@_settings(50)
@given(data=st.data())
def test_replay_mutants_are_answered(data: st.DataObject, replay: dict[str, Any], tmp_path: Path) -> None:
    """Value-level mutations of the shipped replay scenario, mostly of its ``arrivals.replay`` section (the log's
    path, its column map, origin, causes, mix, repair): ``validate`` exits 0 or 2 within the bound, without a
    traceback, naming the file on 2; a quarter of the valid mutants also run (``run -n 1``, 6 days of the real log,
    about 0.5 s each), with exit 0 or 2 and no results folder on 2."""
    doc, what = mutate_data(data, replay, focus=("arrivals", "replay"))
    with _folder(tmp_path) as folder:
        path = _write_mutant(folder / "replay.yaml", doc)
        if path is not None and _validate(path, what) == 0 and data.draw(st.integers(0, 3), label="run it") == 0:
            _run_one(path, folder, what)


@_settings(50)
@given(data=st.data())
def test_storm_season_text_mutants_are_answered(data: st.DataObject, tmp_path: Path) -> None:
    """Text-level mutations of the shipped storm season file itself (comments, flow mappings and all), written
    beside a link to its data folder so its relative paths still resolve: ``validate`` exits 0 or 2 within the
    bound, without a traceback, naming the file on 2."""
    raw, what = mutate_text(data, DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    with _folder(tmp_path) as folder:
        (folder / "data").symlink_to(DATA, target_is_directory=True)
        path = folder / "storm_season.yaml"
        path.write_bytes(raw)
        _validate(path, what)


# ---------------------------------------------------------------- damaged outage logs

LOG_LINES = REAL_LOG.read_text(encoding="utf-8").splitlines()[:201]  # header + 200 rows
CELLS = ["", " ", "NaN", "nan", "inf", "-inf", "1e308", "-1e308", "1e999", "9" * 40, "-1", "0", "abc", "null",
         "2017-02-30 01:00", "30/10/2017 02:00", "10/30/2017", "03/04/2017", "2017-10-30T02:00:00-04:00",
         "2017-10-30 02:00Z", "2017-10-30 02:00+25:00", "2017-10-30", "1509328800", "0000-00-00", "9999-12-31 23:59",
         "1677-09-21", "2262-04-12", "\"quoted, with comma\"", "\"unclosed", "é", "\x00", "\x7f", "=1+1",
         "-72.6", "42.3", "180.0000001", "-90.5"]
LOG_MUTATIONS = ["drop_column", "swap_columns", "rename_header", "separator", "junk_line", "cell", "cells", "dates",
                 "offsets", "empty_fields", "extra_field", "missing_field", "bom", "binary", "truncate", "crlf",
                 "header_only", "empty", "duplicate_header", "blank_lines", "quote", "latin1", "nul"]


def mutate_log(data: st.DataObject) -> tuple[bytes, str]:
    """The first 200 rows of the real log with one to three mutations, and a description of them."""
    rows = [line.split(",") for line in LOG_LINES]
    told = []
    tail: list[bytes] = []
    head: bytes = b""
    sep, end, cut = ",", "\n", None
    for _ in range(data.draw(st.integers(1, 3), label="log mutations")):
        kind = data.draw(st.sampled_from(LOG_MUTATIONS), label="log mutation")
        width = len(rows[0]) if rows else 0
        col = data.draw(st.integers(0, max(width - 1, 0)), label="column")
        row = data.draw(st.integers(1, max(len(rows) - 1, 1)), label="row")
        has_row = 1 <= row < len(rows)
        if kind == "drop_column" and width:
            rows = [r[:col] + r[col + 1:] for r in rows]
        elif kind == "swap_columns" and width > 1:
            other = data.draw(st.integers(0, width - 1), label="other column")
            for r in rows:
                if len(r) == width:
                    r[col], r[other] = r[other], r[col]
            if data.draw(st.booleans(), label="swap the header back"):
                rows[0][col], rows[0][other] = rows[0][other], rows[0][col]
        elif kind == "rename_header" and width:
            rows[0][col] = data.draw(st.sampled_from(["", "Time_Out", "time out", "time_out", " duration_h",
                                                      "latitude", "\ufefftime_out"]), label="name")
        elif kind == "separator":
            sep = data.draw(st.sampled_from([";", "\t", "|", " ", ", "]), label="separator")
        elif kind == "junk_line" and has_row:
            junk = data.draw(st.sampled_from(["garbage", ",,,,,", ",,,,,,,,,,", "#comment", "\"", "a,b,c,d,e",
                                              "time_out,duration_h,longitude,latitude,town"]), label="junk")
            rows.insert(row, junk.split(","))
        elif kind in ("cell", "cells") and rows:
            for _ in range(1 if kind == "cell" else data.draw(st.integers(2, 60), label="cells")):
                r = data.draw(st.integers(1, max(len(rows) - 1, 1)), label="row")
                if r < len(rows) and rows[r]:
                    c = data.draw(st.integers(0, len(rows[r]) - 1), label="column")
                    rows[r][c] = data.draw(st.sampled_from(CELLS), label="cell")
        elif kind in ("dates", "offsets") and width and "time_out" in rows[0]:
            t = rows[0].index("time_out")
            fmt = data.draw(st.sampled_from(["%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y", "%Y%m%d",
                                             "%Y-%m-%dT%H:%M", "%d.%m.%Y %H:%M"]), label="format")
            share = data.draw(st.sampled_from([0.005, 0.05, 0.5, 1.0]), label="share")
            for i, r in enumerate(rows[1:], start=1):
                if len(r) > t and (i * share) % 1 < share:
                    try:
                        when = dt.datetime.fromisoformat(r[t])
                    except ValueError:
                        continue
                    r[t] = when.strftime(fmt) if kind == "dates" else \
                        r[t] + data.draw(st.sampled_from(["-04:00", "-05:00", "Z", "+01:00", "+99:00", "-0500"]),
                                         label="offset")
        elif kind == "empty_fields":
            for r in rows[1:]:
                if len(r) > col:
                    r[col] = ""
        elif kind == "extra_field" and has_row:
            rows[row] = rows[row] + ["extra", "fields"]
        elif kind == "missing_field" and has_row:
            rows[row] = rows[row][:max(len(rows[row]) - 2, 0)]
        elif kind == "bom":
            head = b"\xef\xbb\xbf"
        elif kind == "binary":
            tail.append(bytes(data.draw(st.lists(st.integers(0, 255), min_size=1, max_size=40), label="bytes")))
        elif kind == "truncate":
            cut = data.draw(st.integers(0, 12_000), label="byte offset")
        elif kind == "crlf":
            end = data.draw(st.sampled_from(["\r\n", "\r"]), label="line end")
        elif kind == "header_only":
            rows = rows[:1]
        elif kind == "empty":
            rows = []
        elif kind == "duplicate_header" and has_row:
            rows.insert(row, list(rows[0]))
        elif kind == "blank_lines" and has_row:
            rows.insert(row, [""])
        elif kind == "quote" and has_row and rows[row]:
            rows[row][0] = '"' + rows[row][0]
        elif kind == "latin1":
            tail.append("Montréal,Québec\n".encode("latin-1"))
        elif kind == "nul" and has_row and rows[row]:
            rows[row][0] = rows[row][0] + "\0"
        told.append(f"{kind} (column {col}, row {row})")
    raw = head + end.join(sep.join(r) for r in rows).encode("utf-8") + (end.encode() if rows else b"")
    for t in tail:
        pos = data.draw(st.integers(0, len(raw)), label="byte offset")
        raw = raw[:pos] + t + raw[pos:]
    if cut is not None:
        raw = raw[:cut]
    return raw, "; ".join(told)


FITS_ALLOWED = 12  # successful fits per run of the test (each about 0.3 s): the rest stop once the log is read


class _Enough(Exception):
    """Ends ``fit`` after the log is read, once FITS_ALLOWED fits have run."""


@pytest.fixture
def limited_fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Let the first FITS_ALLOWED fits of the test run; after them, ``fit`` ends with exit 0 once the log is read
    (and its report printed): reading the log is what is fuzzed, and a fit takes a while. Returns the list of the
    fits run."""
    import sim.analysis.fit
    import sim.cli

    # (sim.cli imports fit_log from sim.analysis.fit when ``fit`` runs: patched there, it is the one called)
    real_fit_log, real_fit = sim.analysis.fit.fit_log, sim.cli._fit
    ran: list[int] = []

    def counted(log: Any) -> Any:
        if len(ran) >= FITS_ALLOWED:
            raise _Enough
        ran.append(1)
        return real_fit_log(log)

    def fit_command(args: Any) -> int:
        try:
            return real_fit(args)
        except _Enough:
            return 0

    monkeypatch.setattr(sim.analysis.fit, "fit_log", counted)
    monkeypatch.setitem(sim.cli.COMMANDS, "fit", fit_command)
    return ran


def test_a_log_of_a_few_days_fits_or_is_refused(tmp_path: Path) -> None:
    """A log whose rows span fewer than 7 days (here the real log's first 5 rows, 3 days; fuzzing found it by
    truncating the log): ``fit`` exits 0 or 2, without a traceback."""
    path = tmp_path / "short.csv"
    path.write_text("\n".join(LOG_LINES[:6]) + "\n", encoding="utf-8")
    code, _, err = _cli(["fit", str(path), "--out", str(tmp_path / "f.fit.yaml"), "--seasons", "2"], FIT_SECONDS)
    _answered(code, err, path, "a log of 3 days")


def test_a_log_of_absurdly_spread_durations_is_refused_naming_the_log(tmp_path: Path) -> None:
    """A log whose durations alternate between 0.01 h and 99,999 h (each within the reader's bounds): ``fit`` exits
    0 or 2 without a traceback and, on 2, names the log."""
    rows = [line.split(",") for line in LOG_LINES]
    col = rows[0].index("duration_h")
    for i, row in enumerate(rows[1:], start=1):
        row[col] = "0.01" if i % 2 else "99999"
    path = tmp_path / "spread.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    code, _, err = _cli(["fit", str(path), "--out", str(tmp_path / "f.fit.yaml"), "--seasons", "2"], FIT_SECONDS)
    _answered(code, err, path, "durations of 0.01 h and 99,999 h")


@_settings(80)
@given(data=st.data())
def test_damaged_logs_are_fitted_or_refused(data: st.DataObject, tmp_path: Path, limited_fits: list[int]) -> None:
    """The first 200 rows of the real outage log, damaged (columns dropped or swapped, other separators, junk
    lines, odd cells, mixed date formats, UTC offsets, empty fields, a BOM, binary bytes, a truncated last line):
    ``fit`` exits 0 or 2 within the bound, without a traceback, naming the log on 2, and writes no fragment on 2.
    Beyond a few successful fits, the fit itself is skipped once the log has been read (reading is what is
    fuzzed)."""
    raw, what = mutate_log(data)
    with _folder(tmp_path) as folder:
        path = folder / "log.csv"
        path.write_bytes(raw)
        out = folder / "f.fit.yaml"
        before = len(limited_fits)
        code, _, err = _cli(["fit", str(path), "--out", str(out), "--seasons", "2"], FIT_SECONDS)
        _event(f"fit: exit {code}" + (", fitted" if len(limited_fits) > before else ""))
        _answered(code, err, path, what)
        if code == 2:
            assert not out.exists(), f"{what}: a fragment on exit 2"
        elif len(limited_fits) > before:
            assert out.is_file(), f"{what}: exit 0 without a fragment"


# ---------------------------------------------------------------- damaged GIS files


def _gis_features() -> dict[str, Any]:
    """The zones, depots and staging points of the generated area (its roads left out): a small GIS file."""
    whole = json.loads(AREA.read_text(encoding="utf-8"))
    keep = [f for f in whole["features"] if f["geometry"]["type"] != "LineString"]
    return {"type": "FeatureCollection", "features": keep}


GIS = _gis_features()
JSON_ODD: list[Any] = [None, -1, 0, 1e308, -1e308, math.nan, math.inf, -math.inf, HUGE_INT, "", "abc", "urban",
                       "city", [], {}, [None], [math.nan, math.nan], [1e308, -1e308], [0], [0, 0, 0], [[0, 0]],
                       [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]], [[[0, 0], [1, 1]]], [[[]]], [-72.6, 42.3],
                       {"type": "Point"}, {"type": "Polygon", "coordinates": None}, True, "x" * 10_000,
                       {"zone": "urban"}, {"depot": "city"}, {"staging": "city"}, "Point", "Polygon", "MultiPolygon",
                       "FeatureCollection", "LineString"]
GEOMETRY_MUTATIONS = ["bowtie", "nan_coordinate", "inf_coordinate", "two_corners", "empty_ring", "degrees",
                      "string_coordinates", "deep_coordinates", "multipolygon", "hole_outside", "duplicate_point",
                      "no_properties", "no_geometry", "wrong_type"]


def mutate_gis(data: st.DataObject) -> tuple[bytes, str]:
    """The small GIS file with one to three mutations (structure, geometry or text), and a description."""
    doc = copy.deepcopy(GIS)
    told = []
    text_kind = None
    for _ in range(data.draw(st.integers(1, 3), label="gis mutations")):
        family = data.draw(st.sampled_from(["value", "value", "geometry", "geometry", "text"]), label="family")
        if family == "value":
            path = data.draw(st.sampled_from(_paths(doc)), label="path")
            node = _get(doc, path)
            kind = data.draw(st.sampled_from(["replace", "replace", "delete", "add_key"]), label="mutation")
            if kind == "delete" and path:
                del _get(doc, path[:-1])[path[-1]]
                told.append(f"del {path}")
            elif kind == "add_key" and isinstance(node, dict):
                node[data.draw(st.sampled_from(["zone", "depot", "staging", "type", "crs", "bbox"]), label="key")] = \
                    copy.deepcopy(data.draw(st.sampled_from(JSON_ODD), label="value"))
                told.append(f"{path}: key added")
            else:
                value = copy.deepcopy(data.draw(st.sampled_from(JSON_ODD), label="value"))
                doc = _set(doc, path, value)
                told.append(f"{path} = {_short(value)}")
        elif family == "geometry":
            have = doc.get("features") if isinstance(doc, dict) else None
            feats = [f for f in have if isinstance(f, dict)] if isinstance(have, list) else []
            if not feats:
                continue
            f = data.draw(st.sampled_from(feats), label="feature")
            kind = data.draw(st.sampled_from(GEOMETRY_MUTATIONS), label="geometry mutation")
            geom = f.get("geometry") if isinstance(f.get("geometry"), dict) else {}
            is_poly = geom.get("type") == "Polygon"
            if kind == "bowtie" and is_poly:
                geom["coordinates"] = [[[0, 0], [15000, 15000], [15000, 0], [0, 15000], [0, 0]]]
            elif kind in ("nan_coordinate", "inf_coordinate"):
                bad = math.nan if kind == "nan_coordinate" else data.draw(st.sampled_from([math.inf, -math.inf]))
                rings = geom.get("coordinates")
                if is_poly and isinstance(rings, list) and rings and isinstance(rings[0], list) and rings[0]:
                    rings[0][0] = [bad, 0.0]
                else:
                    geom["coordinates"] = [bad, bad]
            elif kind == "two_corners" and is_poly:
                geom["coordinates"] = [[[0, 0], [1000, 1000], [0, 0]]]
            elif kind == "empty_ring" and is_poly:
                geom["coordinates"] = [[]]
            elif kind == "degrees":
                geom["coordinates"] = [[[-72.6, 42.3], [-72.5, 42.3], [-72.5, 42.4], [-72.6, 42.3]]] \
                    if is_poly else [-72.6, 42.3]
            elif kind == "string_coordinates":
                geom["coordinates"] = "0,0 1,1"
            elif kind == "deep_coordinates":
                c: Any = [0, 0]
                for _ in range(data.draw(st.integers(3, 800), label="depth")):  # (json.dumps recurses)
                    c = [c]
                geom["coordinates"] = c
            elif kind == "multipolygon" and is_poly:
                geom["type"] = "MultiPolygon"
                rings = geom.get("coordinates")
                geom["coordinates"] = data.draw(st.sampled_from([[rings], rings, [], [[]], [None], [rings, "x"]]),
                                                label="parts")
            elif kind == "hole_outside" and is_poly and isinstance(geom.get("coordinates"), list):
                geom["coordinates"] = [*geom["coordinates"], [[1e6, 1e6], [1e6 + 10, 1e6], [1e6, 1e6 + 10]]]
            elif kind == "duplicate_point" and not is_poly:
                doc["features"].append(copy.deepcopy(f))
            elif kind == "no_properties":
                f.pop("properties", None)
            elif kind == "no_geometry":
                f["geometry"] = None
            elif kind == "wrong_type":
                geom["type"] = data.draw(st.sampled_from(["LineString", "Pointt", None, 5, "MultiPoint",
                                                          "GeometryCollection"]), label="type")
            told.append(f"{kind} in {json.dumps(f.get('properties'))[:60]}")
        else:
            text_kind = data.draw(st.sampled_from(["truncate", "junk", "bom", "binary", "not_json", "empty", "latin1"]),
                                  label="text mutation")
            told.append(text_kind)
    raw = json.dumps(doc).encode("utf-8")  # NaN and Infinity are written as JSON's non-standard tokens
    if text_kind == "truncate":
        raw = raw[:data.draw(st.integers(0, len(raw)), label="byte offset")]
    elif text_kind == "junk":
        pos = data.draw(st.integers(0, len(raw)), label="byte offset")
        raw = raw[:pos] + data.draw(st.sampled_from([b"}", b"{", b",", b"]", b"\"", b"\0", b"\\"])) + raw[pos:]
    elif text_kind == "bom":
        raw = b"\xef\xbb\xbf" + raw
    elif text_kind == "binary":
        pos = data.draw(st.integers(0, len(raw)), label="byte offset")
        raw = raw[:pos] + b"\xff\xfe\x00\x81" + raw[pos:]
    elif text_kind == "not_json":
        raw = data.draw(st.sampled_from([b"zones: [urban]\n", b"<?xml version='1.0'?><kml/>", b"PK\x03\x04",
                                         b"null", b"[]", b"42", b"\"FeatureCollection\"", b"{\"type\": 1}"]))
    elif text_kind == "empty":
        raw = b""
    elif text_kind == "latin1":
        raw = raw.replace(b'"urban"', "\"urbé\"".encode("latin-1"))
    return raw, "; ".join(told)


@pytest.fixture(scope="module")
def season_with_gis(season: dict[str, Any]) -> dict[str, Any]:
    """The default season whose zones, depots and a van group's staging points come from a separate GIS file
    (placeholder ``GIS``), while its road network stays the original file."""
    sc = copy.deepcopy(season)
    for zone in sc["zones"].values():
        zone["area"] = {"file": "GIS"}
    for depot in sc["depots"].values():
        depot["location"] = {"file": "GIS"}
    sc["depots"]["city"]["units"].append({"name": "van", "kind": "van", "count": 1, "staging": {"file": "GIS"}})
    return sc


def _pointing_at(sc: dict[str, Any], gis: str) -> dict[str, Any]:
    text = json.dumps(sc).replace('"file": "GIS"', json.dumps({"file": gis})[1:-1])
    return json.loads(text)


def test_the_unmutated_gis_file_validates(season_with_gis: dict[str, Any], tmp_path: Path) -> None:
    """The GIS mutants start from a scenario that is valid: the small GIS file, unmutated, validates with exit 0."""
    gis = tmp_path / "area.geojson"
    gis.write_text(json.dumps(GIS))
    path = tmp_path / "season.yaml"
    path.write_text(_dump(_pointing_at(season_with_gis, str(gis))))
    assert _validate(path, "unmutated") == 0


@_settings(80)
@given(data=st.data())
def test_damaged_gis_files_are_answered(data: st.DataObject, season_with_gis: dict[str, Any], tmp_path: Path) -> None:
    """A GeoJSON of zones, depots and staging points, damaged (values of other types, missing properties,
    self-crossing or degenerate polygons, NaN or infinite coordinates, wrong geometry types, empty features,
    truncated, non-JSON, binary), named by a scenario whose roads are the original file: ``validate`` exits 0 or 2
    within the bound, without a traceback, naming the scenario on 2."""
    raw, what = mutate_gis(data)
    with _folder(tmp_path) as folder:
        gis = folder / "area.geojson"
        gis.write_bytes(raw)
        path = folder / "season.yaml"
        path.write_text(_dump(_pointing_at(season_with_gis, data.draw(st.sampled_from([str(gis), "area.geojson"]),
                                                                      label="path form"))))
        _validate(path, what)


ROAD_MUTATIONS = ["truncate", "empty_features", "one_road", "not_json", "strings", "no_class", "degrees", "bom",
                  "folder", "nan", "huge", "not_object", "properties_not_object", "deep", "huge_int"]


@pytest.mark.parametrize("kind", ROAD_MUTATIONS)
def test_a_damaged_road_network_is_answered(kind: str, season: dict[str, Any], tmp_path: Path) -> None:
    """A damaged copy of the road network itself (truncated, no features, one road only, not JSON, coordinates as
    strings, roads without a class, a road in degrees, a BOM, a folder instead of a file, a NaN, 1e308 or 400-digit
    coordinate, a feature or its properties not a JSON object, nesting 100,000 deep): ``validate`` of the season
    that drives over it exits 0 or 2 within the bound, without a traceback, naming the scenario on 2. One example
    per kind: each mutant is a new network to prepare (so these are fixed examples, not drawn ones)."""
    doc = json.loads(AREA.read_text(encoding="utf-8"))
    roads = [f for f in doc["features"] if f["geometry"]["type"] == "LineString"]
    i = len(roads) // 3  # a road of the city grid
    raw = None
    if kind == "truncate":
        text = AREA.read_bytes()
        raw = text[:len(text) * 2 // 3]
    elif kind in ("nan", "huge", "huge_int"):
        roads[i]["geometry"]["coordinates"][0] = [{"nan": math.nan, "huge": 1e308, "huge_int": HUGE_INT}[kind], 0.0]
    elif kind == "empty_features":
        doc["features"] = []
    elif kind == "one_road":
        doc["features"] = [roads[i]]
    elif kind == "not_json":
        raw = b"\x89PNG\r\n\x1a\n"
    elif kind == "strings":
        roads[i]["geometry"]["coordinates"] = [["a", "b"], ["c", "d"]]
    elif kind == "no_class":
        for f in roads:
            f["properties"] = {}
    elif kind == "degrees":
        roads[i]["geometry"]["coordinates"] = [[-72.6, 42.3], [-72.5, 42.4]]
    elif kind == "bom":
        raw = b"\xef\xbb\xbf" + AREA.read_bytes()
    elif kind == "not_object":
        doc["features"][doc["features"].index(roads[i])] = 5
    elif kind == "properties_not_object":
        roads[i]["properties"] = "secondary"
    elif kind == "deep":
        raw = b'{"type": "FeatureCollection", "features": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with _folder(tmp_path) as folder:
        net = folder / "roads.geojson"
        if kind == "folder":
            net.mkdir()
        else:
            net.write_bytes(raw if raw is not None else json.dumps(doc).encode("utf-8"))
        sc = copy.deepcopy(season)
        sc["travel"]["network"] = str(net)
        path = folder / "season.yaml"
        path.write_text(_dump(sc))
        _validate(path, kind)
