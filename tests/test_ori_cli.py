"""`regiescan ingest ori` (the ingest_app sub-app) against the fake ORI server."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from flows.cli_ingest import ingest_app
from flows.config import IngestConfig
from flows.ingest import ingest
from flows.municipalities import default_registry
from flows.sources.folder import FolderSource
from test_ori_support import FakeOri, _ori_http_server, closed_port_url, fake_ori  # noqa: F401  (fixtures)

runner = CliRunner()


def run(*args: str, base_url: str, tmp_path: Path):
    return runner.invoke(ingest_app, [
        "ori", *args, "--base-url", base_url, "--cache-dir", str(tmp_path / "cache"), "--page-size", "3",
    ])


def test_ingest_writes_a_corpus_that_the_folder_source_reads_back(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    out = tmp_path / "corpus"
    result = run("--municipality", "Utrecht", "--since", "2023-01-01", "--out", str(out),
                 base_url=fake_ori.base_url, tmp_path=tmp_path)

    assert result.exit_code == 0, result.output
    assert "fetched" in result.output and "no_text" in result.output
    rows = [json.loads(line) for line in (out / "utrecht" / "manifest.jsonl").read_text().splitlines()]
    assert len(rows) == 6  # seven documents, one without text
    first = next(r for r in rows if r["ori_ref"] == "ori:utrecht:3100101")
    assert first["file"] == "2023-01-26_raadsvoorstel-regionale-samenwerkingsagenda-u16-2023-2026_3100101.txt"

    folder = FolderSource(out)
    documents = ingest(list(folder.candidates()), folder.name, default_registry(), IngestConfig()).documents
    assert len(documents) == 6
    voorstel = documents.set_index("title").loc["Raadsvoorstel Regionale Samenwerkingsagenda U16 2023-2026"]
    assert voorstel.gm_code == "GM0344"
    assert voorstel.source_url == "https://utrecht.bestuurlijkeinformatie.nl/Agenda/Document/aa11-0001"
    assert voorstel.doc_type == "raadsvoorstel"
    assert str(voorstel.date) == "2023-01-26"
    record = json.loads((out / ".ori_last_ingest.json").read_text())
    assert record["stats"]["new"] == 7 and record["rejected"][0]["reason_code"] == "no_text"


def test_incremental_runs_add_to_the_same_corpus(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    out = tmp_path / "corpus"
    assert run("-m", "Utrecht", "--out", str(out), base_url=fake_ori.base_url, tmp_path=tmp_path).exit_code == 0
    fake_ori.load("ori_utrecht_additions.json")
    result = run("-m", "Utrecht", "--out", str(out), base_url=fake_ori.base_url, tmp_path=tmp_path)

    assert result.exit_code == 0, result.output
    assert "new since watermark" in result.output
    assert "2023-12-14T19:30:00.000Z" in result.output  # the watermark now
    assert len((out / "utrecht" / "manifest.jsonl").read_text().splitlines()) == 8


def test_offline_repeat_needs_no_server(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    online_out, offline_out = tmp_path / "online", tmp_path / "offline"
    assert run("-m", "Utrecht", "--since", "2023-01-01", "--out", str(online_out),
               base_url=fake_ori.base_url, tmp_path=tmp_path).exit_code == 0
    result = run("-m", "Utrecht", "--since", "2023-01-01", "--out", str(offline_out), "--offline",
                 base_url=closed_port_url(), tmp_path=tmp_path)

    assert result.exit_code == 0, result.output
    assert "3 from cache" in result.output
    for path in (online_out / "utrecht").iterdir():
        assert (offline_out / "utrecht" / path.name).read_text() == path.read_text()


def test_unknown_municipality_exits_2_naming_it(tmp_path):
    result = run("-m", "Utrecht", "-m", "Atlantis", base_url=closed_port_url(), tmp_path=tmp_path)
    assert result.exit_code == 2
    assert "Atlantis" in result.output


def test_an_unreachable_server_exits_1_with_a_clear_message(fake_ori: FakeOri, tmp_path):
    fake_ori.faults = [FakeOri.status(503)]
    result = run("-m", "Utrecht", "--max-attempts", "1", base_url=fake_ori.base_url, tmp_path=tmp_path)
    assert result.exit_code == 1
    assert "Open Raadsinformatie unavailable for ori_utrecht" in result.output
    assert "HTTP 503" in result.output
    assert not (tmp_path / "cache" / "watermarks.json").exists()


def test_the_successor_api_is_one_option_away(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    out = tmp_path / "corpus"
    result = run("-m", "Utrecht", "--api", "openbesluitvorming", "--out", str(out),
                 base_url=fake_ori.server.url_for("/").rstrip("/"), tmp_path=tmp_path)
    assert result.exit_code == 0, result.output
    assert len((out / "utrecht" / "manifest.jsonl").read_text().splitlines()) == 6
    assert (tmp_path / "cache" / "openbesluitvorming" / "watermarks.json").exists()
