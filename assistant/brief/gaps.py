""" "Not in the documents": the standard questions (who, what, when, where, how many, why)
asked of the scope through the engine's own answerer, and listed when it finds no answer.

An answer counts only when it cites a document of the scope and its quotes hold what the
question asks for (a casualty word and a figure for "how many were killed or injured"):
an answerer that quotes the nearest sentence on the topic has not answered."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import BadInput
from ..types import Answer
from .lines import Line

_NUMBER = (
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?)\b"
)
_DATE = (
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|"
    r"(?:19|20)\d{2})\b"
)


@dataclass(frozen=True)
class Standard:
    """A standard question: its label, how it is asked about a subject, how it reads in the
    briefing, and what an answer's quotes must hold (all patterns must match)."""

    label: str
    asked: str  # with {subject}
    shown: str
    needs: tuple[str, ...] = ()


STANDARD = (
    Standard("Who", "Who is involved in {subject}?", "Who is involved?"),
    Standard("When", "When did {subject} happen?", "When did it happen?", (_DATE,)),
    Standard("Where", "Where did {subject} take place?", "Where did it take place?"),
    Standard(
        "Casualties",
        "How many people were killed or injured in {subject}?",
        "How many people were killed or injured (casualties)?",
        (r"\b(?:kill|dead|die[ds]?|death|wound|injur|casualt|fatalit)", _NUMBER),
    ),
    Standard(
        "Cost",
        "How much money did {subject} cost?",
        "How much did it cost?",
        (
            r"[$£€¥]|\b(?:cost|spent|spend|price|worth|paid|pay|budget|funding|dollars?|pounds?|euros?)\b",
            _NUMBER,
        ),
    ),
    Standard(
        "Why",
        "Why did {subject} happen?",
        "Why did it happen?",
        (
            r"\b(?:because|due to|reason|aim|in order to|motive|basis|so that|led to|caused|result of|driven by|owing to)\b",
        ),
    ),
    Standard(
        "What next",
        "What will happen next in {subject}?",
        "What happens next?",
        (r"\b(?:will|plans?|planned|expected|next|future|upcoming|due to|intends?|set to)\b",),
    ),
)


def gap_lines(
    ask: Callable[[str], Answer],
    subject: str,
    scope_doc_ids: set[str],
    questions: Sequence[Standard] = STANDARD,
    answered: frozenset[str] | set[str] = frozenset(),
) -> list[Line]:
    """A line for each standard question the scope's documents do not answer. Questions in
    ``answered`` (labels, lower case) are not asked: the briefing already lists people,
    places or dates, and must not also say the documents name none."""
    lines = []
    for standard in questions:
        if standard.label.lower() in answered:
            continue
        # Without a subject (a library of unrelated documents) the plain question is asked.
        question = standard.asked.format(subject=subject) if subject else standard.shown
        try:
            answer = ask(question)
        except BadInput:
            continue  # a subject too long for a question: nothing can be concluded
        if _answered(answer, standard, scope_doc_ids):
            continue
        lines.append(
            Line(
                section="gaps",
                text=f"{standard.label}: {standard.shown}",
                quotes=[],
                score=0.0,
                key=standard.label.lower(),
                label=standard.label,
                detail=question,
            )
        )
    return lines


def _answered(answer: Answer, standard: Standard, scope_doc_ids: set[str]) -> bool:
    if answer.abstained:
        return False
    quotes = [c.quote for c in answer.citations if c.doc_id in scope_doc_ids and c.supported]
    if not quotes:
        return False
    joined = " ".join(quotes)
    return all(re.search(pattern, joined, re.IGNORECASE) for pattern in standard.needs)
