"""Scoring: one question's answer against its gold data, and the aggregate over many.

evals/README.md defines every metric in words; keep the two in step. All text matching goes
through ``text.normalise`` (case-folded, straight quotes, collapsed white space), so gold
snippets do not depend on how the corpus was chunked or typed. A question without snippets may
name its gold documents instead (``source_docs``); a passage holds one when its source path
ends with the document's relative path.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import PurePath, PurePosixPath

from ..cite import markers, strip_markers
from ..text import content_words, normalise
from ..types import Answer
from . import squad_score
from .brief_scores import BRIEFING_METRICS
from .brief_scores import summarise as briefing_summary
from .questions import Question
from .results import EvalResult, QuestionMetrics

# Share of an LLM sentence's content words that must occur in the cited passage for its marker
# to count as valid (LLM sentences paraphrase, so verbatim containment would reject them all).
PARAPHRASE_COVERAGE = 0.6

# Metrics where a lower value is better; every other metric is better higher.
LOWER_IS_BETTER = frozenset(
    [
        "false_abstain_rate",
        "must_not_violations",
        "errors",
        "latency_p50",
        "latency_p95",
        "judge_errors",
        "briefing_redundancy",
    ]
)
# Every metric of a run summary, in the order reports show them; these can be gated.
METRIC_NAMES = (
    "source_recall_at_1",
    "source_recall_at_k",
    "mrr",
    "key_fact_recall",
    "answer_pass_rate",
    "citation_hit_rate",
    "citation_validity",
    "abstain_accuracy",
    "false_abstain_rate",
    "must_not_violations",
    "errors",
    "latency_p50",
    "latency_p95",
    "support_mean",
    "supported_share",
    "answer_words",
    "exact_match",
    "f1",
    "has_ans_exact_match",
    "has_ans_f1",
    "no_ans_accuracy",
    *BRIEFING_METRICS,
)
# SQuAD's scores, shown only for sets with `answers` (None elsewhere).
SQUAD_METRICS = frozenset(METRIC_NAMES[-5:])
JUDGE_METRICS = ("judge_correctness", "judge_faithfulness", "judge_errors")
# Descriptive figures with no better direction.
NEUTRAL = frozenset(["answer_words", "briefing_lines", "briefing_words"])
# Counts that describe the set rather than the engine; not gated, not diffed as quality.
COUNTS = frozenset(
    [
        "questions",
        "answerable",
        "unanswerable",
        "with_sources",
        "with_key_facts",
        "with_answers",
        "markers",
        "briefings",
    ]
)


def contains(haystack: str, needle: str) -> bool:
    """Whether ``needle`` occurs in ``haystack`` under the evaluation's normalisation."""
    return normalise(needle) in normalise(haystack)


def sources_held(question: Question, passage_text: str) -> list[int]:
    """Indexes of the question's gold snippets that occur in a passage."""
    text = normalise(passage_text)
    return [i for i, source in enumerate(question.sources) if normalise(source) in text]


def docs_held(question: Question, source: str) -> list[int]:
    """Indexes of the question's ``source_docs`` that a passage from file ``source`` belongs to:
    the path's last parts equal the document's relative path ("a/b.txt" is held by
    ".../corpus/a/b.txt", not by ".../corpus/xa/b.txt")."""
    parts = PurePath(source).parts
    held = []
    for i, doc in enumerate(question.source_docs):
        wanted = PurePosixPath(doc).parts
        if len(parts) >= len(wanted) and parts[len(parts) - len(wanted) :] == wanted:
            held.append(i)
    return held


def score(question: Question, answer: Answer, held: Sequence[Sequence[int]]) -> QuestionMetrics:
    """All per-question metrics. ``held[i]`` is sources_held() of the i-th retrieved passage.

    A question with ``source_docs`` and no ``sources`` is scored at document level instead:
    ``held`` is then worked out here from the passages' source paths (docs_held), and the
    listed documents are alternatives (copies of one article), so recall is 1 when any is held.
    """
    m = QuestionMetrics()
    spoken = strip_markers(answer.text)
    m.must_not_found = [s for s in question.must_not_include if contains(spoken, s)]
    gold = len(question.sources)
    if not question.sources and question.source_docs:
        held = [docs_held(question, p.source) for p in answer.passages]
        gold = 1  # any one copy is the whole of the gold
    if question.answerable:
        if gold:
            m.source_recall_at_1 = _recall(gold, held[:1])
            m.source_recall_at_k = _recall(gold, held)
            first = next((rank for rank, found in enumerate(held, start=1) if found), None)
            m.reciprocal_rank = 1.0 / first if first else 0.0
            m.citation_hit = _citation_hit(answer, held)
        m.facts_found = [
            any(contains(spoken, wording) for wording in fact) for fact in question.must_include
        ]
        if m.facts_found:
            m.key_fact_recall = sum(m.facts_found) / len(m.facts_found)
        m.answer_pass = all(m.facts_found) and not m.must_not_found and not answer.abstained
    else:
        m.answer_pass = answer.abstained and not m.must_not_found
    m.markers, m.valid_markers = _marker_counts(answer)
    m.citation_validity = m.valid_markers / m.markers if m.markers else None
    m.supports = [c.support for c in answer.citations if c.support is not None]
    m.sentences = len(answer.sentences)
    m.supported_sentences = sum(1 for s in answer.sentences if s.supported)
    if question.answers is not None:
        m.exact_match, m.f1 = squad_score.best(predicted_answer(answer), question.answers)
    return m


def predicted_answer(answer: Answer) -> str:
    """What SQuAD's scores compare with the gold answers: the short answer when the mode gives
    one, the empty string for an abstention, else the answer text without its markers."""
    if answer.abstained:
        return ""
    if answer.short_answer is not None:
        return answer.short_answer.text
    return strip_markers(answer.text)


def _recall(gold: int, held: Sequence[Sequence[int]]) -> float:
    """Share of ``gold`` items held; with documents (gold 1) any held copy is a hit."""
    found = {i for indexes in held for i in indexes}
    return min(len(found), gold) / gold


def _citation_hit(answer: Answer, held: Sequence[Sequence[int]]) -> bool:
    by_chunk = {p.chunk_id: bool(found) for p, found in zip(answer.passages, held)}
    return any(by_chunk.get(c.chunk_id, False) for c in answer.citations)


def _marker_counts(answer: Answer) -> tuple[int, int]:
    """(markers, valid markers). A marker is valid when its citation exists, points at a
    retrieved passage, and that passage holds the sentence the marker is attached to."""
    passages = {p.chunk_id: p.text for p in answer.passages}
    citations = {c.number: c for c in answer.citations}
    # Every mode but the LLM's own answer quotes ("extractive", "reader" and the LLM mode's
    # fallbacks "extractive-fallback" and "reader-fallback"): its quotes must be verbatim.
    verbatim = answer.mode != "llm"
    total = valid = 0
    rest = answer.text
    for sentence in answer.sentences:
        # Quotes may contain bracketed numbers of their own ("[12]" in a wiki text); remove
        # each sentence's own text before looking for markers no sentence accounts for.
        rest = rest.replace(sentence.text, " ", 1)
        claim = strip_markers(sentence.text)
        for number in sentence.citations:
            total += 1
            citation = citations.get(number)
            passage = passages.get(citation.chunk_id) if citation else None
            if passage is not None and _holds(passage, claim, verbatim):
                valid += 1
    attached = Counter(n for s in answer.sentences for n in s.citations)
    in_text = Counter(markers(rest))
    # Markers in the text beyond those attached to sentences cannot be checked: invalid.
    total += sum(max(0, count - attached[n]) for n, count in in_text.items())
    return total, valid


def _holds(passage: str, claim: str, verbatim: bool) -> bool:
    if contains(passage, claim):
        return True
    if verbatim:
        return False
    words = set(content_words(claim))
    if not words:
        return False
    return len(words & set(content_words(passage))) / len(words) >= PARAPHRASE_COVERAGE


# --- aggregates ---------------------------------------------------------------------------
def summarise(results: Sequence[EvalResult]) -> dict[str, float | int | None]:
    """The run's metrics over a list of results (the whole set, or one kind)."""
    ok = [r for r in results if r.error is None]
    answerable = [r for r in ok if r.answerable]
    unanswerable = [r for r in ok if not r.answerable]
    # Rows with gold evidence, snippets or documents: source recall was computed for them.
    with_sources = [
        r for r in answerable if r.gold.sources or r.metrics.source_recall_at_k is not None
    ]
    with_facts = [r for r in answerable if r.gold.must_include]
    marker_total = sum(r.metrics.markers for r in ok)
    supports = [s for r in ok for s in r.metrics.supports]
    sentence_total = sum(r.metrics.sentences for r in ok)
    latencies = [r.latency for r in ok]
    summary: dict[str, float | int | None] = {
        "questions": len(results),
        "answerable": sum(1 for r in results if r.answerable),
        "unanswerable": sum(1 for r in results if not r.answerable),
        "with_sources": len(with_sources),
        "with_key_facts": len(with_facts),
        "source_recall_at_1": mean(r.metrics.source_recall_at_1 for r in with_sources),
        "source_recall_at_k": mean(r.metrics.source_recall_at_k for r in with_sources),
        "mrr": mean(r.metrics.reciprocal_rank for r in with_sources),
        "key_fact_recall": mean(r.metrics.key_fact_recall for r in with_facts),
        # Error rows count as failures here: a question that crashed did not pass.
        "answer_pass_rate": _ratio(sum(r.metrics.answer_pass for r in ok), len(results)),
        "citation_hit_rate": mean(float(bool(r.metrics.citation_hit)) for r in with_sources),
        "citation_validity": _ratio(sum(r.metrics.valid_markers for r in ok), marker_total),
        "markers": marker_total,
        "abstain_accuracy": mean(float(bool(r.abstained)) for r in unanswerable),
        "false_abstain_rate": mean(float(bool(r.abstained)) for r in answerable),
        "must_not_violations": sum(1 for r in ok if r.metrics.must_not_found),
        "errors": len(results) - len(ok),
        "latency_p50": _round(percentile(latencies, 50)),
        "latency_p95": _round(percentile(latencies, 95)),
        "support_mean": mean(supports),
        "supported_share": _ratio(sum(r.metrics.supported_sentences for r in ok), sentence_total),
        # Longer answers contain key facts more easily; this keeps key_fact_recall honest.
        "answer_words": mean(
            len(strip_markers(r.answer or "").split()) for r in ok if not r.abstained
        ),
    }
    summary.update(_squad_means(ok))
    summary.update(briefing_summary([r.briefing for r in ok if r.briefing is not None]))
    summary.update(_judge_means(ok))
    return summary


def _squad_means(ok: Sequence[EvalResult]) -> dict[str, float | int | None]:
    """SQuAD EM/F1 over rows with `answers`; HasAns over those with gold answers, NoAns (SQuAD
    2.0's unanswerable rows, right only when abstained) as an accuracy."""
    scored = [r for r in ok if r.gold.answers is not None and r.metrics.f1 is not None]
    has = [r for r in scored if r.gold.answers]
    no = [r for r in scored if not r.gold.answers]
    return {
        "with_answers": len(scored),
        "exact_match": mean(r.metrics.exact_match for r in scored),
        "f1": mean(r.metrics.f1 for r in scored),
        "has_ans_exact_match": mean(r.metrics.exact_match for r in has),
        "has_ans_f1": mean(r.metrics.f1 for r in has),
        "no_ans_accuracy": mean(r.metrics.exact_match for r in no),
    }


def by_group(results: Sequence[EvalResult], key: str) -> dict[str, dict[str, float | int | None]]:
    """summarise() per value of a grouping key (``kind`` or any extra key of the set)."""
    groups: dict[str, list[EvalResult]] = {}
    for r in results:
        value = r.kind if key == "kind" else r.extra.get(key)
        groups.setdefault("(none)" if value in (None, "") else str(value), []).append(r)
    return {name: summarise(rows) for name, rows in sorted(groups.items())}


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile, interpolating linearly between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _judge_means(results: Sequence[EvalResult]) -> dict[str, float | int | None]:
    """Mean score per judge, and how many verdicts failed (present only when judged)."""
    scores: dict[str, list[float]] = {}
    failed = 0
    for r in results:
        for name, verdict in (r.judge or {}).items():
            scores.setdefault(f"judge_{name}", [])
            if isinstance(verdict.get("score"), int | float):
                scores[f"judge_{name}"].append(float(verdict["score"]))
            else:
                failed += 1
    if not scores:
        return {}
    means: dict[str, float | int | None] = {n: mean(v) for n, v in sorted(scores.items())}
    means["judge_errors"] = failed
    return means


def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return _round(sum(present) / len(present)) if present else None


def _ratio(part: float, whole: float) -> float | None:
    return _round(part / whole) if whole else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
