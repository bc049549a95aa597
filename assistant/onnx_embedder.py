"""The embedding model on ONNX Runtime: same vectors as sentence-transformers, a fraction of the start-up.

Importing sentence-transformers costs ~6 s, onnxruntime ~0.15 s, so queries run the model from an
ONNX export kept under ``settings.cache_dir``. The export is made once by :func:`export_onnx`
(the only code here that uses torch and transformers, imported inside it); this module must
never import them otherwise: a test checks it.

The exported graph takes ``input_ids`` and ``attention_mask`` (int64, dynamic batch and
sequence axes) and returns ``sentence_embedding``: the mask-weighted mean of the token
embeddings, exactly the model's pooling layer. L2 normalisation happens in numpy.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import re
import tempfile
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .config import Settings
from .errors import ConfigError
from .providers import DEFAULT_MODEL, _QueryCache, model_dir, model_window, offline_env
from .sentence_vectors import pool_spans

if TYPE_CHECKING:
    from tokenizers import Encoding

log = logging.getLogger(__name__)

# Bump when the graph's inputs, outputs or pooling change: older exports are then stale.
EXPORT_FORMAT = 2  # 2: token states as a second output, for sentence vectors
OPSET = 17
BATCH_SIZE = 32
# embed() calls with at least this many texts are bulk work (ingestion): they run on a session
# with a thread per core, while questions keep the session pinned to settings.torch_threads.
# So bulk throughput does not depend on the query-time pinning, and a question never waits
# behind an ingest batch.
BULK_TEXTS = 64
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def _canonical_name(name: str, folder: Path) -> str:
    """The model name the torch backend reports: collections store it, so both must agree."""
    return DEFAULT_MODEL if folder == model_dir(DEFAULT_MODEL) else name


def _model_id(name: str, folder: Path) -> str:
    """A folder name for the export: readable, and unique per local model path."""
    canonical = _canonical_name(name, folder)
    if canonical == DEFAULT_MODEL:
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


def _expected_meta(settings: Settings, folder: Path) -> dict[str, Any]:
    """The fields of export.json that must match for an export to be used."""
    return {
        "format": EXPORT_FORMAT,
        "model": _canonical_name(settings.embedding_model, folder),
        "source": str(folder),
        "source_fingerprint": _fingerprint(folder),
    }


def _stale_reason(settings: Settings) -> str | None:
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
    for key, value in _expected_meta(settings, folder).items():
        if meta.get(key) != value:
            return f"the ONNX export in {onnx_path.parent} is stale ({key} differs)"
    return None


def onnx_available(settings: Settings) -> bool:
    """True when an up-to-date export of the configured model exists (stat and JSON only)."""
    reason = _stale_reason(settings)
    if reason is not None:
        # A stale export is worth a warning (start-up silently gets slower); a missing one is
        # the normal state before `briefing export-onnx`.
        level = logging.WARNING if "stale" in reason else logging.DEBUG
        log.log(level, "ONNX backend unavailable: %s", reason)
    return reason is None


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes files private; the cache is shared, like any file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_onnx(settings: Settings, *, force: bool = False) -> Path:
    """Export the configured embedding model to ONNX once; returns the path of model.onnx.

    Does nothing when an up-to-date export exists (unless ``force``). Needs torch,
    transformers and the ``onnx`` package, which torch's exporter uses to write the file.
    The new file is checked against torch on a padded batch before it replaces the old one,
    so a bad trace never becomes the model the assistant runs.
    """
    offline_env()
    folder = model_dir(settings.embedding_model)
    onnx_path, meta_path = export_paths(settings)
    if not force and onnx_available(settings):
        log.info("ONNX export is up to date: %s", onnx_path)
        return onnx_path
    pooling = folder / "1_Pooling" / "config.json"
    if pooling.is_file() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens"):
        raise ConfigError(
            f"{folder} does not use mean pooling; only mean-pooled models can run on ONNX: "
            "set BRIEFING_EMBEDDING_BACKEND=torch."
        )
    try:
        import onnx  # noqa: F401  - torch's exporter needs it; fail with a clear message
    except ImportError as exc:
        raise ConfigError("Exporting to ONNX needs the `onnx` package: pip install onnx") from exc
    import torch
    import transformers

    transformers.utils.logging.disable_progress_bar()  # keep `briefing export-onnx` output clean
    # Fingerprint the weights before reading them: a model updated during the export is then
    # seen as stale next time rather than silently mislabelled.
    meta = _expected_meta(settings, folder)

    # Eager attention: the SDPA path may skip building the mask when the trace input has no
    # padding, which would bake "no padding" into the graph. float32: a half-precision
    # checkpoint would otherwise export as float16, which is slow on CPU.
    model = transformers.AutoModel.from_pretrained(
        str(folder), attn_implementation="eager", dtype=torch.float32
    )
    model.eval()
    takes_token_types = "token_type_ids" in inspect.signature(model.forward).parameters
    vocab = int(model.config.vocab_size)

    class _MeanPooled(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor
        ) -> tuple[torch.Tensor, torch.Tensor]:
            extra = {}
            if takes_token_types:  # single texts: segment 0 everywhere, as the tokenizer says
                extra["token_type_ids"] = torch.zeros_like(input_ids)
            tokens = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, **extra
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            # Same clamp as sentence-transformers' Pooling layer. The token states are an
            # output too: ingestion pools them per sentence (sentence_vectors.py).
            return (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9), tokens

    wrapper = _MeanPooled(model).eval()
    # A padded trace batch keeps the masking ops in the graph.
    ids = torch.arange(1, 15).reshape(2, 7) % vocab
    mask = torch.ones_like(ids)
    mask[1, 3:] = 0

    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)  # the old metadata must not vouch for a half-made model
    fd, tmp_name = tempfile.mkstemp(dir=onnx_path.parent, prefix=".model.", suffix=".onnx.tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        log.info("Exporting %s to %s", folder, onnx_path)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer chatter about Python-level branches
            torch.onnx.export(
                wrapper,
                (ids, mask),
                str(tmp),
                input_names=["input_ids", "attention_mask"],
                output_names=["sentence_embedding", "token_embeddings"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "sequence"},
                    "attention_mask": {0: "batch", 1: "sequence"},
                    "sentence_embedding": {0: "batch"},
                    "token_embeddings": {0: "batch", 1: "sequence"},
                },
                opset_version=OPSET,
                do_constant_folding=True,
                dynamo=False,  # the dynamo exporter needs onnxscript, which we do not ship
            )
        dim = _verify_export(tmp, wrapper, vocab)
        os.chmod(tmp, 0o644)
        os.replace(tmp, onnx_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    meta.update(
        dim=dim,
        window=model_window(folder),
        opset=OPSET,
        exported_with={"torch": torch.__version__, "transformers": transformers.__version__},
    )
    _atomic_write_text(meta_path, json.dumps(meta, indent=2) + "\n")
    log.info("ONNX export written: %s", onnx_path)
    return onnx_path


def _verify_export(path: Path, reference: Any, vocab: int) -> int:
    """Compare the export with torch on a shape unlike the trace's; returns the vector size."""
    import onnxruntime as ort
    import torch

    rng = np.random.default_rng(0)
    ids = rng.integers(1, vocab, size=(3, 11), dtype=np.int64)
    mask = np.ones_like(ids)
    mask[1, 6:] = 0
    mask[2, 3:] = 0
    ids[mask == 0] = 0
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got, got_tokens = session.run(None, {"input_ids": ids, "attention_mask": mask})
    with torch.no_grad():
        want, want_tokens = (
            t.numpy() for t in reference(torch.from_numpy(ids), torch.from_numpy(mask))
        )
    real = mask.astype(bool)
    error = max(
        float(np.abs(got - want).max()), float(np.abs(got_tokens - want_tokens)[real].max())
    )
    if got.shape != want.shape or error > 1e-3:
        raise RuntimeError(f"ONNX export differs from torch (max abs error {error:.2e})")
    return int(got.shape[1])


class OnnxEmbedder:
    """The embedding model on ONNX Runtime; interchangeable with TorchEmbedder."""

    def __init__(self, settings: Settings, batch_size: int = BATCH_SIZE) -> None:
        offline_env()
        reason = _stale_reason(settings)
        if reason is not None:
            raise ConfigError(f"{reason}: run `briefing export-onnx`.")
        from tokenizers import Tokenizer

        folder = model_dir(settings.embedding_model)
        onnx_path, meta_path = export_paths(settings)
        meta = json.loads(meta_path.read_text())
        self.name = _canonical_name(settings.embedding_model, folder)
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
        self._cache = _QueryCache()

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
        cached = self._cache.get(text)
        if cached is None:
            cached = self.embed([text])[0]
            self._cache.put(text, cached)
        return cached


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
