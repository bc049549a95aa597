"""An Answer as plain text for the terminal: the answer, flagged sentences, then its sources."""

from __future__ import annotations

from ..types import Answer


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
