"""The web app's handlers, called as Gradio calls them, on real engines: chat, bad input, errors,
follow-ups, retry, feedback, export, the source viewer and the document library."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from assistant.engine import Engine
from assistant.web.chat import EMPTY_HINT, ChatApp
from assistant.web.render import GENERIC_ERROR
from assistant.web.startup import Startup

from .support.web_helpers import DIETZ_QUESTION

HARBOUR = (
    "Aldermoor Harbour Works\n\n"
    "The Aldermoor harbour dredging project will cost 14 million euros, the port authority "
    "said on Tuesday. Dredging is planned to start in May and to last eleven weeks.\n\n"
    "Local fishermen worry that the work will disturb the spawning grounds of the bay.\n"
)
HARBOUR_QUESTION = "How much will the Aldermoor harbour dredging cost?"


def no_progress(*_args: Any, **_kwargs: Any) -> None:
    return None


def last(outputs: Any) -> tuple:
    """The final outputs of a streaming handler."""
    steps = list(outputs)
    assert steps
    return steps[-1]


def ask(app: ChatApp, question: str, records: list | None = None) -> list[dict[str, Any]]:
    final = last(app.respond(question, records or []))
    return final[2]


@pytest.fixture
def app(make_engine: Callable[..., Engine]) -> ChatApp:
    """An app on its own store, for tests that change the library or write files."""
    engine = make_engine()
    engine.ingest()
    return ChatApp(engine)


@pytest.fixture
def chat(seed_engine: Engine) -> ChatApp:
    """An app on the shared seed store, for tests that only ask."""
    return ChatApp(seed_engine)


def test_an_answer_streams_then_shows_its_sources(chat: ChatApp) -> None:
    steps = list(chat.respond(DIETZ_QUESTION, []))
    assert steps[0][0] == ""  # the question box is emptied at once
    assert any("ba-streaming" in s[1][-1]["content"] for s in steps if isinstance(s[1], list))
    question, chat, records, hint, export, saved = steps[-1]
    assert chat[0]["role"] == "user" and chat[1]["role"] == "assistant"
    assert "ba-sources" in chat[1]["content"] and "Dietz" in chat[1]["content"]
    assert records == saved and records[0]["answer"]["citations"]
    assert Path(export["value"]).read_text(encoding="utf-8").count("**Sources**") == 1


def test_empty_question_sends_nothing_and_hints(chat: ChatApp) -> None:
    outputs = list(chat.respond("  \n ", []))
    assert len(outputs) == 1
    question, chat, records, hint, *_ = outputs[0]
    assert hint == EMPTY_HINT
    assert all(isinstance(o, type(gr.skip())) for o in (question, chat, records))


def test_too_long_question_keeps_the_text_and_says_why(chat: ChatApp) -> None:
    outputs = list(chat.respond("why " * 600, []))
    assert len(outputs) == 1 and "limit is 2,000" in outputs[0][3]
    assert isinstance(outputs[0][0], type(gr.skip()))  # the text stays, to be shortened


def test_follow_up_uses_the_conversation(chat: ChatApp) -> None:
    records = ask(chat, "What colour is the Eiffel Tower?")  # abstains: no context for later
    records = ask(chat, DIETZ_QUESTION, records)
    records = ask(chat, "Did he confirm it?", records)
    follow_up = records[-1]["answer"]
    assert DIETZ_QUESTION in follow_up["retrieval_query"]
    assert "Eiffel" not in follow_up["retrieval_query"]
    assert not follow_up["abstained"] and "Dietz" in follow_up["text"]
    assert "ba-t2" in records[-1]["html"]  # sources name their own answer


def test_store_error_is_a_message_in_the_chat(make_engine: Callable[..., Engine]) -> None:
    app = ChatApp(make_engine())  # nothing ingested
    records = ask(app, DIETZ_QUESTION)
    assert records[0]["answer"] is None and "ingest" in records[0]["error"].lower()
    assert "ba-error" in records[0]["html"]


def test_unexpected_failure_is_logged_not_shown(
    chat: ChatApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internals at /srv/x.py line 3")

    monkeypatch.setattr(chat.engine, "stream", broken)
    with caplog.at_level(logging.ERROR):
        records = ask(chat, DIETZ_QUESTION)
    assert GENERIC_ERROR in records[0]["error"]
    assert "secret internals" not in records[0]["html"] and "Traceback" not in records[0]["html"]
    assert "secret internals" in caplog.text
    records = ask(chat, DIETZ_QUESTION, records)  # the app goes on; this one fails the same way
    assert len(records) == 2


def test_retry_asks_the_same_question_again(chat: ChatApp) -> None:
    records = ask(chat, "What colour is the Eiffel Tower?")
    records = ask(chat, DIETZ_QUESTION, records)
    final = last(chat.retry(records, gr.RetryData(None, {"index": 3, "value": ""})))
    again = final[2]
    assert [r["question"] for r in again] == [r["question"] for r in records]


def test_feedback_goes_to_the_data_folder(app: ChatApp) -> None:
    records = ask(app, DIETZ_QUESTION)
    app.feedback(records, gr.LikeData(None, {"index": 1, "value": "", "liked": False}))
    path = app.engine.settings.data_dir / "feedback.jsonl"
    entry = json.loads(path.read_text(encoding="utf-8"))
    assert entry["rating"] == "down" and entry["question"] == DIETZ_QUESTION
    assert entry["citations"] and "Dietz" in entry["answer"]


def test_source_viewer_opens_the_cited_passage(chat: ChatApp) -> None:
    records = ask(chat, DIETZ_QUESTION)
    viewer = chat.open_source(records, gr.EventData(None, {"turn": 0, "n": 1}))
    quote = records[0]["answer"]["citations"][0]["quote"]
    assert 'id="ba-cited"' in viewer and quote.split(",")[0] in viewer
    stale = chat.open_source(records, gr.EventData(None, {"turn": 5, "n": 1}))
    assert "no longer shown" in stale


def test_refreshed_page_gets_its_conversation_back(chat: ChatApp) -> None:
    records = ask(chat, DIETZ_QUESTION)
    messages, restored, _export = chat.restore(json.loads(json.dumps(records)))
    assert restored == records and "ba-sources" in messages[1]["content"]
    assert chat.restore([{"nonsense": 1}])[1] == []


def _files(folder: Path, **contents: bytes) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in contents.items():
        path = folder / name.replace("_dot_", ".")
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def test_upload_then_ask_then_delete(app: ChatApp, tmp_path: Path) -> None:
    library = app.library
    paths = _files(
        tmp_path / "incoming",
        harbour_dot_txt=HARBOUR.encode(),
        empty_dot_txt=b"",
        image_dot_md=b"\x89PNG\x00\x00",
        tool_dot_exe=b"MZ",
        latin_dot_txt="caf\u00e9".encode("latin-1"),
    )
    status, cleared, rows, _choice, summary = library.upload(paths, False, progress=no_progress)
    assert "“harbour.txt” added" in status
    for name in ("empty.txt", "image.md", "tool.exe", "latin.txt"):
        assert name in status
    assert "not UTF-8" in status and "2 documents" in summary
    assert sorted(p.name for p in library.uploads.iterdir()) == ["harbour.txt"]
    assert any(row[0] == "Aldermoor Harbour Works" for row in rows)

    records = ask(app, HARBOUR_QUESTION)
    answer = records[0]["answer"]
    assert "14 million euros" in answer["text"]
    assert answer["citations"][0]["title"] == "Aldermoor Harbour Works"

    again, *_ = library.upload(paths[:1], False, progress=no_progress)
    assert "already in the library" in again

    doc_id = answer["citations"][0]["doc_id"]
    message, rows, *_ = library.delete(doc_id)
    assert "Deleted “Aldermoor Harbour Works”" in message
    assert not (library.uploads / "harbour.txt").exists()
    assert all(row[0] != "Aldermoor Harbour Works" for row in rows)
    after = app.engine.ask(HARBOUR_QUESTION)
    assert all(c.doc_id != doc_id for c in after.citations)


def test_reindex_keeps_the_library(app: ChatApp, tmp_path: Path) -> None:
    app.library.upload(_files(tmp_path, h_dot_txt=HARBOUR.encode()), False, progress=no_progress)
    before = [(d.title, d.chunks) for d in app.engine.documents()]
    message, rows, *_ = app.library.reindex(progress=no_progress)
    assert "Re-indexed 2 documents" in message
    assert [(d.title, d.chunks) for d in app.engine.documents()] == before
    assert "14 million" in app.engine.ask(HARBOUR_QUESTION).text


def test_questions_go_on_during_an_upload(app: ChatApp, tmp_path: Path) -> None:
    paths = _files(tmp_path, harbour_dot_txt=HARBOUR.encode())
    failures: list[str] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            records = ask(app, DIETZ_QUESTION)
            if records[0]["answer"] is None or "Dietz" not in records[0]["answer"]["text"]:
                failures.append(records[0]["html"])

    askers = [threading.Thread(target=keep_asking) for _ in range(2)]
    for thread in askers:
        thread.start()
    try:
        status, *_ = app.library.upload(paths, False, progress=no_progress)
    finally:
        stop.set()
        for thread in askers:
            thread.join(30)
    assert "added" in status and not failures
    assert "14 million" in app.engine.ask(HARBOUR_QUESTION).text
    assert len(app.engine.documents()) == 2


def test_while_the_corpus_loads_the_page_says_so(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine()
    startup = Startup(engine)
    app = ChatApp(engine, startup=startup)
    library = app.library_on_load()
    assert "Loading the documents" in next(library)[2]
    answering = app.respond(DIETZ_QUESTION, [])
    next(answering)  # the question goes up
    assert "Loading the documents" in next(answering)[1][-1]["content"]
    startup.start()
    assert next(library)[2].startswith("1 document,")
    records = last(answering)[2]
    assert "Dietz" in records[0]["answer"]["text"]


def test_a_corpus_folder_the_user_named_must_exist(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    """Only the default corpus folder may be absent (an installed package has none)."""
    startup = Startup(make_engine(corpus_dir=tmp_path / "missing")).start()
    assert startup.wait(120)
    assert startup.error and "missing" in startup.error
