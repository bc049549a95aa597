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
3. mark the sentence supported when its best support reaches ``SUPPORT_THRESHOLD``.

Sentences with no citation are claims nobody backed, so they are unsupported too (except the
abstention sentence and sentences without a single content word).

The threshold was set on the seed questions (benchmarks/citation_support.py, k=8): reference
answers citing the passages that hold their sources score 0.23-0.97 (median 0.76; 48 of 52
reach 0.45); the same answers citing the best-ranked passage without their sources score
0.02-0.44 (none reaches it); references with a number changed or a name swapped for another
of the article's reach it in 0 of 2 and 2 of 22 cases.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .answer.extractive import Candidate, split_candidates
from .cite import MARKER
from .models.embedding import Embedder
from .text import (
    STOPWORDS,
    content_words,
    normalise,
    paragraphs,
    sentences,
    stem,
    words,
)
from .types import AnswerSentence, Citation, Passage

# Support at or above this marks a sentence (and a citation) as supported.
SUPPORT_THRESHOLD = 0.45
# In a sentence with several citations, one that does not support it alone still counts
# when the sentence loses at least this much support without it (ALCE's citation precision).
CONTRIBUTION = 0.02
# Weight of wording (content-word overlap) against meaning (embedding cosine).
OVERLAP_WEIGHT = 0.5
# The commonest hallucination keeps the wording of a passage and swaps the specifics: a
# number the cited span does not state, or a name that is not in the span but is elsewhere in
# the passages, makes the citation unsupported however close the wording (and scales its
# support by SWAP_PENALTY).
SWAP_PENALTY = 0.6
# Multiplier for a name that no passage contains (outside knowledge, or a fair synonym such
# as "the Pentagon" for "the Defense Department").
OUTSIDE_PENALTY = 0.8
# A pair of sentences is quoted only when it supports clearly better than one sentence.
PAIR_MARGIN = 0.05

_GROUP = re.compile(r"\[\s*(\d{1,3}(?:\s*(?:,|;|-|–|and)\s*\d{1,3})+)\s*\]")
_NAMED = re.compile(r"\[\s*(?:passage|source|doc(?:ument)?)s?\s*#?\s*(\d{1,3})\s*\]", re.I)
_ONLY_MARKERS = re.compile(r"^[\s.,;:!?)\]]*(?:\[\d{1,3}\][\s.,;:!?]*)+$")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
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


def normalise_markers(text: str) -> str:
    """``[1, 2]``, ``[1-3]`` and ``[Passage 2]`` rewritten as ``[1][2]``, ``[1][2][3]``, ``[2]``."""

    def expand(match: re.Match[str]) -> str:
        numbers: list[int] = []
        for part in re.split(r"\s*(?:,|;|and)\s*", match.group(1)):
            bounds = [int(n) for n in re.split(r"\s*[-–]\s*", part) if n]
            if len(bounds) == 2 and 0 < bounds[1] - bounds[0] < 20:
                numbers.extend(range(bounds[0], bounds[1] + 1))
            else:
                numbers.extend(bounds)
        return "".join(f"[{n}]" for n in numbers)

    return _NAMED.sub(r"[\1]", _GROUP.sub(expand, text))


def split_answer(text: str) -> list[tuple[str, list[int], str]]:
    """(sentence without markers, its marker numbers, the break before it: " ", a new line or
    a blank line) for each sentence. Markers standing after the full stop ("... here. [2]")
    belong to the sentence before."""
    pieces: list[tuple[str, list[int], str]] = []
    for p_index, (p_start, p_end) in enumerate(paragraphs(text)):
        for index, (start, end) in enumerate(sentences(text, p_start, p_end)):
            raw = text[start:end]
            numbers = [int(n) for n in MARKER.findall(raw)]
            if pieces and _ONLY_MARKERS.match(raw):
                body, previous, gap = pieces[-1]
                pieces[-1] = (body, previous + numbers, gap)
                continue
            body = _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(MARKER.sub(" ", raw).split()))
            if not body:
                continue
            if index == 0:
                gap = "\n\n" if p_index else ""
            else:
                gap = "\n" if text[start - 1] == "\n" else " "
            pieces.append((body, numbers, gap))
    return pieces


def check_answer(
    raw: str,
    passages: Sequence[Passage],
    embedder: Embedder,
    *,
    question: str | None = None,
    exempt: Sequence[str] = (),
) -> Checked:
    """Verify every citation of a model's answer against the passages it was shown.

    ``question`` gives each citation its score (how well the quote fits the question);
    ``exempt`` sentences (the abstention sentence) need no citation.
    """
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
    spans = _spans([passages[n - 1] for n in used], embedder)
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
        scored = [_best(claim, by_passage[n], known) for n in numbers]
        support = max(score for score, _ in scored)
        together = [span for _, span in scored if span is not None]
        if len(together) > 1:
            support = max(support, _support(claim, together, known))
        sentence_ok = support >= SUPPORT_THRESHOLD
        own_numbers = []
        for score, span in scored:
            if span is None:
                continue
            ok = score >= SUPPORT_THRESHOLD or (
                sentence_ok and _needed(claim, span, together, known, support)
            )
            key = (span.passage.chunk_id, span.char_start, span.char_end)
            if key in numbering:
                existing = citations[numbering[key] - 1]
                existing.support = min(existing.support or 0.0, round(score, 4))
                existing.supported = existing.supported and ok
            else:
                numbering[key] = len(citations) + 1
                citations.append(_citation(len(citations) + 1, span, score, ok, asked))
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
    text = _render(result_sentences, [gap for _, _, gap in parsed])
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


def _spans(passages: Sequence[Passage], embedder: Embedder) -> dict[str, list[Span]]:
    """Candidate spans of each passage: its sentences and pairs of neighbouring sentences in
    the same paragraph, with vectors (a pair's is the normalised sum of its two)."""
    candidates = split_candidates(list({p.chunk_id: p for p in passages}.values()))
    if not candidates:
        return {}
    vectors = embedder.embed([c.text for c in candidates])
    found: dict[str, list[Span]] = {}
    previous: tuple[Candidate, np.ndarray] | None = None
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


def _span(passage: Passage, parts: list[Candidate], vector: np.ndarray) -> Span:
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


def _best(claim: Claim, spans: list[Span], known: set[str]) -> tuple[float, Span | None]:
    """The span of a passage that supports the claim best, and its support. A pair of
    sentences must beat the best single sentence by ``PAIR_MARGIN`` to be quoted."""
    best: tuple[float, Span | None] = (0.0, None)
    best_rank = -1.0
    for span in spans:
        score = _support(claim, [span], known)
        rank = score - (PAIR_MARGIN if span.pair else 0.0)
        if rank > best_rank:
            best, best_rank = (score, span), rank
    return best


def _support(claim: Claim, spans: list[Span], known: set[str]) -> float:
    """Support of a claim by one span, or by several together (each may hold part of it)."""
    similarity = max(float(claim.vector @ s.vector) for s in spans)
    span_words = set().union(*(s.words for s in spans))
    terms = set().union(*(s.terms for s in spans))
    overlap = len(claim.words & span_words) / len(claim.words) if claim.words else 0.0
    score = OVERLAP_WEIGHT * overlap + (1 - OVERLAP_WEIGHT) * max(similarity, 0.0)
    missing_names = {name for name in claim.names if not _present(name, terms)}
    if claim.numbers - terms or missing_names & known:
        return min(score * SWAP_PENALTY, SUPPORT_THRESHOLD - 0.01)
    if missing_names:
        score *= OUTSIDE_PENALTY
    return min(1.0, score)


def _needed(
    claim: Claim, span: Span, together: list[Span], known: set[str], support: float
) -> bool:
    """Whether the sentence loses support when this citation is taken away."""
    others = [s for s in together if s is not span]
    return not others or _support(claim, others, known) <= support - CONTRIBUTION


def _numbers(text: str) -> set[str]:
    return {m.group().replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)}


def _terms(text: str) -> set[str]:
    """Every word (stemmed) and number of a text, to look a claim's specifics up in."""
    return _numbers(text) | {stem(w) for w in words(text)}


def _citation(number: int, span: Span, support: float, ok: bool, asked: Claim | None) -> Citation:
    p = span.passage
    relevance = 0.0
    if asked is not None:  # the same blend, with the question in place of the claim
        coverage = len(asked.words & span.words) / len(asked.words) if asked.words else 0.0
        similarity = max(float(asked.vector @ span.vector), 0.0)
        relevance = OVERLAP_WEIGHT * coverage + (1 - OVERLAP_WEIGHT) * similarity
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
        score=round(max(0.0, min(1.0, relevance)), 4),
        support=round(support, 4),
        supported=ok,
    )


def _render(checked: list[AnswerSentence], gaps: list[str]) -> str:
    """The answer text again, each sentence followed by its renumbered markers."""
    parts: list[str] = []
    for sentence, gap in zip(checked, gaps):
        marks = "".join(f"[{n}]" for n in sentence.citations)
        parts.append(gap if parts else "")
        parts.append(f"{sentence.text} {marks}" if marks else sentence.text)
    return "".join(parts).strip()
