"""Each municipality's stance, with uncertainty (formulas in docs/method.md).

Input: one row per sentence with its document and stance, where only evidence sentences (a
frame mention and a stance other than geen; see nlp/stance.py) carry a frame stance.
Per municipality (and per municipality x year):
  R, N, Z  = evidence sentences whose stance is regie, netwerk, zelfstandig
  position = (N - R) / (N + R)  in [-1, +1]: -1 all regie, +1 all netwerk
  interval = 2.5 and 97.5 percentiles of the position over bootstrap draws that resample
             the municipality's documents with replacement (seeded); none with fewer than
             two documents that have regie or netwerk sentences
  shares   = R, N, Z over R + N + Z
  category = onvoldoende bewijs | zelfstandig | regiegemeente | netwerkgemeente | hybride,
             with the rule that decided it (category_rule)
"""

from __future__ import annotations

from typing import Iterable, NamedTuple

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

STANCE_COLUMNS = ("regie", "netwerk", "zelfstandig", "geen")
# The rules of docs/method.md §4 in the order they are tried, each with the category it gives.
# A table row records the rule beside the category, so a reader (and the report) can tell why
# a municipality has too little evidence without re-deriving it from the thresholds.
CATEGORY_RULES = {
    "too_little_evidence": "onvoldoende bewijs",
    "zelfstandig_share": "zelfstandig",
    "too_few_position_documents": "onvoldoende bewijs",
    "position_regie": "regiegemeente",
    "position_netwerk": "netwerkgemeente",
    "position_between": "hybride",
}
CATEGORIES = tuple(dict.fromkeys(CATEGORY_RULES.values()))


class AggregationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bootstrap_draws: int = Field(1000, ge=100, description="bootstrap resamples of documents")
    seed: int = Field(20140617, description="random seed of the bootstrap")
    interval: float = Field(0.95, gt=0.5, lt=1.0, description="coverage of the percentile interval")
    min_evidence_sentences: int = Field(8, ge=1, description="fewer evidence sentences: onvoldoende bewijs")
    min_documents: int = Field(2, ge=1, description="fewer documents with evidence: onvoldoende bewijs")
    min_documents_per_year: int = Field(1, ge=1, description="the same for one municipality-year")
    min_trend_sentences: int = Field(5, ge=1, description="regie+netwerk sentences a year needs to count in the trend")
    axis_threshold: float = Field(0.33, gt=0, lt=1, description="|position| beyond this: regie- or netwerkgemeente")
    zelfstandig_share: float = Field(0.35, gt=0, lt=1, description="zelfstandig share from which (if largest) zelfstandig")


def _position(r: np.ndarray, n: np.ndarray) -> np.ndarray:
    total = r + n
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (n - r) / total, np.nan)


class EvidenceDocuments(NamedTuple):
    """How many of a group's documents have evidence sentences: of any frame, of regie or
    netwerk, of zelfstandig."""

    any_frame: int
    regie_or_netwerk: int
    zelfstandig: int


def category_rule(r: int, n: int, z: int, documents: EvidenceDocuments, min_documents: int,
                  config: AggregationConfig) -> str:
    """The first rule of docs/method.md §4 that applies (a key of CATEGORY_RULES). zelfstandig
    needs `min_documents` documents with zelfstandig sentences (else the position rules
    decide), a position category `min_documents` with regie or netwerk sentences: the regie
    sentences of one document beside zelfstandig-only documents make no regiegemeente."""
    evidence = r + n + z
    if evidence < config.min_evidence_sentences or documents.any_frame < min_documents:
        return "too_little_evidence"
    if z / evidence >= config.zelfstandig_share and z >= max(r, n) and documents.zelfstandig >= min_documents:
        return "zelfstandig_share"
    if documents.regie_or_netwerk < min_documents:
        return "too_few_position_documents"
    position = (n - r) / (r + n)
    if position <= -config.axis_threshold:
        return "position_regie"
    if position >= config.axis_threshold:
        return "position_netwerk"
    return "position_between"


def per_document_counts(sentences: pd.DataFrame) -> pd.DataFrame:
    """Sentences per document (index doc_id) and stance: columns regie, netwerk, zelfstandig,
    geen. Counts of parts of one table (read in batches) add up: see sum_counts."""
    counts = pd.crosstab(sentences["doc_id"], sentences["stance"]) if len(sentences) else pd.DataFrame()
    for stance in STANCE_COLUMNS:
        if stance not in counts:
            counts[stance] = 0
    return counts[list(STANCE_COLUMNS)].astype("int64")


def sum_counts(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """per_document_counts of a whole table from those of its parts (a document's sentences
    may fall in more than one part)."""
    if not parts:
        return per_document_counts(pd.DataFrame({"doc_id": [], "stance": []}))
    return pd.concat(parts).groupby(level=0).sum()


def _summarise(
    group_counts: pd.DataFrame, config: AggregationConfig, min_documents: int, rng: np.random.Generator
) -> dict[str, object]:
    r_docs = group_counts["regie"].to_numpy()
    n_docs = group_counts["netwerk"].to_numpy()
    z_docs = group_counts["zelfstandig"].to_numpy()
    r, n, z = int(r_docs.sum()), int(n_docs.sum()), int(z_docs.sum())
    evidence = r + n + z
    documents = EvidenceDocuments(
        int(((r_docs + n_docs + z_docs) > 0).sum()), int(((r_docs + n_docs) > 0).sum()), int((z_docs > 0).sum()))
    low, high = _interval(r_docs, n_docs, documents.regie_or_netwerk, config, rng)
    rule = category_rule(r, n, z, documents, min_documents, config)
    return {
        "n_documents": len(group_counts),
        "n_documents_with_evidence": documents.any_frame,
        "n_sentences": int(group_counts.to_numpy().sum()),
        "n_evidence_sentences": evidence,
        "n_regie": r, "n_netwerk": n, "n_zelfstandig": z,
        "regie_share": r / evidence if evidence else np.nan,
        "netwerk_share": n / evidence if evidence else np.nan,
        "zelfstandig_share": z / evidence if evidence else np.nan,
        "position": float(_position(np.array([r]), np.array([n]))[0]),
        "position_low": low, "position_high": high,
        "category": CATEGORY_RULES[rule],
        "category_rule": rule,
    }


def _interval(r_docs: np.ndarray, n_docs: np.ndarray, documents_with_position: int, config: AggregationConfig,
              rng: np.random.Generator) -> tuple[float, float]:
    """Percentile interval of the position over bootstrap draws of the documents; undefined
    (NaN) unless two documents have regie or netwerk sentences: with one, every draw that
    defines a position repeats its ratio and the interval would have no width. Draws without
    regie or netwerk sentences define no position and are left out (the interval is
    conditional on N + R > 0)."""
    if documents_with_position < 2:
        return np.nan, np.nan
    draws = rng.integers(0, len(r_docs), size=(config.bootstrap_draws, len(r_docs)))
    boot = _position(r_docs[draws].sum(axis=1), n_docs[draws].sum(axis=1))
    boot = boot[~np.isnan(boot)]
    if not len(boot):
        return np.nan, np.nan
    tail = (1 - config.interval) / 2 * 100
    low, high = np.percentile(boot, [tail, 100 - tail])
    return float(low), float(high)


def aggregate(counts: pd.DataFrame, documents: pd.DataFrame, keys: list[str], config: AggregationConfig) -> pd.DataFrame:
    """One row per group of `keys` (e.g. ["gm_code"] or ["gm_code", "year"]).

    `counts`: per_document_counts of the sentences (doc_id, stance); `documents`: doc_id,
    gm_code, municipality, year (every analysed document, so documents without a single
    sentence of evidence count too).
    """
    counts = counts.reindex(documents["doc_id"], fill_value=0)
    min_documents = config.min_documents_per_year if "year" in keys else config.min_documents
    meta = documents.set_index("doc_id")
    rows = []
    for group_key, group in meta.groupby(keys, sort=True):
        # Drawn in doc_id order, not input order: renaming or reordering files keeps the interval.
        doc_ids = sorted(group.index)
        # One generator per group, seeded from the group's key: results do not depend on
        # which other municipalities are in the corpus.
        key_tuple = group_key if isinstance(group_key, tuple) else (group_key,)
        seed = [config.seed, *(int.from_bytes(str(k).encode()[:8].ljust(8, b"\0"), "little") for k in key_tuple)]
        rng = np.random.default_rng(seed)
        row = dict(zip(keys, key_tuple))
        row["municipality"] = meta.loc[doc_ids[0], "municipality"]
        row.update(_summarise(counts.loc[doc_ids], config, min_documents, rng))
        rows.append(row)
    return pd.DataFrame(rows)


def trend(year_table: pd.DataFrame, gm_codes: Iterable[str], config: AggregationConfig) -> pd.DataFrame:
    """One row per municipality in `gm_codes`: slope of the yearly position (per year, least
    squares over the years with at least min_trend_sentences regie+netwerk sentences and a
    category other than onvoldoende bewijs) and its direction: "naar netwerk", "naar regie" or
    "stabiel" (|slope| < 0.05); "onbekend" below two such years, also for a municipality
    without a dated document. trend_years: how many years it rests on (two years make a
    slope, not a trend a reader should lean on)."""
    rows = []
    enough = year_table[((year_table["n_regie"] + year_table["n_netwerk"]) >= config.min_trend_sentences)
                        & (year_table["category"] != "onvoldoende bewijs")]
    for gm_code in gm_codes:
        group = enough[enough["gm_code"] == gm_code]
        n_years = int(group["year"].nunique())
        if n_years < 2:
            rows.append({"gm_code": gm_code, "trend_slope": np.nan, "trend": "onbekend", "trend_years": n_years})
            continue
        slope = _least_squares_slope(group["year"].to_numpy(float), group["position"].to_numpy(float))
        direction = "naar netwerk" if slope >= 0.05 else "naar regie" if slope <= -0.05 else "stabiel"
        rows.append({"gm_code": gm_code, "trend_slope": slope, "trend": direction, "trend_years": n_years})
    return pd.DataFrame(rows, columns=["gm_code", "trend_slope", "trend", "trend_years"]).astype(
        {"trend_slope": "float64", "trend_years": "int64"})


def _least_squares_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Slope of the least-squares line, from centred values: equal positions give exactly 0
    (np.polyfit's scaled solve gave -2.6e-18 for a municipality at -1.0 every year)."""
    xc, yc = x - x.mean(), y - y.mean()
    return float((xc * yc).sum() / (xc * xc).sum())
