"""What a briefing needs from the engine, as one small interface: the documents, their text,
a search, the answerer and the rarity of words. ``EngineLibrary`` adapts an Engine through
its public methods, so the briefing follows the engine (and its reader) as they change."""

from __future__ import annotations

from typing import Any, Protocol

from ..types import Answer, DocumentInfo, Passage


class Library(Protocol):
    def documents(self) -> list[DocumentInfo]: ...

    def document_text(self, doc_id: str) -> str | None: ...

    def search(self, query: str, k: int) -> list[Passage]: ...

    def ask(self, question: str) -> Answer: ...

    def rarity(self, term: str) -> float:
        """Inverse document frequency of a stemmed content word over the library."""
        ...


class EngineLibrary:
    """An Engine seen as a Library."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._offline: Any = None

    def documents(self) -> list[DocumentInfo]:
        return list(self.engine.documents())

    def document_text(self, doc_id: str) -> str | None:
        text = self.engine.document_text(doc_id)
        return text if text is None else str(text)

    def search(self, query: str, k: int) -> list[Passage]:
        return list(self.engine.retriever.retrieve(query, k=k))

    def ask(self, question: str) -> Answer:
        answer: Answer = self._answering().ask(question)
        return answer

    def _answering(self) -> Any:
        """The engine that answers the briefing's standard questions: this one, or in LLM mode
        a twin over the same store with the default offline answerer. Seven model calls would
        cost more than the whole briefing, and whether the documents hold an answer is the
        offline answerer's to say (it gates the model's answers too)."""
        settings = self.engine.settings
        if settings.answer_mode != "llm":
            return self.engine
        if self._offline is None:
            offline = type(settings).model_fields["answer_mode"].default
            twin = settings.model_copy(update={"answer_mode": offline})
            # The engine's own class, so this package need not import the engine above it.
            self._offline = type(self.engine)(twin, self.engine.embedder())
        return self._offline

    def rarity(self, term: str) -> float:
        return float(self.engine.retriever.term_stats().idf(term))
