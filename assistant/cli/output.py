"""An Answer as plain text for the terminal: the short answer (when the reader found one), the
answer, flagged sentences, then its sources. The short answer is bold on a terminal; click.echo
drops the styling when the output goes to a file or a pipe."""

from __future__ import annotations

import click

from ..types import Answer, Citation
from .common import short_answer_span, shown_short_answer


def answer_as_text(answer: Answer) -> str:
    lines = []
    short = shown_short_answer(answer)
    if short is not None:
        lines += [
            f"{click.style('Answer:', bold=True)} {click.style(short.text, bold=True)} "
            f"[{short.citation}]  (p={short.probability:.2f})",
            "",
        ]
    lines.append(answer.text)
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
        lines.append(f'      "{_quote(answer, c)}"')
        lines.append(f"      {c.source} (characters {c.char_start}-{c.char_end})")
    return "\n".join(lines)


def _quote(answer: Answer, citation: Citation) -> str:
    """The quote, with the short answer inside it underlined on a terminal."""
    span = short_answer_span(answer, citation)
    if span is None:
        return citation.quote
    start, end = span
    quote = citation.quote
    return quote[:start] + click.style(quote[start:end], underline=True) + quote[end:]
