"""The successor API client (openbesluitvorming.nl) behind the same OriSource, against the fake server.

The fake answers in the shapes documented in the successor's API.md (see
tests/fixtures/ori/README.md); the client has not been run against the live service.
"""

from __future__ import annotations

import datetime as dt

from flows.sources.ori_source import OriSource, build_ori_source
from flows.sources.rejection import Rejected
from test_ori_support import FakeOri, _ori_http_server, closed_port_url, fake_ori  # noqa: F401  (fixtures)

PREFIX = "ori:utrecht:document:ibabs:gemeente:utrecht:"


def source(fake: FakeOri | None, cache_dir, **kwargs) -> OriSource:
    base_url = fake.server.url_for("/").rstrip("/") if fake is not None else closed_port_url()
    return build_ori_source(["Utrecht"], base_url=base_url, cache_dir=cache_dir, api="openbesluitvorming",
                            page_size=3, backoff_base=0.01, backoff_cap=0.02, **kwargs)


def loaded(src: OriSource) -> list[tuple[str, str, object]]:
    out = []
    for candidate in src.candidates():
        try:
            result: object = candidate.load()
        except Rejected as rejection:
            result = rejection.code
        out.append((candidate.ref, candidate.digest, result))
    return out


def searches(fake: FakeOri) -> list[dict[str, str]]:
    return [r["params"] for r in fake.requests if r["path"] == "/api/search"]


def test_offset_pages_and_one_entity_call_per_document(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    results = loaded(source(fake_ori, tmp_path))

    assert [ref for ref, _, _ in results] == [PREFIX + i for i in
                                              ("3100101", "3100102", "3100107", "3100110", "3100115", "3100120", "3100121")]
    assert [p["offset"] for p in searches(fake_ori)] == ["0", "3", "6"]
    assert searches(fake_ori)[0] == {"organization": "utrecht", "entityType": "Document", "sort": "date_asc",
                                     "limit": "3", "offset": "0"}
    entity_paths = [r["path"] for r in fake_ori.requests if r["path"].startswith("/api/entities/")]
    assert len(entity_paths) == 7 and entity_paths[0] == "/api/entities/document:ibabs:gemeente:utrecht:3100101"
    voorstel = results[0][2]
    assert voorstel.metadata.municipality == "Utrecht" and voorstel.metadata.date == dt.date(2023, 1, 26)
    assert voorstel.metadata.title == "Raadsvoorstel Regionale Samenwerkingsagenda U16 2023-2026"
    assert voorstel.metadata.source_url == "https://utrecht.bestuurlijkeinformatie.nl/Agenda/Document/aa11-0001"
    assert "**" not in voorstel.pages[0] and "zelf de regie voeren" in voorstel.pages[0]
    assert dict((ref, r) for ref, _, r in results)[PREFIX + "3100115"] == "no_text"


def test_whole_day_date_filter_still_delivers_each_document_once(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    fake_ori.add_documents("ori_utrecht", [{  # earlier on the watermark's day
        "@type": "MediaObject", "@id": "3100119", "name": "Agenda commissie Mens en Samenleving",
        "last_discussed_at": "2023-11-09T09:00:00", "text": ["Agenda voor de ochtendvergadering."]}])
    first = source(fake_ori, tmp_path)
    assert len(loaded(first)) == 8
    first.commit_watermarks()

    fake_ori.load("ori_utrecht_additions.json")
    fake_ori.requests.clear()
    second = source(fake_ori, tmp_path)
    assert [ref for ref, _, _ in loaded(second)] == [PREFIX + "3100125", PREFIX + "3100130"]
    assert searches(fake_ori)[0]["dateFrom"] == "2023-11-09"
    assert second.stats.skipped_at_watermark == 3  # 3100119 (earlier that day), 3100120 and 3100121 (boundary)


def test_rate_limit_429_is_waited_out(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    fake_ori.faults = [FakeOri.status(429, {"Retry-After": "3"})]
    src = build_ori_source(["Utrecht"], base_url=fake_ori.server.url_for("/").rstrip("/"), cache_dir=tmp_path,
                           api="openbesluitvorming", retry_after_cap=0.1, backoff_base=0.01)
    assert len(loaded(src)) == 7
    assert src.client.retry_log.retries == 1
    assert src.client.retry_log.waited_seconds == 0.1  # Retry-After, capped for the test


def test_offline_replay_equals_the_online_run(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    online = loaded(source(fake_ori, tmp_path, since=dt.date(2023, 6, 1), until=dt.date(2023, 11, 9)))
    assert searches(fake_ori)[0]["dateTo"] == "2023-11-09"
    fake_ori.requests.clear()
    assert loaded(source(None, tmp_path, since=dt.date(2023, 6, 1), until=dt.date(2023, 11, 9), offline=True)) == online
    assert fake_ori.requests == []
    assert (tmp_path / "openbesluitvorming" / "utrecht" / "index.json").exists()  # its own cache
