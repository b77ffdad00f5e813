"""Historical outage logs: read a CSV of past outages, map its columns, report and drop bad rows (never silently).

A log has one row per outage: when it began, how long it lasted (hours), where (longitude/latitude or km), and
optionally its cause and the customers it cut off. Column names are mapped with :class:`sim.scenario.LogColumns`.

>>> import io
>>> text = "time_out,duration_h,longitude,latitude\\n2017-10-30 02:00,3.5,-72.6,42.3\\nyesterday,1,-72.6,42.3\\n"
>>> log = read_log(io.StringIO(text), source="storm.csv")
>>> len(log.frame), log.report.dropped
(1, {'time_out is not a date': [3]})
>>> print(log.report)
storm.csv: 2 rows read, 1 dropped: 1 with time_out is not a date (line 3)
"""

from __future__ import annotations

import functools
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from sim.errors import Issue, ScenarioError
from sim.scenario import LogColumns

KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_EQUATOR = 111.320


def looks_like_degrees(xy: np.ndarray) -> bool:
    """Whether ``[[x, y], ...]`` coordinates can only be longitude and latitude: every one within range and the
    longitudes spanning less than 10 degrees (a service area, not a continent). Anything else is taken as metres.

    >>> looks_like_degrees(np.array([[-72.6, 42.3], [-72.1, 42.5]])), looks_like_degrees(np.array([[0, 0], [900, 50]]))
    (True, False)
    """
    xy = np.asarray(xy, float).reshape(-1, 2)
    return bool(len(xy) and np.all(np.abs(xy[:, 0]) <= 180) and np.all(np.abs(xy[:, 1]) <= 90)
                and np.ptp(xy[:, 0]) < 10)


def project(lon: np.ndarray, lat: np.ndarray, origin: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Degrees to km east and north of ``origin`` (lon, lat): equirectangular, good to well under 1 % over the
    100 km of a service area.

    >>> x, y = project(np.array([-72.5]), np.array([42.4]), (-72.6, 42.3))
    >>> round(float(x[0]), 2), round(float(y[0]), 2)
    (8.23, 11.06)
    """
    lon0, lat0 = origin
    x = (np.asarray(lon, float) - lon0) * KM_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(lat0))
    y = (np.asarray(lat, float) - lat0) * KM_PER_DEGREE_LAT
    return x, y


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


def read_log(path: str | Path | IO[str], columns: LogColumns | dict[str, Any] | None = None,
             source: str | None = None) -> OutageLog:
    """Read an outage log CSV. Rows that cannot be used are dropped and listed in ``report``; a log that cannot be
    used at all (missing file or columns, no rows, no valid row) raises ScenarioError (exit code 2)."""
    cols = columns if isinstance(columns, LogColumns) else LogColumns.model_validate(columns or {})
    name = source or (str(path) if not isinstance(path, io.IOBase) else "<log>")
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

    text = raw[cols.time_out].str.strip()
    when = pd.to_datetime(text, errors="coerce", format="mixed")
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_localize(None)
    bad = when.isna().to_numpy()
    report.drop(f"{cols.time_out} is not a date", line[bad & ok])
    ok &= ~bad
    out["time_out"] = when.to_numpy()

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
    return OutageLog(frame, report)


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int, size: int, columns_json: str) -> OutageLog:
    return read_log(path, LogColumns.model_validate_json(columns_json))


def read_log_cached(path: str | Path, columns: LogColumns) -> OutageLog:
    """read_log, read once per process for each (file version, column map): replications reuse it."""
    p = os.path.abspath(path)
    try:
        st = os.stat(p)
    except OSError:
        raise _fail(str(path), "file not found; expected a CSV outage log") from None
    return _cached(p, st.st_mtime_ns, st.st_size, columns.model_dump_json())
