"""Briefings through a real engine: the seed article's acceptance facts, what changed after
an ingest and a deletion, and the bad inputs (a topic about nothing, an empty library, an
unknown document, a scope too large)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.brief import (
    Briefing,
    BriefingHistory,
    BriefTuning,
    EngineLibrary,
    NoMatch,
    Request,
    build_briefing,
)
from assistant.engine import Engine
from assistant.errors import BadInput, NotIngested
from assistant.text import normalise

from .conftest import SEED_ARTICLE

SECOND = """South Korea Summons Russian Ambassador Over Troop Deployment

South Korea's foreign ministry summoned the Russian ambassador in Seoul to protest the deployment of North Korean soldiers.

Vice Foreign Minister Kim Hong-kyun told the ambassador that the deployment threatens regional security.

The ambassador said the cooperation between Moscow and Pyongyang was not aimed at South Korea.
"""


def _text(briefing: Briefing) -> str:
    """What a reader sees: every line, its label and detail, and its quotes."""
    parts = []
    for item in briefing.items:
        parts += [item.text, item.label or "", item.detail or ""]
        parts += [c.quote for c in item.citations]
    return normalise(" ".join(parts))


@pytest.fixture(scope="module")
def seed_briefing(seed_engine: Engine) -> Briefing:
    return build_briefing(EngineLibrary(seed_engine), Request())


# The "Done when" facts, each with the section it belongs in.
SEED_FACTS = [
    ("numbers", ["10,000"]),
    ("unconfirmed", ["Dietz", "can’t confirm"]),
    ("timeline", ["South Korean intelligence report", "October"]),
    ("places", ["Vladivostok"]),
    ("places", ["Far East", "brigades"]),
    ("places", ["Kursk", "rail"]),
    ("timeline", ["pact", "June"]),
    ("unconfirmed", ["neither", "acknowledged"]),
]


@pytest.mark.parametrize(("section", "words"), SEED_FACTS)
def test_the_seed_briefing_states_each_fact_with_a_citation(
    seed_briefing: Briefing, seed_engine: Engine, section: str, words: list[str]
) -> None:
    found = seed_briefing.section(section)
    assert found is not None, f"no {section} section"
    holding = [
        item
        for item in found.items
        if all(
            normalise(w) in normalise(" ".join([item.text, *(c.quote for c in item.citations)]))
            for w in words
        )
    ]
    assert holding, f"{words} not in {section}: {[i.text for i in found.items]}"
    for item in holding:
        assert item.citations
        for c in item.citations:
            assert seed_engine.document_text(c.doc_id)[c.char_start : c.char_end] == c.quote  # type: ignore[index]
            assert c.paragraph >= 1


def test_the_seed_briefing_lists_casualties_as_not_in_the_documents(
    seed_briefing: Briefing,
) -> None:
    gaps = seed_briefing.section("gaps")
    assert gaps is not None
    assert any("casualties" in item.text.lower() for item in gaps.items)
    assert not any("who is involved" in item.text.lower() for item in gaps.items), (
        "the article names who is involved"
    )


def test_the_seed_briefing_names_its_people_with_roles(seed_briefing: Briefing) -> None:
    people = {item.label: item.detail for item in seed_briefing.section("people").items}  # type: ignore[union-attr]
    assert "spokesperson for the Defense Department" in (people.get("Charlie Dietz") or "")
    assert "journalist" in (people.get("Gideon Rachman") or "")


def test_a_topic_briefing_and_a_document_briefing(seed_engine: Engine) -> None:
    library = EngineLibrary(seed_engine)
    topic = build_briefing(library, Request(topic="the troop deployment"))
    assert topic.scope.kind == "topic" and len(topic.covered) == 1
    doc_id = seed_engine.documents()[0].doc_id
    by_path = build_briefing(library, Request(doc=str(SEED_ARTICLE)))
    by_id = build_briefing(library, Request(doc=doc_id))
    assert by_path.scope.doc_id == by_id.scope.doc_id == doc_id
    assert [i.text for i in by_path.items] == [i.text for i in by_id.items]


def test_a_topic_about_nothing_names_the_closest_titles(seed_engine: Engine) -> None:
    with pytest.raises(NoMatch) as caught:
        build_briefing(EngineLibrary(seed_engine), Request(topic="quarterly sugar beet yields"))
    message = str(caught.value)
    assert "No documents about 'quarterly sugar beet yields'" in message
    assert "North Korean Troops in Russia" in message
    assert isinstance(caught.value, BadInput)


def test_an_unknown_document_is_a_clear_error(seed_engine: Engine) -> None:
    with pytest.raises(BadInput, match="No document 'no-such-id' in the library"):
        build_briefing(EngineLibrary(seed_engine), Request(doc="no-such-id"))


def test_an_empty_topic_is_bad_input(seed_engine: Engine) -> None:
    with pytest.raises(BadInput, match="topic is empty"):
        build_briefing(EngineLibrary(seed_engine), Request(topic=" \n "))


def test_an_empty_library_says_to_ingest_first(make_engine: Callable[..., Engine]) -> None:
    with pytest.raises(NotIngested, match="ingest"):
        build_briefing(EngineLibrary(make_engine()), Request())


def test_a_scope_too_large_is_capped_with_a_notice(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    corpus = tmp_path / "many"
    corpus.mkdir()
    for n in range(4):
        (corpus / f"note-{n}.txt").write_text(
            f"Note {n}\n\nThe committee met on day {n} and approved budget line {n} for the school.\n",
            encoding="utf-8",
        )
    engine = make_engine(corpus_dir=corpus)
    engine.ingest()
    briefing = build_briefing(
        EngineLibrary(engine), Request(), tuning=BriefTuning(max_documents=2), ask_gaps=False
    )
    assert len(briefing.covered) == 2
    assert any("holds 4 documents" in n and "reads the 2" in n for n in briefing.notices)


def test_a_new_document_is_marked_new_and_a_deleted_one_is_said_to_have_left(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_ARTICLE, corpus / SEED_ARTICLE.name)
    engine = make_engine(corpus_dir=corpus)
    engine.ingest()
    library = EngineLibrary(engine)
    history = BriefingHistory(tmp_path / "briefings")

    first = build_briefing(library, Request(), history=history)
    assert not any(item.new for item in first.items), "nothing is new the first time"

    second_path = corpus / "summons.txt"
    second_path.write_text(SECOND, encoding="utf-8")
    engine.ingest()
    second = build_briefing(library, Request(), history=history)
    added = next(d.doc_id for d in second.covered if d.source.endswith("summons.txt"))
    new_items = [item for item in second.items if item.new]
    assert new_items, "the second document's lines are marked new"
    for item in second.items:
        cites_new = any(c.doc_id == added for c in item.citations)
        assert item.new == cites_new, (item.text, item.new)
    assert any(item.change == "new" for item in new_items)
    assert second.since == first.created_at

    since = build_briefing(library, Request(), history=history, since_last=True)
    assert not since.sections, "nothing changed since the second briefing"
    assert any("Nothing has changed" in n for n in since.notices)

    engine.delete_document(added)
    third = build_briefing(library, Request(), history=history, since_last=True)
    assert [d.doc_id for d in third.left] == [added]
    assert any(
        "was removed from the library" in n and "South Korea Summons" in n for n in third.notices
    )


def test_an_edited_document_marks_its_changed_lines(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    path = corpus / "summons.txt"
    path.write_text(SECOND, encoding="utf-8")
    engine = make_engine(corpus_dir=corpus)
    engine.ingest()
    library = EngineLibrary(engine)
    history = BriefingHistory(tmp_path / "briefings")
    build_briefing(library, Request(), history=history, ask_gaps=False)
    path.write_text(
        SECOND + "\nThe ministry said 12 diplomats would attend the follow-up talks in Seoul.\n",
        encoding="utf-8",
    )
    engine.ingest()
    changed = build_briefing(library, Request(), history=history, since_last=True, ask_gaps=False)
    assert changed.items, "the added sentence is reported"
    assert all("12 diplomats" in item.citations[0].quote for item in changed.items), (
        "only lines quoting the added sentence are marked"
    )
    assert any(item.label == "12" and item.detail == "diplomats" for item in changed.items)
