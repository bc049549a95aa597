"""Briefing requests in chat, the Markdown export and the evaluation scores of a briefing,
on briefings built from small documents written for the test."""

from __future__ import annotations

import hashlib

import pytest

from assistant.brief import DEFAULT_TUNING, Briefing, CoveredDoc, Scope, compose
from assistant.brief.chat import as_answer
from assistant.brief.documents import read_document
from assistant.brief.intent import briefing_request
from assistant.brief.markdown import to_markdown
from assistant.brief.writer import parse_reply
from assistant.evaluation.brief_scores import score_briefing, summarise
from assistant.types import DocumentInfo

TEXT = """Bridge Closure Report

The Tagus bridge closed on Monday after engineers found cracks in two support cables.

City engineer Marta Reis said repairs would take about six weeks and cost €3 million.

The bridge operator declined to comment on when the cracks were first seen.

Commuters were sent to the ferry at Cacilhas instead.
"""


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("Summarize the article", None),
        ("Brief me on the situation", None),
        ("What is the main point of the article?", None),
        ("What are the key points?", None),
        ("Give me an overview of the troop deployment", "the troop deployment"),
        ("Brief me on Boeing's results", "Boeing's results"),
        ("Can you summarise the documents about Yukos?", "Yukos"),
        ("tl;dr", None),
    ],
)
def test_briefing_requests_are_recognised_with_their_topic(message: str, topic: str | None) -> None:
    found = briefing_request(message)
    assert found is not None
    assert found.topic == topic


@pytest.mark.parametrize(
    "message",
    [
        "Who is the Defense Department spokesperson?",
        "What did the summary report say?",
        "How many troops are expected?",
        "Did Dietz brief the press?",
        "Summarize how the troops got from Korea to the front",  # an account: the reader's
        "Outline why the bridge closed",
    ],
)
def test_ordinary_questions_are_not_briefing_requests(message: str) -> None:
    assert briefing_request(message) is None


def _briefing() -> tuple[Briefing, str]:
    info = DocumentInfo(
        doc_id="bridge",
        title="Bridge Closure Report",
        source="/docs/bridge.txt",
        chunks=1,
        chars=len(TEXT),
        content_hash=hashlib.sha256(TEXT.encode()).hexdigest(),
        ingested_at="2024-01-01T00:00:00+00:00",
    )
    doc = read_document(info, TEXT)
    sections, _ = compose([doc], Scope(), DEFAULT_TUNING)
    covered = [CoveredDoc(doc_id="bridge", title=info.title, source=info.source, content_hash="x")]
    return Briefing(scope=Scope(label="the bridge"), sections=sections, covered=covered), TEXT


def test_the_markdown_export_has_every_line_its_markers_and_the_sources() -> None:
    briefing, _ = _briefing()
    briefing.items[0].new = True
    briefing.items[0].change = "new"
    markdown = to_markdown(briefing)
    assert markdown.startswith("# Briefing: the bridge")
    for section in briefing.sections:
        assert f"## {section.title}" in markdown
    assert "**Marta Reis**: City engineer" in markdown
    assert "**new**" in markdown
    for citation in briefing.citations:
        assert f"[{citation.number}]" in markdown
        assert (
            f"{citation.number}. Bridge Closure Report, paragraph {citation.paragraph}" in markdown
        )


def test_scores_measure_coverage_validity_redundancy_and_length() -> None:
    briefing, text = _briefing()

    def lookup(doc_id: str) -> str | None:
        return text if doc_id == "bridge" else None

    good = score_briefing(briefing, [["six weeks"], ["Marta Reis"], ["Cacilhas"]], lookup)
    assert good.coverage == 1.0 and good.citation_validity == 1.0 and good.passed
    assert good.lines == len(briefing.items) and good.words > good.lines
    assert good.redundancy == 0.0

    partial = score_briefing(briefing, [["six weeks"], ["a fact nobody wrote"]], lookup)
    assert partial.coverage == 0.5 and partial.missing == ["a fact nobody wrote"]
    assert not partial.passed

    broken = briefing.model_copy(deep=True)
    broken.items[0].citations[0].char_start += 1  # the quote is no longer at its offsets
    scored = score_briefing(broken, [], lookup)
    assert scored.citation_validity is not None and scored.citation_validity < 1.0
    assert broken.items[0].citations[0].number in scored.invalid

    repeated = briefing.model_copy(deep=True)
    section = repeated.sections[0]
    section.items.append(section.items[0].model_copy())
    assert score_briefing(repeated, [], lookup).redundancy > 0.0

    summary = summarise([good, partial])
    assert summary["briefings"] == 2 and summary["briefing_coverage"] == 0.75
    assert summary["briefing_pass_rate"] == 0.5


def test_a_model_reply_is_parsed_into_known_sections_only() -> None:
    reply = (
        "Here is the briefing.\n\n## Key points\n- The bridge closed on Monday [1].\n"
        "* Repairs take six weeks [2]\n\n## Weather\n- It rained [3].\n\n"
        "**Timeline**\n1. Monday: the bridge closed [1].\n\n## Not in the documents\n- Cost [4]\n"
    )
    parsed = parse_reply(reply)
    assert parsed == [
        ("key_points", ["The bridge closed on Monday [1].", "Repairs take six weeks [2]"]),
        ("timeline", ["Monday: the bridge closed [1]."]),
    ], "unknown headings and the gaps section (found by asking) are not the model's"


def test_a_briefing_in_the_chat_is_an_answer_with_every_line_and_its_markers() -> None:
    briefing, _ = _briefing()
    answer = as_answer(briefing, "Summarize the article")
    assert answer.mode == "briefing" and not answer.abstained
    assert answer.text.startswith("Briefing: the bridge")
    assert len(answer.sentences) == len(briefing.items)
    for sentence in answer.sentences:
        assert sentence.text in answer.text
        for number in sentence.citations:
            assert f"[{number}]" in answer.text
    assert [c.number for c in answer.citations] == [c.number for c in briefing.citations]
