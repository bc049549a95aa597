"""The embedding model on ONNX Runtime: same vectors as sentence-transformers, a fraction of the start-up.

Importing sentence-transformers costs ~6 s, onnxruntime ~0.15 s, so queries run the model from an
ONNX export kept under ``settings.cache_dir``. The export is made once by onnx_export.py (the
only code that uses torch and transformers for it); this module must never import them: a
test checks it.

The exported graph takes ``input_ids`` and ``attention_mask`` (int64, dynamic batch and
sequence axes) and returns ``sentence_embedding``: the mask-weighted mean of the token
embeddings, exactly the model's pooling layer. L2 normalisation happens in numpy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import Settings
from ..errors import ConfigError
from .embedding import (
    DEFAULT_MODEL,
    QueryCache,
    canonical_name,
    model_dir,
    model_window,
    offline_env,
)
from .sentence_vectors import pool_spans

if TYPE_CHECKING:
    from tokenizers import Encoding

log = logging.getLogger(__name__)

# Bump when the graph's inputs, outputs or pooling change: older exports are then stale.
EXPORT_FORMAT = 2  # 2: token states as a second output, for sentence vectors
BATCH_SIZE = 32
# embed() calls with at least this many texts are bulk work (ingestion): they run on a session
# with a thread per core, while questions keep the session pinned to settings.torch_threads.
# So bulk throughput does not depend on the query-time pinning, and a question never waits
# behind an ingest batch.
BULK_TEXTS = 64
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def _model_id(name: str, folder: Path) -> str:
    """A folder name for the export: readable, and unique per local model path."""
    if canonical_name(name) == DEFAULT_MODEL:
        return DEFAULT_MODEL
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:10]
    return f"{re.sub(r'[^A-Za-z0-9._-]+', '_', folder.name)}-{digest}"


def export_paths(settings: Settings) -> tuple[Path, Path]:
    """(model.onnx, export.json) for the configured embedding model."""
    folder = model_dir(settings.embedding_model)
    base = settings.cache_dir / "onnx" / _model_id(settings.embedding_model, folder)
    return base / "model.onnx", base / "export.json"


def _fingerprint(folder: Path) -> str:
    """Identity of the source weights from size and mtime: stat calls only, so checks stay cheap.

    Re-installing the model package changes the mtime and so forces a (harmless) re-export;
    hashing 90 MB of weights on every start would cost more than it saves.
    """
    parts = []
    for file in (*_WEIGHT_FILES, "config.json"):
        path = folder / file
        if path.is_file():
            stat = path.stat()
            parts.append(f"{file}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def expected_meta(settings: Settings, folder: Path) -> dict[str, Any]:
    """The fields of export.json that must match for an export to be used."""
    return {
        "format": EXPORT_FORMAT,
        "model": canonical_name(settings.embedding_model),
        "source": str(folder),
        "source_fingerprint": _fingerprint(folder),
    }


def stale_reason(settings: Settings) -> str | None:
    """Why the export cannot be used, or None when it is present and matches the model."""
    try:
        folder = model_dir(settings.embedding_model)
    except ConfigError as exc:
        return str(exc)
    onnx_path, meta_path = export_paths(settings)
    if not onnx_path.is_file() or not meta_path.is_file():
        return f"no ONNX export at {onnx_path.parent}"
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as exc:
        return f"unreadable {meta_path}: {exc}"
    for key, value in expected_meta(settings, folder).items():
        if meta.get(key) != value:
            return f"the ONNX export in {onnx_path.parent} is stale ({key} differs)"
    return None


def onnx_available(settings: Settings) -> bool:
    """True when an up-to-date export of the configured model exists (stat and JSON only)."""
    reason = stale_reason(settings)
    if reason is not None:
        # A stale export is worth a warning (start-up silently gets slower); a missing one is
        # the normal state before `briefing export-onnx`.
        level = logging.WARNING if "stale" in reason else logging.DEBUG
        log.log(level, "ONNX backend unavailable: %s", reason)
    return reason is None


class OnnxEmbedder:
    """The embedding model on ONNX Runtime; interchangeable with TorchEmbedder."""

    def __init__(self, settings: Settings, batch_size: int = BATCH_SIZE) -> None:
        offline_env()
        reason = stale_reason(settings)
        if reason is not None:
            raise ConfigError(f"{reason}: run `briefing export-onnx`.")
        from tokenizers import Tokenizer

        folder = model_dir(settings.embedding_model)
        onnx_path, meta_path = export_paths(settings)
        meta = json.loads(meta_path.read_text())
        self.name = canonical_name(settings.embedding_model)
        self.dim = int(meta["dim"])
        self.window = model_window(folder)
        self._batch_size = batch_size

        # tokenizer.json ships with truncation at 128 and fixed padding to 128: replace both,
        # truncating at the window as sentence-transformers does and padding per batch here.
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=self.window)
        self._tokenizer.no_padding()

        self._onnx_path = onnx_path
        # One run at a time per session: a session already uses every thread we allow it.
        self._query = (self._new_session(settings.torch_threads), threading.Lock())
        self._bulk_threads = max(settings.torch_threads, os.cpu_count() or 1)
        self._bulk: tuple[Any, threading.Lock] | None = None
        if self._bulk_threads == settings.torch_threads:
            self._bulk = self._query  # same thread count: one session (and its memory) serves both
        self._bulk_lock = threading.Lock()
        self._queries = QueryCache()

    def _new_session(self, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(
            str(self._onnx_path), options, providers=["CPUExecutionProvider"]
        )

    def _session_for(self, count: int) -> tuple[Any, threading.Lock]:
        """The query session for questions and answer sentences; the bulk one (created on first
        use) for ingestion-sized calls."""
        if count < BULK_TEXTS:
            return self._query
        with self._bulk_lock:
            if self._bulk is None:
                self._bulk = (self._new_session(self._bulk_threads), threading.Lock())
            return self._bulk

    def _run(
        self, encodings: list[Encoding], session: tuple[Any, threading.Lock], outputs: list[str]
    ) -> list[np.ndarray]:
        """The named outputs for one batch, padded to its longest member."""
        width = max(len(enc.ids) for enc in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        runner, lock = session
        with lock:
            return runner.run(outputs, {"input_ids": ids, "attention_mask": mask})

    def _batches(self, texts: list[str]) -> Iterator[tuple[np.ndarray, list[Encoding], Any]]:
        """(rows, encodings, session) per model batch. Texts of similar length are batched
        together so little compute goes to padding; rows say where each result belongs."""
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.array([len(enc.ids) for enc in encodings])
        order = np.argsort(-lengths, kind="stable")
        session = self._session_for(len(texts))
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            yield rows, [encodings[i] for i in rows], session

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        for rows, encodings, session in self._batches(texts):
            (vectors[rows],) = self._run(encodings, session, ["sentence_embedding"])
        return _unit(vectors)

    def embed_with_sentences(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """embed(), plus unit vectors of the given character spans of each text (its sentences),
        mean-pooled from the same run's token states: no extra model work."""
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        pooled: list[np.ndarray] = [np.empty((0, self.dim), dtype=np.float32)] * len(texts)
        for rows, encodings, session in self._batches(texts):
            outputs = ["sentence_embedding", "token_embeddings"]
            vectors[rows], tokens = self._run(encodings, session, outputs)
            for row, encoding, states in zip(rows, encodings, tokens):
                pooled[row] = pool_spans(states, encoding.offsets, spans[row])
        return _unit(vectors), pooled

    def embed_query(self, text: str) -> np.ndarray:
        return self._queries.vector(text, self.embed)


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
