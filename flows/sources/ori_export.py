"""Write fetched ORI documents as a folder corpus that FolderSource reads back.

<out>/<gemeente>/<YYYY-MM-DD>_<title-slug>_<ori-id>.txt plus a manifest.jsonl per
gemeente folder, so title and source_url survive (the path convention alone loses them).
Repeated runs add to the same corpus: manifests are merged by file name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from flows.outputs import atomic_write_text
from flows.sources.base import LoadedDocument
from flows.sources.ori_source import OriCandidate

MANIFEST = "manifest.jsonl"
PAGE_BREAK = "\n\f\n"  # the text reader turns \f into a newline; kept for human readers


def _slug(text: str, limit: int = 60) -> str:
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-")[:limit].strip("-")


class CorpusWriter:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._rows: dict[Path, dict[str, dict[str, Any]]] = {}  # folder -> file -> manifest row
        self.written = 0

    def add(self, candidate: OriCandidate, document: LoadedDocument) -> Path:
        meta = document.metadata
        folder = self.root / (_slug(meta.municipality or "", 80) or "onbekend")
        date = meta.date.isoformat() if meta.date else "undated"
        doc_id = _slug(candidate.hit.doc_id, 40) or candidate.digest[:12]
        name = f"{date}_{_slug(meta.title or '') or 'document'}_{doc_id}.txt"
        atomic_write_text(folder / name, PAGE_BREAK.join(document.pages) + "\n")
        self._rows.setdefault(folder, {})[name] = {
            "file": name,
            "municipality": meta.municipality,
            "date": meta.date.isoformat() if meta.date else None,
            "doc_type": meta.doc_type,
            "title": meta.title,
            "source_url": meta.source_url,
            "ori_ref": candidate.ref,
            "ori_digest": candidate.digest,
        }
        self.written += 1
        return folder / name

    def close(self) -> None:
        """Merge this run's rows into each folder's manifest (newer rows win)."""
        for folder, rows in self._rows.items():
            path = folder / MANIFEST
            merged: dict[str, dict[str, Any]] = {}
            if path.exists():
                for line in path.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        row = json.loads(line)
                        merged[row["file"]] = row
            merged.update(rows)
            atomic_write_text(path, "".join(
                json.dumps(merged[name], ensure_ascii=False) + "\n" for name in sorted(merged)
            ))
        self._rows.clear()
