"""The reader answerer (the offline default): a trained QA model reads the retrieved passages,
finds the short answer span, and the sentence that holds it is quoted verbatim.

For one question:
1. the reader reads a deeper list of passages than is shown (``ReaderTuning.depth``), each
   passage in overlapping windows when it is longer than the model's window;
2. each passage gets its best span and a calibrated probability that the span answers;
   passages are reranked by it;
3. below ``threshold`` the assistant abstains: the reader found no passage that answers, which
   is what tells a sentence *about* the question from one that *answers* it;
4. otherwise the best span is the short answer, and the sentence(s) holding it are the quote.
   A question asking for several things (a list, the steps of something) also collects the
   spans of other passages that answer nearly as confidently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..models.reader import Reader, Span
from ..models.sentence_vectors import sentence_spans
from ..text import normalise
from ..types import Passage


@dataclass(frozen=True)
class ReaderTuning:
    """Constants of the reader answerer; the defaults are the measured choices."""

    depth: int = 10  # passages read per question (the reader reranks them)
    threshold: float | None = None  # answer probability needed; None: the model's own
    # A further span (list and multi-part questions) is kept when its probability reaches
    # this share of the best one's.
    runner_up: float = 0.5
    max_quotes: int = 3


@dataclass
class Quote:
    """A sentence (or a few) of a passage that holds an answer span: document offsets."""

    passage: Passage
    char_start: int
    char_end: int
    text: str
    paragraph: int
    score: float
    answer_start: int  # the short answer, as document offsets inside the quote
    answer_end: int

    @property
    def answer(self) -> str:
        return self.text[self.answer_start - self.char_start : self.answer_end - self.char_start]


@dataclass
class Reading:
    """What the reader concluded: the quotes (best first), or an abstention."""

    quotes: list[Quote]
    abstained: bool
    probability: float
    ranked: list[Passage] = field(default_factory=list)  # passages, reranked by the reader


# "Name the places", "Which locations", "List ...", "What are the ...", "How did ... get ...".
_MANY = re.compile(
    r"^\s*(?:name|list|summari[sz]e|describe|outline|give)\b|\b(?:which|what) (?:\w+ )?\w+s\b"
    r"|\bwhat are\b|\bwho are\b|\bhow did\b.*\b(?:get|reach|travel|move|arrive)\b|\band\b.*\?",
    re.I,
)


def wants_several(question: str) -> bool:
    """Whether a question asks for more than one thing (a list or several parts)."""
    return bool(_MANY.search(question))


class ReaderAnswerer:
    def __init__(self, reader: Reader, tuning: ReaderTuning = ReaderTuning()) -> None:
        self.reader = reader
        self.tuning = tuning

    @property
    def threshold(self) -> float:
        if self.tuning.threshold is not None:
            return self.tuning.threshold
        return self.reader.info.threshold

    def read(self, question: str, passages: list[Passage]) -> Reading:
        if not passages:
            return Reading([], True, 0.0, [])
        spans = self.reader.read(question, [p.text for p in passages])

        def chance(i: int) -> float:
            span = spans[i]
            return span.probability if span is not None else -1.0

        order = sorted(range(len(passages)), key=lambda i: (-chance(i), passages[i].rank))
        ranked = [passages[i] for i in order]
        best = spans[order[0]]
        if best is None or best.probability < self.threshold:
            return Reading([], True, best.probability if best else 0.0, ranked)
        quotes = [quote(passages[order[0]], best)]
        if wants_several(question):
            floor = max(self.threshold, self.tuning.runner_up * best.probability)
            for i in order[1:]:
                span = spans[i]
                if (
                    len(quotes) >= self.tuning.max_quotes
                    or span is None
                    or span.probability < floor
                ):
                    break
                candidate = quote(passages[i], span)
                if not _repeats(candidate, quotes):
                    quotes.append(candidate)
        return Reading(quotes, False, best.probability, ranked)


def quote(passage: Passage, span: Span) -> Quote:
    """The sentence(s) of the passage that hold the span, with both located in the document."""
    spans = list(sentence_spans(passage.text))
    inside = [
        (number, start, end)
        for number, start, end in spans
        if start < span.char_end and end > span.char_start
    ]
    if not inside:  # the span sits in white space between sentences: quote the span itself
        inside = [(0, span.char_start, span.char_end)]
    number = inside[0][0]
    start, end = inside[0][1], inside[-1][2]
    base = passage.char_start
    return Quote(
        passage=passage,
        char_start=base + start,
        char_end=base + end,
        text=passage.text[start:end],
        paragraph=passage.paragraph_start + number,
        score=round(span.probability, 4),
        answer_start=base + max(span.char_start, start),
        answer_end=base + min(span.char_end, end),
    )


def _repeats(candidate: Quote, chosen: list[Quote]) -> bool:
    """The same sentence again, or the same short answer (another copy of a document)."""
    answer = normalise(candidate.answer)
    return any(
        (q.passage.doc_id == candidate.passage.doc_id and q.char_start == candidate.char_start)
        or normalise(q.answer) == answer
        or normalise(q.text) == normalise(candidate.text)
        for q in chosen
    )
