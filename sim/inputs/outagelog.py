"""Historical outage logs: read a CSV of past outages, map its columns, report and drop bad rows (never silently).

A log has one row per outage: when it began, how long it lasted (hours), where (longitude/latitude or km), and
optionally its cause and the customers it cut off. Column names are mapped with :class:`LogColumns`.

>>> import io
>>> text = "time_out,duration_h,longitude,latitude\\n2017-10-30 02:00,3.5,-72.6,42.3\\nyesterday,1,-72.6,42.3\\n"
>>> log = read_log(io.StringIO(text), source="storm.csv")
>>> len(log.frame), log.report.dropped
(1, {'time_out is not a date': [3]})
>>> print(log.report)
storm.csv: 2 rows read, 1 dropped: 1 with time_out is not a date (line 3)

Dates. A log has one date format, and a date is never guessed:

* ISO 8601 (``2017-10-30``, ``2017-10-30 02:00``, ``2017-10-30T02:00:00``, optionally with a UTC offset ``Z``,
  ``-04:00``, ``-0500``) is read strictly: ``2017-02-30`` is not a date.
* ``MM/DD/YYYY`` or ``DD/MM/YYYY`` (with or without ``HH:MM`` or ``HH:MM:SS``) is read only when the rows themselves
  tell the order: some row can only be month first (``10/30/2017``) or only day first (``30/10/2017``) and no row
  contradicts it. A column where every row reads both ways (all days 1-12) is ambiguous, and a column with rows
  that can only be day first and others that can only be month first mixes two conventions: both are refused
  (ScenarioError, exit 2) with example lines and the fix (convert the column to ISO 8601, YYYY-MM-DD HH:MM).
* The log's date format is the format of most of its rows. Rows that are valid dates in another format (a
  ``30/10/2017`` among ISO rows) are not reinterpreted: when they are at most 1 % of the rows (a stray hand edit)
  they are dropped and listed by line (``time_out is not in the log's date format (YYYY-MM-DD HH:MM)``); when more
  (a merge of two exports) the file is refused, because dropping them would bias every rate fitted from the log.
  Rows that are no date in any format are dropped as ``time_out is not a date``.
* UTC offsets. The simulator's clock is the service area's local clock (days, hours of day, the scenario's
  ``start``). When the offsets of a log belong to one local clock (one offset, or two an hour apart: standard and
  daylight-saving time, ``-05:00`` and ``-04:00``), each time is read as the local wall-clock time written and the
  offset dropped; rows without an offset are read as the same local time. When the offsets belong to several time
  zones (``Z`` among ``-05:00``) there is no one local clock: rows with an offset are converted to UTC and rows
  without one are taken as UTC. Either way the report's notes say so.
"""

from __future__ import annotations

import functools
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from sim.bounds import FIRST_YEAR, LAST_YEAR, MAX_CUSTOMERS, MAX_MINUTES
from sim.errors import Issue, ScenarioError
from sim.inputs.files import file_problem
from sim.inputs.logcolumns import LogColumns

MAX_LOG_BYTES = 512 * 2**20
"""Largest outage log read (512 MiB; the real log of six years is 0.6 MB)."""


MAX_DURATION_H = 100_000.0
"""Longest outage a row may record (11 years); longer is a data error (and would make every fitted repair law
absurd), so the row is dropped."""


@dataclass
class LogReport:
    """What reading a log kept and dropped: ``dropped`` maps a reason to the file lines (1-based, header = 1)."""

    source: str
    rows_read: int
    dropped: dict[str, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def rows_dropped(self) -> int:
        """Rows dropped for any reason."""
        return sum(len(v) for v in self.dropped.values())

    def drop(self, reason: str, lines: np.ndarray | list[int]) -> None:
        """Record ``lines`` as dropped for ``reason``."""
        lines = [int(i) for i in lines]
        if lines:
            self.dropped[reason] = sorted(self.dropped.get(reason, []) + lines)

    def __str__(self) -> str:
        head = f"{self.source}: {self.rows_read} rows read, {self.rows_dropped} dropped"
        parts = []
        for reason, lines in self.dropped.items():
            shown = ", ".join(str(i) for i in lines[:5]) + (", ..." if len(lines) > 5 else "")
            parts.append(f"{len(lines)} with {reason} (line{'s' if len(lines) > 1 else ''} {shown})")
        text = head + (": " + "; ".join(parts) if parts else "")
        return "\n".join([text, *self.notes])


@dataclass
class OutageLog:
    """The valid rows of a log: ``time_out`` (datetime64), ``duration_h``, location columns, ``cause``,
    ``customers`` and ``line`` (the row's line in the file)."""

    frame: pd.DataFrame
    report: LogReport

    def between(self, first: str | None = None, last: str | None = None) -> OutageLog:
        """The rows from day ``first`` to day ``last`` inclusive (ISO dates; None leaves that end open)."""
        keep = np.ones(len(self.frame), dtype=bool)
        day = self.frame["time_out"].dt.floor("D")
        if first:
            keep &= (day >= pd.Timestamp(first)).to_numpy()
        if last:
            keep &= (day <= pd.Timestamp(last)).to_numpy()
        frame = self.frame[keep].reset_index(drop=True)
        if frame.empty:
            raise _fail(self.report.source, f"no row between {first or 'the start'} and {last or 'the end'}")
        return OutageLog(frame, self.report)


def _fail(source: str, message: str, line: int | None = None) -> ScenarioError:
    return ScenarioError(source, [Issue((), message, line)])


_ISO = re.compile(r"^(?P<dt>\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?)\s*"
                  r"(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?$")


_SLASH = re.compile(r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})"
                    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$")


ISO_FORMAT = "YYYY-MM-DD HH:MM"


MONTH_FIRST, DAY_FIRST = "MM/DD/YYYY HH:MM", "DD/MM/YYYY HH:MM"


MAX_FOREIGN_SHARE = 0.01
"""Rows in another date format than the log's are dropped up to this share of the rows; beyond, the file is
refused."""


def _offset_minutes(tz: str) -> int | None:
    """``"-04:00"`` -> -240, ``"Z"`` -> 0; None for an impossible offset (beyond ±14:00 or 60 minutes or more)."""
    if tz == "Z":
        return 0
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes >= 60:
        return None
    return (-1 if tz[0] == "-" else 1) * (hours * 60 + minutes)


def _offset_text(minutes: int) -> str:
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _examples(text: pd.Series, line: np.ndarray, mask: np.ndarray, k: int = 3) -> str:
    idx = np.flatnonzero(mask)[:k]
    return ", ".join(f"line {line[i]} {text.iloc[i]!r}" for i in idx)


def read_times(column: pd.Series, col: str, source: str, line: np.ndarray) -> tuple[
        np.ndarray, tuple[str, np.ndarray], list[str]]:
    """Parse a log's time column by the rules of the module docstring (vectorised).

    Returns the times (datetime64[us], NaT where a row is no date), the description of the log's date format with
    the rows valid in another format (to drop), and notes for the report. Raises ScenarioError for a column that
    cannot be read safely.

    >>> t, (fmt, foreign), notes = read_times(pd.Series(["10/30/2017 02:00", "11/02/2017"]), "time_out", "s.csv",
    ...                                       np.array([2, 3]))
    >>> [str(v)[:16] for v in t], fmt
    (['2017-10-30T02:00', '2017-11-02T00:00'], 'MM/DD/YYYY HH:MM')
    >>> print(notes[0])
      time_out read as MM/DD/YYYY HH:MM (month first: line 2 '10/30/2017 02:00')
    """
    text = column.astype(str).str.strip()
    n = len(text)

    def refuse(message: str, mask: np.ndarray) -> ScenarioError:
        first = np.flatnonzero(mask)
        return ScenarioError(source, [Issue((col,), message, int(line[first[0]]) if len(first) else None)])

    iso = text.str.extract(_ISO)
    iso_when = pd.to_datetime(iso["dt"], format="ISO8601", errors="coerce").astype("datetime64[us]").to_numpy()
    tz = iso["tz"].fillna("")
    offsets = {t: _offset_minutes(t) for t in tz.unique() if t}
    offset = tz.map(lambda t: offsets.get(t, 0) if t else 0).fillna(0).to_numpy(dtype=np.int64)
    bad_offset = tz.map(lambda t: bool(t) and offsets.get(t) is None).to_numpy(dtype=bool)
    iso_ok = ~np.isnat(iso_when) & ~bad_offset

    sl = text.str.extract(_SLASH)
    clock = (sl["H"].fillna("0").str.zfill(2) + ":" + sl["M"].fillna("00") + ":" + sl["S"].fillna("00"))
    a, b = sl["a"].str.zfill(2), sl["b"].str.zfill(2)

    def slash(month: pd.Series, day: pd.Series) -> np.ndarray:
        return pd.to_datetime(sl["y"] + "-" + month + "-" + day + " " + clock, format="%Y-%m-%d %H:%M:%S",
                              errors="coerce").astype("datetime64[us]").to_numpy()

    mdy, dmy = slash(a, b), slash(b, a)
    m_ok, d_ok = ~np.isnat(mdy), ~np.isnat(dmy)
    notes: list[str] = []
    if iso_ok.sum() >= (m_ok | d_ok).sum():
        fmt, when, foreign = ISO_FORMAT, np.where(iso_ok, iso_when, np.datetime64("NaT", "us")), m_ok | d_ok
    else:
        only_m, only_d = m_ok & ~d_ok, d_ok & ~m_ok
        if only_m.any() and only_d.any():
            raise refuse(f"mixes day-first and month-first dates: {_examples(text, line, only_d, 2)} can only be "
                         f"DD/MM/YYYY, {_examples(text, line, only_m, 2)} only MM/DD/YYYY; convert the column to "
                         f"ISO 8601 ({ISO_FORMAT}), which cannot be misread", only_d)
        if not (only_m.any() or only_d.any()):
            raise refuse(f"dates read both as DD/MM/YYYY and as MM/DD/YYYY ({_examples(text, line, m_ok)}) and no "
                         "row tells which (no day above 12); convert the column to ISO 8601 "
                         f"({ISO_FORMAT}), which cannot be misread", m_ok)
        first, parsed, evidence = (MONTH_FIRST, mdy, only_m) if only_m.any() else (DAY_FIRST, dmy, only_d)
        fmt, when, foreign = first, parsed, iso_ok
        notes.append(f"  {col} read as {fmt} ({'month' if first == MONTH_FIRST else 'day'} first: "
                     f"{_examples(text, line, evidence, 1)})")
    if foreign.sum() > MAX_FOREIGN_SHARE * n:
        raise refuse(f"{foreign.sum():,} of {n:,} rows are not in the log's date format ({fmt}), e.g. "
                     f"{_examples(text, line, foreign)}: rows in two date formats cannot be read safely (is "
                     f"03/04 March or April?); convert them to {fmt}, or the whole column to ISO 8601 "
                     f"({ISO_FORMAT}), which cannot be misread", foreign)
    if fmt == ISO_FORMAT:
        has_tz = iso_ok & (tz != "").to_numpy()
        if has_tz.any():
            seen = sorted({int(v) for v in offset[has_tz]})
            naive = int((iso_ok & ~has_tz).sum())
            shown = ", ".join(_offset_text(v) for v in seen)
            if len(seen) == 1 or (len(seen) == 2 and seen[1] - seen[0] == 60):
                notes.append(f"  {col}: UTC offset{'s' if len(seen) > 1 else ''} {shown} dropped: times are read "
                             "as the local wall-clock times written"
                             + (f"; {naive:,} rows without an offset are read as the same local time" if naive
                                else ""))
            else:
                when = np.where(has_tz, when - offset.astype("timedelta64[m]"), when)
                notes.append(f"  {col}: UTC offsets of several time zones ({shown}): times converted to UTC, so "
                             "days and hours of day are UTC's"
                             + (f"; {naive:,} rows without an offset are taken as UTC" if naive else ""))
    return when.astype("datetime64[us]"), (fmt, foreign), notes


def read_log(path: str | Path | IO[str], columns: LogColumns | dict[str, Any] | None = None,
             source: str | None = None) -> OutageLog:
    """Read an outage log CSV. Rows that cannot be used are dropped and listed in ``report``; a log that cannot be
    used at all (missing file or columns, no rows, no valid row, dates that cannot be read safely: see the module)
    raises ScenarioError (exit code 2)."""
    cols = columns if isinstance(columns, LogColumns) else LogColumns.model_validate(columns or {})
    name = source or (str(path) if not isinstance(path, io.IOBase) else "<log>")
    if isinstance(path, (str, Path)) and (problem := file_problem(Path(path), MAX_LOG_BYTES)):
        raise _fail(name, f"{problem}; expected a CSV outage log")  # a FIFO or /dev/zero would never end
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise _fail(name, "file not found; expected a CSV outage log") from None
    except pd.errors.EmptyDataError:
        raise _fail(name, "the file is empty; expected a CSV header and one row per outage", 1) from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise _fail(name, f"not a readable CSV file: {str(exc).strip()}") from None
    wanted = {k: v for k, v in cols.model_dump().items() if v is not None}
    missing = [f"{v!r} (for {k})" for k, v in wanted.items() if v not in raw.columns]
    if missing:
        raise _fail(name, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; the file has "
                    f"{list(raw.columns)}; map the names with columns: {{time_out: ..., duration_h: ...}}", 1)
    if raw.empty:
        raise _fail(name, "the file has a header but no rows; expected one row per outage", 1)
    report = LogReport(name, len(raw))
    line = np.arange(len(raw)) + 2
    ok = np.ones(len(raw), dtype=bool)
    out = pd.DataFrame({"line": line})

    when, foreign, notes = read_times(raw[cols.time_out], cols.time_out, name, line)
    report.drop(f"{cols.time_out} is not in the log's date format ({foreign[0]})", line[foreign[1] & ok])
    ok &= ~foreign[1]
    bad = np.isnat(when)
    report.drop(f"{cols.time_out} is not a date", line[bad & ok])
    ok &= ~bad
    # a date a scenario cannot start at (1677 or 9999: a placeholder or a typing error) is not an outage of the log
    far = ~bad & ((when < np.datetime64(f"{FIRST_YEAR}-01-01")) | (when >= np.datetime64(f"{LAST_YEAR + 1}-01-01")))
    report.drop(f"{cols.time_out} is outside the years {FIRST_YEAR}-{LAST_YEAR}", line[far & ok])
    ok &= ~far
    report.notes += notes
    out["time_out"] = when

    def number(col: str | None, what: str, lo: float | None = None, hi: float | None = None,
               strict_lo: bool = False) -> np.ndarray | None:
        nonlocal ok
        if col is None:
            return None
        v = pd.to_numeric(raw[col].str.strip(), errors="coerce").to_numpy(dtype=float)
        nan = ~np.isfinite(v)
        report.drop(f"{col} is not a number", line[nan & ok])
        ok &= ~nan
        if lo is not None:
            low = (v <= lo) if strict_lo else (v < lo)
            low &= ~nan
            report.drop(f"{col} {what}", line[low & ok])
            ok &= ~low
        if hi is not None:
            high = (v > hi) & ~nan
            report.drop(f"{col} {what}", line[high & ok])
            ok &= ~high
        return v

    dur = number(cols.duration_h, "is negative", lo=0.0)
    if dur is not None:
        long = ok & (dur > MAX_DURATION_H)
        report.drop(f"{cols.duration_h} is over {MAX_DURATION_H:,.0f} hours", line[long])
        ok &= ~long
    out["duration_h"] = dur if dur is not None else np.nan
    for key, lim in (("longitude", 180.0), ("latitude", 90.0)):
        v = number(getattr(cols, key), f"is outside [-{lim:g}, {lim:g}]", lo=-lim, hi=lim)
        if v is not None:
            out[key] = v
    for key in ("x_km", "y_km"):
        v = number(getattr(cols, key), "")
        if v is not None:
            out[key] = v
    cust = number(cols.customers, "is negative", lo=0.0)
    if cust is not None:
        many = ok & (cust > MAX_CUSTOMERS)
        report.drop(f"{cols.customers} is over {MAX_CUSTOMERS:,}", line[many])
        ok &= ~many
        out["customers"] = cust
    if cols.cause is not None:
        out["cause"] = raw[cols.cause].str.strip().to_numpy()
    if dur is not None:
        zero = int(((dur == 0) & ok).sum())
        if zero:
            report.notes.append(f"  kept {zero} rows with {cols.duration_h} = 0 (momentary or unrecorded); "
                                "fits of durations leave them out")
    frame = out[ok].sort_values(["time_out", "line"], kind="stable").reset_index(drop=True)
    if frame.empty:
        raise _fail(name, f"no usable row: {report}")
    first, last = frame.iloc[0], frame.iloc[-1]
    if (last["time_out"] - first["time_out"]).total_seconds() / 60.0 > MAX_MINUTES:
        middle = frame["time_out"].iloc[len(frame) // 2]
        odd = first if middle - first["time_out"] > last["time_out"] - middle else last  # the row far from the rest
        raise ScenarioError(name, [Issue((cols.time_out,), f"the rows span {first['time_out']:%Y-%m-%d} (line "
                                         f"{first['line']}) to {last['time_out']:%Y-%m-%d} (line {last['line']}), "
                                         f"more than {MAX_MINUTES / 525960:.0f} years; expected the outages of one "
                                         "service history (is a date mistyped?)", int(odd["line"]))])
    return OutageLog(frame, report)


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int, size: int, columns_json: str) -> OutageLog:
    return read_log(path, LogColumns.model_validate_json(columns_json))


def read_log_cached(path: str | Path, columns: LogColumns) -> OutageLog:
    """read_log, read once per process for each (file version, column map): replications reuse it."""
    try:
        p = os.path.abspath(path)
        st = os.stat(p)
    except (OSError, ValueError):  # ValueError: a NUL character in the path
        problem = file_problem(Path(path), MAX_LOG_BYTES) or "file not found"
        raise _fail(str(path), f"{problem}; expected a CSV outage log") from None
    return _cached(p, st.st_mtime_ns, st.st_size, columns.model_dump_json())
