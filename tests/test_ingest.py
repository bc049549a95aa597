"""Ingestion against a real Chroma in a temporary folder: idempotence, edits, pruning, bad files,
and store errors that name the setting to change."""

from __future__ import annotations

import shutil
import socket
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.engine import Engine
from assistant.errors import ModelMismatch, NotIngested, StoreUnavailable
from assistant.store import Store

from .support.paths import SEED_ARTICLE


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEED_ARTICLE, folder / SEED_ARTICLE.name)
    (folder / "note.md").write_text(
        "# Field note\n\nThe convoy left Vladivostok at dawn on a Tuesday.\n", encoding="utf-8"
    )
    return folder


def _chunk_ids(engine: Engine) -> list[str]:
    return [c.chunk_id for c in engine.store.iter_chunks()]


def _assert_consistent(engine: Engine) -> None:
    """Exactly the chunks the document records promise: none missing, none doubled."""
    ids = _chunk_ids(engine)
    assert len(ids) == len(set(ids))
    per_doc = Counter(cid.split(":")[0] for cid in ids)
    docs = engine.store.documents()
    assert per_doc == Counter({doc_id: info.chunks for doc_id, info in docs.items()})


def test_second_run_embeds_nothing(make_engine: Callable[..., Engine], corpus: Path) -> None:
    engine = make_engine(corpus_dir=corpus)
    first = engine.ingest()
    assert len(first.added) == 2 and first.chunks_embedded > 0
    version = engine.store.version()
    second = engine.ingest()
    assert second.chunks_embedded == 0
    assert len(second.unchanged) == 2 and not second.changed
    assert engine.store.version() == version, "an unchanged corpus must not invalidate indexes"
    _assert_consistent(engine)


def test_unchanged_reingest_never_loads_the_model(make_settings, corpus: Path) -> None:
    from assistant.engine import build_engine

    settings = make_settings(corpus_dir=corpus)
    build_engine(settings, None).ingest()  # loads a model of its own
    fresh = build_engine(settings, None)
    report = fresh.ingest()
    assert report.chunks_embedded == 0
    assert fresh._embedder is None


def test_an_edited_file_replaces_its_chunks(
    make_engine: Callable[..., Engine], corpus: Path
) -> None:
    engine = make_engine(corpus_dir=corpus)
    engine.ingest()
    note = corpus / "note.md"
    note.write_text("# Field note\n\nThe convoy reached Khabarovsk by train.\n", encoding="utf-8")
    report = engine.ingest()
    assert report.updated == [str(note)] and len(report.unchanged) == 1
    _assert_consistent(engine)
    answer = engine.ask("Where did the convoy arrive by train?")
    assert any("Khabarovsk by train" in c.quote for c in answer.citations)
    texts = " ".join(c.text for c in engine.store.iter_chunks())
    assert "Vladivostok at dawn" not in texts


def test_a_removed_file_is_pruned_when_its_folder_is_ingested(
    make_engine: Callable[..., Engine], corpus: Path
) -> None:
    engine = make_engine(corpus_dir=corpus)
    engine.ingest()
    (corpus / "note.md").unlink()
    report = engine.ingest()
    assert report.removed == [str(corpus / "note.md")]
    assert len(engine.documents()) == 1
    _assert_consistent(engine)


def test_bad_files_are_skipped_and_named_the_rest_ingested(
    make_engine: Callable[..., Engine], corpus: Path
) -> None:
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02garbage\x00" * 50)
    (corpus / "latin1.txt").write_bytes("Caf\xe9 au lait".encode("latin-1"))
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    engine = make_engine(corpus_dir=corpus)
    report = engine.ingest()
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons.keys() == {"empty.txt", "binary.txt", "latin1.txt", "broken.pdf"}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "PDF" in reasons["broken.pdf"]
    assert len(report.added) == 2


def test_html_is_read_as_text_without_scripts(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Port report</title><script>alert('x')</script></head>"
        "<body><h1>Port report</h1><p>The ferry docked at Rajin harbour at noon.</p></body></html>",
        encoding="utf-8",
    )
    engine = make_engine()
    engine.ingest([page])
    doc = engine.documents()[0]
    assert doc.title == "Port report"
    text = engine.document_text(doc.doc_id) or ""
    assert "Rajin harbour" in text and "alert" not in text


def test_asking_before_ingesting_says_what_to_run(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine()
    with pytest.raises(NotIngested, match="briefing ingest"):
        engine.ask("Who is the spokesperson?")


def test_an_unwritable_data_dir_names_the_setting(make_settings, tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    with pytest.raises(StoreUnavailable, match="BRIEFING_DATA_DIR"):
        Store(make_settings(data_dir=blocker / "data"), "all-MiniLM-L6-v2")


def test_an_unreachable_chroma_server_names_the_setting(make_settings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    with pytest.raises(StoreUnavailable, match="BRIEFING_CHROMA_HOST"):
        Store(make_settings(chroma_host="127.0.0.1", chroma_port=port), "all-MiniLM-L6-v2")


def test_opening_with_another_model_says_how_to_rebuild(make_settings) -> None:
    settings = make_settings()
    Store(settings, "all-MiniLM-L6-v2")
    other = Store(settings, "some-other-model")
    with pytest.raises(ModelMismatch, match="--rebuild"):
        other.chunk_count()
    with pytest.raises(ModelMismatch, match="--rebuild"):
        other.check_model()
    other.drop()  # what --rebuild does: then the store is the new model's
    assert other.chunk_count() == 0
    other.check_model()
    with pytest.raises(ModelMismatch, match="some-other-model"):
        Store(settings, "all-MiniLM-L6-v2").chunk_count()
