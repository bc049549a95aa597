"""The evaluation runner: question set -> one engine.ask per question -> one EvalRun.

A question that fails becomes an error row (its exception type and message) and the run goes
on; only problems that would fail every question (nothing ingested) stop the run up front.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ..config import RetrieverMode, Settings, source_checkout
from ..engine import Engine, build_engine
from ..errors import BadInput, BriefingError, ConfigError
from ..models.llm_client import public_url
from ..types import Answer, IngestReport
from . import metrics
from .brief_rows import brief_row, is_briefing
from .questions import Question, QuestionSet
from .results import EvalResult, EvalRun, Gold, RetrievedPassage

log = logging.getLogger(__name__)

# Settings that say nothing about answer quality (or are secret) stay out of the run file.
_UNRECORDED = {"llm_api_key", "upload_max_mb", "chroma_port"}


class Judge(Protocol):
    """Optional second opinion on each answer (see judges.py)."""

    def assess(self, question: Question, answer: Answer) -> dict[str, Any]: ...


def run_eval(
    engine: Engine,
    question_set: QuestionSet,
    *,
    k: int | None = None,
    retriever: RetrieverMode | None = None,
    group_by: Sequence[str] = (),
    judge: Judge | None = None,
    progress: Callable[[EvalResult], None] | None = None,
) -> EvalRun:
    """Ask every question of the set and score the answers."""
    engine.require_ingested()
    # Load the model and build the indexes first, so no question's latency includes them.
    engine.warm_up()
    began = time.perf_counter()
    created = datetime.now(UTC).isoformat(timespec="seconds")
    results = []
    for question in question_set.questions:
        result = ask_one(engine, question, k=k, retriever=retriever, judge=judge)
        results.append(result)
        if progress:
            progress(result)
    return EvalRun(
        created_at=created,
        seconds=round(time.perf_counter() - began, 3),
        question_set={
            "path": question_set.path,
            "sha256": question_set.sha256,
            "questions": len(question_set.questions),
        },
        problems=question_set.problems,
        options={
            "k": k or engine.settings.top_k,
            "retriever": retriever or engine.settings.retriever,
            "answer_mode": engine.settings.answer_mode,
            "judge": judge is not None,
            "group_by": list(group_by),
        },
        settings=recorded_settings(engine.settings),
        corpus=corpus_fingerprint(engine),
        code=code_version(),
        summary=metrics.summarise(results),
        by_kind=metrics.by_group(results, "kind"),
        groups={key: metrics.by_group(results, key) for key in group_by if key != "kind"},
        results=results,
    )


def ask_one(
    engine: Engine,
    question: Question,
    *,
    k: int | None = None,
    retriever: RetrieverMode | None = None,
    judge: Judge | None = None,
) -> EvalResult:
    """One row of the run: ask, time and score a question, or record why it failed."""
    result = EvalResult(
        id=question.id,
        question=question.question,
        kind=question.kind,
        answerable=question.answerable,
        extra=question.extra,
        gold=Gold(
            history=question.history,
            must_include=question.must_include,
            must_not_include=question.must_not_include,
            sources=question.sources,
            source_docs=question.source_docs,
            answers=question.answers,
            reference=question.reference,
        ),
    )
    if is_briefing(question):
        return brief_row(engine, question, result)
    began = time.perf_counter()
    try:
        answer = engine.ask(question.question, question.history, k=k, retriever=retriever)
    except ConfigError:
        raise  # a wrong setting would fail every question alike: stop and say which
    except Exception as exc:  # any failure is this row's result, never the run's end
        result.latency = round(time.perf_counter() - began, 5)
        result.error = f"{type(exc).__name__}: {exc}"
        # A domain error (bad input, say) is explained by its message; anything else needs
        # its traceback in the log to be fixed.
        trace = not isinstance(exc, BriefingError)
        log.warning("question %s failed: %s", question.id, result.error, exc_info=trace)
        return result
    result.latency = round(time.perf_counter() - began, 5)
    held = [metrics.sources_held(question, p.text) for p in answer.passages]
    result.answer = answer.text
    result.short_answer = answer.short_answer.text if answer.short_answer else None
    result.abstained = answer.abstained
    result.mode = answer.mode
    result.notice = answer.notice
    result.timings = answer.timings
    result.sentences = answer.sentences
    result.citations = answer.citations
    result.retrieved = [
        RetrievedPassage(**p.model_dump(), holds_sources=found)
        for p, found in zip(answer.passages, held)
    ]
    result.metrics = metrics.score(question, answer, held)
    if judge is not None:
        result.judge = judge.assess(question, answer)
    return result


@contextmanager
def corpus_engine(
    settings: Settings,
    corpus: Path,
    embedder: Any = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Iterator[tuple[Engine, IngestReport]]:
    """An engine over ``corpus`` alone, in a temporary embedded store deleted afterwards, so an
    evaluation never reads or writes the user's store (not even a configured Chroma server)."""
    if not corpus.is_dir():
        raise BadInput(f"--corpus {corpus} is not a folder.")
    name = "eval-" + hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:12]
    # Chroma may keep files open until the process ends; leftovers in /tmp are harmless.
    with tempfile.TemporaryDirectory(prefix="briefing-eval-", ignore_cleanup_errors=True) as tmp:
        temporary = settings.model_copy(
            update={
                "data_dir": Path(tmp),
                "collection": name,
                "chroma_host": None,
                "corpus_dir": corpus.resolve(),
            }
        )
        engine = build_engine(temporary, embedder)
        report = engine.ingest([corpus], progress)
        if not engine.status().chunks:
            reasons = "; ".join(f"{s.path}: {s.reason}" for s in report.skipped[:3])
            raise BadInput(f"--corpus {corpus} holds no readable document. {reasons}".strip())
        yield engine, report


def recorded_settings(settings: Settings) -> dict[str, Any]:
    """The settings that shape answers, as JSON-ready values (never the API key)."""
    values = settings.model_dump(mode="json", exclude=_UNRECORDED)
    if settings.answer_mode != "llm":
        for key in [k for k in values if k.startswith("llm_")]:
            del values[key]
    elif values.get("llm_base_url"):  # a password in the URL is as secret as the key
        values["llm_base_url"] = public_url(values["llm_base_url"])
    return values


def corpus_fingerprint(engine: Engine) -> dict[str, Any]:
    """What was searched: one hash over the documents' content hashes (which already cover
    the embedding model and chunking), so runs over different corpora are told apart."""
    documents = engine.documents()
    status = engine.status()
    digest = hashlib.sha256("\n".join(sorted(d.content_hash for d in documents)).encode())
    return {
        "fingerprint": digest.hexdigest()[:16],
        "documents": len(documents),
        "chunks": status.chunks,
        "collection": status.collection,
        "embedding_model": status.embedding_model,
        # auto picks ONNX or torch at run time; record which one answered.
        "embedding_backend": type(engine.embedder()).__name__,
    }


def code_version() -> dict[str, Any]:
    """The commit the run was measured on, when the code is a git checkout."""
    root = source_checkout()
    if root is None:  # installed as a package: no commit to name
        return {}
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "assistant"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"commit": commit, "uncommitted_changes": bool(changed)}
