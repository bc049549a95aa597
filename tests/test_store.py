"""The chunk record: one schema between what ingestion writes and what retrieval reads back."""

from __future__ import annotations

from assistant.engine import Engine
from assistant.store import ChunkRecord

RECORD = ChunkRecord(
    chunk_id="d1:00003",
    text="Army Lt. Col. Charlie Dietz is the spokesperson.",
    doc_id="d1",
    title="A report",
    source="/tmp/report.txt",
    paragraph_start=4,
    paragraph_end=5,
    char_start=120,
    char_end=169,
    content_hash="abc",
    sentence_vectors="AAAA",
)


def test_a_record_round_trips_through_its_metadata() -> None:
    meta = RECORD.metadata()
    assert all(isinstance(v, str | int) for v in meta.values()), "Chroma takes scalars only"
    written_by_llamaindex = {**meta, "_node_content": "{}", "ref_doc_id": "d1", "document_id": "d1"}
    assert ChunkRecord.from_metadata(RECORD.chunk_id, RECORD.text, written_by_llamaindex) == RECORD


def test_a_record_without_sentence_vectors_stores_no_key_for_them() -> None:
    bare = ChunkRecord(**{**RECORD.__dict__, "sentence_vectors": None})
    assert "sentence_vectors" not in bare.metadata()
    assert ChunkRecord.from_metadata(bare.chunk_id, bare.text, bare.metadata()) == bare


def test_both_retrievers_read_back_what_ingestion_wrote(seed_engine: Engine) -> None:
    records = {r.chunk_id: r for r in seed_engine.store.iter_chunks()}
    record = max(records.values(), key=lambda r: len(r.text))
    for mode in ("dense", "bm25"):
        found = seed_engine.retriever.retrieve(record.text, k=3, mode=mode)
        passage = next(p for p in found if p.chunk_id == record.chunk_id)
        expected = record.passage(score=passage.score, scores=passage.scores)
        expected.rank = passage.rank
        assert passage == expected, mode
        assert passage.sentence_vectors == record.sentence_vectors, mode
