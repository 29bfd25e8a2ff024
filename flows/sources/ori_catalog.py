"""Municipality name -> Open Raadsinformatie (ORI Classic) source keys and index aliases.

Built from corpora/reference/ori_classic_sources.csv (see SOURCE.md). A name is first
resolved by the municipality registry, so aliases and merged-away names work too:

- a current municipality gets its own sources (Amsterdam: the city and its seven
  stadsdelen) plus those of municipalities merged into it, whose documents the
  pipeline attributes to it anyway (Purmerend: purmerend + beemster);
- a merged-away municipality gets its own legacy source (Beemster -> beemster), or,
  when ORI never had one, its successor's sources.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flows.municipalities import (
    REFERENCE_DIR,
    MunicipalityRegistry,
    UnknownMunicipality,
    default_registry,
    normalise_name,
)

CATALOG_FILE = "ori_classic_sources.csv"

# Known gaps in the upstream source YAML (FORMAT.md section 2): dordrecht has no cbs_id.
_CODE_FIXES = {"dordrecht": "GM0505"}


class NoOriSource(LookupError):
    """The name is unknown, or the municipality has no ORI Classic source."""

    def __init__(self, municipality: str, message: str) -> None:
        super().__init__(message)
        self.municipality = municipality


@dataclass(frozen=True)
class OriSourceEntry:
    key: str  # the source key, e.g. "utrecht", "amsterdam_noord"
    index_alias: str  # e.g. "ori_utrecht"
    supplier: str
    gm_code: str  # the code the source was registered under (may be merged away)
    current_gm_code: str  # the 2025 municipality its documents count towards
    municipality: str  # name documents are attributed to (the old name if merged)
    merged: bool


class OriCatalog:
    def __init__(
        self,
        reference_dir: Path = REFERENCE_DIR,
        registry: MunicipalityRegistry | None = None,
    ) -> None:
        self.registry = registry or default_registry()
        historical: dict[str, tuple[str, str]] = {}  # old code -> (old name, 2025 code)
        with open(reference_dir / "herindelingen.csv", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                historical[row["old_gm_code"]] = (row["old_name"], row["successor_in_2025_gm_code"])
        self.entries: list[OriSourceEntry] = []
        with open(reference_dir / CATALOG_FILE, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row["source_type"] != "municipality":
                    continue  # provinces (osi_) and water boards (owi_) are out of scope
                code = _CODE_FIXES.get(row["key"], row["cbs_id"].strip().upper())
                if code in self.registry.names_by_code:
                    name, current, merged = self.registry.names_by_code[code], code, False
                elif code in historical:
                    name, current = historical[code]
                    merged = True
                else:
                    continue  # a code neither current nor historical cannot be attributed
                self.entries.append(OriSourceEntry(
                    key=row["key"], index_alias=row["index_alias"], supplier=row["supplier"],
                    gm_code=code, current_gm_code=current, municipality=name, merged=merged,
                ))

    def lookup(self, municipality: str) -> list[OriSourceEntry]:
        """The sources for one name, own sources first; NoOriSource naming it otherwise."""
        try:
            resolved = self.registry.resolve(municipality)
        except UnknownMunicipality as exc:
            raise NoOriSource(municipality, f"unknown municipality {municipality!r} ({exc.reason})") from exc
        if resolved.merged:
            old = normalise_name(resolved.original_name)
            own = [e for e in self.entries if e.merged and e.current_gm_code == resolved.gm_code
                   and normalise_name(e.municipality) == old]
            found = own or [e for e in self.entries if e.gm_code == resolved.gm_code]
        else:
            found = [e for e in self.entries if e.gm_code == resolved.gm_code]
            found += sorted(
                (e for e in self.entries if e.merged and e.current_gm_code == resolved.gm_code),
                key=lambda e: e.key,
            )
        if not found:
            label = resolved.original_name if resolved.merged else resolved.name
            raise NoOriSource(
                municipality,
                f"municipality {municipality!r} ({label}, {resolved.gm_code}) has no Open Raadsinformatie source",
            )
        return found

    def lookup_all(self, municipalities: list[str]) -> list[OriSourceEntry]:
        """Several names, each source once, in the order first asked for."""
        seen: dict[str, OriSourceEntry] = {}
        for name in municipalities:
            for entry in self.lookup(name):
                seen.setdefault(entry.key, entry)
        return list(seen.values())


@lru_cache(maxsize=1)
def default_catalog() -> OriCatalog:
    return OriCatalog()
