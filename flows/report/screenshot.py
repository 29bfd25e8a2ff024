"""Screenshots of a built report in headless Chromium (Debian's chromium package, driven by
Playwright's Python API), e.g. the README picture:

    .venv/bin/python -m flows.report.screenshot outputs/latest docs/report-screenshot.png
    .venv/bin/python -m flows.report.screenshot outputs/latest shot.png --page municipalities/GM0307.html

The browser binary is /usr/bin/chromium unless REGIESCAN_CHROMIUM names another one.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]


def chromium_path() -> str:
    return os.environ.get("REGIESCAN_CHROMIUM", "/usr/bin/chromium")


def launch(playwright: Any) -> Any:
    """A headless Chromium browser (Playwright Browser) from the system package."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 900, full_page: bool = False) -> Path:
    from playwright.sync_api import sync_playwright

    png.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
            page.goto(html.resolve().as_uri())
            page.screenshot(path=str(png), full_page=full_page)
        finally:
            browser.close()
    return png


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, help="run folder with a built report/")
    parser.add_argument("png", type=Path, help="where to write the PNG")
    parser.add_argument("--page", default="index.html", help="page inside report/ [index.html]")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--full-page", action="store_true", help="the whole page, not only the first screen")
    args = parser.parse_args(argv)
    html = args.run_dir / "report" / args.page
    if not html.is_file():
        parser.error(f"no such report page: {html} (build it with `regiescan report {args.run_dir}`)")
    print(screenshot(html, args.png, args.width, args.height, args.full_page))


if __name__ == "__main__":
    main()
