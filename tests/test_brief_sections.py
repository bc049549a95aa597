"""Each section of a briefing on small documents written for the test: what it must find,
what it must leave out, and that every line is made of its quotes at their offsets."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistant.brief import DEFAULT_TUNING, Briefing, BriefingHistory, CoveredDoc, Scope, compose
from assistant.brief.documents import Doc, read_document
from assistant.brief.facts import speaker
from assistant.brief.history import mark_changes, sentence_hash
from assistant.brief.rank import Ranker
from assistant.text import normalise
from assistant.types import DocumentInfo

PORT_STRIKE = """Dock Workers Strike at the Port of Lisbon

Published: 5 November 2024

More than 2,500 dock workers walked out at the Port of Lisbon on Friday, halting all container traffic.

Ana Ferreira, a spokeswoman for the Dockers Union, said the strike would continue until wages rise by 8%.

According to the Ministry of Transport, the stoppage costs the economy about €40 million a day.

The port operator declined to comment on the wage offer.

Prime Minister Luis Montenegro met union leaders in June to discuss pensions, and the talks stalled in September.

Ships were diverted to Sines, Setúbal and Leixões while the strike lasted.

Talks are due to resume next week, the union said.
"""

PORT_FOLLOW_UP = """Lisbon Port Strike Enters Second Week

Around 3,000 dock workers are now on strike at the Port of Lisbon, the Dockers Union said.

The port operator declined to comment on the wage offer.

Ana Ferreira, a spokeswoman for the Dockers Union, said members had voted to stay out.

The government denied that it had threatened to bring in the army.
"""

UNDATED = """Harvest Report

The cooperative signed a supply contract in June and began deliveries in August.

Its chairman, Pedro Alves, said the harvest was the best in a decade.

Volunteers from Braga helped bring in about 400 tonnes of grapes.
"""


def _doc(title: str, text: str, name: str) -> Doc:
    info = DocumentInfo(
        doc_id=hashlib.sha1(name.encode()).hexdigest()[:16],
        title=title,
        source=f"/docs/{name}",
        chunks=1,
        chars=len(text),
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        ingested_at="2024-11-06T00:00:00+00:00",
    )
    return read_document(info, text)


def _brief(*docs: Doc, topic: str | None = None) -> Briefing:
    sections, _ = compose(list(docs), Scope(topic=topic), DEFAULT_TUNING)
    return Briefing(scope=Scope(), sections=sections)


@pytest.fixture(scope="module")
def strike() -> Doc:
    return _doc("Dock Workers Strike at the Port of Lisbon", PORT_STRIKE, "strike.txt")


@pytest.fixture(scope="module")
def follow_up() -> Doc:
    return _doc("Lisbon Port Strike Enters Second Week", PORT_FOLLOW_UP, "follow-up.txt")


def _lines(briefing: Briefing, key: str) -> list[str]:
    section = briefing.section(key)
    return [item.text for item in section.items] if section else []


def test_the_document_date_is_read_from_its_dateline(strike: Doc) -> None:
    assert strike.date is not None and strike.date.isoformat() == "2024-11-05"
    assert _doc("Harvest Report", UNDATED, "harvest.txt").date is None


def test_key_points_are_three_to_seven_distinct_statements(strike: Doc) -> None:
    briefing = _brief(strike)
    points = briefing.section("key_points")
    assert points is not None and 3 <= len(points.items) <= 7
    texts = [normalise(item.text) for item in points.items]
    assert len(set(texts)) == len(texts)
    assert not any("published" in t for t in texts), "the dateline is not a statement"
    assert any("2,500 dock workers" in t for t in texts)


def test_people_and_organisations_come_with_the_role_the_text_gives(strike: Doc) -> None:
    people = _brief(strike).section("people")
    assert people is not None
    by_name = {item.label: item for item in people.items}
    assert "a spokeswoman for the Dockers Union" in (by_name["Ana Ferreira"].detail or "")
    assert by_name["Luis Montenegro"].detail == "Prime Minister"
    assert "Ministry of Transport" in by_name
    assert "Dockers Union" in by_name or "Dockers Union" in str(by_name)
    assert "Friday" not in by_name and "June" not in by_name, "dates are not names"


def test_places_include_a_list_after_a_place_on_one_line(strike: Doc) -> None:
    places = _brief(strike).section("places")
    assert places is not None
    labels = [item.label or "" for item in places.items]
    assert "Sines, Setúbal, Leixões" in labels, "named in one sentence: one line"
    assert not any("Ana Ferreira" in label for label in labels)
    listed = next(item for item in places.items if item.label == "Sines, Setúbal, Leixões")
    assert (
        listed.detail
        == "Ships were diverted to Sines, Setúbal and Leixões while the strike lasted."
    )


def test_timeline_keeps_dates_as_written_and_places_them_by_the_document_date(strike: Doc) -> None:
    timeline = _brief(strike).section("timeline")
    assert timeline is not None
    labels = [(item.label, item.detail) for item in timeline.items]
    assert ("on Friday", "Friday 01 November 2024") in labels
    june = next(item for item in timeline.items if "in June" in (item.label or ""))
    assert june.detail == "June 2024"
    assert "next week" in " ".join(item.label or "" for item in timeline.items)
    order = [item.text for item in timeline.items]
    assert order.index(june.text) < order.index(next(t for t in order if "on Friday" in t)), (
        "June comes before the strike of 1 November"
    )
    assert timeline.note is None


def test_timeline_without_a_document_date_orders_months_and_says_so() -> None:
    timeline = _brief(_doc("Harvest Report", UNDATED, "harvest.txt")).section("timeline")
    assert timeline is not None
    assert [item.label for item in timeline.items] == ["in June, in August"]
    assert timeline.items[0].detail is None, "no year is invented"
    assert timeline.note and "one year" in timeline.note


def test_numbers_say_what_they_count(strike: Doc) -> None:
    numbers = _brief(strike).section("numbers")
    assert numbers is not None
    by_figure = {item.label: item for item in numbers.items}
    assert by_figure["More than 2,500"].detail == "dock workers"
    assert any("40 million" in (label or "") for label in by_figure)
    assert "2024" not in by_figure, "a year is a date, not a figure"


def test_claims_keep_who_makes_them(strike: Doc) -> None:
    claims = _brief(strike).section("claims")
    assert claims is not None
    speakers = {item.label for item in claims.items}
    assert "the Ministry of Transport" in speakers
    assert any("Ana Ferreira" in (s or "") for s in speakers)


def test_unconfirmed_lists_refusals_denials_and_differing_figures(
    strike: Doc, follow_up: Doc
) -> None:
    briefing = _brief(strike, follow_up)
    section = briefing.section("unconfirmed")
    assert section is not None
    labels = {item.label for item in section.items}
    assert {"no comment", "denied", "figures differ"} <= labels
    differ = next(item for item in section.items if item.label == "figures differ")
    assert {c.doc_id for c in differ.citations} == {strike.doc_id, follow_up.doc_id}
    assert "2,500" in differ.text and "3,000" in differ.text


def test_what_several_documents_say_becomes_one_line_with_all_their_sources(
    strike: Doc, follow_up: Doc
) -> None:
    briefing = _brief(strike, follow_up)
    refusals = [i for i in briefing.items if "declined to comment" in i.text]
    assert refusals
    assert all(item.sources == 2 for item in refusals)
    keys = [item.key for item in refusals]
    assert len(keys) == len(set(keys)), "no section repeats the same line"
    people = briefing.section("people")
    ana = next(i for i in people.items if i.label == "Ana Ferreira")  # type: ignore[union-attr]
    assert ana.sources == 2


def test_key_points_are_spread_over_the_documents(strike: Doc, follow_up: Doc) -> None:
    points = _brief(strike, follow_up).section("key_points")
    assert points is not None
    assert {c.doc_id for item in points.items for c in item.citations} == {
        strike.doc_id,
        follow_up.doc_id,
    }


def test_every_line_is_made_of_its_quotes_and_every_quote_sits_at_its_offsets(
    strike: Doc, follow_up: Doc
) -> None:
    docs = {strike.doc_id: strike.text, follow_up.doc_id: follow_up.text}
    briefing = _brief(strike, follow_up)
    numbers: dict[int, tuple[str, int, int]] = {}
    for item in briefing.items:
        if item.key.startswith("gaps:"):
            continue
        assert item.citations, item
        quotes = [normalise(c.quote) for c in item.citations]
        for piece in item.evidence:
            assert any(normalise(piece) in q for q in quotes), (piece, quotes)
        for c in item.citations:
            assert docs[c.doc_id][c.char_start : c.char_end] == c.quote
            assert numbers.setdefault(c.number, (c.doc_id, c.char_start, c.char_end)) == (
                c.doc_id,
                c.char_start,
                c.char_end,
            ), "one number per quoted span"


def test_a_topic_pulls_its_statements_up(strike: Doc) -> None:
    def best(topic: str | None) -> str:
        ranker = Ranker([strike], DEFAULT_TUNING, topic)
        return max(ranker.usable, key=lambda pair: ranker.scores[id(pair[1])])[1].text

    assert "2,500 dock workers" in best(None), "the lead, without a topic"
    assert best("ships diverted to other ports").startswith("Ships were diverted")


@pytest.mark.parametrize(
    ("sentence", "who"),
    [
        ("According to the harbour master, two cranes were damaged.", "the harbour master"),
        (
            '"We will not sign this offer," said union negotiator Rui Costa.',
            "union negotiator Rui Costa",
        ),
        (
            '"The delays are costly," said Joana Lima, an economist at the central bank.',
            "Joana Lima, an economist at the central bank",
        ),
        (
            "Later, Paulo Reis, head of the shipping federation, said the losses were mounting.",
            "Paulo Reis, head of the shipping federation",
        ),
        (
            "The regulator, with support from two ministries, has warned that fines may follow.",
            "The regulator",
        ),
        ("While some traders argue that prices will fall, others disagree.", "some traders"),
        ("The cranes were repaired on Tuesday.", None),
    ],
)
def test_the_speaker_of_a_claim_is_kept_in_its_own_words(sentence: str, who: str | None) -> None:
    assert speaker(sentence) == who


def test_he_said_after_a_named_speaker_names_them() -> None:
    text = (
        "Port Talks\n\nMarta Reis, a spokeswoman for the operator, said the offer was final.\n\n"
        "She said the operator would not improve it before the spring.\n"
    )
    claims = _brief(_doc("Port Talks", text, "talks.txt")).section("claims")
    assert claims is not None
    resolved = next(item for item in claims.items if item.label == "She")
    assert resolved.detail == "Marta Reis, a spokeswoman for the operator"
    assert len(resolved.citations) == 2, "the naming sentence backs the name"


def test_a_line_that_gains_a_source_is_marked_changed_and_an_untouched_one_is_not(
    strike: Doc, follow_up: Doc, tmp_path: Path
) -> None:
    """What changed, on the saved form: the refusal to comment gains the follow-up's quote
    (changed), the follow-up's own figures are new, the first article's other lines are not."""

    def briefing_of(*docs: Doc) -> tuple[Briefing, dict[str, list[str]]]:
        sections, _ = compose(list(docs), Scope(), DEFAULT_TUNING)
        covered = [
            CoveredDoc(doc_id=d.doc_id, title=d.info.title, source=d.info.source,
                       content_hash=d.info.content_hash)
            for d in docs
        ]  # fmt: skip
        hashes = {d.doc_id: [sentence_hash(s.text) for s in d.statements] for d in docs}
        return Briefing(scope=Scope(), sections=sections, covered=covered, created_at="t0"), hashes

    history = BriefingHistory(tmp_path)
    first, hashes = briefing_of(strike)
    history.save("k", first, hashes)
    second, _ = briefing_of(strike, follow_up)
    saved = history.load("k")
    assert saved is not None
    mark_changes(second, saved, {strike.doc_id, follow_up.doc_id})
    refusal = next(i for i in second.items if i.label == "no comment")
    assert refusal.sources == 2 and refusal.change == "changed"
    untouched = [i for i in second.items if {c.doc_id for c in i.citations} == {strike.doc_id}]
    assert untouched and not any(i.new for i in untouched)
    assert any(i.change == "new" and "3,000" in i.text for i in second.items)
    assert second.since == "t0" and not second.left
