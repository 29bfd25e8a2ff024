"""Reading JSON Lines with line numbers: classify input, gold files and annotations go through
here, so each reports a bad line the same way and decides itself whether to stop or skip.
(Manifests have their own reader with Dutch messages, flows/sources/metadata.py.)"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator


@dataclass(frozen=True)
class JsonlLine:
    number: int  # 1-based line number in the file
    value: Any  # the parsed JSON value; None when `error` is set
    error: str | None


def jsonl_lines(lines: Iterable[str] | Iterable[bytes]) -> Iterator[JsonlLine]:
    """Parsed non-blank lines; a line that is not JSON comes back with `error` set.

    Pass byte lines (a file opened "rb") to have a line that is not UTF-8 come back as an
    error too: decoding the whole file as text would fail the whole file on that one line.
    A UTF-8 byte order mark before the first line (Windows editors and Excel write one) is
    not part of the JSON."""
    for number, line in enumerate(lines, start=1):
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf") if isinstance(line, bytes) else line.removeprefix("\ufeff")
        if not line.strip():
            continue
        if isinstance(line, bytes):
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield JsonlLine(number, None, f"not valid UTF-8 (byte 0x{line[exc.start]:02x} at byte {exc.start + 1} of the line)")
                continue
        else:
            text = line
        try:
            yield JsonlLine(number, json.loads(text), None)
        except json.JSONDecodeError as exc:
            yield JsonlLine(number, None, f"not valid JSON ({exc.msg})")
