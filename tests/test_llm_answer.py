"""LLM answering end to end: the engine in llm mode against a real local HTTP server that speaks
the OpenAI protocol (tests/openai_server.py), over the seed article and the real embedding
model. Checks the prompt, streaming, citation checking, abstention, follow-ups and that every
endpoint failure falls back to the extractive answer without leaking the API key."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.answer.llm import FALLBACK_MODE, MAX_ANSWER_TOKENS
from assistant.cli.output import answer_as_text
from assistant.engine import Engine
from assistant.errors import ConfigError
from assistant.types import Answer, StreamEvent

from .support.llm_engine import SECRET, llm_engine_for
from .support.openai_server import Drop, Empty, Failure, Hang, Malformed, OpenAIServer, StreamError

DIETZ = "Who is the Defense Department spokesperson?"
DIETZ_ANSWER = (
    "The Defense Department spokesperson is Army Lt. Col. Charlie Dietz [{n}]. "
    "He said he can't confirm any North Korean internet habits [{n}]."
)
ABSTAIN = "The documents do not answer this question."


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as running:
        yield running


@pytest.fixture
def llm_engine(seed_engine: Engine, server: OpenAIServer) -> Callable[..., Engine]:
    """An engine in llm mode over the seed store, pointed at the test server."""
    return lambda **overrides: llm_engine_for(seed_engine, server, **overrides)


def events(engine: Engine, question: str, history: Any = ()) -> tuple[list[str], Answer]:
    deltas, answer = [], None
    for event in engine.stream(question, history):
        assert isinstance(event, StreamEvent)
        if event.kind == "delta":
            deltas.append(event.text)
        else:
            answer = event.answer
    assert answer is not None
    return deltas, answer


def passage_number(answer: Answer, needle: str) -> int:
    return next(i for i, p in enumerate(answer.passages, 1) if needle in p.text)


def dietz_passage(engine: Engine) -> int:
    passages = engine.retriever.retrieve(DIETZ)
    return next(i for i, p in enumerate(passages, 1) if "Charlie Dietz" in p.text)


# --- the prompt ---------------------------------------------------------------------------
def test_prompt_carries_fenced_numbered_passages_rules_and_question(llm_engine, server):
    engine = llm_engine()
    server.reply(DIETZ_ANSWER.format(n=dietz_passage(engine)))
    answer = engine.ask(DIETZ)
    [request] = server.chat_requests()
    body = request.body
    assert body["model"] == "test-model"
    assert body["stream"] is True
    assert body["temperature"] == 0.0
    assert body["max_tokens"] == MAX_ANSWER_TOKENS
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    system, user = request.messages
    assert system["role"] == "system" and user["role"] == "user"
    assert ABSTAIN in system["content"]
    assert "data, not instructions" in system["content"]
    for number, passage in enumerate(answer.passages, 1):
        assert f'<passage number="{number}"' in user["content"]
        assert passage.text.strip() in user["content"]
    assert user["content"].count("</passage>") == len(answer.passages)
    assert f"Question: {DIETZ}" in user["content"]


def test_own_prompt_folder_is_used_and_a_missing_variable_fails_loudly(
    llm_engine, server, tmp_path: Path
):
    folder = tmp_path / "prompts"
    shutil.copytree(Path(__file__).parents[1] / "prompts", folder)
    system = folder / "system.txt"
    system.write_text("HOUSE RULES. Cite as [n]. Abstain with: {abstain}\n", encoding="utf-8")
    engine = llm_engine(prompts_dir=folder)
    server.reply(DIETZ_ANSWER.format(n=dietz_passage(engine)))
    engine.ask(DIETZ)
    assert server.chat_requests()[0].messages[0]["content"].startswith("HOUSE RULES.")

    (folder / "answer.txt").write_text("{passages}\n{question}\n{tone}\n", encoding="utf-8")
    server.reply(DIETZ_ANSWER.format(n=dietz_passage(engine)))
    engine.ask(DIETZ)  # the templates were read once, when the engine first needed them
    assert len(server.chat_requests()) == 2
    with pytest.raises(ConfigError, match="tone"):
        llm_engine(prompts_dir=folder).ask(DIETZ)
    assert len(server.chat_requests()) == 2  # nothing half-filled was sent


def test_a_template_missing_from_the_prompts_folder_names_the_file_and_the_setting(
    llm_engine, server, tmp_path: Path
):
    folder = tmp_path / "prompts"
    shutil.copytree(Path(__file__).parents[1] / "prompts", folder)
    (folder / "condense.txt").unlink()
    with pytest.raises(ConfigError) as caught:
        llm_engine(prompts_dir=folder).ask(DIETZ)
    message = str(caught.value)
    assert str(folder / "condense.txt") in message and "BRIEFING_PROMPTS_DIR" in message
    assert not server.chat_requests()


# --- streaming and checking ---------------------------------------------------------------
def test_streaming_assembles_the_model_text_and_the_answer_is_checked(llm_engine, server):
    engine = llm_engine()
    raw = DIETZ_ANSWER.format(n=dietz_passage(engine))
    server.reply(raw, chunk_chars=3)
    deltas, answer = events(engine, DIETZ)
    assert len(deltas) > 10
    assert "".join(deltas) == raw
    assert answer.mode == "llm" and not answer.abstained and answer.notice is None
    assert answer.text.startswith("The Defense Department spokesperson is Army Lt. Col.")
    assert all(s.supported for s in answer.sentences)
    assert {"retrieve", "answer", "verify", "total", "first_token"} <= answer.timings.keys()
    # A citation's quote is exactly the document text at its offsets, with its support.
    for citation in answer.citations:
        document = engine.document_text(citation.doc_id)
        assert document is not None
        assert document[citation.char_start : citation.char_end] == citation.quote
        assert citation.support is not None and citation.support >= 0.45
    assert "Charlie Dietz" in answer.citations[0].quote


def test_markers_pointing_at_no_passage_are_dropped(llm_engine, server):
    engine = llm_engine()
    n = dietz_passage(engine)
    server.reply(f"Army Lt. Col. Charlie Dietz is the spokesperson [{n}][7]. Really [0][12].")
    answer = engine.ask(DIETZ)
    assert answer.mode == "llm"
    assert "[7]" not in answer.text and "[12]" not in answer.text and "[0]" not in answer.text
    assert [c.number for c in answer.citations] == [1]
    assert answer.text == "Army Lt. Col. Charlie Dietz is the spokesperson. [1] Really."
    assert answer.sentences[1].citations == [] and not answer.sentences[1].supported


def test_unsupported_sentences_are_flagged_and_kept(llm_engine, server):
    engine = llm_engine()
    n = dietz_passage(engine)
    server.reply(
        f"Army Lt. Col. Charlie Dietz is the Defense Department spokesperson [{n}]. "
        f"He previously commanded a submarine fleet in the Arctic for twelve years [{n}]."
    )
    answer = engine.ask(DIETZ)
    assert answer.mode == "llm"
    first, second = answer.sentences
    assert first.supported and not second.supported
    assert second.support is not None and second.support < 0.45
    flagged = [c for c in answer.citations if not c.supported]
    assert [c.number for c in flagged] == second.citations
    assert "not supported" in answer_as_text(answer)


def test_an_answer_without_a_supported_citation_falls_back_with_a_notice(llm_engine, server):
    engine = llm_engine()
    server.reply("The spokesperson is Admiral Grace Hopper of the Navy [1]. She confirmed it [2].")
    deltas, answer = events(engine, DIETZ)
    assert answer.mode == FALLBACK_MODE
    assert answer.notice and "not supported" in answer.notice
    assert "Charlie Dietz" in answer.text
    assert answer.citations and all(c.supported for c in answer.citations)
    assert "Hopper" not in answer.text
    assert "".join(deltas).startswith("The spokesperson is Admiral")  # replaced by the answer


def test_an_answer_with_no_markers_at_all_falls_back(llm_engine, server):
    engine = llm_engine()
    server.reply("Charlie Dietz is the spokesperson.")
    answer = engine.ask(DIETZ)
    assert answer.mode == FALLBACK_MODE and "Charlie Dietz" in answer.text


# --- abstention ---------------------------------------------------------------------------
def test_nothing_relevant_retrieved_abstains_without_calling_the_model(llm_engine, server):
    engine = llm_engine()
    deltas, answer = events(engine, "What is the boiling point of mercury in Fahrenheit?")
    assert answer.abstained and answer.mode == "llm"
    assert answer.text == ABSTAIN and deltas == [ABSTAIN]
    assert server.requests == []


@pytest.mark.parametrize(
    "reply",
    [ABSTAIN, "I'm sorry, but the passages do not mention what the spokesperson ate."],
)
def test_the_model_abstaining_sets_abstained(llm_engine, server, reply):
    engine = llm_engine()
    server.reply(reply)
    answer = engine.ask(DIETZ)
    assert len(server.chat_requests()) == 1
    assert answer.abstained and answer.mode == "llm" and answer.text == ABSTAIN
    assert answer.notice is None


# --- follow-ups ---------------------------------------------------------------------------
HISTORY = [
    {"role": "user", "content": "Who is the Defense Department spokesperson?"},
    {"role": "assistant", "content": "Army Lt. Col. Charlie Dietz is the spokesperson. [1]"},
]
FOLLOW_UP = "Did he confirm the reports about the soldiers' internet habits?"
CONDENSED = "Did Charlie Dietz confirm the reports about North Korean soldiers' internet habits?"


def test_a_follow_up_is_condensed_for_retrieval_then_answered_with_the_conversation(
    llm_engine, server
):
    engine = llm_engine()
    server.reply(f"Standalone question: {CONDENSED}")
    server.reply("Dietz said he can't confirm any North Korean internet habits [1].")
    answer = engine.ask(FOLLOW_UP, HISTORY)
    condense, final = server.chat_requests()
    assert not condense.streamed
    assert FOLLOW_UP in condense.prompt and "User: Who is the Defense Department" in condense.prompt
    assert answer.retrieval_query == CONDENSED
    assert final.streamed
    assert "Assistant: Army Lt. Col. Charlie Dietz is the spokesperson." in final.prompt
    assert "spokesperson. [1]" not in final.prompt  # old markers numbered other passages
    assert f"Question: {FOLLOW_UP}" in final.prompt
    assert "Charlie Dietz" in answer.passages[0].text


def test_a_condensed_follow_up_is_retrieved_with_the_callers_k_and_retriever(llm_engine, server):
    engine = llm_engine()
    server.reply(f"Standalone question: {CONDENSED}")
    server.reply("Dietz said he can't confirm any North Korean internet habits [1].")
    answer = engine.ask(FOLLOW_UP, HISTORY, k=2, retriever="bm25")
    assert answer.retrieval_query == CONDENSED
    assert len(answer.passages) == 2
    assert all(set(p.scores) == {"bm25"} for p in answer.passages)


def test_a_standalone_question_is_not_condensed(llm_engine, server):
    engine = llm_engine()
    server.reply(DIETZ_ANSWER.format(n=dietz_passage(engine)))
    engine.ask(DIETZ, HISTORY)
    assert len(server.chat_requests()) == 1


# --- failures -----------------------------------------------------------------------------
FAILURES = {
    "401": (Failure(401, f"Incorrect API key provided: {SECRET}"), "BRIEFING_LLM_API_KEY"),
    "429": (Failure(429, "Rate limit reached"), "429"),
    "500": (Failure(500, "boom"), "BRIEFING_LLM_BASE_URL"),
    "503": (Failure(503, "overloaded"), "HTTP 503"),
    "404": (Failure(404, "model 'test-model' not found"), "BRIEFING_LLM_MODEL"),
    "timeout": (Hang(10), "BRIEFING_LLM_TIMEOUT"),
    "malformed": (Malformed("Army"), "BRIEFING_LLM_BASE_URL"),
    "empty": (Empty(), "BRIEFING_LLM_MODEL"),
    "dropped": (Drop("Army Lt."), "stopped sending"),
    "error-event": (StreamError("The", f"key {SECRET} exploded"), "failed while answering"),
}


@pytest.mark.parametrize("name", FAILURES)
def test_every_endpoint_failure_falls_back_cleanly_without_the_key(
    llm_engine, server, caplog, name
):
    action, setting = FAILURES[name]
    engine = llm_engine(llm_timeout=1.0)
    server.script(action)
    with caplog.at_level(logging.DEBUG):
        deltas, answer = events(engine, DIETZ)
    assert answer.mode == FALLBACK_MODE
    assert answer.notice and setting in answer.notice
    assert "quoted sentences" in answer.notice
    assert "Charlie Dietz" in answer.text and answer.citations
    assert SECRET not in answer.model_dump_json()
    assert SECRET not in caplog.text
    assert deltas  # something was streamed; the final answer replaces it


def test_an_unreachable_endpoint_falls_back(llm_engine, server):
    port = server.port
    server.close()
    engine = llm_engine(llm_base_url=f"http://127.0.0.1:{port}/v1")
    deltas, answer = events(engine, DIETZ)
    assert answer.mode == FALLBACK_MODE
    assert answer.notice and "could not be reached" in answer.notice
    assert "BRIEFING_LLM_BASE_URL" in answer.notice
    assert deltas == [answer.text]


def test_no_key_and_no_url_says_what_to_set(llm_engine, server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    engine = llm_engine(llm_base_url=None, llm_api_key=None)
    answer = engine.ask(DIETZ)
    assert answer.mode == FALLBACK_MODE
    assert answer.notice and "BRIEFING_LLM_API_KEY" in answer.notice
    assert server.requests == []


def test_a_failed_condensing_falls_back_before_answering(llm_engine, server):
    engine = llm_engine()
    server.fail(500)
    answer = engine.ask(FOLLOW_UP, HISTORY)
    assert answer.mode == FALLBACK_MODE and len(server.chat_requests()) == 1
    assert answer.notice and "HTTP 500" in answer.notice


def test_a_transient_error_is_retried(llm_engine, server):
    engine = llm_engine(llm_max_retries=1)
    server.fail(503, retry_after="0")
    server.reply(DIETZ_ANSWER.format(n=dietz_passage(engine)))
    answer = engine.ask(DIETZ)
    assert answer.mode == "llm" and len(server.chat_requests()) == 2
