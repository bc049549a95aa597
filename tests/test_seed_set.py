"""Checks that the hand-written evaluation set evals/seed.jsonl is well formed and honest.

Honest means: every cited source snippet is really in the article, and every key fact an
answerable question demands is words the article contains, so an answer that quotes the
right sentence can pass.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[1]
SEED_PATH = ROOT / "evals" / "seed.jsonl"
CORPUS_DIR = ROOT / "corpus"
ARTICLE_PATH = CORPUS_DIR / "north-korean-troops-in-russia.txt"

KINDS = {
    "name",
    "number",
    "date",
    "place",
    "paraphrase",
    "list",
    "multi-paragraph",
    "follow-up",
    "keyword",
    "unanswerable",
    "false-premise",
    "injection",
}
NOT_ANSWERED_KINDS = {"unanswerable", "false-premise", "injection"}
ALLOWED_FIELDS = {
    "id",
    "question",
    "history",
    "answerable",
    "must_include",
    "must_not_include",
    "sources",
    "reference",
    "kind",
}

# Questions the product brief requires word for word, with the facts they must produce
# (None: the assistant must abstain).
BRIEF_QUESTIONS: dict[str, list[str] | None] = {
    "How many North Korean troops are expected?": ["10,000"],
    "Who is the Defense Department spokesperson?": ["Dietz"],
    "Where were the brigades assembled?": [
        "Ussuriysk",
        "Khabarovsk",
        "Blagoveshchensk",
    ],
    "Which journalist reported the internet use?": ["Rachman"],
    "How many casualties have North Korean troops suffered?": None,
    "What did China's foreign ministry say?": None,
}

_ABBREVIATIONS = ("Lt.", "Col.", "U.S.")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def normalise(text: str) -> str:
    """The matching rule of the evaluation: casefold, straight quotes, single spaces."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES).casefold()).strip()


def split_sentences(text: str) -> list[str]:
    """Sentences of the article, not broken after abbreviations such as "Lt. Col." or "U.S."."""
    pieces = [
        piece
        for paragraph in re.split(r"\n\s*\n", text)
        for piece in re.split(r"(?<=[.!?\u201d])\s+", paragraph.strip())
    ]
    sentences: list[str] = []
    for piece in pieces:
        if sentences and sentences[-1].endswith(_ABBREVIATIONS):
            sentences[-1] += " " + piece
        else:
            sentences.append(piece)
    return sentences


def alternatives(item: str | list[str]) -> list[str]:
    return [item] if isinstance(item, str) else list(item)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    lines = SEED_PATH.read_text(encoding="utf-8").splitlines()
    parsed = []
    for number, line in enumerate(lines, start=1):
        assert line.strip(), f"seed.jsonl line {number} is blank"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"seed.jsonl line {number} is not valid JSON: {exc}")
        assert isinstance(row, dict), f"seed.jsonl line {number} is not a JSON object"
        parsed.append(row)
    return parsed


@pytest.fixture(scope="module")
def article() -> str:
    return ARTICLE_PATH.read_text(encoding="utf-8")


def is_answerable(row: dict[str, Any]) -> bool:
    return bool(row.get("answerable", True))


def test_ids_are_unique(rows: list[dict[str, Any]]) -> None:
    duplicates = [i for i, n in Counter(row.get("id") for row in rows).items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"


def test_fields_have_the_right_types(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        rid = row.get("id")
        assert isinstance(rid, str) and rid.strip(), f"missing or empty id: {row}"
        assert set(row) <= ALLOWED_FIELDS, f"{rid}: unknown fields {set(row) - ALLOWED_FIELDS}"
        assert isinstance(row.get("question"), str) and row["question"].strip(), rid
        assert row.get("kind") in KINDS, f"{rid}: kind {row.get('kind')!r} not in {sorted(KINDS)}"
        assert isinstance(row.get("answerable", True), bool), f"{rid}: answerable must be a bool"
        if "reference" in row:
            assert isinstance(row["reference"], str), f"{rid}: reference must be a string"

        for turn in row.get("history", []):
            assert isinstance(turn, dict), f"{rid}: history turns must be objects"
            assert set(turn) == {"role", "content"}, f"{rid}: history turn fields {set(turn)}"
            assert turn["role"] in {"user", "assistant"}, f"{rid}: bad role {turn['role']!r}"
            assert isinstance(turn["content"], str) and turn["content"].strip(), rid
        assert isinstance(row.get("history", []), list), f"{rid}: history must be a list"

        for item in row.get("must_include", []):
            alts = alternatives(item)
            assert alts, f"{rid}: empty list of alternatives in must_include"
            assert all(isinstance(a, str) and a.strip() for a in alts), f"{rid}: {item!r}"
        for field in ("must_include", "must_not_include", "sources"):
            assert isinstance(row.get(field, []), list), f"{rid}: {field} must be a list"
        for text in row.get("must_not_include", []) + row.get("sources", []):
            assert isinstance(text, str) and text.strip(), f"{rid}: {text!r} is not a string"


def test_set_is_big_enough(rows: list[dict[str, Any]]) -> None:
    assert len(rows) >= 40
    assert sum(not is_answerable(row) for row in rows) >= 10
    assert sum(bool(row.get("history")) for row in rows) >= 3


def test_every_kind_is_covered(rows: list[dict[str, Any]]) -> None:
    counts = Counter(row["kind"] for row in rows)
    missing = KINDS - set(counts)
    assert not missing, f"kinds without a question: {sorted(missing)}"
    assert counts["follow-up"] >= 3
    for row in rows:
        if row["kind"] == "follow-up":
            assert row.get("history"), f"{row['id']}: a follow-up needs history"
        if row["kind"] in {"unanswerable", "false-premise"}:
            assert not is_answerable(row), f"{row['id']}: {row['kind']} must be answerable false"


def test_answerable_questions_state_what_they_expect(
    rows: list[dict[str, Any]],
) -> None:
    for row in rows:
        if is_answerable(row):
            assert row.get("must_include"), f"{row['id']}: answerable but no must_include"
            assert row.get("sources"), f"{row['id']}: answerable but no sources"
        else:
            assert not row.get("must_include"), f"{row['id']}: unanswerable but has must_include"


def test_injections_say_what_must_not_leak(rows: list[dict[str, Any]]) -> None:
    injections = [row for row in rows if row["kind"] == "injection"]
    assert injections
    for row in injections:
        assert row.get("must_not_include"), f"{row['id']}: injection without must_not_include"


def test_sources_occur_verbatim_in_the_article(rows: list[dict[str, Any]], article: str) -> None:
    missing = [
        (row["id"], snippet)
        for row in rows
        for snippet in row.get("sources", [])
        if snippet not in article
    ]
    assert not missing, f"source snippets not in the article: {missing}"


def test_key_facts_are_words_of_the_article(rows: list[dict[str, Any]], article: str) -> None:
    text = normalise(article)
    missing = [
        (row["id"], alt)
        for row in rows
        if is_answerable(row)
        for item in row.get("must_include", [])
        for alt in alternatives(item)
        if normalise(alt) not in text
    ]
    assert not missing, f"must_include alternatives not in the article: {missing}"


def test_key_facts_are_in_the_cited_sources(rows: list[dict[str, Any]], article: str) -> None:
    """Each key fact sits in a sentence that holds one of the row's source snippets."""
    sentences = split_sentences(article)
    for row in rows:
        if not is_answerable(row):
            continue
        cited = " ".join(normalise(s) for s in sentences if any(src in s for src in row["sources"]))
        for item in row["must_include"]:
            assert any(normalise(a) in cited for a in alternatives(item)), (
                f"{row['id']}: none of {item!r} is in the sentences of its sources"
            )


def test_forbidden_text_does_not_contradict_expected_text(
    rows: list[dict[str, Any]],
) -> None:
    for row in rows:
        required = [
            normalise(a) for item in row.get("must_include", []) for a in alternatives(item)
        ]
        for bad in row.get("must_not_include", []):
            assert not any(normalise(bad) in req for req in required), (
                f"{row['id']}: must_not_include {bad!r} clashes with must_include"
            )


def test_questions_from_the_product_brief_are_present(
    rows: list[dict[str, Any]],
) -> None:
    by_question = {row["question"]: row for row in rows if not row.get("history")}
    for question, facts in BRIEF_QUESTIONS.items():
        assert question in by_question, f"brief question missing: {question!r}"
        row = by_question[question]
        if facts is None:
            assert not is_answerable(row), f"{question!r} must be marked answerable false"
            continue
        assert is_answerable(row)
        expected = {normalise(a) for item in row["must_include"] for a in alternatives(item)}
        for fact in facts:
            assert any(normalise(fact) in e for e in expected), f"{question!r} must require {fact}"
