import numpy as np
import pandas as pd
import pytest

from nlp.aggregate import (CATEGORY_RULES, AggregationConfig, EvidenceDocuments, aggregate, category_rule,
                           per_document_counts, trend)


def corpus(n_docs: int, regie_per_doc: list[int], netwerk_per_doc: list[int], gm="GM0001", year=2020):
    """Sentence and document tables for n_docs documents cycling through the given counts."""
    sentences, documents = [], []
    for d in range(n_docs):
        doc_id = f"{gm}-{year}-{d}"
        documents.append({"doc_id": doc_id, "gm_code": gm, "municipality": "X", "year": year})
        r, n = regie_per_doc[d % len(regie_per_doc)], netwerk_per_doc[d % len(netwerk_per_doc)]
        sentences += [{"doc_id": doc_id, "stance": "regie"}] * r + [{"doc_id": doc_id, "stance": "netwerk"}] * n
        sentences += [{"doc_id": doc_id, "stance": "geen"}] * 5
    return pd.DataFrame(sentences), pd.DataFrame(documents)


def test_position_shares_and_interval_contain_the_estimate():
    s, d = corpus(6, [3, 0, 1], [1, 4, 2])
    row = aggregate(per_document_counts(s), d, ["gm_code"], AggregationConfig()).iloc[0]
    assert (row.n_regie, row.n_netwerk) == (8, 14)
    assert row.position == pytest.approx((14 - 8) / 22)
    assert row.position_low <= row.position <= row.position_high
    assert row.regie_share == pytest.approx(8 / 22)
    assert row.n_documents == 6 and row.n_sentences == 22 + 30


def test_bootstrap_interval_shrinks_as_documents_are_added():
    widths = []
    for n_docs in (6, 24, 96):
        s, d = corpus(n_docs, [3, 0, 1], [1, 4, 2])
        row = aggregate(per_document_counts(s), d, ["gm_code"], AggregationConfig()).iloc[0]
        widths.append(row.position_high - row.position_low)
    assert widths[0] > widths[1] > widths[2]
    assert widths[2] < widths[0] / 2.5  # about 1/sqrt(n): 16x the documents, ~4x narrower


def test_bootstrap_is_seeded_and_independent_of_other_municipalities():
    s1, d1 = corpus(12, [2, 0, 1, 3, 5], [1, 3, 2, 0, 4], gm="GM0001")
    s2, d2 = corpus(5, [4], [0], gm="GM0002")
    alone = aggregate(per_document_counts(s1), d1, ["gm_code"], AggregationConfig()).iloc[0]
    together = aggregate(per_document_counts(pd.concat([s1, s2])), pd.concat([d1, d2]), ["gm_code"], AggregationConfig())
    again = together.set_index("gm_code").loc["GM0001"]
    assert (alone.position_low, alone.position_high) == (again.position_low, again.position_high)
    # Another seed, other draws (many documents, so the percentiles are not pinned to a few
    # possible values).
    s3, d3 = corpus(60, [2, 0, 1, 3, 5, 7, 0], [1, 3, 2, 0, 4, 1, 6], gm="GM0003")
    one, other = (aggregate(per_document_counts(s3), d3, ["gm_code"], AggregationConfig(seed=seed)).iloc[0] for seed in (1, 2))
    assert (one.position_low, one.position_high) != (other.position_low, other.position_high)


@pytest.mark.parametrize(
    "r, n, z, docs, expected",
    [
        (20, 2, 1, (4, 4, 1), "position_regie"),
        (2, 20, 1, (4, 4, 1), "position_netwerk"),
        (10, 9, 2, (4, 4, 2), "position_between"),
        (3, 4, 12, (4, 2, 3), "zelfstandig_share"),
        (3, 2, 1, (4, 4, 1), "too_little_evidence"),  # too few evidence sentences
        (20, 2, 1, (1, 1, 1), "too_little_evidence"),  # all evidence from one document
        # zelfstandig needs two documents with zelfstandig sentences, a position category two
        # with regie or netwerk sentences (one document's regie beside zelfstandig-only ones).
        (5, 1, 2, (3, 1, 2), "too_few_position_documents"),
        (3, 4, 12, (4, 3, 1), "position_between"),  # zelfstandig from one document: the position decides
        (1, 6, 6, (4, 3, 1), "position_netwerk"),
    ],
)
def test_category_rules(r, n, z, docs, expected):
    assert category_rule(r, n, z, EvidenceDocuments(*docs), 2, AggregationConfig()) == expected


def test_tables_record_the_rule_beside_the_category():
    """Two municipalities with onvoldoende bewijs for different reasons: the rows say which."""
    rows = ([{"doc_id": "a1", "stance": "regie"}] * 2  # GM0001: 2 evidence sentences (< 8)
            + [{"doc_id": "b1", "stance": "regie"}] * 8 + [{"doc_id": d, "stance": "zelfstandig"} for d in ("b2", "b3")])
    documents = pd.DataFrame([{"doc_id": d, "gm_code": gm, "municipality": gm, "year": 2020}
                              for d, gm in (("a1", "GM0001"), ("a2", "GM0001"), ("b1", "GM0002"), ("b2", "GM0002"), ("b3", "GM0002"))])
    table = aggregate(per_document_counts(pd.DataFrame(rows)), documents, ["gm_code"], AggregationConfig()).set_index("gm_code")
    assert list(table.category) == ["onvoldoende bewijs", "onvoldoende bewijs"]
    assert list(table.category_rule) == ["too_little_evidence", "too_few_position_documents"]
    assert all(CATEGORY_RULES[rule] == category for rule, category in zip(table.category_rule, table.category))


def test_one_document_with_regie_or_netwerk_gives_no_interval():
    """Every bootstrap draw that defines a position would repeat that document's ratio: a
    zero-width interval claiming a certainty the documents cannot give."""
    sentences = pd.DataFrame([{"doc_id": "a", "stance": "regie"}] * 5 + [{"doc_id": "a", "stance": "netwerk"}]
                             + [{"doc_id": d, "stance": "zelfstandig"} for d in ("b", "c")])
    documents = pd.DataFrame([{"doc_id": d, "gm_code": "GM0001", "municipality": "X", "year": 2020} for d in "abc"])
    for keys in (["gm_code"], ["gm_code", "year"]):
        row = aggregate(per_document_counts(sentences), documents, keys, AggregationConfig()).iloc[0]
        assert row.position == pytest.approx(-4 / 6)
        assert np.isnan(row.position_low) and np.isnan(row.position_high)
    assert aggregate(per_document_counts(sentences), documents, ["gm_code"], AggregationConfig()).iloc[0].category == "onvoldoende bewijs"


def test_interval_does_not_depend_on_the_order_of_the_documents():
    s, d = corpus(9, [3, 0, 1, 5], [1, 4, 2, 0])
    forward = aggregate(per_document_counts(s), d, ["gm_code"], AggregationConfig()).iloc[0]
    backward = aggregate(per_document_counts(s.iloc[::-1]), d.iloc[::-1], ["gm_code"], AggregationConfig()).iloc[0]
    assert forward.position_low < forward.position_high
    assert (forward.position_low, forward.position_high) == (backward.position_low, backward.position_high)


def test_documents_without_evidence_count_in_the_bootstrap():
    s, d = corpus(4, [2], [1])
    extra = pd.DataFrame([{"doc_id": f"empty{i}", "gm_code": "GM0001", "municipality": "X", "year": 2020} for i in range(4)])
    row = aggregate(per_document_counts(s), pd.concat([d, extra]), ["gm_code"], AggregationConfig()).iloc[0]
    assert row.n_documents == 8 and row.n_documents_with_evidence == 4


def test_trend_direction_from_years_with_enough_evidence():
    frames = []
    for year, (r, n) in zip((2015, 2018, 2021, 2024), ((8, 1), (6, 3), (3, 6), (1, 8))):
        s, d = corpus(2, [r], [n], year=year)
        frames.append((s, d))
    s = pd.concat([f[0] for f in frames])
    d = pd.concat([f[1] for f in frames])
    years = aggregate(per_document_counts(s), d, ["gm_code", "year"], AggregationConfig())
    result = trend(years, ["GM0001"], AggregationConfig()).iloc[0]
    assert result.trend == "naar netwerk" and result.trend_slope > 0 and result.trend_years == 4
    one_year = trend(years[years.year == 2015], ["GM0001"], AggregationConfig()).iloc[0]
    assert np.isnan(one_year.trend_slope) and one_year.trend_years == 1
    # A year with enough regie + netwerk sentences for the trend (6 >= 5) but too few evidence
    # sentences for a category of its own (6 < 8) is left out of the trend.
    s_thin, d_thin = corpus(2, [2], [1], year=2027)
    with_thin = aggregate(per_document_counts(pd.concat([s, s_thin])), pd.concat([d, d_thin]), ["gm_code", "year"], AggregationConfig())
    thin_year = with_thin.set_index("year").loc[2027]
    assert thin_year.n_regie + thin_year.n_netwerk == 6 and thin_year.category == "onvoldoende bewijs"
    with_thin_trend = trend(with_thin, ["GM0001"], AggregationConfig()).iloc[0]
    assert with_thin_trend.trend_slope == pytest.approx(result.trend_slope) and with_thin_trend.trend_years == 4
    # Equal positions every year: exactly no slope.
    s_flat, d_flat = zip(*(corpus(2, [8], [0], gm="GM0003", year=year) for year in (2015, 2018, 2021)))
    flat_years = aggregate(per_document_counts(pd.concat(s_flat)), pd.concat(d_flat), ["gm_code", "year"], AggregationConfig())
    flat = trend(flat_years, ["GM0003"], AggregationConfig()).iloc[0]
    assert flat.trend_slope == 0.0 and flat.trend == "stabiel" and flat.trend_years == 3
    # A municipality without a dated document (none of its rows in the year table) still
    # gets a row: no trend, resting on no year.
    undated = trend(years, ["GM0001", "GM0002"], AggregationConfig()).set_index("gm_code").loc["GM0002"]
    assert undated.trend == "onbekend" and undated.trend_years == 0 and np.isnan(undated.trend_slope)


def test_counts_read_in_parts_add_up_to_those_of_the_whole_table():
    """Aggregation reads the sentence table in batches; a document split over two batches
    counts as one."""
    from nlp.aggregate import sum_counts

    s, _ = corpus(7, [3, 0, 1], [1, 4, 2])
    whole = per_document_counts(s)
    parts = [per_document_counts(s.iloc[i:i + 10]) for i in range(0, len(s), 10)]
    assert len(parts) > 1 and any(len(set(p.index) & set(q.index)) for p, q in zip(parts, parts[1:]))
    pd.testing.assert_frame_equal(sum_counts(parts).sort_index(), whole.sort_index(), check_names=False)
    assert sum_counts([]).empty and list(sum_counts([]).columns) == list(whole.columns)
