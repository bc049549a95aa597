"""`briefing evalset squad`: SQuAD files -> corpus folder + question set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from assistant.cli.main import main
from assistant.errors import BadInput
from assistant.evaluation.questions import load_questions
from assistant.evaluation.squad import convert, document_file_name, question_kind
from assistant.text import normalise, paragraphs

from .support.paths import shared_data

CONTEXT_1 = (
    "Oslo lies in a fjord. The capital of Norway is Oslo,\na city of\nparks. It has a harbour."
)
CONTEXT_2 = "Bergen is rainy. It rains on most days of the year."


def _qa(qid: str, question: str, context: str, *answers: str, **extra: Any) -> dict[str, Any]:
    # The last occurrence: "Oslo" is then the capital, not the fjord city of the first sentence.
    spans = [{"text": a, "answer_start": context.rindex(a)} for a in answers]
    return {"id": qid, "question": question, "answers": spans, **extra}


SQUAD_V2 = {
    "version": "v2.0",
    "data": [
        {
            "title": "Norway/Cities",
            "paragraphs": [
                {
                    "context": CONTEXT_1,
                    "qas": [
                        # Two annotators point into the second sentence, one into the first.
                        _qa(
                            "q1",
                            " What is the capital  of Norway? ",
                            CONTEXT_1,
                            "Oslo,\na city",
                            "Oslo",
                            "Oslo lies",
                            is_impossible=False,
                        ),
                        _qa(
                            "q2",
                            "How many harbours does Oslo have?",
                            CONTEXT_1,
                            is_impossible=True,
                            plausible_answers=[],
                        ),
                    ],
                },
                {
                    "context": CONTEXT_2,
                    "qas": [
                        _qa(
                            "q3",
                            "When does it rain?",
                            CONTEXT_2,
                            "on most days",
                            is_impossible=False,
                        )
                    ],
                },
            ],
        },
        {"title": "Empty", "paragraphs": [{"context": "Nothing here.", "qas": []}]},
    ],
}


def _write(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "dev.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_squad_v2_becomes_corpus_and_question_set(tmp_path: Path) -> None:
    made = convert(_write(tmp_path, SQUAD_V2), tmp_path / "out")
    assert (made.documents, made.paragraphs, made.questions, made.unanswerable) == (2, 3, 3, 1)
    assert sorted(p.name for p in made.corpus_dir.iterdir()) == ["Empty.txt", "Norway_Cities.txt"]
    text = (made.corpus_dir / "Norway_Cities.txt").read_text(encoding="utf-8")
    # Each context stays one paragraph: its lone newlines are flattened, contexts blank-separated.
    assert [text[b:e] for b, e in paragraphs(text)] == [
        CONTEXT_1.replace("\n", " "),
        CONTEXT_2,
    ]
    rows = [json.loads(line) for line in made.questions_file.read_text().splitlines()]
    q1, q2, q3 = rows
    assert q1["question"] == "What is the capital of Norway?"
    assert (
        q1["must_include"] == [["Oslo,\na city", "Oslo", "Oslo lies"]]
        and q1["reference"] == "Oslo,\na city"
    )
    assert q1["sources"] == ["The capital of Norway is Oslo, a city of parks."]  # majority sentence
    assert (q1["kind"], q1["article"], q1["paragraph"], q1["answerable"]) == (
        "what",
        "Norway/Cities",
        1,
        True,
    )
    assert (q2["answerable"], q2["kind"], q2["wh"], q2["must_include"], q2["sources"]) == (
        False,
        "unanswerable",
        "how many",
        [],
        [],
    )
    assert q3["sources"] == ["It rains on most days of the year."] and q3["paragraph"] == 2
    # Every annotator's answer is kept for SQuAD's EM/F1 (duplicates too); none when impossible.
    assert len(q1["answers"]) == 3 and q2["answers"] == []
    # The set loads cleanly and every source is in the corpus under the metric's matching.
    loaded = load_questions(made.questions_file)
    assert not loaded.problems and loaded.questions[0].extra["article"] == "Norway/Cities"
    assert all(normalise(s) in normalise(text) for q in loaded.questions for s in q.sources)


def test_limit_is_a_seeded_sample_and_out_is_reusable(tmp_path: Path) -> None:
    source = _write(tmp_path, SQUAD_V2)
    first = convert(source, tmp_path / "a", limit=2, seed=7).questions_file.read_text()
    again = convert(source, tmp_path / "a", limit=2, seed=7).questions_file.read_text()
    assert first == again and len(first.splitlines()) == 2
    assert convert(source, tmp_path / "b", articles=1).documents == 1
    foreign = tmp_path / "mine" / "corpus"
    foreign.mkdir(parents=True)
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(BadInput, match="did not write"):
        convert(source, tmp_path / "mine")
    assert (foreign / "notes.txt").exists()


def test_cli_and_bad_files(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(
        main, ["evalset", "squad", str(_write(tmp_path, SQUAD_V2)), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "3 questions (1 unanswerable)" in result.stdout and "briefing eval" in result.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": "1.1"}', encoding="utf-8")
    result = runner.invoke(main, ["evalset", "squad", str(bad), "--out", str(out)])
    assert result.exit_code == 2 and "not a SQuAD file" in result.stderr


def test_question_kinds() -> None:
    assert question_kind("In what year did it open?") == "what"
    assert question_kind("How much did it cost?") == "how much"
    assert question_kind("Whose idea was it?") == "who"
    assert question_kind("Name the river.") == "other"


def test_real_squad_v1_dev_converts_whole(tmp_path: Path) -> None:
    squad = shared_data("squad-v1.1-dev", "dev-v1.1.json")
    made = convert(squad, tmp_path / "squad")
    assert (made.documents, made.paragraphs, made.questions) == (48, 2067, 10570)
    taken: set[str] = set()
    files = {
        a["title"]: document_file_name(a["title"], taken)
        for a in json.loads(squad.read_text())["data"]
    }
    documents = {
        t: normalise((made.corpus_dir / f).read_text(encoding="utf-8")) for t, f in files.items()
    }
    for line in made.questions_file.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        source = normalise(row["sources"][0])
        assert source in documents[row["article"]], row["id"]
        assert any(normalise(a) in source for a in row["must_include"][0]), row["id"]
