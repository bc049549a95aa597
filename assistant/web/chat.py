"""The web chat (Gradio Blocks): streamed cited answers, a source viewer, a document library,
export, feedback and the `/ask` API. It talks to the engine only; HTML comes from render.py.

The conversation lives in one list of records (question, answer as JSON, rendered HTML); the
chat's messages are always rebuilt from it, so message n*2+1 is the answer of record n.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import gradio as gr

from ..cli.common import short_answer_span
from ..engine import Engine
from ..errors import BriefingError
from ..types import Answer, Citation
from .assets import CSS, VIEWER_JS
from .brief_render import BRIEF_CSS
from .briefing import BriefingTab
from .export import api_payload, conversation_markdown, record_feedback
from .library import Library
from .render import (
    GENERIC_ERROR,
    Span,
    answer_html,
    esc,
    message_html,
    pending_html,
    question_html,
    viewer_for,
    viewer_placeholder,
)
from .startup import Startup
from .tempfiles import TempFolder

log = logging.getLogger(__name__)

EXAMPLES = [
    "Who is the Defense Department spokesperson?",
    "How many North Korean troops are expected to take part in the conflict?",
    "Who signed the mutual defense pact between Russia and North Korea?",
]
EMPTY_HINT = "Type a question first, for example one of the suggestions in the chat."
STARTUP_WAIT = 180.0  # seconds a question waits for the corpus to finish loading
Records = list[dict[str, Any]]


def _messages(records: Records, pending: tuple[str, str] | None = None) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for record in records:
        messages.append({"role": "user", "content": question_html(record["question"])})
        messages.append({"role": "assistant", "content": record["html"]})
    if pending:
        messages.append({"role": "user", "content": question_html(pending[0])})
        messages.append({"role": "assistant", "content": pending[1]})
    return messages


def _history(records: Records) -> list[dict[str, str]]:
    """Earlier turns for a follow-up: the answered ones. A question that failed or that the
    documents could not answer gives a follow-up nothing to lean on, and would only blur the
    retrieval of "Did he confirm it?"."""
    turns = []
    for record in records:
        answer = record.get("answer")
        if answer and not answer.get("abstained"):
            turns.append({"role": "user", "content": record["question"]})
            turns.append({"role": "assistant", "content": answer["text"]})
    return turns


class ChatApp:
    """The handlers behind the page; build() lays it out and wires them."""

    def __init__(
        self,
        engine: Engine,
        *,
        startup: Startup | None = None,
        examples: list[str] | None = None,
        temp: TempFolder | None = None,
    ) -> None:
        self.engine = engine
        self.startup = startup
        self.examples = EXAMPLES if examples is None else examples
        # Gradio's folder, where exports are written and uploads arrive (see tempfiles.py).
        self.temp = temp or TempFolder.of(engine.settings)
        self.library = Library(engine, self.temp)
        self.briefing = BriefingTab(engine, ready=self._wait_until_ready, temp=self.temp)
        self.feedback_path = engine.settings.data_dir / "feedback.jsonl"

    # --- answering ---------------------------------------------------------------------------
    def _wait_until_ready(self) -> None:
        if self.startup is None:
            return
        if not self.startup.wait(STARTUP_WAIT):
            raise BriefingError("The documents are still loading; ask again in a moment.")
        if self.startup.error:
            raise BriefingError(self.startup.error)

    def _answer(self, question: str, records: Records) -> Iterator[tuple[str, dict | None, str]]:
        """(html so far, final answer as JSON or None, error message) while answering."""
        try:
            if self.startup is not None and not self.startup.done:
                yield pending_html("Loading the documents (once, at start)…"), None, ""
            self._wait_until_ready()
            text = ""
            for event in self.engine.stream(question, _history(records)):
                if event.kind == "delta":
                    text += event.text
                    yield pending_html(text), None, ""
                elif event.answer is not None:
                    answer = event.answer
                    html = answer_html(answer, len(records), self.engine.document_text)
                    # Passages are not kept: the browser stores the conversation.
                    yield html, answer.model_dump(mode="json", exclude={"passages"}), ""
        except BriefingError as exc:
            yield message_html(str(exc)), None, str(exc)
        except Exception:
            log.exception("answering %r failed", question)
            yield message_html(GENERIC_ERROR), None, GENERIC_ERROR

    def respond(self, question: str | None, records: Records | None) -> Iterator[tuple]:
        """Outputs: question box, chat, records, hint, export button, saved conversation."""
        records = list(records or [])
        raw = question or ""
        if not raw.strip():
            yield _out(hint=EMPTY_HINT)
            return
        try:
            cleaned = self.engine.check_question(raw)
        except BriefingError as exc:  # too long: keep the text so it can be shortened
            yield _out(hint=esc(str(exc)))
            return
        yield _out(question="", chat=_messages(records, (cleaned, pending_html(""))), hint="")
        html, answer, error = pending_html(""), None, ""
        for html, answer, error in self._answer(cleaned, records):
            if answer is None and not error:
                yield _out(chat=_messages(records, (cleaned, html)))
        conversation = records[0].get("conversation") if records else None
        records.append(
            {
                "question": cleaned,
                "answer": answer,
                "html": html,
                "error": error,
                "conversation": conversation or uuid.uuid4().hex,
            }
        )
        yield _out(chat=_messages(records), records=records, export=self._export(records))

    def retry(self, records: Records | None, data: gr.RetryData) -> Iterator[tuple]:
        records = list(records or [])
        turn = _turn_of(data.index)
        if turn >= len(records):
            yield _out()
            return
        yield from self.respond(records[turn]["question"], records[:turn])

    def example(self, data: gr.SelectData) -> str:
        return str((data.value or {}).get("text", ""))

    def clear(self) -> tuple:
        return [], [], "", viewer_placeholder(), gr.update(value=None, interactive=False), []

    def restore(self, saved: Any) -> tuple:
        """The conversation kept in the browser, so a page refresh loses neither the answers
        nor their sources. Each answer is rendered again from its data: HTML kept in the
        browser is never shown as it was stored."""
        try:
            records = [
                {
                    "question": str(r["question"]),
                    "answer": r.get("answer"),
                    "html": "",
                    "error": str(r.get("error") or ""),
                    "conversation": str(r.get("conversation") or ""),
                }
                for r in saved or []
            ]
        except (TypeError, KeyError, AttributeError):
            records = []
        for turn, record in enumerate(records):
            record["html"] = self._rerender(record, turn)
        return _messages(records), records, self._export(records)

    def _rerender(self, record: dict[str, Any], turn: int) -> str:
        if not record["answer"]:
            return message_html(record["error"] or "No answer.")
        try:
            answer = Answer.model_validate(record["answer"])
            return answer_html(answer, turn, self._text_if_reachable)
        except (ValueError, TypeError):
            return message_html("This answer could not be restored; ask the question again.")

    def _text_if_reachable(self, doc_id: str) -> str | None:
        try:
            return self.engine.document_text(doc_id)
        except BriefingError:
            return None  # shown as "the document has changed since this answer"

    def library_on_load(self) -> Iterator[tuple]:
        """The library as the page opens, and again once the corpus has finished loading."""
        rows, choices, summary = self.library.refresh()
        if self.startup is None or self.startup.done:
            yield rows, choices, summary
            return
        yield rows, choices, "Loading the documents in the corpus folder…"
        self.startup.wait(STARTUP_WAIT)
        yield self.library.refresh()

    # --- sources, feedback, export -------------------------------------------------------------
    def open_source(self, records: Records | None, data: gr.EventData) -> str:
        info = getattr(data, "_data", None) or {}
        try:
            found = _find_citation(records or [], info)
            if found is None:
                return viewer_placeholder("That source belongs to an answer no longer shown.")
            citation, span = found
            return viewer_for(citation, self.engine.document_text(citation.doc_id), span)
        except BriefingError as exc:
            return viewer_placeholder(str(exc))
        except Exception:
            log.exception("opening source %r failed", info)
            return viewer_placeholder(GENERIC_ERROR)

    def feedback(self, records: Records | None, data: gr.LikeData) -> None:
        records = records or []
        turn = _turn_of(data.index)
        if turn >= len(records) or data.liked is None or data.liked == "":
            return  # an un-click, or a message that is gone
        try:
            record_feedback(self.feedback_path, liked=data.liked, record=records[turn])
        except OSError:
            log.exception("writing feedback failed")
            gr.Warning("Your feedback could not be saved (see the server log).")
            return
        gr.Info("Thanks, your feedback was recorded.")

    def _export(self, records: Records) -> Any:
        """The conversation as a Markdown file for the download button: one file per
        conversation, rewritten after each answer."""
        if not records:
            return gr.update(value=None, interactive=False)
        key = str(records[0].get("conversation") or uuid.uuid4().hex)
        path = self.temp.export_path(key, "briefing-conversation.md")
        path.write_text(conversation_markdown(records), encoding="utf-8")
        return gr.update(value=str(path), interactive=True)

    # --- the API -------------------------------------------------------------------------------
    def api_ask(self, question: str, history: list | None = None) -> dict:
        """Answer a question from the indexed documents. Returns {"answer", "abstained",
        "citations": [{number, title, paragraph, quote, char_start, char_end, doc_id, source,
        score, supported}], "notice"}. history: earlier turns as [{"role", "content"}]."""
        try:
            self._wait_until_ready()
            return api_payload(self.engine.ask(question, history or []))
        except BriefingError as exc:
            raise gr.Error(str(exc)) from exc
        except Exception as exc:
            log.exception("API ask %r failed", question)
            raise gr.Error(GENERIC_ERROR) from exc

    # --- layout ----------------------------------------------------------------------------------
    def build(self) -> gr.Blocks:
        private: dict[str, Any] = {"api_visibility": "private"}
        # delete_cache: Gradio's copies of uploads and exports older than a day go, hourly.
        with gr.Blocks(
            title="Briefing Assistant", fill_width=True, delete_cache=(3600, 86400)
        ) as demo:
            records = gr.State([])
            saved = gr.BrowserState([], storage_key="briefing-conversation")
            gr.Markdown("## Briefing Assistant\nAnswers from your documents, every claim cited.")
            with gr.Tabs():
                with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=360):
                        chatbot = gr.Chatbot(
                            elem_id="ba-chat",
                            height="70vh",
                            min_height=420,
                            show_label=False,
                            buttons=[],
                            feedback_options=("Like", "Dislike"),
                            examples=[{"text": q} for q in self.examples] or None,
                            placeholder="Ask a question about the documents in the library.",
                            latex_delimiters=[],
                            group_consecutive_messages=False,
                        )
                        with gr.Row():
                            question = gr.Textbox(
                                show_label=False,
                                placeholder="Ask a question about the documents…",
                                elem_id="ba-question",
                                scale=8,
                                max_lines=6,
                                autofocus=True,
                            )
                            ask = gr.Button("Ask", variant="primary", scale=1, min_width=80)
                        hint = gr.Markdown("", elem_id="ba-hint")
                        with gr.Row():
                            clear = gr.Button("Clear conversation", size="sm")
                            export = gr.DownloadButton(
                                "Export as Markdown", size="sm", interactive=False
                            )
                    with gr.Column(scale=2, min_width=320):
                        gr.Markdown("#### Source viewer")
                        viewer = gr.HTML(
                            viewer_placeholder(),
                            elem_id="ba-viewer",
                            js_on_load=VIEWER_JS,
                        )
                with gr.Tab("Briefing", id="briefing") as briefing_tab:
                    self.briefing.build(private)
                with gr.Tab("Documents", id="documents") as documents_tab:
                    self.library.build(private)

            outputs = [question, chatbot, records, hint, export, saved]
            for trigger in (ask.click, question.submit):
                trigger(
                    self.respond, [question, records], outputs, show_progress="hidden", **private
                )
            chatbot.example_select(
                self.example, None, question, show_progress="hidden", **private
            ).then(self.respond, [question, records], outputs, show_progress="hidden", **private)
            chatbot.retry(self.retry, [records], outputs, show_progress="hidden", **private)
            chatbot.like(self.feedback, [records], None, **private)
            reset = [chatbot, records, hint, viewer, export, saved]
            chatbot.clear(self.clear, None, reset, **private)
            clear.click(self.clear, None, reset, **private)
            viewer.click(self.open_source, [records], viewer, show_progress="hidden", **private)
            documents_tab.select(self.library.refresh, None, self.library.outputs, **private)
            briefing_tab.select(self.briefing.documents, None, self.briefing.doc, **private)
            demo.load(self.library_on_load, None, self.library.outputs, **private)
            demo.load(self.restore, [saved], [chatbot, records, export], **private)
            gr.api(self.api_ask, api_name="ask")
        return demo


def _out(
    *,
    question: Any = None,
    chat: Any = None,
    records: Records | None = None,
    hint: Any = None,
    export: Any = None,
) -> tuple:
    """Outputs of respond(), gr.skip() for those not given; records also go to the browser."""

    def pick(value: Any) -> Any:
        return gr.skip() if value is None else value

    return (pick(question), pick(chat), pick(records), pick(hint), pick(export), pick(records))


def _turn_of(index: Any) -> int:
    """Record number of a chat message index (two messages per record)."""
    if isinstance(index, (list, tuple)):
        index = index[0]
    return int(index) // 2


def _find_citation(records: Records, info: dict[str, Any]) -> tuple[Citation, Span | None] | None:
    """The citation a click names, with where the answer's short answer sits in its quote."""
    turn, number = info.get("turn"), info.get("n")
    if isinstance(turn, int) and 0 <= turn < len(records):
        record = records[turn].get("answer")
        if record:
            answer = Answer.model_validate(record)
            for citation in answer.citations:
                if citation.number == number:
                    return citation, short_answer_span(answer, citation)
    return None


def build_ui(
    engine: Engine,
    *,
    startup: Startup | None = None,
    examples: list[str] | None = None,
    temp: TempFolder | None = None,
) -> gr.Blocks:
    """The Gradio app for an engine. Launch it with launch_kwargs() (theme, CSS, queue)."""
    return ChatApp(engine, startup=startup, examples=examples, temp=temp).build()


def launch_kwargs() -> dict[str, Any]:
    """Arguments for Blocks.launch() that belong to the page: Gradio 6 takes them there."""
    # System fonts: the stock themes fetch web fonts, which an offline machine cannot.
    theme = gr.themes.Default(
        primary_hue="indigo",
        font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )
    return {"css": CSS + BRIEF_CSS, "theme": theme}
