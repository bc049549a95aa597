"""Exporting the embedding model to ONNX: tooling, kept apart from the runtime.

`briefing export-onnx` (and `make setup`) runs it once; the export lands under
``settings.cache_dir`` where onnx_runtime.py finds it. This is the only code that needs torch,
transformers and the ``onnx`` package for the export, all imported inside the functions.

The exported graph takes ``input_ids`` and ``attention_mask`` (int64, dynamic batch and
sequence axes) and returns ``sentence_embedding`` (the mask-weighted mean of the token
embeddings, exactly the model's pooling layer) and ``token_embeddings``.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Settings
from ..errors import ConfigError
from .embedding import model_dir, model_window, offline_env
from .onnx_runtime import expected_meta, export_paths, onnx_available

log = logging.getLogger(__name__)

OPSET = 17


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
    meta = expected_meta(settings, folder)

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
