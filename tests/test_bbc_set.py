"""evals/bbc.jsonl, the library-scale question set: its make-up, and every key fact checked
against the BBC articles in ../shared/data/bbc-news (read in place: the texts are copyright BBC,
licensed for evaluation only, so the set holds no quotes of them and nothing is copied)."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import PurePosixPath

import pytest

from assistant.evaluation.questions import Question, load_questions
from assistant.text import normalise

from .support.paths import ROOT, shared_data

SET = ROOT / "evals" / "bbc.jsonl"
KINDS = {
    "paraphrase", "number", "name", "date", "place", "list", "unanswerable", "false-premise",
}  # fmt: skip
NOT_ANSWERABLE = {"unanswerable", "false-premise"}
# No field may repeat this many consecutive words of its article (the licence: no quotes).
LONGEST_SHARED_RUN = 12


@pytest.fixture(scope="module")
def questions() -> list[Question]:
    loaded = load_questions(SET)
    assert not loaded.problems, loaded.problems
    return loaded.questions


def test_the_set_meets_its_minimums(questions: list[Question]) -> None:
    kinds = Counter(q.kind for q in questions)
    articles = {q.source_docs[0] for q in questions if q.source_docs}
    categories = {q.extra.get("category") for q in questions}
    assert len(questions) >= 60
    assert len(articles) >= 12, sorted(articles)
    assert len(categories) >= 4 and None not in categories
    assert set(kinds) == KINDS, kinds  # every kind present, no stray spelling
    assert 0.12 <= kinds["unanswerable"] / len(questions) <= 0.20, kinds  # about 15%
    assert 0.08 <= kinds["false-premise"] / len(questions) <= 0.15, kinds  # about 10%
    for q in questions:
        assert q.source_docs, q.id
        assert not q.sources, f"{q.id}: no snippets of the BBC texts in the set (licence)"
        assert q.reference, q.id
        # The folder of a BBC path is its category.
        assert {PurePosixPath(d).parts[0] for d in q.source_docs} == {q.extra["category"]}, q.id
        assert q.answerable == (q.kind not in NOT_ANSWERABLE), q.id
        assert bool(q.must_include) == q.answerable, q.id
        # Questions must name their article's subject: nothing as bare as "What did he say?".
        assert len(q.question.split()) >= 6, q.id


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'£$%.,-]+", normalise(text))


def test_every_fact_is_in_its_article_and_every_copy_is_listed(questions: list[Question]) -> None:
    corpus = shared_data("bbc-news")
    with (corpus / "index.tsv").open(encoding="utf-8", newline="") as index:
        rows = list(csv.DictReader(index, delimiter="\t"))
    # Copies of an article: all paths sharing its original (duplicate_of, or itself).
    original = {r["path"]: r["duplicate_of"] or r["path"] for r in rows}
    copies: dict[str, set[str]] = {}
    for path, first in original.items():
        copies.setdefault(first, set()).add(path)
    texts: dict[str, str] = {}
    for q in questions:
        for doc in q.source_docs:
            path = corpus / doc
            assert path.is_file(), f"{q.id}: {doc} does not exist under {corpus}"
            texts.setdefault(doc, normalise(path.read_text(encoding="utf-8")))
        listed = set(q.source_docs)
        assert listed == copies[original[q.source_docs[0]]], f"{q.id}: list every copy"
        if q.answerable:
            for fact in q.must_include:
                assert any(
                    normalise(alternative) in texts[doc]
                    for alternative in fact
                    for doc in q.source_docs
                ), f"{q.id}: none of {fact} is in {q.source_docs}"
        # No field repeats a long run of the article's words.
        article = _words(texts[q.source_docs[0]])
        runs = {
            tuple(article[i : i + LONGEST_SHARED_RUN])
            for i in range(len(article) - LONGEST_SHARED_RUN + 1)
        }
        for field in (q.question, q.reference or ""):
            words = _words(field)
            for i in range(len(words) - LONGEST_SHARED_RUN + 1):
                assert tuple(words[i : i + LONGEST_SHARED_RUN]) not in runs, f"{q.id}: a quote"


def test_unanswerable_rows_are_about_articles_that_do_not_say(questions: list[Question]) -> None:
    """A spot check of what the unanswerable rows rely on: the article never states it."""
    corpus = shared_data("bbc-news")
    absent = {
        "bbc-qantas-pilots": ["pilot"],
        "bbc-bandaid-price-paid": ["£", "price", "paid"],
        "bbc-vera-best-actor-tip": ["best actor"],
        "bbc-vera-cannes": ["cannes"],
        "bbc-drink-fines": ["fine"],
        "bbc-bryan-prize-money": ["prize", "money"],
        "bbc-moody-stitches": ["stitch"],
        "bbc-lifts-cost": ["cost", "$", "£"],
        "bbc-art-national-gallery": ["national gallery"],
        "bbc-china-eu-votes": ["vote"],
    }
    by_id = {q.id: q for q in questions}
    for qid, words in absent.items():
        q = by_id[qid]
        assert not q.answerable, qid
        text = normalise((corpus / q.source_docs[0]).read_text(encoding="utf-8"))
        for word in words:
            assert word not in text, f"{qid}: the article mentions {word!r}"
