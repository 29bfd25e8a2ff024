"""On-disk state of the ORI source: raw responses (for exact offline replays) and watermarks.

Layout under the cache root (corpora/ori_cache/ by default):

    <key>/<sha256 of the request body>.json   {"request", "response", "fetched_at"}
    <key>/index.json                          pages fetched, and the plan of the last run
    watermarks.json                           per key: newest last_discussed_at seen + ids at it

A page is found again by hashing the request that asks for it, so a replay walks the
same search_after chain as the original run without any network.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.outputs import atomic_write_json, safe_component

WATERMARKS_FILE = "watermarks.json"
INDEX_FILE = "index.json"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_json(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def parse_timestamp(value: Any) -> dt.datetime | None:
    """An ORI date as naive UTC at millisecond precision (what Elasticsearch stores); None if bad.

    ES reads a date without offset as UTC, so naive values are taken as they are.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


def format_timestamp(value: dt.datetime) -> str:
    """The form sent in range filters: matches the mapping's strict_date_time format."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class ResponseCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, key: str) -> Path:
        return self.root / safe_component(key)

    def get(self, key: str, request: dict[str, Any]) -> Any | None:
        """The stored response to exactly this request, or None."""
        entry = _read_json(self._dir(key) / f"{sha256_json(request)}.json", None)
        return None if entry is None else entry["response"]

    def put(self, key: str, request: dict[str, Any], response: Any, n_hits: int) -> str:
        request_hash = sha256_json(request)
        folder = self._dir(key)
        atomic_write_json(folder / f"{request_hash}.json",
                          {"request": request, "response": response, "fetched_at": _now()})
        index = _read_json(folder / INDEX_FILE, {"pages": {}, "runs": {}})
        index["pages"][request_hash] = {"n_hits": n_hits, "fetched_at": _now()}
        atomic_write_json(folder / INDEX_FILE, index)
        return request_hash

    def record_run(self, key: str, signature: dict[str, Any], plan: dict[str, Any]) -> None:
        """Remember the plan of a completed online run, so `--offline` can repeat it."""
        folder = self._dir(key)
        index = _read_json(folder / INDEX_FILE, {"pages": {}, "runs": {}})
        index["runs"][canonical_json(signature)] = {**plan, "recorded_at": _now()}
        atomic_write_json(folder / INDEX_FILE, index)

    def last_run(self, key: str, signature: dict[str, Any]) -> dict[str, Any] | None:
        index = _read_json(self._dir(key) / INDEX_FILE, {"runs": {}})
        return index["runs"].get(canonical_json(signature))


@dataclass(frozen=True)
class Watermark:
    last_discussed_at: dt.datetime
    ids_at_watermark: frozenset[str]  # documents at exactly that moment, already delivered


class WatermarkStore:
    def __init__(self, root: Path) -> None:
        self.path = root / WATERMARKS_FILE

    def get(self, key: str) -> Watermark | None:
        entry = _read_json(self.path, {}).get(key)
        if entry is None:
            return None
        moment = parse_timestamp(entry["last_discussed_at"])
        if moment is None:
            raise ValueError(f"{self.path}: bad watermark for {key!r}: {entry['last_discussed_at']!r}")
        return Watermark(moment, frozenset(entry.get("ids_at_watermark", [])))

    def advance(self, key: str, seen: Watermark, fetched_from: dt.datetime | None) -> Watermark:
        """Move the watermark forward to `seen`; returns the stored one.

        Never backwards, and not when the run started after the stored watermark: the
        documents in between were never fetched.
        """
        current = self.get(key)
        if current is not None and (
            current.last_discussed_at > seen.last_discussed_at
            or (fetched_from is not None and fetched_from > current.last_discussed_at)
        ):
            return current
        if current is not None and current.last_discussed_at == seen.last_discussed_at:
            seen = Watermark(seen.last_discussed_at, current.ids_at_watermark | seen.ids_at_watermark)
        data = _read_json(self.path, {})
        data[key] = {
            "last_discussed_at": format_timestamp(seen.last_discussed_at),
            "ids_at_watermark": sorted(seen.ids_at_watermark),
            "updated_at": _now(),
        }
        atomic_write_json(self.path, data)
        return seen
