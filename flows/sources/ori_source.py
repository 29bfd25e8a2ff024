"""The ORI document source: hits of an OriClient become candidates, with per-source watermarks.

Incremental runs: the watermark of a source key is the newest last_discussed_at a
completed harvest delivered, plus the ids at exactly that moment. The next run without
`since` asks for `gte` the watermark and drops those ids, so a document sharing the
boundary timestamp is neither lost nor delivered twice. Watermarks move only when the
caller says the documents are safely stored (`commit_watermarks`), and never past a
gap: a run whose `since` lies after the stored watermark leaves it where it is. A run
with a query keeps its own watermark (it did not see the documents the query skipped).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Mapping

from flows.municipalities import REFERENCE_DIR
from flows.sources.base import LoadedDocument
from flows.sources.http_retry import RetryPolicy
from flows.sources.metadata import Metadata, doc_type_from_slug, parse_date
from flows.sources.ori import DEFAULT_BASE_URL, ClassicEsClient, OriCacheMiss, OriClient, OriHit, OriPage, SearchSpec
from flows.sources.ori_cache import (
    ResponseCache,
    Watermark,
    WatermarkStore,
    format_timestamp,
    parse_timestamp,
    sha256_json,
)
from flows.sources.ori_catalog import OriCatalog, OriSourceEntry, default_catalog
from flows.sources.ori_successor import SUCCESSOR_BASE_URL, OpenBesluitvormingClient
from flows.sources.rejection import Rejected
from flows.sources.text import normalise_text

# corpora/ori_cache; not via flows.config, whose import pulls in the NLP stack.
DEFAULT_CACHE_DIR = REFERENCE_DIR.parent / "ori_cache"

# md_text is pymupdf4llm Markdown; the sentence splitter and term matchers want the words.
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+", re.MULTILINE)
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}[-:| \t]*(?:\n|$)", re.MULTILINE)  # also "---" rules


def strip_markdown(text: str) -> str:
    text = _MD_TABLE_RULE.sub("", text)
    text = _MD_HEADING.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    return _MD_EMPHASIS.sub(r"\2", text)


def _pages(value: Any, markdown: bool) -> list[str]:
    """Normalised pages of a text field (an array of page strings; '' or a string tolerated)."""
    raw = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    pages = [normalise_text(strip_markdown(p) if markdown else p) for p in raw if isinstance(p, str)]
    return pages if any(pages) else []


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-")


def _doc_type(fields: Mapping[str, Any]) -> str:
    """From ORI's classification labels, else from the title like the folder source does."""
    labels = fields.get("classification")
    labels = [labels] if isinstance(labels, str) else labels if isinstance(labels, list) else []
    for text in [*labels, fields.get("name")]:
        if isinstance(text, str) and (found := doc_type_from_slug(_slug(text))) != "onbekend":
            return found
    return "onbekend"


def hit_to_document(hit: OriHit, municipality: str) -> LoadedDocument:
    fields = hit.fields
    if not fields or not hit.doc_id:
        raise Rejected("bad_record", "ORI-resultaat zonder documentgegevens (_source of @id ontbreekt)")
    pages = _pages(fields.get("md_text"), markdown=True) or _pages(fields.get("text"), markdown=False)
    if not pages:
        raise Rejected("no_text", "ORI-document zonder tekst (md_text en text leeg; vaak een scan zonder OCR)")
    discussed = fields.get("last_discussed_at")
    title = fields.get("name")
    source_url = fields.get("original_url") or fields.get("url")
    metadata = Metadata(
        municipality=municipality,
        date=parse_date(discussed) if isinstance(discussed, str) and discussed.strip() else None,
        doc_type=_doc_type(fields),
        title=(title.strip() or None) if isinstance(title, str) else None,
        source_url=source_url if isinstance(source_url, str) and source_url else None,
    )
    return LoadedDocument(pages, metadata, "ori")


@dataclass
class OriCandidate:
    entry: OriSourceEntry
    hit: OriHit
    ref: str = field(init=False)
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        self.ref = f"ori:{self.entry.key}:{self.hit.doc_id}"
        self.digest = sha256_json(self.hit.raw)

    def load(self) -> LoadedDocument:
        return hit_to_document(self.hit, self.entry.municipality)


@dataclass(frozen=True)
class _Plan:
    since: dt.datetime | None
    exclude_ids: frozenset[str]  # ids at exactly `since` that an earlier run delivered

    def record(self) -> dict[str, Any]:
        return {"since": None if self.since is None else format_timestamp(self.since),
                "exclude_ids": sorted(self.exclude_ids)}


def _already_had(plan: _Plan, moment: dt.datetime | None, doc_id: str) -> bool:
    """A boundary id an earlier run delivered, or older than asked (APIs that filter per day)."""
    if plan.since is None or moment is None:
        return False
    return moment < plan.since or (moment == plan.since and doc_id in plan.exclude_ids)


@dataclass
class HarvestStats:
    pages: int = 0
    pages_from_cache: int = 0
    fetched: int = 0  # hits received
    new: int = 0  # hits delivered as candidates
    skipped_at_watermark: int = 0  # hits an earlier run delivered (boundary ids, or older than asked)
    by_key: dict[str, int] = field(default_factory=dict)  # delivered per source key


def _as_datetime(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)


class OriSource:
    """Documents of one or more ORI sources, oldest first per source."""

    name = "ori"

    def __init__(
        self,
        client: OriClient,
        entries: list[OriSourceEntry],
        *,
        since: dt.date | dt.datetime | None = None,
        until: dt.date | None = None,
        query: str | None = None,
        cache_dir: Path = DEFAULT_CACHE_DIR,
        offline: bool = False,
        on_page: Callable[[OriPage], None] | None = None,
    ) -> None:
        self.client = client
        self.entries = entries
        self.since = _as_datetime(since)
        # --until is a day, inclusive: everything before the next midnight.
        self.before = None if until is None else _as_datetime(until + dt.timedelta(days=1))
        self.query = query or None
        self.cache = ResponseCache(cache_dir)
        self.watermarks = WatermarkStore(cache_dir)
        self.offline = offline
        self.on_page = on_page
        self.stats = HarvestStats()
        self._pending: dict[str, tuple[Watermark, dt.datetime | None]] = {}  # name -> (seen, fetched from)

    def candidates(self) -> Iterator[OriCandidate]:
        for entry in self.entries:
            yield from self._harvest(entry)

    def check_offline(self) -> None:
        """OriCacheMiss now, before a run starts, when an offline run cannot be answered from
        the cache for one of its sources: no earlier online run to repeat, or (with --since)
        no first page of that search. Reads the cache only."""
        if not self.offline:
            return
        for entry in self.entries:
            pages = self.client.search(self._spec(entry, self._plan(entry)))
            try:
                next(pages, None)
            finally:
                pages.close()

    def _spec(self, entry: OriSourceEntry, plan: _Plan) -> SearchSpec:
        return SearchSpec(entry.key, entry.index_alias, plan.since, self.before, self.query)

    def _signature(self) -> dict[str, Any]:
        return {"query": self.query, "before": None if self.before is None else format_timestamp(self.before)}

    def watermark_name(self, entry: OriSourceEntry) -> str:
        return entry.key if self.query is None else f"{entry.key}|query={self.query}"

    def _plan(self, entry: OriSourceEntry) -> _Plan:
        if self.since is not None:
            return _Plan(self.since, frozenset())
        if self.offline:  # repeat the last online run exactly, not the watermark it left
            recorded = self.cache.last_run(entry.key, self._signature())
            if recorded is None:
                raise OriCacheMiss(
                    f"{entry.index_alias}: no earlier online run with these options in the cache "
                    f"({self.cache.root}); run online first or give --since"
                )
            return _Plan(parse_timestamp(recorded["since"]), frozenset(recorded["exclude_ids"]))
        watermark = self.watermarks.get(self.watermark_name(entry))
        if watermark is None:
            return _Plan(None, frozenset())
        return _Plan(watermark.last_discussed_at, watermark.ids_at_watermark)

    def _harvest(self, entry: OriSourceEntry) -> Iterator[OriCandidate]:
        plan = self._plan(entry)
        spec = self._spec(entry, plan)
        # Documents for meetings still to come may change before then: they are delivered
        # but do not move the watermark past the moment this run started.
        started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        newest: dt.datetime | None = None
        ids_at_newest: set[str] = set()
        for page in self.client.search(spec):
            self.stats.pages += 1
            self.stats.pages_from_cache += page.from_cache
            self.stats.fetched += len(page.hits)
            if self.on_page is not None:
                self.on_page(page)
            for hit in page.hits:
                moment = parse_timestamp(hit.fields.get("last_discussed_at"))
                if _already_had(plan, moment, hit.doc_id):
                    self.stats.skipped_at_watermark += 1
                    continue
                if moment is not None and moment <= started:
                    if newest is None or moment > newest:
                        newest, ids_at_newest = moment, set()
                    if moment == newest:
                        ids_at_newest.add(hit.doc_id)
                self.stats.new += 1
                self.stats.by_key[entry.key] = self.stats.by_key.get(entry.key, 0) + 1
                yield OriCandidate(entry, hit)
        if self.offline:
            return
        # Only a harvest that reached its last page may move the watermark.
        self.cache.record_run(entry.key, self._signature(), plan.record())
        if newest is not None:
            if newest == plan.since:
                ids_at_newest |= plan.exclude_ids
            self._pending[self.watermark_name(entry)] = (Watermark(newest, frozenset(ids_at_newest)), plan.since)

    def commit_watermarks(self) -> dict[str, Watermark]:
        """Store the watermarks of completed harvests; call once their documents are saved."""
        committed = {name: self.watermarks.advance(name, mark, fetched_from)
                     for name, (mark, fetched_from) in self._pending.items()}
        self._pending.clear()
        return committed


def build_ori_source(
    municipalities: list[str],
    since: dt.date | None = None,
    query: str | None = None,
    base_url: str | None = None,
    offline: bool = False,
    *,
    api: Literal["classic", "openbesluitvorming"] = "classic",
    until: dt.date | None = None,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    max_attempts: int = 5,
    timeout: float = 30.0,
    page_size: int = 100,
    backoff_base: float = 1.0,
    backoff_cap: float = 30.0,
    retry_after_cap: float = 120.0,
    catalog: OriCatalog | None = None,
    on_page: Callable[[OriPage], None] | None = None,
) -> OriSource:
    """An OriSource for municipality names; NoOriSource (naming the name) if one has no ORI source.

    `api="openbesluitvorming"` uses the successor API, with its own cache and watermarks
    (ids and timestamps differ between the APIs, so their boundaries do not carry over).
    """
    entries = (catalog or default_catalog()).lookup_all(municipalities)
    policy = RetryPolicy(max_attempts, backoff_base, backoff_cap, retry_after_cap)
    client: OriClient
    if api == "classic":
        client = ClassicEsClient(base_url or DEFAULT_BASE_URL, cache=ResponseCache(cache_dir), offline=offline,
                                 timeout=timeout, policy=policy, page_size=page_size)
    elif api == "openbesluitvorming":
        cache_dir = cache_dir / "openbesluitvorming"
        client = OpenBesluitvormingClient(base_url or SUCCESSOR_BASE_URL, cache=ResponseCache(cache_dir),
                                          offline=offline, timeout=timeout, policy=policy, page_size=page_size)
    else:
        raise ValueError(f"unknown ORI api {api!r} (classic or openbesluitvorming)")
    return OriSource(client, entries, since=since, until=until, query=query,
                     cache_dir=cache_dir, offline=offline, on_page=on_page)
