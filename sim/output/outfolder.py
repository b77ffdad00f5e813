"""Output folders: stormcrew writes only where it may, one writer at a time, and never loses the previous run.

A folder stormcrew writes carries a marker file, ``.stormcrew``, that says what kind of output it holds (``run``,
``sweep``, ``compare``, ``baselines``). :func:`claim` is called before any work is done; it refuses, with exit
code 2, a folder that is neither absent, empty, nor marked as the same kind (an unmarked folder is accepted only
when every file in it is one stormcrew writes for that kind, as folders from before the marker are); it takes a
lock so a second writer is refused rather than silently replaced; it checks that the parent is writable, has the
free space asked for and accepts the name; and it cleans up what an earlier, killed writer left beside the
folder.

:meth:`OutputFolder.replace` then swaps a complete new folder in. With ``renameat2(RENAME_EXCHANGE)`` (Linux)
the old and the new folder trade places in one step, so at every instant ``DIR`` is one complete folder. Where
the platform has no exchange, the old folder is first moved into ``.DIR.old-*/``: a process killed between the
two renames leaves ``DIR`` absent for a moment, and the next :func:`claim` moves the old folder back.

>>> import tempfile, pathlib
>>> parent = pathlib.Path(tempfile.mkdtemp())
>>> with claim(parent / "run1", "run") as folder:
...     _ = folder.replace(lambda tmp: (tmp / "summary.json").write_text("{}"))
>>> sorted(p.name for p in (parent / "run1").iterdir())
['.stormcrew', 'summary.json']
>>> (parent / "notes").mkdir(); _ = (parent / "notes" / "thesis.tex").write_text("...")
>>> try:
...     claim(parent / "notes", "run")
... except InputError as exc:
...     print(str(exc).split(": ", 1)[1])
holds files stormcrew did not write (thesis.tex); expected an absent or empty folder or a stormcrew run folder; \
choose another folder
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from glob import escape as glob_escape
from pathlib import Path
from typing import Any

from sim.atomic import write_text
from sim.errors import InputError

MARKER = ".stormcrew"
"""The file that marks a folder as stormcrew output of one kind."""


KNOWN = {
    "run": {"faults.parquet", "units.parquet", "replications.parquet", "storms.parquet", "timeseries.parquet",
            "restoration.parquet", "days.parquet", "dispatches.parquet", "unit_summary.parquet", "roads.parquet",
            "plans.parquet",
            "summary.json", "scenario.resolved.yaml", "report.html"},
    "sweep": {"sweep.json", "points.parquet", "figures", "report.html"},
    "compare": {"comparison.parquet", "report.html"},
    "baselines": {"*.json"},
}
"""What each kind of folder holds: an unmarked folder holding only these is taken as that kind's."""


TMP, OLD, LOCK = "tmp-", "old-", "lock"


MIN_FREE = 64 * 2**20
"""Free space a folder needs at the least, whatever the caller estimates."""


_RENAME_EXCHANGE = 2


_held: dict[str, OutputFolder] = {}  # folders this process holds the lock of: claim is re-entrant


def _key(path: Path) -> str:
    return os.path.abspath(path)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where the platform or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_cwd = -100
    if fn(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _foreign(folder: Path, kind: str) -> list[str]:
    """Names in ``folder`` that a stormcrew folder of ``kind`` would not hold."""
    known = KNOWN[kind]
    out = []
    for p in sorted(folder.iterdir()):
        ok = p.name in known or (p.suffix == ".json" and "*.json" in known and p.is_file())
        if not ok:
            out.append(p.name)
    return out


def _marker_kind(folder: Path) -> str | None:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("kind") if isinstance(data, dict) else None


class OutputFolder:
    """A claimed output folder: locked against other writers until released. See :func:`claim`."""

    def __init__(self, path: Path, kind: str, what: str):
        self.path = path
        self.kind = kind
        self.what = what  # how messages name the folder: "--out results/x"
        self._lock_fd: int | None = None
        self._depth = 0

    # ------------------------------------------------------------ names beside the folder
    def _hidden(self, tag: str) -> str:
        return f".{self.path.name}.{tag}"

    def _stale(self) -> Iterator[Path]:
        """What writers of this folder leave beside it: ``.NAME.tmp-XXXXXXXX`` and ``.NAME.old-XXXXXXXX``
        (mkdtemp's eight characters, so ``.NAME.tmp-other.tmp-...`` of a folder named ``NAME.tmp-other`` is not
        taken for one)."""
        for tag in (TMP, OLD):
            prefix = self._hidden(tag)
            yield from self.path.parent.glob(glob_escape(prefix) + "?" * 8)

    # ------------------------------------------------------------ claiming
    def _check(self) -> None:
        p = self.path
        name_max = 255
        try:
            name_max = os.pathconf(p.parent if p.parent.is_dir() else ".", "PC_NAME_MAX")
        except (OSError, ValueError):
            pass
        longest = len(os.fsencode(self._hidden(TMP + "x" * 8)))
        if longest > name_max:
            raise InputError(f"{self.what}: the folder name is {len(os.fsencode(p.name))} bytes long; expected at "
                             f"most {name_max - (longest - len(os.fsencode(p.name)))} (the file system allows "
                             f"{name_max}, and stormcrew writes a temporary folder beside it with a longer name)")
        if p.exists() and not p.is_dir():
            raise InputError(f"{self.what}: exists and is not a folder; expected a folder path")
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{self.what}: cannot create its parent folder {p.parent}: "
                             f"{exc.strerror or exc}") from None
        if p.is_dir():
            kind = _marker_kind(p)
            if kind is not None and kind != self.kind:
                raise InputError(f"{self.what}: holds stormcrew {kind} output; expected an absent or empty folder "
                                 f"or a stormcrew {self.kind} folder; choose another folder")
            if kind is None:
                foreign = _foreign(p, self.kind)
                if foreign:
                    shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
                    raise InputError(f"{self.what}: holds files stormcrew did not write ({shown}); expected an "
                                     f"absent or empty folder or a stormcrew {self.kind} folder; choose another "
                                     "folder")

    def _space(self, need_bytes: int) -> None:
        free = shutil.disk_usage(self.path.parent).free
        need = max(MIN_FREE, need_bytes)
        if free < need:
            raise InputError(f"{self.what}: {free / 2**20:.0f} MiB free on its disk; expected at least "
                             f"{need / 2**20:.0f} MiB for the results")

    def _lock(self) -> None:
        """Hold ``.NAME.lock`` beside the folder (flock: the kernel drops it when the process dies, kill -9
        included). The file is removed on release, so a lock taken on a file that was just removed is retried."""
        lock = self.path.parent / self._hidden(LOCK)
        try:
            import fcntl  # noqa: PLC0415 (absent on Windows)
        except ImportError:  # no flock (Windows): one writer at a time is the user's to ensure
            return
        for _ in range(100):
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise InputError(f"{self.what}: cannot write in {self.path.parent}: {exc.strerror or exc}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
                os.close(fd)
                raise InputError(f"{self.what}: another stormcrew process (pid {holder}) is writing this folder; "
                                 "expected one writer at a time: wait for it or choose another folder") from None
            try:
                same = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
                self._lock_fd = fd
                return
            os.close(fd)  # its holder removed it on release: take the new one
        raise InputError(f"{self.what}: could not take the lock {lock}")

    def _recover(self) -> None:
        """Put back a folder a killed writer left moved aside, then remove what it left behind."""
        if not self.path.exists():
            for old in self._stale():
                inside = old / self.path.name
                if old.name.startswith(self._hidden(OLD)) and inside.is_dir():
                    os.rename(inside, self.path)
                    break
        for p in self._stale():
            shutil.rmtree(p, ignore_errors=True)

    def _probe(self) -> None:
        """Make and remove a temporary folder where the new one will be written: the parent is writable and
        takes the name."""
        try:
            shutil.rmtree(tempfile.mkdtemp(prefix=self._hidden(TMP), dir=self.path.parent))
        except OSError as exc:
            raise InputError(f"{self.what}: cannot write in {self.path.parent}: {exc.strerror or exc}") from None

    def acquire(self, need_bytes: int = 0) -> OutputFolder:
        """Check, lock and clean up (see :func:`claim`)."""
        if self._depth == 0:
            self._check()
            self._space(need_bytes)
            self._lock()
            try:
                self._recover()
                self._probe()
            except BaseException:
                self.release()
                raise
            _held[_key(self.path)] = self
        elif need_bytes > 0:  # claimed already (the CLI, before the run): the results' size is known now
            self._space(need_bytes)
        self._depth += 1
        return self

    def release(self) -> None:
        """Let another writer have the folder."""
        self._depth = max(0, self._depth - 1)
        if self._depth == 0:
            _held.pop(_key(self.path), None)
            if self._lock_fd is not None:
                (self.path.parent / self._hidden(LOCK)).unlink(missing_ok=True)  # while still held
                os.close(self._lock_fd)  # closing releases the flock
                self._lock_fd = None

    # ------------------------------------------------------------ writing
    def mark(self, folder: Path | None = None) -> None:
        """Write the marker into ``folder`` (default: the claimed folder itself, for folders written in place)."""

        write_text((folder or self.path) / MARKER, json.dumps({"kind": self.kind, "written_by": "stormcrew"}) + "\n")

    def replace(self, fill: Callable[[Path], Any]) -> Path:
        """``fill(tmp)`` writes the new folder's files into a temporary folder beside the claimed one; then the new
        folder takes the old one's place in one step. If ``fill`` fails, the old folder is untouched."""
        tmp = Path(tempfile.mkdtemp(prefix=self._hidden(TMP), dir=self.path.parent))
        try:
            fill(tmp)
            self.mark(tmp)
            os.chmod(tmp, 0o755)
            if not self.path.exists():
                os.rename(tmp, self.path)
            elif _exchange(tmp, self.path):
                shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old folder
            else:
                old = Path(tempfile.mkdtemp(prefix=self._hidden(OLD), dir=self.path.parent))
                os.rename(self.path, old / self.path.name)
                try:
                    os.rename(tmp, self.path)
                except OSError:
                    os.rename(old / self.path.name, self.path)  # the old folder back where it was
                    raise
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return self.path

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def claim(path: str | Path, kind: str, need_bytes: int = 0, what: str | None = None) -> OutputFolder:
    """Claim ``path`` for output of ``kind`` before any work is done; use as a context manager.

    Refuses (InputError, exit code 2) a path that is a file, a folder holding anything but stormcrew ``kind``
    output, a folder another process is writing, a name too long for the file system, a parent that cannot be
    written or has less than ``need_bytes`` free. Re-entrant within a process."""
    if kind not in KNOWN:
        raise ValueError(f"unknown output kind {kind!r}")
    p = Path(path)
    held = _held.get(_key(p))
    if held is not None:
        return held.acquire(need_bytes)
    return OutputFolder(p, kind, what or str(p)).acquire(need_bytes)


def file_target(path: str | Path, what: str, mark: str) -> Path:
    """Check, before any work, that a single output file can be written at ``path``: not a folder, a parent that
    can be made and written, and no file there that stormcrew did not write (one whose first 4 KiB lack ``mark``,
    the text stormcrew puts at the top of that kind of file)."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{what}: is a folder; expected a file name")
    if p.exists():
        try:
            with open(p, "rb") as f:
                head = f.read(4096)
        except OSError as exc:
            raise InputError(f"{what}: cannot be read: {exc.strerror or exc}") from None
        if mark.encode() not in head:
            raise InputError(f"{what}: exists and was not written by stormcrew; expected a new file name or a file "
                             "stormcrew wrote (it is never overwritten otherwise); choose another name")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"{what}: cannot be written: {exc.strerror or exc}") from None
    return p
