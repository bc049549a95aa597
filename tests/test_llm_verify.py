"""Citation checking (assistant.cite.verify) on passages of the seed article with the real
embedding model: marker parsing, support scores, flagged claims, renumbering, offsets."""

from __future__ import annotations

import pytest

from assistant.answer.candidates import split_candidates
from assistant.answer.llm import is_abstention
from assistant.cite.marking import normalise_markers, split_answer
from assistant.cite.verify import CitationTuning, check_answer
from assistant.engine import Engine
from assistant.types import Passage

SUPPORT_THRESHOLD = CitationTuning().support_threshold

ABSTAIN = "The documents do not answer this question."


@pytest.fixture(scope="module")
def passages(seed_engine: Engine) -> list[Passage]:
    """Three passages: the spokesperson's, the troop projection's and the journalist's."""
    found = []
    for question, needle in [
        ("Who is the Defense Department spokesperson?", "Charlie Dietz"),
        ("How many North Korean troops are expected?", "10,000"),
        ("Which journalist reported the internet use?", "Gideon Rachman"),
    ]:
        hits = seed_engine.retriever.retrieve(question)
        found.append(next(p for p in hits if needle in p.text))
    assert len({p.chunk_id for p in found}) == 3
    return found


def check(text: str, passages: list[Passage], engine: Engine, **options):
    candidates = split_candidates(passages)
    return check_answer(text, passages, engine.embedder(), candidates=candidates, **options)


# --- parsing ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Fact [1, 2].", "Fact [1][2]."),
        ("Fact [1-3].", "Fact [1][2][3]."),
        ("Fact [2; 4].", "Fact [2][4]."),
        ("Fact [Passage 2].", "Fact [2]."),
        ("Fact [passages 3].", "Fact [3]."),
        ("In [2024] nothing.", "In [2024] nothing."),
    ],
)
def test_marker_variants_are_normalised(raw, expected):
    assert normalise_markers(raw) == expected


def test_markers_after_the_full_stop_belong_to_the_sentence_before():
    parsed = split_answer("First claim [1]. Second claim. [2][3]\n\n- item one [1]\n- item two")
    assert parsed == [
        ("First claim.", [1], ""),
        ("Second claim.", [2, 3], " "),
        ("- item one", [1], "\n\n"),
        ("- item two", [], "\n"),
    ]


# --- support ------------------------------------------------------------------------------
def test_a_faithful_paraphrase_is_supported_and_quoted_from_the_document(seed_engine, passages):
    checked = check(
        "The Pentagon's spokesperson, Lt. Col. Charlie Dietz, said he cannot confirm the "
        "soldiers' internet habits [1].",
        passages,
        seed_engine,
    )
    [sentence] = checked.sentences
    assert sentence.supported and sentence.support is not None
    assert sentence.support >= SUPPORT_THRESHOLD
    [citation] = checked.citations
    assert citation.supported and citation.support == sentence.support
    assert "can’t confirm" in citation.quote
    document = seed_engine.document_text(citation.doc_id)
    assert document[citation.char_start : citation.char_end] == citation.quote
    assert passages[0].paragraph_start <= citation.paragraph <= passages[0].paragraph_end


def test_a_changed_number_is_not_supported(seed_engine, passages):
    right = check(
        "Over 10,000 North Korean troops are expected to fight [2].", passages, seed_engine
    )
    wrong = check(
        "Over 40,000 North Korean troops are expected to fight [2].", passages, seed_engine
    )
    assert right.sentences[0].supported
    assert not wrong.sentences[0].supported
    assert wrong.sentences[0].support < right.sentences[0].support


def test_a_swapped_name_is_not_supported(seed_engine, passages):
    checked = check(
        "Gideon Rachman is the spokesperson for the Defense Department [1].", passages, seed_engine
    )
    assert not checked.sentences[0].supported
    assert not checked.citations[0].supported


def test_citing_the_wrong_passage_is_flagged(seed_engine, passages):
    checked = check(
        "Army Lt. Col. Charlie Dietz is the Defense Department spokesperson [3].",
        passages,
        seed_engine,
    )
    assert not checked.supported
    assert checked.citations[0].support < SUPPORT_THRESHOLD


def test_a_sentence_combining_two_passages_is_supported_by_both(seed_engine, passages):
    checked = check(
        "Financial Times journalist Gideon Rachman reported the internet use, and Army Lt. Col. "
        "Charlie Dietz of the Defense Department said he can't confirm it [3][1].",
        passages,
        seed_engine,
    )
    [sentence] = checked.sentences
    assert sentence.supported and sentence.citations == [1, 2]
    # Neither passage holds the whole sentence, but each holds a part it needs.
    assert all(c.support < sentence.support for c in checked.citations)
    assert all(c.supported for c in checked.citations)
    assert [c.chunk_id for c in checked.citations] == [passages[2].chunk_id, passages[0].chunk_id]


def test_a_citation_that_adds_nothing_is_flagged_in_a_supported_sentence(seed_engine, passages):
    checked = check(
        "Army Lt. Col. Charlie Dietz is the Defense Department spokesperson [1][2].",
        passages,
        seed_engine,
    )
    assert checked.sentences[0].supported
    assert [c.supported for c in checked.citations] == [True, False]


def test_markers_are_renumbered_in_order_and_a_repeated_span_keeps_its_number(
    seed_engine, passages
):
    checked = check(
        "Over 10,000 North Korean troops are expected to participate [2]. "
        "Army Lt. Col. Charlie Dietz is the Defense Department spokesperson [1]. "
        "Ukrainian military intelligence projected that over 10,000 troops are expected [2].",
        passages,
        seed_engine,
    )
    assert [s.citations for s in checked.sentences] == [[1], [2], [1]]
    assert len(checked.citations) == 2
    assert checked.text.endswith("troops are expected. [1]")


def test_invalid_markers_are_dropped_and_reported(seed_engine, passages):
    checked = check("Dietz is the spokesperson [1][4][0].", passages, seed_engine)
    assert checked.dropped == [4, 0]
    assert checked.text == "Dietz is the spokesperson. [1]"


def test_uncited_claims_are_unsupported_but_the_abstention_sentence_is_not(seed_engine, passages):
    checked = check(
        f"Charlie Dietz is the spokesperson [1]. He is also a pilot. {ABSTAIN}",
        passages,
        seed_engine,
        exempt=[ABSTAIN],
    )
    flags = [s.supported for s in checked.sentences]
    assert flags == [True, False, True]


def test_the_citation_score_says_how_well_the_quote_fits_the_question(seed_engine, passages):
    checked = check(
        "Army Lt. Col. Charlie Dietz is the Defense Department spokesperson [1].",
        passages,
        seed_engine,
        question="Who is the Defense Department spokesperson?",
    )
    assert 0.5 < checked.citations[0].score <= 1.0
    assert "Dietz emphasized" not in checked.citations[0].quote  # one sentence suffices


# --- abstention ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ABSTAIN, True),
        ("the documents do not answer this question", True),
        ("I'm sorry, the passages don't mention China's foreign ministry.", True),
        ("There is no information about that in the provided passages.", True),
        ("I cannot answer that from these documents.", True),
        ("Dietz is the spokesperson [1].", False),
        ("The documents describe a deployment of 10,000 troops [2].", False),
    ],
)
def test_abstention_is_detected_in_its_usual_wordings(text, expected):
    assert is_abstention(text, ABSTAIN) is expected
