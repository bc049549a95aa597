"""The reader's short answer in the front ends: first in `briefing ask` and in the chat message,
marked inside the highlight of the sentence that holds it (in the source card and the viewer),
carried whole by --json, and always text. Answers are made here with their ShortAnswer, so no
model runs: what is tested is how the front ends show one."""

from __future__ import annotations

import html
import json
from html.parser import HTMLParser

import click
import pytest
from click.testing import CliRunner

from assistant.cli import main as cli_main
from assistant.cli.output import answer_as_text
from assistant.types import Answer, AnswerSentence, Citation, ShortAnswer, Turn
from assistant.web.render import answer_html, document_html, viewer_for

DOCUMENT = (
    "Harbour report\n\n"
    "Tom & Jerry's <b>crane</b> moved 9,000 boxes in 2022; the port handled over 10,000 "
    "containers in 2023, a record. Work starts in May.\n\n"
    "The dredging will cost 14 million euros."
)
QUOTE = (
    "Tom & Jerry's <b>crane</b> moved 9,000 boxes in 2022; the port handled over 10,000 "
    "containers in 2023, a record."
)
SECOND = "The dredging will cost 14 million euros."
SHORT = "over 10,000"


def _citation(number: int, quote: str) -> Citation:
    start = DOCUMENT.index(quote)
    return Citation(
        number=number,
        chunk_id="harbour:00000",
        doc_id="harbour",
        title="Harbour report",
        source="/tmp/harbour.txt",
        paragraph=2 if number == 1 else 3,
        char_start=start,
        char_end=start + len(quote),
        quote=quote,
        score=0.9,
    )


def _answer(short: ShortAnswer | None = None, *, abstained: bool = False) -> Answer:
    """An answer as the reader answer mode makes one: the quotes as its text, the short
    answer beside them."""
    if short is None:
        start = QUOTE.index(SHORT)
        short = ShortAnswer(
            text=SHORT, citation=1, start=start, end=start + len(SHORT), probability=0.83
        )
    quotes = f"{QUOTE} [1] {SECOND} [2]"
    return Answer(
        question="How many containers did the port handle in 2023?",
        text=quotes,
        sentences=[
            AnswerSentence(text=QUOTE, citations=[1]),
            AnswerSentence(text=SECOND, citations=[2]),
        ],
        citations=[_citation(1, QUOTE), _citation(2, SECOND)],
        short_answer=short,
        abstained=abstained,
        mode="reader",
    )


class _Marks(HTMLParser):
    """Each <mark> of a fragment: its class, the classes of the marks around it, its text."""

    def __init__(self, fragment: str) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[dict] = []
        self.marks: list[dict] = []
        self.feed(fragment.replace("<br>", "\n"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mark":
            mark = {
                "class": dict(attrs).get("class"),
                "inside": [m["class"] for m in self.open],
                "text": "",
            }
            self.open.append(mark)
            self.marks.append(mark)

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self.open.pop()

    def handle_data(self, data: str) -> None:
        for mark in self.open:
            mark["text"] += data

    def of(self, kind: str) -> list[dict]:
        return [m for m in self.marks if m["class"] == kind]


# --- the terminal ----------------------------------------------------------------------------


class _ScriptedEngine:
    """Stands in for the engine behind `briefing ask`: hands back one made Answer."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def check_question(self, question: str) -> str:
        return question

    def ask(self, question: str, history: list[Turn]) -> Answer:
        self.asked.append(question)
        return self.answer


def _run_ask(monkeypatch: pytest.MonkeyPatch, answer: Answer, *args: str) -> str:
    engine = _ScriptedEngine(answer)
    monkeypatch.setattr(cli_main, "_engine", lambda settings: engine)
    result = CliRunner().invoke(cli_main.main, ["ask", answer.question, *args])
    assert result.exit_code == 0, result.output
    assert engine.asked == [answer.question]
    return result.output


def test_ask_prints_the_short_answer_first_then_the_quote_and_sources(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    output = _run_ask(monkeypatch, _answer())
    lines = output.splitlines()
    assert lines[0] == "Answer: over 10,000 [1]  (p=0.83)"
    assert lines[1] == ""
    assert lines[2] == f"{QUOTE} [1] {SECOND} [2]"
    # The short answer is said once.
    assert output.count("over 10,000 [1]") == 1
    assert "Sources:" in output and f'"{QUOTE}"' in output
    assert "\x1b[" not in output  # no styling when the output is not a terminal


def test_on_a_terminal_the_short_answer_is_bold_and_underlined_in_its_quote() -> None:
    text = answer_as_text(_answer())
    assert click.style("over 10,000", bold=True) in text
    underlined = click.style(SHORT, underline=True)
    assert text.count(underlined) == 1
    quote_line = next(line for line in text.splitlines() if underlined in line)
    assert click.unstyle(quote_line) == f'      "{QUOTE}"'
    assert SECOND in click.unstyle(text)


def test_an_abstention_shows_no_short_answer() -> None:
    answer = _answer(abstained=True)
    assert not answer_as_text(answer).startswith("Answer:")
    assert "ba-short" not in answer_html(answer, 0, lambda _doc: DOCUMENT)
    assert "ba-span" not in answer_html(answer, 0, lambda _doc: DOCUMENT)


def test_ask_json_carries_the_short_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = _answer()
    payload = json.loads(_run_ask(monkeypatch, answer, "--json"))
    assert payload["short_answer"] == {
        "text": SHORT,
        "citation": 1,
        "start": QUOTE.index(SHORT),
        "end": QUOTE.index(SHORT) + len(SHORT),
        "probability": 0.83,
    }
    short = payload["short_answer"]
    assert payload["citations"][0]["quote"][short["start"] : short["end"]] == SHORT
    assert Answer.model_validate(payload) == answer


# --- the web chat ----------------------------------------------------------------------------


def test_the_chat_message_opens_with_the_short_answer() -> None:
    rendered = answer_html(_answer(), 0, lambda _doc: DOCUMENT)
    assert rendered.index('class="ba-short"') < rendered.index('class="ba-text"')
    short = rendered.split('<p class="ba-short">', 1)[1].split("</p>", 1)[0]
    assert '<strong class="ba-short-text">over 10,000</strong>' in short
    assert "ba-cite ba-t0 ba-n1" in short  # its marker opens the quote that holds it
    assert "p=0.83" in short
    body = rendered.split('<div class="ba-text">', 1)[1].split("</div>", 1)[0]
    # The answer text does not repeat the short answer shown above it.
    assert html.unescape(body.replace("<br>", "\n")).count(SHORT) == 1  # the one in the quote
    assert SHORT + " [1]" not in html.unescape(body)
    assert "\n" not in rendered  # a blank line would end the chat's HTML block


def test_the_span_is_marked_inside_the_cited_sentence_at_its_offsets() -> None:
    rendered = answer_html(_answer(), 2, lambda _doc: DOCUMENT)
    marks = _Marks(rendered)
    assert [m["text"] for m in marks.of("ba-quote")] == [QUOTE, SECOND]
    (span,) = marks.of("ba-span")
    assert span["text"] == SHORT
    assert span["inside"] == ["ba-quote"]
    # The escaped quote (&, ', <b>) comes before the span: the offsets still land on it.
    escaped_quote = rendered.split('<mark class="ba-quote">', 1)[1]
    before = escaped_quote.split('<mark class="ba-span">', 1)[0]
    assert html.unescape(before) == QUOTE[: QUOTE.index(SHORT)]
    assert "<b>crane" not in rendered


def test_only_the_short_answers_citation_is_marked_and_by_offsets_not_by_search() -> None:
    start = SECOND.index("14 million")
    short = ShortAnswer(
        text="14 million euros", citation=2, start=start, end=start + 16, probability=0.5
    )
    marks = _Marks(answer_html(_answer(short), 0, lambda _doc: DOCUMENT))
    (span,) = marks.of("ba-span")
    assert span["text"] == "14 million euros"
    # ",000" occurs twice in the first quote (9,000 and 10,000): the offsets pick the second.
    start = QUOTE.index("10,000") + 2
    assert QUOTE.index(",000") < start
    short = ShortAnswer(text=",000", citation=1, start=start, end=start + 4, probability=0.4)
    rendered = answer_html(_answer(short), 0, lambda _doc: DOCUMENT)
    before = rendered.split('<mark class="ba-quote">', 1)[1].split('<mark class="ba-span">')[0]
    assert html.unescape(before) == QUOTE[:start]


@pytest.mark.parametrize("bounds", [(5, 5), (-1, 4), (0, len(QUOTE) + 1)])
def test_offsets_outside_the_quote_mark_nothing(bounds: tuple[int, int]) -> None:
    short = ShortAnswer(text=SHORT, citation=1, start=bounds[0], end=bounds[1], probability=0.6)
    rendered = answer_html(_answer(short), 0, lambda _doc: DOCUMENT)
    assert "ba-span" not in rendered
    assert [m["text"] for m in _Marks(rendered).of("ba-quote")] == [QUOTE, SECOND]


def test_a_hostile_short_answer_stays_text() -> None:
    hostile = "<script>window.__pwned = 1</script> ![x](http://evil.test/x.png) [2]"
    document = f"Report\n\nThe code was {hostile} all along."
    quote = document.split("\n\n")[1]
    start = quote.index(hostile)
    citation = _citation(1, QUOTE).model_copy(
        update={"char_start": document.index(quote), "char_end": len(document), "quote": quote}
    )
    second = _citation(2, SECOND)
    answer = Answer(
        question="q",
        text=f"{hostile} [1]\n\n{quote} [1]",
        sentences=[AnswerSentence(text=quote, citations=[1])],
        citations=[citation, second],
        short_answer=ShortAnswer(
            text=hostile, citation=1, start=start, end=start + len(hostile), probability=0.7
        ),
    )
    rendered = answer_html(answer, 0, lambda doc: document if doc == "harbour" else None)
    for active in ("<script", "<img", "](http", "://"):
        assert active not in rendered
    # Its own "[2]" is text, not a link to source 2: only the short answer's marker is one.
    short = rendered.split('<p class="ba-short">', 1)[1].split("</p>", 1)[0]
    assert short.count("ba-marker") == 1 and "ba-n2" not in short
    assert hostile in html.unescape(short)
    (span,) = _Marks(rendered).of("ba-span")
    assert span["text"] == hostile and span["inside"] == ["ba-quote"]
    assert (
        click.unstyle(answer_as_text(answer)).splitlines()[0].startswith(f"Answer: {hostile} [1]")
    )


# --- the source viewer -----------------------------------------------------------------------


def test_the_viewer_marks_the_span_inside_the_cited_sentence() -> None:
    answer = _answer()
    citation = answer.citations[0]
    span = (QUOTE.index(SHORT), QUOTE.index(SHORT) + len(SHORT))
    marks = _Marks(viewer_for(citation, DOCUMENT, span))
    assert [m["text"] for m in marks.of("ba-cited")] == [QUOTE]
    assert [(m["text"], m["inside"]) for m in marks.of("ba-span")] == [(SHORT, ["ba-cited"])]
    assert "ba-span" not in viewer_for(citation, DOCUMENT)
    # A changed document is not highlighted at all, so neither is the span.
    changed = DOCUMENT.replace("10,000", "11,000")
    assert "ba-span" not in viewer_for(citation, changed, span)


def test_a_span_across_paragraphs_is_marked_in_each() -> None:
    text = "One two.\n\nThree four.\n\nFive."
    start, end = text.index("One"), text.index("four") + 4
    rendered = document_html(
        "T", text, start, end, span=(text.index("two"), text.index("Three") + 5)
    )
    marks = _Marks(rendered)
    assert [m["text"] for m in marks.of("ba-cited")] == ["One two.", "Three four"]
    assert [m["text"] for m in marks.of("ba-span")] == ["two.", "Three"]


def test_a_click_on_a_source_finds_the_span_of_its_answer() -> None:
    from assistant.web.chat import _find_citation

    answer = _answer()
    records = [{"answer": answer.model_dump(mode="json", exclude={"passages"})}]
    found = _find_citation(records, {"turn": 0, "n": 1})
    assert found is not None and found[0].number == 1
    assert found[1] == (QUOTE.index(SHORT), QUOTE.index(SHORT) + len(SHORT))
    other = _find_citation(records, {"turn": 0, "n": 2})
    assert other is not None and other[1] is None
