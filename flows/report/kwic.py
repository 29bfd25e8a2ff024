"""Evidence sentences as keyword-in-context: frame words and the deciding cue marked.

The evidence table has one row per frame word (mention) in a sentence. Here the rows of one
sentence become one EvidenceSentence; its `focus` is the mention that best explains the
sentence's stance, and `kwic()` cuts the sentence into left context | keyword | right
context, each a list of Piece(text, css class, tooltip). Pieces carry plain text only: the
templates escape them, so nothing in a document can become markup.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

import pandas as pd
from markupsafe import Markup, escape

from flows.report.data import ReportInputError, clean, text
from flows.report.labels import Labels

FRAMES = ("regie", "netwerk", "zelfstandig")
STANCES = ("regie", "netwerk", "zelfstandig", "geen")
_CUE_PART_SPLIT = re.compile(r"\s*(?:\u2026|\.\.\.)\s*")
_WHITESPACE = re.compile(r"\s+")


# slots: the report keeps some 150,000 of these per run (bench/README.md, run 6), and a
# __dict__ per object was most of their memory.
@dataclass(frozen=True, slots=True)
class Mention:
    start: int  # within the sentence
    end: int
    text: str
    frame: str
    subcategory: str
    polarity: str
    cue: str | None
    cue_kind: str | None

    @property
    def explicit(self) -> bool:
        return bool(self.cue) and self.cue_kind != "document"


@dataclass(slots=True)
class EvidenceSentence:
    doc_id: str
    page: int
    sentence_start: int  # in the document text
    sentence: str
    stance: str
    probability: float
    gm_code: str
    municipality: str
    municipality_original: str | None
    date: Any
    year: int | None
    title: str | None
    ref: str
    doc_type: str | None
    source_url: str | None
    order: int = 0  # the sentence's place in the evidence table (ties in a ranking keep it)
    mentions: list[Mention] = field(default_factory=list)
    placed: bool = False  # marked on its document's page (links go to the sentence, else the page)

    @property
    def anchor(self) -> str:
        return f"s{int(self.page)}-{int(self.sentence_start)}"

    @property
    def focus(self) -> Mention:
        """The mention that best explains the sentence's stance: an endorsed mention of the
        stance's frame, else a rejected mention of another frame ("afscheid van de
        regiegemeente" in a netwerk sentence); a mention with an explicit cue first."""
        def support(m: Mention) -> int:
            if m.frame == self.stance:
                return 3 if m.polarity == "endorse" else 1
            return 2 if m.polarity == "reject" else 0

        return max(self.mentions, key=lambda m: (support(m), m.explicit, -m.start))

    @property
    def deciding_cue(self) -> Mention | None:
        """The mention whose cue decided: the focus's cue, else the first stated cue."""
        focus = self.focus
        if focus.cue and focus.polarity != "neutral":
            return focus
        return next((m for m in self.mentions if _states_position(m)), None)

    @property
    def strength(self) -> tuple[float, int, str]:
        return (self.probability, int(any(_states_position(m) for m in self.mentions)), str(self.date or ""))


def _states_position(mention: Mention) -> bool:
    """An explicit cue that endorses or rejects (an attribution or a question cue only made
    its mention neutral)."""
    return mention.explicit and mention.polarity != "neutral"


def sentences_by_document(evidence: Iterable[pd.DataFrame]) -> Iterator[tuple[str, list[EvidenceSentence]]]:
    """(doc_id, its EvidenceSentences) per document, in table order; `evidence`: the evidence
    table in parts (a document's rows may span two). One sentence per (page, sentence_start);
    `order` numbers the sentences through the table.

    The run writes a document's rows together (flows/results.py); rows of one document
    separated by another's are a ReportInputError, so nothing is held beyond one document.
    """
    finished: set[str] = set()
    doc_id: str | None = None
    sentences: dict[tuple[int, int], EvidenceSentence] = {}
    order = 0
    for row in (row for part in evidence for row in part.itertuples(index=False)):
        row_doc = str(row.doc_id)
        if row_doc != doc_id:
            if doc_id is not None:
                finished.add(doc_id)
                yield doc_id, [s for s in sentences.values() if s.mentions]
            if row_doc in finished:
                raise ReportInputError(f"evidence.parquet: the rows of document {row_doc!r} are not together "
                                       "(the run writes each document's rows in one piece)")
            doc_id, sentences, document = row_doc, {}, _document_fields(row)
        key = (int(row.page), int(row.sentence_start))
        item = sentences.get(key)
        if item is None:
            item = sentences[key] = EvidenceSentence(
                page=key[0], sentence_start=key[1], sentence=str(row.sentence),
                stance=_shared(row.sentence_stance), probability=float(row.sentence_stance_probability),
                order=order, **document,
            )
            order += 1
        start = int(row.mention_start) - key[1]
        end = int(row.mention_end) - key[1]
        if 0 <= start < end <= len(item.sentence):
            item.mentions.append(Mention(start, end, _shared(row.mention), _shared(row.frame), _shared(row.subcategory),
                                         _shared(row.polarity), _shared_text(row.cue), _shared_text(row.cue_kind)))
    if doc_id is not None:
        yield doc_id, [s for s in sentences.values() if s.mentions]


def _document_fields(row: Any) -> dict[str, Any]:
    """A document's fields, read once from its first row: its sentences share these objects
    instead of each holding copies (the report keeps many sentences, memory per sentence counts)."""
    year = clean(row.year)
    return {
        "doc_id": str(row.doc_id), "gm_code": _shared(row.gm_code), "municipality": _shared(row.municipality),
        "municipality_original": _shared_text(row.municipality_original), "date": clean(row.date),
        "year": None if year is None else int(year), "title": text(row.title), "ref": str(row.ref),
        "doc_type": _shared_text(row.doc_type), "source_url": text(row.source_url),
    }


def _shared(value: Any) -> str:
    """str(value), one object per distinct string: frames, polarities, stances and municipality
    names repeat across many thousands of rows."""
    return sys.intern(str(value))


def _shared_text(value: Any) -> str | None:
    """text(value) (None when missing), one object per distinct string."""
    value = text(value)
    return None if value is None else sys.intern(value)


# -- highlighting --------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    text: str
    css: str = ""  # built only from fixed names below, never from document content
    title: str = ""


def pieces_html(pieces: Iterable[Piece]) -> Markup:
    """The pieces as HTML (the templates' `pieces_html` filter): every text and tooltip
    escaped, a marked piece in a span with its class. One Python call per sentence; a Jinja
    macro per sentence was the report's largest cost."""
    out: list[str] = []
    for piece in pieces:
        if piece.css:
            title = f' title="{escape(piece.title)}"' if piece.title else ""
            out.append(f'<span class="{escape(piece.css)}"{title}>{escape(piece.text)}</span>')
        else:
            out.append(escape(piece.text))
    return Markup("".join(out))


def cue_spans(sentence: str, cue: str | None, near: int) -> list[tuple[int, int]]:
    """Where a cue ("wij kiezen", "niet … maar") occurs in the sentence, nearest to `near`."""
    if not cue or cue.startswith("("):
        return []
    parts = [p for p in _CUE_PART_SPLIT.split(cue.strip()) if p.strip()]
    spans: list[tuple[int, int]] = []
    position = 0
    for i, part in enumerate(parts):
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in part.split()) + r"(?!\w)"
        found = [m for m in re.finditer(pattern, sentence, re.IGNORECASE) if i == 0 or m.start() >= position]
        if not found:
            break
        match = min(found, key=lambda m: abs(m.start() - near)) if i == 0 else found[0]
        spans.append((match.start(), match.end()))
        position = match.end()
    return spans


class Highlighter:
    """Marks frame words and cues of one sentence; cuts it into pieces."""

    def __init__(self, sentence: EvidenceSentence, labels: Labels) -> None:
        self.s = sentence
        self.labels = labels
        n = len(sentence.sentence)
        self.mention_at: list[Mention | None] = [None] * n
        self.cue_at: list[Mention | None] = [None] * n
        for m in sentence.mentions:
            for i in range(max(0, m.start), min(n, m.end)):
                self.mention_at[i] = m
        for m in sentence.mentions:
            if not m.explicit:
                continue
            for a, b in cue_spans(sentence.sentence, m.cue, m.start):
                for i in range(a, b):
                    if self.mention_at[i] is None and self.cue_at[i] is None:
                        self.cue_at[i] = m
        self.cue_positions = [i for i, c in enumerate(self.cue_at) if c is not None]

    def _describe_mention(self, m: Mention) -> str:
        t = self.labels
        parts = [f"{t.group('frame', m.frame)} · {m.subcategory.replace('_', ' ')} · {t.group('polarity', m.polarity)}"]
        if m.cue:
            parts.append(f"cue: {m.cue} ({t.group('cue_kind', m.cue_kind)})")
        return "; ".join(parts)

    def _describe_cue(self, m: Mention) -> str:
        t = self.labels
        return f"cue: {m.cue} ({t.group('cue_kind', m.cue_kind)}) → {m.text}: {t.group('polarity', m.polarity)}"

    def pieces(self, start: int, end: int, normalise: bool = True) -> list[Piece]:
        """The sentence's characters start..end as pieces; `normalise` folds whitespace runs
        (line breaks from PDFs) into one space."""
        out: list[Piece] = []
        i = start
        while i < end:
            key = (self.mention_at[i], self.cue_at[i])
            j = i + 1
            while j < end and (self.mention_at[j], self.cue_at[j]) == key:
                j += 1
            chunk = self.s.sentence[i:j]
            chunk = _WHITESPACE.sub(" ", chunk) if normalise else chunk
            mention, cue = key
            if mention is not None:
                frame = mention.frame if mention.frame in FRAMES else "other"
                css = f"fw fw-{frame}" + {"reject": " rej", "neutral": " neu"}.get(mention.polarity, "")
                out.append(Piece(chunk, css, self._describe_mention(mention)))
            elif cue is not None:
                out.append(Piece(chunk, "cue", self._describe_cue(cue)))
            else:
                out.append(Piece(chunk))
            i = j
        return out

    def kwic(self, width: int = 80) -> dict[str, list[Piece]]:
        """left | keyword | right, the contexts cut at word boundaries about `width` characters
        from the keyword, widened (up to 2 x width) to keep a cue in view."""
        sentence = self.s.sentence
        focus = self.s.focus
        n = len(sentence)
        left = max(0, focus.start - width)
        right = min(n, focus.end + width)
        cues_left = [i for i in self.cue_positions if i < focus.start and i >= focus.start - 2 * width]
        cues_right = [i for i in self.cue_positions if i >= focus.end and i < focus.end + 2 * width]
        if cues_left:
            left = min(left, cues_left[0])
        if cues_right:
            right = max(right, cues_right[-1] + 1)
        if left > 0:
            space = sentence.find(" ", left, focus.start)
            left = space + 1 if space != -1 and (not cues_left or space < cues_left[0]) else left
        if right < n:
            space = sentence.rfind(" ", focus.end, right)
            right = space if space != -1 and (not cues_right or space > cues_right[-1]) else right
        before = self.pieces(left, focus.start)
        after = self.pieces(focus.end, right)
        if left > 0:
            before.insert(0, Piece("\u2026 ", "cut"))
        if right < n:
            after.append(Piece(" \u2026", "cut"))
        return {"left": _strip_edge(before, left=True), "keyword": self.pieces(focus.start, focus.end),
                "right": _strip_edge(after, left=False)}


def _strip_edge(pieces: list[Piece], left: bool) -> list[Piece]:
    """Trim the outer whitespace of the context (the inner side keeps its space)."""
    if not pieces:
        return pieces
    index = 0 if left else -1
    p = pieces[index]
    pieces[index] = Piece(p.text.lstrip() if left else p.text.rstrip(), p.css, p.title)
    return pieces
