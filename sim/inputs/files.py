"""Checks every reader makes before it opens a data file: a path that is not a regular file (a folder, a FIFO or
device that would block) or is larger than the reader's limit is refused unread."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def file_problem(path: Path, limit: int) -> str | None:
    """Why ``path`` cannot be read as a data file, or None: missing is left to the reader (it says so), but a path
    with a NUL character, a folder, a FIFO or device (which would block or never end) or a file over ``limit`` bytes
    is refused unread."""
    try:
        st = os.stat(path)
    except ValueError:  # a NUL character
        return "is not a file path (it holds a NUL character)"
    except OSError:  # missing or unreadable: the reader says so
        return None
    if stat.S_ISDIR(st.st_mode):
        return "is a folder"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file (a FIFO, device or socket)"
    if st.st_size > limit:
        return f"is {st.st_size:,} bytes, more than the limit of {limit:,}"
    return None


def first_line(exc: BaseException) -> str:
    """The first line of a library's error (GDAL's run to several), or its type's name when it says nothing."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
