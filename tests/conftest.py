"""Shared fixtures: real Chroma in temporary folders, the real local embedding model (loaded
once per test session), and an engine with the seed corpus ingested. The developer's own
settings (``BRIEFING_*`` and ``OPENAI_*`` variables, a ``.env`` file) never reach a test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from assistant.config import ENV_FILE_VARIABLE, Settings  # noqa: E402
from assistant.engine import Engine, build_engine  # noqa: E402
from assistant.models.build import build_embedder
from assistant.models.embedding import Embedder  # noqa: E402

from .support.paths import (  # noqa: E402, F401 - the paths are re-exported for older imports
    CHROMIUM,
    CHROMIUM_ARGS,
    CORPUS,
    ROOT,
    SEED_ARTICLE,
    SHARED_DATA,
    shared_data,
)

ISOLATED_PREFIXES = ("BRIEFING_", "OPENAI_")


def isolate_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every BRIEFING_* and OPENAI_* variable and stop any .env file from being read,
    in this process and in the processes the tests start."""
    for name in list(os.environ):
        if name.startswith(ISOLATED_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv(ENV_FILE_VARIABLE, "")


@pytest.fixture(scope="session", autouse=True)
def _isolated_session() -> Iterator[None]:
    """Before any session fixture (the shared model, the seed engine) reads settings."""
    with pytest.MonkeyPatch.context() as patch:
        isolate_environment(patch)
        yield


@pytest.fixture(autouse=True)
def _isolated_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """Again per test: whatever an earlier test left in the environment is gone too."""
    isolate_environment(monkeypatch)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings on a fresh temporary data folder; keyword arguments override fields."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"data_dir": tmp_path / "data", "corpus_dir": CORPUS}
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real default embedding model, loaded once."""
    return build_embedder(Settings())


@pytest.fixture
def make_engine(
    make_settings: Callable[..., Settings], embedder: Embedder
) -> Callable[..., Engine]:
    def make(**overrides: Any) -> Engine:
        return build_engine(make_settings(**overrides), embedder)

    return make


@pytest.fixture(scope="session")
def seed_engine(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Engine:
    """An engine with the seed corpus ingested, shared by read-only tests."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("seed") / "data", corpus_dir=CORPUS)
    engine = build_engine(settings, embedder)
    engine.ingest()
    return engine


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, one per test module (never `playwright install`:
    it downloads a browser, which fails offline)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is absent")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
