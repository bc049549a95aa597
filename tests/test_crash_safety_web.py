"""Crash safety of the web app: an upload cut short by a server stop (SIGKILL, mid-ingest) is
completed when the app starts again, and the store then holds every document once, whole."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

from assistant.config import Settings
from assistant.engine import build_engine
from assistant.models.embedding import Embedder

from .support.generated_notes import SEED, backend_name, write_corpus
from .support.store_checks import check_store


def test_an_upload_cut_short_by_a_server_stop_is_completed_at_the_next_start(
    tmp_path: Path, embedder: Embedder
) -> None:
    import httpx
    from gradio_client import Client

    from .support.app_process import AppProcess
    from .support.http_upload import upload_events

    corpus, outbox, data = tmp_path / "corpus", tmp_path / "outbox", tmp_path / "data"
    write_corpus(corpus, 2, SEED)
    facts = write_corpus(outbox, 24, SEED + 2)
    files = sorted(outbox.glob("*.txt"))
    env = {"BRIEFING_EMBEDDING_BACKEND": backend_name(embedder)}
    rng = random.Random(SEED + 3)
    fraction, extra = rng.uniform(0.2, 0.7), rng.uniform(0.0, 0.3)

    app = AppProcess(data, corpus, batch=6, env=env).ready()
    stopped_at = None
    try:
        for message in upload_events(app.url, files, timeout=120):
            progress = (message.get("progress_data") or [{}])[0]
            done, total = progress.get("index") or 0, progress.get("length") or 0
            if message.get("msg") == "progress" and total and done >= fraction * total:
                stopped_at = (done, total)
                time.sleep(extra)
                app.kill()
                break
    except httpx.HTTPError:
        pass  # the server went away mid-stream
    finally:
        app.kill()
    assert stopped_at, f"the upload finished before the stop:\n{app.output[-2000:]}"

    inspect = tmp_path / "inspect"  # a copy: this process must not keep the store open
    shutil.copytree(data, inspect)
    half = build_engine(Settings(data_dir=inspect, corpus_dir=corpus), embedder)
    uploads = data / "uploads"
    committed = sum(1 for d in half.store.documents().values() if "/uploads/" in d.source)
    assert committed < len(files), "the stop came after the whole upload was committed"
    assert not list(uploads.glob(".*")), "a half-copied upload was left behind"

    again = AppProcess(data, corpus, env=env).ready()
    try:
        last = facts[files[-1].name]
        result = Client(again.url, verbose=False).predict(
            f"How much will the {last['project']} of {last['place']} cost?", api_name="/ask"
        )
    finally:
        again.stop()
    assert f"{last['cost']} million euros" in result["answer"], result
    assert result["citations"][0]["source"] == files[-1].name

    settings = Settings(data_dir=data, corpus_dir=corpus)
    expected = sorted(corpus.glob("*.txt")) + sorted(uploads.glob("*.txt"))
    figures = check_store(build_engine(settings, embedder), expected, sample=4)
    assert figures.documents == 2 + len(files)
    for f in files:
        assert (uploads / f.name).read_bytes() == f.read_bytes()
    print(
        f"\nweb upload stopped at {stopped_at[0]}/{stopped_at[1]} chunks with {committed} of "
        f"{len(files)} files committed; after the restart all {figures.documents} documents "
        f"({figures.chunks} chunks) are whole"
    )
