"""Briefings written by a language model from the evidence an offline briefing selected,
every line checked by the citation check before it is shown.

The model sees the paragraphs the offline briefing quotes, numbered and fenced as data, and
writes the sections as bullet lines with [n] markers. Each line goes through the same check
as an LLM answer's sentences: markers that point at no passage are dropped, each sentence is
scored against the passages it cites. A line with no valid citation is dropped; a line whose
citations do not support it is kept, flagged (``supported`` False), never shown as supported.
"Not in the documents" is not the model's to say: it comes from asking, as offline.

The model client, the check and the prompt templates are handed in, so this module works
with whatever the engine uses for answers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import LLMError
from ..text import normalise, paragraphs
from ..types import Citation, Passage
from .documents import Doc
from .model import SECTIONS, Briefing, BriefItem, BriefSection

log = logging.getLogger(__name__)

MODE = "llm"
# Paragraphs shown to the model at most, and characters in all: enough for the evidence of
# a one-page briefing, small enough for a local model's context.
MAX_PASSAGES = 30
MAX_CHARS = 16_000
_FENCE = re.compile(r"<\s*/?\s*passage", re.I)
_HEADING = re.compile(r"^\s*#{1,4}\s*(.+?)\s*#*\s*$|^\s*\*\*(.+?)\*\*:?\s*$")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+(.*\S)\s*$")
UNREACHABLE = "{error} The briefing below quotes the documents instead."
UNSUPPORTED = (
    "The language model's briefing was not supported by the passages it cited, so it is not "
    "shown; the briefing below quotes the documents instead."
)


class CheckedSentence(Protocol):
    text: str
    citations: list[int]
    supported: bool
    support: float | None


class Checked(Protocol):
    @property
    def sentences(self) -> Sequence[CheckedSentence]: ...

    @property
    def citations(self) -> Sequence[Citation]: ...


Complete = Callable[[list[dict[str, str]]], str]
Check = Callable[[str, list[Passage]], Any]  # returns something shaped like Checked


@dataclass(frozen=True)
class Templates:
    """The system and user messages; ``user`` has {scope}, {sections} and {passages}."""

    system: str
    user: str


def evidence_passages(briefing: Briefing, docs: Sequence[Doc]) -> list[Passage]:
    """The paragraphs the offline briefing quotes, in the order it quotes them."""
    texts = {doc.doc_id: doc for doc in docs}
    found: dict[tuple[str, int], Passage] = {}
    total = 0
    for citation in briefing.citations:
        key = (citation.doc_id, citation.paragraph)
        doc = texts.get(citation.doc_id)
        if key in found or doc is None:
            continue
        spans = paragraphs(doc.text)
        if not 1 <= citation.paragraph <= len(spans):
            continue
        start, end = spans[citation.paragraph - 1]
        if total + end - start > MAX_CHARS or len(found) == MAX_PASSAGES:
            break
        total += end - start
        found[key] = Passage(
            chunk_id=f"{citation.doc_id}#p{citation.paragraph}",
            doc_id=citation.doc_id,
            title=citation.title,
            source=citation.source,
            text=doc.text[start:end],
            paragraph_start=citation.paragraph,
            paragraph_end=citation.paragraph,
            char_start=start,
            char_end=end,
        )
    return list(found.values())


def format_passages(passages: Sequence[Passage]) -> str:
    blocks = []
    for number, p in enumerate(passages, start=1):
        title = p.title.replace('"', "'")
        text = _FENCE.sub(lambda m: m.group().replace("<", "‹"), p.text.strip())
        head = f'<passage number="{number}" title="{title}" paragraph="{p.paragraph_start}">'
        blocks.append(f"{head}\n{text}\n</passage>")
    return "\n\n".join(blocks)


def write(
    offline: Briefing,
    docs: Sequence[Doc],
    complete: Complete,
    check: Check,
    templates: Templates,
) -> Briefing:
    """The model's briefing, checked line by line; the offline one (with a notice) when the
    endpoint fails or no line is supported."""
    passages = evidence_passages(offline, docs)
    if not passages:
        return offline
    wanted = [title for key, title in SECTIONS.items() if key != "gaps"]
    messages = [
        {"role": "system", "content": templates.system},
        {
            "role": "user",
            "content": templates.user.format(
                scope=offline.scope.label,
                sections="\n".join(f"## {title}" for title in wanted),
                passages=format_passages(passages),
            ),
        },
    ]
    try:
        reply = complete(messages)
    except LLMError as exc:
        return _fallback(offline, UNREACHABLE.format(error=str(exc)))
    sections = _checked_sections(reply, passages, check)
    if not any(item.supported for section in sections for item in section.items):
        return _fallback(offline, UNSUPPORTED)
    gaps = offline.section("gaps")
    if gaps is not None:
        sections.append(gaps)
    return offline.model_copy(update={"sections": sections, "mode": MODE})


def _fallback(offline: Briefing, notice: str) -> Briefing:
    return offline.model_copy(update={"notices": [*offline.notices, notice]})


def parse_reply(reply: str) -> list[tuple[str, list[str]]]:
    """(section key, bullet lines) in the order the model wrote them; lines under a heading
    that names no section are left out."""
    titles = {normalise(title): key for key, title in SECTIONS.items()}
    found: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    for raw in reply.splitlines():
        heading = _HEADING.match(raw)
        if heading:
            name = normalise(heading.group(1) or heading.group(2)).rstrip(":")
            key = titles.get(name) or next(
                (
                    k
                    for t, k in titles.items()
                    if name and (t.startswith(name) or name.startswith(t))
                ),
                None,
            )
            current = None
            if key and key != "gaps":
                current = []
                found.append((key, current))
            continue
        bullet = _BULLET.match(raw)
        if bullet and current is not None:
            current.append(bullet.group(1))
    return found


def _checked_sections(reply: str, passages: list[Passage], check: Check) -> list[BriefSection]:
    numbers: dict[tuple[str, int, int], int] = {}
    sections: dict[str, BriefSection] = {}
    for key, bullets in parse_reply(reply):
        section = sections.setdefault(key, BriefSection(key=key, title=SECTIONS[key]))
        for bullet in bullets:
            item = _checked_line(bullet, passages, check, numbers, key)
            if item is not None:
                section.items.append(item)
    order = list(SECTIONS)
    return sorted((s for s in sections.values() if s.items), key=lambda s: order.index(s.key))


def _checked_line(
    bullet: str,
    passages: list[Passage],
    check: Check,
    numbers: dict[tuple[str, int, int], int],
    section: str,
) -> BriefItem | None:
    checked = check(bullet, passages)
    if not checked.citations:
        return None  # no valid citation: a line nobody backed is not shown
    citations: list[Citation] = []
    for citation in checked.citations:
        key = (citation.doc_id, citation.char_start, citation.char_end)
        number = numbers.setdefault(key, len(numbers) + 1)
        if all(c.number != number for c in citations):
            citations.append(citation.model_copy(update={"number": number}))
    sentences = list(checked.sentences)
    text = " ".join(s.text for s in sentences).strip()
    supports = [s.support for s in sentences if s.support is not None]
    supported = all(s.supported for s in sentences) and bool(citations)
    return BriefItem(
        text=text,
        citations=citations,
        supported=supported,
        support=min(supports) if supports else None,
        key=f"{section}:{normalise(text)}",
    )
