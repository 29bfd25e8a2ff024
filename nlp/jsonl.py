"""Reading JSON Lines with line numbers: classify input, gold files and annotations go through
here, so each reports a bad line the same way and decides itself whether to stop or skip.
(Manifests have their own reader with Dutch messages, flows/sources/metadata.py.)"""

from __future__ import annotations

import json
import math
import re
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
            value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
        except json.JSONDecodeError as exc:
            yield JsonlLine(number, None, f"not valid JSON ({exc.msg})")
        except ValueError as exc:  # from the two parse hooks
            yield JsonlLine(number, None, f"not valid JSON ({exc})")
        except RecursionError:
            yield JsonlLine(number, None, "not valid JSON (nested too deeply)")
        else:
            problem = _unencodable(value)
            yield JsonlLine(number, None if problem else value, problem)


# A \ud800-\udfff escape without its pair: json.loads accepts it, but it is no character, so
# the text cannot be analysed (spaCy raised UnicodeEncodeError) nor written back as UTF-8.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):  # 1e400: would be written back as Infinity, which is not JSON
        raise ValueError(f"{literal} is out of range")
    return number


def _unencodable(value: Any) -> str | None:
    """Why a parsed value cannot be handled as Unicode text, or None."""
    stack = [value]
    while stack:  # not recursive: the nesting depth is the line's
        item = stack.pop()
        if isinstance(item, str):
            found = _LONE_SURROGATE.search(item)
            if found:
                return f"a string holds an unpaired surrogate (\\u{ord(found.group()):04x}), which is not a character"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
