"""A briefing row of a question set (`"kind": "briefing"`) run through Engine.brief and scored
(brief_scores.py), filled into the same EvalResult a question gets, so the summary, the JSON,
the baseline diff and both reports carry it.

A row names its scope with ``topic`` (a topic briefing) or ``doc`` (a document, as a path
relative to the corpus folder); with neither, the whole library is briefed. Rows are briefed
without saving, so a run never changes what "since last time" compares with."""

from __future__ import annotations

import logging
import time
from typing import Any

from ..brief.markdown import to_markdown
from ..errors import BriefingError, ConfigError
from ..text import normalise
from .brief_scores import briefing_text, score_briefing
from .questions import Question
from .results import EvalResult

log = logging.getLogger(__name__)
KIND = "briefing"


def is_briefing(question: Question) -> bool:
    return question.kind == KIND


def brief_row(engine: Any, question: Question, result: EvalResult) -> EvalResult:
    topic = question.extra.get("topic")
    doc = question.extra.get("doc")
    if doc:
        doc = str(engine.settings.corpus_dir / str(doc))
    began = time.perf_counter()
    try:
        briefing = engine.brief(topic=topic, doc=doc, save=False)
    except ConfigError:
        raise  # a wrong setting fails every row alike: stop and say which
    except Exception as exc:  # this row's result, never the run's end
        result.latency = round(time.perf_counter() - began, 5)
        result.error = f"{type(exc).__name__}: {exc}"
        log.warning(
            "briefing %s failed: %s", question.id, result.error,
            exc_info=not isinstance(exc, BriefingError),
        )  # fmt: skip
        return result
    result.latency = round(time.perf_counter() - began, 5)
    score = score_briefing(briefing, question.must_include, engine.document_text)
    visible = normalise(" ".join(briefing_text(briefing)))
    result.answer = to_markdown(briefing, sources=False)
    result.abstained = not briefing.sections
    result.mode = f"briefing-{briefing.mode}"
    result.notice = " ".join(briefing.notices) or None
    result.timings = briefing.timings
    result.citations = briefing.citations
    result.briefing = score
    m = result.metrics
    m.key_fact_recall = score.coverage
    m.facts_found = [
        any(normalise(a) in visible for a in alternatives) for alternatives in question.must_include
    ]
    m.must_not_found = [s for s in question.must_not_include if normalise(s) in visible]
    m.answer_pass = score.passed and not m.must_not_found
    m.markers = score.citations
    m.valid_markers = score.citations - len(score.invalid)
    m.citation_validity = score.citation_validity
    m.sentences = score.lines
    m.supported_sentences = score.lines - score.unsupported
    return result
