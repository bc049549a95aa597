"""benchmarks/reader_eval.py asks SQuAD's held-out questions as training/split.py defines them
(v2.0: the articles at positions 0, 5, ...; v1.1: the articles only v1.1 has) over the whole
file as the corpus, and --limit keeps a seeded sample of them in file order. Checked on tiny
SQuAD-format files in tmp_path: no model, no store."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from training import split

from .support.paths import ROOT

BENCH = ROOT / "benchmarks"


@pytest.fixture
def reader_eval(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))  # the script imports its neighbour `common`
    spec = importlib.util.spec_from_file_location("reader_eval", BENCH / "reader_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _article(title: str, impossible: bool) -> dict[str, Any]:
    paragraphs = []
    for p in range(2):
        context = f"{title} paragraph {p} says the answer is {title}-{p}. Nothing else."
        qas = [
            {
                "id": f"{title}-{p}-a",
                "question": f"What does {title} paragraph {p} say?",
                "answers": [{"text": f"{title}-{p}", "answer_start": context.index(f"{title}-")}],
            }
        ]
        if impossible:
            qas[0]["is_impossible"] = False
            qas.append(
                {
                    "id": f"{title}-{p}-x",
                    "question": f"Who wrote {title} paragraph {p}?",
                    "answers": [],
                    "is_impossible": True,
                }
            )
        paragraphs.append({"context": context, "qas": qas})
    return {"title": title, "paragraphs": paragraphs}


@pytest.fixture
def squad_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A v2.0 file of 7 articles (A0 and A5 held out) and a v1.1 file with those and two more
    (B0, B1: only in v1.1), put where training/split.py reads them."""
    shared = [f"A{i}" for i in range(7)]
    v2 = {"version": "v2.0", "data": [_article(t, impossible=True) for t in shared]}
    v1 = {"version": "1.1", "data": [_article(t, impossible=False) for t in shared + ["B0", "B1"]]}
    (tmp_path / "dev-v2.0.json").write_text(json.dumps(v2), encoding="utf-8")
    (tmp_path / "dev-v1.1.json").write_text(json.dumps(v1), encoding="utf-8")
    monkeypatch.setattr(split, "V2", tmp_path / "dev-v2.0.json")
    monkeypatch.setattr(split, "V1", tmp_path / "dev-v1.1.json")
    return tmp_path


def test_v2_asks_the_held_out_articles_over_the_whole_file(
    reader_eval: ModuleType, squad_files: Path
) -> None:
    corpus, questions, files = reader_eval.squad_questions(2, squad_files / "v2")
    assert {q.extra["article"] for q in questions.questions} == {"A0", "A5"}
    assert len(questions.questions) == 8  # 2 articles x 2 paragraphs x (answerable + not)
    assert sum(not q.answerable for q in questions.questions) == 4
    assert sorted(p.name for p in corpus.glob("*.txt")) == [f"A{i}.txt" for i in range(7)]
    assert files["A5"] == "A5.txt"


def test_v1_asks_only_the_articles_v2_lacks(reader_eval: ModuleType, squad_files: Path) -> None:
    corpus, questions, _ = reader_eval.squad_questions(1, squad_files / "v1")
    assert {q.extra["article"] for q in questions.questions} == {"B0", "B1"}
    assert all(q.answerable and q.answers for q in questions.questions)
    assert len(list(corpus.glob("*.txt"))) == 9  # the distractors are all there


def test_limit_is_a_seeded_sample_in_file_order(reader_eval: ModuleType, squad_files: Path) -> None:
    _, every, _ = reader_eval.squad_questions(2, squad_files / "all")
    order = [q.id for q in every.questions]
    _, first, _ = reader_eval.squad_questions(2, squad_files / "a", limit=3)
    _, again, _ = reader_eval.squad_questions(2, squad_files / "b", limit=3)
    picked = [q.id for q in first.questions]
    assert len(picked) == 3 and picked == [q.id for q in again.questions]
    assert picked == [i for i in order if i in picked]  # a subset, kept in file order
    assert first.sha256 != every.sha256
    _, more, _ = reader_eval.squad_questions(2, squad_files / "c", limit=50)
    assert [q.id for q in more.questions] == order  # a limit above the count keeps them all


def test_every_subcommand_skips_without_the_shared_data(
    reader_eval: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = tmp_path / "shared" / "data"
    monkeypatch.setattr(reader_eval, "SHARED", missing)
    monkeypatch.setattr(split, "V2", missing / "squad-v2.0-dev" / "dev-v2.0.json")
    bbc = str(missing / "bbc-news")
    reader_eval.main(["squad", "--version", "2"])
    reader_eval.main(["depth", "--corpus", bbc])
    reader_eval.main(["set", str(ROOT / "evals" / "bbc.jsonl"), "--corpus", bbc])
    skipped = [line for line in capsys.readouterr().out.splitlines() if "skipped" in line]
    assert len(skipped) == 3
    assert all("../shared/data is absent" in line for line in skipped)
