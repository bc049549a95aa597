"""The measured constants are typed tuning objects the Engine passes to its stages: another
value given to build_engine reaches the stage and changes what it does, with no monkeypatching."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import FrozenInstanceError, asdict

import pytest

from assistant.answer.candidates import split_candidates
from assistant.answer.extractive import ExtractiveTuning
from assistant.cite.verify import CitationTuning, check_answer
from assistant.engine import Engine, Tuning, build_engine
from assistant.models.embedding import Embedder
from assistant.retrieve import FusionTuning

# Quoted from two sentences by the default scorer (since chunks carry their title, the
# journey question is quoted from one).
MULTI = (
    "What did Rachman report the soldiers doing online, and how did the Defense Department respond?"
)
QUESTIONS = [
    MULTI,
    "Who is the Defense Department spokesperson?",
    "What legal justification underpins Pyongyang's military help?",
    "Why might the soldiers' time online worry the North Korean regime?",
    "Where were brigades assembled?",
]


def tuned(seed_engine: Engine, embedder: Embedder, **parts: object) -> Engine:
    """Another engine over the seed engine's store, with some tuning replaced."""
    return build_engine(seed_engine.settings, embedder, Tuning(**parts))  # type: ignore[arg-type]


def test_the_defaults_are_the_measured_values() -> None:
    tuning = Tuning()
    assert asdict(tuning.fusion) == {
        "rrf_k": 5,
        "dense_weight": 1.0,
        "bm25_weight": 1.5,
        "depth": 20,
    }
    assert tuning.citations.support_threshold == 0.45 and tuning.citations.overlap_weight == 0.5
    assert (tuning.extractive.semantic_weight, tuning.extractive.shortlist) == (0.6, 4)
    with pytest.raises(FrozenInstanceError):
        tuning.fusion.rrf_k = 60  # type: ignore[misc]


def test_fusion_weights_reach_the_retriever(seed_engine: Engine, embedder: Embedder) -> None:
    dense_only = tuned(seed_engine, embedder, fusion=FusionTuning(bm25_weight=0.0))
    assert dense_only.retriever.tuning.bm25_weight == 0.0
    moved = 0
    for question in QUESTIONS:
        dense = [p.chunk_id for p in seed_engine.retriever.retrieve(question, k=3, mode="dense")]
        weighted = [p.chunk_id for p in dense_only.retriever.retrieve(question, k=3)]
        assert weighted == dense, "with BM25 weighted 0 the fusion keeps the dense order"
        moved += [p.chunk_id for p in seed_engine.retriever.retrieve(question, k=3)] != dense
    assert moved, "the default weights rank some question's passages otherwise"


def test_the_scorer_tuning_reaches_the_extractive_answerer(
    seed_engine: Engine, embedder: Embedder
) -> None:
    assert len(seed_engine.ask(MULTI).citations) > 1
    strict = tuned(seed_engine, embedder, extractive=ExtractiveTuning(runner_up_ratio=1.01))
    answer = strict.ask(MULTI)
    assert len(answer.citations) == 1 and not answer.abstained


def test_the_citation_tuning_reaches_the_llm_answerer_and_the_check(
    seed_engine: Engine, embedder: Embedder
) -> None:
    strict = CitationTuning(support_threshold=0.99)
    engine = tuned(seed_engine, embedder, citations=strict)
    assert engine.answerer("llm").citations is strict  # type: ignore[attr-defined]
    passages = seed_engine.retriever.retrieve("Who is the Defense Department spokesperson?")
    n = next(i for i, p in enumerate(passages, 1) if "Charlie Dietz" in p.text)
    claim = f"Army Lt. Col. Charlie Dietz is a spokesperson for the Defense Department. [{n}]"
    candidates = split_candidates(passages)
    default = check_answer(claim, passages, embedder, candidates=candidates)
    checked = check_answer(claim, passages, embedder, candidates=candidates, tuning=strict)
    assert default.supported and not checked.supported


def test_the_reader_reranks_a_deeper_list_than_it_shows(
    make_engine: Callable[..., Engine],
) -> None:
    """Unset, the depth is the tuning's, and deeper than the passages shown (issue 13: the
    reader reranks more candidates than it quotes from); the setting overrides it."""
    from assistant.answer.reader import ReaderTuning

    engine = make_engine(answer_mode="reader")
    assert engine.settings.reader_depth is None
    assert engine.answerer("reader").depth == ReaderTuning().depth > engine.settings.top_k
    assert make_engine(answer_mode="reader", reader_depth=9).answerer("reader").depth == 9


@pytest.mark.parametrize(
    ("setting", "tuned"), [("reader_depth", "depth"), ("min_answer_probability", "threshold")]
)
def test_a_setting_left_to_the_tuning_says_the_tuned_value(setting: str, tuned: str) -> None:
    """`briefing settings` prints each description: an unset reader setting must name the
    value the tuning gives it, or the printed default drifts from the one that runs."""
    from assistant.answer.reader import ReaderTuning
    from assistant.config import Settings

    field = Settings.model_fields[setting]
    assert field.default is None
    assert f"Unset: {getattr(ReaderTuning(), tuned)}." in (field.description or "")
