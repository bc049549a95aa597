"""The briefing rows in evals/: well-formed, their facts in the documents they are about, no
BBC text copied, and the seed rows fully covered by the briefing the engine makes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.brief import EngineLibrary, Request, build_briefing
from assistant.cli.main import main
from assistant.engine import Engine
from assistant.evaluation.brief_scores import score_briefing
from assistant.evaluation.questions import load_questions
from assistant.text import normalise

from .conftest import CORPUS, ROOT, shared_data

SEED_SET = ROOT / "evals" / "briefing-seed.jsonl"
BBC_SET = ROOT / "evals" / "briefing-bbc.jsonl"


@pytest.mark.parametrize("path", [SEED_SET, BBC_SET], ids=["seed", "bbc"])
def test_every_row_is_a_usable_briefing_row(path: Path) -> None:
    loaded = load_questions(path)
    assert not loaded.problems
    assert len(loaded.questions) >= 4
    for row in loaded.questions:
        assert row.kind == "briefing"
        assert row.must_include, row.id
        assert set(row.extra) <= {"topic", "doc"}, row.extra


def test_the_bbc_rows_hold_short_facts_their_articles_state() -> None:
    corpus = shared_data("bbc-news")
    for row in load_questions(BBC_SET).questions:
        assert row.extra.get("topic"), "BBC rows brief a topic"
        texts = [normalise((corpus / doc).read_text(encoding="utf-8")) for doc in row.source_docs]
        for alternatives in row.must_include:
            # Short facts only: the articles are the BBC's and are not copied into the project.
            assert all(len(a.split()) <= 4 for a in alternatives), alternatives
            assert any(normalise(a) in t for a in alternatives for t in texts), (
                row.id,
                alternatives,
            )


def test_the_seed_rows_are_fully_covered_with_valid_citations(seed_engine: Engine) -> None:
    library = EngineLibrary(seed_engine)
    for row in load_questions(SEED_SET).questions:
        doc = row.extra.get("doc")
        request = Request(topic=row.extra.get("topic"), doc=str(CORPUS / doc) if doc else None)
        briefing = build_briefing(library, request)
        score = score_briefing(briefing, row.must_include, seed_engine.document_text)
        assert score.missing == [], (row.id, score.missing)
        assert score.citation_validity == 1.0
        assert score.redundancy < 0.1


def test_briefing_eval_scores_briefing_rows_in_the_summary_json_and_reports(
    tmp_path: Path,
) -> None:
    """The CLI a user runs: a set mixing a question and briefing rows, over a temporary copy
    of the seed corpus."""
    questions = tmp_path / "mixed.jsonl"
    rows = [
        line for line in SEED_SET.read_text(encoding="utf-8").splitlines() if line.startswith("{")
    ]
    rows.append(
        '{"id": "q-dietz", "question": "Who is the Defense Department spokesperson?", '
        '"must_include": ["Dietz"]}'
    )
    rows.append(
        '{"id": "brief-missing", "kind": "briefing", "question": "Brief me", '
        '"must_include": [["a fact no document states"]]}'
    )
    questions.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out, html = tmp_path / "run.json", tmp_path / "run.html"
    result = CliRunner().invoke(
        main,
        ["eval", str(questions), "--corpus", str(CORPUS), "--json", str(out), "--html", str(html)],
    )
    assert result.exit_code == 0, result.output
    run = json.loads(out.read_text(encoding="utf-8"))
    summary = run["summary"]
    briefing_rows = len(rows) - 1
    assert summary["briefings"] == briefing_rows
    assert summary["briefing_citation_validity"] == 1.0
    assert summary["briefing_pass_rate"] == round((briefing_rows - 1) / briefing_rows, 4)
    assert 0 < summary["briefing_coverage"] < 1.0
    assert summary["briefing_redundancy"] < 0.1 and summary["briefing_lines"] > 10
    assert "briefing" in run["by_kind"]
    scored = {r["id"]: r for r in run["results"]}
    assert scored["brief-missing"]["briefing"]["missing"] == ["a fact no document states"]
    assert scored["q-dietz"]["briefing"] is None and scored["q-dietz"]["metrics"]["answer_pass"]
    assert "briefing_coverage" in result.output
    assert "redundancy" in html.read_text(encoding="utf-8")
