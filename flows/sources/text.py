"""Text clean-up shared by every reader: Unicode, whitespace and PDF hyphenation."""

from __future__ import annotations

import os
import re
import unicodedata

# A word broken at a line end by the layout ("regie-\ngemeente"). Only a lower-case
# continuation is joined: "Noord-\nBrabant" is a real hyphenated name and keeps its hyphen,
# and so does an elided compound part before a conjunction ("Noord- en Oost-Gelderland").
_LINE_END_HYPHEN = re.compile(
    r"(?<=[a-zà-ÿ])[-\u2010\u00ad]\n[ \t]*(?!(?:en|of|tot|en/of)\b)(?=[a-zà-ÿ])"
)
# Control characters, zero-width characters, bidirectional overrides and isolates (they can
# make text display in another order than it is stored) and lone surrogates (not encodable:
# a PDF's font map can produce them, and Parquet refuses them).
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0e-\x1f\x7f\u200b\u200c\u200d\ufeff\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_INNER_SOFT_HYPHEN = re.compile("\u00ad(?!\n)")


def repair_hyphenation(text: str) -> str:
    """Join words split across lines by layout hyphenation."""
    return _LINE_END_HYPHEN.sub("", text)


def normalise_text(text: str) -> str:
    """NFC, one kind of space and newline, no control characters, repaired hyphenation.

    Newlines are kept: they separate headings and list items, which the sentence
    splitter needs.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFC", text)  # after the clean-up: a removed character can part a letter and its accent
    text = _SPACES.sub(" ", text)
    text = _strip_lines(text)  # first, so "regie- \ngemeente" (a space after the hyphen) is repaired too
    text = _INNER_SOFT_HYPHEN.sub("", text)  # a soft hyphen only matters at a line end
    text = repair_hyphenation(text)
    text = text.replace("\u00ad", "")  # soft hyphens at a line end that did not join words
    text = _strip_lines(text)
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _strip_lines(text: str) -> str:
    return "\n".join(line.strip() for line in text.split("\n"))


def clean_label(value: str | None, max_chars: int = 500) -> str | None:
    """A one-line label (title, name, URL) from untrusted text; None when nothing is left."""
    if value is None:
        return None
    text = " ".join(normalise_text(str(value)).split())
    return text[:max_chars] or None


def safe_text(value: str) -> str:
    """Text that encodes as UTF-8: undecodable file-name bytes become \\xNN escapes and lone
    surrogates \\udNNN escapes (Linux file names are bytes; Parquet needs valid UTF-8)."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    try:
        return os.fsencode(value).decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # surrogates that did not come from file-name bytes
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
