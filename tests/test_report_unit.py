"""The stance report without a browser: a small hand-made run folder whose tables satisfy
flows/tables.py, built into report/, checked as files (escaping, links, exports, codebook,
atomic rebuild, CLI) and published as Prefect artifacts in a real (temporary) Prefect API."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from flows.ingest import DOCUMENT_COLUMNS, DUPLICATE_COLUMNS, REJECTED_COLUMNS
from flows.report import ReportInputError, ReportLanguageError, build_report
from flows.report.artifacts import final_run_dir, md, stance_table, summary_markdown
from flows.report.data import document_file_names, load_run, web_url
from flows.report.exports import EXPORTS, csv_frame, describe
from flows.report.kwic import Highlighter, Piece, cue_spans, pieces_html, sentences_by_document
from flows.report.labels import LABELS_PATH, Labels
from flows.tables import SCHEMAS, validate
from nlp.aggregate import AggregationConfig, aggregate, per_document_counts, trend

HOSTILE_TITLE = "Besluit \"<b>vet</b>\" & 'quotes' <script>alert('title')</script>"
HOSTILE_REF = 'ermelo/raadsvoorstel "><img src=x onerror=alert(1)>.txt'
HOSTILE_TEXT = ("Wij kiezen voor samenwerking als netwerkgemeente <script>alert(1)</script> met partners.\n"
                "Zie <a href=\"javascript:alert(1)\">klik</a> en <img src=x onerror=alert(1)> hier.")
PAGE_SEPARATOR = "\n\n"

# doc_id, gm_code, municipality, date, title, source_url, pages, sentences [(text, stance, mentions)]
# mentions: (mention text, frame, polarity, cue, cue_kind)
DOCS = [
    ("a1", "GM0307", "Amersfoort", dt.date(2015, 2, 10), "Kaders verbonden partijen", "https://raad.example.nl/a1.pdf",
     ["Amersfoort voert de regie.", "De gemeente houdt grip op de uitvoering. Wij willen kaders stellen."],
     [("Amersfoort voert de regie.", "regie", [("regie", "regie", "endorse", None, None)]),
      ("De gemeente houdt grip op de uitvoering.", "regie", [("grip", "regie", "endorse", "houdt", "endorsement")]),
      ("Wij willen kaders stellen.", "regie", [("kaders stellen", "regie", "endorse", "wij willen", "endorsement")])]),
    ("a2", "GM0307", "Amersfoort", dt.date(2019, 5, 1), "Regiegemeente 2019", None,
     ["Wij nemen afscheid van de netwerkgemeente en sturen op resultaat. Een agenda."],
     [("Wij nemen afscheid van de netwerkgemeente en sturen op resultaat.", "regie",
       [("netwerkgemeente", "netwerk", "reject", "afscheid van", "rejection"),
        ("sturen op", "regie", "endorse", None, None)]),
      ("Een agenda.", "geen", [])]),
    ("e1", "GM0233", "Ermelo", dt.date(2016, 4, 12), HOSTILE_TITLE, "javascript:alert(document.cookie)",
     ["Raadsvoorstel", HOSTILE_TEXT],
     [("Raadsvoorstel", "geen", []),
      ("Wij kiezen voor samenwerking als netwerkgemeente <script>alert(1)</script> met partners.", "netwerk",
       [("samenwerking", "netwerk", "endorse", "wij kiezen", "endorsement"),
        ("netwerkgemeente", "netwerk", "endorse", None, None), ("partners", "netwerk", "endorse", None, None)])]),
    ("e2", "GM0233", "Ermelo", dt.date(2020, 10, 13), "Netwerk 2020", "https://raad.example.nl/e2",
     ["Niet de regie maar samenwerking staat voorop. Wij zijn een van de spelers."],
     [("Niet de regie maar samenwerking staat voorop.", "netwerk",
       [("regie", "regie", "reject", "niet", "negation"), ("samenwerking", "netwerk", "endorse", "niet … maar", "contrast")]),
      ("Wij zijn een van de spelers.", "netwerk", [("een van de spelers", "netwerk", "endorse", None, None)])]),
    ("v1", "GM0981", "Vaals", dt.date(2019, 2, 11), "Agenda", None, ["Opening. Sluiting."],
     [("Opening.", "geen", []), ("Sluiting.", "geen", [])]),
]


def make_run(folder: Path) -> Path:
    """A run folder with every table the report reads, consistent with the schemas."""
    folder.mkdir(parents=True)
    documents, sentences, evidence, doc_stance = [], [], [], []
    for doc_id, gm, name, date, title, url, pages, units in DOCS:
        full = PAGE_SEPARATOR.join(pages)
        page_starts = [sum(len(p) + len(PAGE_SEPARATOR) for p in pages[:i]) for i in range(len(pages))]
        ref = HOSTILE_REF if doc_id == "e1" else f"{name.lower()}/{date}_{doc_id}.txt"
        documents.append({
            "doc_id": doc_id, "ref": ref, "source": "folder", "format": "txt", "municipality_input": name.lower(),
            "gm_code": gm, "municipality": name, "municipality_original": name, "merged": False, "date": date,
            "year": date.year, "doc_type": "raadsvoorstel", "title": title, "source_url": url,
            "n_pages": len(pages), "n_chars": len(full), "content_sha256": doc_id * 8, "pages": pages,
        })
        cursor = 0
        for index, (text, stance, mentions) in enumerate(units):
            start = full.index(text, cursor)
            cursor = start + len(text)
            page = max(i for i, s in enumerate(page_starts) if s <= start) + 1
            probs = {s: (0.91 if s == stance else 0.03) for s in ("regie", "netwerk", "zelfstandig", "geen")}
            sentences.append({"doc_id": doc_id, "sentence_index": index, "page": page, "start": start, "end": cursor,
                              "text": text, "stance": stance, "evidence": bool(mentions) and stance != "geen",
                              **{f"p_{s}": p for s, p in probs.items()}})
            for mention, frame, polarity, cue, cue_kind in mentions:
                m_start = start + text.index(mention)
                evidence.append({
                    "doc_id": doc_id, "ref": ref, "gm_code": gm, "municipality": name, "municipality_original": name,
                    "date": date, "year": float(date.year), "doc_type": "raadsvoorstel", "title": title,
                    "source_url": url, "page": page, "frame": frame, "subcategory": "test", "polarity": polarity,
                    "cue": cue, "cue_kind": cue_kind, "mention": mention, "mention_start": m_start,
                    "mention_end": m_start + len(mention), "sentence": text, "sentence_start": start,
                    "sentence_stance": stance, "sentence_stance_probability": probs[stance],
                })
        doc_stance.append({"doc_id": doc_id, "gm_code": gm, "municipality": name, "year": float(date.year),
                           "n_sentences": len(units), "n_tokens": 10, "n_mentions": sum(len(u[2]) for u in units),
                           "stance": units[-1][1], "p_regie": 0.25, "p_netwerk": 0.25, "p_zelfstandig": 0.25,
                           "p_geen": 0.25, "frames": "{}", "from_cache": False})
    docs = pd.DataFrame(documents, columns=DOCUMENT_COLUMNS)
    tables = {"sentences": pd.DataFrame(sentences), "evidence": pd.DataFrame(evidence),
              "document_stance": pd.DataFrame(doc_stance)}
    for name, frame in tables.items():
        validate(name, frame).to_parquet(folder / f"{name}.parquet", index=False)
    config = AggregationConfig(min_evidence_sentences=2, bootstrap_draws=200)
    meta = tables["document_stance"][["doc_id", "gm_code", "municipality", "year"]]
    by_m = aggregate(per_document_counts(tables["sentences"]), meta, ["gm_code"], config)
    by_y = aggregate(per_document_counts(tables["sentences"]), meta.astype({"year": int}), ["gm_code", "year"], config)
    years = meta.groupby("gm_code")["year"].agg(first_year="min", last_year="max").reset_index()
    by_m = by_m.merge(years, on="gm_code").merge(trend(by_y, by_m["gm_code"], config), on="gm_code")
    validate("municipality_stance", by_m).to_parquet(folder / "municipality_stance.parquet", index=False)
    validate("municipality_year_stance", by_y).to_parquet(folder / "municipality_year_stance.parquet", index=False)
    docs.to_parquet(folder / "documents.parquet", index=False)
    pd.DataFrame([{"ref": "zutphen/notulen <svg onload=alert(3)>.txt", "source": "folder", "stage": "ingest",
                   "reason_code": "missing_metadata", "reason": "geen metadata <b>x</b>", "municipality_input": None,
                   "input_sha256": "0" * 64}], columns=REJECTED_COLUMNS).to_parquet(folder / "rejected.parquet", index=False)
    pd.DataFrame([{"ref": "ermelo/kopie.txt", "source": "folder", "duplicate_of_ref": HOSTILE_REF, "doc_id": "e1"}],
                 columns=DUPLICATE_COLUMNS).to_parquet(folder / "duplicates.parquet", index=False)
    run = {
        "run_id": "20260101T000000Z-abcdef", "started_at": "2026-01-01T00:00:00+00:00",
        "finished_at": "2026-01-01T00:01:00+00:00",
        "counts": {"inputs": 7, "analysed": 5, "rejected": 1, "duplicates": 1},
        "rejected_by_reason": {"missing_metadata": 1}, "corpus_hash": "c" * 64, "lexicon_version": "1.0+test",
        "model": {"version": "test-model", "lexicon_version": "1.0+test", "cross_validation": {
            "folds": 5, "macro_f1": 0.83, "accuracy": 0.82,
            "per_class": {s: {"precision": 0.8, "recall": 0.8, "f1": 0.8, "support": 10}
                          for s in ("regie", "netwerk", "zelfstandig", "geen")}}},
        "config": {"corpus": "/corpus", "nlp": {"lexicon_path": None, "rules_path": None, "cues_path": None},
                   "aggregation": config.model_dump()},
        "packages": {"python": "3.11", "regiescan": "0.1.0"},
    }
    (folder / "run.json").write_text(json.dumps(run), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = make_run(tmp_path_factory.mktemp("report-unit") / "20260101T000000Z-abcdef")
    build_report(folder)
    return folder


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# -- labels and small helpers ----------------------------------------------------------


def test_english_labels_cover_every_dutch_label():
    data = yaml.safe_load(LABELS_PATH.read_text(encoding="utf-8"))

    def keys(d, prefix=""):
        return {f"{prefix}{k}" for k, v in d.items() if not isinstance(v, dict)} | {
            x for k, v in d.items() if isinstance(v, dict) for x in keys(v, f"{prefix}{k}.")}

    assert keys(data["nl"]) == keys(data["en"])


def test_numbers_follow_the_language():
    assert Labels("nl").num(-0.456, signed=True) == "\u22120,46"
    assert Labels("en").num(0.456, signed=True) == "+0.46"
    assert Labels("nl").num(float("nan")) == "–"
    assert Labels("nl").interval(-0.5, 0.25) == "[\u22120,50; 0,25]"
    with pytest.raises(ReportLanguageError):
        Labels("fr")


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x",
    "/etc/passwd", "file:///etc/passwd", "https://exa mple.nl/x", "https://example.nl/\nx", "//example.nl/x", None, "",
])
def test_only_plain_web_urls_become_links(url):
    assert web_url(url) is None


def test_web_urls_are_kept():
    assert web_url("https://raad.example.nl/a.pdf?x=1") == "https://raad.example.nl/a.pdf?x=1"
    assert web_url('http://example.nl/a"b') == 'http://example.nl/a"b'  # quotes are escaped in the attribute


def test_document_file_names_come_from_sanitised_ids_and_are_unique():
    names = document_file_names(["abc", "../../etc/passwd", "a/b", "a-b", "ABC", "<script>"])
    assert len(set(n.lower() for n in names.values())) == 6
    for name in names.values():
        assert re.fullmatch(r"[0-9A-Za-z._-]+\.html", name) and not name.startswith(".")


def test_cue_spans_find_split_cues():
    sentence = "Niet de regie maar samenwerking staat voorop."
    spans = cue_spans(sentence, "niet … maar", near=19)
    assert [sentence[a:b] for a, b in spans] == ["Niet", "maar"]
    assert cue_spans(sentence, "(elders in de tekst afgewezen)", 0) == []


def test_kwic_marks_frame_words_and_the_deciding_cue(run_dir):
    tables = load_run(run_dir)
    sentence = next(s for doc_id, found in sentences_by_document(tables.iter_evidence()) if doc_id == "a2" for s in found)
    assert sentence.focus.text == "sturen op"  # endorsed regie mention explains a regie sentence
    kwic = Highlighter(sentence, Labels("nl")).kwic()
    pieces = kwic["left"] + kwic["keyword"] + kwic["right"]
    css = {p.text: p.css for p in pieces}
    assert css["afscheid van"] == "cue"
    assert css["netwerkgemeente"] == "fw fw-netwerk rej"
    assert css["sturen op"] == "fw fw-regie"
    assert "".join(p.text for p in pieces) == sentence.sentence


# -- the built report ------------------------------------------------------------------


def test_report_has_every_page_and_export(run_dir):
    report = run_dir / "report"
    for path in ("index.html", "method.html", "rejected.html", "report.json", "municipalities/GM0307.html",
                 "municipalities/GM0233.html", "municipalities/GM0981.html", "data/codebook.md"):
        assert (report / path).is_file(), path
    assert len(list((report / "documents").glob("*.html"))) == len(DOCS)
    for name in EXPORTS:
        assert (report / "data" / f"{name}.csv").is_file() and (report / "data" / f"{name}.parquet").is_file()
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".report")]


def test_hostile_text_is_escaped_everywhere(run_dir):
    pages = list((run_dir / "report").rglob("*.html"))
    for page in pages:
        html = read(page)
        assert "<script>alert" not in html, page
        assert "<img" not in html, page
        assert "<svg onload" not in html, page
        assert "<b>vet" not in html, page
        assert 'href="javascript:' not in html.lower(), page
        assert len(re.findall(r"<script\b", html)) == 1, page  # only the report's own script
    ermelo = read(run_dir / "report" / "municipalities" / "GM0233.html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in ermelo
    assert "Besluit &#34;&lt;b&gt;vet&lt;/b&gt;&#34; &amp; &#39;quotes&#39;" in ermelo
    assert "javascript:alert(document.cookie)" in ermelo  # shown as text, not linked
    rejected = read(run_dir / "report" / "rejected.html")
    assert "notulen &lt;svg onload=alert(3)&gt;.txt" in rejected


def test_attributes_hold_only_escaped_values(run_dir):
    html = read(run_dir / "report" / "municipalities" / "GM0233.html")
    for value in re.findall(r'\s(?:href|title|id|class)="([^"]*)"', html):
        assert "<" not in value and ">" not in value


def test_content_security_policy_matches_the_inline_style_and_script(run_dir):
    import base64
    import hashlib

    html = read(run_dir / "report" / "index.html")
    csp = html_lib.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1))
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    for tag in ("style", "script"):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", html, re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp


def test_evidence_links_to_document_page_and_source(run_dir):
    html = read(run_dir / "report" / "municipalities" / "GM0307.html")
    assert 'class="evidence-row"' in html
    assert 'href="https://raad.example.nl/a1.pdf#page=2"' in html  # PDF deep link to the page
    names = document_file_names([d[0] for d in DOCS])
    doc = read(run_dir / "report" / "documents" / names["a1"])
    start = DOCS[0][6][0].__len__() + len(PAGE_SEPARATOR)  # sentence 2 starts page 2
    assert f'id="s2-{start}"' in doc and 'id="page-2"' in doc
    assert f'documents/{names["a1"]}#s2-{start}' in html


def test_index_lists_municipalities_counts_and_downloads(run_dir):
    html = read(run_dir / "report" / "index.html")
    assert html.count('data-category="') == 3
    assert 'id="overview-chart"' in html and "<svg" in html
    assert "missing_metadata" in html and 'href="rejected.html"' in html
    assert 'href="data/evidence.csv"' in html and 'href="data/codebook.md"' in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # nothing from the network


def test_thin_evidence_gets_a_note(run_dir):
    html = read(run_dir / "report" / "municipalities" / "GM0981.html")
    assert "Te weinig bewijs voor een categorie" in html
    assert "Geen positie" in html


def test_method_page_lists_the_category_rules_in_order_with_their_codes(run_dir):
    from nlp.aggregate import CATEGORY_RULES

    html = read(run_dir / "report" / "method.html")
    positions = [html.find(f"<code>{rule}</code>") for rule in CATEGORY_RULES]
    assert -1 not in positions and positions == sorted(positions)
    table = pd.read_parquet(run_dir / "municipality_stance.parquet")
    assert set(table.category_rule) <= set(CATEGORY_RULES)


def test_notes_name_the_rule_that_limits_a_reading(run_dir, tmp_path):
    from flows.report.build import _Site

    site = _Site(load_run(run_dir), Labels("en"), tmp_path)  # the run's thresholds: 2 sentences, 2 documents
    base = {"position": 0.2, "position_low": 0.1, "position_high": 0.3, "trend": "stabiel",
            "category": "onvoldoende bewijs", "category_rule": "too_few_position_documents",
            "n_evidence_sentences": 12, "n_documents_with_evidence": 3}
    spread = " ".join(site.notes(base, []))
    assert "the evidence sentences with stance regie or netwerk come from fewer than 2 documents" in spread
    assert "12 evidence sentences" not in spread
    thin = " ".join(site.notes({**base, "category_rule": "too_little_evidence", "n_evidence_sentences": 1,
                                "n_documents_with_evidence": 1}, []))
    assert "Too little evidence for a category: 1 evidence sentences in 1 documents" in thin
    assert "fewer than 2 documents" not in thin
    crossing = " ".join(site.notes({**base, "category": "hybride", "category_rule": "position_between",
                                    "position_low": -0.5, "position_high": 0.1}, []))
    assert "reaches over a category boundary (±0.33)" in crossing and "Too little evidence" not in crossing
    inside = " ".join(site.notes({**base, "category": "netwerkgemeente", "category_rule": "position_netwerk",
                                  "position": 0.6, "position_low": 0.4, "position_high": 0.8}, []))
    assert "category boundary" not in inside
    no_interval = " ".join(site.notes({**base, "category": "regiegemeente", "category_rule": "position_regie",
                                       "position_low": None, "position_high": None}, []))
    assert "No interval: only one document has regie or netwerk sentences" in no_interval
    assert "rests on two years" not in no_interval
    two_years = " ".join(site.notes({**base, "trend": "naar netwerk", "trend_years": 2}, []))
    assert "The trend rests on two years" in two_years
    assert "rests on two years" not in " ".join(site.notes({**base, "trend": "naar netwerk", "trend_years": 3}, []))


def test_exports_match_the_run_tables(run_dir):
    data = run_dir / "report" / "data"
    for name in EXPORTS:
        parquet = pd.read_parquet(data / f"{name}.parquet")
        csv = pd.read_csv(data / f"{name}.csv")
        assert list(parquet.columns) == list(SCHEMAS[name].columns)
        assert list(csv.columns) == list(SCHEMAS[name].columns)
        assert len(csv) == len(parquet) == len(pd.read_parquet(run_dir / f"{name}.parquet"))
    evidence = pd.read_csv(data / "evidence.csv")
    assert evidence["year"].dtype.kind == "i"  # whole years, not 2016.0
    assert not evidence["sentence"].str.contains("\n").any()
    rows = evidence.dropna(subset=["mention"])
    for row in rows.itertuples():  # offsets still valid after replacing line breaks
        sentence = row.sentence[1:] if row.sentence[:2] in ("'=", "'+", "'-", "'@") else row.sentence  # see below
        assert sentence[row.mention_start - row.sentence_start:row.mention_end - row.sentence_start] == row.mention


def test_csv_frame_replaces_line_breaks_one_for_one_and_keeps_other_values():
    frame = pd.DataFrame({
        "text": pd.Series(["a\r\nb\tc\x0bd\x0ce", None, "al goed"], dtype="str"),
        "mixed": pd.Series(["x\ny", 3, None], dtype=object),
        "number": [1.5, 2.0, None],
    })
    out = csv_frame(frame)
    assert out["text"].tolist()[0] == "a  b c d e" and pd.isna(out["text"][1]) and out["text"][2] == "al goed"
    assert out["mixed"].tolist() == ["x y", 3, None]
    assert out["number"].equals(frame["number"]) and frame["text"][0] == "a\r\nb\tc\x0bd\x0ce"  # input untouched


def test_csv_frame_defuses_texts_a_spreadsheet_would_run_as_formulas():
    frame = pd.DataFrame({
        "title": pd.Series(["=HYPERLINK(\"http://x\")", "- opsomming", "+31 6", "@SUM(A1)", "a = b", None], dtype="str"),
        "mixed": pd.Series(["=1+2", -3, "-x\ny", None, "ok", 2.5], dtype=object),
        "position": [-0.5, 0.5, 0.0, 1.0, -1.0, None],
    })
    out = csv_frame(frame)
    assert out["title"].tolist()[:5] == ["'=HYPERLINK(\"http://x\")", "'- opsomming", "'+31 6", "'@SUM(A1)", "a = b"]
    assert pd.isna(out["title"][5])
    assert out["mixed"].tolist() == ["'=1+2", -3, "'-x y", None, "ok", 2.5]  # numbers stay numbers
    assert out["position"].equals(frame["position"])


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_codebook_describes_every_exported_column(lang):
    labels = Labels(lang)
    for name in EXPORTS:
        for column in SCHEMAS[name].columns:
            assert describe(labels, name, column), f"{lang}: no description of {name}.{column} in labels.yml"
            assert len(column) <= 32 and re.fullmatch(r"[a-z_][a-z0-9_]*", column)  # Stata variable names


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_column_of_every_run_table_is_described(lang):
    from flows.report.tables_doc import RUN_TABLES

    labels = Labels(lang)
    assert set(RUN_TABLES) == set(SCHEMAS)
    assert {t: [c for c in SCHEMAS[t].columns if not describe(labels, t, c)] for t in RUN_TABLES} == {t: [] for t in RUN_TABLES}


def test_docs_tables_md_is_generated_from_the_schemas():
    from flows.report.tables_doc import TABLES_DOC, render_tables_doc

    assert TABLES_DOC.read_text(encoding="utf-8") == render_tables_doc(), \
        "docs/tables.md is stale: run python -m flows.report.tables_doc"


def test_codebook_lists_columns(run_dir):
    codebook = read(run_dir / "report" / "data" / "codebook.md")
    for name in EXPORTS:
        assert f"## {name}" in codebook
        for column in SCHEMAS[name].columns:
            assert f"| `{column}` |" in codebook


def test_english_report_and_atomic_rebuild(run_dir, tmp_path):
    folder = make_run(tmp_path / "run")
    build_report(folder, "nl")
    (folder / "report" / "stale.txt").write_text("old", encoding="utf-8")
    build_report(folder, lang="en")
    assert not (folder / "report" / "stale.txt").exists()
    html = read(folder / "report" / "index.html")
    assert '<html lang="en">' in html and "Municipalities" in html
    assert json.loads(read(folder / "report" / "report.json"))["lang"] == "en"
    assert not [p for p in folder.iterdir() if p.name.startswith(".report")]


def test_a_run_without_documents_still_gets_a_report(tmp_path):
    """Every input rejected: the tables are empty (as TableWriter and aggregate write them)."""
    from flows.tables import TableWriter

    folder = tmp_path / "empty"
    folder.mkdir()
    for name in ("sentences", "evidence", "document_stance"):
        TableWriter(name, folder / f"{name}.parquet").close()
    for name in ("municipality_stance", "municipality_year_stance"):
        pd.DataFrame(columns=list(SCHEMAS[name].columns)).to_parquet(folder / f"{name}.parquet", index=False)
    pd.DataFrame(columns=DOCUMENT_COLUMNS).to_parquet(folder / "documents.parquet", index=False)
    pd.DataFrame(columns=REJECTED_COLUMNS).to_parquet(folder / "rejected.parquet", index=False)
    pd.DataFrame(columns=DUPLICATE_COLUMNS).to_parquet(folder / "duplicates.parquet", index=False)
    (folder / "run.json").write_text(json.dumps({"run_id": "empty", "counts": {"inputs": 0, "analysed": 0,
                                                 "rejected": 0, "duplicates": 0}}), encoding="utf-8")
    report = build_report(folder)
    assert "Deze run bevat geen geanalyseerde gemeenten" in read(report / "index.html")
    assert pd.read_csv(report / "data" / "evidence.csv").columns.tolist() == list(SCHEMAS["evidence"].columns)
    assert stance_table(load_run(folder)) == []


def test_missing_tables_are_a_clear_error(tmp_path):
    with pytest.raises(ReportInputError, match="missing run.json"):
        build_report(tmp_path)
    with pytest.raises(ReportInputError, match="does not exist"):
        build_report(tmp_path / "nope")


@pytest.mark.parametrize("table", ["evidence", "municipality_stance"])
def test_a_table_with_rows_but_without_a_column_is_a_clear_error(tmp_path, table):
    folder = make_run(tmp_path / "run")
    frame = pd.read_parquet(folder / f"{table}.parquet")
    assert len(frame)
    frame.drop(columns=["gm_code"]).to_parquet(folder / f"{table}.parquet", index=False)
    with pytest.raises(ReportInputError, match=f"{table}.parquet lacks column\\(s\\) gm_code"):
        load_run(folder)


def test_a_run_written_before_a_column_existed_names_it_and_the_way_out(tmp_path):
    folder = make_run(tmp_path / "run")
    frame = pd.read_parquet(folder / "municipality_stance.parquet")
    frame.drop(columns=["category_rule", "trend_years"]).to_parquet(folder / "municipality_stance.parquet", index=False)
    with pytest.raises(ReportInputError, match=r"lacks column\(s\) category_rule, trend_years: a run written by an "
                                               r"older regiescan\? `regiescan run` writes the current tables"):
        load_run(folder)


def test_report_command(tmp_path):
    import typer

    from flows.report.cli import report

    app = typer.Typer()
    app.command()(report)
    app.callback()(lambda: None)
    folder = make_run(tmp_path / "run")
    result = CliRunner().invoke(app, ["report", str(folder), "--report-lang", "en"])
    assert result.exit_code == 0, result.output
    assert (folder / "report" / "index.html").is_file()
    assert "index.html" in result.output
    result = CliRunner().invoke(app, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2
    result = CliRunner().invoke(app, ["report", str(folder), "--report-lang", "xx"])
    assert result.exit_code == 2


# -- Prefect artifacts -------------------------------------------------------------------


def test_artifact_contents(run_dir):
    tables = load_run(run_dir)
    rows = stance_table(tables)
    assert [r["gm_code"] for r in rows] == ["GM0307", "GM0233", "GM0981"]
    assert rows[2]["position"] is None  # JSON null, not NaN
    json.dumps(rows, allow_nan=False)
    markdown = summary_markdown(tables, Labels("nl"), run_dir / "report" / "index.html")
    assert "missing\\_metadata" in markdown and "Amersfoort" in markdown
    assert md("a|b<script>") == "a\\|b\\<script\\>"
    partial = run_dir.parent / ".partial-20260101T000000Z-abcdef"
    assert final_run_dir(partial) == (run_dir.parent / "20260101T000000Z-abcdef").resolve()


ARTIFACT_SCRIPT = """
import json, sys
from pathlib import Path
from prefect import flow
from prefect.artifacts import Artifact
from flows.prefect_runtime import prefect_api
from flows.report import publish_artifacts

@flow(name="report-artifacts-test")
def publish(run_dir: str) -> None:
    publish_artifacts(Path(run_dir))

with prefect_api():
    publish(sys.argv[1])
    out = {}
    for key in ("regiescan-summary", "regiescan-stance", "regiescan-report"):
        a = Artifact.get(key)
        out[key] = None if a is None else {"type": a.type, "data": a.data, "flow_run_id": str(a.flow_run_id)}
    print("ARTIFACTS=" + json.dumps(out))
"""


def test_publish_artifacts_inside_a_flow_run(tmp_path):
    """In a real flow run against a temporary Prefect server (a subprocess with its own PREFECT_HOME),
    from the partial run folder as the flow will call it."""
    folder = make_run(tmp_path / "outputs" / ".partial-20260101T000000Z-abcdef")
    build_report(folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_LOGGING_LEVEL="WARNING")
    result = subprocess.run([sys.executable, "-c", ARTIFACT_SCRIPT, str(folder)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("ARTIFACTS="))
    artifacts = json.loads(line.removeprefix("ARTIFACTS="))
    summary, stance, link = artifacts["regiescan-summary"], artifacts["regiescan-stance"], artifacts["regiescan-report"]
    assert summary["type"] == "markdown" and "regiescan run 20260101T000000Z" in summary["data"]
    assert stance["type"] == "table"
    table = json.loads(stance["data"]) if isinstance(stance["data"], str) else stance["data"]
    assert {row["gm_code"] for row in table} == {"GM0307", "GM0233", "GM0981"}
    assert link["type"] == "markdown"  # Prefect stores a link artifact as a Markdown link
    final = (tmp_path / "outputs" / "20260101T000000Z-abcdef" / "report" / "index.html").resolve()
    assert final.as_uri() in link["data"]
    assert summary["flow_run_id"] not in ("None", "")
    assert "Traceback" not in result.stderr


def test_method_page_prefers_the_runs_own_lexicon_copy(tmp_path):
    from nlp.lexicon import CUES_PATH, LEXICON_PATH, RULES_PATH, data_version

    folder = make_run(tmp_path / "run")
    saved = folder / "method"
    saved.mkdir()
    for path in (LEXICON_PATH, RULES_PATH, CUES_PATH):
        text = path.read_text(encoding="utf-8")
        if path == LEXICON_PATH:  # a pattern only the run's copy has
            assert "\nregie:\n" in text
            text = text.replace("\nregie:\n", "\nregie:\n  extra_for_test:\n    - \"testwoordregie\"\n", 1)
        (saved / path.name).write_text(text, encoding="utf-8")
    run = json.loads(read(folder / "run.json"))
    run["lexicon_version"] = data_version(saved / LEXICON_PATH.name, saved / RULES_PATH.name, saved / CUES_PATH.name)
    (folder / "run.json").write_text(json.dumps(run), encoding="utf-8")
    html = read(build_report(folder) / "method.html")
    assert "testwoordregie" in html
    assert "Let op: de lexiconbestanden op schijf" not in html  # the copy matches the run's version


def test_pieces_become_escaped_html():
    html = pieces_html([Piece("a <b>&"), Piece("regie\"", "fw fw-regie rej", "cue: <x> 'y'"), Piece("z", "cue")])
    assert str(html) == ('a &lt;b&gt;&amp;<span class="fw fw-regie rej" title="cue: &lt;x&gt; &#39;y&#39;">'
                         'regie&#34;</span><span class="cue">z</span>')
