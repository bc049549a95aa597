"""The dense index over the Chroma collection only reads: ingestion writes the chunks.

LlamaIndex gives an index without transformations its default sentence splitter, which loads
tiktoken's vocabulary (0.3 s of every cold `briefing ask`) and would chunk an inserted document
unlike ingestion does. A plain question leaves the briefing builder unloaded too (assistant.brief
imports on first use). Real Chroma in a temporary folder and the real embedding model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from llama_index.core.schema import Document

from assistant.engine import Engine

from .support.paths import ROOT

QUESTION = "How many North Korean troops are expected to take part?"


def test_a_fresh_process_answers_without_loading_the_splitter_or_the_briefing_code(
    seed_engine: Engine,
) -> None:
    script = (
        "import json, sys\n"
        "from assistant.config import Settings\n"
        "from assistant.engine import build_engine\n"
        "engine = build_engine(Settings())\n"
        f"answer = engine.ask({QUESTION!r})\n"
        "print(json.dumps({'cited': len(answer.citations),"
        " 'tiktoken': 'tiktoken' in sys.modules,"
        " 'briefing': 'assistant.brief.build' in sys.modules}))\n"
    )
    env = {**os.environ, "BRIEFING_DATA_DIR": str(seed_engine.settings.data_dir)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["cited"] > 0, "the question should be answered from the seed store"
    assert not figures["tiktoken"], "retrieval built LlamaIndex's default sentence splitter"
    assert not figures["briefing"], "a plain question loaded the briefing builder"


def test_inserting_through_the_dense_index_is_refused_and_adds_nothing(
    seed_engine: Engine,
) -> None:
    dense = seed_engine.retriever.dense
    before = seed_engine.store.chunk_count()
    index = dense._vector_index()
    with pytest.raises(RuntimeError, match="briefing ingest"):
        index.insert(Document(text="An inserted document that ingestion never saw."))
    assert seed_engine.store.chunk_count() == before
