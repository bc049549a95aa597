"""Dependency faults: the Chroma server going down or restarting mid-conversation (also in the
middle of an ingest), and the LLM endpoint down or slow. Each gives a clear message while it
lasts, the app recovers by itself once the dependency is back, and no data is lost."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from gradio_client import Client
from gradio_client.exceptions import AppError

from assistant.config import Settings
from assistant.engine import build_engine
from assistant.errors import StoreUnavailable
from assistant.models.embedding import Embedder
from assistant.web.serve import launch, serve_command

from .support.chroma_process import chroma_executable, wait_for_heartbeat
from .support.generated_notes import write_corpus
from .support.openai_server import Hang, OpenAIServer, _handler_for
from .support.paths import CORPUS
from .support.store_checks import check_store
from .support.web_helpers import DIETZ_QUESTION, free_port

FOLLOW_UP = "Did he confirm it?"


class ChromaServer:
    """`chroma run` on a fixed port and folder, so it can be stopped and started again."""

    def __init__(self, folder: Path) -> None:
        executable = chroma_executable()
        if executable is None:
            pytest.skip("the `chroma` executable is absent (pip install chromadb provides it)")
        self.command = [executable, "run", "--path", str(folder), "--host", "127.0.0.1"]
        self.port = free_port()
        self.log = folder.with_suffix(".log")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ChromaServer:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*self.command, "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT
            )
        wait_for_heartbeat(self.port, self.process, 30)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-server").start()
    yield server
    server.stop()


def test_a_chroma_server_restart_mid_conversation(
    chroma: ChromaServer, tmp_path: Path, embedder: Embedder
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        corpus_dir=CORPUS,
        chroma_host="127.0.0.1",
        chroma_port=chroma.port,
    )
    served = launch(settings, port=free_port(), embedder=embedder, quiet=True)
    try:
        assert served.startup.wait(120) and served.startup.error is None, served.startup.error
        client = Client(served.local_url, verbose=False)
        first = client.predict(DIETZ_QUESTION, api_name="/ask")
        assert "Dietz" in first["answer"]
        documents = [d.doc_id for d in served.engine.documents()]

        chroma.stop()
        began = time.perf_counter()
        with pytest.raises(AppError, match="Chroma server .* cannot be reached.*as soon as"):
            client.predict(DIETZ_QUESTION, api_name="/ask")
        assert time.perf_counter() - began < 30
        with pytest.raises(StoreUnavailable):
            served.engine.documents()  # the Documents tab shows the same message

        chroma.start()
        history = [
            {"role": "user", "content": DIETZ_QUESTION},
            {"role": "assistant", "content": first["answer"]},
        ]
        again = client.predict(FOLLOW_UP, history, api_name="/ask")
        assert "Dietz" in again["answer"]
        assert client.predict(DIETZ_QUESTION, api_name="/ask") == first
        assert [d.doc_id for d in served.engine.documents()] == documents
    finally:
        served.close()


def test_a_chroma_server_lost_mid_ingest_loses_nothing(
    chroma: ChromaServer, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.ingest.pipeline as pipeline

    monkeypatch.setattr(pipeline, "BATCH_CHUNKS", 12)
    folder = tmp_path / "notes"
    write_corpus(folder, 30, 11)
    settings = Settings(
        data_dir=tmp_path / "data",
        corpus_dir=folder,
        chroma_host="127.0.0.1",
        chroma_port=chroma.port,
    )
    engine = build_engine(settings, embedder)
    stopped: list[int] = []

    def stop_half_way(done: int, total: int, _: str) -> None:
        if not stopped and done >= total // 2:
            stopped.append(done)
            chroma.stop()

    with pytest.raises(StoreUnavailable, match="cannot be reached"):
        engine.ingest(progress=stop_half_way)
    chroma.start()
    report = engine.ingest()  # the same engine: its client reconnects
    assert report.added and not report.skipped
    check_store(engine, sorted(folder.glob("*.txt")), sample=4)
    assert len(engine.documents()) == 30


def test_the_app_will_not_start_without_its_chroma_server(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        serve_command,
        ["--port", str(free_port())],
        env={
            "BRIEFING_DATA_DIR": str(tmp_path),
            "BRIEFING_CHROMA_HOST": "127.0.0.1",
            "BRIEFING_CHROMA_PORT": str(free_port()),
        },
    )
    assert result.exit_code == 1
    assert "Cannot reach the Chroma server" in result.output and "chroma run" in result.output


# --- the LLM endpoint -------------------------------------------------------------------------


class Endpoint(OpenAIServer):
    """The test server on a port chosen by the test, so it can go away and come back there."""

    def __init__(self, port: int, responder: Any) -> None:
        super().__init__(responder=responder)
        self._httpd.server_close()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)


def _cites_dietz(body: dict[str, Any]) -> str:
    """A well-behaved model: cites the passage that names the spokesperson."""
    prompt = body["messages"][-1]["content"]
    for number, text in re.findall(
        r'<passage number="(\d+)"[^>]*>\n(.*?)\n</passage>', prompt, re.S
    ):
        if "Charlie Dietz" in text:
            return f"The Defense Department spokesperson is Army Lt. Col. Charlie Dietz [{number}]."
    return "The documents do not answer this question."


def test_the_llm_endpoint_down_slow_and_back(tmp_path: Path, embedder: Embedder) -> None:
    port = free_port()
    settings = Settings(
        data_dir=tmp_path / "data",
        corpus_dir=CORPUS,
        answer_mode="llm",
        llm_base_url=f"http://127.0.0.1:{port}/v1",
        llm_api_key="sk-test-faults-0123456789",
        llm_timeout=3.0,
        llm_max_retries=1,
    )
    served = launch(settings, port=free_port(), embedder=embedder, quiet=True)
    try:
        assert served.startup.wait(120) and served.startup.error is None
        client = Client(served.local_url, verbose=False)

        def ask() -> tuple[dict[str, Any], float]:
            began = time.perf_counter()
            result = client.predict(DIETZ_QUESTION, api_name="/ask")
            return result, time.perf_counter() - began

        with Endpoint(port, _cites_dietz):
            written, _ = ask()
        assert written["notice"] is None and written["answer"].startswith("The Defense")

        down, seconds = ask()  # nothing listens on the port now
        assert "could not be reached" in down["notice"] and "Dietz" in down["answer"]
        assert down["citations"] and seconds < 20

        with Endpoint(port, lambda _: Hang(60)):
            slow, seconds = ask()
        assert "did not answer within 3 seconds" in slow["notice"], slow["notice"]
        assert "Dietz" in slow["answer"]
        assert seconds < 2 * 3.0 + 15  # (1 + retries) x timeout, plus the work itself

        with Endpoint(port, _cites_dietz):
            back, _ = ask()
        assert back == written  # recovered by itself: no restart, the same answer
        assert len(served.engine.documents()) == 1
    finally:
        served.close()
