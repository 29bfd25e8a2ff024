"""A fake ORI Classic endpoint on 127.0.0.1 (pytest-httpserver), shared by the test_ori_* modules.

It answers Elasticsearch 7 shaped responses built from the fixture documents in
tests/fixtures/ori/ (see the README there: reconstructed, not captured). Faults are
queued per request, so a test says "503, then answer normally".
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ori"
_MAPPING = json.loads((FIXTURES / "es_mapping_excerpt.json").read_text(encoding="utf-8"))["properties"]
_MISSING_LAST = 2**63 - 1  # ES sorts a missing date last in ascending order with Long.MAX_VALUE

Fault = Callable[[Request], Response]
_MONTHS = "januari februari maart april mei juni juli augustus september oktober november december".split()


def fixture_documents(name: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))["documents"]


def _millis(value: Any) -> int | None:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return int(moment.timestamp() * 1000)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers, content_type="application/json")


class FakeOri:
    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.base_url = server.url_for("/v1/elastic")
        self.indexes: dict[str, tuple[str, list[dict[str, Any]]]] = {}
        self.faults: list[Fault] = []
        self.requests: list[dict[str, Any]] = []  # {"path", "body"} of every _search received
        self.release = threading.Event()  # frees handlers that simulate a hung response
        server.expect_request(re.compile(r".*")).respond_with_handler(self._handle)

    # -- set-up helpers -------------------------------------------------------------------
    def load(self, fixture: str) -> None:
        data = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
        alias = data["alias"]
        if alias in self.indexes:
            self.indexes[alias][1].extend(data["documents"])
        else:
            self.indexes[alias] = (data["index"], list(data["documents"]))

    def add_documents(self, alias: str, documents: list[dict[str, Any]]) -> None:
        self.indexes[alias][1].extend(documents)

    def bodies(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if "body" in r]

    # -- faults -----------------------------------------------------------------------------
    @staticmethod
    def status(code: int, headers: dict[str, str] | None = None) -> Fault:
        body = json.loads((FIXTURES / "es_error_429.json").read_text()) if code == 429 else {"error": "unavailable"}
        return lambda request: _json(body, code, headers)

    @staticmethod
    def malformed() -> Fault:
        text = (FIXTURES / "malformed_page.txt").read_text(encoding="utf-8")
        return lambda request: Response(text, status=200, content_type="application/json")

    def hang(self, seconds: float = 5.0) -> Fault:
        def handler(request: Request) -> Response:
            self.release.wait(seconds)  # longer than the client's timeout; freed at teardown
            return _json({"error": "too late"}, 504)
        return handler

    # -- the Elasticsearch subset -------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        if request.method == "GET" and request.path.startswith("/api/"):
            self.requests.append({"path": request.path, "params": dict(request.args)})
            if self.faults:
                return self.faults.pop(0)(request)
            return self._successor(request)
        if request.method != "POST" or not request.path.endswith("/_search"):
            return Response("<html>403 Forbidden</html>", status=403)  # the proxy's nginx rules
        body = json.loads(request.get_data(as_text=True))
        self.requests.append({"path": request.path, "body": body})
        if self.faults:
            return self.faults.pop(0)(request)
        alias = request.path.rstrip("/").split("/")[-2]
        if alias not in self.indexes:
            return _json({"error": {"type": "index_not_found_exception", "index": alias}, "status": 404}, 404)
        try:
            return _json(self._search(alias, body))
        except ValueError as exc:
            return _json({"error": {"type": "illegal_argument_exception", "reason": str(exc)}, "status": 400}, 400)

    def _search(self, alias: str, body: dict[str, Any]) -> dict[str, Any]:
        concrete, documents = self.indexes[alias]
        sort_fields = [next(iter(clause)) for clause in body.get("sort", [])]
        for name in sort_fields:
            if _MAPPING.get(name, {}).get("type") not in {"keyword", "date"}:
                raise ValueError(f"Fielddata is disabled on text fields [{name}]")
        assert sort_fields == ["last_discussed_at", "@id"], "the fake only knows the client's sort"
        matching = [d for d in documents if self._matches(d, body.get("query", {}))]

        def sort_key(doc: dict[str, Any]) -> tuple[int, str]:
            millis = _millis(doc.get("last_discussed_at"))
            return (_MISSING_LAST if millis is None else millis, doc["@id"])

        matching.sort(key=sort_key)
        total = len(matching)
        if "search_after" in body:
            after = tuple(body["search_after"])
            matching = [d for d in matching if sort_key(d) > after]
        includes = body.get("_source", {}).get("includes")
        hits = [{
            "_index": concrete, "_type": "_doc", "_id": d["@id"], "_score": None,
            "_source": {k: v for k, v in d.items() if includes is None or k in includes},
            "sort": list(sort_key(d)),
        } for d in matching[: body.get("size", 10)]]
        return {
            "took": 3, "timed_out": False,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {"total": {"value": total, "relation": "eq"}, "max_score": None, "hits": hits},
        }

    # -- the successor API (openbesluitvorming.nl), as documented in its API.md ---------------------
    def _successor_documents(self, key: str) -> list[dict[str, Any]]:
        """The index's MediaObjects as successor entities (ids, UTC sortDate, one markdown text)."""
        entities = []
        for doc in self.indexes.get(f"ori_{key}", ("", []))[1]:
            if doc.get("@type") != "MediaObject":
                continue
            moment = dt.datetime.fromisoformat(doc["last_discussed_at"])
            pages = doc.get("md_text") or doc.get("text") or []
            entities.append({
                "entityId": f"document:ibabs:gemeente:{key}:{doc['@id']}",
                "entityType": "Document", "entityTypeLabel": "Document", "organization": key.capitalize(),
                "date": f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}",
                "sortDate": moment.strftime("%Y-%m-%d %H:%M:%S"),
                "title": doc.get("name"),
                "markdownText": "\n\n".join(pages) if isinstance(pages, list) else pages,
                "downloadUrl": doc.get("original_url"), "contentType": doc.get("content_type"),
                "meetingId": f"meeting:ibabs:gemeente:{key}:{doc.get('is_referenced_by', '0')}",
            })
        return sorted(entities, key=lambda e: (e["sortDate"], e["entityId"]))

    def _successor(self, request: Request) -> Response:
        args = request.args
        if request.path.startswith("/api/entities/"):
            entity_id = request.path[len("/api/entities/"):]
            key = entity_id.split(":")[3] if entity_id.count(":") == 4 else ""
            for entity in self._successor_documents(key):
                if entity["entityId"] == entity_id:
                    return _json(entity)
            return _json({"code": "entity_not_found", "error": "Niet gevonden."}, 404)
        if request.path != "/api/search":
            return _json({"code": "not_found"}, 404)
        key = args.get("organization", "")
        if f"ori_{key}" not in self.indexes:
            return _json({"code": "unknown_organization", "error": "Onbekende organisatie."}, 400)
        assert (args.get("entityType"), args.get("sort")) == ("Document", "date_asc")
        results = self._successor_documents(key)
        for name, keep in (("dateFrom", lambda day, bound: day >= bound), ("dateTo", lambda day, bound: day <= bound)):
            if name in args:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args[name]):
                    return _json({"code": "invalid_date", "error": f"Parameter {name} ongeldig."}, 400)
                results = [r for r in results if keep(r["sortDate"][:10], args[name])]
        if "query" in args:
            words = args["query"].lower().split()
            results = [r for r in results if all(w in (r["title"] + r["markdownText"]).lower() for w in words)]
        offset, limit = int(args.get("offset", 0)), min(int(args.get("limit", 24)), 100)
        page = [{k: v for k, v in r.items() if k not in {"markdownText", "meetingId", "contentType"}}
                for r in results[offset:offset + limit]]
        return _json({"results": page, "totalCount": len(results), "totalIsApproximate": True,
                      "hasMore": offset + limit < len(results)})

    @staticmethod
    def _matches(doc: dict[str, Any], query: dict[str, Any]) -> bool:
        boolean = query.get("bool", {})
        for clause in boolean.get("filter", []):
            if "term" in clause:
                ((field, value),) = clause["term"].items()
                if doc.get(field) != value:
                    return False
            elif "range" in clause:
                ((field, bounds),) = clause["range"].items()
                millis = _millis(doc.get(field))
                if millis is None:
                    return False
                if "gte" in bounds and millis < _millis(bounds["gte"]):
                    return False
                if "lt" in bounds and millis >= _millis(bounds["lt"]):
                    return False
            else:
                raise ValueError(f"unsupported filter {clause}")
        for clause in boolean.get("must", []):
            spec = clause["simple_query_string"]
            haystack = " ".join(
                " ".join(v) if isinstance(v, list) else str(v)
                for f in spec["fields"] if (v := doc.get(f))
            ).lower()
            if not all(word in haystack for word in spec["query"].lower().split()):
                return False
        return True


@pytest.fixture(scope="module")
def _ori_http_server() -> Iterator[HTTPServer]:
    # Threaded, so a hung handler does not block the client's retry. One per module:
    # stopping a server costs werkzeug's 0.5 s poll interval.
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def fake_ori(_ori_http_server: HTTPServer) -> Iterator[FakeOri]:
    _ori_http_server.clear()
    fake = FakeOri(_ori_http_server)
    try:
        yield fake
    finally:
        fake.release.set()
        _ori_http_server.check_handler_errors()  # an assertion inside the fake fails the test


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1/elastic"
