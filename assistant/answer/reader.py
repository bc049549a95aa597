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

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..cite import cite_quotes
from ..models.reader import Reader, ReaderUnavailable, Span
from ..models.sentence_vectors import sentence_spans
from ..templates import Prompts
from ..text import normalise
from ..types import Answer, Passage, ShortAnswer, StreamEvent
from .base import AnswerRequest, finish
from .extractive import ExtractiveAnswerer, Selection

log = logging.getLogger(__name__)

MODE = "reader"


@dataclass(frozen=True)
class ReaderTuning:
    """Constants of the reader answerer; the defaults are the measured choices."""

    # Passages read per question (the reader reranks them; top_k = 5 are shown). Chosen from
    # the depth tables of the seed and BBC sets (evals/RESULTS.md): 6 passes as many as 10 on
    # both, in 0.65x its time on the seed article and 0.64x at BBC scale.
    depth: int = 6
    # The retriever's best ``first`` are read first, the rest of ``depth`` only when none of
    # them reaches ``threshold`` or the question asks for several things: a confident answer
    # among the retriever's best is not overturned by deeper passages (None: read all
    # ``depth`` at once).
    first: int | None = 5
    # The reader answers on its own at this probability (None: the threshold chosen in
    # training, 0.419, which maximises F1 on SQuAD's dev fold; on the seed article, out of
    # its domain, unanswerable questions reach 0.6, so the product waits for 0.7).
    threshold: float | None = 0.7
    # A further span (list and multi-part questions) is kept when its probability reaches
    # this share of the best one's.
    runner_up: float = 0.5
    max_quotes: int = 3
    # Below its threshold, the reader answers when a blend of its probability and the
    # sentence scorer's evidence reaches ``gate`` (on the seed article neither score alone
    # tells answerable questions from the rest), else the assistant abstains. An answer
    # quotes the sentence of the reader's span first, then the scorer's best sentences.
    # Chosen on the seed set (evals/seed.jsonl), by answer pass + abstain accuracy - false
    # abstain rate over blend 0-0.8, gate 0.30-0.74 and threshold 0.3-0.7 (evals/RESULTS.md).
    blend: float = 0.2  # weight of the reader's probability in the blend
    gate: float = 0.48


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
    """What the reader read: the quotes that hold its best spans (best first), and whether
    it would abstain on its own (its probability below the threshold)."""

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
        spans = self._spans(question, passages)

        def chance(i: int) -> float:
            span = spans[i]
            return span.probability if span is not None else -1.0

        order = sorted(range(len(passages)), key=lambda i: (-chance(i), passages[i].rank))
        ranked = [passages[i] for i in order]
        best = spans[order[0]]
        if best is None:
            return Reading([], True, 0.0, ranked)
        quotes = [quote(passages[order[0]], best)]
        if wants_several(question):
            floor = self.tuning.runner_up * best.probability
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
        return Reading(quotes, best.probability < self.threshold, best.probability, ranked)

    def _spans(self, question: str, passages: list[Passage]) -> list[Span | None]:
        """The reader's span for each passage; None for one it did not need to read."""
        texts = [p.text for p in passages]
        first = self.tuning.first
        if first is None or len(texts) <= first or wants_several(question):
            return self.reader.read(question, texts)
        spans = self.reader.read(question, texts[:first])
        if max((s.probability for s in spans if s is not None), default=0.0) >= self.threshold:
            return [*spans, *([None] * (len(texts) - first))]
        return [*spans, *self.reader.read(question, texts[first:])]


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


@dataclass
class Decision:
    """What the reader mode decided for one question: the reader's quotes, the sentence
    scorer's (when the reader is unsure of its span), or an abstention. ``evidence`` is the
    blend of both scores the decision was made on."""

    reading: Reading
    selection: Selection | None
    abstained: bool
    evidence: float
    notice: str | None = None


class ReaderModeAnswerer:
    """The reader as an Answerer (answer mode ``reader``), with the sentence scorer beside it.

    The engine hands it ``depth`` passages (deeper than the ``top_k`` shown); the reader reads
    them all, reranks them by its answer probability and quotes from the best. When the model
    cannot be loaded (missing, damaged), the sentence scorer answers and the Answer's notice
    says what is wrong and how to restore the file."""

    def __init__(
        self,
        reader: Callable[[], Reader],
        extractive: ExtractiveAnswerer,
        prompts: Prompts,
        *,
        top_k: int,
        tuning: ReaderTuning | None = None,
    ) -> None:
        self._new_reader = reader
        self._reader: ReaderAnswerer | None = None
        self._unavailable: ReaderUnavailable | None = None
        self._lock = threading.Lock()
        self.extractive = extractive
        self.prompts = prompts
        self.top_k = top_k
        self.tuning = tuning or ReaderTuning()

    @property
    def depth(self) -> int:
        """Passages the reader reads for each question (the engine retrieves at least the
        ones it shows)."""
        return self.tuning.depth

    def reader(self) -> ReaderAnswerer:
        """The loaded reader (ReaderUnavailable when the model file is missing or altered;
        the error is kept, so a broken file is hashed once, not on every question)."""
        with self._lock:
            if self._reader is None:
                if self._unavailable is not None:
                    raise self._unavailable
                try:
                    self._reader = ReaderAnswerer(self._new_reader(), self.tuning)
                except ReaderUnavailable as exc:
                    log.error("%s The sentence scorer answers meanwhile.", exc)
                    self._unavailable = exc
                    raise
            return self._reader

    def select(self, query: str, passages: list[Passage], k: int | None = None) -> Decision:
        """The decision for a question over ``passages`` (best first); ``k`` passages are
        shown (and used by the sentence scorer), default ``top_k``."""
        shown = passages[: k or self.top_k]
        try:
            reader = self.reader()
        except ReaderUnavailable as exc:
            selection = self.extractive.select(query, shown)
            return Decision(
                Reading([], True, 0.0, shown),
                selection,
                selection.abstained,
                selection.evidence,
                notice=f"{exc} Quoting the best-matching sentences instead.",
            )
        reading = reader.read(query, passages)
        # The scorer reads the passages the answer shows: the reader's top ``k``.
        selection = self.extractive.select(query, reading.ranked[: len(shown)] or shown)
        tuning = self.tuning
        blended = tuning.blend * reading.probability + (1 - tuning.blend) * selection.evidence
        answers = not reading.abstained or blended >= tuning.gate
        if not answers or not (reading.quotes or selection.chosen):
            return Decision(reading, selection, True, blended)
        return Decision(reading, selection, False, blended)

    def answer_for(
        self,
        question: str,
        query: str,
        passages: list[Passage],
        decision: Decision,
        *,
        mode: str = MODE,
        notice: str | None = None,
        k: int | None = None,
    ) -> Answer:
        """The Answer a decision makes: the reader's short answer and the quotes that hold it,
        the sentence scorer's quotes, or the abstention, over the passages reranked."""
        shown = (decision.reading.ranked or passages)[: k or self.top_k]
        notice = notice or decision.notice
        if decision.abstained or not decision.reading.quotes:
            # An abstention, or the reader could not be used: the scorer's answer says it.
            selection = decision.selection
            if decision.abstained or selection is None:
                selection = Selection([], True, decision.evidence)
            return self.extractive.answer_for(
                question, query, shown, selection, mode=mode, notice=notice
            )
        quotes = decision.reading.quotes
        # The sentence scorer's quotes follow the reader's, for what the span's sentence
        # leaves out (the other parts of a question, the context of a list).
        extra = [
            c
            for c in (decision.selection.chosen if decision.selection else [])
            if not any(c.char_start < q.char_end and q.char_start < c.char_end for q in quotes)
            and not any(c.passage.doc_id != q.passage.doc_id and c.text == q.text for q in quotes)
        ]
        room = max(0, self.extractive.max_sentences - len(quotes))
        text, sentences, citations = cite_quotes([*quotes, *extra[:room]])
        for citation, q in zip(citations, quotes):
            citation.answer_start = q.answer_start - q.char_start
            citation.answer_end = q.answer_end - q.char_start
        best = quotes[0]
        short = ShortAnswer(
            text=best.answer,
            citation=1,
            start=best.answer_start - best.char_start,
            end=best.answer_end - best.char_start,
            probability=round(decision.reading.probability, 4),
        )
        return Answer(
            question=question,
            text=text,
            sentences=sentences,
            citations=citations,
            passages=shown,
            short_answer=short,
            mode=mode,
            notice=notice,
            retrieval_query=query,
        )

    def stream(self, request: AnswerRequest) -> Iterator[StreamEvent]:
        """The answer's text (its quotes) as one delta, then the Answer with its short
        answer; the reader runs over all passages at once, so nothing streams sooner."""
        decision = self.select(request.query, request.passages, request.k)
        answer = self.answer_for(
            request.question, request.query, request.passages, decision, k=request.k
        )
        timings = {
            "retrieve": round(request.retrieved - request.began, 5),
            "answer": round(time.perf_counter() - request.retrieved, 5),
            "evidence": round(decision.evidence, 4),
            "reader_probability": round(decision.reading.probability, 4),
        }
        yield from finish(answer, timings, request.began, streamed=False)
