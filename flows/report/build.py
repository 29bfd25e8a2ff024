"""Build the stance report of a run: <run>/report/, a static site that works offline.

    report/index.html                  overview: chart, sortable/filterable table, run counts
    report/municipalities/GMxxxx.html  one page per municipality
    report/documents/<doc_id>.html     each document's text per page (#page-N, #s<page>-<offset>)
    report/method.html                 lexicon, cues, model metrics, thresholds, config, versions
    report/rejected.html               rejected and duplicate inputs
    report/data/                       CSV + Parquet exports and codebook.md
    report/report.json                 what was built (language, run id, files)

Safety: every template is rendered with autoescape; document text only ever reaches a page
as escaped text; links to the outside are plain http(s) URLs only; file names come from
sanitised doc_ids and CBS codes, never from titles. Each page carries a Content-Security-
Policy that allows only the page's own inline style and script (by hash), so even markup
that slipped through could not run.

The site is written into a temporary folder inside the run folder and renamed into place,
so report/ is either the old complete report or the new complete one.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import sys
import tempfile
from collections import Counter, defaultdict
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from flows.outputs import shared_mode
from flows.report.charts import PositionRow, ShareRow, YearPoint, category_class, overview_chart, shares_chart, year_chart
from flows.report.data import (
    RunTables, clean, document_file_names, document_meta, load_run, municipality_file_name, page_link, text, web_url,
)
from flows.report.exports import write_exports
from flows.report.evidence import DocumentEvidence, MunicipalityEvidence
from flows.report.kwic import EvidenceSentence, Highlighter, pieces_html, sentences_by_document
from flows.report.labels import DEFAULT_LANG, Labels
from flows.report.method import aggregation_settings, method_context

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
REPORT_DIR = "report"
PAGE_SEPARATOR = "\n\n"  # how the analysis joins pages (flows.analysis.PAGE_SEPARATOR)
STRONGEST_PER_STANCE = 5
ALL_EVIDENCE_CAP = 300
WIDE_INTERVAL = 0.5
CATEGORY_ORDER = ("regiegemeente", "hybride", "netwerkgemeente", "zelfstandig", "onvoldoende bewijs")
TREND_ORDER = {"naar regie": 0, "stabiel": 1, "naar netwerk": 2, "onbekend": 3}
TREND_ARROW = {"naar netwerk": "→", "naar regie": "←", "stabiel": "=", "onbekend": "?"}
TREND_CLASS = {"naar netwerk": "t-netwerk", "naar regie": "t-regie", "stabiel": "t-stabiel", "onbekend": "t-onbekend"}


def build_report(run_dir: Path, lang: str = DEFAULT_LANG) -> Path:
    """Write <run_dir>/report/ (with exports in report/data/) from the run's tables; return it.

    `run_dir` is used as given (it may be a partial run folder that is published later).
    Raises ReportInputError when the folder lacks the run's tables, ReportLanguageError for
    an unknown language.
    """
    labels = Labels(lang)
    run_dir = Path(run_dir)
    tables = load_run(run_dir)
    target = run_dir / REPORT_DIR
    staging = Path(tempfile.mkdtemp(prefix=f".{REPORT_DIR}-", dir=run_dir))
    try:
        os.chmod(staging, shared_mode(0o777))  # run outputs are shared
        _Site(tables, labels, staging).write()
        _swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _swap_into_place(staging: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}-old-{secrets.token_hex(4)}")
        os.replace(target, old)
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _csp_source(content: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(content.encode("utf-8")).digest()).decode("ascii") + "'"


def _version(tables: RunTables) -> str:
    try:
        return metadata.version("regiescan")
    except metadata.PackageNotFoundError:
        return str((tables.run.get("packages") or {}).get("regiescan", "?"))


class _Environment(jinja2.Environment):
    """Jinja looks `x.name` up as an attribute first and as a key after the AttributeError;
    the report's contexts are dicts, and those exceptions were the largest single cost of
    rendering. For a dict the key comes first; anything else is looked up as Jinja does."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _environment(labels: Labels) -> jinja2.Environment:
    env = _Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pieces_html"] = pieces_html
    env.globals.update(
        t=labels,
        category_class=category_class,
        trend_arrow=lambda value: TREND_ARROW.get(str(value), "?"),
        trend_class=lambda value: TREND_CLASS.get(str(value), "t-onbekend"),
    )
    return env


def _sort_number(value: Any) -> str:
    value = clean(value)
    return "" if value is None else repr(float(value))


def _int(value: Any, default: int = 0) -> int:
    value = clean(value)
    return default if value is None else int(value)


class _Site:
    def __init__(self, tables: RunTables, labels: Labels, out: Path) -> None:
        self.tables = tables
        self.t = labels
        self.out = out
        self.env = _environment(labels)
        self.version = _version(tables)
        self.agg = aggregation_settings(tables)
        self.threshold = float(self.agg["axis_threshold"])
        css = (STATIC / "report.css").read_text(encoding="utf-8")
        script = (STATIC / "report.js").read_text(encoding="utf-8")
        csp = (f"default-src 'none'; style-src {_csp_source(css)}; script-src {_csp_source(script)}; "
               "img-src data:; base-uri 'none'; form-action 'none'")
        self.common = {"lang": labels.lang, "run_id": tables.run_id, "version": self.version,
                       "css": Markup(css), "script": Markup(script), "csp": csp}
        documents = tables.documents
        self.doc_files = document_file_names([str(d) for d in documents["doc_id"]]) if len(documents) else {}
        # The documents' metadata stays in the table (Arrow columns): as Python values for every
        # document it took ~2 KB a document, the largest part of the report's memory at 50,000
        # documents. A municipality page takes its documents' rows (grouped once: scanning every
        # document for each municipality grew with their product); document pages stream theirs.
        self.doc_rows_by_gm: dict[str, Any] = \
            {str(gm): rows for gm, rows in documents.groupby("gm_code", sort=False).indices.items()} if len(documents) else {}
        stance = tables.document_stance
        # four distinct values: interned, a document costs its dict entry only
        self.doc_stance = dict(zip(stance["doc_id"].astype(str), map(sys.intern, stance["stance"].astype(str)))) \
            if len(stance) else {}
        # What the municipality pages show of the evidence, filled while the document pages
        # are written (the only pass over the evidence table after the exports).
        self.evidence_by_gm: dict[str, MunicipalityEvidence] = defaultdict(
            lambda: MunicipalityEvidence(STRONGEST_PER_STANCE, ALL_EVIDENCE_CAP))
        self.written_docs: set[str] = set()
        self.known_gm = {str(g) for g in tables.municipalities["gm_code"]} if len(tables.municipalities) else set()

    # -- output ---------------------------------------------------------------------

    def render(self, template: str, path: str, root: str, **context: Any) -> None:
        html = self.env.get_template(template).render(**self.common, root=root, **context)
        target = self.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")

    def write(self) -> None:
        exports = write_exports(self.tables, self.out / "data", self.t)
        self.write_documents()  # first: municipality pages link to the anchors placed here
        municipalities = self.municipality_rows()
        for row in municipalities:
            self.write_municipality(row)
        self.write_index(municipalities, exports)
        self.render("method.html", "method.html", root="", active="method",
                    **method_context(self.tables, self.t, self.version))
        self.write_rejected()
        meta = {"run_id": self.tables.run_id, "lang": self.t.lang, "regiescan": self.version,
                "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "municipalities": len(municipalities), "documents": len(self.written_docs),
                "exports": [f.__dict__ for f in exports]}
        (self.out / "report.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    # -- links ----------------------------------------------------------------------

    def doc_href(self, doc_id: str, anchor: str | None = None) -> str | None:
        if doc_id not in self.written_docs:
            return None
        return f"documents/{self.doc_files[doc_id]}" + (f"#{anchor}" if anchor else "")

    def sentence_href(self, s: EvidenceSentence) -> str | None:
        anchor = s.anchor if s.placed else f"page-{int(s.page)}"
        return self.doc_href(s.doc_id, anchor)

    def municipality_href(self, gm_code: Any) -> str | None:
        gm_code = text(gm_code)
        return f"municipalities/{municipality_file_name(gm_code)}" if gm_code in self.known_gm else None

    # -- overview -------------------------------------------------------------------

    def municipality_rows(self) -> list[dict[str, Any]]:
        rows = []
        for record in self.tables.municipalities.to_dict("records"):
            m = {k: clean(v) for k, v in record.items()}
            first, last = m.get("first_year"), m.get("last_year")
            m.update(
                gm_code=str(m["gm_code"]), municipality=str(m["municipality"]),
                category=str(m.get("category") or "onvoldoende bewijs"), trend=str(m.get("trend") or "onbekend"),
                href=self.municipality_href(m["gm_code"]),
                category_order=CATEGORY_ORDER.index(m["category"]) if m.get("category") in CATEGORY_ORDER else 9,
                position_sort=_sort_number(m.get("position")),
                trend_order=TREND_ORDER.get(str(m.get("trend")), 9),
                years=(f"{int(first)}–{int(last)}" if first is not None and last is not None and first != last
                       else str(int(first)) if first is not None else "–"),
                first_year_sort=_sort_number(first),
            )
            for key in ("n_documents", "n_documents_with_evidence", "n_evidence_sentences", "n_regie", "n_netwerk",
                        "n_zelfstandig", "trend_years"):
                m[key] = _int(m.get(key))
            rows.append(m)
        # default order: as in the chart, regie to netwerk, municipalities without a position last
        rows.sort(key=lambda m: (m["position"] is None, m["position"] if m["position"] is not None else 0, m["municipality"]))
        return rows

    def tooltip(self, name: str, m: dict[str, Any], documents_label: str) -> str:
        t = self.t
        return (f"{name}: {t.group('category', m.get('category'))}, {t('col_position').lower()} "
                f"{t.num(m.get('position'), signed=True)} {t.interval(m.get('position_low'), m.get('position_high'))}, "
                f"{_int(m.get('n_documents'))} {documents_label}, {_int(m.get('n_evidence_sentences'))} {t('col_evidence').lower()}")

    def write_index(self, municipalities: list[dict[str, Any]], exports: list[Any]) -> None:
        t = self.t
        run = self.tables.run
        counts = {k: _int((run.get("counts") or {}).get(k)) for k in ("inputs", "analysed", "rejected", "duplicates")}
        by_reason = run.get("rejected_by_reason")
        if not isinstance(by_reason, dict):
            by_reason = Counter(str(c) for c in self.tables.rejected.get("reason_code", []))
        chart_rows = [PositionRow(m["municipality"], m["category"], m["position"], m.get("position_low"),
                                  m.get("position_high"), m["n_evidence_sentences"], m["href"],
                                  self.tooltip(m["municipality"], m, t("col_documents").lower()))
                      for m in municipalities]
        categories = Counter(m["category"] for m in municipalities)
        self.render(
            "index.html", "index.html", root="", active="overview",
            municipalities=municipalities,
            counts=counts,
            balanced=counts["inputs"] == counts["analysed"] + counts["rejected"] + counts["duplicates"],
            rejected_by_reason=sorted((str(k), _int(v)) for k, v in by_reason.items()),
            finished_at=str(run.get("finished_at", ""))[:16].replace("T", " "),
            category_counts=[(c, categories[c]) for c in CATEGORY_ORDER if categories[c]],
            all_categories=[c for c in CATEGORY_ORDER if categories[c]],
            legend_categories=CATEGORY_ORDER[:4],
            overview_svg=overview_chart(chart_rows, t, self.threshold) if chart_rows else "",
            interval_label=f"{float(self.agg['interval']) * 100:g}%",
            threshold_label=t.num(self.threshold),
            exports=exports,
        )

    # -- municipality pages -----------------------------------------------------------

    def evidence_row(self, s: EvidenceSentence) -> dict[str, Any]:
        t = self.t
        source = web_url(s.source_url)
        cue = Highlighter(s, t)
        deciding = s.deciding_cue
        return {
            "stance": s.stance, "probability": s.probability, "kwic": cue.kwic(),
            "title": s.title or t("untitled"), "page": s.page, "date": t.date(s.date),
            "doc_href": self.sentence_href(s),
            "source_href": page_link(source, s.page) if source else None,
            "cue": deciding.cue if deciding else None,
            "cue_kind": t.group("cue_kind", deciding.cue_kind) if deciding else None,
        }

    def crosses_boundary(self, m: dict[str, Any]) -> bool:
        """A position category whose interval reaches over one of the ±threshold boundaries:
        another sample of documents could give another category."""
        low, high = m.get("position_low"), m.get("position_high")
        if m["category"] not in ("regiegemeente", "netwerkgemeente", "hybride") or low is None or high is None:
            return False
        return any(low < boundary < high for boundary in (-self.threshold, self.threshold))

    def notes(self, m: dict[str, Any], years: list[dict[str, Any]]) -> list[str]:
        t, agg = self.t, self.agg
        notes = []
        if m["category_rule"] == "too_little_evidence":
            notes.append(t("note_insufficient", n_evidence=m["n_evidence_sentences"], n_docs=m["n_documents_with_evidence"],
                           min_sentences=agg["min_evidence_sentences"], min_documents=agg["min_documents"]))
        elif m["category_rule"] == "too_few_position_documents":
            notes.append(t("note_insufficient_spread", min_documents=agg["min_documents"]))
        if m.get("position") is None:
            notes.append(t("note_no_position"))
        elif m.get("position_low") is None or m.get("position_high") is None:
            notes.append(t("note_no_interval"))
        elif m["position_high"] - m["position_low"] > WIDE_INTERVAL:
            notes.append(t("note_wide_interval", low=t.num(m["position_low"], signed=True), high=t.num(m["position_high"], signed=True)))
        if self.crosses_boundary(m):
            notes.append(t("note_interval_crosses", low=t.num(m["position_low"], signed=True),
                           high=t.num(m["position_high"], signed=True), threshold=t.num(self.threshold)))
        thin = sum(1 for y in years if y["category"] == "onvoldoende bewijs")
        if thin:
            notes.append(t("note_thin_years", n=thin))
        single = sum(1 for y in years if y.get("position") is not None and y.get("position_low") is None)
        if single:
            notes.append(t("note_one_document_years", n=single))
        if m.get("trend") == "onbekend" and years:
            notes.append(t("note_trend_unknown", min=agg["min_trend_sentences"]))
        elif m.get("trend_years") == 2:
            notes.append(t("note_trend_two_years"))
        return notes

    def write_municipality(self, m: dict[str, Any]) -> None:
        t = self.t
        gm = m["gm_code"]
        table = self.tables.municipality_years
        years = []
        if len(table):
            for record in table[table["gm_code"].astype(str) == gm].sort_values("year").to_dict("records"):
                y = {k: clean(v) for k, v in record.items()}
                y["year"] = _int(y["year"])
                y["category"] = str(y.get("category") or "onvoldoende bewijs")
                y["position_sort"] = _sort_number(y.get("position"))
                for key in ("n_documents", "n_evidence_sentences", "n_regie", "n_netwerk", "n_zelfstandig"):
                    y[key] = _int(y.get(key))
                years.append(y)
        doc_word = t("col_documents").lower()
        points = [YearPoint(y["year"], y["category"], y.get("position"), y.get("position_low"), y.get("position_high"),
                            self.tooltip(str(y["year"]), y, doc_word)) for y in years]
        year_svg = year_chart(points, m.get("position"), t, self.threshold, t("chart_year_title", name=m["municipality"])) if years else ""

        def share_row(label: str, r: dict[str, Any]) -> ShareRow:
            shares = {f: r.get(f"{f}_share") for f in ("regie", "netwerk", "zelfstandig")}
            tip = f"{label}: " + ", ".join(f"{t.group('frame', f)} {t.percent(v)}" for f, v in shares.items()) + \
                  f" (R {r['n_regie']}, N {r['n_netwerk']}, Z {r['n_zelfstandig']})"
            return ShareRow(label, shares, r["n_evidence_sentences"], tip)

        share_rows = [share_row(t("total"), m)] + [share_row(str(y["year"]), y) for y in years]
        shares_svg = shares_chart(share_rows, t, t("chart_shares_title", name=m["municipality"]))

        evidence = self.evidence_by_gm[gm]
        strongest_rows = [(stance, self.t("evidence_for", stance=t.group("stance", stance), shown=len(rows), n=evidence.n_by_stance[stance]),
                           [self.evidence_row(s) for s in rows]) for stance, rows in evidence.strongest_by_stance()]
        all_rows = [self.evidence_row(s) for s in evidence.in_time.first()]
        documents = []
        rows = self.tables.documents.iloc[self.doc_rows_by_gm.get(gm, [])]
        for record in rows.to_dict("records"):
            d = document_meta(record)
            doc_id = str(d["doc_id"])
            original = text(d.get("municipality_original"))
            source = web_url(d.get("source_url"))
            documents.append({
                "date": t.date(d.get("date")), "date_sort": str(d.get("date") or ""),
                "doc_type": text(d.get("doc_type")) or "", "title": text(d.get("title")) or t("untitled"),
                "ref": text(d.get("ref")) or "", "original": original if original and original != m["municipality"] else None,
                "href": self.doc_href(doc_id), "stance": self.doc_stance.get(doc_id),
                "n_evidence": evidence.n_by_document[doc_id], "n_pages": _int(d.get("n_pages")),
                "source_href": source, "source_url": text(d.get("source_url")),
            })
        documents.sort(key=lambda d: d["date_sort"])
        self.render(
            "municipality.html", f"municipalities/{municipality_file_name(gm)}", root="../", active="",
            m=m, years=years, year_svg=year_svg, shares_svg=shares_svg, notes=self.notes(m, years),
            strongest=strongest_rows, all_evidence=all_rows, n_evidence_total=evidence.total,
            documents=documents, merged=any(d["original"] for d in documents),
        )

    # -- document pages -----------------------------------------------------------------

    def page_parts(self, pages: list[str], sentences: list[EvidenceSentence]) -> list[dict[str, Any]]:
        """The pages' texts cut around the evidence sentences, which are marked `placed`."""
        starts, offset = [], 0
        for page in pages:
            starts.append(offset)
            offset += len(page) + len(PAGE_SEPARATOR)
        placed: dict[int, list[tuple[int, EvidenceSentence]]] = defaultdict(list)
        for s in sentences:
            if not 1 <= s.page <= len(pages):
                continue
            page = pages[s.page - 1]
            local = s.sentence_start - starts[s.page - 1]
            if not (local >= 0 and page[local:local + len(s.sentence)] == s.sentence):
                local = page.find(s.sentence)
            if local >= 0 and s.sentence:
                placed[s.page].append((local, s))
        out = []
        for number, page in enumerate(pages, start=1):
            parts: list[dict[str, Any]] = []
            cursor = 0
            for local, s in sorted(placed.get(number, []), key=lambda item: item[0]):
                if local < cursor:
                    continue  # overlaps the previous mark
                if local > cursor:
                    parts.append({"anchor": None, "text": page[cursor:local]})
                parts.append({"anchor": s.anchor, "stance": s.stance if s.stance in ("regie", "netwerk", "zelfstandig") else "geen",
                              "probability": s.probability, "pieces": Highlighter(s, self.t).pieces(0, len(s.sentence), normalise=False)})
                s.placed = True
                cursor = local + len(s.sentence)
            if cursor < len(page):
                parts.append({"anchor": None, "text": page[cursor:]})
            out.append({"number": number, "parts": parts})
        return out

    def write_documents(self) -> None:
        """Each document's page, its evidence read alongside; every evidence sentence then goes
        to its municipality's page selection."""
        evidence = DocumentEvidence(sentences_by_document(self.tables.iter_evidence()), self.tables.evidence_doc_ids())
        for d, pages in self.tables.iter_documents():
            doc_id = str(d["doc_id"])
            sentences = evidence.take(doc_id)
            if doc_id in self.doc_files:
                self.write_document(doc_id, d, pages, sentences)
            for s in sentences:
                self.evidence_by_gm[s.gm_code].add(s)
        for s in evidence.rest():  # evidence of documents without a page
            self.evidence_by_gm[s.gm_code].add(s)

    def write_document(self, doc_id: str, d: dict[str, Any], pages: list[str], sentences: list[EvidenceSentence]) -> None:
        t = self.t
        original = text(d.get("municipality_original"))
        municipality = text(d.get("municipality")) or ""
        source = web_url(d.get("source_url"))
        context = {
            "doc_id": doc_id, "title": text(d.get("title")) or t("untitled"), "municipality": municipality,
            "gm_code": text(d.get("gm_code")) or "", "municipality_href": self.municipality_href(d.get("gm_code")),
            "original": original if original and original != municipality else None,
            "date": t.date(d.get("date")), "doc_type": text(d.get("doc_type")) or "", "ref": text(d.get("ref")) or "",
            "source_href": source, "source_url": text(d.get("source_url")), "stance": self.doc_stance.get(doc_id),
        }
        self.written_docs.add(doc_id)
        self.render("document.html", f"documents/{self.doc_files[doc_id]}", root="../", active="",
                    d=context, pages=self.page_parts(pages, sentences))

    # -- rejected -------------------------------------------------------------------------

    def write_rejected(self) -> None:
        rejected = [{k: text(v) or "" for k, v in r.items()} for r in self.tables.rejected.to_dict("records")]
        duplicates = []
        for r in self.tables.duplicates.to_dict("records"):
            row = {k: text(v) or "" for k, v in r.items()}
            row["href"] = self.doc_href(row.get("doc_id", ""))
            duplicates.append(row)
        self.render("rejected.html", "rejected.html", root="", active="rejected", rejected=rejected, duplicates=duplicates)
