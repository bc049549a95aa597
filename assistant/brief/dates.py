"""The timeline: sentences that date an event, in date order. A date is kept as the document
writes it ("in June", "since August", "on Friday"); when the document has a date of its own,
a relative date is also placed by it ("June 2024")."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .documents import MONTHS, Doc, Statement, parse_date
from .lines import Line

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)"
)
_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_LEAD = r"(?:(?:in|on|since|by|from|until|till|before|after|during|last|next|this|early|late|mid|the end of|the start of|earlier this|later this)\s+)?"
_YEAR = r"(?:19|20)\d{2}"
_EXPRESSIONS = [
    # 5 November 2024 / November 5, 2024 / 5 November / November 2024 / in June
    ("full", rf"\b{_LEAD}\d{{1,2}}\s+{_MONTH},?\s+{_YEAR}\b"),
    ("full", rf"\b{_LEAD}{_MONTH}\s+\d{{1,2}},?\s+{_YEAR}\b"),
    ("day_month", rf"\b{_LEAD}\d{{1,2}}\s+{_MONTH}\b"),
    ("day_month", rf"\b{_LEAD}{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?!,?\s*\d)"),
    ("month_year", rf"\b{_LEAD}{_MONTH}\s+{_YEAR}\b"),
    ("month", rf"\b{_LEAD}{_MONTH}(?![\w-])"),
    ("weekday", rf"\b{_LEAD}{_DAY}\b"),
    ("year", rf"\b(?:in|since|by|from|until|before|after|during|of)\s+{_YEAR}\b"),
    (
        "relative",
        r"\b(?:yesterday|today|tomorrow|(?:last|next|this|earlier this|later this)\s+(?:week|month|year|quarter)|a year (?:earlier|ago)|year-earlier)\b",
    ),
    ("quarter", r"\b(?:first|second|third|fourth|final) quarter\b"),
]
_PATTERNS = [(kind, re.compile(pattern)) for kind, pattern in _EXPRESSIONS]
# "May" is also a verb: as a month it needs a preposition or a number beside it.
_BARE_MAY = re.compile(r"^May$")
_FUTURE = re.compile(r"\b(?:will|shall|is due|are due|is expected to|plans? to|next)\b")


@dataclass(frozen=True)
class DateMention:
    start: int  # document offsets
    end: int
    written: str
    kind: str


def date_mentions(text: str, start: int, end: int) -> list[DateMention]:
    """Date expressions in text[start:end], longest first where they overlap."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text, start, end):
            a, b = match.span()
            if any(a < y and x < b for x, y in taken):
                continue
            written = match.group()
            if kind == "month" and _BARE_MAY.match(written):
                continue
            if kind == "month" and written.lower().rstrip(".") in ("mar", "jun", "jul", "dec"):
                continue  # too often other words
            taken.append((a, b))
            found.append(DateMention(a, b, written, kind))
    return sorted(found, key=lambda m: m.start)


@dataclass(frozen=True)
class Placed:
    """Where a date falls: a sort key, and a label when the document's date placed it."""

    sort: tuple[int, int, int]
    label: str | None


def place(mention: DateMention, sentence: str, anchor: dt.date | None) -> Placed | None:
    """The date a mention stands for, as far as it and the document's date tell."""
    words = mention.written
    lowered = words.lower()
    full = parse_date(re.sub(rf"^{_LEAD}", "", words))
    if full:
        return Placed((full.year, full.month, full.day), None)
    year_match = re.search(_YEAR, words)
    month = next((MONTHS[w] for w in re.findall(r"[a-z]+", lowered) if w in MONTHS), None)
    day_match = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b", words)
    if mention.kind == "month_year" and year_match and month:
        return Placed((int(year_match.group()), month, 0), None)
    if mention.kind == "year" and year_match:
        return Placed((int(year_match.group()), 0, 0), None)
    future = bool(_FUTURE.search(sentence))
    if month and mention.kind in ("month", "day_month"):
        day = int(day_match.group(1)) if day_match and mention.kind == "day_month" else 0
        if anchor is None:
            return Placed((0, month, day), None)
        year = anchor.year
        if future and (month, day) < (anchor.month, anchor.day):
            year += 1
        elif not future and (month, day or 1) > (anchor.month, anchor.day):
            year -= 1
        name = dt.date(2000, month, 1).strftime("%B")
        return Placed((year, month, day), f"{day} {name} {year}" if day else f"{name} {year}")
    if anchor is None:
        # Kept as written; without the document's date it can only follow the months.
        return Placed((0, 13, 0), None)
    if mention.kind == "weekday":
        target = [d.lower() for d in _DAY[3:-1].split("|")].index(
            next(w for w in re.findall(r"[a-z]+", lowered) if w.endswith("day"))
        )
        delta = (anchor.weekday() - target) % 7
        when = anchor + dt.timedelta(days=(7 - delta) % 7 if future else -delta)
        return Placed((when.year, when.month, when.day), when.strftime("%A %d %B %Y"))
    return _relative(lowered, anchor)


def _relative(lowered: str, anchor: dt.date) -> Placed | None:
    if "yesterday" in lowered:
        when = anchor - dt.timedelta(days=1)
    elif "tomorrow" in lowered:
        when = anchor + dt.timedelta(days=1)
    elif "today" in lowered:
        when = anchor
    elif "week" in lowered:
        shift = {"last": -7, "next": 7}.get(lowered.split()[0], 0)
        when = anchor + dt.timedelta(days=shift)
        return Placed((when.year, when.month, when.day), f"week of {when.isoformat()}")
    elif "month" in lowered:
        shift = {"last": -1, "next": 1}.get(lowered.split()[0], 0)
        index = anchor.year * 12 + anchor.month - 1 + shift
        year, month = divmod(index, 12)
        name = dt.date(2000, month + 1, 1).strftime("%B")
        return Placed((year, month + 1, 0), f"{name} {year}")
    elif "year" in lowered:
        shift = -1 if lowered.startswith(("last", "a year")) or "earlier" in lowered else 0
        shift = 1 if lowered.startswith("next") else shift
        return Placed((anchor.year + shift, 0, 0), str(anchor.year + shift))
    else:
        return None
    return Placed((when.year, when.month, when.day), when.isoformat())


def timeline_lines(
    docs: Sequence[Doc], scores: dict[int, float], usable: Sequence[Statement] | None = None
) -> list[Line]:
    """Dated statements, each with its date order in ``Line.order`` (year 0: a month
    without a year in a document without a date, ordered as if in one year)."""
    lines: list[Line] = []
    allowed = {id(s) for s in usable} if usable is not None else None
    for doc_index, doc in enumerate(docs):
        for statement in doc.statements:
            if statement.heading or (allowed is not None and id(statement) not in allowed):
                continue
            found = date_mentions(doc.text, statement.start, statement.end)
            if not found:
                continue
            placed: list[tuple[DateMention, Placed]] = []
            for mention in found:
                where = place(mention, statement.text, doc.date)
                if where is not None:
                    placed.append((mention, where))
            if not placed:
                continue
            # The most precise date of the sentence places it.
            mention, where = max(placed, key=lambda mp: sum(1 for part in mp[1].sort if part))
            written = ", ".join(m.written for m, _ in placed)
            line = Line(
                section="timeline",
                text=statement.text,
                quotes=[(doc, statement)],
                score=scores.get(id(statement), 0.0),
                key=statement.key,
                label=written,
                detail=where.label,
                evidence=[statement.text, *(m.written for m, _ in placed)],
                terms=frozenset(statement.terms),
            )
            line.order = (*where.sort, doc_index, statement.order)
            lines.append(line)
    return lines
