#!/usr/bin/env python3
"""Build the binary documents (.pdf, .docx, .odt) of regiescan's sample corpus.

The sample corpus in ``corpora/sample/`` consists of fictional Dutch council documents
written for regiescan's tests and demo. Plain formats (.txt, .md, .html) are stored as
they are. The binary formats are generated from text sources in ``corpora/sample_src/``:
a source ``<src>/<rel>/<name>.<ext>.txt`` becomes ``<out>/<rel>/<name>.<ext>`` where
``<ext>`` is one of ``pdf``, ``docx`` or ``odt``.

Source markup (one UTF-8 text file per document):

* the first line is ``# Title`` (the document title);
* further lines starting with ``# `` or ``## `` are headings (level 1 and 2);
* a blank line separates paragraphs;
* a line containing only ``<<<PAGE>>>`` is a page break;
* a line starting with ``- `` or with a list number (``1. ``, ``2) ``, ``a. ``) starts a
  new paragraph (a list item) inside a block;
* PDF: every source line becomes exactly one line in the PDF, nothing is rewrapped, so a
  hyphen at the end of a source line stays a line-end hyphen in the PDF. The core font
  Helvetica only covers latin-1: typographic quotes, dashes, ellipsis, euro sign and a few
  spaces are mapped to latin-1 equivalents (see ``LATIN1_MAP``); any other character
  outside latin-1 is an error. A line that does not fit the text width is an error too.
* DOCX and ODT: the lines of a paragraph are joined with single spaces.

Output is deterministic as far as the libraries allow: fixed creation/modification
dates (taken from a ``YYYY-MM-DD_`` prefix of the file name, else from the ``date`` column
of a ``manifest.csv`` next to the source, the output or the default output, else
``DEFAULT_DATE``), fixed
metadata, and the ZIP containers of DOCX/ODT are rewritten with fixed timestamps.

Usage::

    python corpora/build_sample.py                 # rebuild everything
    python corpora/build_sample.py --src DIR --out DIR
    python corpora/build_sample.py --check         # only report stale/missing outputs

Requires fpdf2, python-docx and odfpy.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Literal

HERE = Path(__file__).resolve().parent
DEFAULT_SRC = HERE / "sample_src"
DEFAULT_OUT = HERE / "sample"
DEFAULT_DATE = datetime(2024, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
BINARY_EXTS = ("pdf", "docx", "odt")
PAGE_MARK = "<<<PAGE>>>"
AUTHOR = "regiescan voorbeeldcorpus (fictief)"
CREATOR = "regiescan corpora/build_sample.py"

# Characters outside latin-1 that may appear in sources, with their PDF replacement.
LATIN1_MAP: dict[str, str] = {
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark / apostrophe
    "\u201a": "'",  # single low-9 quotation mark
    "\u201b": "'",
    "\u2032": "'",  # prime
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u201e": '"',  # double low-9 quotation mark
    "\u2033": '"',
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",
    "\u2212": "-",  # minus sign
    "\u2026": "...",  # ellipsis
    "\u2022": "-",  # bullet
    "\u2009": " ",  # thin space
    "\u202f": " ",  # narrow no-break space
    "\u2002": " ",
    "\u2003": " ",
    "\u20ac": "EUR",  # euro sign
}

LIST_ITEM_RE = re.compile(r"^(?:- |\u2022 |\d{1,2}[.)] |[a-z][.)] )")

BlockKind = Literal["title", "h1", "h2", "para", "page"]


class SourceError(ValueError):
    """A source file cannot be rendered (bad markup, character or line width)."""


@dataclass
class Block:
    """One structural unit of a source document."""

    kind: BlockKind
    lines: list[str] = field(default_factory=list)
    lineno: int = 0

    @property
    def text(self) -> str:
        """The lines joined with single spaces (for reflowing formats)."""
        return " ".join(line.strip() for line in self.lines).strip()


@dataclass
class SourceDoc:
    """A parsed source document."""

    path: Path
    title: str
    blocks: list[Block]
    date: datetime


def doc_date(name: str) -> datetime:
    """Date from a ``YYYY-MM-DD_`` file name prefix, else ``DEFAULT_DATE``."""
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})_", name)
    if not m:
        return DEFAULT_DATE
    year, month, day = (int(g) for g in m.groups())
    return datetime(year, month, day, 12, 0, 0, tzinfo=timezone.utc)


def manifest_dates(*folders: Path) -> dict[str, datetime]:
    """Dates by file name from ``manifest.csv`` files (columns ``file`` and ``date``).

    Used for delivered documents whose names carry no ``YYYY-MM-DD_`` prefix.
    """
    dates: dict[str, datetime] = {}
    for folder in folders:
        manifest = folder / "manifest.csv"
        if not manifest.is_file():
            continue
        with manifest.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", (row.get("date") or "").strip())
                if row.get("file") and m:
                    y, mo, d = (int(g) for g in m.groups())
                    dates.setdefault(row["file"], datetime(y, mo, d, 12, tzinfo=timezone.utc))
    return dates


def parse_source(path: Path, date: datetime | None = None) -> SourceDoc:
    """Parse the text markup of one source file into blocks.

    ``date`` overrides the date derived from the file name.
    """
    raw = path.read_text(encoding="utf-8")
    lines = raw.replace("\r\n", "\n").split("\n")
    if not lines or not lines[0].startswith("# "):
        raise SourceError(f"{path}:1: first line must be '# Title'")
    title = lines[0][2:].strip()
    blocks: list[Block] = [Block("title", [title], 1)]
    current: Block | None = None

    def close() -> None:
        nonlocal current
        if current is not None and current.lines:
            blocks.append(current)
        current = None

    for i, line in enumerate(lines[1:], start=2):
        stripped = line.rstrip()
        if stripped.strip() == PAGE_MARK:
            close()
            blocks.append(Block("page", [], i))
        elif not stripped.strip():
            close()
        elif stripped.startswith("## "):
            close()
            blocks.append(Block("h2", [stripped[3:].strip()], i))
        elif stripped.startswith("# "):
            close()
            blocks.append(Block("h1", [stripped[2:].strip()], i))
        elif LIST_ITEM_RE.match(stripped):
            close()
            current = Block("para", [stripped], i)
        else:
            if current is None:
                current = Block("para", [], i)
            current.lines.append(stripped)
    close()
    return SourceDoc(path=path, title=title, blocks=blocks, date=date or doc_date(path.name))


def to_latin1(text: str, where: str) -> str:
    """Map typographic characters to latin-1; raise on anything else outside latin-1."""
    out: list[str] = []
    for ch in text:
        if ch in LATIN1_MAP:
            out.append(LATIN1_MAP[ch])
            continue
        try:
            ch.encode("latin-1")
        except UnicodeEncodeError:
            raise SourceError(
                f"{where}: character {ch!r} (U+{ord(ch):04X}) is not in latin-1 and has no "
                "mapping; the PDF core font Helvetica cannot render it. Rewrite the text "
                "or add a mapping to LATIN1_MAP."
            ) from None
        out.append(ch)
    return "".join(out)


# --------------------------------------------------------------------------- PDF


def build_pdf(doc: SourceDoc) -> bytes:
    """Render a source as PDF, one PDF line per source line, with page numbers."""
    from fpdf import FPDF

    class _PDF(FPDF):
        def footer(self) -> None:  # noqa: D102 - fpdf2 hook
            self.set_y(-14)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 5, f"Pagina {self.page_no()}", align="C")

    pdf = _PDF(orientation="P", unit="mm", format="A4")
    pdf.set_creation_date(doc.date)
    pdf.set_title(to_latin1(doc.title, f"{doc.path}:1"))
    pdf.set_author(AUTHOR)
    pdf.set_creator(CREATOR)
    pdf.set_producer(CREATOR)
    pdf.set_lang("nl-NL")
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_page()

    styles: dict[str, tuple[str, float, float]] = {
        "title": ("B", 15, 7.5),
        "h1": ("B", 12, 6.5),
        "h2": ("B", 10.5, 5.5),
        "para": ("", 10, 5.0),
    }
    for block in doc.blocks:
        if block.kind == "page":
            pdf.add_page()
            continue
        style, size, height = styles[block.kind]
        pdf.set_font("Helvetica", style, size)
        if block.kind in ("h1", "h2") and pdf.get_y() > pdf.t_margin + 1:
            pdf.ln(2)
        for offset, line in enumerate(block.lines):
            where = f"{doc.path}:{block.lineno + offset}"
            text = to_latin1(line.rstrip(), where)
            if block.kind != "para":
                # Headings keep one line: shrink the font until the line fits.
                fitted = size
                while pdf.get_string_width(text) > pdf.epw and fitted > 10:
                    fitted -= 0.5
                    pdf.set_font("Helvetica", style, fitted)
            if pdf.get_string_width(text) > pdf.epw:
                raise SourceError(
                    f"{where}: line is too wide for the PDF page "
                    f"({len(text)} characters); wrap it in the source"
                )
            pdf.cell(0, height, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3 if block.kind == "title" else 2.5)
    return bytes(pdf.output())


# -------------------------------------------------------------------------- DOCX


def build_docx(doc: SourceDoc) -> bytes:
    """Render a source as DOCX (paragraph lines joined)."""
    import docx
    from docx.shared import Pt

    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    for block in doc.blocks:
        if block.kind == "page":
            document.add_page_break()
        elif block.kind == "title":
            document.add_heading(block.text, level=0)
        elif block.kind == "h1":
            document.add_heading(block.text, level=1)
        elif block.kind == "h2":
            document.add_heading(block.text, level=2)
        else:
            text = block.text
            if text.startswith(("- ", "\u2022 ")):
                document.add_paragraph(text[2:].strip(), style="List Bullet")
            else:
                document.add_paragraph(text)
    props = document.core_properties
    props.title = doc.title
    props.author = AUTHOR
    props.last_modified_by = AUTHOR
    props.comments = "Fictief document, geschreven voor de tests van regiescan."
    props.created = doc.date.replace(tzinfo=None)
    props.modified = doc.date.replace(tzinfo=None)
    props.last_printed = doc.date.replace(tzinfo=None)
    props.revision = 1
    buf = io.BytesIO()
    document.save(buf)
    return normalized_zip(buf.getvalue(), doc.date)


# --------------------------------------------------------------------------- ODT


def build_odt(doc: SourceDoc) -> bytes:
    """Render a source as ODT (paragraph lines joined)."""
    from odf import dc, meta, teletype
    from odf.opendocument import OpenDocumentText
    from odf.style import ParagraphProperties, Style, TextProperties
    from odf.text import H, P

    odt = OpenDocumentText()
    stamp = doc.date.replace(tzinfo=None).isoformat()
    odt.meta.addElement(dc.Title(text=doc.title))
    odt.meta.addElement(dc.Creator(text=AUTHOR))
    odt.meta.addElement(meta.InitialCreator(text=AUTHOR))
    odt.meta.addElement(meta.CreationDate(text=stamp))
    odt.meta.addElement(dc.Date(text=stamp))
    odt.meta.addElement(dc.Language(text="nl-NL"))

    def pstyle(name: str, size: str, bold: bool, **para: str) -> Style:
        st = Style(name=name, family="paragraph")
        props = {"fontsize": size, "fontfamily": "Liberation Sans"}
        if bold:
            props["fontweight"] = "bold"
        st.addElement(TextProperties(**props))
        st.addElement(ParagraphProperties(**para))
        odt.styles.addElement(st)
        return st

    s_title = pstyle("Title", "18pt", True, marginbottom="0.3cm")
    s_h1 = pstyle("Heading 1", "14pt", True, margintop="0.4cm", marginbottom="0.2cm")
    s_h2 = pstyle("Heading 2", "12pt", True, margintop="0.3cm", marginbottom="0.15cm")
    s_body = pstyle("Text body", "11pt", False, marginbottom="0.25cm")
    s_item = pstyle("List item", "11pt", False, marginleft="0.6cm", marginbottom="0.1cm")
    s_break = Style(name="PageBreak", family="paragraph")
    s_break.addElement(ParagraphProperties(breakbefore="page"))
    odt.automaticstyles.addElement(s_break)

    break_next = False
    for block in doc.blocks:
        if block.kind == "page":
            break_next = True
            continue
        text = block.text
        if block.kind == "title":
            el = H(outlinelevel=1, stylename=s_title)
        elif block.kind == "h1":
            el = H(outlinelevel=1, stylename=s_h1)
        elif block.kind == "h2":
            el = H(outlinelevel=2, stylename=s_h2)
        elif LIST_ITEM_RE.match(text):
            el = P(stylename=s_item)
        else:
            el = P(stylename=s_body)
        if break_next:
            odt.text.addElement(P(stylename=s_break))
            break_next = False
        teletype.addTextToElement(el, text)
        odt.text.addElement(el)
    buf = io.BytesIO()
    odt.write(buf)
    return normalized_zip(buf.getvalue(), doc.date)


# -------------------------------------------------------------------------- util


def normalized_zip(data: bytes, date: datetime) -> bytes:
    """Rewrite a ZIP container with fixed timestamps and permissions (same entry order)."""
    stamp = (date.year, date.month, date.day, 12, 0, 0)
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            new = zipfile.ZipInfo(info.filename, stamp)
            new.compress_type = info.compress_type
            new.external_attr = 0o644 << 16
            new.create_system = 3
            dst.writestr(new, src.read(info.filename))
    return buf.getvalue()


BUILDERS: dict[str, Callable[[SourceDoc], bytes]] = {
    "pdf": build_pdf,
    "docx": build_docx,
    "odt": build_odt,
}


def find_sources(src: Path) -> list[tuple[Path, Path, str]]:
    """All (source, relative output path, format) triples under ``src``, sorted."""
    found: list[tuple[Path, Path, str]] = []
    for path in sorted(src.rglob("*.txt")):
        rel = path.relative_to(src)
        target = rel.with_suffix("")  # strip ".txt"
        ext = target.suffix.lower().lstrip(".")
        if ext in BUILDERS:
            found.append((path, target, ext))
    return found


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        description=(
            "Rebuild the .pdf/.docx/.odt files of regiescan's fictional sample corpus "
            "from their text sources (<src>/<rel>/<name>.<ext>.txt -> <out>/<rel>/<name>.<ext>)."
        ),
    )
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC,
                        help=f"source folder (default: {DEFAULT_SRC})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if an output is missing or differs")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    args = parser.parse_args(argv)

    src: Path = args.src
    out: Path = args.out
    if not src.is_dir():
        parser.error(f"source folder not found: {src}")
    sources = find_sources(src)
    if not sources:
        parser.error(f"no *.pdf.txt, *.docx.txt or *.odt.txt sources under {src}")

    stale: list[Path] = []
    failed = 0
    for path, rel, ext in sources:
        target = out / rel
        dates = manifest_dates(path.parent, target.parent, DEFAULT_OUT / rel.parent)
        try:
            data = BUILDERS[ext](parse_source(path, dates.get(target.name)))
        except SourceError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        if args.check:
            if not target.exists() or target.read_bytes() != data:
                stale.append(target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if not args.quiet:
            print(f"built {target}")
    if args.check:
        for target in stale:
            print(f"stale or missing: {target}")
        if not args.quiet:
            print(f"{len(sources) - len(stale)}/{len(sources)} up to date")
    if failed:
        print(f"{failed} source(s) failed", file=sys.stderr)
        return 2
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
