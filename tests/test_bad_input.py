"""Bad input: every malformed scenario gives exit code 2 and a message naming the file, the YAML path, the line
and what was expected; never a traceback, never a results folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main

GOOD = """\
name: small
horizon: 2 d
zones:
  urban:
    speed_kmh: 30
    area: {box: [0, 0, 10, 10]}
  rural:
    speed_kmh: 60
    area: {box: [10, 0, 40, 30]}
fault_types:
  cable_fault:
    skills: [cable]
    repair: {dist: lognorm, s: 0.6, scale: 120}
    customers: 40
arrivals:
  per_day:
    urban: {cable_fault: 4}
    rural: {cable_fault: 2}
depots:
  central:
    zone: urban
    location: [5, 5]
    units:
      - {name: cable, skills: [cable], count: 2}
"""

# (id, replace this, with this, expected fragments of the message, line of the offending text or None)
CASES = [
    ("wrong type", "speed_kmh: 60", "speed_kmh: fast",
     ["zones.rural.speed_kmh", "expected a number", "'fast'"], "speed_kmh: fast"),
    ("negative time", "  rural:\n    speed_kmh: 60",
     "  rural:\n    limits: {arrive: -5, restore: 6 h}\n    speed_kmh: 60",
     ["zones.rural.limits.arrive", "expected minutes > 0, got -5"], "limits: {arrive: -5"),
    ("negative count", "count: 2", "count: -1",
     ["depots.central.units[0].count", "expected a number >= 0, got -1"], "count: -1"),
    ("unknown key", "    customers: 40", "    custmers: 40",
     ["fault_types.cable_fault.custmers", "unknown key", "did you mean 'customers'"], "custmers: 40"),
    ("bad duration", "horizon: 2 d", "horizon: 2 fortnights",
     ["horizon", "expected a duration"], "horizon: 2 fortnights"),
    ("unknown distribution", "dist: lognorm", "dist: lognormal",
     ["fault_types.cable_fault.repair", "unknown distribution 'lognormal'"], "dist: lognormal"),
    ("distribution parameter missing", "dist: lognorm, s: 0.6, ", "dist: lognorm, ",
     ["fault_types.cable_fault.repair", "missing: s"], "repair: {dist: lognorm"),
    ("negative durations possible", "dist: lognorm, s: 0.6, scale: 120", "dist: norm, loc: 10, scale: 5",
     ["fault_types.cable_fault.repair", "can be negative"], "repair: {dist: norm"),
    ("missing section", "horizon: 2 d\n", "",
     ["horizon: required"], None),
    ("zone with no depot able to reach it", "    units:\n", "    serves: [urban]\n    units:\n",
     ["zones.rural", "no depot with crews or teams serves this zone"], "  rural:"),
    ("skills nobody has", "skills: [cable], count", "skills: [overhead_line], count",
     ["arrivals.per_day.urban.cable_fault", "no units serving zone 'urban' have together the skills"],
     "urban: {cable_fault"),
    ("unknown zone reference", "zone: urban\n", "zone: downtown\n",
     ["depots.central.zone", "unknown zone 'downtown'"], "zone: downtown"),
    ("zone without default limits", "  rural:\n", "  hills:\n",
     ["zones.hills.limits", "only urban, rural and mountain have default limits"], "  hills:"),
    ("YAML syntax error", "    area: {box: [10, 0, 40, 30]}", "    area: {box: [10, 0, 40, 30]",
     ["not valid YAML"], None),
    ("top level is a list", GOOD, "- a\n- b\n", ["expected a mapping at the top level"], None),
    ("empty file", GOOD, "", ["empty"], None),
    ("bad start date", "horizon: 2 d\n", "horizon: 2 d\nstart: 2026-13-45\n",
     ["start", "expected a date"], "start: 2026-13-45"),
    ("unknown fault type in a storm mix", "    rural: {cable_fault: 2}\n",
     "    rural: {cable_fault: 2}\n  storms:\n    per_week: 1\n    mix: {cable_falt: 1}\n",
     ["arrivals.storms.mix.cable_falt", "unknown fault type 'cable_falt'", "did you mean 'cable_fault'"],
     "mix: {cable_falt"),
    ("month out of range", "  per_day:\n", "  month: {13: 1.2}\n  per_day:\n",
     ["arrivals.month", "month numbers 1-12"], "month: {13"),
    ("calendar storm in an unknown zone", "    rural: {cable_fault: 2}\n",
     "    rural: {cable_fault: 2}\n  storms:\n    mix: {cable_fault: 1}\n    calendar:\n"
     "      - {start: 2026-06-01, duration: 2 h, faults_per_hour: 5, zones: [hills]}\n",
     ["arrivals.storms.calendar[0].zones[0]", "unknown zone 'hills'"], "- {start: 2026-06-01"),
    ("replay without a projection", "    rural: {cable_fault: 2}\n",
     "    rural: {cable_fault: 2}\n  replay: {log: x.csv, mix: {cable_fault: 1}}\n",
     ["arrivals.replay", "expected the scenario's crs (a real territory"], "replay: {log"),
]


def _line(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle.splitlines()[0] in line:
            return i
    raise AssertionError(f"{needle!r} not in the test scenario")


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_scenario(case: tuple, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, old, new, fragments, where = case
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    code = main(["run", str(path), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert str(path) in err
    for fragment in fragments:
        assert fragment in err, err
    if where is not None:
        assert f"(line {_line(text, where)})" in err, err
    assert "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == [path]


def test_the_good_scenario_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(GOOD)
    assert main(["validate", str(path)]) == 0
    assert "ok" in capsys.readouterr().out


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "nope.yaml" in err and "file not found" in err


def test_every_problem_is_listed_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(GOOD.replace("speed_kmh: 60", "speed_kmh: -1").replace("count: 2", "count: two"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "2 problems" in err and "zones.rural.speed_kmh" in err and "depots.central.units[0].count" in err


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "scenarios/storm_season.yaml", "--replications", "0"])
    assert exc.value.code == 2
    assert "expected a whole number >= 1" in capsys.readouterr().err


def test_out_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(GOOD)
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder")
    assert main(["run", str(path), "--out", str(blocker)]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nzones: [\n")
    proc = subprocess.run([sys.executable, "-m", "sim.cli", "validate", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "broken.yaml" in proc.stderr and "line" in proc.stderr
    assert "Traceback" not in proc.stderr
