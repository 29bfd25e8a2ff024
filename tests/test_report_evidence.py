"""The report reads the evidence table in parts: the exports stream it, the document pages take
their sentences as the documents pass, and a municipality page keeps only what it shows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.report import ReportInputError, build_report
from flows.report.evidence import Top
from flows.report.exports import _write_parts
from test_report_unit import make_run


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.integers(0, 6), max_size=120), limit=st.integers(0, 25), reverse=st.booleans())
def test_top_keeps_what_sorting_everything_would(keys, limit, reverse):
    items = list(enumerate(keys))  # (arrival, key): many ties, so stability matters
    top = Top(limit, key=lambda item: item[1], reverse=reverse)
    for item in items:
        top.add(item)
        assert len(top.keyed) < limit + top.slack  # never holds the stream
    assert top.first() == sorted(items, key=lambda item: item[1], reverse=reverse)[:limit]


def _pages(report: Path) -> dict[str, str]:
    return {str(p.relative_to(report)): p.read_text(encoding="utf-8") for p in sorted(report.rglob("*.html"))}


def test_the_pages_do_not_depend_on_the_order_of_documents_in_the_evidence_table(tmp_path):
    ordered = make_run(tmp_path / "ordered")
    build_report(ordered)
    shuffled = tmp_path / "shuffled"
    shutil.copytree(ordered, shuffled)
    shutil.rmtree(shuffled / "report")
    evidence = pd.read_parquet(ordered / "evidence.parquet")
    docs = list(dict.fromkeys(evidence["doc_id"]))
    assert len(docs) >= 3
    reordered = pd.concat([evidence[evidence["doc_id"] == d] for d in reversed(docs)], ignore_index=True)
    reordered.to_parquet(shuffled / "evidence.parquet", index=False)
    build_report(shuffled)
    assert _pages(shuffled / "report") == _pages(ordered / "report")
    assert 'id="s2-' in (ordered / "report" / "documents" / "a1.html").read_text(encoding="utf-8")  # sentences placed


def test_rows_of_one_document_apart_are_a_clear_error(tmp_path):
    folder = make_run(tmp_path / "run")
    evidence = pd.read_parquet(folder / "evidence.parquet")
    first = evidence[evidence["doc_id"] == "a1"]
    apart = pd.concat([first.iloc[:1], evidence[evidence["doc_id"] != "a1"], first.iloc[1:]], ignore_index=True)
    apart.to_parquet(folder / "evidence.parquet", index=False)
    with pytest.raises(ReportInputError, match="'a1'.*not together"):
        build_report(folder)
    assert not (folder / "report").exists()


def test_an_export_written_in_parts_equals_it_written_whole(tmp_path):
    evidence = pd.read_parquet(make_run(tmp_path / "run") / "evidence.parquet")
    evidence.loc[:3, "date"] = None  # parts without any date (Arrow would type them null) before parts with one
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    whole.mkdir()
    parts.mkdir()
    n_whole = _write_parts("evidence", [evidence], whole / "e.parquet", whole / "e.csv")
    pieces = [evidence.iloc[:1], evidence.iloc[1:1], evidence.iloc[1:4], evidence.iloc[4:]]
    n_parts = _write_parts("evidence", pieces, parts / "e.parquet", parts / "e.csv")
    assert n_parts == n_whole == len(evidence)
    assert (parts / "e.csv").read_bytes() == (whole / "e.csv").read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(parts / "e.parquet"), pd.read_parquet(whole / "e.parquet"))


def test_a_neutral_mention_is_marked_as_such_and_its_cue_decides_nothing():
    """evidence.parquet has neutral mentions of evidence sentences: they are drawn dotted, and
    an attribution cue neither counts as the deciding cue nor makes a sentence stronger."""
    from flows.report.kwic import EvidenceSentence, Highlighter, Mention
    from flows.report.labels import Labels

    text = "Volgens de provincie is grip nodig en wij werken samen."
    def mention(word: str, frame: str, polarity: str, cue: str | None, kind: str | None) -> Mention:
        start = text.index(word)
        return Mention(start, start + len(word), word, frame, "x", polarity, cue, kind)

    sentence = EvidenceSentence(
        doc_id="d", page=1, sentence_start=0, sentence=text, stance="netwerk", probability=0.8, gm_code="GM0307",
        municipality="Amersfoort", municipality_original=None, date=None, year=None, title=None, ref="d.txt",
        doc_type=None, source_url=None,
        mentions=[mention("grip", "regie", "neutral", "volgens", "attribution"),
                  mention("werken samen", "netwerk", "endorse", None, None)])
    assert sentence.deciding_cue is None and sentence.strength[1] == 0
    css = {p.text: p.css for p in Highlighter(sentence, Labels("nl")).pieces(0, len(text))}
    assert css["grip"] == "fw fw-regie neu" and css["werken samen"] == "fw fw-netwerk"
