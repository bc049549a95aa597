"""Plain-text helpers shared by ingestion, answering and evaluation: paragraphs, sentences,
normalisation for matching and content words. All spans are (start, end) offsets into the
text they were found in, so a quote can always be cut back out of the document."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
# A sentence ends at . ! ? (maybe followed by closing quotes or brackets) before white space.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_NEXT_STARTS_SENTENCE = re.compile(r"\s+[\"'“‘(\[]?[A-Z0-9]")
# Words after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "lt",
        "col",
        "gen",
        "maj",
        "capt",
        "cpt",
        "sgt",
        "adm",
        "cmdr",
        "gov",
        "sen",
        "rep",
        "rev",
        "hon",
        "pres",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "univ",
        "no",
        "fig",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mt",
        "ft",
        "approx",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "u.n",
        "a.m",
        "p.m",
    ]
)
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"'})
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself
    also may might must shall s t don didn doesn isn wasn weren won wouldn couldn shouldn
    according tell me please""".split()
)
# Words about the asking itself ("Name every place the article mentions"), not its subject.
META_WORDS = frozenset(
    """article document documents text passage passages mention mentions mentioned name list
    say says said state states stated describe describes described give explain summarise
    summarize every kind kinds sort""".split()
)
QUESTION_WORDS = frozenset("what which who whom whose when where why how".split())


def normalise(text: str) -> str:
    """Case-folded, straight-quoted, white-space-collapsed text for substring matching."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    return " ".join(text.split())


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Spans of the paragraphs of a text (blocks separated by blank lines), stripped."""
    spans = []
    start = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    result = []
    for begin, end in spans:
        chunk = text[begin:end]
        stripped = chunk.strip()
        if stripped:
            offset = begin + (len(chunk) - len(chunk.lstrip()))
            result.append((offset, offset + len(stripped)))
    return result


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences in text[start:end], stripped, in offsets of ``text``."""
    end = len(text) if end is None else end
    spans = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        stop = match.end()
        if not _NEXT_STARTS_SENTENCE.match(text, stop, end):
            continue
        word = re.search(r"([\w.]+)\.$", text[max(start, stop - 12) : match.start() + 1])
        if match.group().startswith(".") and word and _is_abbreviation(word.group(1)):
            continue
        spans.append((cursor, stop))
        cursor = stop
    spans.append((cursor, end))
    # Lines without end punctuation (headings, list items) are sentences of their own.
    result = []
    for begin, stop in spans:
        for line_begin, line_end in _lines(text, begin, stop):
            result.append((line_begin, line_end))
    return result


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    result = []
    cursor = start
    for piece in text[start:end].split("\n"):
        stripped = piece.strip()
        if stripped:
            offset = cursor + piece.index(stripped[0])
            result.append((offset, offset + len(stripped)))
        cursor += len(piece) + 1
    return result


def _is_abbreviation(word: str) -> bool:
    lowered = word.lower()
    if lowered in _ABBREVIATIONS:
        return True
    # Initials such as "U.S." or "J." (a single capital letter before the period).
    return bool(re.fullmatch(r"(?:[A-Za-z]\.)*[A-Za-z]", word))


def words(text: str) -> list[str]:
    """Lower-case word tokens (letters and digits; possessive 's dropped)."""
    found = []
    for match in _WORD.finditer(text.translate(_QUOTES)):
        word = match.group().lower()
        if word.endswith("'s"):
            word = word[:-2]
        found.append(word)
    return found


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English stemmer (plural and verb endings) for matching question words."""
    for suffix, replacement in (
        ("ies", "y"),
        ("ied", "y"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
        ("ly", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                return word
            return word[: len(word) - len(suffix)] + replacement
    return word


def content_words(text: str) -> list[str]:
    """Stemmed words of a text without stop words and question words."""
    return [
        stem(w)
        for w in words(text)
        if w not in STOPWORDS and w not in QUESTION_WORDS and w not in META_WORDS
    ]
