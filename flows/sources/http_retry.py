"""JSON over HTTP with bounded retries: exponential backoff with full jitter, Retry-After honoured.

Transient failures (timeouts, connection errors, 5xx, 429, a body that is not JSON)
are retried up to `max_attempts`; anything else fails at once. Every wait is capped,
so a misbehaving server can slow a run down but never hang it.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_base: float = 1.0  # seconds; attempt n waits uniform(0, min(cap, base * 2**(n-1)))
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0  # a server asking for longer still only gets this

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.backoff_base, self.backoff_cap, self.retry_after_cap) < 0:
            raise ValueError("backoff and cap seconds must not be negative")

    def backoff(self, attempt: int, rng: random.Random) -> float:
        # Full jitter (AWS architecture blog): spreads clients out better than equal jitter.
        return rng.uniform(0.0, min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))


@dataclass
class RetryLog:
    """What the retries cost, for the run summary."""

    retries: int = 0
    waited_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # one line per failed attempt


class RequestFailed(RuntimeError):
    """The request failed for good: a non-retryable answer, or every attempt failed."""

    def __init__(self, message: str, attempts: int, status: int | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.status = status


class _Transient(Exception):
    def __init__(self, problem: str, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _attempt(client: httpx.Client, method: str, url: str, body: Any, params: dict[str, Any] | None) -> Any:
    try:
        response = client.request(method, url, json=body, params=params)
    except httpx.TimeoutException as exc:
        raise _Transient(f"timed out ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise _Transient(f"connection failed ({type(exc).__name__}: {exc})") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise _Transient(
            f"HTTP {response.status_code}", parse_retry_after(response.headers.get("Retry-After"))
        )
    if response.status_code >= 400:
        raise RequestFailed(
            f"HTTP {response.status_code} from {url}: {response.text[:300]!r}", 1, response.status_code
        )
    try:
        return json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        # A proxy cutting a large body short looks like this, so it is worth another try.
        raise _Transient(f"response is not valid JSON ({exc})") from exc


def request_json(
    client: httpx.Client,
    method: str,
    url: str,
    body: Any,
    policy: RetryPolicy,
    log: RetryLog,
    rng: random.Random,
    params: dict[str, Any] | None = None,
) -> Any:
    """The decoded JSON answer; RequestFailed naming the URL and the last problem otherwise."""
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return _attempt(client, method, url, body, params)
        except RequestFailed as exc:
            exc.attempts = attempt
            raise
        except _Transient as exc:
            log.problems.append(f"attempt {attempt}: {exc}")
            if attempt == policy.max_attempts:
                raise RequestFailed(
                    f"{method} {url} failed after {attempt} attempt(s): {exc}", attempt
                ) from exc
            if exc.retry_after is not None:
                wait = min(exc.retry_after, policy.retry_after_cap)
            else:
                wait = policy.backoff(attempt, rng)
            log.retries += 1
            log.waited_seconds += wait
            time.sleep(wait)
    raise AssertionError("unreachable")  # the loop returns or raises
