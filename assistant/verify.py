"""Checking a model's citations before the user sees them.

A model writes sentences with [n] markers that point at the numbered passages it was shown.
For each sentence we
1. parse its markers (``[1]``, ``[1][2]``, also ``[1, 2]``, ``[1-3]`` and ``[Passage 2]``) and
   drop any that point at no retrieved passage;
2. score how well each cited passage supports it: for every sentence of the passage (and
   every pair of neighbouring sentences, for claims that span two) a blend of
   - wording: the share of the answer sentence's content words that the span contains, and
   - meaning: cosine similarity of the sentence and the span (the embedding model),
   lowered when the sentence states a number the span does not contain; the best span
   becomes the citation's quote, located by document offsets;
3. mark the sentence supported when its best support reaches ``SUPPORT_THRESHOLD``.

Sentences with no citation are claims nobody backed, so they are unsupported too (except the
abstention sentence and sentences without content words, such as "Yes.").

The thresholds were set on the seed article: reference answers against the passage that holds
their source snippet score 0.62-0.98 (median 0.80); the same answers against passages of other
questions score 0.05-0.53 (median 0.29). See tests/test_llm_verify.py for worked cases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .answer.extractive import Candidate, split_candidates
from .cite import MARKER
from .providers import Embedder
from .text import content_words, normalise, paragraphs, sentences, stem, words
from .types import AnswerSentence, Citation, Passage

# Support at or above this marks a sentence (and a citation) as supported.
SUPPORT_THRESHOLD = 0.45
# A citation that supports part of a supported multi-citation sentence is not flagged.
RELEVANT_THRESHOLD = 0.3
# Weight of wording (content-word overlap) against meaning (embedding cosine).
OVERLAP_WEIGHT = 0.5
# Multiplier when the sentence states a number or a name the cited span does not contain:
# the commonest hallucination keeps the wording of a passage and swaps the specifics.
SPECIFICS_PENALTY = 0.6

_GROUP = re.compile(r"\[\s*(\d{1,3}(?:\s*(?:,|;|-|–|and)\s*\d{1,3})+)\s*\]")
_NAMED = re.compile(r"\[\s*(?:passage|source|doc(?:ument)?)s?\s*#?\s*(\d{1,3})\s*\]", re.I)
_ONLY_MARKERS = re.compile(r"^[\s.,;:!?)\]]*(?:\[\d{1,3}\][\s.,;:!?]*)+$")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
# A capitalised word that does not open the sentence: a name, most of the time.
_NAME = re.compile(r"(?<=[\w,;:)] )[A-Z][a-z]+(?:['’]s)?")


@dataclass
class Span:
    """A stretch of one passage (one sentence or two neighbours) that may support a claim."""

    passage: Passage
    char_start: int  # document offsets
    char_end: int
    text: str
    paragraph: int
    vector: np.ndarray
    words: set[str]
    specifics: set[str]


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
    question_vector: np.ndarray | None = None,
    exempt: Sequence[str] = (),
) -> Checked:
    """Verify every citation of a model's answer against the passages it was shown.

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

    used = sorted({n for numbers in cited for n in numbers})
    spans = _spans([passages[n - 1] for n in used], embedder)
    by_passage = {n: spans.get(passages[n - 1].chunk_id, []) for n in used}
    bodies = [body for body, _, _ in parsed]
    vectors = embedder.embed(bodies) if bodies else np.zeros((0, 1), dtype=np.float32)
    exempt_texts = {normalise(e) for e in exempt}

    result_sentences: list[AnswerSentence] = []
    citations: list[Citation] = []
    numbering: dict[tuple[str, int, int], int] = {}
    for (body, _, _), numbers, vector in zip(parsed, cited, vectors):
        words = set(content_words(body))
        if not numbers:
            free = normalise(body) in exempt_texts or not words
            result_sentences.append(AnswerSentence(text=body, citations=[], supported=free))
            continue
        scored = [(_best(body, vector, words, by_passage[n])) for n in numbers]
        support = max(score for score, _ in scored)
        if len(scored) > 1:
            support = max(support, _combined(body, vector, words, [s for _, s in scored if s]))
        sentence_ok = support >= SUPPORT_THRESHOLD
        own_numbers = []
        for score, span in scored:
            if span is None:
                continue
            ok = score >= SUPPORT_THRESHOLD or (sentence_ok and score >= RELEVANT_THRESHOLD)
            key = (span.passage.chunk_id, span.char_start, span.char_end)
            if key in numbering:
                existing = citations[numbering[key] - 1]
                existing.support = min(existing.support or 0.0, round(score, 4))
                existing.supported = existing.supported and ok
            else:
                numbering[key] = len(citations) + 1
                citations.append(_citation(len(citations) + 1, span, score, ok, question_vector))
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
        specifics=_specifics(text, all_words=True),
    )


def _best(
    body: str, vector: np.ndarray, words: set[str], spans: list[Span]
) -> tuple[float, Span | None]:
    best: tuple[float, Span | None] = (0.0, None)
    claimed = _specifics(body)
    for span in spans:
        score = _support(vector, words, claimed, span.vector, span.words, span.specifics)
        if best[1] is None or score > best[0]:
            best = (score, span)
    return best


def _combined(body: str, vector: np.ndarray, words: set[str], spans: list[Span]) -> float:
    """Support of a sentence by all its cited spans together (each may hold part of it)."""
    union_words = set().union(*(s.words for s in spans))
    union_specifics = set().union(*(s.specifics for s in spans))
    similarity = max(float(vector @ s.vector) for s in spans)
    overlap = len(words & union_words) / len(words) if words else 0.0
    score = OVERLAP_WEIGHT * overlap + (1 - OVERLAP_WEIGHT) * max(similarity, 0.0)
    return score * (SPECIFICS_PENALTY if _specifics(body) - union_specifics else 1.0)


def _support(
    vector: np.ndarray,
    words: set[str],
    specifics: set[str],
    span_vector: np.ndarray,
    span_words: set[str],
    span_specifics: set[str],
) -> float:
    similarity = float(vector @ span_vector)
    overlap = len(words & span_words) / len(words) if words else 0.0
    score = OVERLAP_WEIGHT * overlap + (1 - OVERLAP_WEIGHT) * max(similarity, 0.0)
    if specifics - span_specifics:
        score *= SPECIFICS_PENALTY
    return min(1.0, score)


def _specifics(text: str, all_words: bool = False) -> set[str]:
    """Numbers and names stated in a text. For a span (``all_words``) every word counts, so a
    name the answer capitalises differently still matches."""
    found = {m.group().replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)}
    if all_words:
        return found | {stem(w) for w in words(text)}
    return found | {stem(w) for m in _NAME.finditer(text) for w in words(m.group())}


def _citation(
    number: int, span: Span, support: float, ok: bool, question_vector: np.ndarray | None
) -> Citation:
    p = span.passage
    relevance = float(question_vector @ span.vector) if question_vector is not None else 0.0
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
