"""Candidate lines of a briefing before they are cited: what a section extractor returns,
how lines several documents share are merged, and how quotes become numbered Citations."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..cite import citation
from ..text import normalise
from ..types import Citation, Passage
from .documents import Doc, Statement
from .model import BriefItem

# Words held by more kept lines than this are too common to find a twin by.
_COMMON_TERM = 300


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
    other documents' quotes are added to it, so a line shows "3 sources". Kept lines are
    looked up by key, by text and by their rarer words, not compared with every line."""
    kept: list[Line] = []
    texts: dict[int, str] = {}  # normalised text of each line, by id
    by_key: dict[str, int] = {}
    by_text: dict[str, list[int]] = {}
    by_term: dict[str, list[int]] = {}
    for line in sorted(lines, key=lambda item: -item.score):
        text = texts[id(line)] = normalise(line.text)
        twin_index = by_key.get(line.key)
        if twin_index is None:
            # Jaccard >= threshold needs at least threshold * |terms| shared words; the
            # common words not counted lower that bound.
            shared: Counter[int] = Counter()
            common = 0
            for term in line.terms:
                postings = by_term.get(term, [])
                if len(postings) > _COMMON_TERM:
                    common += 1
                    continue
                shared.update(postings)
            needed = threshold * len(line.terms) - common
            candidates = {i for i, n in shared.items() if n >= needed}
            candidates.update(by_text.get(text, []))
            twin_index = next(
                (i for i in sorted(candidates) if _same(kept[i], line, threshold, texts)), None
            )
        if twin_index is None:
            kept.append(line)
            index = len(kept) - 1
            by_key.setdefault(line.key, index)
            by_text.setdefault(text, []).append(index)
            for term in line.terms:
                by_term.setdefault(term, []).append(index)
            continue
        twin = kept[twin_index]
        for doc, statement in line.quotes:
            if doc.doc_id not in twin.doc_ids:
                twin.add_quote(doc, statement)
    return kept


def _same(a: Line, b: Line, threshold: float, texts: dict[int, str]) -> bool:
    if a.key == b.key:
        return True
    if a.doc_ids & b.doc_ids and a.doc_ids == b.doc_ids:
        return False  # one document repeating itself is not corroboration
    if texts[id(a)] == texts[id(b)]:
        return True
    return jaccard(a.terms, b.terms) >= threshold and figures_in(a.text) == figures_in(b.text)


def figures_in(text: str) -> set[str]:
    """The figures a text states, as written."""
    return set(re.findall(r"\d[\d,.]*\d|\d", text))


@dataclass
class _Span:
    """A statement as the citation stage sees a quoted span (cite.Located)."""

    passage: Passage
    char_start: int
    char_end: int
    text: str
    paragraph: int


class Numbering:
    """Citation numbers for a whole briefing: one number per quoted span, in order of first
    use, so the same sentence cited by two lines is [n] in both."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[str, int, int], int] = {}
        self._passages: dict[str, Passage] = {}

    def cite(self, doc: Doc, statement: Statement, score: float = 0.0) -> Citation:
        key = (doc.doc_id, statement.start, statement.end)
        number = self._numbers.setdefault(key, len(self._numbers) + 1)
        passage = self._passages.get(doc.doc_id)
        if passage is None:
            # The whole document stands for the passage: a briefing reads documents, not
            # retrieved chunks, so there is no chunk id to give.
            passage = self._passages[doc.doc_id] = Passage(
                chunk_id="",
                doc_id=doc.doc_id,
                title=doc.info.title,
                source=doc.info.source,
                text="",
                paragraph_start=1,
                paragraph_end=1,
                char_start=0,
                char_end=0,
            )
        span = _Span(
            passage,
            statement.start,
            statement.end,
            doc.text[statement.start : statement.end],
            statement.paragraph,
        )
        return citation(number, span, score=score, support=1.0, supported=True)


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
