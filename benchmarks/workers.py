"""Measurements of the Briefing Assistant, one per fresh process (run by benchmarks/run.py).

    python benchmarks/workers.py PHASE '{"json": "arguments"}'

Phases: raw_onnx and raw_torch (the embedding model alone on the ingest's own chunks), ingest,
reingest, query. Each prints one JSON line with its figures and the process's peak memory.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from common import latency, proc_memory_mb, read_questions, source_recall, worker_main


def _settings(data_dir: str | None = None, chroma_port: int | None = None, **extra: Any) -> Any:
    from assistant.config import Settings

    values: dict[str, Any] = dict(extra)
    if data_dir:
        values["data_dir"] = Path(data_dir)
    if chroma_port:
        values |= {"chroma_host": "127.0.0.1", "chroma_port": chroma_port}
    return Settings(**values)


def chunk_texts(paths: list[str]) -> list[str]:
    """The texts ingestion embeds for these paths: the pipeline's own loader and chunker, each
    chunk after its document's title cut to the room it leaves, as ingest/vectors.py does."""
    import functools
    from types import SimpleNamespace

    from assistant.ingest.chunking import chunk_document
    from assistant.ingest.loaders import Unreadable, load
    from assistant.ingest.pipeline import find_files, token_windows
    from assistant.ingest.vectors import prefixes
    from assistant.models.embedding import token_counts
    from assistant.store import chunk_context
    from assistant.types import IngestReport

    settings = _settings()
    count_tokens = functools.partial(token_counts, settings.embedding_model)
    chunk_window, window = token_windows(settings)
    files, _ = find_files([Path(p) for p in paths], IngestReport())
    chunks = []
    for path in files:
        try:
            document = load(path, path.read_bytes())
        except (OSError, Unreadable):
            continue
        found = chunk_document(document.text, count_tokens, chunk_window, settings.chunk_overlap)
        for chunk in found:
            text = document.text[chunk.char_start : chunk.char_end]
            context = chunk_context(document.title, str(path), text)
            chunks.append(SimpleNamespace(text=text, context=context))
    heads = prefixes(chunks, settings.embedding_model, window)  # type: ignore[arg-type]
    return [head + chunk.text for head, chunk in zip(heads, chunks)]


def _sample(texts: list[str], sample: int | None) -> list[str]:
    """An evenly spaced, deterministic sample (all texts when sample is None)."""
    if not sample or sample >= len(texts):
        return texts
    step = len(texts) / sample
    return [texts[int(i * step)] for i in range(sample)]


def _tokens(texts: list[str]) -> int:
    from assistant.models.embedding import load_tokenizer

    tokenizer = load_tokenizer(_settings().embedding_model)
    return sum(min(len(e.ids), 256) for e in tokenizer.encode_batch(texts))


def raw_onnx(paths: list[str], sample: int | None = None) -> dict[str, Any]:
    """The ONNX model alone: every chunk in one embed() call (sorted by length, batched)."""
    from assistant.models.build import build_embedder
    from assistant.models.onnx_runtime import BULK_TEXTS

    texts = _sample(chunk_texts(paths), sample)
    began = time.perf_counter()
    embedder = build_embedder(_settings(embedding_backend="onnx"))
    # Creates the bulk session, and grows its memory to the longest batch, untimed.
    embedder.embed(sorted(texts, key=len)[-BULK_TEXTS:])
    load_s = time.perf_counter() - began
    began = time.perf_counter()
    embedder.embed(texts)
    seconds = time.perf_counter() - began
    return {
        "runtime": "onnxruntime",
        "texts": len(texts),
        "tokens": _tokens(texts),
        "load_s": round(load_s, 2),
        "seconds": round(seconds, 2),
        "texts_per_s": round(len(texts) / seconds, 2),
    }


def raw_torch(paths: list[str], sample: int | None = None, threads: int = 2) -> dict[str, Any]:
    """The same model on sentence-transformers (torch), as the naive pipeline runs it; also
    how far its vectors are from the ONNX backend's."""
    import numpy as np

    texts = _sample(chunk_texts(paths), sample)
    began = time.perf_counter()
    import torch
    from sentence_transformers import SentenceTransformer

    from assistant.models.embedding import DEFAULT_MODEL, model_dir

    torch.set_num_threads(threads)
    model = SentenceTransformer(str(model_dir(DEFAULT_MODEL)), device="cpu")
    model.encode(texts[:4])
    load_s = time.perf_counter() - began
    began = time.perf_counter()
    vectors = model.encode(texts, batch_size=32, normalize_embeddings=True)
    seconds = time.perf_counter() - began
    difference = None
    try:
        from assistant.models.build import build_embedder

        onnx = build_embedder(_settings(embedding_backend="onnx")).embed(texts[:64])
        difference = float(np.abs(onnx - vectors[:64]).max())
    except Exception as exc:  # the ONNX export may be absent: the torch figure still stands
        difference = f"not compared: {exc}"  # type: ignore[assignment]
    return {
        "runtime": "torch",
        "texts": len(texts),
        "load_s": round(load_s, 2),
        "seconds": round(seconds, 2),
        "texts_per_s": round(len(texts) / seconds, 2),
        "max_abs_diff_vs_onnx": difference,
    }


def ingest(
    data_dir: str,
    paths: list[str],
    extra_paths: list[str] | None = None,
    chroma_port: int | None = None,
    reingest_reps: int = 3,
) -> dict[str, Any]:
    """A fresh store: ingest `paths` (then `extra_paths`), then re-ingest `paths` unchanged."""
    began = time.perf_counter()
    from assistant.engine import build_engine

    engine = build_engine(_settings(data_dir, chroma_port))
    open_s = time.perf_counter() - began
    began = time.perf_counter()
    embedder = engine.embedder()
    load_s = time.perf_counter() - began

    spent = [0.0]

    def timed(call: Any) -> Any:
        def wrapper(*args: Any) -> Any:
            start = time.perf_counter()
            try:
                return call(*args)
            finally:
                spent[0] += time.perf_counter() - start

        return wrapper

    # The model's share of the ingest: plain embed() and, where the backend has it, the call
    # that also pools sentence vectors from the same run.
    embedder.embed = timed(embedder.embed)  # type: ignore[method-assign]
    if hasattr(embedder, "embed_with_sentences"):
        embedder.embed_with_sentences = timed(embedder.embed_with_sentences)
    report = engine.ingest([Path(p) for p in paths])
    seconds = report.seconds
    result: dict[str, Any] = {
        "documents": len(report.added),
        "skipped": len(report.skipped),
        "chunks": report.chunks_embedded,
        "open_s": round(open_s, 2),
        "model_load_s": round(load_s, 2),
        "seconds": round(seconds, 2),
        "total_s": round(open_s + load_s + seconds, 2),
        "chunks_per_s": round(report.chunks_embedded / seconds, 2),
        "embed_share": round(spent[0] / seconds, 3),
    }
    if extra_paths:
        extra = engine.ingest([Path(p) for p in extra_paths])
        result["extra"] = {
            "documents": len(extra.added),
            "chunks": extra.chunks_embedded,
            "seconds": round(extra.seconds, 2),
            "chunks_per_s": round(extra.chunks_embedded / extra.seconds, 2),
        }
    again = []
    for _ in range(reingest_reps):
        report = engine.ingest([Path(p) for p in paths])
        assert report.chunks_embedded == 0, "an unchanged corpus was embedded again"
        again.append(report.seconds)
    result["reingest_in_process_s"] = [round(s, 3) for s in again]
    return result


def reingest(data_dir: str, paths: list[str], chroma_port: int | None = None) -> dict[str, Any]:
    """A new process re-ingests an unchanged corpus: what `briefing ingest` costs when nothing
    changed (opening the store, hashing every file), and whether the model was loaded."""
    began = time.perf_counter()
    from assistant.engine import build_engine

    engine = build_engine(_settings(data_dir, chroma_port))
    report = engine.ingest([Path(p) for p in paths])
    return {
        "seconds": round(time.perf_counter() - began, 3),
        "ingest_s": round(report.seconds, 3),
        "unchanged": len(report.unchanged),
        "chunks_embedded": report.chunks_embedded,
        "model_loaded": engine._embedder is not None,
    }


def query(
    data_dir: str | None,
    questions: str,
    chroma_port: int | None = None,
    limit: int | None = None,
    k: int | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """Warm `ask` latency (each question new to the process), its retrieval part, a repeat
    pass with every cache warm, and source recall at 3 and at k for questions with sources."""
    began = time.perf_counter()
    from assistant.engine import build_engine

    extra = ({"top_k": k} if k else {}) | ({"torch_threads": threads} if threads else {})
    settings = _settings(data_dir, chroma_port, **extra)
    engine = build_engine(settings)
    engine.warm_up()
    warm_s = time.perf_counter() - began
    rows = read_questions(Path(questions), limit)
    asked, retrieved, repeat, recall3, recallk, abstained = [], [], [], [], [], 0
    for row in rows:
        start = time.perf_counter()
        answer = engine.ask(row["question"])
        asked.append(time.perf_counter() - start)
        retrieved.append(answer.timings["retrieve"])
        abstained += answer.abstained
        texts = [p.text for p in answer.passages]
        if row.get("sources"):
            recall3.append(source_recall(texts[:3], row["sources"]))
            recallk.append(source_recall(texts, row["sources"]))
    for row in rows:
        start = time.perf_counter()
        engine.ask(row["question"])
        repeat.append(time.perf_counter() - start)
    memory = proc_memory_mb(os.getpid())
    return {
        "mode": "server" if chroma_port else "embedded",
        "questions": len(rows),
        "chunks": engine.store.chunk_count(),
        "start_and_warm_up_s": round(warm_s, 2),
        "ask": latency(asked),
        "retrieve": latency(retrieved),
        "ask_repeat": latency(repeat),
        "abstained": abstained,
        "with_sources": len(recallk),
        "source_recall_at_3": round(sum(recall3) / len(recall3), 4) if recall3 else None,
        "source_recall_at_k": round(sum(recallk) / len(recallk), 4) if recallk else None,
        "top_k": settings.top_k,
        "rss_mb": memory["rss_mb"],
    }


if __name__ == "__main__":
    worker_main(
        {
            "raw_onnx": raw_onnx,
            "raw_torch": raw_torch,
            "ingest": ingest,
            "reingest": reingest,
            "query": query,
        }
    )
