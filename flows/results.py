"""Turn per-document result records into rows of the run's output tables."""

from __future__ import annotations

import bisect
import json
from typing import Any

import pandas as pd

from flows.analysis import PROBABILITY_COLUMNS  # the keys classify_documents writes
from flows.tables import probability_column, records_frame

DOCUMENT_META = ["ref", "gm_code", "municipality", "municipality_original", "date", "year", "doc_type", "title", "source_url"]


def batch_tables(meta: pd.DataFrame, results: dict[str, tuple[dict[str, Any], bool]]) -> dict[str, pd.DataFrame]:
    """`meta`: document metadata indexed by doc_id; `results`: doc_id -> (record, from_cache)."""
    sentences: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    for doc_id, (record, from_cache) in results.items():
        # Plain values once per document: a Series lookup per evidence row and column was
        # two thirds of this function's time.
        doc = {k: _plain(v) for k, v in meta.loc[doc_id, DOCUMENT_META].items()}
        year = None if doc["year"] is None else float(doc["year"])
        starts = [s["start"] for s in record["sentences"]]
        for index, s in enumerate(record["sentences"]):
            sentences.append({"doc_id": doc_id, "sentence_index": index, "page": s["page"], "start": s["start"],
                              "end": s["end"], "text": s["text"], "stance": s["stance"], "evidence": s["evidence"],
                              **{c: s.get(c) for c in PROBABILITY_COLUMNS}})
        for m in record["mentions"]:
            unit = _unit_of(record["sentences"], starts, m["start"])
            # Every endorsed or rejected mention, and every mention of an evidence sentence: a
            # sentence counted in R, N or Z may hold only neutral mentions, and each counted
            # sentence must be traceable here.
            if m["polarity"] == "neutral" and not (unit and unit["evidence"]):
                continue
            evidence.append({
                "doc_id": doc_id, **doc, "year": year,
                "page": m["page"], "frame": m["frame"], "subcategory": m["subcategory"], "polarity": m["polarity"],
                "cue": m["cue"], "cue_kind": m["cue_kind"], "mention": m["text"], "mention_start": m["start"],
                "mention_end": m["end"], "sentence": m["sentence"], "sentence_start": m["sentence_start"],
                "sentence_stance": unit["stance"] if unit else "geen",
                "sentence_stance_probability": float(unit[probability_column(unit["stance"])]) if unit else 0.0,
            })
        probabilities = record["probabilities"]
        documents.append({
            "doc_id": doc_id, "gm_code": doc["gm_code"], "municipality": doc["municipality"], "year": year,
            "n_sentences": int(record["n_sentences"]), "n_tokens": int(record["n_tokens"]),
            "n_mentions": len(record["mentions"]), "stance": record["stance"],
            **{probability_column(s): float(v) for s, v in probabilities.items()},
            "frames": json.dumps(record["frames"], ensure_ascii=False), "from_cache": bool(from_cache),
        })
    return {
        "sentences": records_frame(sentences, "sentences"),
        "evidence": records_frame(evidence, "evidence"),
        "document_stance": records_frame(documents, "document_stance"),
    }


def _unit_of(units: list[dict[str, Any]], starts: list[int], offset: int) -> dict[str, Any] | None:
    """The sentence (unit) containing a character offset."""
    k = bisect.bisect_right(starts, offset) - 1
    return units[k] if k >= 0 and offset < units[k]["end"] else None


def _plain(value: Any) -> Any:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value
