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

    def documents(self) -> list[DocumentInfo]:
        return list(self.engine.documents())

    def document_text(self, doc_id: str) -> str | None:
        text = self.engine.document_text(doc_id)
        return text if text is None else str(text)

    def search(self, query: str, k: int) -> list[Passage]:
        return list(self.engine.retriever.retrieve(query, k=k))

    def ask(self, question: str) -> Answer:
        answer: Answer = self.engine.ask(question)
        return answer

    def rarity(self, term: str) -> float:
        return float(self.engine.retriever.term_stats().idf(term))
