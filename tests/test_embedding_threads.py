"""Questions run on a session pinned to BRIEFING_TORCH_THREADS; ingestion-sized calls on one with
a thread per core. Both must give the same vectors: one model per collection, always."""

from __future__ import annotations

import os

import numpy as np
import pytest

from assistant.config import Settings
from assistant.models import onnx_runtime


def test_bulk_and_query_sessions_agree_and_are_used_as_intended() -> None:
    settings = Settings(torch_threads=1, embedding_backend="onnx")
    if not onnx_runtime.onnx_available(settings):
        pytest.skip("no ONNX export of the model: run `briefing export-onnx`")
    embedder = onnx_runtime.OnnxEmbedder(settings)
    texts = [
        f"Paragraph {i}: the committee met on day {i} to review the budget." for i in range(80)
    ]

    one_by_one = np.stack([embedder.embed([text])[0] for text in texts[:5]])
    assert embedder._bulk is None or (os.cpu_count() or 1) == 1, "a question built a bulk session"

    bulk = embedder.embed(texts)
    assert embedder._bulk is not None
    if (os.cpu_count() or 1) > 1:
        assert embedder._bulk is not embedder._query
    assert np.abs(bulk[:5] - one_by_one).max() < 1e-5
    assert np.allclose(np.linalg.norm(bulk, axis=1), 1.0, atol=1e-5)
