"""Citations as a stage of their own: number the quoted spans, attach [n] markers, and parse
markers back out of any answer text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from .types import AnswerSentence, Citation, Passage

MARKER = re.compile(r"\[(\d{1,3})\]")


class Quoted(Protocol):
    """A span of a document chosen as evidence."""

    passage: Passage
    char_start: int
    char_end: int
    text: str
    paragraph: int
    score: float


def cite_quotes(quotes: Sequence[Quoted]) -> tuple[str, list[AnswerSentence], list[Citation]]:
    """Answer text of verbatim quotes, each followed by its own [n] marker."""
    citations = []
    sentences = []
    for number, quote in enumerate(quotes, start=1):
        p = quote.passage
        citations.append(
            Citation(
                number=number,
                chunk_id=p.chunk_id,
                doc_id=p.doc_id,
                title=p.title,
                source=p.source,
                paragraph=quote.paragraph,
                char_start=quote.char_start,
                char_end=quote.char_end,
                quote=quote.text,
                score=round(max(0.0, min(1.0, quote.score)), 4),
                support=1.0,
            )
        )
        sentences.append(
            AnswerSentence(text=quote.text, citations=[number], support=1.0, supported=True)
        )
    text = " ".join(f"{s.text} [{s.citations[0]}]" for s in sentences)
    return text, sentences, citations


def markers(text: str) -> list[int]:
    """The citation numbers in a piece of text, in order."""
    return [int(m) for m in MARKER.findall(text)]


def strip_markers(text: str) -> str:
    return " ".join(MARKER.sub(" ", text).split())
