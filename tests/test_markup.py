"""The one escaping rule (assistant/markup.py), checked with an independent Markdown parser
(markdown-it-py, CommonMark with GFM tables and strikethrough, raw HTML allowed): text made
inert for the page is nothing but paragraphs of the same text, whatever it holds; text made
inert for a Markdown file never becomes an image, a link or an HTML element."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from assistant.markup import inert, inert_markdown

MARKDOWN = MarkdownIt("gfm-like", {"linkify": False, "html": True})
HOSTILE = (
    "![q](http://127.0.0.1:9/q.png) <img src=x onerror=alert(1)> [a](javascript:alert(1)) "
    "<http://auto.example> www.example.com a@b.example **b** _c_ `d` ~~e~~ $x$ [^1] &lt;i&gt;\n"
    "1. item\n- item\n+ item\n\n    indented code\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    "# head\nunderlined\n===\n> quote\n[ref]: http://127.0.0.1:9/ref"
)
# Characters that markup is made of, and letters, spaces and line breaks between them.
ALPHABET = st.sampled_from(list("\\`*_{}[]()#+-.!|~:@=$^<>&\"'/ \n\tab1w"))


def _tags(rendered: str) -> set[str]:
    return set(re.findall(r"<\s*([a-zA-Z0-9]+)", rendered))


def test_hostile_text_is_only_text_on_the_page() -> None:
    escaped = inert(HOSTILE)
    assert html.unescape(escaped) == HOSTILE, "it reads back as it was"
    assert _tags(MARKDOWN.render(escaped)) <= {"p", "br"}
    # The rule does its work: the same text unescaped is full of live markup.
    assert {"img", "a", "code", "ol", "table", "h1"} <= _tags(MARKDOWN.render(HOSTILE))


@settings(max_examples=300, deadline=None)
@given(st.text(ALPHABET, max_size=60))
def test_any_text_is_only_text_on_the_page(text: str) -> None:
    escaped = inert(text)
    assert html.unescape(escaped) == text
    assert _tags(MARKDOWN.render(escaped)) <= {"p", "br"}, escaped


@settings(max_examples=300, deadline=None)
@given(st.text(ALPHABET, max_size=60))
def test_nothing_in_a_markdown_file_becomes_live(text: str) -> None:
    # (An indented line may still become a code block: shown as text, nothing live.)
    rendered = MARKDOWN.render(inert_markdown(text))
    assert not _tags(rendered) & {"img", "a", "script", "iframe", "object"}, rendered


def test_prose_stays_readable_in_the_page_html() -> None:
    prose = "Briefing: all documents (30 documents). Fine-tuned, 3.5% in 2024!"
    assert inert(prose) == prose
