"""Real files of every supported format: the bundled sample corpus and files rebuilt by its
build script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flows.sources.readers import SUPPORTED_SUFFIXES, read_document

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpora" / "sample"


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
def test_every_format_of_the_sample_corpus_reads(suffix):
    files = sorted(SAMPLE.rglob(f"*{suffix}"))
    if suffix == ".htm":
        pytest.skip("the sample corpus uses .html; .htm shares its reader")
    assert files, f"no {suffix} file in the sample corpus"
    for path in files:
        extracted = read_document(path)
        text = "\n".join(extracted.pages)
        assert len(text) > 500, path
        assert "gemeente" in text.lower(), path


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    """The PDF, DOCX and ODT files rebuilt from their text sources by corpora/build_sample.py."""
    out = tmp_path_factory.mktemp("rebuilt")
    result = subprocess.run([sys.executable, str(ROOT / "corpora" / "build_sample.py"), "--out", str(out), "-q"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


def test_build_script_reproduces_the_committed_binaries():
    result = subprocess.run([sys.executable, str(ROOT / "corpora" / "build_sample.py"), "--check", "-q"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rebuilt_pdf_keeps_pages_and_repairs_line_end_hyphenation(rebuilt):
    path = rebuilt / "wijk-bij-duurstede" / "2016-06-14_nota-verbonden-partijen-2016.pdf"
    source = (ROOT / "corpora" / "sample_src" / "wijk-bij-duurstede" / "2016-06-14_nota-verbonden-partijen-2016.pdf.txt")
    assert "regie-\n" in source.read_text(encoding="utf-8")  # the source breaks the word at a line end
    extracted = read_document(path)
    assert len(extracted.pages) == source.read_text(encoding="utf-8").count("<<<PAGE>>>") + 1
    text = "\n".join(extracted.pages)
    assert "regiegemeente" in text and "regie-\n" not in text
    assert not any(page.rstrip().endswith(("Pagina 1", "Pagina 2")) for page in extracted.pages)  # footers dropped


def test_rebuilt_pdf_keeps_the_hyphen_of_names(rebuilt):
    path = rebuilt / "venlo" / "2020-12-08_nota-verbonden-partijen-2021.pdf"
    text = "\n".join(read_document(path).pages)
    assert "Noord-\nLimburg" in text or "Noord-Limburg" in text
    assert "NoordLimburg" not in text


def test_rebuilt_docx_and_odt_read_back_their_text(rebuilt):
    docx = next(rebuilt.rglob("*.docx"))
    odt = next(rebuilt.rglob("*.odt"))
    for path in (docx, odt):
        source = ROOT / "corpora" / "sample_src" / path.relative_to(rebuilt).parent / (path.name + ".txt")
        first_paragraph = next(line for line in source.read_text(encoding="utf-8").splitlines()
                               if line.strip() and not line.startswith("#") and "<<<" not in line)
        text = " ".join("\n".join(read_document(path).pages).split())
        assert " ".join(first_paragraph.split())[:60] in text, path


def test_every_reason_code_is_documented():
    """A rejection carries a code from flows/sources/reason_codes.yml (docs/tables.md lists
    them with their meaning); an undocumented code is refused where it is raised."""
    from flows.sources.rejection import REASON_CODES, Rejected

    assert Rejected("too_large", "x").code == "too_large"
    with pytest.raises(ValueError, match="reason_codes.yml"):
        Rejected("too_big", "x")
    tables_doc = (Path(__file__).parent.parent / "docs" / "tables.md").read_text(encoding="utf-8")
    assert all(f"| `{code}` | {meaning} |" in tables_doc for code, meaning in REASON_CODES.items())
