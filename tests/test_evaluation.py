"""The evaluation suite: metrics on hand-computed cases, a small set run end to end on the seed
article (malformed lines, an error row, gates, baselines) through the runner and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from assistant.cli.main import main
from assistant.engine import Engine
from assistant.evaluation import metrics
from assistant.evaluation.compare import compare
from assistant.evaluation.questions import Question, load_questions
from assistant.evaluation.results import EvalResult, Gold
from assistant.evaluation.runner import run_eval
from assistant.types import Answer, AnswerSentence, Citation, Passage

from .support.paths import CORPUS


# --- metrics on hand-built answers --------------------------------------------------------
def _passage(chunk: str, text: str, rank: int) -> Passage:
    return Passage(
        chunk_id=chunk, doc_id="d", title="T", source="t.txt", text=text,
        paragraph_start=rank, paragraph_end=rank, char_start=0, char_end=len(text), rank=rank,
    )  # fmt: skip


def _citation(number: int, chunk: str, quote: str) -> Citation:
    return Citation(
        number=number, chunk_id=chunk, doc_id="d", title="T", source="t.txt", paragraph=1,
        char_start=0, char_end=len(quote), quote=quote, support=0.5 * number,
    )  # fmt: skip


PASSAGES = [
    _passage("a", "Alpha beta. The “quoted” fact is here.", 1),
    _passage("b", "Gamma delta\n epsilon.", 2),
    _passage("c", "Zeta eta.", 3),
]


def _score(question: dict[str, Any], answer: Answer) -> metrics.QuestionMetrics:
    q = Question(**question)
    return metrics.score(q, answer, [metrics.sources_held(q, p.text) for p in answer.passages])


def test_each_metric_on_a_hand_computed_answer() -> None:
    answer = Answer(
        question="q",
        text="Alpha beta. [1] Gamma delta epsilon. [2] See also [7].",
        sentences=[
            AnswerSentence(text="Alpha beta.", citations=[1]),
            AnswerSentence(text="Gamma delta epsilon.", citations=[2], supported=False),
        ],
        # [2] points at chunk c, which does not hold its sentence; [7] has no citation at all.
        citations=[_citation(1, "a", "Alpha beta."), _citation(2, "c", "Gamma delta epsilon.")],
        passages=PASSAGES,
    )
    m = _score(
        {
            "id": "x",
            "question": "q",
            "sources": ['the "quoted" FACT', "gamma   delta", "not in any passage"],
            "must_include": ["alpha  BETA", ["omega", "gamma"], "nope"],
            "must_not_include": ["epsilon"],
        },
        answer,
    )
    assert m.source_recall_at_1 == pytest.approx(1 / 3)  # curly vs straight quotes, case
    assert m.source_recall_at_k == pytest.approx(2 / 3)  # white space collapsed across \n
    assert m.reciprocal_rank == 1.0
    assert m.facts_found == [True, True, False]
    assert m.key_fact_recall == pytest.approx(2 / 3)
    assert m.must_not_found == ["epsilon"]
    assert m.answer_pass is False
    assert m.citation_hit is True  # [1] cites chunk a, which holds a gold snippet
    assert (m.markers, m.valid_markers) == (3, 1)
    assert m.citation_validity == pytest.approx(1 / 3)
    assert m.supports == [0.5, 1.0]
    assert (m.sentences, m.supported_sentences) == (2, 1)


def test_rank_of_first_gold_passage_and_citation_miss() -> None:
    answer = Answer(
        question="q",
        text="Zeta eta. [1]",
        sentences=[AnswerSentence(text="Zeta eta.", citations=[1])],
        citations=[_citation(1, "c", "Zeta eta.")],
        passages=PASSAGES,
    )
    m = _score(
        {"id": "x", "question": "q", "sources": ["epsilon"], "must_include": ["zeta"]}, answer
    )
    assert (m.source_recall_at_1, m.source_recall_at_k, m.reciprocal_rank) == (0.0, 1.0, 0.5)
    assert m.citation_hit is False  # cited chunk c, the gold is in chunk b
    assert m.answer_pass is True and m.citation_validity == 1.0


def test_abstention_and_paraphrased_llm_citations() -> None:
    abstained = Answer(question="q", text="The documents do not answer this question.",
                       passages=PASSAGES, abstained=True)  # fmt: skip
    assert _score({"id": "u", "question": "q", "answerable": False}, abstained).answer_pass
    assert not _score({"id": "a", "question": "q", "must_include": []}, abstained).answer_pass
    llm = Answer(
        question="q",
        text="Gamma and delta happen [1].",
        sentences=[AnswerSentence(text="Gamma and delta happen [1].", citations=[1])],
        citations=[_citation(1, "b", "Gamma delta epsilon.")],
        passages=PASSAGES,
        mode="llm",
    )
    m = _score({"id": "l", "question": "q"}, llm)
    assert (m.markers, m.valid_markers) == (1, 1)  # 2 of 3 content words are in chunk b
    fallback = llm.model_copy(update={"mode": "extractive-fallback"})
    assert _score({"id": "l", "question": "q"}, fallback).valid_markers == 0  # quotes: verbatim
    assert not _score({"id": "u", "question": "q", "answerable": False}, llm).answer_pass


def test_summary_over_rows_with_an_error_and_percentiles() -> None:
    def row(qid: str, answerable: bool, passed: bool, latency: float, **kw: Any) -> EvalResult:
        r = EvalResult(id=qid, question=qid, answerable=answerable, latency=latency,
                       abstained=not answerable, gold=Gold(sources=["s"], must_include=[["f"]]))  # fmt: skip
        r.metrics.answer_pass = passed
        for key, value in kw.items():
            setattr(r.metrics, key, value)
        return r

    rows = [
        row("a", True, True, 0.1, source_recall_at_k=1.0, key_fact_recall=1.0, citation_hit=True),
        row("b", True, False, 0.2, source_recall_at_k=0.5, key_fact_recall=0.0),
        row("c", False, True, 0.3),
        row("d", False, False, 0.4),
        row("e", True, False, 9.0),
    ]
    rows[3].abstained = False
    rows[4].error = "BadInput: too long"
    s = metrics.summarise(rows)
    assert s["questions"] == 5 and s["errors"] == 1
    assert s["answer_pass_rate"] == 0.4  # 2 of 5: the error row counts as a failure
    assert s["source_recall_at_k"] == 0.75 and s["key_fact_recall"] == 0.5
    assert s["citation_hit_rate"] == 0.5
    assert s["abstain_accuracy"] == 0.5 and s["false_abstain_rate"] == 0.0
    assert s["latency_p50"] == 0.25 and s["latency_p95"] == 0.385  # error row's 9 s left out
    assert metrics.percentile([], 50) is None


# --- a small set end to end on the seed article -------------------------------------------
SET = [
    {"id": "troops", "question": "How many North Korean troops are expected?", "kind": "number",
     "must_include": ["10,000"], "sources": ["over 10,000 North Korean troops are expected to participate"]},
    {"id": "dietz", "question": "Who is the Defense Department spokesperson?", "kind": "name",
     "must_include": [["Charlie Dietz", "Dietz"], "I  CAN'T confirm", "zebra crossing"],
     "must_not_include": ["virtual 'extracurriculars'"],
     "sources": ["Army Lt. Col. Charlie Dietz, a spokesperson for the Defense Department",
                 "This sentence is not in the article."], "difficulty": "hard"},
    "{not json",
    {"id": "casualties", "question": "What did China's foreign ministry say?",
     "answerable": False, "kind": "unanswerable"},
    {"id": "no-question"},
    {"id": "brigades", "question": "Where were the brigades assembled?", "kind": "place",
     "history": [{"role": "user", "content": "Tell me about the North Korean brigades."},
                 {"role": "assistant", "content": "They were formed in Russia [1]."}],
     "must_include": ["Ussuriysk", "Khabarovsk", "Blagoveshchensk"],
     "sources": ["assembled into combat-ready brigades"], "difficulty": "easy"},
    {"id": "too-long", "question": "How many troops? " * 130, "kind": "number",
     "must_include": ["10,000"], "sources": ["10,000"]},
    {"id": "bad-flag", "question": "Is it?", "answerable": "yes"},
]  # fmt: skip


def write_set(folder: Path) -> Path:
    path = folder / "small.jsonl"
    lines = [row if isinstance(row, str) else json.dumps(row) for row in SET]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_small_set_end_to_end(seed_engine: Engine, tmp_path: Path) -> None:
    loaded = load_questions(write_set(tmp_path))
    assert [(p.line, p.message.split(" ")[0]) for p in loaded.problems] == [
        (3, "not"),
        (5, "question:"),
        (8, "answerable:"),
    ]
    run = run_eval(seed_engine, loaded, group_by=["difficulty"])
    rows = {r.id: r for r in run.results}
    assert list(rows) == ["troops", "dietz", "casualties", "brigades", "too-long"]

    assert rows["too-long"].error.startswith("BadInput: The question is 2,209 characters")
    assert rows["too-long"].answer is None and not rows["too-long"].metrics.answer_pass

    troops = rows["troops"].metrics
    assert (troops.source_recall_at_1, troops.reciprocal_rank, troops.key_fact_recall) == (1, 1, 1)
    assert troops.answer_pass and troops.citation_hit
    dietz = rows["dietz"].metrics
    assert dietz.facts_found == [True, True, False]  # spaces, case and quotes normalised
    assert dietz.must_not_found == ["virtual 'extracurriculars'"]  # curly quotes in the text
    assert (dietz.source_recall_at_1, dietz.source_recall_at_k) == (0.5, 0.5)
    assert not dietz.answer_pass
    assert rows["casualties"].abstained and rows["casualties"].metrics.answer_pass
    assert rows["brigades"].metrics.answer_pass
    assert rows["brigades"].retrieved[0].holds_sources == [0]

    s = run.summary
    assert (s["questions"], s["answerable"], s["unanswerable"], s["errors"]) == (5, 4, 1, 1)
    assert s["source_recall_at_1"] == s["source_recall_at_k"] == pytest.approx(2.5 / 3, abs=1e-4)
    assert s["mrr"] == 1.0
    assert s["key_fact_recall"] == pytest.approx((1 + 2 / 3 + 1) / 3, abs=1e-4)
    assert s["answer_pass_rate"] == 0.6
    assert s["citation_hit_rate"] == 1.0
    assert s["citation_validity"] == 1.0  # extractive quotes are verbatim by construction
    assert (s["abstain_accuracy"], s["false_abstain_rate"]) == (1.0, 0.0)
    assert s["must_not_violations"] == 1
    assert 0 < s["latency_p50"] <= s["latency_p95"]
    assert run.by_kind["number"]["questions"] == 2 and run.by_kind["number"]["errors"] == 1
    assert run.by_kind["number"]["answer_pass_rate"] == 0.5
    assert run.groups["difficulty"]["hard"]["answer_pass_rate"] == 0.0
    assert run.groups["difficulty"]["(none)"]["questions"] == 3
    assert run.corpus["documents"] == 1 and run.options["k"] == seed_engine.settings.top_k

    # A run compared with itself changes nothing; a worse copy lists the question.
    assert compare(run, run)["worse"] == [] and compare(run, run)["warnings"] == []
    worse = run.model_copy(deep=True)
    worse.results[0].metrics.reciprocal_rank = 0.5
    diff = compare(worse, run)
    assert [w["id"] for w in diff["worse"]] == ["troops"] and not diff["better"]


def test_yaml_sets_keep_unknown_keys_and_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(
        "questions:\n"
        "  - id: a\n    question: Who?\n    topic: people\n    must_include: [x, [y, z]]\n"
        "  - id: b\n"
        "  - id: a\n    question: Again?\n",
        encoding="utf-8",
    )
    loaded = load_questions(path)
    assert [q.id for q in loaded.questions] == ["a"]
    assert loaded.questions[0].extra == {"topic": "people"}
    assert loaded.questions[0].must_include == [["x"], ["y", "z"]]
    assert [p.line for p in loaded.problems] == [6, 7]
    assert "duplicate id" in loaded.problems[1].message


# --- the command line ---------------------------------------------------------------------
def _eval(*args: str) -> Any:
    return CliRunner().invoke(main, ["eval", *args], catch_exceptions=False)


def test_cli_gates_reports_and_baseline(tmp_path: Path) -> None:
    questions = write_set(tmp_path)
    out = tmp_path / "run.json"
    result = _eval(str(questions), "--corpus", str(CORPUS), "--json", str(out),
                   "--fail-under", "source_recall_at_k=0.5", "--fail-over", "errors=0")  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "gate failed: errors 1 > 0" in result.stderr
    assert "source_recall_at_k" not in result.stderr  # that gate passed
    assert f"{questions}:3: skipped: not valid JSON" in result.stderr
    assert f"{questions}:5: skipped: question: Field required" in result.stderr
    assert "answer_pass_rate" in result.stdout and "3 malformed entries skipped" in result.stdout
    run = json.loads(out.read_text())
    assert {"summary", "by_kind", "results", "settings", "corpus"} <= set(run)
    assert "llm_api_key" not in run["settings"]
    assert run["results"][4]["error"].startswith("BadInput")

    html = tmp_path / "run.html"
    result = _eval(str(questions), "--corpus", str(CORPUS), "--retriever", "bm25",
                   "--baseline", str(out), "--html", str(html),
                   "--fail-under", "answer_pass_rate=0.5")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Against the baseline" in result.stdout and "option retriever" in result.stdout
    assert "Against the baseline" in html.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-under", "nonsense=1"], "expected METRIC=VALUE"),
        (["--fail-under", "mrr=high"], "is not a number"),
        (["--baseline", "missing.json"], "Cannot read the baseline"),
    ],
)
def test_cli_bad_input_exits_2_before_any_work(
    tmp_path: Path, args: list[str], message: str
) -> None:
    questions = write_set(tmp_path)
    result = _eval(str(questions), *args)
    assert result.exit_code == 2 and message in result.stderr


def test_cli_unusable_set_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("{broken\n", encoding="utf-8")
    result = _eval(str(empty))
    assert result.exit_code == 2 and "holds no usable question" in result.stderr
    assert _eval(str(tmp_path / "absent.jsonl")).exit_code == 2
