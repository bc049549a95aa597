"""Checking a model's citations before the user sees them.

A model writes sentences with [n] markers that point at the numbered passages it was shown.
For each sentence we
1. parse its markers (``[1]``, ``[1][2]``, also ``[1, 2]``, ``[1-3]`` and ``[Passage 2]``) and
   drop any that point at no retrieved passage;
2. score how well each cited passage supports it: for every sentence of the passage (and
   every pair of neighbouring sentences, for claims that span two) a blend of
   - wording: the share of the answer sentence's content words that the span contains, and
   - meaning: cosine similarity of the sentence and the span (the embedding model),
   held below the threshold when the sentence states a number, or a name used elsewhere in
   the passages, that the span does not contain; the best span becomes the citation's
   quote, located by document offsets;
3. mark the sentence supported when its best support reaches the threshold
   (``CitationTuning.support_threshold``).

Sentences with no citation are claims nobody backed, so they are unsupported too (except the
abstention sentence and sentences without a single content word).

The spans a passage may be quoted by are the evidence candidates of the answer stage (its
sentences, without those addressed to the assistant): the caller hands them in, so this stage
never imports the answerers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..models.embedding import Embedder
from ..text import STOPWORDS, content_words, normalise, stem, words
from ..types import AnswerSentence, Citation, Passage
from .marking import normalise_markers, render, split_answer
from .quotes import Located, citation


@dataclass(frozen=True)
class CitationTuning:
    """The constants of the citation check.

    The threshold was set on the seed questions (benchmarks/citation_support.py, k=8):
    reference answers citing the passages that hold their sources score 0.23-0.97 (median
    0.76; 48 of 52 reach 0.45); the same answers citing the best-ranked passage without their
    sources score 0.02-0.44 (none reaches it); references with a number changed or a name
    swapped for another of the article's reach it in 0 of 2 and 2 of 22 cases.
    """

    # Support at or above this marks a sentence (and a citation) as supported.
    support_threshold: float = 0.45
    # In a sentence with several citations, one that does not support it alone still counts
    # when the sentence loses at least this much support without it (ALCE's citation
    # precision).
    contribution: float = 0.02
    # Weight of wording (content-word overlap) against meaning (embedding cosine).
    overlap_weight: float = 0.5
    # The commonest hallucination keeps the wording of a passage and swaps the specifics: a
    # number the cited span does not state, or a name that is not in the span but is elsewhere
    # in the passages, makes the citation unsupported however close the wording (and scales
    # its support by swap_penalty).
    swap_penalty: float = 0.6
    # Multiplier for a name that no passage contains (outside knowledge, or a fair synonym
    # such as "the Pentagon" for "the Defense Department").
    outside_penalty: float = 0.8
    # A pair of sentences is quoted only when it supports clearly better than one sentence.
    pair_margin: float = 0.05


_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
# A capitalised word that does not open the sentence: a name, most of the time.
_NAME = re.compile(r"(?<=[\w,;:.)] )[A-Z][a-z]+(?:['’]s)?")
_NAME_IN_TEXT = re.compile(r"(?<=[\w,;:)] )[A-Z][a-z]+(?:['’]s)?")
# The first word is capitalised anyway; it counts as a name when the passages use it as one.
_FIRST_WORD = re.compile(r"^\W*([A-Z][a-z]+)\b")


@dataclass
class Span:
    """A stretch of one passage (one sentence or two neighbours) that may support a claim."""

    passage: Passage
    char_start: int  # document offsets
    char_end: int
    text: str
    paragraph: int
    vector: np.ndarray
    words: set[str]  # content words, for overlap
    terms: set[str]  # every word and number, for looking up names and numbers
    pair: bool = False


@dataclass
class Checked:
    """The answer after checking: text with renumbered markers, sentences and citations."""

    text: str
    sentences: list[AnswerSentence]
    citations: list[Citation]
    dropped: list[int] = field(default_factory=list)  # markers that pointed at no passage

    @property
    def supported(self) -> bool:
        """At least one sentence carries a citation that supports it."""
        return any(s.supported and s.citations for s in self.sentences)


def check_answer(
    raw: str,
    passages: Sequence[Passage],
    embedder: Embedder,
    *,
    candidates: Sequence[Located],
    question: str | None = None,
    exempt: Sequence[str] = (),
    tuning: CitationTuning | None = None,
) -> Checked:
    """Verify every citation of a model's answer against the passages it was shown.

    ``candidates`` are the spans of the passages that may be quoted (the answer stage's
    evidence candidates), in passage order. ``question`` gives each citation its score (how
    well the quote fits the question); ``exempt`` sentences (the abstention sentence) need no
    citation.
    """
    tuning = tuning or CitationTuning()
    parsed = split_answer(normalise_markers(raw))
    dropped: list[int] = []
    cited: list[list[int]] = []
    for _, numbers, _ in parsed:
        valid = []
        for n in numbers:
            if not 1 <= n <= len(passages):
                dropped.append(n)
            elif n not in valid:
                valid.append(n)
        cited.append(valid)

    # Names the passages use: a claim naming one its cited span lacks has swapped a name.
    known = set().union(*(_names(p.text, False) for p in passages)) if passages else set()
    used = sorted({n for numbers in cited for n in numbers})
    cited_ids = {passages[n - 1].chunk_id for n in used}
    spans = _spans([c for c in candidates if c.passage.chunk_id in cited_ids], embedder)
    by_passage = {n: spans.get(passages[n - 1].chunk_id, []) for n in used}
    bodies = [body for body, _, _ in parsed]
    vectors = embedder.embed(bodies) if bodies else np.zeros((0, 1), dtype=np.float32)
    exempt_texts = {normalise(e) for e in exempt}
    asked = _claim(question, embedder.embed_query(question), known) if question else None

    result_sentences: list[AnswerSentence] = []
    citations: list[Citation] = []
    numbering: dict[tuple[str, int, int], int] = {}
    for (body, _, _), numbers, vector in zip(parsed, cited, vectors):
        claim = _claim(body, vector, known)
        if not numbers:
            free = normalise(body) in exempt_texts or not claim.words
            result_sentences.append(AnswerSentence(text=body, citations=[], supported=free))
            continue
        scored = [_best(claim, by_passage[n], known, tuning) for n in numbers]
        support = max(score for score, _ in scored)
        together = [span for _, span in scored if span is not None]
        if len(together) > 1:
            support = max(support, _support(claim, together, known, tuning))
        sentence_ok = support >= tuning.support_threshold
        own_numbers = []
        for score, span in scored:
            if span is None:
                continue
            ok = score >= tuning.support_threshold or (
                sentence_ok and _needed(claim, span, together, known, support, tuning)
            )
            key = (span.passage.chunk_id, span.char_start, span.char_end)
            if key in numbering:
                existing = citations[numbering[key] - 1]
                existing.support = min(existing.support or 0.0, round(score, 4))
                existing.supported = existing.supported and ok
            else:
                numbering[key] = len(citations) + 1
                relevance = _relevance(asked, span, tuning) if asked is not None else 0.0
                citations.append(
                    citation(len(citations) + 1, span, score=relevance, support=score, supported=ok)
                )
            if numbering[key] not in own_numbers:
                own_numbers.append(numbering[key])
        result_sentences.append(
            AnswerSentence(
                text=body,
                citations=own_numbers,
                supported=sentence_ok and bool(own_numbers),
                support=round(support, 4),
            )
        )
    text = render(result_sentences, [gap for _, _, gap in parsed])
    return Checked(text, result_sentences, citations, dropped)


# --- scoring ------------------------------------------------------------------------------
@dataclass
class Claim:
    """One sentence of the answer, ready to be scored against spans."""

    vector: np.ndarray
    words: set[str]
    numbers: set[str]
    names: set[str]


def _claim(body: str, vector: np.ndarray, known: set[str]) -> Claim:
    names = _names(body)
    opening = _FIRST_WORD.match(body)
    if opening and stem(opening.group(1).lower()) in known:
        names.add(stem(opening.group(1).lower()))
    return Claim(vector, set(content_words(body)), _numbers(body), names)


def _names(text: str, one_sentence: bool = True) -> set[str]:
    """Stems of the capitalised words inside the sentences of a text (names, mostly). In a
    whole passage a word after a full stop opens a sentence, and title-case headings are
    skipped."""
    pattern = _NAME if one_sentence else _NAME_IN_TEXT
    found = set()
    for line in text.splitlines():
        tokens = line.split()
        capitalised = sum(t[:1].isupper() for t in tokens)
        if not one_sentence and len(tokens) > 3 and capitalised > 0.6 * len(tokens):
            continue
        found |= {stem(w) for m in pattern.finditer(line) for w in words(m.group())}
    return found - STOPWORDS


def _present(name: str, terms: set[str]) -> bool:
    """Whether a name is among the terms, also as another form of the same word (Russia and
    Russian, Ukraine and Ukrainian, China and Chinese)."""
    if name in terms:
        return True
    for term in terms:
        shorter = min(len(name), len(term))
        common = len(os.path.commonprefix([name, term]))
        if common >= 4 and common >= shorter - 1:
            return True
    return False


def _spans(candidates: Sequence[Located], embedder: Embedder) -> dict[str, list[Span]]:
    """The spans of each cited passage: its candidate sentences and pairs of neighbouring ones
    in the same paragraph, with vectors (a pair's is the normalised sum of its two)."""
    if not candidates:
        return {}
    vectors = embedder.embed([c.text for c in candidates])
    found: dict[str, list[Span]] = {}
    previous: tuple[Located, np.ndarray] | None = None
    for candidate, vector in zip(candidates, vectors):
        spans = found.setdefault(candidate.passage.chunk_id, [])
        spans.append(_span(candidate.passage, [candidate], vector))
        if previous is not None:
            before, before_vector = previous
            if before.passage is candidate.passage and before.paragraph == candidate.paragraph:
                pair = before_vector + vector
                pair = pair / (np.linalg.norm(pair) or 1.0)
                spans.append(_span(candidate.passage, [before, candidate], pair))
        previous = (candidate, vector)
    return found


def _span(passage: Passage, parts: list[Located], vector: np.ndarray) -> Span:
    start, end = parts[0].char_start, parts[-1].char_end
    text = passage.text[start - passage.char_start : end - passage.char_start]
    return Span(
        passage=passage,
        char_start=start,
        char_end=end,
        text=text,
        paragraph=parts[0].paragraph,
        vector=vector,
        words=set(content_words(text)),
        terms=_terms(text),
        pair=len(parts) > 1,
    )


def _best(
    claim: Claim, spans: list[Span], known: set[str], tuning: CitationTuning
) -> tuple[float, Span | None]:
    """The span of a passage that supports the claim best, and its support. A pair of
    sentences must beat the best single sentence by ``pair_margin`` to be quoted."""
    best: tuple[float, Span | None] = (0.0, None)
    best_rank = -1.0
    for span in spans:
        score = _support(claim, [span], known, tuning)
        rank = score - (tuning.pair_margin if span.pair else 0.0)
        if rank > best_rank:
            best, best_rank = (score, span), rank
    return best


def _support(claim: Claim, spans: list[Span], known: set[str], tuning: CitationTuning) -> float:
    """Support of a claim by one span, or by several together (each may hold part of it)."""
    similarity = max(float(claim.vector @ s.vector) for s in spans)
    span_words = set().union(*(s.words for s in spans))
    terms = set().union(*(s.terms for s in spans))
    overlap = len(claim.words & span_words) / len(claim.words) if claim.words else 0.0
    weight = tuning.overlap_weight
    score = weight * overlap + (1 - weight) * max(similarity, 0.0)
    missing_names = {name for name in claim.names if not _present(name, terms)}
    if claim.numbers - terms or missing_names & known:
        return min(score * tuning.swap_penalty, tuning.support_threshold - 0.01)
    if missing_names:
        score *= tuning.outside_penalty
    return min(1.0, score)


def _needed(
    claim: Claim,
    span: Span,
    together: list[Span],
    known: set[str],
    support: float,
    tuning: CitationTuning,
) -> bool:
    """Whether the sentence loses support when this citation is taken away."""
    others = [s for s in together if s is not span]
    return not others or _support(claim, others, known, tuning) <= support - tuning.contribution


def _numbers(text: str) -> set[str]:
    return {m.group().replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)}


def _terms(text: str) -> set[str]:
    """Every word (stemmed) and number of a text, to look a claim's specifics up in."""
    return _numbers(text) | {stem(w) for w in words(text)}


def _relevance(asked: Claim, span: Span, tuning: CitationTuning) -> float:
    """How well a quote fits the question: the support blend, with the question in place of
    the claim."""
    coverage = len(asked.words & span.words) / len(asked.words) if asked.words else 0.0
    similarity = max(float(asked.vector @ span.vector), 0.0)
    return tuning.overlap_weight * coverage + (1 - tuning.overlap_weight) * similarity
