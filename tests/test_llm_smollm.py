"""The LLM mode against a real small model (SmolLM2-135M-Instruct) served by a real
OpenAI-compatible server (`transformers serve`): the plumbing, not the quality. The model's
answers are poor, so each one may be checked and shown, or rejected by the citation check and
replaced by the extractive answer; what must never happen is an endpoint error or a crash.

Slow (minutes on 2 CPU cores) and skipped unless the model package and the server's extras are
installed: see tests/local_model.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from assistant.config import Settings
from assistant.engine import Engine, build_engine

from .support.local_model import missing, smollm2_server

pytestmark = pytest.mark.slow

DIETZ = "Who is the Defense Department spokesperson?"


@pytest.fixture(scope="module")
def smollm2() -> Iterator[tuple[str, str]]:
    reason = missing()
    if reason:
        pytest.skip(f"the SmolLM2 server cannot run: {reason}")
    with smollm2_server(Settings().cache_dir) as served:
        yield served


@pytest.fixture
def engine(seed_engine: Engine, smollm2: tuple[str, str]) -> Engine:
    base_url, model = smollm2
    settings = seed_engine.settings.model_copy(
        update={
            "answer_mode": "llm",
            "llm_base_url": base_url,
            "llm_api_key": SecretStr("unused-by-local-servers"),
            "llm_model": model,
            "llm_timeout": 900.0,
            "llm_max_retries": 0,
            "top_k": 3,  # a short prompt keeps a CPU-only run to a few minutes
        }
    )
    return build_engine(settings, seed_engine.embedder())


def test_a_real_model_answers_through_the_whole_pipeline(engine: Engine):
    deltas, answer = [], None
    for event in engine.stream(DIETZ):
        if event.kind == "delta":
            deltas.append(event.text)
        else:
            answer = event.answer
    assert answer is not None and deltas
    assert {"first_token", "answer", "total"} <= answer.timings.keys()
    # Reached and streamed: never the endpoint-failure fallback.
    assert answer.notice is None or "could not" not in answer.notice
    assert answer.mode in ("llm", "extractive-fallback")
    if answer.mode == "extractive-fallback":
        assert answer.notice and "not supported" in answer.notice
    for citation in answer.citations:
        document = engine.document_text(citation.doc_id)
        assert document is not None
        assert document[citation.char_start : citation.char_end] == citation.quote
        assert citation.support is not None


def test_a_real_model_condenses_a_follow_up(engine: Engine):
    history = [
        {"role": "user", "content": "Which journalist reported the internet use?"},
        {"role": "assistant", "content": "Gideon Rachman of the Financial Times. [1]"},
    ]
    question = "What did his report say?"
    answer = engine.ask(question, history)
    assert answer.retrieval_query  # the model's rewrite, or the history-aware query
    assert answer.timings.get("condense", 0) > 0
    assert answer.notice is None or "could not" not in answer.notice
