"""Typed contracts between the stages: retrieval -> answering -> citing -> front ends."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Passage(BaseModel):
    """One retrieved chunk of a document, with where it sits in the document text."""

    chunk_id: str
    doc_id: str
    title: str
    source: str = Field(description="Path of the file the document came from.")
    text: str
    paragraph_start: int = Field(description="First paragraph of the chunk (1-based).")
    paragraph_end: int = Field(description="Last paragraph of the chunk (1-based).")
    char_start: int = Field(description="Offset of the chunk in the document text.")
    char_end: int
    score: float = Field(0.0, description="Fused retrieval score (higher is better).")
    rank: int = Field(0, description="1-based rank in the retrieved list.")
    scores: dict[str, float] = Field(
        default_factory=dict, description="Per-retriever scores (dense cosine, bm25)."
    )
    sentence_vectors: str | None = Field(
        None,
        exclude=True,
        repr=False,
        description="The chunk's sentence vectors from ingestion (sentence_vectors.pack).",
    )

    @property
    def paragraph_label(self) -> str:
        if self.paragraph_start == self.paragraph_end:
            return f"paragraph {self.paragraph_start}"
        return f"paragraphs {self.paragraph_start}-{self.paragraph_end}"


class Citation(BaseModel):
    """A numbered source of an answer: the exact span of the document that is quoted or used."""

    number: int = Field(description="The n of the [n] marker in the answer text.")
    chunk_id: str
    doc_id: str
    title: str
    source: str
    paragraph: int = Field(description="Paragraph of the document that holds the quote (1-based).")
    char_start: int = Field(description="Offset of the quote in the document text.")
    char_end: int
    quote: str = Field(description="Exactly document_text[char_start:char_end].")
    score: float = Field(0.0, description="How strongly the quote answers the question (0-1).")
    support: float | None = Field(
        None, description="How well the cited span supports the sentence it is attached to (0-1)."
    )
    supported: bool = True
    answer_start: int | None = Field(
        None, description="Offset in the quote of the short answer it holds (the reader's span)."
    )
    answer_end: int | None = None


class ShortAnswer(BaseModel):
    """The few words that answer (the reader's span), shown before the quote that holds them."""

    text: str
    citation: int = Field(description="Number of the citation whose quote holds the span.")
    start: int = Field(description="Offset of the span in that citation's quote.")
    end: int
    probability: float = Field(description="Calibrated probability that the span answers (0-1).")


class AnswerSentence(BaseModel):
    """One sentence of the answer and the citation numbers attached to it."""

    text: str
    citations: list[int] = Field(default_factory=list)
    supported: bool = True
    support: float | None = None


class Answer(BaseModel):
    """What every front end receives for a question."""

    question: str
    text: str = Field(description="The answer with inline [n] markers.")
    sentences: list[AnswerSentence] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    abstained: bool = Field(
        False, description="True when the documents do not answer the question."
    )
    short_answer: ShortAnswer | None = Field(
        None, description="The reader's short answer, when the answer mode has one."
    )
    mode: str = "extractive"
    notice: str | None = Field(
        None, description="Something the user should know, e.g. a fallback from the LLM."
    )
    retrieval_query: str = ""
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")


class StreamEvent(BaseModel):
    """A piece of a streamed answer: text deltas, then the complete Answer last."""

    kind: Literal["delta", "answer"]
    text: str = ""
    answer: Answer | None = None


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class DocumentInfo(BaseModel):
    """An indexed document, as listed by `briefing sources` and the web library."""

    doc_id: str
    title: str
    source: str
    chunks: int
    chars: int
    content_hash: str
    ingested_at: str


class IndexStatus(BaseModel):
    """What the store holds and where, as `briefing sources` and run files report it."""

    location: str = Field(description="The embedded store's folder, or the Chroma server.")
    collection: str
    embedding_model: str = Field(description="The model the collection was built with.")
    chunks: int


class Skipped(BaseModel):
    path: str
    reason: str


class IngestReport(BaseModel):
    """What one ingestion run did."""

    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    skipped: list[Skipped] = Field(default_factory=list)
    chunks_embedded: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)
