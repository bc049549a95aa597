"""The briefing as the engine offers it: Engine.brief() and the chat's briefing requests.

It wires the briefing core to the engine's parts: its documents and answerer (through
EngineLibrary), the saved briefings under the data folder, and in LLM mode the engine's
model client and citation check for the writer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from ..types import StreamEvent
from .build import build_briefing
from .chat import as_answer, no_match_answer
from .history import BriefingHistory
from .intent import BriefingAsk
from .library import EngineLibrary
from .model import Briefing
from .scope import NoMatch, Progress, Request
from .tuning import DEFAULT_TUNING, BriefTuning
from .writer import Templates, write

# The engine is handed in (typed loosely: this package sits below the engine and does not
# import it); it is used through its public methods and parts (settings, prompts, tuning).
Engine = Any

# Where saved briefings live, under the data folder.
FOLDER = "briefings"


def brief(
    engine: Engine,
    topic: str | None = None,
    doc: str | None = None,
    *,
    since_last: bool = False,
    save: bool = True,
    progress: Progress | None = None,
    tuning: BriefTuning = DEFAULT_TUNING,
) -> Briefing:
    settings = engine.settings
    history = BriefingHistory(settings.data_dir / FOLDER) if save else None
    library = EngineLibrary(engine)
    offline = build_briefing(
        library,
        Request(topic=topic, doc=doc),
        collection=settings.collection,
        tuning=tuning,
        history=history,
        since_last=since_last,
        progress=progress,
        max_topic_chars=settings.max_question_chars,
    )
    if settings.answer_mode != "llm" or not offline.sections:
        return offline
    began = time.perf_counter()
    written = _written(engine, offline, library, Request(topic=topic, doc=doc), tuning)
    written.timings = {**offline.timings, "write": round(time.perf_counter() - began, 4)}
    return written


def _written(
    engine: Engine,
    offline: Briefing,
    library: EngineLibrary,
    request: Request,
    tuning: BriefTuning,
) -> Briefing:
    """The model's briefing from the offline one's evidence (their documents read again:
    the offline briefing keeps only what it quotes)."""
    from ..answer.candidates import split_candidates
    from ..cite.verify import check_answer
    from ..models.llm_client import LLMClient
    from .documents import read_document

    texts = {d.doc_id: library.document_text(d.doc_id) for d in offline.covered}
    infos = {info.doc_id: info for info in library.documents()}
    docs = [
        read_document(infos[doc_id], text)
        for doc_id, text in texts.items()
        if text is not None and doc_id in infos
    ]
    client = LLMClient(engine.settings)

    def complete(messages: list[dict[str, str]]) -> str:
        return client.complete(messages, MAX_BRIEFING_TOKENS)

    def check(text: str, passages: list[Any]) -> Any:
        return check_answer(
            text,
            passages,
            engine.embedder(),
            candidates=split_candidates(passages),
            tuning=engine.tuning.citations,
        )

    templates = Templates(
        system=engine.prompts.render("brief_system"),
        user=engine.prompts.text("brief"),
    )
    written = write(offline, docs, complete, check, templates)
    # The model's lines are new when they quote a sentence a new line of the offline
    # briefing quotes (the sentences the last briefing's documents did not hold).
    fresh = {(c.doc_id, c.char_start) for item in offline.items if item.new for c in item.citations}
    for item in written.items:
        if not item.new and any((c.doc_id, c.char_start) in fresh for c in item.citations):
            item.new, item.change = True, "new"
    return written


# Room for a one-page briefing (about 700 words) and no more: a small local model stops there.
MAX_BRIEFING_TOKENS = 1200


def briefing_events(
    engine: Engine, question: str, asked: BriefingAsk, began: float
) -> Iterator[StreamEvent]:
    """A chat message that asks for a briefing, answered with one (see Engine.stream)."""
    try:
        briefing = brief(engine, topic=asked.topic)
        answer = as_answer(briefing, question)
    except NoMatch as exc:
        answer = no_match_answer(question, str(exc))
    answer.timings = {**answer.timings, "total": round(time.perf_counter() - began, 5)}
    yield StreamEvent(kind="delta", text=answer.text)
    yield StreamEvent(kind="answer", answer=answer)
