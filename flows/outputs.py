"""Run folders: outputs/<run-id>/ written atomically, outputs/latest -> newest complete run.

A run writes into outputs/.partial-<run-id>/ and is renamed into place only when every
file is written, so a killed run never leaves a folder that looks complete and `latest`
never points at a partial run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

LATEST = "latest"
PARTIAL_PREFIX = ".partial-"


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def safe_component(name: str, fallback: str = "item") -> str:
    """A string usable as one path component: no separators, no dot-dot, no odd characters."""
    cleaned = re.sub(r"[^0-9A-Za-z._-]+", "-", name).strip("-.")
    return cleaned[:120] or fallback


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _temp_beside(path: Path) -> tuple[int, str]:
    """A temporary file in the target's folder (same filesystem, so os.replace is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; outputs are meant to be shared
    return fd, tmp


def atomic_write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
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
    """The folder one run writes into; `commit()` publishes it."""

    def __init__(self, out_root: Path, run_id: str | None = None) -> None:
        self.out_root = out_root
        self.run_id = run_id or new_run_id()
        self.final = out_root / self.run_id
        self.work = out_root / f"{PARTIAL_PREFIX}{self.run_id}"
        self.work.mkdir(parents=True, exist_ok=False)

    def path(self, name: str) -> Path:
        return self.work / name

    def commit(self) -> Path:
        os.replace(self.work, self.final)
        point_latest(self.out_root, self.final)
        return self.final

    def discard(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def point_latest(out_root: Path, target: Path) -> None:
    """Swap outputs/latest to target in one rename (a symlink, relative so the tree can move)."""
    link = out_root / LATEST
    tmp = out_root / f".{LATEST}.{secrets.token_hex(4)}"
    os.symlink(target.name, tmp)
    os.replace(tmp, link)
