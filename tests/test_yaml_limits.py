"""Hostile or broken scenario YAML: every case ends in exit code 2 and a message naming the file, the place and what
was expected; never a traceback, a hang or unbounded memory (sim.yamlsource's limits)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

import sim.yamlsource as ys
from sim.cli import main
from sim.errors import ScenarioError
from sim.scenario.loading import load_scenario
from sim.yamlsource import MAX_BYTES, MAX_DEPTH, MAX_NODES, parse_yaml
from tests.test_bad_input import GOOD


def _line(text: str, needle: str, nth: int = 1) -> int:
    """Line of the ``nth`` line of ``text`` containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[nth - 1]


def _refused(path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Write ``text`` to ``path``, validate it, check the refusal, and return the message."""
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err, err
    return err


def _changed(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


# ---------------------------------------------------------------- size and kind of file


@pytest.mark.parametrize("tail", ["[" * (MAX_BYTES + 1), "notes: [" + ", ".join(["12345"] * 750_000) + "]\n"],
                         ids=["unparseable", "5 MB of numbers"])
def test_a_file_over_the_size_limit_is_refused_before_parsing(tail: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD + tail
    t0 = time.perf_counter()
    err = _refused(tmp_path / "big.yaml", text, capsys)
    assert time.perf_counter() - t0 < 1.0  # a 5 MB scenario took 83 s to validate
    size = len(text.encode())
    assert f"is {size:,} bytes, more than the limit of {MAX_BYTES:,} (2 MiB) for a scenario" in err, err
    assert "nested" not in err and "not valid YAML" not in err  # refused unparsed


def test_scenario_text_over_the_size_limit_is_refused() -> None:
    with pytest.raises(ScenarioError, match=f"characters, more than the limit of {MAX_BYTES:,}"):
        load_scenario(GOOD + "#" * MAX_BYTES + "\n")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    done: list[int] = []
    worker = threading.Thread(target=lambda: done.append(main(["validate", str(fifo)])), daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # blocked opening the pipe for a writer: give it one, so the thread ends
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(timeout=10)
        pytest.fail("validate blocked on a named pipe")
    assert done == [2]
    err = capsys.readouterr().err
    assert f"{fifo}: 1 problem" in err and "is a named pipe (FIFO), not a regular file" in err, err


@pytest.mark.skipif(not Path("/dev/zero").exists() or sys.platform == "win32", reason="needs /dev/zero and rlimits")
def test_extends_dev_zero_is_refused_without_reading_it(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text("name: endless\nextends: /dev/zero\n")
    # In a child process capped at 1 GiB of address space: reading /dev/zero must not be how this ends.
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
            "from sim.cli import main; sys.exit(main(['validate', sys.argv[1]]))")
    proc = subprocess.run([sys.executable, "-c", code, str(child)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert (f"{child}: 1 problem\n  extends: base scenario /dev/zero is a character device, not a regular file; "
            "expected a scenario YAML file (line 2)") in proc.stderr
    assert "Traceback" not in proc.stderr


def test_extends_with_a_nul_byte_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(tmp_path / "nul.yaml", 'extends: "base\\0.yaml"\nname: x\n', capsys)  # os.stat raised ValueError
    assert "extends: expected the path of a base scenario file, got 'base\\x00.yaml' (line 1)" in err, err


@pytest.mark.parametrize("kind", ["device", "folder"])
def test_only_regular_files_are_read(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if kind == "device":
        if not Path("/dev/null").exists():
            pytest.skip("needs /dev/null")
        path, expected = Path("/dev/null"), "is a character device, not a regular file"  # was: "the file is empty"
    else:
        path, expected = tmp_path / "folder.yaml", "is a folder; expected a scenario YAML file"
        path.mkdir()
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: 1 problem" in err and expected in err, err


# ---------------------------------------------------------------- depth, size after aliases, recursion

DEEP = {
    "flow lists": "a: " + "[" * 5000 + "\n",
    "flow mappings": "a: " + "{b: " * 5000 + "\n",
    "block mappings": "".join(" " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 5)) + " " * (MAX_DEPTH + 5) + "x\n",
    "block lists": "a:\n" + "- " * (MAX_DEPTH + 5) + "x\n",
    "alias nesting": (f"a: &deep {'[' * 40}{']' * 40}\n"
                      f"b: {'[' * (MAX_DEPTH - 30)}*deep{']' * (MAX_DEPTH - 30)}\n"),
}


@pytest.mark.parametrize("text", DEEP.values(), ids=DEEP.keys())
def test_deep_nesting_is_refused_quickly(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t0 = time.perf_counter()
    err = _refused(tmp_path / "deep.yaml", text, capsys)  # no RecursionError: it would escape as a traceback
    # a hang guard, not a speed test: refused in well under a second alone, but the coverage tracer and a busy
    # machine stretch that; a parser that went down all 5,000 levels, or back up them quadratically, takes minutes
    assert time.perf_counter() - t0 < 10.0
    assert f"deeper than {MAX_DEPTH} levels of mappings and lists" in err, err
    assert "(line " in err


def test_too_many_values_are_refused_at_the_line_reached(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(ys, "MAX_NODES", 1000)  # the same code path as 100,000, quicker
    text = GOOD + "notes:\n" + "".join(f"  - {i}\n" for i in range(2000))
    err = _refused(tmp_path / "long.yaml", text, capsys)
    assert "more than 1,000 values" in err, err
    # reading stops at the item that makes the 1001st node: the document's own nodes, "notes" and its list come first
    assert f"(line {_line(text, 'notes:') + 999 - _nodes(GOOD)})" in err, err


def _nodes(text: str) -> int:
    """Nodes in ``text`` (no aliases), counted the way the limit counts them."""
    stack, n = [yaml.compose(text)], 0
    while stack:
        node = stack.pop()
        n += 1
        if isinstance(node.value, list):
            stack.extend(c for item in node.value for c in (item if isinstance(item, tuple) else (item,)))
    return n


@pytest.mark.parametrize("text", ["a: &x [*x]\n", "a: &x {b: [1, *x]}\n", "a:\n  - &x\n    - *x\n"],
                         ids=["list", "mapping", "block"])
def test_a_recursive_alias_is_refused(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(tmp_path / "loop.yaml", text, capsys)
    assert "alias *x is inside the value &x it repeats (a recursive alias)" in err, err
    assert f"(line {_line(text, '*x')})" in err


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "billion laughs", kept to 10**6 values so that a regression fails instead of eating the machine: e repeats d
    # ten times, 111,111 values, so reading stops on e's line
    names = "abcdef"
    text = GOOD + "a: &a [" + ", ".join(["lol"] * 10) + "]\n" + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 10)}]\n" for p, n in zip(names, names[1:], strict=False))
    t0 = time.perf_counter()
    err = _refused(tmp_path / "bomb.yaml", text, capsys)
    assert time.perf_counter() - t0 < 1.0
    assert f"taking the document past {MAX_NODES:,}" in err and "billion laughs" in err, err
    assert f"(line {_line(text, '&e')})" in err


def test_modest_aliases_and_merges_still_load() -> None:
    doc = parse_yaml("base: &b {x: 1, y: [2, 3]}\nc:\n  <<: *b\n  y: 4\nd: *b\ne: [*b, *b]\n", "a.yaml")
    assert doc.data["c"] == {"x": 1, "y": 4} and doc.data["e"] == [doc.data["base"]] * 2
    assert doc.line_of(("e",)) == 6 and doc.line_of(("e", 1, "y")) == 1  # a repeated value: where it is written


# ---------------------------------------------------------------- what YAML lets through: keys twice, inf, tabs


def test_a_key_written_twice_names_both_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = _changed("    speed_kmh: 30\n", "    speed_kmh: 30\n    area: {box: [0, 0, 10, 10]}\n    speed_kmh: 45\n")
    err = _refused(tmp_path / "twice.yaml", text, capsys)
    first, second = _line(text, "speed_kmh: 30"), _line(text, "speed_kmh: 45")
    assert (f"zones.urban.speed_kmh: key written twice (first at line {first}); expected each key once "
            f"(line {second})") in err, err
    assert "zones.urban.area: key written twice" in err  # every repeated key is listed at once


def test_a_key_written_twice_in_a_flow_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = _changed("urban: {cable_fault: 4}", "urban: {cable_fault: 4, cable_fault: 5}")
    err = _refused(tmp_path / "twice.yaml", text, capsys)
    line = _line(text, "cable_fault: 5")
    assert (f"arrivals.per_day.urban.cable_fault: key written twice (first at line {line}); expected each key "
            f"once (line {line})") in err, err


@pytest.mark.parametrize("indent", ["\t", "  \t", "\t  "], ids=["tab", "spaces then tab", "tab then spaces"])
def test_tab_indentation_names_the_line(indent: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = _changed("    speed_kmh: 60\n", f"{indent}speed_kmh: 60\n")
    err = _refused(tmp_path / "tabs.yaml", text, capsys)
    assert f"tab used for indentation; YAML indents with spaces (line {_line(text, 'speed_kmh: 60')})" in err, err


def test_tabs_where_yaml_allows_them_still_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (GOOD.replace("name: small\n", "name: small\t# a tab before a comment\n# a comment\twith a tab\n\t\n")
            .replace("speed_kmh: 60", "speed_kmh:\t60\t")
            .replace("skills: [cable]", "skills: [\tcable\n\t\t]", 1))
    assert text.count("\t") == 8
    path = tmp_path / "tabs.yaml"
    path.write_text(text)
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    doc = parse_yaml("a: x\ty\nb: 'q\tq'\nc: |\n  one\n  \ttwo\nd\t: [1,\t2]\n", "t.yaml")
    assert doc.data == {"a": "x\ty", "b": "q\tq", "c": "one\n\ttwo\n", "d": [1, 2]}


@pytest.mark.parametrize("value", [".inf", "-.inf", "+.INF", ".nan", ".NaN", "1.0e+999"])
def test_non_finite_numbers_are_refused(value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = _changed("urban: {cable_fault: 4}", f"urban: {{cable_fault: {value}}}")
    err = _refused(tmp_path / "inf.yaml", text, capsys)
    assert (f"arrivals.per_day.urban.cable_fault: expected a finite number, got {value} "
            f"(line {_line(text, 'cable_fault: ' + value)})") in err, err


def test_non_finite_numbers_are_refused_under_any_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = _changed("location: [5, 5]", "location: [5, .inf]").replace("customers: 40", "customers: -.inf")
    err = _refused(tmp_path / "inf.yaml", text, capsys)
    assert "2 problems" in err
    assert f"depots.central.location[1]: expected a finite number, got .inf (line {_line(text, '.inf]')})" in err
    assert "fault_types.cable_fault.customers: expected a finite number, got -.inf" in err


def test_a_duration_too_long_to_be_finite_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = _changed("horizon: 2 d", "horizon: 1" + "0" * 400 + " min")
    err = _refused(tmp_path / "long.yaml", text, capsys)
    assert "horizon: expected a finite duration, got '1000" in err, err


@pytest.mark.parametrize("value", ["!!float abc", "!!int 4x", "!!bool maybe", "!!timestamp 2026-13-45"])
def test_explicit_tags_that_do_not_fit_are_refused(value: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    text = _changed("customers: 40", f"customers: {value}")
    err = _refused(tmp_path / "tags.yaml", text, capsys)  # PyYAML raised a bare ValueError, KeyError...
    tag, got = value.split(" ", 1)
    assert (f"fault_types.cable_fault.customers: expected a value of type {tag}, got {got!r} "
            f"(line {_line(text, 'customers:')})") in err, err


# ---------------------------------------------------------------- unchanged: one parse, lines, origins


def test_the_text_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    composed: list[int] = []
    compose = ys._Loader.get_single_node
    monkeypatch.setattr(ys._Loader, "get_single_node", lambda self: composed.append(1) or compose(self))
    doc = parse_yaml(GOOD, "good.yaml")
    assert composed == [1]  # yaml.load and yaml.compose used to parse it twice
    assert doc.data["zones"]["rural"]["speed_kmh"] == 60
    assert doc.line_of(("zones", "rural", "speed_kmh")) == _line(GOOD, "speed_kmh: 60")
    assert doc.line_of(("depots", "central", "units", 0, "count")) == _line(GOOD, "count: 2")


def test_a_base_file_is_still_named_for_its_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "base.yaml").write_text(_changed("count: 2", "count: -1"))
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nname: child\n")
    err = _refused(child, child.read_text(), capsys)
    assert (f"depots.central.units[0].count: expected a number >= 0, got -1 (set in {tmp_path / 'base.yaml'}, "
            f"line {_line(GOOD, 'count: 2')})") in err, err
