"""The ONNX backend must give the torch backend's vectors, in order, and start without torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.models.onnx_export import export_onnx
from assistant.models.onnx_runtime import OnnxEmbedder, export_paths, onnx_available

# Model code is imported lazily (inside the fixtures), so this still comes first.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
MODEL = "all-MiniLM-L6-v2"

LONG_A = "The committee reviewed the annual budget and the staffing plan in detail. " * 40
TEXTS = [
    "budget",
    "What is the deadline for the grant application?",
    "",
    "   ",
    "Q3 revenue rose 12% year-on-year to $4.2bn.",
    "Le comité a approuvé le budget révisé pour l'année prochaine.",
    "Der Ausschuss hat den überarbeiteten Haushalt genehmigt.",
    "東京の会議は来週に延期されました。",
    "Встреча перенесена на следующую неделю.",
    "Emoji 🚀🔥 and symbols ∑ ∞ ≠ → ©",
    "naïve café résumé façade coöperate",
    "The quick brown fox jumps over the lazy dog.",
    "Section 4.2(b): the contractor shall indemnify the client against all claims.",
    "def embed(texts): return model.encode(texts)",
    "a" * 2000,
    LONG_A,
    " ".join(f"token{i}" for i in range(600)),
    (
        "Minutes of the meeting held on 3 March. Present: A. Smith, B. Jones. Apologies: none. "
        "Item 1: the board agreed to postpone the office move until the lease is renegotiated."
    ),
    "\n\nline one\n\tline two\r\nline three",
    "UPPER CASE TEXT SHOULD MATCH lower case text after normalisation",
]


def _settings(cache_dir: Path) -> Settings:
    return Settings(cache_dir=cache_dir, embedding_model=MODEL, torch_threads=2)


@pytest.fixture(scope="session")
def onnx_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One export for the whole session: it takes several seconds."""
    settings = _settings(tmp_path_factory.mktemp("cache"))
    export_onnx(settings)
    return settings


@pytest.fixture(scope="session")
def onnx_embedder(onnx_settings: Settings) -> OnnxEmbedder:
    return OnnxEmbedder(onnx_settings)


@pytest.fixture(scope="session")
def torch_embedder():  # type: ignore[no-untyped-def]
    from assistant.models.torch_embedder import TorchEmbedder

    return TorchEmbedder(MODEL, threads=2)


def _copy_export(source: Settings, target_cache: Path) -> Settings:
    """A second cache holding the same export (model.onnx symlinked: it is 90 MB)."""
    target = _settings(target_cache)
    onnx_path, meta_path = export_paths(source)
    new_onnx, new_meta = export_paths(target)
    new_onnx.parent.mkdir(parents=True)
    new_onnx.symlink_to(onnx_path)
    new_meta.write_text(meta_path.read_text())
    return target


def test_export_is_available_and_reused(onnx_settings: Settings) -> None:
    onnx_path, meta_path = export_paths(onnx_settings)
    assert onnx_available(onnx_settings)
    assert onnx_path == onnx_settings.cache_dir / "onnx" / MODEL / "model.onnx"
    meta = json.loads(meta_path.read_text())
    assert meta["model"] == MODEL and meta["dim"] == 384
    mtime = onnx_path.stat().st_mtime_ns
    assert export_onnx(onnx_settings) == onnx_path
    assert onnx_path.stat().st_mtime_ns == mtime, "an up-to-date export must not be redone"
    assert not [p for p in onnx_path.parent.iterdir() if p.name.endswith(".tmp")]


def test_matches_torch_backend(onnx_embedder: OnnxEmbedder, torch_embedder) -> None:  # type: ignore[no-untyped-def]
    assert onnx_embedder.name == torch_embedder.name == MODEL
    assert onnx_embedder.dim == torch_embedder.dim == 384
    assert onnx_embedder.window == torch_embedder.window == 256
    ours = onnx_embedder.embed(TEXTS)
    reference = torch_embedder.embed(TEXTS)
    assert ours.dtype == np.float32 and ours.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() >= 0.999, dict(zip(TEXTS, cosines.round(5), strict=True))


def test_long_texts_are_truncated_at_the_window(onnx_embedder: OnnxEmbedder) -> None:
    encoding = onnx_embedder._tokenizer.encode(LONG_A)
    assert len(encoding.ids) == 256
    # Text past the window must not change the vector: both backends read 256 tokens only.
    a, b = onnx_embedder.embed([LONG_A, LONG_A + " Completely different ending about cats."])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_batch_order_is_preserved(onnx_settings: Settings) -> None:
    # A tiny batch size forces several length-sorted batches over mixed lengths.
    embedder = OnnxEmbedder(onnx_settings, batch_size=3)
    texts = TEXTS[::-1] + TEXTS[:5]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([text])[0] for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)


def test_embed_query_is_cached_and_thread_safe(onnx_embedder: OnnxEmbedder) -> None:
    first = onnx_embedder.embed_query("When is the board meeting?")
    assert onnx_embedder.embed_query("When is the board meeting?") is first
    np.testing.assert_allclose(
        first, onnx_embedder.embed(["When is the board meeting?"])[0], atol=1e-6
    )

    expected = onnx_embedder.embed(TEXTS)
    results: list[np.ndarray] = []
    threads = [
        threading.Thread(target=lambda: results.append(onnx_embedder.embed(TEXTS)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    for result in results:
        np.testing.assert_allclose(result, expected, atol=1e-6)


def test_missing_export_is_unavailable(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert not onnx_available(settings)
    with pytest.raises(ConfigError, match="export-onnx"):
        OnnxEmbedder(settings)


def test_export_without_model_file_is_unavailable(onnx_settings: Settings, tmp_path: Path) -> None:
    settings = _copy_export(onnx_settings, tmp_path)
    assert onnx_available(settings)
    export_paths(settings)[0].unlink()
    assert not onnx_available(settings)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("source_fingerprint", "0" * 64),  # the weights changed since the export
        ("model", "another-model"),
        ("format", 0),  # an export made by an older version of this module
    ],
)
def test_stale_export_is_unavailable(
    onnx_settings: Settings, tmp_path: Path, key: str, value: object
) -> None:
    settings = _copy_export(onnx_settings, tmp_path)
    meta_path = export_paths(settings)[1]
    meta = json.loads(meta_path.read_text())
    meta[key] = value
    meta_path.write_text(json.dumps(meta))
    assert not onnx_available(settings)
    with pytest.raises(ConfigError, match="stale"):
        OnnxEmbedder(settings)


def test_corrupt_metadata_is_unavailable(onnx_settings: Settings, tmp_path: Path) -> None:
    settings = _copy_export(onnx_settings, tmp_path)
    export_paths(settings)[1].write_text("{not json")
    assert not onnx_available(settings)


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


HEAVY = ("torch", "transformers", "sentence_transformers")


def test_import_does_not_load_torch() -> None:
    result = _run_python(
        f"import sys, assistant.models.onnx_runtime\nprint([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_embedding_does_not_load_torch(onnx_settings: Settings) -> None:
    result = _run_python(
        "import sys\n"
        "from assistant.config import Settings\n"
        "from assistant.models.onnx_runtime import OnnxEmbedder, onnx_available\n"
        f"s = Settings(cache_dir={str(onnx_settings.cache_dir)!r}, embedding_model={MODEL!r})\n"
        "assert onnx_available(s)\n"
        "assert OnnxEmbedder(s).embed_query('hello').shape == (384,)\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
