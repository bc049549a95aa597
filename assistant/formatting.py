"""Answers rendered for people: plain text for the terminal and Markdown for exports.
Front ends format here, so the web page, the CLI and reports show sources the same way."""

from __future__ import annotations

import re

from .types import Answer


def answer_as_text(answer: Answer) -> str:
    lines = [answer.text]
    if answer.notice:
        lines += ["", f"Note: {answer.notice}"]
    if answer.abstained:
        if answer.passages:
            lines += ["", "Closest passages (they do not answer it):"]
            for p in answer.passages[:3]:
                lines.append(f"  - {p.title}, {p.paragraph_label}")
        return "\n".join(lines)
    flagged = [s.text for s in answer.sentences if not s.supported]
    if flagged:
        lines += ["", "Not supported by the cited passages (check before relying on them):"]
        lines += [f"  - {text}" for text in flagged]
    lines += ["", "Sources:"]
    for c in answer.citations:
        flag = "" if c.supported else "  (not supported by the passage)"
        lines.append(f"  [{c.number}] {c.title}, paragraph {c.paragraph}{flag}")
        lines.append(f'      "{c.quote}"')
        lines.append(f"      {c.source} (characters {c.char_start}-{c.char_end})")
    return "\n".join(lines)


def answer_as_markdown(answer: Answer) -> str:
    lines = [markdown_text(answer.text)]
    if answer.notice:
        lines += ["", f"> Note: {markdown_text(answer.notice)}"]
    if answer.citations:
        lines += ["", "**Sources**", ""]
        for c in answer.citations:
            title, quote = markdown_text(c.title), markdown_text(c.quote)
            lines.append(f"{c.number}. *{title}*, paragraph {c.paragraph}: “{quote}”")
    return "\n".join(lines)


_MARKDOWN_ACTIVE = re.compile(r"([\\\[\]<`])")


def markdown_text(text: str) -> str:
    """Text from a document or a user, made inert in Markdown: a quoted `![x](http://...)`
    must not load an image (a beacon) when the export is opened, nor `<img onerror=...>` or
    `[link](javascript:...)` become live. The text reads the same once rendered."""
    return _MARKDOWN_ACTIVE.sub(r"\\\1", text)
