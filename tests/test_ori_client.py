"""ClassicEsClient against a real HTTP server on 127.0.0.1: paging, retries, bad answers, timeouts."""

from __future__ import annotations

import datetime as dt
import random
import time

import pytest

from flows.sources.http_retry import RetryPolicy, parse_retry_after
from flows.sources.ori import (
    SOURCE_FIELDS,
    ClassicEsClient,
    OriRequestFailed,
    OriResponseError,
    SearchSpec,
)
from test_ori_support import FakeOri, _ori_http_server, closed_port_url, fake_ori  # noqa: F401  (fixtures)

UTRECHT = SearchSpec("utrecht", "ori_utrecht")
FAST = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.02, retry_after_cap=5.0)


def client(base_url: str, policy: RetryPolicy = FAST, **kwargs) -> ClassicEsClient:
    kwargs.setdefault("timeout", 5.0)
    return ClassicEsClient(base_url, policy=policy, page_size=3, rng=random.Random(7), **kwargs)


def ids(pages) -> list[str]:
    return [hit.doc_id for page in pages for hit in page.hits]


def test_pages_follow_search_after_with_the_previous_pages_sort_values(fake_ori: FakeOri):
    fake_ori.load("ori_utrecht.json")
    pages = list(client(fake_ori.base_url).search(UTRECHT))

    assert [len(p.hits) for p in pages] == [3, 3, 1]  # 7 documents; the Meeting is filtered out
    assert ids(pages) == ["3100101", "3100102", "3100107", "3100110", "3100115", "3100120", "3100121"]
    assert [r["path"] for r in fake_ori.requests] == ["/v1/elastic/ori_utrecht/_search"] * 3
    first, second, third = fake_ori.bodies()
    assert "search_after" not in first
    assert second["search_after"] == pages[0].hits[-1].raw["sort"]
    assert third["search_after"] == pages[1].hits[-1].raw["sort"]
    assert second["search_after"][1] == "3100107"
    assert pages[0].total == 7 and pages[0].number == 1 and not pages[0].from_cache


def test_the_request_is_the_documented_query(fake_ori: FakeOri):
    fake_ori.load("ori_utrecht.json")
    spec = SearchSpec("utrecht", "ori_utrecht", since=dt.datetime(2023, 3, 1), before=dt.datetime(2023, 7, 1),
                      query="regie jeugdzorg")
    pages = list(client(fake_ori.base_url).search(spec))

    assert ids(pages) == ["3100107"]
    body = fake_ori.bodies()[0]
    assert body["query"]["bool"]["filter"] == [
        {"term": {"@type": "MediaObject"}},
        {"range": {"last_discussed_at": {"gte": "2023-03-01T00:00:00.000Z", "lt": "2023-07-01T00:00:00.000Z"}}},
    ]
    assert body["query"]["bool"]["must"][0]["simple_query_string"]["query"] == "regie jeugdzorg"
    assert body["sort"] == [{"last_discussed_at": {"order": "asc"}}, {"@id": {"order": "asc"}}]
    assert body["_source"]["includes"] == SOURCE_FIELDS
    assert "@context" not in pages[0].hits[0].raw["_source"]  # _source filtering honoured


def test_a_full_last_page_costs_one_more_empty_request(fake_ori: FakeOri):
    fake_ori.load("ori_utrecht.json")
    pages = list(ClassicEsClient(fake_ori.base_url, page_size=7, policy=FAST).search(UTRECHT))
    assert [len(p.hits) for p in pages] == [7, 0]


def test_503_then_success_is_retried(fake_ori: FakeOri):
    fake_ori.load("ori_utrecht.json")
    fake_ori.faults = [FakeOri.status(503)]
    ori = client(fake_ori.base_url)

    assert len(ids(ori.search(UTRECHT))) == 7
    assert ori.retry_log.retries == 1
    assert ori.retry_log.problems == ["attempt 1: HTTP 503"]
    assert fake_ori.bodies()[0] == fake_ori.bodies()[1]  # the same page asked again


def test_429_retry_after_is_honoured(fake_ori: FakeOri):
    fake_ori.load("ori_utrecht.json")
    fake_ori.faults = [FakeOri.status(429, {"Retry-After": "1"})]
    ori = client(fake_ori.base_url)  # backoff alone would wait at most 0.02 s

    started = time.monotonic()
    assert len(ids(ori.search(UTRECHT))) == 7
    assert time.monotonic() - started >= 0.95
    assert ori.retry_log.waited_seconds == pytest.approx(1.0)


def test_a_long_retry_after_is_capped(fake_ori: FakeOri):
    fake_ori.load("ori_utrecht.json")
    fake_ori.faults = [FakeOri.status(429, {"Retry-After": "3600"})]
    ori = client(fake_ori.base_url, RetryPolicy(max_attempts=2, backoff_base=0.01, retry_after_cap=0.1))

    assert len(ids(ori.search(UTRECHT))) == 7
    assert ori.retry_log.waited_seconds == pytest.approx(0.1)


def test_malformed_json_fails_clearly_after_bounded_retries(fake_ori: FakeOri):
    fake_ori.load("ori_utrecht.json")
    fake_ori.faults = [FakeOri.malformed() for _ in range(10)]

    with pytest.raises(OriRequestFailed, match=r"ori_utrecht.*after 3 attempt\(s\): response is not valid JSON"):
        list(client(fake_ori.base_url).search(UTRECHT))
    assert len(fake_ori.requests) == 3


def test_malformed_json_once_is_retried(fake_ori: FakeOri):
    fake_ori.load("ori_utrecht.json")
    fake_ori.faults = [FakeOri.malformed()]
    assert len(ids(client(fake_ori.base_url).search(UTRECHT))) == 7


def test_a_response_that_never_arrives_times_out_is_retried_then_fails_clearly(fake_ori: FakeOri):
    fake_ori.load("ori_utrecht.json")
    fake_ori.faults = [fake_ori.hang(), fake_ori.hang()]
    ori = client(fake_ori.base_url, RetryPolicy(max_attempts=2, backoff_base=0.01), timeout=0.5)

    started = time.monotonic()
    with pytest.raises(OriRequestFailed, match=r"after 2 attempt\(s\): timed out"):
        list(ori.search(UTRECHT))
    assert time.monotonic() - started < 3
    assert len(fake_ori.requests) == 2


def test_a_timeout_then_an_answer_succeeds(fake_ori: FakeOri):
    fake_ori.load("ori_utrecht.json")
    fake_ori.faults = [fake_ori.hang()]
    ori = client(fake_ori.base_url, timeout=0.5)
    assert len(ids(ori.search(UTRECHT))) == 7
    assert ori.retry_log.retries == 1


def test_an_unknown_index_fails_at_once_without_retries(fake_ori: FakeOri):
    with pytest.raises(OriRequestFailed, match="HTTP 404.*index_not_found_exception"):
        list(client(fake_ori.base_url).search(SearchSpec("atlantis", "ori_atlantis")))
    assert len(fake_ori.requests) == 1


def test_connection_refused_is_retried_then_fails_clearly():
    ori = client(closed_port_url())
    with pytest.raises(OriRequestFailed, match=r"after 3 attempt\(s\): connection failed \(ConnectError"):
        list(ori.search(UTRECHT))
    assert ori.retry_log.retries == 2


def test_a_partial_elasticsearch_result_is_refused(fake_ori: FakeOri):
    from test_ori_support import _json

    fake_ori.faults = [lambda request: _json({"timed_out": True, "_shards": {"failed": 0}, "hits": {"hits": []}})]
    with pytest.raises(OriResponseError, match="partial result"):
        list(client(fake_ori.base_url).search(UTRECHT))


def test_backoff_is_full_jitter_below_the_cap():
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=4.0)
    rng = random.Random(1)
    waits = [policy.backoff(attempt, rng) for attempt in (1, 2, 3, 4, 5, 6) for _ in range(50)]
    assert all(0 <= w <= 4.0 for w in waits)
    assert max(policy.backoff(1, rng) for _ in range(50)) <= 1.0


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: go now
