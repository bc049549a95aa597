"""Candidate lines of a briefing before they are cited: what a section extractor returns,
how lines several documents share are merged, and how quotes become numbered Citations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..text import normalise
from ..types import Citation
from .documents import Doc, Statement
from .model import BriefItem


@dataclass
class Line:
    section: str
    text: str
    quotes: list[tuple[Doc, Statement]]
    score: float
    key: str
    label: str | None = None
    detail: str | None = None
    # The verbatim pieces of the line (text, label, detail as cut from the quotes).
    evidence: list[str] = field(default_factory=list)
    terms: frozenset[str] = frozenset()
    # Where the line sorts in its section when the section has an order of its own (dates).
    order: tuple[int, ...] = ()

    @property
    def doc_ids(self) -> set[str]:
        return {doc.doc_id for doc, _ in self.quotes}

    def add_quote(self, doc: Doc, statement: Statement) -> None:
        if all(s is not statement for _, s in self.quotes):
            self.quotes.append((doc, statement))


def jaccard(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def merge_same(lines: list[Line], threshold: float) -> list[Line]:
    """One line for what several documents say alike: the same words, or content words that
    overlap by ``threshold`` with the same figures. The best-scored wording is kept and the
    other documents' quotes are added to it, so a line shows "3 sources"."""
    kept: list[Line] = []
    for line in sorted(lines, key=lambda item: -item.score):
        twin = next((k for k in kept if _same(k, line, threshold)), None)
        if twin is None:
            kept.append(line)
            continue
        for doc, statement in line.quotes:
            if doc.doc_id not in twin.doc_ids:
                twin.add_quote(doc, statement)
    return kept


def _same(a: Line, b: Line, threshold: float) -> bool:
    if a.key == b.key:
        return True
    if a.doc_ids & b.doc_ids and a.doc_ids == b.doc_ids:
        return False  # one document repeating itself is not corroboration
    if normalise(a.text) == normalise(b.text):
        return True
    return jaccard(a.terms, b.terms) >= threshold and figures_in(a.text) == figures_in(b.text)


def figures_in(text: str) -> set[str]:
    """The figures a text states, as written."""
    return set(re.findall(r"\d[\d,.]*\d|\d", text))


class Numbering:
    """Citation numbers for a whole briefing: one number per quoted span, in order of first
    use, so the same sentence cited by two lines is [n] in both."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[str, int, int], int] = {}

    def cite(self, doc: Doc, statement: Statement, score: float = 0.0) -> Citation:
        key = (doc.doc_id, statement.start, statement.end)
        number = self._numbers.setdefault(key, len(self._numbers) + 1)
        return Citation(
            number=number,
            chunk_id="",
            doc_id=doc.doc_id,
            title=doc.info.title,
            source=doc.info.source,
            paragraph=statement.paragraph,
            char_start=statement.start,
            char_end=statement.end,
            quote=doc.text[statement.start : statement.end],
            score=round(max(0.0, min(1.0, score)), 4),
            support=1.0,
            supported=True,
        )


def to_item(line: Line, numbering: Numbering, most: int) -> BriefItem | None:
    """The line as a cited BriefItem, or None when a piece of it is not in its quotes (the
    offline check: every line is made of verbatim quotes)."""
    quotes = _spread(line.quotes, most)
    citations = [numbering.cite(doc, statement, line.score) for doc, statement in quotes]
    evidence = line.evidence or [line.text]
    texts = [normalise(c.quote) for c in citations]
    if not citations or not all(any(normalise(e) in t for t in texts) for e in evidence):
        return None
    return BriefItem(
        text=line.text,
        citations=citations,
        label=line.label,
        detail=line.detail,
        evidence=evidence,
        key=f"{line.section}:{line.key}",
    )


def _spread(quotes: list[tuple[Doc, Statement]], most: int) -> list[tuple[Doc, Statement]]:
    """At most ``most`` quotes, one per document first, so a line cites its sources widely."""
    first: list[tuple[Doc, Statement]] = []
    rest: list[tuple[Doc, Statement]] = []
    seen: set[str] = set()
    for doc, statement in quotes:
        (rest if doc.doc_id in seen else first).append((doc, statement))
        seen.add(doc.doc_id)
    return (first + rest)[:most]
