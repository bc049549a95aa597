"""The Briefing tab: brief on every document, one document or a topic; read each line's
source in the tab's viewer; see what is new since the last briefing; export as Markdown.

A briefing of many documents runs in a worker thread while the tab shows how far it got
(documents read, questions asked), so a large scope never looks hung."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from ..brief.markdown import to_markdown
from ..brief.model import Briefing
from ..engine import Engine
from ..errors import BriefingError
from .brief_render import (
    BRIEF_VIEWER_JS,
    brief_placeholder,
    briefing_html,
    progress_html,
)
from .render import message_html, viewer_for, viewer_placeholder
from .tempfiles import TempFolder

log = logging.getLogger(__name__)

ALL = ""  # the document choice that means every document
GENERIC_ERROR = "The briefing failed (see the server log)."
# How often the tab redraws the progress of a running briefing, in seconds.
POLL_S = 0.25


class Progress:
    """What a running briefing has done so far, written by its thread, read by the page."""

    def __init__(self) -> None:
        self.read = (0, 0)
        self.asked = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "read":
            self.read = (done, total)
        elif stage == "ask":
            self.asked = done

    def message(self) -> str:
        done, total = self.read
        if self.asked:
            return f"Read {done:,} documents; asking what they do not say ({self.asked} questions)…"
        if total:
            return f"Reading documents: {done:,} of {total:,}…"
        return "Choosing the documents…"


class BriefingTab:
    def __init__(
        self,
        engine: Engine,
        ready: Callable[[], None] | None = None,
        temp: TempFolder | None = None,
    ) -> None:
        self.engine = engine
        # Waits for the corpus loaded at start (BriefingError if it failed or takes too long).
        self.ready = ready or (lambda: None)
        # Exports are written where Gradio serves them from, under the data folder.
        self.temp = temp or TempFolder.of(engine.settings)

    def build(self, private: dict[str, Any]) -> None:
        """Lay out the tab (inside an open gr.Tab) and wire its events."""
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                with gr.Row():
                    self.doc = gr.Dropdown(
                        label="Brief me on",
                        choices=[("All documents", ALL)],
                        value=ALL,
                        elem_id="ba-brief-doc",
                        scale=2,
                    )
                    topic = gr.Textbox(
                        label="Topic (optional)",
                        placeholder="the troop deployment",
                        elem_id="ba-brief-topic",
                        scale=3,
                    )
                with gr.Row():
                    since = gr.Checkbox(
                        label="Only what changed since the last briefing", value=False
                    )
                    go = gr.Button("Brief me", variant="primary", elem_id="ba-brief-go")
                    export = gr.DownloadButton(
                        "Export as Markdown",
                        size="sm",
                        interactive=False,
                        elem_id="ba-brief-export",
                    )
                output = gr.HTML(brief_placeholder(), elem_id="ba-briefing")
            with gr.Column(scale=2, min_width=320, elem_id="ba-brief-side"):
                gr.Markdown("#### Source viewer")
                viewer = gr.HTML(
                    viewer_placeholder("Click an [n] in the briefing to read it in its document."),
                    elem_id="ba-brief-viewer",
                    js_on_load=BRIEF_VIEWER_JS,
                )
        state = gr.State(None)
        go.click(
            self.run,
            [self.doc, topic, since],
            [output, state, export],
            show_progress="hidden",
            **private,
        )
        topic.submit(
            self.run,
            [self.doc, topic, since],
            [output, state, export],
            show_progress="hidden",
            **private,
        )
        viewer.click(self.open_source, [state], viewer, show_progress="hidden", **private)

    def documents(self) -> Any:
        """The document choices, fresh (the library may have changed)."""
        try:
            choices = [("All documents", ALL)] + [
                (info.title, info.doc_id) for info in self.engine.documents()
            ]
        except BriefingError:
            choices = [("All documents", ALL)]
        return gr.update(choices=choices)

    # --- handlers ------------------------------------------------------------------------------
    def run(
        self, doc: str | None, topic: str | None, since: bool
    ) -> Iterator[tuple[str, Any, Any]]:
        """Outputs: the briefing (or its progress), the briefing as JSON, the export button."""
        progress = Progress()
        result: dict[str, Any] = {}

        def work() -> None:
            try:
                self.ready()
                result["briefing"] = self.engine.brief(
                    topic=(topic or "").strip() or None,
                    doc=doc or None,
                    since_last=bool(since),
                    progress=progress,
                )
            except BriefingError as exc:
                result["error"] = str(exc)
            except Exception:
                log.exception("briefing on %r / %r failed", doc, topic)
                result["error"] = GENERIC_ERROR

        worker = threading.Thread(target=work, name="briefing", daemon=True)
        worker.start()
        shown = ""
        while worker.is_alive():
            message = progress.message()
            if message != shown:
                shown = message
                yield progress_html(message), gr.skip(), gr.skip()
            time.sleep(POLL_S)
        worker.join()
        if "error" in result:
            yield message_html(result["error"]), None, gr.update(value=None, interactive=False)
            return
        briefing: Briefing = result["briefing"]
        html = briefing_html(briefing, self.engine.document_text)
        yield html, briefing.model_dump(mode="json"), self._export(briefing)

    def open_source(self, state: Any, data: gr.EventData) -> str:
        info = getattr(data, "_data", None) or {}
        try:
            briefing = Briefing.model_validate(state) if state else None
            number = info.get("n")
            found = next(
                (c for c in (briefing.citations if briefing else []) if c.number == number), None
            )
            if found is None:
                return viewer_placeholder("That source belongs to a briefing no longer shown.")
            return viewer_for(found, self.engine.document_text(found.doc_id))
        except BriefingError as exc:
            return viewer_placeholder(str(exc))
        except Exception:
            log.exception("opening briefing source %r failed", info)
            return viewer_placeholder(GENERIC_ERROR)

    def _export(self, briefing: Briefing) -> Any:
        path = self.temp.export_path(uuid.uuid4().hex, "briefing.md")
        path.write_text(to_markdown(briefing), encoding="utf-8")
        return gr.update(value=str(path), interactive=True)
