"""What keeps warm queries cheap without going stale: the BM25 index cached on disk per store
version, the version read at most once a second, and complete documents known in memory."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.engine import Engine
from assistant.retrieve.bm25 import VERSION_CHECK_S, BM25Index

from .support.paths import SEED_ARTICLE

QUESTIONS = [
    "How many North Korean troops are expected to take part?",
    "Who is the Defense Department spokesperson?",
    "Where were brigades assembled?",
]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEED_ARTICLE, folder / SEED_ARTICLE.name)
    return folder


def _cached_versions(engine: Engine) -> list[Path]:
    folder = engine.settings.data_dir / "cache" / "bm25" / engine.settings.collection
    return [p for p in folder.iterdir() if not p.name.startswith(".")] if folder.is_dir() else []


def _ranking(engine: Engine) -> list[list[str]]:
    return [[p.chunk_id for p in engine.retriever.retrieve(q, mode="bm25")] for q in QUESTIONS]


def test_a_new_process_loads_the_bm25_index_instead_of_rebuilding(
    make_engine: Callable[..., Engine], corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_engine(corpus_dir=corpus)
    first.ingest()
    built = _ranking(first)
    stats = first.retriever.term_stats()
    assert len(_cached_versions(first)) == 1

    second = make_engine(corpus_dir=corpus)

    def no_rebuild(self: BM25Index) -> None:
        raise AssertionError("the cached index should have been loaded")

    monkeypatch.setattr(BM25Index, "_build", no_rebuild)
    assert _ranking(second) == built
    loaded = second.retriever.term_stats()
    assert (loaded.chunks, loaded.df) == (stats.chunks, stats.df)


def test_a_changed_store_replaces_the_cache(
    make_engine: Callable[..., Engine], corpus: Path
) -> None:
    engine = make_engine(corpus_dir=corpus)
    engine.ingest()
    engine.retriever.term_stats()
    before = _cached_versions(engine)
    (corpus / "note.txt").write_text("The ferry to Sakhalin sails on Fridays.\n", encoding="utf-8")
    engine.ingest()
    answer = engine.ask("When does the ferry to Sakhalin sail?")
    assert any("Fridays" in c.quote for c in answer.citations)
    after = _cached_versions(engine)
    assert len(after) == 1 and after != before


def test_a_damaged_cache_is_rebuilt(make_engine: Callable[..., Engine], corpus: Path) -> None:
    engine = make_engine(corpus_dir=corpus)
    engine.ingest()
    built = _ranking(engine)
    (cached,) = _cached_versions(engine)
    (cached / "stats.json").write_text("{not json", encoding="utf-8")
    assert _ranking(make_engine(corpus_dir=corpus)) == built


def test_another_process_ingest_is_seen_within_the_version_check_interval(
    make_engine: Callable[..., Engine], corpus: Path
) -> None:
    reader = make_engine(corpus_dir=corpus)
    reader.ingest()
    assert reader.ask(QUESTIONS[0]).citations
    writer = make_engine(corpus_dir=corpus)  # another process's view of the same store
    (corpus / "note.txt").write_text("The ferry to Sakhalin sails on Fridays.\n", encoding="utf-8")
    writer.ingest()
    time.sleep(VERSION_CHECK_S + 0.1)
    answer = reader.ask("When does the ferry to Sakhalin sail?")
    assert any("Fridays" in c.quote for c in answer.citations)

    doc_id = next(d.doc_id for d in writer.documents() if d.source.endswith("note.txt"))
    writer.delete_document(doc_id)
    time.sleep(VERSION_CHECK_S + 0.1)
    passages = reader.retriever.retrieve("When does the ferry to Sakhalin sail?")
    assert all(p.doc_id != doc_id for p in passages)


def test_a_question_survives_the_bm25_index_growing_under_it(
    make_engine: Callable[..., Engine],
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another question may rebuild the index (after an ingest) between this question's
    check for a newer index and its search: the search must use the new index with the new
    size, never the old index with the new size (bm25s refuses more results than chunks)."""
    engine = make_engine(corpus_dir=corpus)
    engine.ingest()
    assert engine.retriever.retrieve(QUESTIONS[0])
    size_before = engine.retriever.bm25.size
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "harbour.txt").write_text(
        "\n\n".join(f"Berth {i} of the Aldermoor harbour closes for dredging." for i in range(40)),
        encoding="utf-8",
    )
    checked = engine.retriever.bm25.refresh
    rebuilt: list[bool] = []

    def rebuilt_meanwhile() -> None:
        checked()
        if not rebuilt:  # as another question would, right after this one's check
            rebuilt.append(True)
            engine.ingest([extra])
            checked()

    monkeypatch.setattr(engine.retriever.bm25, "refresh", rebuilt_meanwhile)
    after = engine.retriever.retrieve("Which berth of the Aldermoor harbour closes?")
    # the fusion asks BM25 for 20 results: more than the old index held, fewer than the new
    depth = engine.retriever.tuning.depth
    assert rebuilt and size_before < depth < engine.retriever.bm25.size
    assert after and "Aldermoor" in after[0].text
