"""A chunk is embedded and BM25-indexed after its document's title, and shown as its own text.

Two documents whose second chunks name no topic ("He said the plan was dropped"): only the
titles tell them apart. Real Chroma in a temporary folder and the real embedding model; a
store from before titles were embedded is made by writing bare-text vectors and removing the
format it records, which is what such a store holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from llama_index.core.schema import MetadataMode

from assistant.engine import Engine
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import load
from assistant.ingest.vectors import CONTEXT_TOKENS, prefixes
from assistant.models.embedding import Embedder, model_dir, model_window, token_counts
from assistant.retrieve import bm25
from assistant.store import CHUNK_CONTEXT, ChunkRecord, chunk_context, with_context

MODEL = "all-MiniLM-L6-v2"
HARBOUR = "Harbour dredging at Port Elgin"
VACCINE = "Measles vaccine trial in Norbury"
DOCUMENTS = {
    "harbour.txt": (
        f"{HARBOUR}\n\n"
        "The council met on Monday to review the works on the quay, the breakwater and the "
        "channel that fishing boats use at low tide. Officials set out the costs, the timetable "
        "and the contractors bidding for the job, and residents asked questions about noise and "
        "traffic.\n\n"
        "He said the plan was dropped once the second estimate arrived. The money set aside "
        "would not cover it, and nobody wanted to borrow more. A smaller scheme may come back "
        "next year, he added, if a grant is found and the members agree to it.\n"
    ),
    "vaccine.txt": (
        f"{VACCINE}\n\n"
        "Doctors at the clinic began recruiting volunteers in spring, asking parents to bring "
        "their children for two visits a month apart. Nurses took samples, recorded side "
        "effects and followed up by phone, and the first results were due before the end of "
        "the summer.\n\n"
        "She said the plan was dropped when the second supplier pulled out. The budget could "
        "not stretch to a new contract, so the plan was put aside for now. It may return later, "
        "she said, if the board finds the money and the staff to run it.\n"
    ),
}
# Each names the topic of one document, which only that document's title holds besides its
# first chunk. Bare, the vaccine chunk wins both: it says "plan" twice, and the model scores
# the two topic-free chunks alike (0.427 and 0.429 for the harbour question).
QUESTIONS = {
    "harbour.txt": "Why was the harbour dredging plan dropped?",
    "vaccine.txt": "Why was the measles vaccine trial plan dropped?",
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def engine(make_engine: Callable[..., Engine], corpus: Path) -> Engine:
    engine = make_engine(corpus_dir=corpus, answer_mode="extractive")
    engine.ingest()
    return engine


def _topic_free(engine: Engine, name: str) -> ChunkRecord:
    """The document's chunk that names no topic: its second."""
    chunks = sorted(
        (c for c in engine.store.iter_chunks() if Path(c.source).name == name),
        key=lambda c: c.chunk_id,
    )
    assert len(chunks) == 2, "each document is a titled first chunk and a topic-free second"
    return chunks[1]


def _vectors(engine: Engine, records: list[ChunkRecord]) -> np.ndarray:
    stored = engine.store._chunks.get(ids=[r.chunk_id for r in records], include=["embeddings"])
    by_id = dict(zip(stored["ids"], stored["embeddings"]))
    return np.array([by_id[r.chunk_id] for r in records], dtype=np.float32)


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_bm25_finds_the_chunk_that_only_its_title_ties_to_the_topic(
    engine: Engine, name: str
) -> None:
    found = engine.retriever.retrieve(QUESTIONS[name], k=4, mode="bm25")
    assert found[0].chunk_id == _topic_free(engine, name).chunk_id


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_dense_finds_the_chunk_that_only_its_title_ties_to_the_topic(
    engine: Engine, name: str
) -> None:
    found = engine.retriever.retrieve(QUESTIONS[name], k=4, mode="dense")
    assert found[0].chunk_id == _topic_free(engine, name).chunk_id


def test_stored_text_and_offsets_are_the_documents_own(engine: Engine, corpus: Path) -> None:
    settings = engine.settings
    window = min(settings.chunk_size, model_window(model_dir(MODEL))) - 2
    for path in sorted(corpus.iterdir()):
        document = load(path, path.read_bytes())
        chunks = chunk_document(
            document.text, lambda t: token_counts(MODEL, t), window, settings.chunk_overlap
        )
        stored = sorted(
            (c for c in engine.store.iter_chunks() if c.source == str(path)),
            key=lambda c: c.chunk_id,
        )
        # Chunked as before titles were embedded, each chunk a slice of the document.
        assert [(c.char_start, c.char_end) for c in stored] == [
            (c.char_start, c.char_end) for c in chunks
        ]
        for record in stored:
            assert record.text == document.text[record.char_start : record.char_end]
            node = record.node()
            assert node.get_content() == record.text
            assert node.get_content(MetadataMode.EMBED) == with_context(record.context, record.text)
        # The first chunk opens with the title: it is not indexed twice. The second gains it.
        assert stored[0].context == "" and stored[0].text.startswith(document.title)
        assert stored[1].context == document.title
        assert not stored[1].text.startswith(document.title)


def test_answers_and_citations_quote_only_document_text(engine: Engine) -> None:
    answer = engine.ask(QUESTIONS["harbour.txt"])
    assert answer.citations, answer.text
    topic_free = _topic_free(engine, "harbour.txt")
    assert topic_free.chunk_id in {c.chunk_id for c in answer.citations}
    for passage in answer.passages:
        text = engine.document_text(passage.doc_id) or ""
        assert passage.text == text[passage.char_start : passage.char_end]
    for citation in answer.citations:
        text = engine.document_text(citation.doc_id) or ""
        assert citation.quote == text[citation.char_start : citation.char_end]
        if citation.chunk_id == topic_free.chunk_id:
            assert HARBOUR not in citation.quote
    assert f"{HARBOUR}{chr(10) * 2}He said" not in answer.text


def test_the_title_yields_to_the_chunk_in_the_window() -> None:
    def record(text: str, title: str = "Budget talks collapse in the capital") -> ChunkRecord:
        return ChunkRecord("d:00001", text, "d", title, "/tmp/d.txt", 2, 2, 0, len(text))

    window = model_window(model_dir(MODEL)) - 2
    short = record("The talks ended early.")
    full = record(" ".join(["word"] * window))  # fills the window alone
    almost = record(" ".join(["word"] * (window - 3)))  # leaves room for three tokens
    long_title = record("The talks ended early.", title=" ".join(["heading"] * 60))
    found = prefixes([short, full, almost, long_title], MODEL, window)
    assert found[0] == "Budget talks collapse in the capital\n\n"
    assert found[1] == ""
    assert found[2] == "Budget talks collapse\n\n"  # cut at a whole word
    assert token_counts(MODEL, [found[3]])[0] == CONTEXT_TOKENS


@pytest.mark.parametrize(
    ("title", "source", "text", "context"),
    [
        ("Port report", "/c/port.txt", "Port report\n\nThe ferry docked.", ""),
        ("Field note", "/c/note.md", "# Field  note\n\nThe convoy left.", ""),
        ("Port report", "/c/port.html", "The ferry docked at noon.", "Port report"),
        # A file-name title still names a topic; its separators are not part of any word.
        ("budget_2024-draft.v2", "/c/budget_2024-draft.v2.txt", "Totals.", "budget 2024 draft v2"),
    ],
)
def test_which_title_a_chunk_is_indexed_with(
    title: str, source: str, text: str, context: str
) -> None:
    assert chunk_context(title, source, text) == context


def test_the_bm25_cache_is_keyed_by_what_it_indexes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = engine.retriever.bm25
    version = engine.store.version()
    current = index._cache_folder(version)
    monkeypatch.setattr(bm25, "CHUNK_CONTEXT", "another-format")
    assert index._cache_folder(version) != current


def test_a_store_from_before_titles_is_re_embedded_by_the_next_ingest(
    make_engine: Callable[..., Engine],
    corpus: Path,
    embedder: Embedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    old = make_engine(corpus_dir=corpus)
    old.ingest()
    records = sorted(old.store.iter_chunks(), key=lambda c: c.chunk_id)
    # What an older version left: vectors of the bare chunk text, and no format recorded.
    old.store.replace_vectors(records, embedder.embed([r.text for r in records]))
    metadata = old.store._docs_metadata()
    del metadata["chunk_context"]
    old.store._docs.modify(metadata=metadata)

    with caplog.at_level(logging.WARNING):
        engine = make_engine(corpus_dir=corpus)
    assert "without their document's title" in caplog.text and "briefing ingest" in caplog.text
    assert not engine.store.context_current()
    version = engine.store.version()

    # The next ingest, here one that also adds a document, re-embeds what it does not replace.
    (corpus / "ferry.txt").write_text(
        "Ferry timetable\n\nThe first boat leaves at six and the last at ten.\n", encoding="utf-8"
    )
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        report = engine.ingest()
    assert "re-embedding 4 chunks of 2 documents" in caplog.text
    assert len(report.unchanged) == 2 and len(report.added) == 1
    assert report.chunks_embedded == len(records) + 1
    assert engine.store.context_current() and engine.store.version() != version

    after = sorted(
        (c for c in engine.store.iter_chunks() if c.chunk_id in {r.chunk_id for r in records}),
        key=lambda c: c.chunk_id,
    )
    assert [(c.chunk_id, c.text, c.char_start, c.char_end) for c in after] == [
        (c.chunk_id, c.text, c.char_start, c.char_end) for c in records
    ]
    if hasattr(embedder, "embed_with_sentences"):
        assert all(c.sentence_vectors for c in after)
    titled = embedder.embed([with_context(r.context, r.text) for r in records])
    assert np.allclose(_vectors(engine, records), titled, atol=1e-4)
    found = engine.retriever.retrieve(QUESTIONS["harbour.txt"], k=4, mode="dense")
    assert found[0].chunk_id == _topic_free(engine, "harbour.txt").chunk_id

    assert engine.ingest().chunks_embedded == 0, "re-embedded once, then recorded"
    assert engine.store._docs_metadata()["chunk_context"] == CHUNK_CONTEXT
