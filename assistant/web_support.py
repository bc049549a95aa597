"""What the web app does besides chatting: checking and saving uploads, recording feedback,
exporting a conversation, and loading the corpus in the background at start.

Kept apart from ui.py so it can be tested without Gradio, and so ui.py stays about layout.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import unicodedata
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import BadInput, BriefingError
from .formatting import answer_as_markdown, markdown_text
from .ingest.loaders import SUPPORTED
from .types import Answer

log = logging.getLogger(__name__)

GENERIC_ERROR = "Something went wrong on the server; the details are in its log. Please try again."
_UNSAFE_CHARS = re.compile(r"[^\w.\- ()+,@&']+")
_SNIFF_BYTES = 8192
UPLOADS = "uploads"  # under the data folder


# --- uploads ----------------------------------------------------------------------------------


def safe_upload_name(name: str) -> str:
    """The file name an upload is saved under: no folders, no `..`, no odd characters, the
    extension kept. BadInput (naming the file) when nothing safe is left."""
    parts = [p for p in re.split(r"[/\\]+", name) if p]
    if any(p.strip() == ".." for p in parts):
        raise BadInput(f"“{name}”: file names with “..” are not accepted; rename the file.")
    base = unicodedata.normalize("NFC", parts[-1] if parts else "")
    base = _UNSAFE_CHARS.sub("_", base).strip(" .")
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem.strip("._ "):
        raise BadInput(f"“{name}”: the file name has no usable name and extension; rename it.")
    if len(base) > 180:
        base = f"{stem[: 179 - len(suffix)]}.{suffix}"
    return base


def check_upload(path: Path, name: str, max_mb: float) -> None:
    """Reject, with a message naming the file, what ingestion could not use: an unsupported
    type, an empty, binary or too large file. Reads at most a few kilobytes."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        kinds = ", ".join(SUPPORTED)
        raise BadInput(f"“{name}”: unsupported file type {suffix or '(none)'}; upload {kinds}.")
    size = path.stat().st_size
    if size == 0:
        raise BadInput(f"“{name}” is empty.")
    if size > max_mb * 1024 * 1024:
        raise BadInput(
            f"“{name}” is {size / 1024 / 1024:.1f} MB; the limit is {max_mb:g} MB "
            "(BRIEFING_UPLOAD_MAX_MB)."
        )
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if suffix == ".pdf":
        if not head.lstrip().startswith(b"%PDF"):
            raise BadInput(f"“{name}” is not a PDF file (it does not start with %PDF).")
    elif b"\x00" in head:
        raise BadInput(f"“{name}” looks like a binary file, not {suffix} text.")
    elif not head.strip():
        raise BadInput(f"“{name}” holds only white space.")


def save_upload(source: Path, name: str, folder: Path, *, replace: bool = False) -> Path:
    """Copy an upload into ``folder`` under its safe name. A different file already there under
    that name is kept (the new one gets `name (2).ext`) unless ``replace`` is set; the same file
    again reuses its path, so ingestion sees it as unchanged."""
    folder.mkdir(parents=True, exist_ok=True)
    safe = safe_upload_name(name)
    target = folder / safe
    if target.exists() and not replace and not _same_bytes(source, target):
        stem, suffix = Path(safe).stem, Path(safe).suffix
        number = 2
        while target.exists() and not _same_bytes(source, target):
            target = folder / f"{stem} ({number}){suffix}"
            number += 1
    if target.resolve().parent != folder.resolve():  # belt and braces: never leave the folder
        raise BadInput(f"“{name}”: cannot be saved under that name.")
    if not (target.exists() and _same_bytes(source, target)):
        # Copied under a hidden name and renamed: a server stopped mid-copy leaves no truncated
        # file that the next start would take for a whole upload (ingestion skips dot-files).
        partial = folder / f".{uuid.uuid4().hex}.partial"
        try:
            shutil.copyfile(source, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return target


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            block = fa.read(1 << 20)
            if block != fb.read(1 << 20):
                return False
            if not block:
                return True


# --- feedback and export ----------------------------------------------------------------------

_feedback_lock = threading.Lock()


def record_feedback(path: Path, *, liked: bool | str, record: dict[str, Any]) -> dict[str, Any]:
    """Append one thumbs up/down, with the question, answer and citations, to a JSON Lines file."""
    answer = record.get("answer") or {}
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "rating": "up" if liked is True else "down" if liked is False else str(liked),
        "question": record.get("question", ""),
        "answer": answer.get("text", record.get("error", "")),
        "abstained": answer.get("abstained", False),
        "citations": [
            {
                k: c.get(k)
                for k in (
                    "number",
                    "title",
                    "source",
                    "paragraph",
                    "quote",
                    "doc_id",
                    "char_start",
                    "char_end",
                    "score",
                )
            }
            for c in answer.get("citations", [])
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False)
    with _feedback_lock, path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    return entry


def conversation_markdown(records: Sequence[dict[str, Any]]) -> str:
    """The conversation as Markdown, each answer followed by its sources."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# Briefing Assistant conversation", "", f"_Exported {stamp}_", ""]
    for number, record in enumerate(records, start=1):
        question = " ".join(str(record.get("question", "")).split())
        lines += [f"## {number}. {markdown_text(question)}", ""]
        if record.get("answer"):
            lines.append(answer_as_markdown(Answer.model_validate(record["answer"])))
        else:
            lines.append(f"> {markdown_text(record.get('error') or 'No answer.')}")
        lines.append("")
    return "\n".join(lines)


def api_payload(answer: Answer) -> dict[str, Any]:
    """What the /ask API returns: JSON-able, the answer text plus structured citations."""
    return {
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [
            {
                "number": c.number,
                "title": c.title,
                "paragraph": c.paragraph,
                "quote": c.quote,
                "char_start": c.char_start,
                "char_end": c.char_end,
                "doc_id": c.doc_id,
                "source": Path(c.source).name,
                "score": c.score,
                "supported": c.supported,
            }
            for c in answer.citations
        ],
        "notice": answer.notice,
    }


# --- start-up ---------------------------------------------------------------------------------


class Startup:
    """Ingests the corpus and warms the model in a background thread, so the page is served
    meanwhile. Questions wait on it; its failure becomes their message."""

    def __init__(self, engine: Any, *, ingest: bool = True) -> None:
        self.engine = engine
        self.ingest = ingest
        self.error: str | None = None
        self.report: Any = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Startup:
        self._thread = threading.Thread(target=self._run, name="briefing-startup", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            if self.ingest:
                self.report = self.engine.ingest(self.targets())
                for skipped in self.report.skipped:
                    log.warning("skipped %s: %s", skipped.path, skipped.reason)
            self.engine.warm_up()
        except BriefingError as exc:
            self.error = str(exc)
            log.error("start-up: %s", exc)
        except Exception:
            log.exception("start-up failed")
            self.error = "Loading the documents failed at start; see the server log."
        finally:
            self._done.set()

    def targets(self) -> list[Path]:
        """The corpus folder, and the uploads folder: an upload whose ingestion a server stop
        cut short is completed at the next start (its file is saved before it is ingested)."""
        settings = self.engine.settings
        uploads = settings.data_dir / UPLOADS
        return [settings.corpus_dir, *([uploads] if uploads.is_dir() else [])]

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """True once loading is over (well or not); False if the timeout came first."""
        return self._done.wait(timeout)
