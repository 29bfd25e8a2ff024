"""OriSource: hits -> candidates -> documents, watermarks, and exact offline replays from the cache."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from flows.config import IngestConfig
from flows.ingest import ingest
from flows.municipalities import default_registry
from flows.sources.ori import OriCacheMiss
from flows.sources.ori_cache import sha256_json
from flows.sources.ori_source import OriSource, build_ori_source
from flows.sources.rejection import Rejected
from test_ori_support import (  # noqa: F401  (fixtures)
    FakeOri,
    _ori_http_server,
    closed_port_url,
    fake_ori,
    fixture_documents,
)


def source(fake: FakeOri | None, cache_dir, *names: str, **kwargs) -> OriSource:
    base_url = fake.base_url if fake is not None else closed_port_url()
    kwargs.setdefault("page_size", 3)
    return build_ori_source(list(names or ["Utrecht"]), base_url=base_url, cache_dir=cache_dir,
                            backoff_base=0.01, backoff_cap=0.02, **kwargs)


def loaded(src: OriSource) -> list[tuple[str, str, object]]:
    """(ref, digest, document or rejection code) for every candidate."""
    out = []
    for candidate in src.candidates():
        try:
            result: object = candidate.load()
        except Rejected as rejection:
            result = rejection.code
        out.append((candidate.ref, candidate.digest, result))
    return out


def refs(src: OriSource) -> list[str]:
    return [candidate.ref for candidate in src.candidates()]


def range_of(body: dict) -> dict | None:
    for clause in body["query"]["bool"]["filter"]:
        if "range" in clause:
            return clause["range"]["last_discussed_at"]
    return None


# -- hits -> documents ------------------------------------------------------------------------

def test_hits_become_documents_with_metadata(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    results = {ref: result for ref, _, result in loaded(source(fake_ori, tmp_path))}

    assert list(results) == [f"ori:utrecht:{i}" for i in
                             ("3100101", "3100102", "3100107", "3100110", "3100115", "3100120", "3100121")]
    voorstel = results["ori:utrecht:3100101"]
    assert voorstel.format == "ori"
    assert voorstel.metadata.municipality == "Utrecht"
    assert voorstel.metadata.date == dt.date(2023, 1, 26)
    assert voorstel.metadata.doc_type == "raadsvoorstel"  # from classification
    assert voorstel.metadata.title == "Raadsvoorstel Regionale Samenwerkingsagenda U16 2023-2026"
    assert voorstel.metadata.source_url.startswith("https://utrecht.bestuurlijkeinformatie.nl/")
    # md_text is preferred; its Markdown is reduced to words, one normalised string per page.
    assert len(voorstel.pages) == 2
    assert voorstel.pages[0].startswith("Raadsvoorstel\n\nRegionale Samenwerkingsagenda U16\n\nDe gemeenteraad")
    assert "**" not in voorstel.pages[0] and "|---|" not in voorstel.pages[0]
    assert voorstel.pages[1].endswith("Zie ook de regionale agenda.")


def test_text_is_the_fallback_and_gets_normalised(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    results = {ref: result for ref, _, result in loaded(source(fake_ori, tmp_path))}

    brief = results["ori:utrecht:3100102"]  # md_text is ""
    assert brief.pages[1] == "Het college neemt deel aan het regionale overleg en houdt de raad op de hoogte."
    assert brief.metadata.doc_type == "raadsinformatiebrief"  # from the title
    motie = results["ori:utrecht:3100107"]
    assert motie.metadata.doc_type == "motie"
    assert motie.metadata.source_url.startswith("https://api.openraadsinformatie.nl/v1/resolve/")  # no original_url
    assert results["ori:utrecht:3100115"] == "no_text"


def test_digest_is_the_hash_of_the_hit_as_received(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    candidate = next(iter(source(fake_ori, tmp_path).candidates()))
    assert candidate.digest == sha256_json(candidate.hit.raw)
    assert candidate.hit.raw["_index"] == "ori_utrecht_20240312091500"


def test_ori_documents_go_through_ingest(fake_ori: FakeOri, tmp_path):
    for name in ("ori_utrecht.json", "ori_purmerend.json", "ori_beemster.json"):
        fake_ori.load(name)
    src = source(fake_ori, tmp_path, "Utrecht", "Purmerend")
    result = ingest(list(src.candidates()), src.name, default_registry(), IngestConfig())

    assert result.inputs == 9
    assert len(result.documents) == 8
    assert result.rejected["reason_code"].tolist() == ["no_text"]
    beemster = result.documents.set_index("ref").loc["ori:beemster:2200001"]
    assert (beemster.gm_code, beemster.municipality_original, bool(beemster.merged)) == ("GM0439", "Beemster", True)
    assert set(result.documents["gm_code"]) == {"GM0344", "GM0439"}


# -- watermarks -------------------------------------------------------------------------------

def test_second_run_asks_only_for_newer_documents_without_boundary_duplicates(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    first = source(fake_ori, tmp_path)
    assert len(refs(first)) == 7
    assert range_of(fake_ori.bodies()[0]) is None  # no watermark yet: everything
    first.commit_watermarks()
    marks = json.loads((tmp_path / "watermarks.json").read_text())
    assert marks["utrecht"]["last_discussed_at"] == "2023-11-09T19:30:00.000Z"
    assert marks["utrecht"]["ids_at_watermark"] == ["3100120", "3100121"]

    fake_ori.load("ori_utrecht_additions.json")  # one more at the boundary moment, one newer
    fake_ori.requests.clear()
    second = source(fake_ori, tmp_path)
    assert refs(second) == ["ori:utrecht:3100125", "ori:utrecht:3100130"]
    assert range_of(fake_ori.bodies()[0]) == {"gte": "2023-11-09T19:30:00.000Z"}
    assert second.stats.fetched == 4 and second.stats.skipped_at_watermark == 2 and second.stats.new == 2
    second.commit_watermarks()

    fake_ori.requests.clear()
    third = source(fake_ori, tmp_path)
    assert refs(third) == []
    assert range_of(fake_ori.bodies()[0]) == {"gte": "2023-12-14T19:30:00.000Z"}


def test_watermark_moves_only_when_committed(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    assert len(refs(source(fake_ori, tmp_path))) == 7  # documents not saved: no commit
    assert not (tmp_path / "watermarks.json").exists()
    assert len(refs(source(fake_ori, tmp_path))) == 7


def test_explicit_since_overrides_the_watermark(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    first = source(fake_ori, tmp_path)
    refs(first)
    first.commit_watermarks()
    fake_ori.requests.clear()
    again = source(fake_ori, tmp_path, since=dt.date(2023, 6, 1))
    assert refs(again)[:2] == ["ori:utrecht:3100107", "ori:utrecht:3100110"]
    assert range_of(fake_ori.bodies()[0]) == {"gte": "2023-06-01T00:00:00.000Z"}


def test_a_run_starting_after_the_watermark_leaves_it_alone(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    first = source(fake_ori, tmp_path, until=dt.date(2023, 3, 31))
    assert len(refs(first)) == 2
    first.commit_watermarks()  # watermark 2023-03-09
    later = source(fake_ori, tmp_path, since=dt.date(2023, 9, 1))
    refs(later)
    assert later.commit_watermarks()["utrecht"].last_discussed_at == dt.datetime(2023, 3, 9, 19, 30)
    fake_ori.requests.clear()
    # The next incremental run still covers the gap (2023-03-09 .. 2023-09-01).
    assert refs(source(fake_ori, tmp_path)) == [f"ori:utrecht:{i}" for i in ("3100107", "3100110", "3100115",
                                                                             "3100120", "3100121")]
    assert range_of(fake_ori.bodies()[0]) == {"gte": "2023-03-09T19:30:00.000Z"}


def test_a_query_run_keeps_its_own_watermark(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    filtered = source(fake_ori, tmp_path, query="regie")
    assert refs(filtered) == ["ori:utrecht:3100101", "ori:utrecht:3100107"]
    assert list(filtered.commit_watermarks()) == ["utrecht|query=regie"]
    assert len(refs(source(fake_ori, tmp_path))) == 7  # the plain harvest still starts at the beginning
    assert refs(source(fake_ori, tmp_path, query="regie")) == []


def test_documents_of_meetings_still_to_come_do_not_move_the_watermark(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    future = dict(fixture_documents("ori_utrecht_additions.json")[1], **{
        "@id": "3100999", "last_discussed_at": "2099-01-01T19:30:00"})
    fake_ori.add_documents("ori_utrecht", [future])
    src = source(fake_ori, tmp_path)
    assert refs(src)[-1] == "ori:utrecht:3100999"
    assert src.commit_watermarks()["utrecht"].last_discussed_at == dt.datetime(2023, 11, 9, 19, 30)
    assert refs(source(fake_ori, tmp_path)) == ["ori:utrecht:3100999"]  # asked for again next time


# -- cache and offline replay ---------------------------------------------------------------------

def test_every_page_is_cached_with_its_request(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    refs(source(fake_ori, tmp_path))
    pages = sorted(p for p in (tmp_path / "utrecht").glob("*.json") if p.name != "index.json")
    assert len(pages) == 3
    stored = [json.loads(p.read_text()) for p in pages]
    assert sorted(json.dumps(s["request"], sort_keys=True) for s in stored) == \
        sorted(json.dumps(b, sort_keys=True) for b in fake_ori.bodies())
    assert all(s["response"]["hits"]["hits"][0]["_index"] == "ori_utrecht_20240312091500" for s in stored)
    index = json.loads((tmp_path / "utrecht" / "index.json").read_text())
    assert sorted(index["pages"]) == sorted(p.stem for p in pages)
    assert list(index["runs"].values())[0]["since"] is None


def test_offline_replay_equals_the_online_run(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    online = loaded(source(fake_ori, tmp_path, since=dt.date(2023, 1, 1)))
    fake_ori.requests.clear()

    replay = source(None, tmp_path, since=dt.date(2023, 1, 1), offline=True)  # nothing listens there
    assert loaded(replay) == online
    assert replay.stats.pages_from_cache == replay.stats.pages == 3
    assert fake_ori.requests == []
    assert replay.commit_watermarks() == {}


def test_offline_without_since_repeats_the_last_online_run(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    first = source(fake_ori, tmp_path)
    refs(first)
    first.commit_watermarks()
    fake_ori.load("ori_utrecht_additions.json")
    second = source(fake_ori, tmp_path)
    online = loaded(second)
    second.commit_watermarks()

    assert loaded(source(None, tmp_path, offline=True)) == online
    assert [ref for ref, _, _ in online] == ["ori:utrecht:3100125", "ori:utrecht:3100130"]


def test_offline_without_a_cached_run_is_a_clear_error(tmp_path):
    with pytest.raises(OriCacheMiss, match="ori_utrecht: no earlier online run"):
        refs(source(None, tmp_path, offline=True))
    with pytest.raises(OriCacheMiss, match="ori_utrecht: page 1 of this search is not in the cache"):
        refs(source(None, tmp_path, since=dt.date(2015, 1, 1), offline=True))


def test_online_runs_fetch_fresh_even_with_a_cache(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    refs(source(fake_ori, tmp_path, since=dt.date(2015, 1, 1)))
    refs(source(fake_ori, tmp_path, since=dt.date(2015, 1, 1)))
    assert len(fake_ori.requests) == 6
