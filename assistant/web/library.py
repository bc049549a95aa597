"""The Documents tab: list what is indexed, upload files (the same ingestion as the CLI), delete a
document, re-index everything. One lock keeps library changes from interleaving; questions go
on meanwhile (the retriever hides a document until its record is written).

The status lines are Markdown: every title, file name and message in them goes through esc()
(a title may hold `![x](http://...)`). The table and the document list show plain text.
Gradio's own copy of an upload is removed as soon as the file is kept or refused; a deleted
document takes with it any copy still there and the exports that quote it: nothing of it stays
downloadable (the engine drops the index data built over it)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr

from ..engine import Engine
from ..errors import BriefingError
from ..types import IngestReport
from .render import GENERIC_ERROR, esc
from .tempfiles import TempFolder
from .uploads import UPLOADS, check_upload, safe_upload_name, save_upload

log = logging.getLogger(__name__)

HEADERS = ["Title", "Chunks", "Ingested", "File"]
# Gradio injects a live tracker wherever a parameter defaults to a gr.Progress.
PROGRESS = gr.Progress()


class Library:
    def __init__(self, engine: Engine, temp: TempFolder | None = None) -> None:
        self.engine = engine
        self.settings = engine.settings
        self.uploads = self.settings.data_dir / UPLOADS
        self.temp = temp or TempFolder.of(self.settings)
        self.lock = threading.Lock()
        self.outputs: list[Any] = []

    def build(self, private: dict[str, Any]) -> None:
        """Lay out the tab (inside an open gr.Tab) and wire its events."""
        limit = f"{self.settings.upload_max_mb:g} MB"
        self.summary = gr.Markdown(elem_id="ba-library-summary")
        self.table = gr.Dataframe(
            headers=HEADERS,
            datatype=["str", "number", "str", "str"],
            interactive=False,
            wrap=True,
            elem_id="ba-documents",
        )
        with gr.Row(equal_height=False):
            files = gr.File(
                label=f"Upload documents: .txt, .md, .html or .pdf, up to {limit} each",
                file_count="multiple",
                type="filepath",
                elem_id="ba-upload",
                scale=3,
            )
            with gr.Column(scale=2):
                replace = gr.Checkbox(
                    label="Replace an earlier upload that has the same file name",
                    value=False,
                )
                upload_status = gr.Markdown(elem_id="ba-upload-status")
        with gr.Row(equal_height=False):
            self.choice = gr.Dropdown(label="Document", choices=[], scale=3, elem_id="ba-doc")
            with gr.Column(scale=1, min_width=200):
                delete = gr.Button("Delete document", variant="stop", size="md")
                reindex = gr.Button("Re-index all documents", size="md")
        status = gr.Markdown(elem_id="ba-library-status")
        self.outputs = [self.table, self.choice, self.summary]

        serial: dict[str, Any] = {"concurrency_id": "library", "concurrency_limit": 1, **private}
        files.upload(self.upload, [files, replace], [upload_status, files, *self.outputs], **serial)
        delete.click(self.delete, [self.choice], [status, *self.outputs], **serial)
        reindex.click(self.reindex, None, [status, *self.outputs], **serial)

    # --- handlers ------------------------------------------------------------------------------
    def refresh(self) -> tuple[Any, Any, str]:
        try:
            docs = self.engine.documents()
        except BriefingError as exc:
            return [], gr.update(choices=[], value=None), f"**{esc(str(exc))}**"
        rows = [[d.title, d.chunks, _when(d.ingested_at), Path(d.source).name] for d in docs]
        choices = [(f"{d.title} ({Path(d.source).name})", d.doc_id) for d in docs]
        chunks = sum(d.chunks for d in docs)
        summary = f"{len(docs)} document{'s' * (len(docs) != 1)}, {chunks} chunks indexed."
        return rows, gr.update(choices=choices, value=None), summary

    def upload(
        self, paths: list[str] | None, replace: bool, progress: Any = PROGRESS
    ) -> tuple[Any, ...]:
        """Check, save and ingest uploaded files; one line per file saying what happened."""
        lines: list[str] = []
        saved: list[tuple[str, Path, bool]] = []  # shown name, saved path, existed before
        for raw in paths or []:
            path = Path(raw)
            try:
                check_upload(path, path.name, self.settings.upload_max_mb)
                existed = (self.uploads / safe_upload_name(path.name)).exists()
                target = save_upload(path, path.name, self.uploads, replace=replace)
                saved.append(
                    (path.name, target, existed and target.name == safe_upload_name(path.name))
                )
            except BriefingError as exc:
                lines.append(f"✗ {esc(str(exc))}")
            except OSError as exc:
                log.exception("saving upload %s failed", path.name)
                lines.append(f"✗ “{esc(path.name)}” could not be saved ({exc.strerror}).")
            finally:
                self.temp.discard(path)  # kept under uploads/, or refused: either way, gone
        if saved:
            lines += self._ingest(saved, progress)
        return ("\n\n".join(lines) or "No file received.", None, *self.refresh())

    def _ingest(self, saved: list[tuple[str, Path, bool]], progress: Any) -> list[str]:
        def show(done: int, total: int, name: str) -> None:
            progress((done, total), desc=f"Embedding {name}", unit="chunks")

        try:
            with self.lock:
                progress(0, desc="Reading the files")
                report = self.engine.ingest([target for _, target, _ in saved], progress=show)
        except BriefingError as exc:
            return [f"✗ Nothing was added: {esc(str(exc))}"]
        except Exception:
            log.exception("ingesting uploads failed")
            return [f"✗ Nothing was added: {GENERIC_ERROR}"]
        return [self._outcome(name, target, existed, report) for name, target, existed in saved]

    def _outcome(self, name: str, target: Path, existed: bool, report: IngestReport) -> str:
        key = str(target.resolve())
        renamed = f" (saved as “{esc(target.name)}”)" if target.name != name else ""
        shown = esc(name)
        for skipped in report.skipped:
            if skipped.path == key:
                if not existed:
                    target.unlink(missing_ok=True)
                return f"✗ “{shown}” was rejected: {esc(skipped.reason)}."
        if key in report.added:
            return f"✓ “{shown}” added{renamed}; you can ask about it now."
        if key in report.updated:
            return f"✓ “{shown}” replaced the earlier version{renamed}."
        return f"✓ “{shown}” is already in the library, unchanged."

    def delete(self, doc_id: str | None) -> tuple[Any, ...]:
        if not doc_id:
            return ("Choose a document to delete first.", *self.refresh())
        try:
            with self.lock:
                info = {d.doc_id: d for d in self.engine.documents()}.get(doc_id)
                if info is None or not self.engine.delete_document(doc_id):
                    return ("That document is no longer in the library.", *self.refresh())
                self.temp.discard_exports_naming(info.title)
                source = Path(info.source)
                title = esc(info.title)
                if source.parent == self.uploads.resolve():
                    # Gradio's copy first: it is found by comparing bytes with this file.
                    self.temp.discard_copies_of(source)
                    source.unlink(missing_ok=True)  # an upload deleted stays deleted
                    message = f"Deleted “{title}” and its uploaded file."
                else:
                    message = (
                        f"Deleted “{title}” from the index. Its file ({esc(source.name)}) is "
                        "not an upload, so ingesting its folder again brings it back."
                    )
        except BriefingError as exc:
            message = f"Could not delete: {esc(str(exc))}"
        except Exception:
            log.exception("deleting %s failed", doc_id)
            message = f"Could not delete: {GENERIC_ERROR}"
        return (message, *self.refresh())

    def reindex(self, progress: Any = PROGRESS) -> tuple[Any, ...]:
        """Drop the index and ingest every listed document again from its file."""

        def show(done: int, total: int, name: str) -> None:
            progress((done, total), desc=f"Embedding {name}", unit="chunks")

        try:
            with self.lock:
                sources = [Path(d.source) for d in self.engine.documents()]
                present = [p for p in sources if p.exists()]
                progress(0, desc="Dropping the index")
                self.engine.rebuild()
                report = self.engine.ingest(present, progress=show) if present else None
        except BriefingError as exc:
            return (f"Re-indexing failed: {esc(str(exc))}", *self.refresh())
        except Exception:
            log.exception("re-indexing failed")
            return (f"Re-indexing failed: {GENERIC_ERROR}", *self.refresh())
        lines = [f"Re-indexed {len(present)} documents."]
        if report is not None:
            lines[0] = (
                f"Re-indexed {len(report.added)} documents "
                f"({report.chunks_embedded} chunks in {report.seconds:.1f} s)."
            )
            lines += [f"✗ {esc(Path(s.path).name)}: {esc(s.reason)}" for s in report.skipped]
        lines += [
            f"✗ {esc(p.name)} is gone from disk and was dropped."
            for p in sources
            if p not in present
        ]
        return ("\n\n".join(lines), *self.refresh())


def _when(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return stamp
