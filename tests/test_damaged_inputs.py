"""Damaged and ambiguous inputs: outage logs whose dates mix formats or carry UTC offsets, a damaged or unusable road
cache, and baselines that are corrupt, another scenario's or stale. Each is read correctly, rebuilt with a warning or
refused with exit code 2 and a message naming the file; never a traceback, never a silently wrong number."""

from __future__ import annotations

import json
import os
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.engine.travel
from sim.cli import main
from sim.inputs.generated_area import generate_area
from sim.inputs.outagelog import read_log
from sim.inputs.roads import CacheWarning, RoadNetwork, _read_entry
from tests.conftest import DEFAULT_SCENARIO
from tests.test_bad_input import GOOD
from tests.test_outagelog import REAL_LOG

HEAD = "time_out,duration_h,longitude,latitude\n"


def _log(tmp_path: Path, times: list[str], name: str = "log.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEAD + "".join(f"{t},1.5,-72.6,42.3\n" for t in times))
    return p


def _hourly(n: int, start: str = "2017-10-01 00:00") -> list[str]:
    return [t.strftime("%Y-%m-%d %H:%M") for t in pd.date_range(start, periods=n, freq="7h")]


# ---------------------------------------------------------------- A. outage log dates


def test_the_real_log_still_reads_as_iso(tmp_path: Path) -> None:
    log = read_log(REAL_LOG)
    raw = pd.read_csv(REAL_LOG)
    assert len(log.frame) == 8731 and log.report.rows_dropped == 0
    expected = pd.to_datetime(raw["time_out"], format="%Y-%m-%d %H:%M:%S").sort_values().to_numpy()
    assert np.array_equal(log.frame["time_out"].to_numpy(), expected)
    assert not any("read as" in n or "offset" in n for n in log.report.notes)


def test_day_month_rows_among_iso_rows_refuse_the_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A third of the real log rewritten as DD/MM/YYYY: format="mixed" swapped day and month in 2,781 of them."""
    raw = pd.read_csv(REAL_LOG, dtype=str)
    t = pd.to_datetime(raw["time_out"])
    some = np.arange(len(raw)) % 3 == 1
    raw.loc[some, "time_out"] = t[some].dt.strftime("%d/%m/%Y %H:%M:%S")
    p = tmp_path / "merged.csv"
    raw.to_csv(p, index=False)
    out = tmp_path / "frag.yaml"
    assert main(["fit", str(p), "--out", str(out), "--seasons", "2"]) == 2
    err = capsys.readouterr().err
    assert str(p) in err and "time_out" in err and "Traceback" not in err
    assert f"{some.sum():,} of 8,731 rows are not in the log's date format (YYYY-MM-DD HH:MM)" in err
    assert "line 3 " in err and "ISO 8601" in err  # the first rewritten row is on line 3
    assert not out.exists()


def test_a_stray_row_in_another_format_is_dropped_not_reinterpreted(tmp_path: Path) -> None:
    times = _hourly(300)
    times[10] = "03/04/2017 02:00"  # March or April? never guessed
    times[20] = "30/10/2017 02:00"
    times[30] = "30/30/2017"  # no date in any format
    times[40] = "2017-02-30 01:00"  # ISO read strictly: no 30 February
    log = read_log(_log(tmp_path, times), source="log.csv")
    assert log.report.dropped == {"time_out is not in the log's date format (YYYY-MM-DD HH:MM)": [12, 22],
                                  "time_out is not a date": [32, 42]}
    assert len(log.frame) == 296
    assert "2 with time_out is not in the log's date format (YYYY-MM-DD HH:MM) (lines 12, 22)" in str(log.report)


def test_daylight_saving_offsets_are_read_as_local_wall_time(tmp_path: Path) -> None:
    times = ["2017-11-04T23:30:00-04:00", "2017-11-05 01:30-04:00", "2017-11-05 01:30-05:00",
             "2017-11-05 08:00-0500", "2017-11-06 09:15"]
    log = read_log(_log(tmp_path, times), source="dst.csv")
    assert log.report.rows_dropped == 0
    assert [str(t) for t in log.frame["time_out"]] == ["2017-11-04 23:30:00", "2017-11-05 01:30:00",
                                                       "2017-11-05 01:30:00", "2017-11-05 08:00:00",
                                                       "2017-11-06 09:15:00"]
    notes = "\n".join(log.report.notes)
    assert "-05:00, -04:00 dropped" in notes and "local wall-clock" in notes
    assert "1 rows without an offset are read as the same local time" in notes


def test_the_real_log_with_daylight_saving_offsets_fits_as_without(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    raw = pd.read_csv(REAL_LOG, dtype=str)
    summer = pd.to_datetime(raw["time_out"]).dt.month.between(4, 10)
    raw["time_out"] = raw["time_out"].str.replace(" ", "T") + np.where(summer, "-04:00", "-05:00")
    p = tmp_path / "offsets.csv"
    raw.to_csv(p, index=False)
    assert main(["fit", str(p), "--out", str(tmp_path / "a.yaml"), "--seasons", "2"]) == 0
    err = capsys.readouterr().err
    assert "8731 rows read, 0 dropped" in err and "-05:00, -04:00 dropped" in err
    assert main(["fit", str(REAL_LOG), "--out", str(tmp_path / "b.yaml"), "--seasons", "2"]) == 0

    def body(name: str) -> list[str]:  # the fragment without its header comments (they name the log)
        return [x for x in (tmp_path / name).read_text().splitlines() if not x.startswith("#")]

    assert body("a.yaml") == body("b.yaml")


def test_offsets_of_several_time_zones_are_converted_to_utc(tmp_path: Path) -> None:
    log = read_log(_log(tmp_path, ["2017-10-30 02:00Z", "2017-10-30 02:00-05:00", "2017-10-30 03:00+01:00",
                                   "2017-10-30 09:00"]), source="zones.csv")
    assert [str(t) for t in log.frame["time_out"]] == ["2017-10-30 02:00:00", "2017-10-30 02:00:00",
                                                       "2017-10-30 07:00:00", "2017-10-30 09:00:00"]
    notes = "\n".join(log.report.notes)
    assert "several time zones" in notes and "converted to UTC" in notes and "1 rows without an offset" in notes


def test_an_impossible_offset_is_not_a_date(tmp_path: Path) -> None:
    log = read_log(_log(tmp_path, ["2017-10-30 02:00+25:00", "2017-10-30 03:00"]), source="x.csv")
    assert log.report.dropped == {"time_out is not a date": [2]}


@pytest.mark.parametrize("fmt, first", [("%m/%d/%Y %H:%M", "month"), ("%d/%m/%Y %H:%M:%S", "day"),
                                        ("%m/%d/%Y", "month"), ("%d/%m/%Y", "day")])
def test_a_whole_column_in_one_slash_format_is_read(tmp_path: Path, fmt: str, first: str) -> None:
    when = pd.date_range("2017-10-28 01:00", periods=40, freq="5h")
    times = [t.strftime(fmt) for t in when]
    times[5] = times[5].lstrip("0")  # 1/11/2017 as well as 01/11/2017
    log = read_log(_log(tmp_path, times), source="us.csv")
    assert log.report.rows_dropped == 0
    expected = when if "%H" in fmt else when.floor("D")
    if "%S" not in fmt and "%H" in fmt:
        expected = expected.floor("min")
    assert np.array_equal(log.frame["time_out"].to_numpy(), expected.to_numpy().astype("datetime64[us]"))
    assert any(f"({first} first: line" in n for n in log.report.notes)


def test_an_ambiguous_column_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _log(tmp_path, ["11/05/2017 02:00", "11/06/2017 03:00", "12/01/2017 13:30"])  # every day 1-12
    assert main(["fit", str(p), "--out", str(tmp_path / "f.yaml")]) == 2
    err = capsys.readouterr().err
    assert str(p) in err and "time_out:" in err and "(line 2)" in err and "Traceback" not in err
    assert "both as DD/MM/YYYY and as MM/DD/YYYY" in err and "line 2 '11/05/2017 02:00'" in err
    assert "convert the column to ISO 8601 (YYYY-MM-DD HH:MM)" in err


def test_a_column_mixing_day_first_and_month_first_is_refused(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    p = _log(tmp_path, ["10/30/2017 02:00", "10/31/2017 02:00", "31/10/2017 05:00", "11/01/2017 06:00"])
    assert main(["fit", str(p), "--out", str(tmp_path / "f.yaml")]) == 2
    err = capsys.readouterr().err
    assert "mixes day-first and month-first dates" in err
    assert "line 4 '31/10/2017 05:00' can only be DD/MM/YYYY" in err and "line 2 '10/30/2017 02:00'" in err


def test_iso_rows_in_a_month_first_log_are_dropped_when_few(tmp_path: Path) -> None:
    times = [t.strftime("%m/%d/%Y %H:%M") for t in pd.date_range("2017-10-01", periods=200, freq="7h")]
    times[7] = "2017-10-03 01:00"
    log = read_log(_log(tmp_path, times), source="us.csv")
    assert log.report.dropped == {"time_out is not in the log's date format (MM/DD/YYYY HH:MM)": [9]}


# ---------------------------------------------------------------- B. the road cache


@pytest.fixture
def fresh_networks() -> Iterator[None]:
    """Network preparation is cached per process: start and end each test without it."""
    sim.inputs.roadcache.prepared_network.cache_clear()
    yield
    sim.inputs.roadcache.prepared_network.cache_clear()


def _validate(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[warnings.WarningMessage]]:
    sim.inputs.roadcache.prepared_network.cache_clear()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        code = main(["validate", str(DEFAULT_SCENARIO)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and (code != 0 or "ok" in out), err
    return code, [w for w in seen if issubclass(w.category, CacheWarning)]


def _healthy(path: Path) -> bool:
    key = path.name.removeprefix("roads-").removesuffix(".npz")
    try:
        _read_entry(path, key)
    except Exception:  # whatever it is, the entry is not healthy
        return False
    return True


def _damage(kind: str, path: Path, other: bytes) -> None:
    data = path.read_bytes()
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif kind == "random bytes":
        path.write_bytes(np.random.default_rng(5).bytes(len(data)))
    elif kind == "one flipped byte":
        i = len(data) // 2  # inside the all-pairs minutes, the bulk of the file
        path.write_bytes(data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "another entry":
        path.write_bytes(other)


@pytest.mark.parametrize("kind", ["truncated", "random bytes", "one flipped byte", "empty", "another entry"])
def test_a_damaged_cache_entry_is_rebuilt_with_a_warning(kind: str, tmp_path: Path, fresh_networks: None,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("STORMCREW_CACHE", str(cache))
    code, warned = _validate(capsys)
    assert code == 0 and not warned
    entries = sorted(cache.glob("roads-*.npz"))
    assert entries and all(_healthy(p) for p in entries)
    before = {p: p.read_bytes() for p in entries}
    for i, p in enumerate(entries):
        _damage(kind, p, before[entries[(i + 1) % len(entries)]])
    if kind == "another entry" and len(entries) == 1:
        pytest.skip("one entry only")
    assert not any(_healthy(p) for p in entries)
    code, warned = _validate(capsys)
    assert code == 0
    messages = [str(w.message) for w in warned]
    assert len(messages) == len(entries), messages
    for p in entries:
        assert any(str(p) in m and "rebuilt" in m for m in messages), messages
        assert _healthy(p) and p.read_bytes() == before[p]  # rewritten, as it was
    code, warned = _validate(capsys)  # and from then on used without a word
    assert code == 0 and not warned


def test_a_cache_entry_whose_arrays_do_not_match_their_checksum_is_rebuilt(tmp_path: Path) -> None:
    """A well-formed archive (no zip CRC error) with a changed travel time: only the sha256 can tell."""
    net = RoadNetwork.from_edges(*generate_area(5))
    first = net.prepare(cache=tmp_path)
    (entry,) = tmp_path.glob("roads-*.npz")
    with np.load(entry) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["minutes"][0, 1] += 60.0
    np.savez(entry, **arrays)
    with pytest.warns(CacheWarning, match=r"contents do not match their sha256\); rebuilt it"):
        second = net.prepare(cache=tmp_path)
    assert np.array_equal(first.minutes_matrix, second.minutes_matrix) and _healthy(entry)


def test_an_old_entry_without_a_checksum_is_not_used(tmp_path: Path) -> None:
    net = RoadNetwork.from_edges(*generate_area(5))
    first = net.prepare(cache=tmp_path)
    (entry,) = tmp_path.glob("roads-*.npz")
    with np.load(entry) as z:
        arrays = {k: z[k] for k in z.files if k not in ("key", "sha256")}
    np.savez(entry, **arrays)
    with pytest.warns(CacheWarning, match="no key, sha256 in it"):
        second = net.prepare(cache=tmp_path)
    assert np.array_equal(first.km_matrix, second.km_matrix) and _healthy(entry)


def _unusable(tmp_path: Path, kind: str) -> Path:
    (tmp_path / "a-file").write_text("not a folder\n")
    return tmp_path / "a-file" if kind == "a file" else tmp_path / "a-file" / "cache"


@pytest.mark.parametrize("kind, problem", [("a file", "exists and is not a folder"),
                                           ("under a file", "lies under a file, not a folder")])
def test_an_unusable_cache_location_falls_back_to_no_cache(kind: str, problem: str, tmp_path: Path,
                                                           fresh_networks: None, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    where = _unusable(tmp_path, kind)
    monkeypatch.setenv("STORMCREW_CACHE", str(where))
    code, warned = _validate(capsys)
    assert code == 0
    assert len({str(w.message) for w in warned}) == 1, [str(w.message) for w in warned]
    message = str(warned[0].message)
    assert f"road cache {where} {problem}" in message and "without the disk cache" in message
    assert (tmp_path / "a-file").read_text() == "not a folder\n"
    with pytest.warns(CacheWarning, match=problem):
        assert sim.inputs.roadcache.cache_dir() is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_cache_folder_falls_back_to_no_cache(tmp_path: Path, fresh_networks: None,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    where = tmp_path / "ro"
    where.mkdir()
    where.chmod(0o555)
    monkeypatch.setenv("STORMCREW_CACHE", str(where))
    try:
        code, warned = _validate(capsys)
    finally:
        where.chmod(0o755)
    assert code == 0 and len(warned) == 1 and f"road cache {where} is not writable" in str(warned[0].message)
    assert not list(where.iterdir())


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path: Path, fresh_networks: None,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Read-only folders cannot be simulated as root: the write itself fails (as on a full or read-only disk)."""
    def refuse(path: Path, writer: object, suffix: str = "") -> Path:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("sim.inputs.roads.write_with", refuse)
    monkeypatch.setenv("STORMCREW_CACHE", str(tmp_path / "cache"))
    code, warned = _validate(capsys)
    assert code == 0 and warned
    assert all(f"road cache {tmp_path / 'cache'}: cannot write roads-" in str(w.message)
               and "Permission denied" in str(w.message) for w in warned)
    assert not list((tmp_path / "cache").glob("*.npz"))


# ---------------------------------------------------------------- C. baselines


def _scenario(tmp_path: Path, name: str = "small", seed: int = 1) -> Path:
    text = GOOD.replace("name: small", f"name: {name}") + (
        f"seed: {seed}\nexpect:\n  replications: 4\n  checks:\n    - all.faults >= 0 (mean)\n")
    p = tmp_path / f"{name}.yaml"
    p.write_text(text)
    return p


def _check(tmp_path: Path, scenario: Path, *extra: str) -> int:
    return main(["check", str(scenario), "--baselines", str(tmp_path / "baselines"), "--junit",
                 str(tmp_path / "junit.xml"), "-j", "1", *extra])


@pytest.fixture
def nothing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    def run_many(*args: object, **kwargs: object) -> None:
        raise AssertionError("replications ran before the baseline was checked")

    monkeypatch.setattr("sim.experiments.check.run_many", run_many)


SMALL_META = '{"meta": {"scenario": "small"}, '
BAD_BASELINES = [
    ("truncated", SMALL_META.encode() + b'"figures": {"all.faults": {"mean": 1', "not valid JSON", "(line 1)"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not a text file", None),
    ("empty", b"", "not valid JSON", None),
    ("a list", b"[1, 2, 3]", "not a baseline: a JSON list", None),
    ("no figures", SMALL_META.encode()[:-2] + b"}", "not a baseline: an object with ['meta']", None),
    ("a figure without sd", SMALL_META.encode() + b'"figures": {"all.faults": {"mean": 1.0, "n": 4}}}',
     "figures.all.faults: expected numbers mean, sd >= 0 and n >= 1", None),
    ("a text figure", SMALL_META.encode() + b'"figures": {"all.faults": {"mean": "x", "sd": 1, "n": 4}}}',
     "figures.all.faults: expected numbers", None),
    ("no owner", b'{"meta": {}, "figures": {}}', "does not say whose it is", None),
]


@pytest.mark.parametrize("case", BAD_BASELINES, ids=[c[0] for c in BAD_BASELINES])
def test_a_corrupt_baseline_is_exit_2_before_anything_runs(case: tuple, tmp_path: Path, nothing_runs: None,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    _, content, expected, line = case
    sc = _scenario(tmp_path)
    (tmp_path / "baselines").mkdir()
    baseline = tmp_path / "baselines" / "small.json"
    baseline.write_bytes(content)
    assert _check(tmp_path, sc) == 2
    err = capsys.readouterr().err
    assert str(baseline) in err and expected in err and "Traceback" not in err, err
    assert "--update-baseline" in err and "expected" in err
    if line:
        assert line in err
    assert not (tmp_path / "junit.xml").exists()


def test_another_scenarios_baseline_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    other = _scenario(tmp_path, "other")
    assert _check(tmp_path, other, "--update-baseline") == 0
    (tmp_path / "baselines" / "other.json").rename(tmp_path / "baselines" / "small.json")
    capsys.readouterr()
    monkeypatch.setattr("sim.experiments.check.run_many", lambda *a, **k: pytest.fail(
        "ran before checking the baseline"))
    assert _check(tmp_path, _scenario(tmp_path)) == 2
    err = capsys.readouterr().err
    path = tmp_path / "baselines" / "small.json"
    assert f"meta.scenario: baseline {path} is scenario 'other''s, not 'small''s" in err, err
    assert "--update-baseline" in err and "MOVED" not in err


def test_a_baseline_sharing_no_figure_is_a_failed_comparison(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "baselines").mkdir()
    baseline = tmp_path / "baselines" / "small.json"
    baseline.write_text(json.dumps({"meta": {"scenario": "small"},
                                    "figures": {"zone.gone.arrive": {"mean": 0.9, "sd": 0.01, "n": 8}}}))
    assert _check(tmp_path, _scenario(tmp_path)) == 1
    out = capsys.readouterr().out
    assert f"small: baseline {baseline} shares no figure with this scenario's; the baseline is stale: run " \
           "stormcrew check --update-baseline -> FAIL" in out, out
    assert "none moved" not in out and "check: 1 passed, 1 failed" in out
    (suite,) = ET.parse(tmp_path / "junit.xml").getroot()
    failures = [c.find("failure") for c in suite if c.get("name") == "baseline"]
    assert failures and failures[0] is not None and "stale" in failures[0].get("message", "")


def test_a_changed_scenario_is_said_in_the_baseline_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = _scenario(tmp_path)
    assert _check(tmp_path, sc, "--update-baseline") == 0
    capsys.readouterr()
    assert _check(tmp_path, sc) == 0
    out = capsys.readouterr().out
    assert "small: " in out and "figures against the baseline: none moved" in out and "differs" not in out
    stored = json.loads((tmp_path / "baselines" / "small.json").read_text())["meta"]["scenario_sha256"]
    _scenario(tmp_path, seed=2)
    _check(tmp_path, sc)
    out = capsys.readouterr().out
    assert f"(the scenario differs from the baseline's: sha256 {stored[:12]} then," in out, out
