"""Hand-written inline SVG charts (no JavaScript, no external files, no matplotlib).

Every piece of text that goes into the SVG passes through `esc` (html.escape with quotes),
and every number through `_f`, so names cannot break out of an element or attribute.
Colours come from CSS classes (cat-*, fr-*) defined in report.css; the palette is
Okabe-Ito, readable for colour-blind readers, and hollow markers mark thin evidence so the
difference never rests on colour alone.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from flows.report.labels import Labels

CATEGORY_CLASS = {
    "regiegemeente": "cat-regie", "netwerkgemeente": "cat-netwerk", "hybride": "cat-hybride",
    "zelfstandig": "cat-zelfstandig", "onvoldoende bewijs": "cat-onvoldoende",
}
FRAMES = ("regie", "netwerk", "zelfstandig")


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _f(value: float) -> str:
    return f"{value:.1f}"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def category_class(category: Any) -> str:
    return CATEGORY_CLASS.get(str(category), "cat-onvoldoende")


@dataclass
class PositionRow:
    label: str
    category: str
    position: float | None
    low: float | None
    high: float | None
    n_evidence: int
    href: str | None
    tooltip: str


def overview_chart(rows: list[PositionRow], labels: Labels, threshold: float, chart_id: str = "overview-chart") -> Markup:
    """Dot-and-whisker chart of all municipalities, sorted from regie (top) to netwerk."""
    t = labels
    placed = sorted((r for r in rows if not _missing(r.position)), key=lambda r: (r.position, r.label))
    unplaced = sorted((r for r in rows if _missing(r.position)), key=lambda r: r.label)
    ordered = placed + unplaced
    width, label_w, right_w = 1150, 220, 70
    top, bottom, row_h = 46, 34, 26
    x0, x1 = label_w + 14, width - right_w
    height = top + bottom + row_h * max(1, len(ordered))
    plot_bottom = height - bottom

    def x(p: float) -> float:
        return x0 + (max(-1.0, min(1.0, p)) + 1) / 2 * (x1 - x0)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{esc(chart_id)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{esc(chart_id)}-t {esc(chart_id)}-d">',
        f'<title id="{esc(chart_id)}-t">{esc(t("chart_overview_title"))}</title>',
        f'<desc id="{esc(chart_id)}-d">{esc(t("chart_overview_desc"))}</desc>',
        *(f'<rect class="zebra" x="0" y="{_f(top + row_h * i)}" width="{width}" height="{row_h}"/>'
          for i in range(0, len(ordered), 2)),
        f'<rect class="band" x="{_f(x(-threshold))}" y="{top}" width="{_f(x(threshold) - x(-threshold))}" height="{plot_bottom - top}"/>',
    ]
    for tick in (-1.0, -0.5, 0.0, 0.5, 1.0):
        cls = "grid zero" if tick == 0 else "grid"
        out.append(f'<line class="{cls}" x1="{_f(x(tick))}" x2="{_f(x(tick))}" y1="{top}" y2="{plot_bottom}"/>')
        out.append(f'<text class="tick" x="{_f(x(tick))}" y="{plot_bottom + 16}" text-anchor="middle">{esc(t.num(tick, 1 if tick % 1 else 0))}</text>')
    out.append(f'<text class="axis-end" x="{_f(x0)}" y="16">{esc(t("axis_regie"))}</text>')
    out.append(f'<text class="axis-end" x="{_f(x1)}" y="16" text-anchor="end">{esc(t("axis_netwerk"))}</text>')
    out.append(f'<text class="zone cat-regie-text" x="{_f((x0 + x(-threshold)) / 2)}" y="36" text-anchor="middle">{esc(t.group("category", "regiegemeente"))}</text>')
    out.append(f'<text class="zone" x="{_f(x(0))}" y="36" text-anchor="middle">{esc(t.group("category", "hybride"))}</text>')
    out.append(f'<text class="zone cat-netwerk-text" x="{_f((x(threshold) + x1) / 2)}" y="36" text-anchor="middle">{esc(t.group("category", "netwerkgemeente"))}</text>')
    for i, row in enumerate(ordered):
        cy = top + row_h * i + row_h / 2
        cls = category_class(row.category)
        hollow = row.category == "onvoldoende bewijs"
        out.append(f'<g class="row {cls}{" hollow" if hollow else ""}">')
        out.append(f"<title>{esc(row.tooltip)}</title>")
        label = f'<text class="name" x="{label_w}" y="{_f(cy + 4)}" text-anchor="end">{esc(row.label)}</text>'
        out.append(f'<a href="{esc(row.href)}">{label}</a>' if row.href else label)
        if _missing(row.position):
            out.append(f'<text class="none" x="{_f(x(0))}" y="{_f(cy + 4)}" text-anchor="middle">{esc(t("no_position"))}</text>')
        else:
            if not _missing(row.low) and not _missing(row.high):
                lo, hi = x(float(row.low)), x(float(row.high))
                out.append(f'<line class="whisker" x1="{_f(lo)}" x2="{_f(hi)}" y1="{_f(cy)}" y2="{_f(cy)}"/>')
                for end in (lo, hi):
                    out.append(f'<line class="whisker" x1="{_f(end)}" x2="{_f(end)}" y1="{_f(cy - 5)}" y2="{_f(cy + 5)}"/>')
            out.append(f'<circle class="dot" cx="{_f(x(float(row.position)))}" cy="{_f(cy)}" r="5.5"/>')
        out.append(f'<text class="n" x="{width - 8}" y="{_f(cy + 4)}" text-anchor="end">n={esc(t.integer(row.n_evidence))}</text>')
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


@dataclass
class YearPoint:
    year: int
    category: str
    position: float | None
    low: float | None
    high: float | None
    tooltip: str


def year_chart(points: list[YearPoint], overall: float | None, labels: Labels, threshold: float,
               title: str, chart_id: str = "year-chart") -> Markup:
    """Position per year with intervals; +1 (netwerk) at the top, −1 (regie) at the bottom."""
    t = labels
    width, height = 1150, 320
    left, right, top, bottom = 96, 24, 18, 34
    px0, px1, py0, py1 = left, width - right, top, height - bottom
    years = [p.year for p in points]
    lo_year, hi_year = (min(years), max(years)) if years else (0, 1)
    span = max(1, hi_year - lo_year)

    def x(year: float) -> float:
        if lo_year == hi_year:
            return (px0 + px1) / 2
        pad = 0.5
        return px0 + (year - lo_year + pad) / (span + 2 * pad) * (px1 - px0)

    def y(p: float) -> float:
        return py0 + (1 - max(-1.0, min(1.0, p))) / 2 * (py1 - py0)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{esc(chart_id)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{esc(chart_id)}-t">',
        f'<title id="{esc(chart_id)}-t">{esc(title)}</title>',
        f'<rect class="band" x="{px0}" y="{_f(y(threshold))}" width="{px1 - px0}" height="{_f(y(-threshold) - y(threshold))}"/>',
    ]
    for tick in (-1.0, -0.5, 0.0, 0.5, 1.0):
        cls = "grid zero" if tick == 0 else "grid"
        out.append(f'<line class="{cls}" x1="{px0}" x2="{px1}" y1="{_f(y(tick))}" y2="{_f(y(tick))}"/>')
        label = t.num(tick, 1 if tick % 1 else 0, signed=tick != 0)
        out.append(f'<text class="tick" x="{px0 - 8}" y="{_f(y(tick) + 4)}" text-anchor="end">{esc(label)}</text>')
    out.append(f'<text class="axis-end cat-netwerk-text" x="{px0 - 8}" y="{_f(y(1.0) + 18)}" text-anchor="end">netwerk</text>')
    out.append(f'<text class="axis-end cat-regie-text" x="{px0 - 8}" y="{_f(y(-1.0) - 10)}" text-anchor="end">regie</text>')
    ticks = sorted(set(years))
    step = max(1, math.ceil(len(ticks) / 14))  # at most ~14 year labels
    for year in ticks[::step]:
        out.append(f'<text class="tick" x="{_f(x(year))}" y="{py1 + 18}" text-anchor="middle">{int(year)}</text>')
    if overall is not None and not _missing(overall):
        oy = y(float(overall))
        out.append(f'<line class="overall" x1="{px0}" x2="{px1}" y1="{_f(oy)}" y2="{_f(oy)}"/>')
        out.append(f'<text class="overall-label" x="{px1 - 4}" y="{_f(oy - 5)}" text-anchor="end">{esc(t("overall"))} {esc(t.num(overall))}</text>')
    placed = [p for p in points if not _missing(p.position)]
    if len(placed) > 1:
        path = " ".join(f"{_f(x(p.year))},{_f(y(float(p.position)))}" for p in placed)
        out.append(f'<polyline class="trail" points="{path}"/>')
    for p in points:
        cls = category_class(p.category)
        hollow = p.category == "onvoldoende bewijs"
        out.append(f'<g class="point {cls}{" hollow" if hollow else ""}"><title>{esc(p.tooltip)}</title>')
        cx = x(p.year)
        if _missing(p.position):
            out.append(f'<text class="none" x="{_f(cx)}" y="{_f(y(0) + 4)}" text-anchor="middle">–</text>')
        else:
            if not _missing(p.low) and not _missing(p.high):
                ylo, yhi = y(float(p.low)), y(float(p.high))
                out.append(f'<line class="whisker" x1="{_f(cx)}" x2="{_f(cx)}" y1="{_f(yhi)}" y2="{_f(ylo)}"/>')
                for end in (ylo, yhi):
                    out.append(f'<line class="whisker" x1="{_f(cx - 5)}" x2="{_f(cx + 5)}" y1="{_f(end)}" y2="{_f(end)}"/>')
            out.append(f'<circle class="dot" cx="{_f(cx)}" cy="{_f(y(float(p.position)))}" r="6"/>')
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


@dataclass
class ShareRow:
    label: str
    shares: dict[str, float | None]  # frame -> share
    n: int
    tooltip: str


def shares_chart(rows: list[ShareRow], labels: Labels, title: str, chart_id: str = "shares-chart") -> Markup:
    """Stacked horizontal bars: regie, netwerk, zelfstandig share per row (total, then years)."""
    t = labels
    width, label_w, right_w = 1150, 96, 70
    top, row_h, bar_h = 34, 28, 18
    x0, x1 = label_w + 10, width - right_w
    height = top + row_h * max(1, len(rows)) + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{esc(chart_id)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{esc(chart_id)}-t">',
        f'<title id="{esc(chart_id)}-t">{esc(title)}</title>',
    ]
    lx = x0
    for frame in FRAMES:
        out.append(f'<rect class="fr-{frame}" x="{_f(lx)}" y="8" width="12" height="12" rx="2"/>')
        label = t.group("frame", frame)
        out.append(f'<text class="legend" x="{_f(lx + 18)}" y="18">{esc(label)}</text>')
        lx += 30 + 8 * len(label)
    for i, row in enumerate(rows):
        y = top + row_h * i
        out.append(f'<g class="share-row"><title>{esc(row.tooltip)}</title>')
        cls = "name strong" if i == 0 else "name"
        out.append(f'<text class="{cls}" x="{label_w}" y="{_f(y + bar_h / 2 + 4)}" text-anchor="end">{esc(row.label)}</text>')
        if row.n == 0 or all(_missing(row.shares.get(f)) for f in FRAMES):
            out.append(f'<text class="none" x="{x0}" y="{_f(y + bar_h / 2 + 4)}">{esc(t("no_evidence_short"))}</text>')
        else:
            cx = float(x0)
            for frame in FRAMES:
                share = row.shares.get(frame)
                share = 0.0 if _missing(share) else float(share)
                w = share * (x1 - x0)
                if w <= 0:
                    continue
                out.append(f'<rect class="fr-{frame}" x="{_f(cx)}" y="{y}" width="{_f(w)}" height="{bar_h}"/>')
                if share >= 0.08:
                    out.append(f'<text class="inbar" x="{_f(cx + w / 2)}" y="{_f(y + bar_h / 2 + 4)}" text-anchor="middle">{esc(t.percent(share))}</text>')
                cx += w
        out.append(f'<text class="n" x="{width - 8}" y="{_f(y + bar_h / 2 + 4)}" text-anchor="end">n={esc(t.integer(row.n))}</text>')
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))
