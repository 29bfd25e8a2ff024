"""Open Raadsinformatie clients: the OriClient interface and its ORI Classic implementation.

ORI Classic is a read-only Elasticsearch 7 proxy (FORMAT.md in the shared reference).
Its successor (openbesluitvorming.nl) drops free ES queries and search_after, so the
source only talks to the small `OriClient` interface; a successor client yields the
same `OriPage`s with Classic field names (its document schema keeps them).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Protocol

import httpx

from flows.sources.http_retry import RequestFailed, RetryLog, RetryPolicy, request_json
from flows.sources.ori_cache import ResponseCache, format_timestamp

DEFAULT_BASE_URL = "https://api.openraadsinformatie.nl/v1/elastic"
USER_AGENT = "regiescan (research harvester of council documents; Open Raadsinformatie)"

# Only what becomes a document; whole texts dominate the response size (FORMAT.md section 4).
SOURCE_FIELDS = [
    "@id", "@type", "name", "classification", "original_url", "url", "last_discussed_at",
    "has_organization_name", "is_referenced_by", "content_type", "file_name", "md_text", "text",
]
# Ascending, so a harvest moves towards the watermark it will store; @id is a keyword,
# a cheap and unique tie-breaker (_id sorting needs fielddata in ES 7).
SORT = [{"last_discussed_at": {"order": "asc"}}, {"@id": {"order": "asc"}}]


class OriError(RuntimeError):
    """A harvest that cannot go on; the message says what to do."""


class OriRequestFailed(OriError):
    pass


class OriCacheMiss(OriError):
    pass


class OriResponseError(OriError):
    pass


@dataclass(frozen=True)
class SearchSpec:
    key: str  # source key, names the cache folder
    index: str  # index alias, e.g. "ori_utrecht"
    since: dt.datetime | None = None  # inclusive, naive UTC
    before: dt.datetime | None = None  # exclusive, naive UTC
    query: str | None = None


@dataclass(frozen=True)
class OriHit:
    doc_id: str
    fields: Mapping[str, Any]  # Classic field names: name, text, md_text, last_discussed_at, ...
    raw: dict[str, Any]  # the hit as received; its hash is the candidate's digest


@dataclass(frozen=True)
class OriPage:
    key: str
    number: int  # 1-based
    hits: list[OriHit]
    total: int | None  # matching documents overall, when the server says
    from_cache: bool


class OriClient(Protocol):
    name: str
    retry_log: RetryLog

    def search(self, spec: SearchSpec) -> Iterator[OriPage]:
        """Every matching document, page by page, oldest last_discussed_at first."""
        ...


def build_search_body(spec: SearchSpec, size: int, search_after: list[Any] | None = None) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [{"term": {"@type": "MediaObject"}}]
    window: dict[str, str] = {}
    if spec.since is not None:
        window["gte"] = format_timestamp(spec.since)
    if spec.before is not None:
        window["lt"] = format_timestamp(spec.before)
    if window:
        filters.append({"range": {"last_discussed_at": window}})
    boolean: dict[str, Any] = {"filter": filters}
    if spec.query:
        boolean["must"] = [{"simple_query_string": {
            "query": spec.query, "fields": ["text", "md_text", "name"], "default_operator": "and",
        }}]
    body: dict[str, Any] = {
        "size": size,
        "query": {"bool": boolean},
        "_source": {"includes": SOURCE_FIELDS},
        "sort": SORT,
        "track_total_hits": True,
    }
    if search_after is not None:
        body["search_after"] = search_after
    return body


def _hits_of(response: Any, index: str) -> tuple[list[dict[str, Any]], int | None]:
    hits = response.get("hits") if isinstance(response, dict) else None
    if not isinstance(hits, dict) or not isinstance(hits.get("hits"), list):
        raise OriResponseError(f"{index}: answer is JSON but not an Elasticsearch search result")
    # A partial answer would silently skip documents, and the watermark would then pass them.
    shards_failed = (response.get("_shards") or {}).get("failed", 0)
    if response.get("timed_out") or shards_failed:
        raise OriResponseError(f"{index}: Elasticsearch returned a partial result (timed out or failed shards)")
    total = hits.get("total")
    if isinstance(total, dict):  # ES 7 form; older setups send a plain number
        total = total.get("value")
    return hits["hits"], total if isinstance(total, int) else None


def _to_hit(raw: Any) -> OriHit:
    if not isinstance(raw, dict):
        return OriHit("", {}, {"unexpected": raw})
    source = raw.get("_source") if isinstance(raw.get("_source"), dict) else {}
    return OriHit(str(source.get("@id") or raw.get("_id") or ""), source, raw)


class ClassicEsClient:
    """ORI Classic over httpx: search_after paging, retries, and an optional response cache."""

    name = "ori-classic"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        cache: ResponseCache | None = None,
        offline: bool = False,
        timeout: float = 30.0,
        policy: RetryPolicy = RetryPolicy(),
        page_size: int = 100,
        rng: random.Random | None = None,
    ) -> None:
        if offline and cache is None:
            raise ValueError("offline replay needs a response cache")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.cache = cache
        self.offline = offline
        self.timeout = timeout
        self.policy = policy
        self.page_size = page_size
        self.rng = rng or random.Random()
        self.retry_log = RetryLog()

    def search(self, spec: SearchSpec) -> Iterator[OriPage]:
        http = None if self.offline else httpx.Client(
            timeout=httpx.Timeout(self.timeout), headers={"User-Agent": USER_AGENT}
        )
        try:
            search_after: list[Any] | None = None
            number = 0
            while True:
                number += 1
                body = build_search_body(spec, self.page_size, search_after)
                response = self._fetch(http, spec, body, number)
                raw_hits, total = _hits_of(response, spec.index)
                if http is not None and self.cache is not None:
                    self.cache.put(spec.key, body, response, len(raw_hits))  # only valid pages
                yield OriPage(spec.key, number, [_to_hit(h) for h in raw_hits], total, http is None)
                if len(raw_hits) < self.page_size:
                    return  # ES fills every page but the last
                after = raw_hits[-1].get("sort") if isinstance(raw_hits[-1], dict) else None
                if not isinstance(after, list) or after == search_after:
                    raise OriResponseError(f"{spec.index}: page {number} has no usable sort values to page on")
                search_after = after
        finally:
            if http is not None:
                http.close()

    def _fetch(self, http: httpx.Client | None, spec: SearchSpec, body: dict[str, Any], number: int) -> Any:
        if http is None:
            assert self.cache is not None
            cached = self.cache.get(spec.key, body)
            if cached is None:
                raise OriCacheMiss(
                    f"{spec.index}: page {number} of this search is not in the cache "
                    f"({self.cache.root}); run once online with the same options first"
                )
            return cached
        url = f"{self.base_url}/{spec.index}/_search"
        try:
            response = request_json(http, "POST", url, body, self.policy, self.retry_log, self.rng)
        except RequestFailed as exc:
            raise OriRequestFailed(f"Open Raadsinformatie unavailable for {spec.index}: {exc}") from exc
        return response
