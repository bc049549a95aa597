"""The briefing rows in evals/: well-formed, their facts in the documents they are about, no
BBC text copied, and the seed rows fully covered by the briefing the engine makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.brief import EngineLibrary, Request, build_briefing
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
