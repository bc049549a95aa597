"""What an evaluation run produces: one EvalResult per question and the EvalRun around them.

The JSON file of a run is ``EvalRun.model_dump_json()``; a later run reads it back as its
baseline, so these models are the file format (bump FORMAT when they change incompatibly).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ..errors import BadInput
from ..types import AnswerSentence, Citation, Passage, Turn
from .brief_scores import BriefScore
from .questions import Problem

FORMAT = "briefing-eval/1"


class Gold(BaseModel):
    """The question's expectations, copied into the result so a report needs no other file."""

    history: list[Turn] = Field(default_factory=list)
    must_include: list[list[str]] = Field(default_factory=list)
    must_not_include: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    source_docs: list[str] = Field(default_factory=list)
    answers: list[str] | None = None
    reference: str | None = None


class RetrievedPassage(Passage):
    holds_sources: list[int] = Field(
        default_factory=list, description="Indexes into gold.sources of the snippets it contains."
    )


class QuestionMetrics(BaseModel):
    """Every metric of one question; None where it does not apply to the question."""

    source_recall_at_1: float | None = None
    source_recall_at_k: float | None = None
    reciprocal_rank: float | None = None
    key_fact_recall: float | None = None
    facts_found: list[bool] = Field(default_factory=list)
    must_not_found: list[str] = Field(default_factory=list)
    answer_pass: bool = False
    citation_hit: bool | None = None
    markers: int = 0
    valid_markers: int = 0
    citation_validity: float | None = None
    supports: list[float] = Field(default_factory=list, description="citation.support values.")
    sentences: int = 0
    supported_sentences: int = 0
    exact_match: float | None = Field(None, description="SQuAD EM of the short answer.")
    f1: float | None = Field(None, description="SQuAD F1 of the short answer.")


class EvalResult(BaseModel):
    """One row of a run: the question, what the engine answered, and how it scored."""

    id: str
    question: str
    kind: str | None = None
    answerable: bool = True
    extra: dict[str, Any] = Field(default_factory=dict)
    gold: Gold = Field(default_factory=Gold)
    answer: str | None = None
    short_answer: str | None = None
    abstained: bool | None = None
    mode: str | None = None
    notice: str | None = None
    sentences: list[AnswerSentence] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[RetrievedPassage] = Field(default_factory=list)
    metrics: QuestionMetrics = Field(default_factory=QuestionMetrics)
    latency: float = Field(0.0, description="Wall-clock seconds of engine.ask.")
    timings: dict[str, float] = Field(
        default_factory=dict, description="The engine's own per-stage seconds (Answer.timings)."
    )
    error: str | None = Field(
        None, description="`ExceptionType: message` when the question failed."
    )
    judge: dict[str, Any] | None = None
    briefing: BriefScore | None = Field(None, description="The scores of a briefing row.")


class EvalRun(BaseModel):
    format: str = FORMAT
    created_at: str
    seconds: float = 0.0
    question_set: dict[str, Any]
    problems: list[Problem] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)
    settings: dict[str, Any] = Field(default_factory=dict)
    corpus: dict[str, Any] = Field(default_factory=dict)
    code: dict[str, Any] = Field(default_factory=dict)
    summary: dict[str, float | int | None]
    by_kind: dict[str, dict[str, float | int | None]] = Field(default_factory=dict)
    groups: dict[str, dict[str, dict[str, float | int | None]]] = Field(default_factory=dict)
    results: list[EvalResult]
    comparison: dict[str, Any] | None = None


def load_run(path: Path) -> EvalRun:
    """A run written earlier with --json, for use as a baseline."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"Cannot read the baseline {path}: {exc.strerror}.") from exc
    except ValueError as exc:
        raise BadInput(f"The baseline {path} is not JSON: {exc}.") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BadInput(
            f"The baseline {path} is not a `briefing eval --json` file of format {FORMAT}."
        )
    try:
        return EvalRun.model_validate(data)
    except ValidationError as exc:
        raise BadInput(f"The baseline {path} does not match format {FORMAT}: {exc}") from exc
