"""Shared fixtures: real Chroma in temporary folders, the real local embedding model (loaded
once per test session), and an engine with the seed corpus ingested."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from assistant.config import Settings  # noqa: E402
from assistant.engine import Engine, build_engine  # noqa: E402
from assistant.providers import Embedder, build_embedder  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SEED_ARTICLE = CORPUS / "north-korean-troops-in-russia.txt"
SHARED_DATA = ROOT.parent / "shared" / "data"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


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


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test with a message when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared evaluation data is not beside this clone)")
    return path


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
