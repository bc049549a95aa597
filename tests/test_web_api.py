"""The /ask endpoint of a real running app, called with gradio_client, and parallel service."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from gradio_client import Client

from assistant.web.serve import Served

from .support.web_helpers import DIETZ_QUESTION, start_app


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Served]:
    served = start_app(tmp_path_factory.mktemp("web-api") / "data", embedder)
    yield served
    served.close()


@pytest.fixture(scope="module")
def client(live_app: Served) -> Client:
    return Client(live_app.local_url, verbose=False)


def test_ask_returns_the_answer_and_its_citations(live_app: Served, client: Client) -> None:
    result = client.predict(DIETZ_QUESTION, api_name="/ask")
    assert result["abstained"] is False
    assert "Dietz" in result["answer"]
    assert any("Dietz" in c["quote"] for c in result["citations"])
    for citation in result["citations"]:
        text = live_app.engine.document_text(citation["doc_id"])
        assert text[citation["char_start"] : citation["char_end"]] == citation["quote"]
        assert f"[{citation['number']}]" in result["answer"]
        assert citation["title"].startswith("North Korean Troops in Russia")


def test_ask_takes_the_conversation_for_follow_ups(client: Client) -> None:
    history = [
        {"role": "user", "content": DIETZ_QUESTION},
        {"role": "assistant", "content": "Army Lt. Col. Charlie Dietz [1]"},
    ]
    result = client.predict("Did he confirm it?", history, api_name="/ask")
    assert not result["abstained"] and "Dietz" in result["answer"]


def test_ask_says_when_the_documents_do_not_answer(client: Client) -> None:
    result = client.predict("What colour is the Eiffel Tower?", api_name="/ask")
    assert result["abstained"] is True and result["citations"] == []


def test_bad_question_is_a_clear_error(client: Client) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="The question is empty"):
        client.predict("   ", api_name="/ask")
    with pytest.raises(AppError, match="limit is 2,000"):
        client.predict("why " * 1000, api_name="/ask")


def test_several_users_are_served_at_once(
    live_app: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each request waits inside the engine until three are there at once: served one at a time
    # (Gradio's default), the first would wait in vain and the barrier would break.
    barrier = threading.Barrier(3, timeout=20)
    real_ask = live_app.engine.ask

    def ask(*args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        return real_ask(*args, **kwargs)

    monkeypatch.setattr(live_app.engine, "ask", ask)
    clients = [Client(live_app.local_url, verbose=False) for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda c: c.predict(DIETZ_QUESTION, api_name="/ask"), clients))
    assert all("Dietz" in r["answer"] for r in results)
