"""Reading JSON Lines with line numbers: every JSONL reader in regiescan goes through here,
so every one reports a bad line the same way and decides itself whether to stop or skip."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator


@dataclass(frozen=True)
class JsonlLine:
    number: int  # 1-based line number in the file
    value: Any  # the parsed JSON value; None when `error` is set
    error: str | None


def jsonl_lines(lines: Iterable[str]) -> Iterator[JsonlLine]:
    """Parsed non-blank lines; a line that is not JSON comes back with `error` set."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield JsonlLine(number, json.loads(line), None)
        except json.JSONDecodeError as exc:
            yield JsonlLine(number, None, f"not valid JSON ({exc.msg})")
