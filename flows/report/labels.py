"""Report labels (labels.yml: Dutch by default, English with --report-lang en) and the
number and date formats that go with each language."""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LABELS_PATH = Path(__file__).resolve().parent / "labels.yml"
LANGUAGES = ("nl", "en")
DEFAULT_LANG = "nl"
MINUS = "\u2212"  # a real minus sign: "−0,45" lines up and reads better than "-0,45"


class ReportLanguageError(ValueError):
    pass


@lru_cache(maxsize=1)
def _all_labels() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(LABELS_PATH.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or DEFAULT_LANG not in data:
        raise ReportLanguageError(f"{LABELS_PATH}: expected a mapping with a {DEFAULT_LANG!r} section")
    return data


class Labels:
    """Label lookup for one language, falling back to Dutch, then to the key itself."""

    def __init__(self, lang: str = DEFAULT_LANG) -> None:
        if lang not in LANGUAGES:
            raise ReportLanguageError(f"unsupported report language {lang!r}; choose one of {', '.join(LANGUAGES)}")
        self.lang = lang
        data = _all_labels()
        self._own: dict[str, Any] = data.get(lang) or {}
        self._base: dict[str, Any] = data[DEFAULT_LANG]

    def __call__(self, key: str, **fields: Any) -> str:
        """The label `key`, with {fields} filled in."""
        value = self._own.get(key, self._base.get(key, key))
        if not isinstance(value, str):
            raise KeyError(f"label {key!r} is a group; use .group({key!r}, name)")
        return value.format(**fields) if fields else value

    def group(self, group: str, name: Any) -> str:
        """A value's label within a group (category, trend, frame, stance, ...); the value itself if unknown."""
        if name is None or (isinstance(name, float) and math.isnan(name)):
            return ""
        own = self._own.get(group) or {}
        base = self._base.get(group) or {}
        return str(own.get(name, base.get(name, name)))

    # -- numbers and dates ---------------------------------------------------------

    def num(self, value: Any, digits: int = 2, signed: bool = False) -> str:
        """A number in the language's notation: "−0,45" (nl), "−0.45" (en); "–" when missing."""
        if value is None:
            return "–"
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value)
        if math.isnan(number):
            return "–"
        text = f"{number:+.{digits}f}" if signed else f"{number:.{digits}f}"
        if text.lstrip("+-").strip("0.") == "":  # -0.00 / +0.00
            text = f"{0:.{digits}f}"
        text = text.replace("-", MINUS)
        return text.replace(".", ",") if self.lang == "nl" else text

    def integer(self, value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        text = f"{int(value):,}"
        return text.replace(",", ".") if self.lang == "nl" else text

    def percent(self, value: Any, digits: int = 0) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        text = f"{float(value) * 100:.{digits}f}"
        return (text.replace(".", ",") if self.lang == "nl" else text) + "%"

    def interval(self, low: Any, high: Any) -> str:
        if _missing(low) or _missing(high):
            return "–"
        sep = "; " if self.lang == "nl" else ", "
        return f"[{self.num(low)}{sep}{self.num(high)}]"

    def date(self, value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self("unknown_date")
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()[:10]
        return str(value)[:10]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
