"""Document-level gold (`source_docs`): a passage holds a source doc when its source path ends
with the doc's relative path, part by part. Checked on hand-built passages and end to end on a
small corpus written here, ingested into real Chroma in a temporary folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.engine import Engine
from assistant.evaluation import metrics
from assistant.evaluation.questions import Question, load_questions
from assistant.evaluation.results import EvalResult
from assistant.evaluation.runner import run_eval
from assistant.types import Answer, AnswerSentence, Citation, Passage


def _passage(chunk: str, source: str, rank: int) -> Passage:
    return Passage(
        chunk_id=chunk, doc_id=chunk, title="T", source=source, text="Some text.",
        paragraph_start=1, paragraph_end=1, char_start=0, char_end=10, rank=rank,
    )  # fmt: skip


def _answer(passages: list[Passage], cited: str | None) -> Answer:
    citation = Citation(
        number=1, chunk_id=cited or "", doc_id=cited or "", title="T", source="", paragraph=1,
        char_start=0, char_end=10, quote="Some text.",
    )  # fmt: skip
    citations = [citation] if cited else []
    return Answer(
        question="q",
        text="Some text. [1]" if cited else "No answer.",
        sentences=[AnswerSentence(text="Some text.", citations=[1])] if cited else [],
        citations=citations,
        passages=passages,
        abstained=cited is None,
    )


def _score(row: dict[str, Any], answer: Answer) -> metrics.QuestionMetrics:
    q = Question(**row)
    # As the runner calls it: snippet containment of each passage's text.
    return metrics.score(q, answer, [metrics.sources_held(q, p.text) for p in answer.passages])


def test_a_passage_holds_a_doc_when_its_path_ends_with_the_doc_parts() -> None:
    q = Question(id="x", question="q", source_docs=["business/001.txt", "./sport/002.txt"])
    assert q.source_docs == ["business/001.txt", "sport/002.txt"]  # "./" dropped
    assert metrics.docs_held(q, "/data/bbc-news/business/001.txt") == [0]
    assert metrics.docs_held(q, "business/001.txt") == [0]
    assert metrics.docs_held(q, "/data/bbc/sport/002.txt") == [1]
    # A raw string suffix would match these; path parts do not.
    assert metrics.docs_held(q, "/data/newbusiness/001.txt") == []
    assert metrics.docs_held(q, "/data/business/0001.txt") == []
    assert metrics.docs_held(q, "/data/business/001.txt.bak") == []
    assert metrics.docs_held(q, "001.txt") == []  # shorter than the doc's path


@pytest.mark.parametrize("bad", ["/abs/business/001.txt", "../business/001.txt", " ", "."])
def test_source_docs_must_be_relative_paths_inside_the_corpus(bad: str) -> None:
    with pytest.raises(ValueError, match="source_docs"):
        Question(id="x", question="q", source_docs=[bad])


def test_doc_level_recall_rank_and_citation_hit_on_hand_built_passages() -> None:
    passages = [
        _passage("a", "/c/tech/009.txt", 1),
        _passage("b", "/c/newsport/002.txt", 2),
        _passage("c", "/c/sport/102.txt", 3),  # a copy of sport/002.txt
        _passage("d", "/c/sport/002.txt", 4),
    ]
    row = {"id": "x", "question": "q", "source_docs": ["sport/002.txt", "sport/102.txt"]}
    m = _score(row, _answer(passages, cited="c"))
    # Two copies held, but the copies are one gold: recall is a hit, never 2/2 or more than 1.
    assert (m.source_recall_at_1, m.source_recall_at_k, m.reciprocal_rank) == (0, 1, 1 / 3)
    assert m.citation_hit is True
    # Cited a passage of another document: retrieval found the gold, the citation missed it.
    assert _score(row, _answer(passages, cited="b")).citation_hit is False
    # A miss: no passage from the gold document at all.
    miss = _score({**row, "source_docs": ["tech/001.txt"]}, _answer(passages, cited="a"))
    assert (miss.source_recall_at_1, miss.source_recall_at_k, miss.reciprocal_rank) == (0, 0, 0)
    assert miss.citation_hit is False
    # Snippets win when a row has both; unanswerable rows have no source recall.
    both = _score({**row, "sources": ["Some text."]}, _answer(passages, cited="a"))
    assert (both.source_recall_at_1, both.reciprocal_rank) == (1, 1)
    none = _score({**row, "answerable": False}, _answer(passages, cited=None))
    assert none.source_recall_at_k is None and none.answer_pass


# --- end to end on a small corpus -----------------------------------------------------------
DOCUMENTS = {
    "business/001.txt": "Quarry Mills profits\n\nQuarry Mills, the woollen cloth maker from "
    "Galashiels, said its annual profits rose to £4.2m on strong export demand.",
    # Its path ends with the string "business/001.txt", but it is another document.
    "newbusiness/001.txt": "Harbour Ferries fares\n\nHarbour Ferries raised its crossing fares "
    "by 12% after fuel costs climbed at the port of Dover.",
    "sport/002.txt": "Glenmore take curling cup\n\nGlenmore Rovers won the regional curling "
    "cup by seven stones in the final at Perth ice rink.",
    "sport/102.txt": "Glenmore take curling cup\n\nGlenmore Rovers won the regional curling "
    "cup by seven stones in the final at Perth ice rink.",
    "tech/003.txt": "Pixel Loom telescope\n\nPixel Loom released a pocket telescope camera "
    "that records the night sky for amateur astronomers.",
}
ROWS = [
    {"id": "profits", "question": "What did Quarry Mills say its annual profits rose to?",
     "must_include": [["£4.2m", "4.2m"]], "source_docs": ["business/001.txt"]},
    {"id": "ferries-miss", "question": "By how much did Harbour Ferries raise its fares?",
     "must_include": ["12%"], "source_docs": ["business/001.txt"]},
    {"id": "curling-copy", "question": "Which team won the regional curling cup at Perth?",
     "must_include": ["Glenmore Rovers"], "source_docs": ["sport/102.txt", "sport/002.txt"]},
    {"id": "absent-doc", "question": "What did Pixel Loom release for amateur astronomers?",
     "source_docs": ["tech/999.txt"]},
    {"id": "unanswerable", "question": "What did the Pixel Loom telescope camera cost?",
     "answerable": False, "source_docs": ["tech/003.txt"]},
]  # fmt: skip


@pytest.fixture
def small_corpus_engine(tmp_path: Path, make_engine: Callable[..., Engine]) -> Engine:
    corpus = tmp_path / "corpus"
    for rel, text in DOCUMENTS.items():
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).write_text(text + "\n", encoding="utf-8")
    engine = make_engine(corpus_dir=corpus)
    report = engine.ingest([corpus])
    assert not report.skipped
    return engine


def _expected(row: dict[str, Any], result: EvalResult, corpus: Path) -> tuple[float, float, float]:
    """recall@1, recall@k and reciprocal rank worked out independently: by exact file path."""
    gold = {str((corpus / d).resolve()) for d in row.get("source_docs", [])}
    ranks = [i for i, p in enumerate(result.retrieved, 1) if str(Path(p.source).resolve()) in gold]
    return (float(ranks[:1] == [1]), float(bool(ranks)), 1 / ranks[0] if ranks else 0.0)


def test_source_docs_scored_end_to_end(small_corpus_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", encoding="utf-8")
    loaded = load_questions(path)
    assert not loaded.problems
    run = run_eval(small_corpus_engine, loaded, k=3)
    rows = {r.id: r for r in run.results}
    corpus = small_corpus_engine.settings.corpus_dir
    for row in ROWS:
        result = rows[row["id"]]
        assert result.error is None
        if row.get("answerable", True):
            m = result.metrics
            got = (m.source_recall_at_1, m.source_recall_at_k, m.reciprocal_rank)
            assert got == pytest.approx(_expected(row, result, corpus)), row["id"]

    def top(qid: str) -> str:
        return rows[qid].retrieved[0].source

    profits = rows["profits"].metrics
    assert top("profits").endswith("/business/001.txt")
    assert (profits.source_recall_at_1, profits.reciprocal_rank) == (1, 1)
    assert profits.citation_hit and profits.answer_pass

    # The ferries answer comes from newbusiness/001.txt: a raw suffix match would call it a hit.
    ferries = rows["ferries-miss"].metrics
    assert top("ferries-miss").endswith("/newbusiness/001.txt")
    assert ferries.source_recall_at_1 == 0 and ferries.citation_hit is False
    assert ferries.answer_pass  # the answer itself is right; only the gold document differs

    curling = rows["curling-copy"].metrics
    assert top("curling-copy").rsplit("/", 1)[-1] in ("002.txt", "102.txt")
    assert (curling.source_recall_at_1, curling.source_recall_at_k) == (1, 1)  # either copy
    assert curling.citation_hit

    absent = rows["absent-doc"].metrics
    assert (absent.source_recall_at_k, absent.reciprocal_rank, absent.citation_hit) == (0, 0, False)
    assert rows["unanswerable"].metrics.source_recall_at_k is None

    s = run.summary
    assert s["with_sources"] == 4  # the doc-level rows count as rows with gold evidence
    assert s["source_recall_at_1"] == pytest.approx(
        sum(rows[q].metrics.source_recall_at_1 for q in ("profits", "ferries-miss",
            "curling-copy", "absent-doc")) / 4, abs=1e-4)  # fmt: skip
    assert s["source_recall_at_k"] is not None and s["mrr"] is not None
    assert s["citation_hit_rate"] == pytest.approx(
        sum(bool(rows[q].metrics.citation_hit) for q in rows if q != "unanswerable") / 4,
        abs=1e-4,
    )
