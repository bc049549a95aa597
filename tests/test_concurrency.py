"""Many users at once: 20 gradio_client users ask questions for 60 seconds against the app
(a separate process, as `make run` starts it) while a document is uploaded through the
Documents tab and a `briefing ingest` is attempted from the command line. Zero errors, no
answer cites a half-ingested document, and p50/p95 latency is reported
(test-artifacts/concurrency.json).

The store also holds a "half-ingested" document from the start: its chunks were written and
the process died before its record (the commit marker), exactly as a crash leaves it. Its
text answers some of the questions better than anything else, so an answer citing it would
show at once.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from assistant import locking
from assistant.config import Settings
from assistant.engine import build_engine
from assistant.errors import StoreBusy
from assistant.ingest.loaders import load
from assistant.ingest.pipeline import doc_id_for
from assistant.models.embedding import Embedder

from .support.app_process import AppProcess
from .support.generated_notes import Crash, backend_name
from .support.http_upload import upload
from .support.paths import CORPUS, ROOT

USERS = int(os.environ.get("BRIEFING_LOAD_USERS", "20"))
SECONDS = float(os.environ.get("BRIEFING_LOAD_SECONDS", "60"))
ARTIFACTS = ROOT / "test-artifacts"

UPLOAD = (
    "Aldermoor Harbour Works\n\n"
    "The Aldermoor harbour dredging project will cost 14 million euros, the port authority "
    "said on Tuesday. Dredging is planned to start in May and to last eleven weeks.\n\n"
    + "\n\n".join(
        f"Section {i}: the dredgers will work on berth {i} of the Aldermoor harbour for "
        f"{i % 5 + 2} days, and the quay there will stay closed to ferries meanwhile."
        for i in range(1, 61)
    )
    + "\n"
)
HALF = (
    "Zarnow Viaduct Works\n\n"
    "The Zarnow viaduct repair will cost 77 million euros, the county council said. "
    "Repairs to the Zarnow viaduct start in March and are led by engineer Ilse Varga.\n"
)
QUESTIONS = [
    "Who is the Defense Department spokesperson?",
    "How many North Korean troops are expected to take part in the conflict?",
    "Who signed the mutual defense pact between Russia and North Korea?",
    "How much will the Aldermoor harbour dredging cost?",
    "When does the Aldermoor dredging start?",
    "How much will the Zarnow viaduct repair cost?",
    "Who leads the repairs to the Zarnow viaduct?",
    "What colour is the Eiffel Tower?",
]


class _DiesBeforeRecord:
    """The documents collection of a process that dies as it writes a document's record."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        if name == "upsert":
            raise Crash("died before writing the record")
        return getattr(self._real, name)


def _plant_half_ingested(data_dir: Path, folder: Path, embedder: Embedder) -> str:
    """Write a document's chunks and die before its record, as a crashed ingest leaves it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "zarnow-viaduct.txt"
    path.write_text(HALF, encoding="utf-8")
    engine = build_engine(Settings(data_dir=data_dir, corpus_dir=CORPUS), embedder)
    engine.store._docs = _DiesBeforeRecord(engine.store._docs)
    with pytest.raises(Crash):
        engine.ingest([path])
    doc_id = doc_id_for(path)
    assert not any(d == doc_id for d in engine.store.documents()), "it must have no record"
    assert any(c.doc_id == doc_id for c in engine.store.iter_chunks())
    # Its chunks are what the vector search ranks first: only the commit check hides them.
    nearest = engine.retriever.dense.search(QUESTIONS[5], 3)
    assert nearest[0][0].metadata["doc_id"] == doc_id
    return doc_id


class User(threading.Thread):
    def __init__(self, number: int, url: str, until: float) -> None:
        super().__init__(name=f"user-{number}", daemon=True)
        from gradio_client import Client

        self.client = Client(url, verbose=False)
        self.rng = random.Random(number)
        self.until = until
        self.results: list[tuple[float, float, str, dict[str, Any] | None, str]] = []

    def run(self) -> None:
        while time.monotonic() < self.until:
            question = self.rng.choice(QUESTIONS)
            began = time.monotonic()
            try:
                result, error = self.client.predict(question, api_name="/ask"), ""
            except Exception as exc:  # every failure is counted, none stops the user
                result, error = None, f"{type(exc).__name__}: {exc}"
            self.results.append((began, time.monotonic() - began, question, result, error))


def test_twenty_users_for_a_minute_while_a_document_is_uploaded(
    tmp_path: Path, embedder: Embedder
) -> None:
    data = tmp_path / "data"
    half_id = _plant_half_ingested(data, tmp_path / "crashed", embedder)
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "aldermoor-harbour.txt").write_text(UPLOAD, encoding="utf-8")

    env = {"BRIEFING_EMBEDDING_BACKEND": backend_name(embedder)}
    app = AppProcess(data, CORPUS, "--concurrency", "8", env=env).ready()
    try:
        began = time.monotonic()
        users = [User(n, app.url, began + SECONDS) for n in range(USERS)]
        for user in users:
            user.start()
        time.sleep(min(10.0, SECONDS / 6))
        uploaded_at = time.monotonic()
        status = upload(app.url, [outbox / "aldermoor-harbour.txt"])
        committed_at = time.monotonic()
        cli = subprocess.run(
            [sys.executable, "-m", "assistant.cli", "ingest", str(outbox)],
            cwd=ROOT,
            env={**os.environ, "BRIEFING_DATA_DIR": str(data), **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        for user in users:
            user.join(SECONDS + 180)
        assert not any(user.is_alive() for user in users), "a user is still waiting"
        ended = time.monotonic()
    finally:
        app.stop()

    assert "added" in status, status
    assert cli.returncode == 1, cli.stderr
    assert "is serving the data directory" in cli.stderr, cli.stderr
    assert "upload the files through the web app" in cli.stderr, cli.stderr

    results = [r for user in users for r in user.results]
    errors = [(q, e) for _, _, q, _, e in results if e]
    assert not errors, (
        f"{len(errors)} errors, e.g. {errors[:3]}; the app's log:\n{app.output[-8000:]}"
    )
    upload_id = doc_id_for(data / "uploads" / "aldermoor-harbour.txt")
    cited_upload = 0
    upload_text = load(outbox / "aldermoor-harbour.txt", UPLOAD.encode()).text
    for started, latency, question, result, _ in results:
        assert result is not None
        for citation in result["citations"]:
            assert citation["doc_id"] != half_id, f"{question!r} cited a half-ingested document"
            if citation["doc_id"] == upload_id:
                cited_upload += 1
                assert started + latency >= uploaded_at, "cited before it was uploaded"
                quote = upload_text[citation["char_start"] : citation["char_end"]]
                assert citation["quote"] == quote
    assert cited_upload, "no answer cited the uploaded document once it was added"

    latencies = sorted(latency for _, latency, _, _, _ in results)
    figures = {
        "users": USERS,
        "seconds": round(ended - began, 1),
        "requests": len(results),
        "errors": len(errors),
        "p50_s": round(statistics.median(latencies), 3),
        "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
        "max_s": round(latencies[-1], 3),
        "upload_s": round(committed_at - uploaded_at, 1),
        "answers_citing_the_upload": cited_upload,
        "answers_citing_the_half_ingested_document": 0,
        "cli_ingest_refused": True,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "concurrency.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(f"\nconcurrency: {json.dumps(figures)}")


# --- the lock itself -------------------------------------------------------------------------

_HOLD = (
    "import sys, time; from assistant import locking; from assistant.config import Settings; "
    "locking.acquire(Settings(data_dir=sys.argv[1]), locking.INGESTION); print('held', "
    "flush=True); time.sleep(120)"
)


def test_the_app_will_not_start_on_a_folder_an_ingestion_is_writing(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        settings = Settings(data_dir=tmp_path, corpus_dir=CORPUS)
        with pytest.raises(StoreBusy, match=rf"An ingestion .* \(pid {holder.pid}\) is writing"):
            locking.acquire(settings, locking.WEB_APP)
        with pytest.raises(StoreBusy, match="start the web app once it has finished"):
            from assistant.web.serve import launch

            launch(settings, port=1, ingest=False)
        holder.kill()  # a holder that dies, even by SIGKILL, frees the folder
        holder.wait(10)
        path = locking.acquire(settings, locking.WEB_APP)
        assert path is not None
        locking.release(path)
    finally:
        holder.kill()
        holder.wait(10)


def test_the_lock_is_reentrant_in_its_process_and_absent_with_a_chroma_server(
    tmp_path: Path, embedder: Embedder
) -> None:
    settings = Settings(data_dir=tmp_path, corpus_dir=CORPUS)
    path = locking.acquire(settings, locking.WEB_APP)
    try:
        build_engine(settings, embedder).ingest()  # the app's own ingestion runs under it
    finally:
        locking.release(path)
    remote = Settings(data_dir=tmp_path, corpus_dir=CORPUS, chroma_host="127.0.0.1")
    assert locking.acquire(remote, locking.WEB_APP) is None
