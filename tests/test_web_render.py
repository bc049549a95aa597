"""HTML of answers, sources and the source viewer: escaping, and highlights that sit exactly on
the cited characters. No browser needed."""

from __future__ import annotations

import html
import re

import pytest

from assistant.engine import Engine
from assistant.text import paragraphs
from assistant.types import Answer, Citation
from assistant.web.render import (
    MARK_ID,
    answer_html,
    document_html,
    highlighted_paragraph,
    viewer_for,
)

HOSTILE = (
    "Harbour report\n\n"
    "The dredging will cost 14 million euros. <script>window.__pwned = 1</script> "
    '<img src=x onerror="window.__pwned = 2"> Work starts in May.\n\n'
    "Tom & Jerry's <b>bold</b> claim."
)


def _marked(fragment: str, mark: str = "mark") -> list[str]:
    """The unescaped text inside each <mark> of an HTML fragment."""
    found = re.findall(rf"<{mark}\b[^>]*>(.*?)</{mark}>", fragment, flags=re.S)
    return [html.unescape(re.sub(r"<br>", "\n", f)) for f in found]


def _citation(text: str, quote: str, number: int = 1, **extra: object) -> Citation:
    start = text.index(quote)
    values: dict[str, object] = {
        "number": number,
        "chunk_id": "doc:00000",
        "doc_id": "doc",
        "title": "Harbour <report>",
        "source": "/tmp/harbour.txt",
        "paragraph": 2,
        "char_start": start,
        "char_end": start + len(quote),
        "quote": quote,
        **extra,
    }
    return Citation(**values)  # type: ignore[arg-type]


def test_document_text_is_escaped_everywhere() -> None:
    quote = "The dredging will cost 14 million euros."
    citation = _citation(HOSTILE, quote)
    answer = Answer(question="q", text=f"{quote} [1]", citations=[citation])
    pieces = [
        answer_html(answer, 0, lambda _doc: HOSTILE),
        document_html("T <script>x</script>", HOSTILE, 0, 5),
        viewer_for(citation, HOSTILE),
        highlighted_paragraph(HOSTILE, citation.char_start, citation.char_end),
    ]
    for piece in pieces:
        assert "<script" not in piece
        assert "<img" not in piece
        assert "<b>bold" not in piece
    # The markup is there as text: escaped, it reads back as the document wrote it.
    assert "<script>window.__pwned = 1</script>" in html.unescape(pieces[2])
    assert "Harbour &lt;report&gt;" in pieces[0]


def test_a_question_with_markup_cannot_break_out(seed_engine: Engine) -> None:
    # The answer text repeats nothing of the question, but an LLM answer might quote it.
    answer = Answer(question="q", text='"><script>alert(1)</script> [1]', citations=[])
    rendered = answer_html(answer, 0, seed_engine.document_text)
    assert "<script" not in rendered
    # No such citation: the marker stays plain text, not a link.
    assert "[1]" in html.unescape(rendered) and "ba-marker" not in rendered


def test_chat_highlight_is_exactly_the_cited_span(seed_engine: Engine) -> None:
    answer = seed_engine.ask("Who is the Defense Department spokesperson?")
    rendered = answer_html(answer, 3, seed_engine.document_text)
    quotes = _marked(rendered)
    assert len(quotes) == len(answer.citations) >= 1
    for citation, marked in zip(answer.citations, quotes):
        text = seed_engine.document_text(citation.doc_id)
        assert text is not None
        assert marked == text[citation.char_start : citation.char_end] == citation.quote
        # the source and its marker name this answer and this citation for the page script
        assert f"ba-cite ba-t3 ba-n{citation.number}" in rendered
    assert "Dietz" in quotes[0]
    assert "\n" not in rendered  # a blank line would end the chat's HTML block


def test_viewer_marks_the_cited_span_and_only_it(seed_engine: Engine) -> None:
    answer = seed_engine.ask("Who signed the mutual defense pact between Russia and North Korea?")
    citation = answer.citations[0]
    text = seed_engine.document_text(citation.doc_id)
    assert text is not None
    viewer = viewer_for(citation, text)
    assert viewer.count(f'id="{MARK_ID}"') == 1
    assert _marked(viewer) == [citation.quote]
    # every paragraph of the document is there, in order, with nothing added
    shown = [
        html.unescape(re.sub(r"<[^>]+>", "", p.replace("<br>", "\n")))
        for p in re.findall(r"<p>(.*?)</p>", viewer, flags=re.S)
    ]
    assert shown == [text[s:e] for s, e in paragraphs(text)]


def test_a_span_across_paragraphs_is_marked_in_each() -> None:
    text = "One two.\n\nThree four.\n\nFive."
    rendered = document_html("T", text, text.index("two"), text.index("four") + 4)
    assert _marked(rendered) == ["two.", "Three four"]
    assert rendered.count(f'id="{MARK_ID}"') == 1


def test_long_paragraph_is_trimmed_around_the_quote() -> None:
    text = (
        " ".join(f"word{i}" for i in range(400))
        + " The key fact is here. "
        + " ".join(f"tail{i}" for i in range(400))
    )
    start = text.index("The key fact")
    rendered = highlighted_paragraph(text, start, start + len("The key fact is here."))
    assert rendered.startswith("… ") and rendered.endswith(" …")
    assert len(rendered) < 1000
    assert _marked(rendered) == ["The key fact is here."]


def test_changed_or_deleted_document_is_said_not_mis_highlighted() -> None:
    quote = "The dredging will cost 14 million euros."
    citation = _citation(HOSTILE, quote)
    changed = HOSTILE.replace("14 million", "15 million")
    assert "has changed" in viewer_for(citation, changed)
    assert "ba-cited" not in viewer_for(citation, changed)
    assert "no longer in the library" in viewer_for(citation, None)
    answer = Answer(question="q", text=f"{quote} [1]", citations=[citation])
    rendered = answer_html(answer, 0, lambda _doc: changed)
    assert "has changed since this answer" in rendered
    assert _marked(rendered) == [quote]  # what was quoted, not a wrong slice


@pytest.mark.parametrize("supported", [True, False])
def test_unsupported_citation_is_flagged(supported: bool) -> None:
    citation = _citation(HOSTILE, "Work starts in May.", supported=supported)
    answer = Answer(question="q", text="It starts in May. [1]", citations=[citation])
    rendered = answer_html(answer, 0, lambda _doc: HOSTILE)
    assert ("ba-unsupported" in rendered) is not supported
    assert ("may not support" in rendered) is not supported


def test_abstention_looks_like_one(seed_engine: Engine) -> None:
    answer = seed_engine.ask("What colour is the Eiffel Tower?")
    assert answer.abstained
    rendered = answer_html(answer, 0, seed_engine.document_text)
    assert "ba-abstained" in rendered and "No answer in the documents" in rendered
    assert "ba-sources" not in rendered
