"""The one way an input is turned away: a reason code (stable, for tables) and a message."""

from __future__ import annotations

from pathlib import Path

import yaml

# code -> what it means (reason_codes.yml; docs/tables.md lists them).
REASON_CODES: dict[str, str] = yaml.safe_load((Path(__file__).with_name("reason_codes.yml")).read_text(encoding="utf-8"))


class Rejected(Exception):
    """Raised by readers and metadata parsers; the ingest step records it, never crashes."""

    def __init__(self, code: str, reason: str) -> None:
        if code not in REASON_CODES:  # a programming error: every code is documented
            raise ValueError(f"unknown reason code {code!r}: add it to flows/sources/reason_codes.yml")
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
