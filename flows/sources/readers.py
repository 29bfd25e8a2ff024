"""Format readers: a file on disk -> its text per page, or a Rejected with the reason.

Each reader returns pages so evidence can cite a page; formats without fixed pages
(txt, md, html, odt) are one page, DOCX splits at explicit page breaks.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from flows.sources.rejection import Rejected
from flows.sources.text import normalise_text
from nlp.pipeline import MAX_TEXT_CHARS

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".odt")

# Zip containers (DOCX, ODT) whose members claim more than this are refused unread:
# a few hundred KB of XML can claim gigabytes (zip bomb).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024

# The default of ingest.max_text_chars (longer extracted texts are rejected): the longest
# text the analyser takes.
DEFAULT_MAX_TEXT_CHARS = MAX_TEXT_CHARS
# Text formats are refused unread above this many bytes per allowed character, so a huge
# text file is never decoded in memory. A character takes at most 4 bytes in UTF-8 and
# UTF-16, so a .txt above the limit certainly has too many characters; HTML gets room for
# its markup.
TEXT_BYTES_PER_CHAR = {".txt": 4, ".md": 4, ".html": 10, ".htm": 10}

# In the first 4 KB of a text file, more control bytes than this share mean binary data
# (tab, line ends, form feed, vertical tab, DOS end-of-file and escape do not count).
_MAX_CONTROL_SHARE = 0.05
_TEXT_CONTROLS = frozenset(b"\t\n\x0b\x0c\r\x1a\x1b")


@dataclass(frozen=True)
class Extracted:
    pages: list[str]
    title: str | None = None


def decode_text(data: bytes) -> str:
    """Decode plain text: BOMs, UTF-8, UTF-16 without BOM, else Windows-1252/Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    sample = data[:4096]
    if sample and sample.count(b"\x00") > len(sample) // 4:
        # UTF-16 text without a BOM has a NUL in every other byte; anything else is binary.
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > 0.8 * len(sample[1::2]) and even == 0:
            return data.decode("utf-16-le", errors="replace")
        if even > 0.8 * len(sample[0::2]) and odd == 0:
            return data.decode("utf-16-be", errors="replace")
        raise Rejected("binary_content", "binaire inhoud, geen tekstbestand")
    controls = sum(1 for byte in sample if byte < 0x20 and byte not in _TEXT_CONTROLS) + sample.count(0x7F)
    if b"\x00" in sample or controls > _MAX_CONTROL_SHARE * len(sample):
        raise Rejected("binary_content", "binaire inhoud, geen tekstbestand")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_plain(path: Path) -> Extracted:
    text = decode_text(path.read_bytes())
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    # A short first line without a closing full stop reads as the document's title; a
    # one- or two-word first line is usually a letterhead ("GEMEENTE HELMOND"), not a title.
    is_heading = first.startswith("#") or (
        len(first) <= 120 and not first.endswith(".") and len(first.split()) >= 3
        and not first.lower().startswith("gemeente ")
    )
    title = first.lstrip("#").strip() if is_heading else None
    return Extracted([text], title or None)


def _read_html(path: Path) -> Extracted:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(path.read_bytes()), "lxml")
    for tag in soup(["script", "style", "noscript", "template", "svg", "iframe", "form"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    body = soup.find("main") or soup.find("article") or soup.body or soup
    if body is not soup.find("main") and body is not soup.find("article"):
        for tag in body(["nav", "header", "footer", "aside"]):
            tag.decompose()
    text = body.get_text("\n", strip=True)
    return Extracted([text], title)


def _read_pdf(path: Path) -> Extracted:
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password only to forbid editing.
            try:
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                raise Rejected("encrypted", "PDF met wachtwoord beveiligd")
        pages = [strip_page_number(page.extract_text() or "") for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or None
    except Rejected:
        raise
    except OSError:
        raise  # unreadable file: read_document says so
    except Exception as exc:  # pypdf raises many types for broken files
        raise Rejected("corrupt", f"PDF onleesbaar of beschadigd ({type(exc).__name__})") from exc
    if not any(p.strip() for p in pages):
        raise Rejected("no_text_layer", "geen tekstlaag: OCR nodig")
    return Extracted(pages, title)


_PAGE_NUMBER_LINE = re.compile(r"^\s*(pagina|page|blz\.?|p\.)?\s*-?\s*\d{1,4}\s*(van|/|of)?\s*\d{0,4}\s*-?\s*$", re.IGNORECASE)


def strip_page_number(page: str) -> str:
    """Drop a page-number header or footer line ("Pagina 3", "- 3 -", "3 van 12")."""
    lines = page.strip("\n").split("\n")
    if lines and _PAGE_NUMBER_LINE.match(lines[-1]):
        lines.pop()
    if lines and _PAGE_NUMBER_LINE.match(lines[0]):
        lines.pop(0)
    return "\n".join(lines)


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            claimed = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise Rejected("corrupt", "geen geldig zip-bestand (DOCX/ODT beschadigd)") from exc
    if claimed > MAX_UNZIPPED_BYTES:
        raise Rejected(
            "zip_bomb",
            f"uitgepakte grootte {claimed / 1e6:.0f} MB boven de grens van "
            f"{MAX_UNZIPPED_BYTES / 1e6:.0f} MB (mogelijk zip-bom)",
        )


def _read_docx(path: Path) -> Extracted:
    import docx
    from docx.oxml.ns import qn

    _check_zip(path)
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises many types for broken packages
        raise Rejected("corrupt", f"DOCX onleesbaar of beschadigd ({type(exc).__name__})") from exc
    pages: list[list[str]] = [[]]
    for block in document.element.body.iter():
        if block.tag == qn("w:br") and block.get(qn("w:type")) == "page":
            pages.append([])
        elif block.tag == qn("w:p"):
            text = "".join(node.text or "" for node in block.iter(qn("w:t")))
            if text.strip():
                pages[-1].append(text)
    title = document.core_properties.title or None
    return Extracted(["\n".join(lines) for lines in pages if lines] or [""], title)


def _read_odt(path: Path) -> Extracted:
    from odf import teletype
    from odf.namespaces import TEXTNS
    from odf.opendocument import load

    _check_zip(path)
    try:
        document = load(str(path))
    except Exception as exc:  # odfpy raises many types for broken packages
        raise Rejected("corrupt", f"ODT onleesbaar of beschadigd ({type(exc).__name__})") from exc
    wanted = {(TEXTNS, "h"), (TEXTNS, "p")}
    lines = [teletype.extractText(node) for node in _walk(document.text) if getattr(node, "qname", None) in wanted]
    return Extracted(["\n".join(lines)], None)


def _walk(node: Any) -> Iterator[Any]:
    """Depth-first walk in document order (odfpy's getElementsByType groups by type)."""
    for child in node.childNodes:
        yield child
        yield from _walk(child)


READERS: dict[str, Callable[[Path], Extracted]] = {
    ".txt": _read_plain,
    ".md": _read_plain,
    ".html": _read_html,
    ".htm": _read_html,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
    ".odt": _read_odt,
}


def read_document(path: Path, max_text_chars: int = DEFAULT_MAX_TEXT_CHARS) -> Extracted:
    """Read one file into normalised pages; raises Rejected with a specific reason.

    Only regular files are opened (a named pipe would block, a device never end), and a
    text file too large to hold `max_text_chars` characters is refused before it is read.
    """
    suffix = path.suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise Rejected("unsupported_format", f"bestandstype {path.suffix or '(geen)'} wordt niet ondersteund")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise not_regular_file(info.st_mode)
        if info.st_size == 0:
            raise Rejected("empty", "leeg bestand (0 bytes)")
        byte_limit = TEXT_BYTES_PER_CHAR.get(suffix, 0) * max_text_chars
        if byte_limit and info.st_size > byte_limit:
            raise Rejected(
                "too_large",
                f"tekstbestand te groot ({info.st_size / 1e6:.1f} MB > {byte_limit / 1e6:.0f} MB voor {suffix}, "
                f"de grens bij ingest.max_text_chars = {max_text_chars:,} tekens); niet gelezen",
            )
        extracted = reader(path)
    except OSError as exc:
        raise unreadable_file(exc) from exc
    pages = [normalise_text(page) for page in extracted.pages]
    if not any(pages):
        raise Rejected("empty", "geen tekst in het document")
    return Extracted(pages, extracted.title)


def os_problem(exc: OSError) -> str:
    """Why the operating system refused, in Dutch where it matters."""
    if isinstance(exc, PermissionError):
        return "geen leesrechten"
    return exc.strerror or type(exc).__name__


def unreadable_file(exc: OSError) -> Rejected:
    """The rejection of a file the operating system would not let us read."""
    return Rejected("unreadable", f"bestand niet leesbaar ({os_problem(exc)})")


def not_regular_file(mode: int) -> Rejected:
    """The rejection of a named pipe, socket, device or folder where a file was expected."""
    return Rejected("not_regular_file", f"geen gewoon bestand ({_file_kind(mode)}); niet gelezen")


def _file_kind(mode: int) -> str:
    """What a non-regular file is, in Dutch, for rejection messages."""
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "apparaatbestand"
    if stat.S_ISDIR(mode):
        return "map"
    return "speciaal bestand"
