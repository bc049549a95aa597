"""`briefing brief` as a user runs it: real processes, the JSON shape, Markdown out, what
changed since last time, and the exit codes of bad input (2) and failures (1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .support.paths import CORPUS, SEED_ARTICLE


def briefing(*args: str, data_dir: Path, corpus: Path = CORPUS) -> subprocess.CompletedProcess[str]:
    environment = os.environ | {
        "BRIEFING_DATA_DIR": str(data_dir),
        "BRIEFING_CORPUS_DIR": str(corpus),
    }
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("brief-cli") / "data"
    result = briefing("ingest", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return data_dir


def test_brief_json_has_the_issue_shape(ingested: Path) -> None:
    result = briefing("brief", "--json", data_dir=ingested)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"scope", "sections", "covered", "timings"} <= data.keys()
    assert data["scope"]["kind"] == "all"
    titles = [s["title"] for s in data["sections"]]
    assert titles[0] == "Key points" and "Not in the documents" in titles
    item = data["sections"][0]["items"][0]
    assert {"text", "citations", "new"} <= item.keys()
    citation = item["citations"][0]
    assert {"number", "doc_id", "title", "paragraph", "char_start", "char_end", "quote"} <= (
        citation.keys()
    )
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    assert text[citation["char_start"] : citation["char_end"]] == citation["quote"]
    assert data["covered"][0]["content_hash"]


def test_brief_prints_markdown_and_writes_it_out(ingested: Path, tmp_path: Path) -> None:
    out = tmp_path / "briefing.md"
    result = briefing("brief", "--doc", str(SEED_ARTICLE), "--out", str(out), data_dir=ingested)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Briefing: North Korean Troops in Russia")
    assert "## Sources" in result.stdout and "10,000" in result.stdout
    assert out.read_text(encoding="utf-8") == result.stdout


def test_brief_on_a_topic_and_since_last(ingested: Path) -> None:
    first = briefing("brief", "--topic", "the troop deployment", data_dir=ingested)
    assert first.returncode == 0, first.stderr
    assert "# Briefing: the troop deployment" in first.stdout
    again = briefing("brief", "--topic", "the troop deployment", "--since-last", data_dir=ingested)
    assert again.returncode == 0, again.stderr
    assert "Nothing has changed since the last briefing" in again.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--topic", "quarterly sugar beet yields"], "No documents about"),
        (["--doc", "no-such-document"], "No document 'no-such-document'"),
        (["--topic", "  "], "topic is empty"),
        (["--out", "/no/such/folder/b.md"], "does not exist"),
    ],
)
def test_bad_input_exits_2_with_one_line(ingested: Path, args: list[str], message: str) -> None:
    result = briefing("brief", *args, data_dir=ingested)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_briefing_an_empty_library_says_to_ingest_and_exits_1(tmp_path: Path) -> None:
    result = briefing("brief", data_dir=tmp_path / "data")
    assert result.returncode == 1
    assert "ingest" in result.stderr and "Traceback" not in result.stderr
