"""Briefings through the engine: Engine.brief(), chat messages that ask for one, and LLM
briefings whose every line goes through the citation check, against the local
OpenAI-protocol test server."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from assistant.engine import Engine, build_engine
from assistant.errors import NotIngested
from assistant.text import normalise

from .support.openai_server import OpenAIServer


def test_engine_brief_saves_the_briefing_and_compares_the_next_one(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.txt").write_text(
        "Harbour Notes\n\nThe harbour master said 14 ships waited outside Lisbon on Monday.\n\n"
        "The port operator declined to comment on the delays.\n",
        encoding="utf-8",
    )
    engine = make_engine(corpus_dir=corpus)
    engine.ingest()
    first = engine.brief()
    assert first.items and not any(item.new for item in first.items)
    assert list((engine.settings.data_dir / "briefings").glob("*.json")), "saved for next time"
    again = engine.brief(since_last=True)
    assert not again.sections and any("Nothing has changed" in n for n in again.notices)


@pytest.mark.parametrize(
    "message",
    [
        "Summarize the article",
        "Brief me on the situation",
        "What is the main point of the article?",
    ],
)
def test_asking_the_chat_for_a_summary_gets_a_briefing(seed_engine: Engine, message: str) -> None:
    answer = seed_engine.ask(message)
    assert not answer.abstained
    assert answer.mode == "briefing"
    assert "10,000" in answer.text and "Key points" in answer.text
    assert answer.citations
    for citation in answer.citations:
        text = seed_engine.document_text(citation.doc_id)
        assert text is not None and text[citation.char_start : citation.char_end] == citation.quote
        assert f"[{citation.number}]" in answer.text


def test_asking_for_a_briefing_on_nothing_says_so(seed_engine: Engine) -> None:
    answer = seed_engine.ask("Brief me on quarterly sugar beet yields")
    assert answer.abstained
    assert "No documents about 'quarterly sugar beet yields'" in answer.text


def test_a_briefing_request_on_an_empty_library_says_to_ingest(
    make_engine: Callable[..., Engine],
) -> None:
    with pytest.raises(NotIngested, match="ingest"):
        make_engine().ask("Summarize the article")


# --- LLM briefings ----------------------------------------------------------------------------
_PASSAGE = re.compile(r'<passage number="(\d+)"[^>]*>\n(.*?)\n</passage>', re.S)


def _number_of(prompt: str, words: str) -> int:
    """The number the prompt gave the passage holding ``words``."""
    for number, text in _PASSAGE.findall(prompt):
        if words in text:
            return int(number)
    raise AssertionError(f"no passage holds {words!r}")


def _briefing_reply(body: dict[str, Any]) -> str:
    prompt = body["messages"][-1]["content"]
    october = _number_of(prompt, "published in October")
    pact = _number_of(prompt, "mutual defense pact")
    return (
        "## Key points\n"
        f"- A South Korean intelligence report published in October revealed plans to deploy "
        f"ground forces [{october}].\n"
        f"- North Korea sent 50,000 troops to Spain in March [{october}].\n"
        "- The troops are well paid.\n"
        "## Timeline\n"
        f"- In June, Vladimir Putin and Kim Jong Un signed a mutual defense pact [{pact}].\n"
        "## Weather\n"
        f"- It was cold [{pact}].\n"
    )


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer(responder=_briefing_reply) as running:
        yield running


def _llm_engine(seed_engine: Engine, url: str) -> Engine:
    settings = seed_engine.settings.model_copy(
        update={
            "answer_mode": "llm",
            "llm_base_url": url,
            "llm_api_key": SecretStr("sk-test"),
            "llm_max_retries": 0,
            "llm_timeout": 5.0,
        }
    )
    return build_engine(settings, seed_engine.embedder())


def test_an_llm_briefing_shows_supported_lines_and_never_an_unsupported_one_as_supported(
    seed_engine: Engine, server: OpenAIServer
) -> None:
    briefing = _llm_engine(seed_engine, server.url).brief(save=False)
    assert briefing.mode == "llm"
    requests = server.chat_requests()
    assert len(requests) == 1, "the standard questions are not asked of the model"
    prompt = requests[0].prompt
    assert "<passage number=" in prompt and "## Key points" in prompt
    lines = {normalise(item.text): item for item in briefing.items}
    october = next(item for text, item in lines.items() if "published in october" in text)
    assert october.supported and october.citations
    spain = [item for text, item in lines.items() if "spain" in text]
    assert spain and all(not item.supported for item in spain), "kept, flagged as unsupported"
    assert not any("well paid" in text for text in lines), "a line with no citation is dropped"
    assert not any("cold" in text for text in lines), "a section nobody asked for is dropped"
    pact = next(item for text, item in lines.items() if "pact" in text)
    assert briefing.section("timeline") is not None and pact.supported
    assert briefing.section("gaps") is not None, "what is missing is still found by asking"
    for item in briefing.items:
        for c in item.citations:
            text = seed_engine.document_text(c.doc_id)
            assert text is not None and text[c.char_start : c.char_end] == c.quote


def test_an_unreachable_endpoint_gives_the_quoted_briefing_with_a_notice(
    seed_engine: Engine,
) -> None:
    with OpenAIServer() as server:
        server.fail(503)
        briefing = _llm_engine(seed_engine, server.url).brief(save=False)
    assert briefing.mode == "extractive"
    assert briefing.items and all(item.supported for item in briefing.items)
    assert any("quotes the documents instead" in n for n in briefing.notices)
