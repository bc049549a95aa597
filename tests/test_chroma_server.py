"""Chroma server mode end to end: a real `chroma run` on 127.0.0.1, started and stopped here.

Ingests the seed corpus through the HTTP client, answers with citations, re-ingests without
model work, and checks that a second engine (another process's view) sees the same store.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.engine import build_engine
from assistant.errors import StoreUnavailable
from assistant.models.embedding import Embedder

from .support.chroma_process import chroma_executable, wait_for_heartbeat
from .support.web_helpers import free_port

STARTUP_TIMEOUT = 30.0


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    """A Chroma server on a free local port, persisting under tmp_path; yields the port."""
    executable = chroma_executable()
    if executable is None:
        pytest.skip("the `chroma` executable is absent (pip install chromadb provides it)")
    port = free_port()
    log = (tmp_path / "chroma.log").open("wb")
    process = subprocess.Popen(
        [executable, "run", "--path", str(tmp_path / "server")]
        + ["--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_heartbeat(port, process, STARTUP_TIMEOUT)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_ingest_and_answer_through_a_chroma_server(
    chroma_server: int, make_settings: Callable[..., Settings], embedder: Embedder
) -> None:
    settings = make_settings(chroma_host="127.0.0.1", chroma_port=chroma_server)
    engine = build_engine(settings, embedder)
    report = engine.ingest()
    assert report.added and report.chunks_embedded > 0
    assert not settings.chroma_path.exists(), "server mode must not create an embedded store"

    answer = engine.ask("How many North Korean troops are expected to take part?")
    assert not answer.abstained
    assert "10,000" in answer.text
    cited = answer.citations[0]
    assert engine.document_text(cited.doc_id)[cited.char_start : cited.char_end] == cited.quote

    again = engine.ingest()
    assert again.chunks_embedded == 0 and again.unchanged

    # A second client (as another process would be) sees the same documents and answers.
    other = build_engine(settings, embedder)
    assert [d.doc_id for d in other.documents()] == [d.doc_id for d in engine.documents()]
    assert "Charlie Dietz" in other.ask("Who is the Defense Department spokesperson?").text


def test_an_unreachable_server_is_a_clear_error(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(StoreUnavailable, match="chroma run"):
        build_engine(settings)
