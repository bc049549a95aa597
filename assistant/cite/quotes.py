"""Quoted spans -> numbered Citations. citation() is the one place a Citation is built, for
the quotes of an extractive answer and for the spans the checker found in a model's answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..types import AnswerSentence, Citation, Passage


class Located(Protocol):
    """A span of a retrieved passage, in document offsets."""

    passage: Passage
    char_start: int
    char_end: int
    text: str
    paragraph: int


class Quoted(Located, Protocol):
    """A span chosen as evidence, with how strongly it answers the question."""

    score: float


def citation(
    number: int, span: Located, *, score: float, support: float, supported: bool
) -> Citation:
    """Citation ``number`` of a span: its document, paragraph, offsets and the quote itself,
    with its relevance to the question (``score``) and its support of the claim, both 0-1."""
    p = span.passage
    return Citation(
        number=number,
        chunk_id=p.chunk_id,
        doc_id=p.doc_id,
        title=p.title,
        source=p.source,
        paragraph=span.paragraph,
        char_start=span.char_start,
        char_end=span.char_end,
        quote=span.text,
        score=round(max(0.0, min(1.0, score)), 4),
        support=round(support, 4),
        supported=supported,
    )


def cite_quotes(quotes: Sequence[Quoted]) -> tuple[str, list[AnswerSentence], list[Citation]]:
    """Answer text of verbatim quotes, each followed by its own [n] marker."""
    citations = []
    sentences = []
    for number, quote in enumerate(quotes, start=1):
        citations.append(citation(number, quote, score=quote.score, support=1.0, supported=True))
        sentences.append(
            AnswerSentence(text=quote.text, citations=[number], support=1.0, supported=True)
        )
    text = " ".join(f"{s.text} [{s.citations[0]}]" for s in sentences)
    return text, sentences, citations
