"""Run `regiescan` as a user does: a subprocess with its own Prefect home."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent / "regiescan"
# Without these capabilities root obeys file permissions like any user (chmod 000 works).
_DROP = ["--bounding-set", "-dac_override,-dac_read_search"]


def cli_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(home)
    return env


@functools.lru_cache(maxsize=1)
def permission_prefix() -> tuple[str, ...] | None:
    """A command prefix under which chmod 000 stops reading; None if there is none.

    Not root: no prefix needed. Root (CI containers): setpriv without CAP_DAC_OVERRIDE,
    when setpriv exists and may drop capabilities here.
    """
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    probe = subprocess.run([setpriv, *_DROP, "--", "true"], capture_output=True)
    return (setpriv, *_DROP, "--") if probe.returncode == 0 else None


def run_cli(*args: str, cwd: Path, prefix: tuple[str, ...] = (), **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, str(BIN), *args], cwd=cwd, env=cli_env(cwd / "prefect-home"),
                          capture_output=True, text=True, timeout=600, **kwargs)
