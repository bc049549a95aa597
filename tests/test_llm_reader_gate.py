"""LLM mode gated by the reader (BRIEFING_LLM_GATE=reader), against the real local server that
speaks the OpenAI protocol and the shipped reader model, over the seed article: the reader's
abstention keeps the model from being asked, the model is shown the reader's best passages,
and the reader's answer (short answer first) is what the user gets when the model fails."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.answer.llm import UNSUPPORTED_NOTICE
from assistant.engine import Engine
from assistant.models.reader import model_folder

from .support.llm_engine import llm_engine_for
from .support.openai_server import Failure, OpenAIServer

READER_FALLBACK = "reader-fallback"
SATELLITE = "Which satellite company supplied the imagery?"
DIETZ = "Who is the Defense Department spokesperson?"
DIETZ_ANSWER = "The Defense Department spokesperson is Army Lt. Col. Charlie Dietz [{n}]."
ABSTAIN = "The documents do not answer this question."


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as running:
        yield running


@pytest.fixture
def llm_engine(seed_engine: Engine, server: OpenAIServer) -> Callable[..., Engine]:
    """An engine in llm mode over the seed store, its gate the reader unless told."""
    return lambda **overrides: llm_engine_for(
        seed_engine, server, **{"llm_gate": "reader", **overrides}
    )


def test_the_reader_abstaining_keeps_the_model_from_being_asked(llm_engine, server):
    scorer_gated = llm_engine(llm_gate="extractive")
    server.reply(ABSTAIN)
    scorer_gated.ask(SATELLITE)
    # The sentence scorer finds the imagery sentences relevant enough to ask the model ...
    assert len(server.chat_requests()) == 1
    reader_gated = llm_engine(llm_gate="reader")
    answer = reader_gated.ask(SATELLITE)
    # ... the reader finds no span that answers: it abstains without a second request.
    assert len(server.chat_requests()) == 1
    assert answer.abstained and answer.mode == "llm" and answer.text == ABSTAIN
    assert "reader_probability" in answer.timings


def test_the_model_sees_the_readers_best_passages(llm_engine, server):
    engine = llm_engine(llm_gate="reader")
    reranked = engine.answerer("reader").select(
        DIETZ, engine.retriever.retrieve(DIETZ, k=engine.answerer("llm").depth)
    )
    shown = reranked.reading.ranked[: engine.settings.top_k]
    number = next(i for i, p in enumerate(shown, 1) if "Charlie Dietz" in p.text)
    server.reply(DIETZ_ANSWER.format(n=number))
    answer = engine.ask(DIETZ)
    [request] = server.chat_requests()
    prompt = request.messages[1]["content"]
    assert [p.chunk_id for p in answer.passages] == [p.chunk_id for p in shown]
    assert prompt.count("</passage>") == engine.settings.top_k
    for n, passage in enumerate(shown, 1):
        assert f'<passage number="{n}"' in prompt and passage.text.strip() in prompt
    assert answer.mode == "llm" and all(c.supported for c in answer.citations)
    assert answer.citations[0].chunk_id == shown[number - 1].chunk_id


def test_an_endpoint_failure_falls_back_to_the_readers_short_answer(llm_engine, server):
    engine = llm_engine(llm_gate="reader", llm_timeout=1.0)
    server.script(Failure(500, "boom"))
    answer = engine.ask(DIETZ)
    assert answer.mode == READER_FALLBACK
    assert answer.notice and "quoted sentences" in answer.notice
    assert answer.short_answer is not None and "Dietz" in answer.short_answer.text
    quote = answer.sentences[0].text
    assert answer.short_answer.text in quote and answer.citations[0].supported


def test_an_unsupported_answer_falls_back_to_the_reader(llm_engine, server):
    engine = llm_engine(llm_gate="reader")
    server.reply("The spokesperson is Admiral Grace Hopper of the Navy [1].")
    answer = engine.ask(DIETZ)
    assert answer.mode == READER_FALLBACK and answer.notice == UNSUPPORTED_NOTICE
    assert answer.short_answer is not None and "Dietz" in answer.short_answer.text
    assert "Hopper" not in answer.text


def test_a_broken_reader_leaves_the_gate_to_the_scorer(llm_engine, server, tmp_path: Path):
    folder = tmp_path / "reader_model"
    shutil.copytree(model_folder(), folder)
    (folder / "model.onnx").write_bytes(b"not a model")
    engine = llm_engine(llm_gate="reader", reader_dir=folder)
    server.reply(DIETZ_ANSWER.format(n=1))
    answer = engine.ask(DIETZ)
    assert len(server.chat_requests()) == 1  # the scorer judged, the model was asked
    assert "reader_probability" not in answer.timings
    server.script(Failure(500, "boom"))
    fallback = engine.ask(DIETZ)
    assert fallback.mode == READER_FALLBACK and "Dietz" in fallback.text
    assert fallback.notice and str(folder / "model.onnx") in fallback.notice
