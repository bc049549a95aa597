"""The `briefing` command as a user runs it: real processes, exit codes, JSON output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .support.paths import CORPUS


def briefing(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = os.environ | {
        "BRIEFING_DATA_DIR": str(data_dir),
        "BRIEFING_CORPUS_DIR": str(CORPUS),
    }
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        capture_output=True,
        text=True,
        env=environment | env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("cli") / "data"
    result = briefing("ingest", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stdout
    return data_dir


def test_ask_json_carries_text_citations_and_abstained(ingested: Path) -> None:
    result = briefing(
        "ask", "Who is the Defense Department spokesperson?", "--json", data_dir=ingested
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["abstained"] is False
    assert "Dietz" in answer["text"]
    assert answer["citations"][0]["paragraph"] == 6
    assert {"doc_id", "char_start", "char_end", "quote", "score"} <= answer["citations"][0].keys()


def test_ask_prints_sources_for_people(ingested: Path) -> None:
    result = briefing("ask", "Where were brigades assembled?", data_dir=ingested)
    assert result.returncode == 0, result.stderr
    assert "Sources:" in result.stdout and "paragraph 8" in result.stdout


def test_sources_lists_documents_chunks_and_model(ingested: Path) -> None:
    result = briefing("sources", data_dir=ingested)
    assert result.returncode == 0, result.stderr
    assert "all-MiniLM-L6-v2" in result.stdout
    assert "North Korean Troops in Russia" in result.stdout


@pytest.mark.parametrize("question", ["", "   "])
def test_an_empty_question_exits_2(ingested: Path, question: str) -> None:
    result = briefing("ask", question, data_dir=ingested)
    assert result.returncode == 2
    assert "empty" in result.stderr and "Traceback" not in result.stderr


def test_a_too_long_question_exits_2(ingested: Path) -> None:
    result = briefing("ask", "why " * 600, data_dir=ingested)
    assert result.returncode == 2
    assert "limit is 2,000" in result.stderr


def test_asking_an_empty_store_says_to_ingest(tmp_path: Path) -> None:
    result = briefing("ask", "Who is the spokesperson?", data_dir=tmp_path / "data")
    assert result.returncode == 1
    assert "briefing ingest" in result.stderr and "Traceback" not in result.stderr


def test_an_invalid_setting_exits_2_naming_it(tmp_path: Path) -> None:
    result = briefing("sources", data_dir=tmp_path / "data", BRIEFING_TOP_K="lots")
    assert result.returncode == 2
    assert "top_k" in result.stderr


def test_ingest_of_a_missing_path_exits_2(tmp_path: Path) -> None:
    result = briefing("ingest", str(tmp_path / "nope"), data_dir=tmp_path / "data")
    assert result.returncode == 2
    assert "No such file" in result.stderr
