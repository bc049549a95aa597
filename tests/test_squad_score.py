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
    assert em == 0.0 and score == pytest.approx(2 / 3)


def test_no_answer_questions() -> None:
    assert best("", []) == (1.0, 1.0)
    assert best("Paris", []) == (0.0, 0.0)
    # a gold answer that normalises to nothing counts as no answer, as in the v2.0 script
    assert best("", ["the"]) == (1.0, 1.0)
    assert best("", ["Paris"]) == (0.0, 0.0)
