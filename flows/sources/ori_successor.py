"""The OriClient for ORI's successor, OpenBesluitvorming (openbesluitvorming.nl/api).

Written from the project's API.md (ontola/openbesluitvorming) and FORMAT.md section 8,
not tested against the live service. What differs from Classic, and why it is handled so:

- search pages by `offset` (no search_after) with `sort=date_asc`; a document added
  while paging can shift a page, which the next incremental run picks up again;
- `dateFrom`/`dateTo` are whole days, so a run from a watermark also gets that day's
  earlier documents; OriSource drops hits older than what it asked for;
- search results carry no text: every document costs one `/api/entities/{id}` call
  (1 unit of the 60-per-minute budget; a 429 with Retry-After is waited out);
- source keys are the Classic keys (both catalogs list the same 309 municipal keys).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, Iterator
from urllib.parse import quote

import httpx

from flows.sources.http_retry import RequestFailed, RetryLog, RetryPolicy, request_json
from flows.sources.ori import USER_AGENT, OriCacheMiss, OriHit, OriPage, OriRequestFailed, OriResponseError, SearchSpec
from flows.sources.ori_cache import ResponseCache

SUCCESSOR_BASE_URL = "https://openbesluitvorming.nl"
MAX_LIMIT = 100  # the API caps limit at 100


def _as_classic_fields(result: dict[str, Any], entity: dict[str, Any]) -> dict[str, Any]:
    """The entity under Classic field names, so OriSource reads both APIs the same way."""
    text = entity.get("markdownText")
    fields = {
        "@id": result.get("entityId"),
        "@type": "MediaObject",
        "name": entity.get("title") or result.get("title"),
        "md_text": [text] if isinstance(text, str) else None,
        "original_url": entity.get("downloadUrl") or result.get("downloadUrl"),
        "url": entity.get("pdfUrl"),
        "content_type": entity.get("contentType"),
        "last_discussed_at": result.get("sortDate") or entity.get("sortDate"),  # UTC
        "is_referenced_by": entity.get("meetingId"),
    }
    return {k: v for k, v in fields.items() if v is not None}


class OpenBesluitvormingClient:
    name = "openbesluitvorming"

    def __init__(
        self,
        base_url: str = SUCCESSOR_BASE_URL,
        *,
        cache: ResponseCache | None = None,
        offline: bool = False,
        timeout: float = 30.0,
        policy: RetryPolicy = RetryPolicy(),
        page_size: int = MAX_LIMIT,
        rng: random.Random | None = None,
    ) -> None:
        if offline and cache is None:
            raise ValueError("offline replay needs a response cache")
        self.base_url = base_url.rstrip("/")
        self.cache = cache
        self.offline = offline
        self.timeout = timeout
        self.policy = policy
        self.page_size = max(1, min(page_size, MAX_LIMIT))
        self.rng = rng or random.Random()
        self.retry_log = RetryLog()

    def search(self, spec: SearchSpec) -> Iterator[OriPage]:
        params: dict[str, Any] = {"organization": spec.key, "entityType": "Document", "sort": "date_asc",
                                  "limit": self.page_size}
        if spec.since is not None:
            params["dateFrom"] = spec.since.date().isoformat()
        if spec.before is not None:  # dateTo includes its whole day
            params["dateTo"] = (spec.before - dt.timedelta(milliseconds=1)).date().isoformat()
        if spec.query:
            params["query"] = spec.query
        http = None if self.offline else httpx.Client(
            timeout=httpx.Timeout(self.timeout), headers={"User-Agent": USER_AGENT}
        )
        try:
            offset, number = 0, 0
            while True:
                number += 1
                page = self._get(http, spec, "/api/search", {**params, "offset": offset})
                results = page.get("results") if isinstance(page, dict) else None
                if not isinstance(results, list):
                    raise OriResponseError(f"{spec.key}: search answer has no 'results' list")
                hits = []
                for result in results:
                    entity_id = result.get("entityId") if isinstance(result, dict) else None
                    if not isinstance(entity_id, str):
                        hits.append(OriHit("", {}, {"result": result}))
                        continue
                    entity = self._get(http, spec, f"/api/entities/{quote(entity_id, safe='')}", None)
                    entity = entity if isinstance(entity, dict) else {}
                    hits.append(OriHit(entity_id, _as_classic_fields(result, entity),
                                       {"result": result, "entity": entity}))
                total = page.get("totalCount")
                yield OriPage(spec.key, number, hits, total if isinstance(total, int) else None, http is None)
                if not page.get("hasMore") or not results:
                    return
                offset += len(results)
        finally:
            if http is not None:
                http.close()

    def _get(self, http: httpx.Client | None, spec: SearchSpec, path: str, params: dict[str, Any] | None) -> Any:
        request = {"method": "GET", "path": path, "params": params}
        if http is None:
            assert self.cache is not None
            cached = self.cache.get(spec.key, request)
            if cached is None:
                raise OriCacheMiss(f"{spec.key}: {path} is not in the cache ({self.cache.root}); "
                                   "run once online with the same options first")
            return cached
        try:
            response = request_json(http, "GET", self.base_url + path, None, self.policy, self.retry_log,
                                    self.rng, params=params)
        except RequestFailed as exc:
            raise OriRequestFailed(f"OpenBesluitvorming unavailable for {spec.key}: {exc}") from exc
        if self.cache is not None:
            results = response.get("results") if isinstance(response, dict) else None
            self.cache.put(spec.key, request, response, len(results) if isinstance(results, list) else 1)
        return response
