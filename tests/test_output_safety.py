"""Output safety: stormcrew writes only into folders it may replace, one writer at a time, refuses what it cannot
write before any replication runs, and never leaves a folder half-written or lost: not when a write fails, not
when the process is killed at any instant, not when a sweep is interrupted."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

import sim
import sim.output.outfolder as outfolder
from sim.cli import main
from sim.output.outfolder import MARKER, claim

SMALL = """\
name: small
horizon: {days} d
zones:
  urban: {{speed_kmh: 30, area: {{box: [0, 0, 10, 10]}}}}
  rural: {{speed_kmh: 60, area: {{box: [10, 0, 40, 30]}}}}
fault_types:
  cable_fault:
    skills: [cable]
    repair: {{dist: lognorm, s: 0.6, scale: 120}}
    customers: 40
arrivals:
  per_day:
    urban: {{cable_fault: 6}}
    rural: {{cable_fault: 3}}
depots:
  central:
    zone: urban
    location: [5, 5]
    units:
      - {{name: cable, skills: [cable], count: 2}}
"""

RUN_FILES = {"faults.parquet", "units.parquet", "replications.parquet", "storms.parquet", "summary.json",
             "scenario.resolved.yaml", "timeseries.parquet", "restoration.parquet", "days.parquet",
             "dispatches.parquet", "unit_summary.parquet", "plans.parquet", "report.html", MARKER}


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL.format(days=10))
    return path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _complete_run(folder: Path) -> bool:
    """A whole results folder: every file, a summary that parses, the marker."""
    if {p.name for p in folder.iterdir()} != RUN_FILES:
        return False
    json.loads((folder / "summary.json").read_text())
    return True


def _no_replication(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a replication runs: refusals must come before the work."""
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("a replication ran before the output was checked")
    # imported before the patches: sim.cli imports the sweep module only when a sweep runs, and a first import
    # while the runner's run_replication is patched would bind the patch in it for good (for the later tests too)
    import sim.experiments.sweep  # noqa: F401
    monkeypatch.setattr("sim.experiments.runner.run_replication", boom)
    monkeypatch.setattr("sim.experiments.sweep.run_replication", boom)


# ---------------------------------------------------------------- where stormcrew may write

@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_a_folder_of_other_files_is_refused_before_any_work(
        command: str, scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    thesis = tmp_path / "thesis"
    (thesis / "chapters").mkdir(parents=True)
    (thesis / "thesis.tex").write_text("four years of work")
    (thesis / "chapters" / "one.tex").write_text("chapter one")
    before = _snapshot(thesis)
    _no_replication(monkeypatch)
    extra = ["--grid", "arrivals.per_day.urban.cable_fault=4,6"] if command == "sweep" else []
    assert main([command, str(scenario), "-n", "2", "--out", str(thesis), *extra]) == 2
    err = capsys.readouterr().err
    assert f"--out {thesis}: holds files stormcrew did not write (chapters, thesis.tex)" in err
    assert "Traceback" not in err
    assert _snapshot(thesis) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml", "thesis"]  # no lock or temporary left


def test_the_project_folder_and_the_scenarios_folder_are_refused(scenario: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "keep.yaml").write_text("name: keep\n")
    _no_replication(monkeypatch)
    for out in ("scenarios", ".", str(tmp_path)):
        assert main(["run", str(scenario), "-n", "2", "--out", out]) == 2
    assert (tmp_path / "scenarios" / "keep.yaml").read_text() == "name: keep\n"
    assert (tmp_path / "small.yaml").exists()


def test_a_run_folder_is_replaced_and_an_empty_or_absent_one_taken(scenario: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for out in ("empty", "absent/deeper"):
        assert main(["run", str(scenario), "-n", "2", "--out", str(tmp_path / out)]) == 0
        assert _complete_run(tmp_path / out)
    assert main(["run", str(scenario), "-n", "3", "--out", str(tmp_path / "empty")]) == 0
    assert json.loads((tmp_path / "empty" / "summary.json").read_text())["meta"]["replications"] == 3


def test_a_run_folder_from_before_the_marker_is_still_replaced(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "old"
    assert main(["run", str(scenario), "-n", "2", "--out", str(out)]) == 0
    (out / MARKER).unlink()  # as folders written before the marker existed
    assert main(["run", str(scenario), "-n", "2", "--out", str(out)]) == 0
    assert _complete_run(out)


@pytest.mark.parametrize("command", ["sweep", "compare"])
def test_another_kind_of_stormcrew_output_is_refused(command: str, scenario: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["run", str(scenario), "-n", "2", "--out", str(out)]) == 0
    before = _snapshot(out)
    extra = ["--grid", "arrivals.per_day.urban.cable_fault=4,6"] if command == "sweep" else []
    assert main([command, str(scenario), "-n", "2", "--out", str(out), *extra]) == 2
    assert "holds stormcrew run output; expected an absent or empty folder or a stormcrew " \
           f"{command} folder" in capsys.readouterr().err
    assert _snapshot(out) == before  # the run's report.html was not replaced


def test_a_file_a_long_name_and_a_parent_that_is_a_file_are_refused(scenario: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _no_replication(monkeypatch)
    (tmp_path / "a_file").write_text("x")
    cases = {str(tmp_path / "a_file"): "exists and is not a folder",
             str(tmp_path / ("x" * 250)): "the folder name is 250 bytes long; expected at most 241",
             str(tmp_path / ("y" * 256)): "the folder name is 256 bytes long",
             str(tmp_path / "a_file" / "sub"): "cannot create its parent folder"}
    for out, message in cases.items():
        assert main(["run", str(scenario), "--out", out]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert (tmp_path / "a_file").read_text() == "x"


def test_too_little_free_space_is_refused_before_any_work(scenario: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    _no_replication(monkeypatch)
    monkeypatch.setattr(outfolder.shutil, "disk_usage", lambda p: type("U", (), {"free": 10 * 2**20})())
    assert main(["run", str(scenario), "--out", str(tmp_path / "r")]) == 2
    assert "10 MiB free on its disk; expected at least 64 MiB" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_a_second_writer_is_refused_while_the_first_holds_the_folder(scenario: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from sim.output.outfolder import claim; "
                               f"c = claim({str(out)!r}, 'run'); print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert main(["run", str(scenario), "-n", "2", "--out", str(out)]) == 2
        assert f"another stormcrew process (pid {holder.pid}) is writing this folder" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    # the kernel released the dead holder's lock: the folder can be written now
    assert main(["run", str(scenario), "-n", "2", "--out", str(out)]) == 0


def test_junit_and_fit_and_map_outputs_never_overwrite_a_file_stormcrew_did_not_write(
        scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    precious = tmp_path / "storm_season.yaml"
    precious.write_text("name: my carefully written scenario\n")
    _no_replication(monkeypatch)
    log = Path(__file__).resolve().parents[1] / "scenarios" / "data" / "western-ma-outages-2013-2018.csv"
    assert main(["fit", str(log), "--out", str(precious)]) == 2
    assert main(["map", str(scenario), "--out", str(precious)]) == 2
    assert main(["check", str(scenario), "--junit", str(precious)]) == 2
    assert main(["generate-area", str(precious)]) == 2
    err = capsys.readouterr().err
    assert err.count("exists and was not written by stormcrew") == 4 and "Traceback" not in err
    assert precious.read_text() == "name: my carefully written scenario\n"
    assert main(["map", str(scenario), "--out", str(tmp_path / "map.html")]) == 0
    assert main(["map", str(scenario), "--out", str(tmp_path / "map.html")]) == 0  # its own file: replaced


# ---------------------------------------------------------------- crash consistency

def test_stale_temporaries_are_removed_and_a_folder_moved_aside_is_put_back(tmp_path: Path) -> None:
    out = tmp_path / "r"
    sim.run(sim.load_scenario(SMALL.format(days=3)), replications=1).save(out)
    before = _snapshot(out)
    aside = tmp_path / ".r.old-abcd1234"
    aside.mkdir()
    os.rename(out, aside / "r")  # killed between the two renames of the swap without an exchange
    (tmp_path / ".r.tmp-0123abcd").mkdir()
    (tmp_path / ".r.tmp-0123abcd" / "faults.parquet").write_bytes(b"half")
    (tmp_path / ".r.tmp-other.tmp-x").mkdir()  # not one of r's: a folder named "r.tmp-other" could own it
    with claim(out, "run"):
        pass
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".r.tmp-other.tmp-x", "r"]


def test_without_an_exchange_a_kill_between_the_renames_is_recovered(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    sc = sim.load_scenario(SMALL.format(days=3))
    out = tmp_path / "r"
    sim.run(sc, replications=1, seed=1).save(out)
    before = _snapshot(out)
    monkeypatch.setattr(outfolder, "_exchange", lambda a, b: False)
    real_rename, calls = os.rename, []

    class Killed(BaseException):
        pass

    def rename_then_die(a: object, b: object) -> None:
        calls.append((a, b))
        real_rename(a, b)
        if len(calls) == 1:
            raise Killed  # the process dies right after moving the old folder aside

    monkeypatch.setattr(outfolder.os, "rename", rename_then_die)
    with pytest.raises(Killed):
        sim.run(sc, replications=2, seed=2).save(out)
    monkeypatch.setattr(outfolder.os, "rename", real_rename)
    assert not out.exists()  # the instant the exchange exists to avoid
    with claim(out, "run"):  # the next writer puts it back
        pass
    assert _snapshot(out) == before
    sim.run(sc, replications=2, seed=2).save(out)  # and the fallback swap works when not killed
    assert json.loads((out / "summary.json").read_text())["meta"]["replications"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def _stormcrew(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "sim.cli", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def test_runs_killed_at_random_instants_leave_the_old_or_the_new_folder_complete(tmp_path: Path) -> None:
    """SIGKILL at random instants over a whole run (start-up, replications, writing, the swap): at every kill the
    folder is complete, the old run or the new one; the next run cleans up whatever the killed one left."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SMALL.format(days=40))
    out = tmp_path / "r"
    t0 = time.perf_counter()
    assert _stormcrew("run", str(scenario), "-n", "2", "--out", str(out), "-j", "1").wait() == 0
    whole = time.perf_counter() - t0
    rng = random.Random(20261123)
    seeds_seen = set()
    for k in range(12):
        proc = _stormcrew("run", str(scenario), "-n", "2", "--seed", str(k + 1), "--out", str(out), "-j", "1")
        time.sleep(rng.uniform(0.3 * whole, 1.1 * whole))
        proc.kill()
        proc.wait()
        assert _complete_run(out), f"kill {k}: {sorted(p.name for p in out.iterdir())}"
        seeds_seen.add(json.loads((out / "summary.json").read_text())["meta"]["seed"])
    assert _stormcrew("run", str(scenario), "-n", "2", "--out", str(out), "-j", "1").wait() == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r", "s.yaml"]  # nothing stale left beside it
    assert len(seeds_seen) > 1  # some kills came before the swap and some after: the test saw both sides


def test_a_sweep_killed_at_random_instants_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SMALL.format(days=20))
    grid = ["--grid", "depots.central.units[cable].count=2,3", "-n", "3", "-j", "1"]
    whole_out, out = tmp_path / "whole", tmp_path / "killed"
    t0 = time.perf_counter()
    assert _stormcrew("sweep", str(scenario), *grid, "--out", str(whole_out)).wait() == 0
    whole = time.perf_counter() - t0
    rng = random.Random(7)
    for _ in range(5):
        proc = _stormcrew("sweep", str(scenario), *grid, "--out", str(out))
        time.sleep(rng.uniform(0.3 * whole, 0.9 * whole))
        proc.kill()
        proc.wait()
    assert _stormcrew("sweep", str(scenario), *grid, "--out", str(out)).wait() == 0

    def figures(folder: Path) -> pd.DataFrame:
        f = pd.read_parquet(folder / "figures", partitioning="hive")
        f["point"] = f["point"].astype(str)
        return f.sort_values(["point", "replication", "scope", "group", "metric"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(figures(out), figures(whole_out))
    assert not [p for p in out.rglob(".*") if p.name != MARKER]  # no temporary file left in the dataset
    assert sorted(p.name for p in tmp_path.iterdir()) == ["killed", "s.yaml", "whole"]


def test_a_damaged_sweep_definition_is_refused_with_its_name(scenario: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sw"
    grid = ["--grid", "arrivals.per_day.urban.cable_fault=4,6", "-n", "2"]
    assert main(["sweep", str(scenario), *grid, "--out", str(out)]) == 0
    (out / "sweep.json").write_text('{"scenario": "sm')
    assert main(["sweep", str(scenario), *grid, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{out / 'sweep.json'}: damaged" in err and "Traceback" not in err


def _children_when_running(proc: subprocess.Popen[bytes], n: int) -> list[psutil.Process]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        kids = psutil.Process(proc.pid).children()
        if len(kids) >= n:
            return kids
        time.sleep(0.1)
    raise AssertionError("the workers never started")


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_workers_die_with_their_parent(how: signal.Signals, tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SMALL.format(days=400))
    out = tmp_path / "r"
    proc = _stormcrew("run", str(scenario), "-n", "40", "--out", str(out), "-j", "2")
    kids = _children_when_running(proc, 2)
    proc.send_signal(how)
    proc.wait(timeout=30)
    gone, alive = psutil.wait_procs(kids, timeout=10)
    assert not alive, f"orphaned workers: {alive}"
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    if how == signal.SIGTERM:
        assert proc.returncode == 143 and "terminated" in err and "Traceback" not in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".r.tmp-")] or how == signal.SIGKILL


def test_a_worker_terminated_before_its_initializer_ends_quietly() -> None:
    """A forked worker keeps the CLI's SIGTERM handler until its initializer runs; a SIGTERM in that window
    (the parent stopping its pool at once) ends the worker as SIGTERM would, with no traceback."""
    code = (
        "import os, signal, sys, time\n"
        "from sim import cli\n"
        "cli._OWNER = os.getpid()\n"
        "signal.signal(signal.SIGTERM, cli._terminate)\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    time.sleep(5)\n"
        "    os._exit(0)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "print(os.WIFSIGNALED(status) and os.WTERMSIG(status))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == str(int(signal.SIGTERM)) and "Traceback" not in done.stderr, done.stderr


# ---------------------------------------------------------------- the Python API checks its arguments

@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"replications": 2.7}, TypeError, "replications: expected a whole number, got 2.7"),
    ({"seed": 1.5}, TypeError, "seed: expected a whole number, got 1.5"),
    ({"replications": True}, TypeError, "replications: expected a whole number, got True"),
    ({"replications": 0}, ValueError, "replications: expected a whole number >= 1, got 0"),
    ({"workers": 0}, ValueError, "workers: expected a whole number >= 1, got 0"),
    ({"workers": -3}, ValueError, "workers: expected a whole number >= 1, got -3"),
    ({"seed": -1}, ValueError, "seed: expected a whole number >= 0, got -1"),
])
def test_api_arguments_are_checked_not_rounded(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message.replace(".", r"\.")):
        sim.run(SMALL.format(days=2), **kwargs)


def test_update_baseline_claims_its_folder_before_anything_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SMALL.format(days=3) + "expect:\n  replications: 2\n  checks: [all.arrive >= 0]\n")
    run_folder = tmp_path / "run"
    assert main(["run", str(scenario), "-n", "2", "--out", str(run_folder)]) == 0
    before = _snapshot(run_folder)
    junit = str(tmp_path / "junit.xml")
    monkeypatch.setattr("sim.experiments.check.run_many", lambda *a, **k: pytest.fail(
        "ran before the folder was checked"))
    assert main(["check", str(scenario), "--baselines", str(run_folder), "--update-baseline", "--junit", junit]) == 2
    assert "holds stormcrew run output" in capsys.readouterr().err
    assert _snapshot(run_folder) == before
    monkeypatch.undo()
    baselines = tmp_path / "baselines"
    assert main(["check", str(scenario), "--baselines", str(baselines), "--update-baseline", "--junit", junit]) == 0
    assert sorted(p.name for p in baselines.iterdir()) == [MARKER, "small.json"]
    assert main(["check", str(scenario), "--baselines", str(baselines), "--junit", junit]) == 0


def test_the_results_size_is_checked_against_free_space_when_it_is_known(scenario: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI claims the folder before the run (64 MiB at least); once the results exist, their estimated size
    is checked too, and a folder that would not fit is refused with the earlier run intact."""
    out = tmp_path / "r"
    assert main(["run", str(scenario), "-n", "2", "--out", str(out)]) == 0
    before = _snapshot(out)
    monkeypatch.setattr(sim.Result, "size_estimate", lambda self: 2**60)
    assert main(["run", str(scenario), "-n", "2", "--seed", "9", "--out", str(out)]) == 2
    assert "MiB free on its disk; expected at least" in capsys.readouterr().err
    assert _snapshot(out) == before


@pytest.mark.parametrize(("args", "where"), [
    (["--months", "6-80000000000"], "expected month numbers 1-12"),
    (["--months", "13"], "expected month numbers 1-12"),
])
def test_validate_against_months_are_checked_before_anything_is_built(args: list[str], where: str, scenario: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    log = Path(__file__).resolve().parents[1] / "scenarios" / "data" / "western-ma-outages-2013-2018.csv"
    with pytest.raises(SystemExit) as exit_:
        main(["validate-against", str(log), str(scenario), *args])
    assert exit_.value.code == 2 and where in capsys.readouterr().err


@pytest.mark.parametrize(("text", "message"), [
    ("reliability: {t_med: " + "9" * 400 + "}\n", "reliability.t_med"),
    ("dispatch: {call_takers: 1000000000}\n", "dispatch.call_takers"),
])
def test_values_that_would_crash_or_exhaust_a_run_are_refused(text: str, message: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SMALL.format(days=2) + text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "9" * 100 not in err


def test_a_baseline_with_a_number_too_large_for_a_float_is_refused_before_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SMALL.format(days=2) + "expect:\n  replications: 2\n  checks: [all.arrive >= 0]\n")
    baselines = tmp_path / "baselines"
    baselines.mkdir()
    (baselines / "small.json").write_text('{"meta": {"scenario": "small"}, "figures": {"all.arrive": '
                                          '{"mean": 1' + "0" * 400 + ', "sd": 0, "n": 2}}}')
    monkeypatch.setattr("sim.experiments.check.run_many", lambda *a, **k: pytest.fail(
        "ran before the baseline was checked"))
    assert main(["check", str(scenario), "--baselines", str(baselines), "--junit", str(tmp_path / "j.xml")]) == 2
    err = capsys.readouterr().err
    assert "small.json" in err and "expected numbers mean" in err and "Traceback" not in err
