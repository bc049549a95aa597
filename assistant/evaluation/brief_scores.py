"""Scores of a briefing row (`"kind": "briefing"`): key-fact coverage, citation validity,
redundancy and length.

- coverage: the share of the row's ``must_include`` facts (any wording of each) that some line
  states, read as the user reads it (label, detail and text; quotes do not count).
- citation validity: the share of citations whose quote is exactly the document's text at
  their offsets.
- redundancy: the share of lines that say almost the same as an earlier line of their
  section (content words overlapping by ``NEAR_DUPLICATE`` or more).
- length: lines and words of the briefing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import BaseModel, Field

from ..brief.markdown import line_text
from ..brief.model import Briefing
from ..text import content_words, normalise

# Jaccard overlap of content words from which two lines count as near-duplicates; the same
# threshold merges lines in a briefing (BriefTuning.same_statement).
NEAR_DUPLICATE = 0.6
# A row passes with this share of its facts and every citation valid.
PASS_COVERAGE = 0.8
# What a run's summary reports over its briefing rows (shown only when the set has some).
BRIEFING_METRICS = (
    "briefing_pass_rate",
    "briefing_coverage",
    "briefing_citation_validity",
    "briefing_redundancy",
    "briefing_lines",
    "briefing_words",
)


class BriefScore(BaseModel):
    coverage: float | None = Field(None, description="Share of must_include facts stated.")
    missing: list[str] = Field(default_factory=list, description="Facts no line states.")
    citations: int = 0
    citation_validity: float | None = None
    invalid: list[int] = Field(default_factory=list, description="Numbers of invalid citations.")
    redundancy: float = 0.0
    lines: int = 0
    words: int = 0
    unsupported: int = Field(0, description="Lines the citation check could not support.")
    passed: bool = False


def briefing_text(briefing: Briefing) -> list[str]:
    """Each line as the user reads it, without markers."""
    return [line_text(s.key, item).replace("**", "") for s in briefing.sections for item in s.items]


def score_briefing(
    briefing: Briefing,
    must_include: Sequence[Sequence[str]],
    document_text: Callable[[str], str | None],
) -> BriefScore:
    lines = briefing_text(briefing)
    visible = normalise(" ".join(lines))
    missing = [
        alternatives[0]
        for alternatives in must_include
        if not any(normalise(a) in visible for a in alternatives)
    ]
    coverage = 1 - len(missing) / len(must_include) if must_include else None
    texts: dict[str, str | None] = {}
    citations = briefing.citations
    invalid = []
    for c in citations:
        if c.doc_id not in texts:
            texts[c.doc_id] = document_text(c.doc_id)
        text = texts[c.doc_id]
        if text is None or text[c.char_start : c.char_end] != c.quote or not c.quote:
            invalid.append(c.number)
    validity = 1 - len(invalid) / len(citations) if citations else None
    repeated = 0
    for section in briefing.sections:
        seen: list[set[str]] = []
        for item in section.items:
            words = set(content_words(item.text))
            if any(_overlap(words, other) >= NEAR_DUPLICATE for other in seen):
                repeated += 1
            seen.append(words)
    count = len(lines)
    return BriefScore(
        coverage=None if coverage is None else round(coverage, 4),
        missing=missing,
        citations=len(citations),
        citation_validity=None if validity is None else round(validity, 4),
        invalid=invalid,
        redundancy=round(repeated / count, 4) if count else 0.0,
        lines=count,
        words=sum(len(line.split()) for line in lines),
        unsupported=sum(1 for item in briefing.items if not item.supported),
        passed=(coverage is None or coverage >= PASS_COVERAGE) and validity in (None, 1.0),
    )


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def summarise(scores: Sequence[BriefScore]) -> dict[str, float | int | None]:
    """Figures over a set's briefing rows, for the run summary."""
    if not scores:
        return {}

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 4) if values else None

    return {
        "briefings": len(scores),
        "briefing_pass_rate": mean([1.0 if s.passed else 0.0 for s in scores]),
        "briefing_coverage": mean([s.coverage for s in scores if s.coverage is not None]),
        "briefing_citation_validity": mean(
            [s.citation_validity for s in scores if s.citation_validity is not None]
        ),
        "briefing_redundancy": mean([s.redundancy for s in scores]),
        "briefing_lines": mean([float(s.lines) for s in scores]),
        "briefing_words": mean([float(s.words) for s in scores]),
    }
