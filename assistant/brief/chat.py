"""A briefing as a chat answer: when the user asks the chat (or `briefing ask`) for a
summary, the reply is the briefing, in the Answer every front end already shows, with each
line a sentence carrying its [n] markers and the briefing's citations as the sources."""

from __future__ import annotations

from ..types import Answer, AnswerSentence
from .markdown import line_text
from .model import Briefing

MODE = "briefing"


def as_answer(briefing: Briefing, question: str) -> Answer:
    parts: list[str] = []
    sentences: list[AnswerSentence] = []
    for section in briefing.sections:
        parts.append(("\n\n" if parts else "") + section.title)
        for item in section.items:
            line = line_text(section.key, item).replace("**", "")
            numbers = [c.number for c in item.citations]
            marks = "".join(f"[{n}]" for n in numbers)
            extra = f" ({item.sources} sources)" if item.sources > 1 else ""
            parts.append(f"\n• {line}" + (f" {marks}" if marks else "") + extra)
            sentences.append(
                AnswerSentence(
                    text=line, citations=numbers, supported=item.supported, support=item.support
                )
            )
    notices = list(briefing.notices)
    label = briefing.scope.label
    parts.insert(0, f"Briefing: {label}\n\n")
    return Answer(
        question=question,
        text="".join(parts),
        sentences=sentences,
        citations=briefing.citations,
        abstained=not sentences,
        mode=MODE if briefing.mode != "llm" else f"{MODE}-llm",
        notice=" ".join(notices) or None,
        retrieval_query=briefing.scope.topic or "",
        timings=dict(briefing.timings),
    )


def no_match_answer(question: str, message: str) -> Answer:
    """A briefing request whose topic no document is about: an abstention that says so."""
    return Answer(question=question, text=message, abstained=True, mode=MODE)
