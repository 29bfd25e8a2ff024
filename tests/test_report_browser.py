"""The stance report in a real headless browser (Debian's chromium, driven by Playwright).

One real `regiescan run` on a small corpus (three sample municipalities, plus a hostile
municipality whose file names, manifest title, source URL and text carry <script>, <img
onerror>, javascript: links, quotes and angle brackets), then the report is built and
opened: pages load without console errors, no dialog fires, the table sorts and filters,
evidence rows are there and link to the documents, and the hostile strings show as text.
Screenshots go to the test's output folder (printed; also copied to
$REGIESCAN_SCREENSHOT_DIR when set).

Chromium must be installed (make setup / .ci/run install it); REGIESCAN_SKIP_BROWSER=1 skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

from flows.report import build_report
from flows.report.screenshot import chromium_path, launch

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpora" / "sample"
BIN = Path(sys.executable).parent / "regiescan"

pytestmark = pytest.mark.skipif(os.environ.get("REGIESCAN_SKIP_BROWSER") == "1",
                                reason="REGIESCAN_SKIP_BROWSER=1: headless-browser tests skipped")

HOSTILE_FILE = 'raadsvoorstel "><img src=x onerror=alert(1)>.txt'
HOSTILE_TITLE = "Regie \"<b>vet</b>\" & 'quotes' <script>alert('title')</script>"
HOSTILE_TEXT = (
    "Raadsvoorstel regie en netwerk\n\n"
    "De gemeente Zutphen voert de regie over de uitvoering <script>alert(1)</script> en houdt grip op de verbonden partijen.\n\n"
    "Wij kiezen voor samenwerking als netwerkgemeente <img src=x onerror=alert(1)> met gelijkwaardige partners.\n\n"
    "Zie <a href=\"javascript:alert(1)\">deze link</a> en javascript:alert(2) voor de regierol van de gemeente.\n\n"
    "Wij blijven een zelfstandige gemeente \"met\" 'quotes' & <b>ampersands</b>.\n"
)


def write_corpus(corpus: Path) -> None:
    for municipality in ("amersfoort", "ermelo", "vaals"):
        shutil.copytree(SAMPLE / municipality, corpus / municipality)
    zutphen = corpus / "zutphen"
    zutphen.mkdir()
    (zutphen / HOSTILE_FILE).write_text(HOSTILE_TEXT, encoding="utf-8")
    (zutphen / "2022-01-11_raadsvoorstel-regie-<svg onload=alert(5)>.md").write_text(
        "# Regie & netwerk <script>alert(\"h1\")</script>\n\n"
        "De gemeente wil de regie voeren en kaders stellen voor de regionale samenwerking.\n\n"
        "Wij willen als regiegemeente sturen op resultaat.\n", encoding="utf-8")
    (zutphen / "manifest.jsonl").write_text(json.dumps({
        "file": HOSTILE_FILE, "municipality": "Zutphen", "date": "2020-03-03", "doc_type": "raadsvoorstel",
        "title": HOSTILE_TITLE, "source_url": "javascript:alert(document.cookie)"}) + "\n", encoding="utf-8")
    (zutphen / "notulen <img src=x onerror=alert(3)>.txt").write_text("Zonder datum.", encoding="utf-8")
    (corpus / "atlantis").mkdir()
    (corpus / "atlantis" / "2018-02-01_motie.txt").write_text("Een motie.", encoding="utf-8")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report-browser")
    corpus = root / "corpus"
    write_corpus(corpus)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(root / "prefect-home")
    result = subprocess.run([str(BIN), "run", "--corpus", str(corpus), "--out", str(root / "outputs")],
                            cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return build_report(root / "outputs" / "latest")


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("report-screenshots")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(chromium_path()).exists():
        pytest.fail(f"Chromium not found at {chromium_path()}: install Debian's chromium package "
                    "(apt-get install -y chromium; make setup and .ci/run do this), or set "
                    "REGIESCAN_SKIP_BROWSER=1 to skip the browser tests")
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@dataclass
class Watched:
    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.dialogs == [], f"a dialog fired: {self.dialogs}"
        assert self.console_errors == [], self.console_errors
        assert self.page_errors == [], self.page_errors
        outside = [u for u in self.requests if not u.startswith(("file://", "data:"))]
        assert outside == [], f"the report reached out to the network: {outside}"


def open_page(browser: Any, path: Path) -> Watched:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watched = Watched(page)
    page.on("console", lambda m: watched.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watched.page_errors.append(str(e)))
    page.on("request", lambda r: watched.requests.append(r.url))

    def on_dialog(dialog: Any) -> None:
        watched.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return watched


def screenshot(watched: Watched, shots: Path, name: str) -> Path:
    path = shots / name
    watched.page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    print(f"screenshot: {path}")
    if os.environ.get("REGIESCAN_SCREENSHOT_DIR"):
        target = Path(os.environ["REGIESCAN_SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / name)
    return path


def assert_inert(page: Any) -> None:
    """Nothing from a document became markup: one script (the report's), no images or handlers."""
    found = page.evaluate("""() => ({
        scripts: document.querySelectorAll('script').length,
        active: document.querySelectorAll('img, iframe, object, embed, [onerror], [onload], [onclick], [onmouseover]').length,
        jsLinks: Array.from(document.querySelectorAll('a[href]')).filter(a => /^\\s*javascript:/i.test(a.getAttribute('href'))).length,
        bold: document.querySelectorAll('main b').length,
    })""")
    assert found["scripts"] == 1 and found["active"] == 0 and found["jsLinks"] == 0, found


def column(page: Any, index: int) -> list[str]:
    return page.eval_on_selector_all(
        f"#municipality-table tbody tr:not([hidden]) td:nth-child({index})",
        "cells => cells.map(c => c.getAttribute('data-sort') ?? c.textContent.trim())")


def test_index_loads_sorts_and_filters(browser, report, shots):
    w = open_page(browser, report / "index.html")
    page = w.page
    assert page.title().startswith("Overzicht")
    assert page.locator("#overview-chart").is_visible()
    assert page.locator("#municipality-table tbody tr").count() == 4
    screenshot(w, shots, "index.png")

    page.get_by_role("button", name="Bewijszinnen").click()
    values = [int(v) for v in column(page, 7)]
    assert values == sorted(values)
    page.get_by_role("button", name="Bewijszinnen").click()
    assert [int(v) for v in column(page, 7)] == sorted(values, reverse=True)
    assert page.locator("th[aria-sort=descending]").inner_text().strip().startswith("Bewijszinnen")

    page.get_by_role("button", name="Gemeente").click()
    names = column(page, 1)
    assert names == sorted(names, key=str.casefold) and "Zutphen" in names

    page.get_by_role("searchbox").fill("erm")
    assert column(page, 1) == ["Ermelo"]
    assert "1 van 4" in page.locator("[data-filter-status]").inner_text()
    page.get_by_role("searchbox").fill("")
    page.get_by_role("combobox").select_option("onvoldoende bewijs")
    assert set(column(page, 1)) <= {"Vaals", "Zutphen"} and column(page, 1)
    assert page.get_by_role("link", name="Bekijk de lijst met afgewezen en dubbele documenten").count() == 1
    assert_inert(page)
    w.assert_clean()


def test_municipality_page_shows_evidence_and_hostile_text_inert(browser, report, shots):
    w = open_page(browser, report / "municipalities" / "GM0301.html")  # Zutphen: the hostile documents
    page = w.page
    assert page.locator("h1").inner_text().startswith("Zutphen")
    rows = page.locator("table.kwic tr.evidence-row:visible")
    assert rows.count() >= 3
    assert page.locator("tr.evidence-row .fw").count() > 0 and page.locator("tr.evidence-row .cue").count() > 0
    body = page.locator("main").inner_text()
    for hostile in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", HOSTILE_TITLE,
                    "javascript:alert(document.cookie)", 'raadsvoorstel "><img src=x onerror=alert(1)>.txt',
                    "<svg onload=alert(5)>"):
        assert hostile in body, hostile
    assert page.locator("#year-chart").is_visible() and page.locator("#shares-chart").is_visible()
    assert "Te weinig bewijs" in page.locator(".notes").inner_text()
    screenshot(w, shots, "municipality-zutphen.png")
    assert_inert(page)
    w.assert_clean()

    # the strongest evidence links to the document page, at the sentence
    page.locator("tr.evidence-row a.doc").first.click()
    page.wait_for_load_state("load")
    assert "/documents/" in page.url and "#s" in page.url
    target = page.url.split("#", 1)[1]
    assert page.locator(f"[id='{target}']").is_visible()
    text = page.locator("main").inner_text()
    assert HOSTILE_TITLE in text or "Regie & netwerk <script>alert(\"h1\")</script>" in text
    screenshot(w, shots, "document.png")
    assert_inert(page)
    w.assert_clean()


def test_a_regular_municipality_page(browser, report, shots):
    w = open_page(browser, report / "municipalities" / "GM0307.html")  # Amersfoort
    page = w.page
    assert page.locator("tr.evidence-row").count() >= 5
    assert page.locator("h3", has_text="Standpunt regie").count() == 1
    assert page.locator("#document-table tbody tr").count() == 4
    page.get_by_text("Alle zinnen uit de bewijstabel").click()
    assert page.locator("#all-evidence tr.evidence-row:visible").count() > 5
    screenshot(w, shots, "municipality-amersfoort.png")
    w.assert_clean()


def test_hostile_document_page_and_rejected_list(browser, report):
    hostile = next(p for p in (report / "documents").glob("*.html") if "alert(document.cookie)" in p.read_text(encoding="utf-8"))
    w = open_page(browser, hostile)
    text = w.page.locator("main").inner_text()
    assert 'Zie <a href="javascript:alert(1)">deze link</a> en javascript:alert(2)' in text
    assert "<b>ampersands</b>" in text and w.page.locator("mark.ev").count() >= 3
    assert w.page.locator("#page-1").count() == 1
    assert_inert(w.page)
    w.assert_clean()
    w = open_page(browser, report / "rejected.html")
    assert "notulen <img src=x onerror=alert(3)>.txt" in w.page.locator("main").inner_text()
    assert_inert(w.page)
    w.assert_clean()


def test_method_page_and_english_report(browser, report):
    w = open_page(browser, report / "method.html")
    text = w.page.locator("main").inner_text()
    for needle in ("Corpus-hash", "macro-F1", "Lexicon", "Cuelijsten", "axis_threshold", "spacy"):
        assert needle in text, needle
    w.assert_clean()
    english = build_report(report.parent, lang="en")
    w = open_page(browser, english / "index.html")
    assert w.page.locator("html").get_attribute("lang") == "en"
    assert w.page.get_by_role("button", name="Evidence sentences").count() == 1
    w.assert_clean()
