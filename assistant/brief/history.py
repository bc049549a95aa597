"""Saved briefings and what changed since the last one of the same scope.

A briefing is saved with the content hash of every document it read and a short hash of
each of their sentences. Briefed again, a line is marked only when it quotes a sentence the
last briefing's documents did not hold: a line from an untouched sentence that ranks higher
now is not news. It is "new" when the last briefing had no such line, "changed" when it had
one that said less (another role, fewer sources). Documents that left are named."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from ..text import normalise
from .model import Briefing, CoveredDoc, Scope

log = logging.getLogger(__name__)
# Bump when what a saved briefing holds changes: older files are then ignored.
FORMAT = 2


class SavedLine(BaseModel):
    key: str
    text: str
    doc_ids: list[str] = Field(default_factory=list)


class Saved(BaseModel):
    format: int = FORMAT
    created_at: str
    scope: Scope
    covered: list[CoveredDoc]
    lines: list[SavedLine]
    sentences: dict[str, list[str]] = Field(
        default_factory=dict, description="Per document, the hashes of its sentences."
    )


def sentence_hash(text: str) -> str:
    return hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()[:12]


class BriefingHistory:
    """The latest briefing of each scope, one JSON file each under ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def load(self, key: str) -> Saved | None:
        path = self._path(key)
        try:
            saved = Saved.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, ValidationError) as exc:
            log.warning("ignoring the unreadable saved briefing %s: %s", path, exc)
            return None
        return saved if saved.format == FORMAT else None

    def save(self, key: str, briefing: Briefing, sentences: dict[str, list[str]]) -> None:
        """Written to a temporary file and renamed: a reader never sees half a briefing.
        ``sentences`` holds each covered document's sentences (see ``sentence_hash``)."""
        saved = Saved(
            sentences={doc_id: sorted(set(hashes)) for doc_id, hashes in sentences.items()},
            created_at=briefing.created_at,
            scope=briefing.scope,
            covered=briefing.covered,
            lines=[
                SavedLine(
                    key=item.key,
                    text=item.text,
                    doc_ids=sorted({c.doc_id for c in item.citations}),
                )
                for item in briefing.items
            ],
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(saved.model_dump_json())
            os.replace(tmp, self._path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def mark_changes(briefing: Briefing, previous: Saved, library_ids: set[str]) -> None:
    """Mark the lines that are new or changed since ``previous`` and name the documents that
    left, in place."""
    known = {doc_id: set(hashes) for doc_id, hashes in previous.sentences.items()}
    lines = {line.key: line for line in previous.lines}
    for item in briefing.items:
        fresh = [c for c in item.citations if sentence_hash(c.quote) not in known.get(c.doc_id, ())]
        if not fresh:
            continue
        old = lines.get(item.key)
        if old is None:
            item.change = "new"
        elif old.text != item.text or not {c.doc_id for c in item.citations} <= set(old.doc_ids):
            item.change = "changed"
        else:
            continue
        item.new = True
    current = {d.doc_id for d in briefing.covered}
    briefing.left = [d for d in previous.covered if d.doc_id not in current]
    for doc in briefing.left:
        where = (
            "is no longer in this briefing's scope"
            if doc.doc_id in library_ids
            else "was removed from the library"
        )
        briefing.notices.append(f"Since the last briefing, {doc.title!r} {where}.")
    briefing.since = previous.created_at


def dump_briefing(briefing: Briefing) -> str:
    """The JSON the CLI prints: the scope, the sections and their cited lines, the covered
    documents, and the timings."""
    data = briefing.model_dump(mode="json")
    for section in data["sections"]:
        for item in section["items"]:
            item["sources"] = len({c["doc_id"] for c in item["citations"]})
    return json.dumps(data, ensure_ascii=False, indent=2)
