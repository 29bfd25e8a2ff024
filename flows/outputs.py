"""Run folders: outputs/<run-id>/ written atomically, outputs/latest -> newest complete run.

A run writes into outputs/.partial-<run-id>/ and is renamed into place only when every
file is written, so a killed run never leaves a folder that looks complete and `latest`
never points at a partial run.

A run holds an exclusive lock (flock) on outputs/.partial-<run-id>.lock from before its
partial folder exists until it is published; the kernel releases it when the process dies,
however it dies. A new run removes every partial folder whose lock nobody holds: the
leftovers of killed runs, never the folder of a run still going.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

LATEST = "latest"
PARTIAL_PREFIX = ".partial-"
LOCK_SUFFIX = ".lock"
ORPHAN_LOCK_SECONDS = 3600  # a lock file without a folder this old is a leftover

logger = logging.getLogger(__name__)


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def safe_component(name: str, fallback: str = "item") -> str:
    """A string usable as one path component: no separators, no dot-dot, no odd characters."""
    cleaned = re.sub(r"[^0-9A-Za-z._-]+", "-", name).strip("-.")
    return cleaned[:120] or fallback


def _read_umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# Read once, at import, before any worker thread exists: the umask can only be read by
# setting it, and a file another thread created between the two calls would get mode 0666.
UMASK = _read_umask()


def shared_mode(mode: int) -> int:
    """`mode` as the user's umask leaves it (mkstemp and mkdtemp create 0600 and 0700 files)."""
    return mode & ~UMASK


def _temp_beside(path: Path) -> tuple[int, str]:
    """A temporary file in the target's folder (same filesystem, so os.replace is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.chmod(tmp, shared_mode(0o666))  # outputs are meant to be shared
    return fd, tmp


def atomic_write_bytes(path: Path, data: bytes, durable: bool = True) -> None:
    """Write `data` to `path` all at once or not at all; `durable` also waits until it is on
    disk (fsync), which matters for outputs, not for a cache whose entries are checked."""
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    fd, tmp = _temp_beside(path)
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RunFolder:
    """The folder one run writes into; `commit()` publishes it.

    Opening one removes the partial folders of runs that died (see the module docstring);
    their names are in `removed_stale`.
    """

    def __init__(self, out_root: Path, run_id: str | None = None) -> None:
        self.out_root = out_root
        self.run_id = run_id or new_run_id()
        self.final = out_root / self.run_id
        self.work = out_root / f"{PARTIAL_PREFIX}{self.run_id}"
        out_root.mkdir(parents=True, exist_ok=True)
        self._lock_path = out_root / f"{PARTIAL_PREFIX}{self.run_id}{LOCK_SUFFIX}"
        self._lock_fd: int | None = _try_lock(self._lock_path)
        if self._lock_fd is None:
            raise FileExistsError(f"run {self.run_id} is already being written in {out_root}")
        self.work.mkdir(exist_ok=False)
        self.removed_stale = remove_stale_partials(out_root)

    def path(self, name: str) -> Path:
        return self.work / name

    def commit(self, point_latest_here: bool = True) -> Path:
        os.replace(self.work, self.final)
        if point_latest_here:
            point_latest(self.out_root, self.final)
        self._release()
        return self.final

    def discard(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)
        self._release()

    def _release(self) -> None:
        if self._lock_fd is not None:
            self._lock_path.unlink(missing_ok=True)
            os.close(self._lock_fd)
            self._lock_fd = None


def _try_lock(path: Path) -> int | None:
    """An fd holding an exclusive lock on `path` (created if needed); None if another holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, shared_mode(0o666))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def remove_stale_partials(out_root: Path) -> list[str]:
    """Remove the partial folders of runs that are no longer running; their names."""
    removed: list[str] = []
    for entry in sorted(out_root.glob(f"{PARTIAL_PREFIX}*")):
        if entry.name.endswith(LOCK_SUFFIX) or not entry.is_dir() or entry.is_symlink():
            continue
        lock_path = entry.with_name(entry.name + LOCK_SUFFIX)
        fd = _try_lock(lock_path)
        if fd is None:
            continue  # its run is alive
        try:
            shutil.rmtree(entry, ignore_errors=True)
            lock_path.unlink(missing_ok=True)
        finally:
            os.close(fd)
        logger.info("removed %s, left behind by a run that did not finish", entry.name)
        removed.append(entry.name)
    # A lock file without its folder: a run killed just before creating it or just after
    # publishing. Only old ones: a run starting now holds its lock before its folder exists.
    for lock_path in out_root.glob(f"{PARTIAL_PREFIX}*{LOCK_SUFFIX}"):
        folder = lock_path.with_name(lock_path.name[: -len(LOCK_SUFFIX)])
        try:
            old = time.time() - lock_path.stat().st_mtime > ORPHAN_LOCK_SECONDS
        except OSError:
            continue
        if old and not folder.exists():
            fd = _try_lock(lock_path)
            if fd is not None:
                lock_path.unlink(missing_ok=True)
                os.close(fd)
    return removed


def point_latest(out_root: Path, target: Path) -> None:
    """Swap outputs/latest to target in one rename (a symlink, relative so the tree can move)."""
    link = out_root / LATEST
    tmp = out_root / f".{LATEST}.{secrets.token_hex(4)}"
    os.symlink(target.name, tmp)
    os.replace(tmp, link)
