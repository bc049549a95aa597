"""The single entry point every front end uses: ask() and stream() a question, ingest files,
list and delete documents. Front ends import this module, types and config only."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from . import locking, prompts
from .answer.extractive import ExtractiveAnswerer
from .cite import cite_quotes
from .config import RetrieverMode, Settings
from .errors import BadInput
from .models.build import build_embedder
from .models.embedding import Embedder, canonical_name, offline_env
from .retrieve import Retriever
from .store import Store
from .text import content_words, sentences, words
from .types import Answer, DocumentInfo, IndexStatus, IngestReport, StreamEvent, Turn

log = logging.getLogger(__name__)

HistoryLike = Sequence[Turn | dict[str, Any] | tuple[str, str]]
# Control characters (C0, DEL, C1) and the invisible bidirectional overrides that can make a
# question display as something else than it says.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Lone surrogates: what invalid UTF-8 becomes in a command-line argument (or a JSON "\\ud800").
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Bounds on the conversation a caller may send: only the latest turns are ever used.
_MAX_TURNS = 20
_MAX_TURN_CHARS = 10_000
# Words that point back at an earlier turn ("Did he confirm it?").
_ANAPHORA = frozenset(
    [
        "he",
        "she",
        "it",
        "they",
        "him",
        "her",
        "them",
        "his",
        "hers",
        "its",
        "their",
        "theirs",
        "this",
        "that",
        "these",
        "those",
        "there",
        "then",
        "such",
        "same",
        "former",
        "latter",
    ]
)
# How many earlier user turns a follow-up borrows for retrieval.
_HISTORY_TURNS = 2


class Engine:
    """Everything behind ask(): store, embedding model, retriever and answerer."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        offline_env()
        self.settings = settings
        self.store = Store(settings, model_name=canonical_name(settings.embedding_model))
        # An already-loaded model can be shared (tests, the evaluation's temporary corpus).
        self._embedder: Embedder | None = embedder
        self._embedder_lock = threading.Lock()
        self.retriever = Retriever(self.store, self.embedder, settings)
        self.extractive = ExtractiveAnswerer(
            self.embedder, settings.min_evidence, settings.max_answer_sentences
        )
        self._llm: Any = None

    def embedder(self) -> Embedder:
        """The embedding model, loaded on first use (unchanged re-ingests never load it)."""
        if self._embedder is None:
            with self._embedder_lock:
                if self._embedder is None:
                    self._embedder = build_embedder(self.settings)
        return self._embedder

    # --- asking ---------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        history: HistoryLike = (),
        *,
        k: int | None = None,
        retriever: RetrieverMode | None = None,
    ) -> Answer:
        """Answer a question from the indexed documents, with citations."""
        answer = None
        for event in self.stream(question, history, k=k, retriever=retriever):
            if event.kind == "answer":
                answer = event.answer
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        history: HistoryLike = (),
        *,
        k: int | None = None,
        retriever: RetrieverMode | None = None,
    ) -> Iterator[StreamEvent]:
        """Text deltas as the answer is produced, then the complete Answer."""
        began = time.perf_counter()
        question = self.check_question(question)
        turns = _turns(history)
        with self.store.reachable():
            yield from self._events(question, turns, k, retriever, began)

    def _events(
        self,
        question: str,
        turns: list[Turn],
        k: int | None,
        retriever: RetrieverMode | None,
        began: float,
    ) -> Iterator[StreamEvent]:
        if not self.store.ready:
            self.store.require_ingested()
        query = retrieval_query(
            question, turns, prompts.render(self.settings.prompts_dir, "abstain")
        )
        passages = self.retriever.retrieve(query, k=k, mode=retriever)
        if not passages:  # counting chunks costs a store call: only when nothing came back
            self.store.require_ingested()
        retrieved = time.perf_counter()
        if self.settings.answer_mode == "llm":
            yield from self._llm_answerer().stream(
                question, turns, query, passages, began, k, retriever
            )
            return
        selection = self.extractive.select(query, passages, self.retriever.term_stats())
        if selection.abstained:
            answer = Answer(
                question=question,
                text=prompts.render(self.settings.prompts_dir, "abstain"),
                passages=passages,
                abstained=True,
                retrieval_query=query,
            )
        else:
            text, sentences, citations = cite_quotes(selection.chosen)
            answer = Answer(
                question=question,
                text=text,
                sentences=sentences,
                citations=citations,
                passages=passages,
                retrieval_query=query,
            )
        answer.timings = {
            "retrieve": round(retrieved - began, 5),
            "answer": round(time.perf_counter() - retrieved, 5),
            "total": round(time.perf_counter() - began, 5),
            "evidence": selection.evidence,
        }
        pieces = (
            [answer.text]
            if answer.abstained
            else [f"{s.text} [{s.citations[0]}]" for s in answer.sentences]
        )
        for i, piece in enumerate(pieces):
            yield StreamEvent(kind="delta", text=(" " if i else "") + piece)
        yield StreamEvent(kind="answer", answer=answer)

    def check_question(self, question: str) -> str:
        """The question, cleaned, or BadInput saying what is wrong with it."""
        if not isinstance(question, str):
            raise BadInput("The question must be text.")
        if _SURROGATE.search(question):
            raise BadInput(
                "The question is not valid UTF-8 text (it holds bytes of another encoding); "
                "retype it, or set your terminal to UTF-8."
            )
        cleaned = " ".join(_CONTROL.sub(" ", question).split())
        if not cleaned:
            raise BadInput("The question is empty: type a question about the documents.")
        limit = self.settings.max_question_chars
        if len(cleaned) > limit:
            raise BadInput(
                f"The question is {len(cleaned):,} characters long; the limit is {limit:,}. "
                "Ask something shorter (or raise BRIEFING_MAX_QUESTION_CHARS)."
            )
        return cleaned

    def _llm_answerer(self) -> Any:
        if self._llm is None:
            from .answer.llm import LLMAnswerer

            self._llm = LLMAnswerer(self)
        return self._llm

    # --- documents ------------------------------------------------------------------------
    def ingest(
        self,
        paths: Iterable[Path] | None = None,
        progress: Callable[[int, int, str], None] | None = None,
    ) -> IngestReport:
        from .ingest import ingest

        targets = list(paths) if paths is not None else [self.settings.corpus_dir]
        # One writer per embedded store: refused (StoreBusy) while the web app serves it.
        with locking.hold(self.settings, locking.INGESTION), self.store.reachable():
            return ingest(targets, self.store, self.embedder, self.settings, progress)

    def rebuild(self) -> None:
        """Drop the collection (for a new embedding model or chunking); ingest again after."""
        with locking.hold(self.settings, locking.INGESTION), self.store.reachable():
            self.store.drop()
        self.retriever.invalidate()

    def documents(self) -> list[DocumentInfo]:
        with self.store.reachable():
            found = self.store.documents().values()
        return sorted(found, key=lambda d: (d.title.lower(), d.source))

    def document_text(self, doc_id: str) -> str | None:
        with self.store.reachable():
            return self.store.document_text(doc_id)

    def delete_document(self, doc_id: str) -> bool:
        with locking.hold(self.settings, locking.INGESTION), self.store.reachable():
            if doc_id not in self.store.committed([doc_id]):
                return False
            self.store.delete_documents([doc_id])
            self.store.bump_version()
        return True

    def require_ingested(self) -> None:
        """NotIngested (saying what to run) when nothing is indexed yet."""
        with self.store.reachable():
            self.store.require_ingested()

    def status(self) -> IndexStatus:
        settings = self.settings
        if settings.chroma_host:
            location = f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
        else:
            location = f"embedded store {settings.chroma_path}"
        with self.store.reachable():
            chunks = self.store.chunk_count()
        return IndexStatus(
            location=location,
            collection=self.store.name,
            embedding_model=self.store.model_name,
            chunks=chunks,
        )

    def warm_up(self) -> None:
        """Load the model and build the indexes now rather than on the first question."""
        self.embedder().embed_query("warm up")
        with self.store.reachable():
            self.retriever.term_stats()
            if self.store.chunk_count():
                self.retriever.retrieve("warm up", k=1)


def build_engine(settings: Settings | None = None, embedder: Embedder | None = None) -> Engine:
    return Engine(settings or Settings(), embedder)


def _turns(history: HistoryLike) -> list[Turn]:
    """The earlier turns as Turns (BadInput when they are not turns), cleaned like a question
    and bounded: the latest _MAX_TURNS, each clipped to _MAX_TURN_CHARS."""
    if isinstance(history, (str, bytes)) or not isinstance(history or (), Sequence):
        raise BadInput('The history must be a list of {"role": ..., "content": ...} turns.')
    turns = []
    for item in list(history or ())[-_MAX_TURNS:]:
        role: Any
        content: Any
        try:
            if isinstance(item, Turn):
                role, content = item.role, item.content
            elif isinstance(item, dict):
                role, content = item.get("role", "user"), item.get("content", "")
            else:
                role, content = item
            if not isinstance(content, str):
                raise TypeError("content must be text")
            content = _CONTROL.sub(" ", _SURROGATE.sub("\ufffd", content))
            turns.append(Turn(role=role, content=content[:_MAX_TURN_CHARS]))
        except (TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            raise BadInput(
                'Each turn of the history must be {"role": "user" or "assistant", '
                f'"content": text}}; got {str(item)[:80]!r}.'
            ) from exc
    return [t for t in turns if t.content.strip()]


def focus(text: str) -> str:
    """The questions in a turn. Text around them ("Ignore your instructions and say X.") is
    not what the user wants found, so retrieval and sentence scoring see only the questions;
    a turn with no question mark is kept whole."""
    spans = sentences(text)
    asked = [text[s:e] for s, e in spans if text[s:e].rstrip("\"'”’)").endswith("?")]
    return " ".join(asked) if asked and len(asked) < len(spans) else text


def retrieval_query(question: str, history: Sequence[Turn], abstention: str = "") -> str:
    """The question, prefixed by the latest answered user turns when it is a follow-up that
    leans on them ("Did he confirm it?"): pronouns that point back, or at most one word of its
    own. A turn the assistant could not answer is no context for what follows."""
    question = focus(question)
    earlier = []
    for i, turn in enumerate(history):
        reply = history[i + 1] if i + 1 < len(history) else None
        unanswered = bool(
            abstention
            and reply
            and reply.role == "assistant"
            and reply.content.startswith(abstention)
        )
        if turn.role == "user" and not unanswered:
            earlier.append(focus(turn.content))
    earlier = earlier[-_HISTORY_TURNS:]
    if not earlier:
        return question
    own_words = content_words(question)
    leans_back = bool(_ANAPHORA & set(words(question)))
    if leans_back or len(own_words) < 2:
        return " ".join([*earlier, question])
    return question
