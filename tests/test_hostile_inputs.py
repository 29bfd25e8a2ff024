"""Hostile inputs: one `regiescan run` over a corpus of broken, dangerous and odd files.

The run is the session fixture `hostile_run` (tests/conftest.py); the corpus and the
outcome expected for every case are in tests/hostile_corpus.py.

Each case must land where tests/hostile_corpus.py says (analysed, duplicate, or rejected
with a specific reason), the run must complete with exit code 0, the counts must add up,
and the good documents beside the hostile ones must come through untouched.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import hostile_corpus
from flows.tables import validate


def tables(out: Path) -> dict[str, pd.DataFrame]:
    names = ("documents", "rejected", "duplicates", "sentences", "evidence", "document_stance")
    return {name: pd.read_parquet(out / "latest" / f"{name}.parquet") for name in names}


def test_the_run_completes_with_exit_code_0_and_a_balanced_summary(hostile_run):
    result, out = hostile_run.result, hostile_run.out
    assert result.returncode == 0, result.stderr[-3000:]
    combined = result.stdout + result.stderr
    assert "Traceback" not in combined
    summary = " ".join(result.stdout.split())
    assert "inputs = analysed + rejected + duplicates │ yes" in summary
    assert (out / "latest").is_symlink() and (out / "latest" / "run.json").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".partial-")]


def test_every_hostile_case_lands_where_it_should(hostile_run):
    out = hostile_run.out
    t = tables(out)
    got: dict[str, tuple[str, str | None, str | None]] = {}
    for row in t["rejected"].itertuples():
        got[row.ref] = ("rejected", row.reason_code, row.reason)
    got.update({ref: ("analysed", None, None) for ref in t["documents"]["ref"]})
    got.update({ref: ("duplicate", None, None) for ref in t["duplicates"]["ref"]})
    wrong = []
    for case in hostile_run.checked_cases:
        outcome, code, reason = got.get(case.ref, ("missing", None, None))
        if outcome != case.outcome or code != case.reason_code or (case.reason_contains or "") not in (reason or ""):
            wrong.append(f"{case.what}: expected {case.outcome}/{case.reason_code}, got {outcome}/{code}: {reason}")
    assert not wrong, "\n".join(wrong)


def test_counts_add_up_and_every_input_is_accounted_for_once(hostile_run):
    out, cases, permissions_work = hostile_run.out, hostile_run.cases, hostile_run.permissions_work
    run = json.loads((out / "latest" / "run.json").read_text())
    counts = run["counts"]
    assert counts["inputs"] == counts["analysed"] + counts["rejected"] + counts["duplicates"]
    t = tables(out)
    refs = list(t["rejected"]["ref"]) + list(t["documents"]["ref"]) + list(t["duplicates"]["ref"])
    assert len(refs) == len(set(refs)) == counts["inputs"]
    assert counts["analysed"] == len(t["documents"]) == len(t["document_stance"])
    assert run["rejected_by_reason"] == dict(Counter(t["rejected"]["reason_code"]))
    expected = {c.ref for c in cases}
    if permissions_work:
        assert set(refs) == expected
    else:  # as root without setpriv the locked folder and file are simply read
        assert expected - {c.ref for c in cases if c.needs_permissions} <= set(refs)
        assert all(r in expected or r.startswith("deventer/afgeschermd/") for r in refs)


def test_unreadable_files_are_rejected_when_permissions_can_be_enforced(hostile_run):
    if not hostile_run.permissions_work:
        pytest.skip("running as root without setpriv: chmod 000 does not stop root reading")
    out = hostile_run.out
    rejected = tables(out)["rejected"].set_index("ref")
    assert rejected.at["deventer/2020-02-02_geheim.txt", "reason"] == "bestand niet leesbaar (geen leesrechten)"
    assert rejected.at["deventer/afgeschermd", "reason_code"] == "unreadable"


def test_output_tables_match_their_declared_schemas(hostile_run):
    out = hostile_run.out
    for name, frame in tables(out).items():
        validate(name, frame)


def test_good_documents_beside_the_hostile_ones_are_analysed_normally(hostile_run):
    out = hostile_run.out
    t = tables(out)
    docs = t["documents"].set_index("ref")
    good = docs.loc["den-bosch/2019-05-01_raadsvoorstel-regie.txt"]
    assert (good.gm_code, good.doc_type, good.title) == ("GM0796", "raadsvoorstel", "Raadsvoorstel regie")
    stance = t["document_stance"].set_index("doc_id")
    for ref in ("den-bosch/2019-05-01_raadsvoorstel-regie.txt", "den-bosch/2019-05-02_raadsvoorstel-pdf.pdf",
                "den-bosch/2019-05-03_notitie-docx.docx", "aangeleverd/Brief aan de raad.txt"):
        doc_id = docs.at[ref, "doc_id"]
        assert stance.at[doc_id, "n_sentences"] >= 4, ref
        assert "regie" in json.loads(stance.at[doc_id, "frames"]), ref
    assert set(t["sentences"]["doc_id"]) == set(docs["doc_id"])


def test_utf16_and_latin1_texts_are_decoded_not_rejected(hostile_run):
    out = hostile_run.out
    docs = tables(out)["documents"].set_index("ref")
    for ref in ("helmond/2020-03-03_visie-utf16.txt", "helmond/2020-03-04_visie-utf16le.txt"):
        assert "geïnformeerd over de voortgang en over de financiële gevolgen" in docs.at[ref, "pages"][0], ref
    latin1 = docs.at["hellevoetsluis/2018-02-01_coalitieakkoord-latin1.txt", "pages"][0]
    assert "Het coöperatieve model met één ambtelijke organisatie" in latin1


def test_no_script_or_style_text_reaches_the_outputs(hostile_run):
    out = hostile_run.out
    t = tables(out)
    docs = t["documents"].set_index("ref")
    html = docs.loc["laren/2021-01-01_raadsinformatiebrief-scripts.html"]
    text = "\n".join(html.pages)
    assert "De gemeente voert de regie over de uitvoering" in text
    assert "Wij werken samen in de regio." in text
    assert html.title == "Raadsinformatiebrief scripts"
    for name in ("documents", "sentences", "evidence"):
        assert hostile_corpus.SCRIPT_MARKER not in t[name].to_csv(), name


def test_the_report_escapes_document_text_titles_and_names(hostile_run):
    report = hostile_run.out / "latest" / "report"
    docs = tables(hostile_run.out)["documents"].set_index("ref")
    injected = docs.loc[f"ermelo/2020-07-07_{hostile_corpus.INJECTED_NAME}.txt"]
    assert injected.title == hostile_corpus.INJECTED_TITLE  # kept as text...
    assert hostile_corpus.INJECTED_TEXT in injected.pages[0]
    pages = list(report.rglob("*.html"))
    assert (report / "documents" / f"{injected.doc_id}.html") in pages
    for page in pages:  # ...and never markup in the report
        html = page.read_text(encoding="utf-8")
        for raw in hostile_corpus.INJECTIONS:
            assert raw not in html, f"{raw!r} unescaped in {page.relative_to(report)}"


def test_odd_file_names_are_kept_as_references_with_clean_titles(hostile_run):
    out = hostile_run.out
    docs = tables(out)["documents"].set_index("ref")
    assert docs.at[f"ermelo/{hostile_corpus.ODD_NAME}", "title"] == hostile_corpus.ODD_TITLE
    bad_bytes = "ermelo/" + hostile_corpus.BAD_BYTES_NAME.decode("utf-8", "backslashreplace")
    assert docs.at[bad_bytes, "title"] == "Memo \\xff\\xfe latin"


def test_nothing_outside_the_corpus_is_read_and_nothing_is_written_outside_the_run(hostile_run):
    out = hostile_run.out
    t = tables(out)
    everything = "".join(frame.to_csv() for frame in t.values())
    assert "Buiten de corpusmap" not in everything  # the text of the file a symlink points to
    assert "root:x:0:0" not in everything
    published = [p for p in out.iterdir() if p.name not in ("latest", ".cache")]
    assert len(published) == 1 and published[0].is_dir() and not published[0].name.startswith(".")
    for path in published[0].rglob("*"):
        assert path.resolve().is_relative_to(published[0].resolve()), path
    rejected = t["rejected"].set_index("ref")
    assert pd.isna(rejected.at["aangeleverd/../../../../etc/passwd", "input_sha256"])


def test_non_dutch_documents_are_rejected_at_analysis(hostile_run):
    out = hostile_run.out
    rejected = tables(out)["rejected"].set_index("ref")
    english = rejected.loc["zutphen/2020-01-01_report-english.txt"]
    assert (english.stage, english.reason) == ("analyse", "niet Nederlands (lijkt Engels)")
    german = rejected.loc["zutphen/2020-01-02_bericht-deutsch.txt"]
    assert (german.stage, german.reason) == ("analyse", "niet Nederlands (lijkt Duits)")


def test_a_malformed_manifest_does_not_stop_its_folder_or_the_run(hostile_run):
    out = hostile_run.out
    rejected = tables(out)["rejected"].set_index("ref")
    assert rejected.at["aangeleverd-kapot/manifest.jsonl", "reason"].startswith("manifest onleesbaar: manifest.jsonl regel 1")


def test_reason_codes_are_snake_case_and_messages_dutch(hostile_run):
    out = hostile_run.out
    rejected = tables(out)["rejected"]
    assert rejected["reason_code"].str.fullmatch(r"[a-z]+(_[a-z]+)*").all()
    english_words = {"the", "file", "not", "error", "denied", "permission", "such"}
    for reason in rejected["reason"]:
        assert not english_words & set(reason.lower().replace("(", " ").replace(")", " ").split()), reason


@pytest.mark.skipif(os.name != "posix", reason="FIFOs and symlinks need POSIX")
def test_a_named_pipe_never_blocks_the_run(hostile_run):
    out = hostile_run.out
    rejected = tables(out)["rejected"].set_index("ref")
    assert rejected.at["deventer/2020-03-03_pijp.txt", "reason"] == "geen gewoon bestand (named pipe); niet gelezen"
