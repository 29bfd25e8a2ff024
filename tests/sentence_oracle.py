"""The sentence rules of nlp/sentences.py written token by token, as the reference its
whole-doc numpy version is tested against (tests/test_properties.py). Plain and slow on
purpose: when a rule changes, change it here too."""

from __future__ import annotations

from nlp.sentences import CLOSERS, ENDERS, SentenceRules


def reference_sentence_starts(words: list[str], rules: SentenceRules) -> list[bool]:
    """Which tokens start a sentence; `words` are the doc's token texts, whitespace included."""
    spaces = [w.isspace() for w in words]

    def list_item(i: int) -> bool:
        if words[i] in rules.list_markers:
            return True
        if i + 1 < len(words) and words[i + 1] in {".", ")"}:
            return words[i].isdigit() or (len(words[i]) == 1 and words[i].isalpha() and words[i + 1] == ")")
        return False

    def next_word(i: int) -> int | None:
        return next((j for j in range(i + 1, len(words)) if not spaces[j]), None)

    def looks_like_start(text: str) -> bool:
        return text[:1].isupper() or text[:1].isdigit() or text[:1] in CLOSERS or not text[:1].isalnum()

    starts = [False] * len(words)
    if words:
        starts[0] = True
    line_start, line_words, previous, pending = True, 0, None, False
    for i, text in enumerate(words):
        if spaces[i]:
            if "\n" in text and previous is not None:
                nxt = next_word(i)
                if nxt is not None:
                    before = words[previous]
                    closed = before in ENDERS or before in CLOSERS or before.endswith(":")
                    heading = line_words <= rules.heading_max_words and words[nxt][:1].isupper()
                    if text.count("\n") >= 2 or closed or heading or list_item(nxt):
                        starts[nxt], pending = True, False
                line_start, line_words = True, 0
            continue
        if pending and text not in CLOSERS:
            if looks_like_start(text):
                starts[i] = True
            pending = False
        if text in ENDERS:
            after_line_number = previous is not None and words[previous].isdigit() and (
                previous == 0 or (spaces[previous - 1] and "\n" in words[previous - 1]))
            if not after_line_number:
                pending = True
        elif text.lower() in rules.final_abbreviations:
            pending = True
        if line_start and list_item(i) and i > 0:
            starts[i] = True
        line_start, line_words, previous = False, line_words + 1, i
    return starts
