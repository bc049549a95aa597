"""The single entry point every front end uses: ask() and stream() a question, ingest files,
list and delete documents, report what is indexed. It composes the stages:

    question -> conversation (checks, follow-up query) -> retrieve -> answer -> cite

Front ends import this module, types and config only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import conversation, locking
from .answer.base import Answerer, AnswerRequest
from .answer.extractive import ExtractiveAnswerer, ExtractiveTuning
from .answer.reader import ReaderModeAnswerer, ReaderTuning
from .brief.intent import briefing_request
from .cite.verify import CitationTuning
from .config import RetrieverMode, Settings
from .conversation import HistoryLike
from .models.build import build_embedder
from .models.embedding import Embedder, canonical_name, offline_env
from .retrieve import FusionTuning, Retriever
from .store import Store
from .templates import Prompts
from .types import Answer, DocumentInfo, IndexStatus, IngestReport, StreamEvent, Turn

if TYPE_CHECKING:
    from .brief.model import Briefing


@dataclass(frozen=True)
class Tuning:
    """The measured constants of the stages, in one place a benchmark can sweep: pass
    build_engine(settings, tuning=Tuning(fusion=FusionTuning(bm25_weight=3.0)))."""

    extractive: ExtractiveTuning = field(default_factory=ExtractiveTuning)
    reader: ReaderTuning = field(default_factory=ReaderTuning)
    citations: CitationTuning = field(default_factory=CitationTuning)
    fusion: FusionTuning = field(default_factory=FusionTuning)


class Engine:
    """Everything behind ask(): store, embedding model, retriever and answerers."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        tuning: Tuning | None = None,
        *,
        check_model: bool = True,
    ) -> None:
        """``check_model=False`` opens a store built with another embedding model, which only
        rebuild() may then touch (`briefing ingest --rebuild`)."""
        offline_env()
        self.settings = settings
        self.tuning = tuning or Tuning()
        self.store = Store(settings, model_name=canonical_name(settings.embedding_model))
        if check_model:
            self.store.check_model()
        # An already-loaded model can be shared (tests, the evaluation's temporary corpus).
        self._embedder: Embedder | None = embedder
        self._embedder_lock = threading.Lock()
        # Read once for the engine's life, on first use: not from disk on every question.
        self.prompts = Prompts(settings.prompts_dir)
        self.retriever = Retriever(self.store, self.embedder, settings, self.tuning.fusion)
        self.extractive = ExtractiveAnswerer(
            self.embedder,
            settings.min_evidence,
            settings.max_answer_sentences,
            term_stats=self.retriever.term_stats,
            prompts=self.prompts,
            tuning=self.tuning.extractive,
        )
        self._answerers: dict[str, Answerer] = {"extractive": self.extractive}
        self._answerers_lock = threading.RLock()  # the llm answerer builds its reader gate inside

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
        turns = conversation.turns(history)
        asked = briefing_request(question)  # "Summarize the article", "Brief me on X"
        with self.store.reachable():
            if asked is not None:
                from .brief import service as briefings

                yield from briefings.briefing_events(self, question, asked, began)
                return
            yield from self._events(question, turns, k, retriever, began)

    def _events(
        self,
        question: str,
        turns: list[Turn],
        k: int | None,
        retriever: RetrieverMode | None,
        began: float,
    ) -> Iterator[StreamEvent]:
        abstention = self.prompts.render("abstain")
        query = conversation.retrieval_query(question, turns, abstention)
        answerer = self.answerer()
        # An answerer that reranks (the reader) reads a deeper list than it shows.
        shown = k or self.settings.top_k
        depth = max(shown, getattr(answerer, "depth", None) or shown)
        passages = self.retriever.retrieve(query, k=depth, mode=retriever)
        if not passages:  # counting chunks costs a store call: only when nothing came back
            self.store.require_ingested()
        request = AnswerRequest(
            question, turns, query, passages, began, time.perf_counter(), shown, retriever
        )
        yield from answerer.stream(request)

    def check_question(self, question: str) -> str:
        """The question, cleaned, or BadInput saying what is wrong with it."""
        return conversation.check_question(question, self.settings.max_question_chars)

    def answerer(self, mode: str | None = None) -> Answerer:
        """The answerer of an answer mode (default: BRIEFING_ANSWER_MODE), built on first use."""
        mode = mode or self.settings.answer_mode
        with self._answerers_lock:
            if mode not in self._answerers:
                self._answerers[mode] = self._builders()[mode]()
            return self._answerers[mode]

    def _builders(self) -> dict[str, Callable[[], Answerer]]:
        """How each answer mode other than extractive is built: a new mode joins here."""
        return {"llm": self._llm_answerer, "reader": self._reader_answerer}

    def reader_tuning(self) -> ReaderTuning:
        """The reader's tuning with the settings that override it (unset: the tuning's)."""
        tuning, settings = self.tuning.reader, self.settings
        if settings.reader_depth is not None:
            tuning = replace(tuning, depth=settings.reader_depth)
        if settings.min_answer_probability is not None:
            tuning = replace(tuning, threshold=settings.min_answer_probability)
        return tuning

    def _reader_answerer(self) -> ReaderModeAnswerer:
        from .models.reader import Reader

        settings = self.settings
        return ReaderModeAnswerer(
            lambda: Reader(threads=settings.torch_threads, folder=settings.reader_dir),
            self.extractive,
            self.prompts,
            top_k=settings.top_k,
            tuning=self.reader_tuning(),
        )

    def _llm_answerer(self) -> Answerer:
        from .answer.gate import ReaderGate, ScorerGate
        from .answer.llm import LLMAnswerer
        from .models.llm_client import LLMClient

        # The gate decides whether the documents answer before the model is asked, and its
        # answer is the fallback (BRIEFING_LLM_GATE; evals/RESULTS.md compares the two).
        if self.settings.llm_gate == "reader":
            reader = self.answerer("reader")
            assert isinstance(reader, ReaderModeAnswerer)
            gate: ReaderGate | ScorerGate = ReaderGate(reader)
        else:
            gate = ScorerGate(self.extractive)
        return LLMAnswerer(
            retriever=self.retriever,
            gate=gate,
            embedder=self.embedder,
            client=lambda: LLMClient(self.settings),
            prompts=self.prompts,
            citations=self.tuning.citations,
        )

    # --- briefings ------------------------------------------------------------------------
    def brief(
        self,
        topic: str | None = None,
        doc: str | None = None,
        *,
        since_last: bool = False,
        save: bool = True,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> Briefing:
        """A cited briefing of every document, one document (id or path) or a topic, marked
        with what changed since the last briefing of the same scope (assistant.brief)."""
        from .brief import service as briefings

        return briefings.brief(
            self, topic, doc, since_last=since_last, save=save, progress=progress
        )

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
            report = ingest(targets, self.store, self.embedder, self.settings, progress)
        if report.removed or report.updated:  # their old text must not live on in a cache
            self.retriever.forget_text()
        return report

    def rebuild(self) -> None:
        """Drop the collection (for a new embedding model or chunking); ingest again after."""
        with locking.hold(self.settings, locking.INGESTION), self.store.reachable():
            self.store.drop()
        self.retriever.invalidate()
        self.retriever.forget_text()

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
        self.retriever.forget_text()
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


def build_engine(
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    tuning: Tuning | None = None,
    *,
    check_model: bool = True,
) -> Engine:
    return Engine(settings or Settings(), embedder, tuning, check_model=check_model)
