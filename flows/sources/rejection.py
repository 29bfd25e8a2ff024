"""The one way an input is turned away: a reason code (stable, for tables) and a message."""

from __future__ import annotations


class Rejected(Exception):
    """Raised by readers and metadata parsers; the ingest step records it, never crashes."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
