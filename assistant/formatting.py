"""Answers rendered for people: plain text for the terminal and Markdown for exports.
Front ends format here, so the web page, the CLI and reports show sources the same way."""

from __future__ import annotations

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
    lines += ["", "Sources:"]
    for c in answer.citations:
        flag = "" if c.supported else "  (not supported by the passage)"
        lines.append(f"  [{c.number}] {c.title}, paragraph {c.paragraph}{flag}")
        lines.append(f'      "{c.quote}"')
        lines.append(f"      {c.source} (characters {c.char_start}-{c.char_end})")
    return "\n".join(lines)


def answer_as_markdown(answer: Answer) -> str:
    lines = [answer.text]
    if answer.notice:
        lines += ["", f"> Note: {answer.notice}"]
    if answer.citations:
        lines += ["", "**Sources**", ""]
        for c in answer.citations:
            lines.append(f"{c.number}. *{c.title}*, paragraph {c.paragraph}: “{c.quote}”")
    return "\n".join(lines)
