"""Evidence candidates: every sentence of the retrieved passages that could be quoted, located
in its document. The extractive answerer scores them; the citation check (cite/verify.py)
takes them as the spans a model's citation may quote. A sentence addressed to the assistant
(a prompt injection) is never a candidate, so it is neither quoted nor accepted as support."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models.sentence_vectors import sentence_spans
from ..types import Passage
from .injection import looks_like_injection

# Shorter fragments ("Yes.", a stray list marker) say too little to be evidence.
_MIN_SENTENCE_CHARS = 12


@dataclass
class Candidate:
    """A sentence of a retrieved passage, located in its document."""

    passage: Passage
    char_start: int
    char_end: int
    text: str
    paragraph: int
    slot: int = -1  # which of its passage's sentences: the row of the passage's stored vectors
    semantic: float = 0.0
    lexical: float = 0.0
    fit: float = 1.0
    score: float = 0.0


def split_candidates(passages: list[Passage]) -> list[Candidate]:
    """Every sentence of every passage, with document offsets and its paragraph number."""
    found = []
    for passage in passages:
        for slot, (number, start, end) in enumerate(sentence_spans(passage.text)):
            text = passage.text[start:end]
            if len(text) < _MIN_SENTENCE_CHARS or not re.search(r"[A-Za-z]", text):
                continue
            if looks_like_injection(text):
                continue  # an instruction to the assistant is never evidence
            found.append(
                Candidate(
                    passage=passage,
                    char_start=passage.char_start + start,
                    char_end=passage.char_start + end,
                    text=text,
                    paragraph=passage.paragraph_start + number,
                    slot=slot,
                )
            )
    return found
