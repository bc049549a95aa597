"""A document read for a briefing: its statements (sentences with document offsets and
paragraph numbers) and its own date, when it states one near the top."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ..text import content_words, normalise, paragraphs, sentences, words
from ..types import DocumentInfo

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
# A line near the top that dates the document: "Published: 5 November 2024", "2024-11-05",
# "Date: November 5, 2024", "Updated 5 Nov 2024 10:31 GMT".
_DATE_LINE = re.compile(
    r"^\s*(?:(?:published|updated|posted|date|dated|last updated)\s*(?:on)?\s*[:\-]?\s*)?"
    r"(?:\w+day,?\s+)?(?P<date>\d{4}-\d{2}-\d{2}|\d{1,2}\s+"
    + _MONTH
    + r",?\s+\d{4}|"
    + _MONTH
    + r"\s+\d{1,2},?\s+\d{4})\b[^.\n]{0,40}$",
    re.IGNORECASE,
)
_ISO_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
# How far from the top a dating line may stand (paragraphs).
_DATE_PARAGRAPHS = 4


@dataclass(frozen=True)
class Statement:
    """One sentence of a document."""

    doc_id: str
    order: int  # position among the document's statements
    paragraph: int  # 1-based, as chunks and citations count them
    start: int  # offsets into the document text
    end: int
    text: str
    terms: tuple[str, ...]  # stemmed content words
    heading: bool  # a title or heading line, not a statement

    @property
    def key(self) -> str:
        return normalise(self.text)


@dataclass
class Doc:
    info: DocumentInfo
    text: str
    date: dt.date | None = None
    statements: list[Statement] = field(default_factory=list)
    # Chunks of the document that retrieval found for a topic, as (start, end, score).
    hits: list[tuple[int, int, float]] = field(default_factory=list)

    @property
    def doc_id(self) -> str:
        return self.info.doc_id


def read_document(info: DocumentInfo, text: str) -> Doc:
    """Split a document into statements and find its date."""
    statements: list[Statement] = []
    title = normalise(info.title)
    for number, (p_start, p_end) in enumerate(paragraphs(text), start=1):
        for start, end in sentences(text, p_start, p_end):
            piece = text[start:end]
            statements.append(
                Statement(
                    doc_id=info.doc_id,
                    order=len(statements),
                    paragraph=number,
                    start=start,
                    end=end,
                    text=piece,
                    terms=tuple(content_words(piece)),
                    heading=_is_heading(piece, title),
                )
            )
    return Doc(info=info, text=text, date=document_date(info, text), statements=statements)


def _is_heading(piece: str, title: str) -> bool:
    """A title, a heading or a dateline: no end punctuation and few words, or the title."""
    if normalise(piece.lstrip("#").strip()) == title:
        return True
    if piece.rstrip("\"'”’)").endswith((".", "!", "?", ":")):
        return False
    return len(words(piece)) <= 20


def document_date(info: DocumentInfo, text: str) -> dt.date | None:
    """The date the document gives itself near its top, or one in its file name."""
    for p_start, p_end in paragraphs(text)[:_DATE_PARAGRAPHS]:
        for line in text[p_start:p_end].splitlines():
            match = _DATE_LINE.match(line)
            if match:
                parsed = parse_date(match.group("date"))
                if parsed:
                    return parsed
    found = _ISO_IN_NAME.search(info.source.replace("\\", "/").rsplit("/", 1)[-1])
    if found:
        return _safe_date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    return None


def parse_date(raw: str) -> dt.date | None:
    """A full date written as 2024-11-05, 5 November 2024 or November 5, 2024."""
    raw = raw.strip()
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", raw)
    if iso:
        return _safe_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    tokens = re.findall(r"[A-Za-z]+|\d+", raw)
    month = next((MONTHS[t.lower()] for t in tokens if t.lower() in MONTHS), None)
    numbers = [int(t) for t in tokens if t.isdigit()]
    years = [n for n in numbers if n >= 1000]
    days = [n for n in numbers if n < 32]
    if month and years and days:
        return _safe_date(years[0], month, days[0])
    return None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
