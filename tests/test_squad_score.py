"""SQuAD's EM/F1, checked on cases worked out by hand from the official scripts' definition
(lower case, no punctuation, no articles, white space collapsed; best over gold answers;
for SQuAD 2.0 the empty answer is right for a question without gold answers)."""

from __future__ import annotations

import pytest

from assistant.evaluation.squad_score import best, exact_match, f1, normalize_answer


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("The  Cat!", "cat"),
        ("an apple, a day", "apple day"),
        ("U.S. Army", "us army"),
        ("Theatre of the absurd", "theatre of absurd"),  # "the" only as a whole word
        ("  1,000  troops. ", "1000 troops"),
    ],
)
def test_normalisation(raw: str, normal: str) -> None:
    assert normalize_answer(raw) == normal


def test_exact_match_ignores_articles_case_and_punctuation() -> None:
    assert exact_match("the Denver Broncos", "Denver Broncos!") == 1.0
    assert exact_match("Denver", "Denver Broncos") == 0.0


def test_f1_is_token_overlap_with_counts() -> None:
    # precision 2/3, recall 1 -> 0.8
    assert f1("Denver Broncos won", "Denver Broncos") == pytest.approx(0.8)
    # a repeated token counts once when the gold has it once: common 2 of 3 predicted
    assert f1("red red blue", "red blue") == pytest.approx(0.8)
    # precision 1/2, recall 1/3 -> 0.4
    assert f1("Carolina Panthers", "the Carolina team lost") == pytest.approx(0.4)
    assert f1("Seattle", "Denver") == 0.0


def test_best_takes_the_best_gold_answer() -> None:
    assert best("Broncos", ["Denver Broncos", "Broncos"]) == (1.0, 1.0)
    em, score = best("the Broncos team", ["Denver Broncos", "Broncos"])
    # "broncos team" against "broncos": precision 1/2, recall 1 -> 2/3 (better than 1/2)
    assert em == 0.0 and score == pytest.approx(2 / 3, abs=1e-4)


def test_no_answer_questions() -> None:
    assert best("", []) == (1.0, 1.0)
    assert best("Paris", []) == (0.0, 0.0)
    # a gold answer that normalises to nothing counts as no answer, as in the v2.0 script
    assert best("", ["the"]) == (1.0, 1.0)
    assert best("", ["Paris"]) == (0.0, 0.0)


def _answer(text: str, short: str | None = None, abstained: bool = False):
    from assistant.types import Answer, ShortAnswer

    brief = (
        ShortAnswer(text=short, citation=1, start=0, end=len(short), probability=0.9)
        if short
        else None
    )
    return Answer(question="q", text=text, abstained=abstained, short_answer=brief)


def test_evaluation_scores_the_short_answer_with_has_and_no_answer_breakdown() -> None:
    from assistant.evaluation import metrics
    from assistant.evaluation.questions import Question
    from assistant.evaluation.results import EvalResult, Gold

    rows = [
        # the short answer is scored, not the quote around it
        (
            Question(id="a", question="q", answers=["Denver Broncos"]),
            _answer("The Denver Broncos won the game. [1]", "Denver Broncos"),
        ),
        # an answer without a short answer is scored on its text, markers removed
        (Question(id="b", question="q", answers=["Oslo"]), _answer("Oslo [1]")),
        # abstaining on an answerable question scores 0
        (
            Question(id="c", question="q", answers=["1066"]),
            _answer("The documents do not answer.", abstained=True),
        ),
        # SQuAD 2.0 unanswerable: right only when abstained
        (
            Question(id="d", question="q", answerable=False, answers=[]),
            _answer("x", abstained=True),
        ),
        (
            Question(id="e", question="q", answerable=False, answers=[]),
            _answer("Paris [1]", "Paris"),
        ),
        # a set without `answers` has no SQuAD scores
        (Question(id="f", question="q"), _answer("Paris [1]", "Paris")),
    ]
    results = []
    for question, answer in rows:
        m = metrics.score(question, answer, [])
        results.append(
            EvalResult(
                id=question.id,
                question="q",
                answerable=question.answerable,
                gold=Gold(answers=question.answers),
                metrics=m,
                abstained=answer.abstained,
            )
        )
    assert [(r.metrics.exact_match, r.metrics.f1) for r in results] == [
        (1.0, 1.0),
        (1.0, 1.0),
        (0.0, 0.0),
        (1.0, 1.0),
        (0.0, 0.0),
        (None, None),
    ]
    summary = metrics.summarise(results)
    assert summary["with_answers"] == 5
    assert summary["exact_match"] == pytest.approx(3 / 5, abs=1e-4)
    assert summary["has_ans_f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert summary["no_ans_accuracy"] == pytest.approx(1 / 2)
