"""A daily SAIDI history (CSV ``date,saidi_min``, or a results folder's ``days.parquet``), from which IEEE 1366
takes the major event day threshold T_MED."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.errors import Issue, ScenarioError

if TYPE_CHECKING:  # the scenario reads its history file through this module: a back-edge for types only
    pass


# ---------------------------------------------------------------- a stated daily history


HISTORY_YEARS = 5
"""IEEE 1366 takes T_MED from (up to) the last five years of daily SAIDI."""


HISTORY_COLUMNS = ("date", "saidi_min")


def _fail(source: str, message: str, line: int | None = None) -> ScenarioError:
    return ScenarioError(source, [Issue((), message, line)])


def read_csv(path: Path, name: str) -> tuple[np.ndarray, str]:
    expect = "expected a CSV with a header date,saidi_min and one row per day (YYYY-MM-DD, SAIDI minutes >= 0)"
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise _fail(name, f"the file is empty; {expect}", 1) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise _fail(name, f"not a readable CSV file ({str(exc).strip()}); {expect}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in HISTORY_COLUMNS if c not in raw.columns]
    if missing:
        raise _fail(name, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}; the "
                    f"file has {list(raw.columns)}; {expect}", 1)
    if raw.empty:
        raise _fail(name, f"the file has a header but no rows; {expect}", 1)
    line = np.arange(len(raw)) + 2
    text_date, text_saidi = raw["date"].str.strip(), raw["saidi_min"].str.strip()
    date = pd.to_datetime(text_date, format="%Y-%m-%d", errors="coerce")
    saidi = pd.to_numeric(text_saidi, errors="coerce").to_numpy(float)
    issues = []

    def report(mask: np.ndarray, message: Any) -> None:
        """One issue for the first row where ``mask`` holds (its line), saying how many more there are."""
        at = np.flatnonzero(mask)
        if len(at):
            more = f" ({len(at) - 1} more row{'s' if len(at) > 2 else ''} like it)" if len(at) > 1 else ""
            issues.append(Issue((), message(at[0]) + more, int(line[at[0]])))

    bad_date = date.isna().to_numpy()
    report(bad_date, lambda i: f"date {text_date.iloc[i]!r} is not a date YYYY-MM-DD")
    dup = date.duplicated(keep="first").to_numpy() & ~bad_date
    report(dup, lambda i: f"date {text_date.iloc[i]} is listed twice (first at line "
           f"{int(line[np.flatnonzero((date == date.iloc[i]).to_numpy())[0]])}); expected one row per day")
    nan = ~np.isfinite(saidi)
    report(nan, lambda i: f"saidi_min {text_saidi.iloc[i]!r} is not a number; expected SAIDI minutes >= 0")
    report(~nan & (np.nan_to_num(saidi) < 0),
           lambda i: f"saidi_min {text_saidi.iloc[i]} is negative; expected SAIDI minutes >= 0")
    if issues:
        raise ScenarioError(name, sorted(issues, key=lambda i: i.line or 0))
    last = date.max()
    keep = (date > last - pd.DateOffset(years=HISTORY_YEARS)).to_numpy()
    values = saidi[keep][np.argsort(date[keep].to_numpy(), kind="stable")]
    first_day = date[keep].min()
    return values, (f"{len(values)} days of daily SAIDI from {first_day:%Y-%m-%d} to {last:%Y-%m-%d}"
                    + (f" (the last {HISTORY_YEARS} years of {len(saidi)})" if not keep.all() else ""))


def read_parquet(path: Path, name: str) -> tuple[np.ndarray, str]:
    expect = "expected a results folder's days.parquet (columns replication, date, SAIDI, ...)"
    try:
        days = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many kinds for a damaged or foreign file
        raise _fail(name, f"not a readable parquet file ({str(exc).strip() or type(exc).__name__}); {expect}") \
            from None
    if "SAIDI" not in days.columns:
        raise _fail(name, f"missing column 'SAIDI'; the file has {list(days.columns)}; {expect}")
    if days.empty:
        raise _fail(name, f"the file has no rows; {expect}")
    if "replication" in days.columns:
        days = days.sort_values("replication", kind="stable")
    saidi = pd.to_numeric(days["SAIDI"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(saidi) | (np.nan_to_num(saidi) < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _fail(name, f"SAIDI of row {i + 1} is {days['SAIDI'].iloc[i]!r}; expected SAIDI minutes >= 0")
    reps = days["replication"].nunique() if "replication" in days.columns else 1
    return saidi, f"{len(saidi)} days of daily SAIDI of {reps} replications pooled"


def read_history(path: str | Path) -> tuple[np.ndarray, str]:
    """The daily SAIDI values of a history file (CSV ``date,saidi_min``: its last five years; a ``days.parquet``
    or a results folder holding one: every replication's days pooled) and a description. Raises ScenarioError
    naming the file, the line and what is expected."""
    p = Path(path)
    if p.is_dir() and (p / "days.parquet").is_file():
        p = p / "days.parquet"
    name = str(p)
    if p.is_dir():
        raise _fail(name, "a folder without days.parquet; expected a CSV of daily SAIDI (date,saidi_min) or a "
                    "results folder")
    if not p.is_file():
        raise _fail(name, "file not found; expected a CSV of daily SAIDI (date,saidi_min) or a results folder's "
                    "days.parquet")
    values, what = (read_parquet if p.suffix.lower() == ".parquet" else read_csv)(p, name)
    nonzero = int((values > 0).sum())
    if nonzero < 2:
        raise _fail(name, f"{nonzero} day{'s' if nonzero != 1 else ''} with SAIDI > 0; expected at least two "
                    "(the 2.5 beta method needs the standard deviation of their logs)")
    return values, f"{what}, {nonzero} with SAIDI > 0, in {name}"


@functools.lru_cache(maxsize=16)
def _cached(path: str, mtime_ns: int, size: int) -> tuple[np.ndarray, str]:
    values, what = read_history(path)
    values.setflags(write=False)  # shared by every caller of the process
    return values, what


def read_history_cached(path: str | Path) -> tuple[np.ndarray, str]:
    """read_history, once per process for each version of the file (the scenario check and every replication)."""
    p = Path(path)
    if p.is_dir() and (p / "days.parquet").is_file():
        p = p / "days.parquet"
    try:
        st = os.stat(p)
    except OSError:
        return _cached(str(p), 0, -1)  # raises: file not found
    return _cached(os.path.abspath(p), st.st_mtime_ns, st.st_size)
