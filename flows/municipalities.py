"""Resolve free-text municipality names to CBS codes (GMxxxx), following mergers.

Names come from folder names ("den-bosch"), manifests ("Gemeente 's-Hertogenbosch") and
APIs. Resolution order: current CBS name, then an explicit alias, then a historical name
(abolished municipality -> its 2025 successor, keeping the original name).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "corpora" / "reference"

# "Gemeente X", "gem. X" and similar prefixes carry no information.
_PREFIX = re.compile(r"^(gemeente|gem\.?|municipality of)\s+", re.IGNORECASE)
_QUALIFIER = re.compile(r"\s*\([^)]*\)\s*$")


def normalise_name(name: str) -> str:
    """Lower-case, strip accents, prefixes and punctuation: "'s-Hertogenbosch" -> "s hertogenbosch"."""
    text = unicodedata.normalize("NFKD", name.strip())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _PREFIX.sub("", text.strip())
    text = re.sub(r"[^0-9a-zA-Z]+", " ", text).strip().lower()
    return text


@dataclass(frozen=True)
class Municipality:
    gm_code: str  # current (2025) CBS code
    name: str  # current (2025) CBS name
    original_name: str  # the name the document used, resolved (historical name if merged)
    merged: bool  # True when the original municipality no longer exists


class UnknownMunicipality(LookupError):
    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"{reason}: {value!r}")
        self.value = value
        self.reason = reason


class MunicipalityRegistry:
    """Name -> Municipality lookup built from the CBS 2025 list and the merger table."""

    def __init__(self, reference_dir: Path = REFERENCE_DIR) -> None:
        self._current: dict[str, tuple[str, str]] = {}  # norm -> (code, name)
        self._ambiguous: set[str] = set()
        self._historical: dict[str, tuple[str, str, str]] = {}  # norm -> (old name, code, name)
        self.names_by_code: dict[str, str] = {}
        with open(reference_dir / "gemeenten_2025.csv", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                code, name = row["gm_code"], row["name"]
                self.names_by_code[code] = name
                for variant in {name, row.get("name_2024") or name}:
                    self._current[normalise_name(variant)] = (code, name)
        # "Laren (NH.)" is also plain "Laren", unless two municipalities share the stem (Bergen).
        stems: dict[str, set[str]] = {}
        for code, name in self.names_by_code.items():
            stems.setdefault(normalise_name(_QUALIFIER.sub("", name)), set()).add(code)
        for stem, codes in stems.items():
            if len(codes) == 1 and stem not in self._current:
                code = next(iter(codes))
                self._current[stem] = (code, self.names_by_code[code])
            elif len(codes) > 1:
                self._ambiguous.add(stem)
        with open(reference_dir / "aliases.csv", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                code = row["gm_code"]
                self._current.setdefault(normalise_name(row["alias"]), (code, self.names_by_code[code]))
        with open(reference_dir / "herindelingen.csv", encoding="utf-8", newline="") as f:
            rows = sorted(csv.DictReader(f), key=lambda r: r["effective_date"])
        for row in rows:  # later mergers win for a reused name
            key = normalise_name(row["old_name"])
            if key not in self._current:
                self._historical[key] = (
                    row["old_name"],
                    row["successor_in_2025_gm_code"],
                    row["successor_in_2025_name"],
                )

    def resolve(self, value: str | None) -> Municipality:
        """Resolve a name; raises UnknownMunicipality naming the value when it cannot."""
        if value is None or not str(value).strip():
            raise UnknownMunicipality(str(value or ""), "geen gemeente opgegeven")
        raw = str(value)
        key = normalise_name(raw)
        if re.fullmatch(r"gm ?\d{4}", key):
            code = "GM" + key[-4:]
            if code in self.names_by_code:
                name = self.names_by_code[code]
                return Municipality(code, name, name, merged=False)
        if key in self._current:
            code, name = self._current[key]
            return Municipality(code, name, name, merged=False)
        if key in self._historical:
            old_name, code, name = self._historical[key]
            return Municipality(code, name, old_name, merged=True)
        if key in self._ambiguous:
            raise UnknownMunicipality(raw, "gemeentenaam is dubbelzinnig (voeg provincie toe)")
        raise UnknownMunicipality(raw, "onbekende gemeente")


@lru_cache(maxsize=1)
def default_registry() -> MunicipalityRegistry:
    return MunicipalityRegistry()
