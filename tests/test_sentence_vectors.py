"""Sentence vectors pooled at ingestion: stored with each chunk, used by the answerer so that a
question embeds only itself and a short list of sentences, and never required (older chunks
still answer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from assistant.answer.candidates import split_candidates
from assistant.answer.extractive import ExtractiveAnswerer, ExtractiveTuning, stored_vectors
from assistant.engine import Engine
from assistant.models.embedding import Embedder
from assistant.models.sentence_vectors import pack, sentence_spans, unpack

TROOPS = "How many North Korean troops are expected to take part?"


class CountingEmbedder:
    """The real model, counting the texts each kind of call embeds."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.name, self.dim, self.window = inner.name, inner.dim, inner.window
        self.embedded: list[str] = []
        self.queries: list[str] = []
        if hasattr(inner, "embed_with_sentences"):
            self.embed_with_sentences = inner.embed_with_sentences

    def embed(self, texts: list[str]) -> np.ndarray:
        self.embedded += texts
        return self._inner.embed(texts)

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return self._inner.embed_query(text)


@pytest.fixture
def pooling_embedder(embedder: Embedder) -> Embedder:
    if not hasattr(embedder, "embed_with_sentences"):
        pytest.skip("the ONNX export is absent (run `briefing export-onnx`): no token states")
    return embedder


def test_pack_round_trip_keeps_directions() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(7, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    packed = pack(vectors)
    assert packed.isascii()
    back = unpack(packed, 384)
    assert back is not None and back.shape == (7, 384)
    assert np.min(np.sum(back * vectors, axis=1)) > 0.999


@pytest.mark.parametrize("damaged", ["", "not base64!", pack(np.ones((2, 10), np.float32))])
def test_unpack_refuses_what_it_did_not_write_for_this_width(damaged: str) -> None:
    assert unpack(damaged, 384) is None


def test_each_sentence_gets_its_own_meaning(pooling_embedder: Any) -> None:
    text = "The cat slept on the warm mat all day.\n\nThe central bank raised interest rates."
    spans = [[(s, e) for _, s, e in sentence_spans(text)]]
    assert len(spans[0]) == 2
    vectors, pooled = pooling_embedder.embed_with_sentences([text], spans)
    assert np.allclose(vectors, pooling_embedder.embed([text]), atol=1e-5)
    cat, bank = pooled[0]
    assert np.allclose(np.linalg.norm(pooled[0], axis=1), 1.0, atol=1e-5)
    about_cat, about_rates = pooling_embedder.embed(["a cat asleep", "a rise in interest rates"])
    assert cat @ about_cat > bank @ about_cat
    assert bank @ about_rates > cat @ about_rates


def test_ingest_stores_one_vector_per_sentence(
    make_engine: Callable[..., Engine], pooling_embedder: Embedder
) -> None:
    engine = make_engine()
    engine.ingest()
    chunks = list(engine.store.iter_chunks())
    assert chunks
    for chunk in chunks:
        assert chunk.sentence_vectors is not None
        vectors = unpack(chunk.sentence_vectors, pooling_embedder.dim)
        assert vectors is not None
        assert len(vectors) == _sentences(chunk.text)


@pytest.fixture
def counted(
    make_settings: Callable[..., Any], pooling_embedder: Embedder
) -> tuple[Engine, CountingEmbedder]:
    """An engine with the seed corpus ingested by the real model, counting what it embeds."""
    from assistant.engine import build_engine

    counting = CountingEmbedder(pooling_embedder)
    engine = build_engine(make_settings(), counting)  # type: ignore[arg-type]
    engine.ingest()
    return engine, counting


def test_a_question_embeds_only_the_question_and_a_shortlist(
    counted: tuple[Engine, CountingEmbedder],
) -> None:
    engine, counting = counted
    counting.embedded.clear()
    answer = engine.ask(TROOPS)
    assert "10,000" in answer.text
    sentences = set(counting.embedded) - {TROOPS}
    candidates = split_candidates(answer.passages)
    assert len(sentences) <= ExtractiveTuning().shortlist < len(candidates)
    assert "sentence_vectors" not in answer.model_dump_json()


def test_sentences_are_embedded_at_question_time_only_near_the_evidence_threshold(
    counted: tuple[Engine, CountingEmbedder],
) -> None:
    engine, counting = counted
    passages = engine.retriever.retrieve(TROOPS)
    stats = engine.retriever.term_stats()

    def select(min_evidence: float) -> tuple[Any, list[str]]:
        answerer = ExtractiveAnswerer(
            lambda: counting,
            min_evidence,
            max_sentences=2,
            term_stats=engine.retriever.term_stats,
            prompts=engine.prompts,
        )
        counting.embedded.clear()
        return answerer.select(TROOPS, passages, stats), list(counting.embedded)

    clear, embedded = select(min_evidence=0.05)  # far below the best sentence's score
    assert not clear.abstained and "10,000" in clear.chosen[0].text
    assert embedded == []
    _, embedded = select(min_evidence=clear.evidence)  # the best sentence sits on it
    assert 0 < len(embedded) <= ExtractiveTuning().shortlist


def test_passages_without_stored_vectors_are_embedded_and_answer_alike(
    seed_engine: Engine, embedder: Embedder
) -> None:
    passages = seed_engine.retriever.retrieve(TROOPS)
    if not all(p.sentence_vectors for p in passages):
        pytest.skip("this backend stores no sentence vectors")
    stats = seed_engine.retriever.term_stats()
    stored = seed_engine.extractive.select(TROOPS, passages, stats)
    bare = [p.model_copy(update={"sentence_vectors": None}) for p in passages]
    # vectors of the right width but one row too many: written for other sentences
    damaged = [
        p.model_copy(update={"sentence_vectors": pack(np.ones((_sentences(p.text) + 1, 384)))})
        for p in passages
    ]
    assert all(stored_vectors(p, embedder.dim) is None for p in bare + damaged)
    for variant in (bare, damaged):
        embedded = seed_engine.extractive.select(TROOPS, variant, stats)
        assert "10,000" in embedded.chosen[0].text
    assert "10,000" in stored.chosen[0].text
    # the stored rows line up with the candidates the answerer scores
    first = passages[0]
    rows = stored_vectors(first, embedder.dim)
    assert rows is not None
    for candidate in split_candidates([first]):
        alone = embedder.embed([candidate.text])[0]
        assert rows[candidate.slot] @ alone > 0.6


def _sentences(text: str) -> int:
    return sum(1 for _ in sentence_spans(text))
