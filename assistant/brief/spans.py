"""Pieces of a sentence that briefing lines are cut from: capitalised name sequences and the
clause around a word. Every span is (start, end) in the document text, so a line's words
can always be found again in the quote that backs it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import STOPWORDS
from .documents import MONTHS

# A word with its trailing punctuation kept apart: letters, digits and inner . ' ’ & -.
_TOKEN = re.compile(r"[A-Za-z0-9](?:[\w&'’.-]*[\w])?\.?")
# Lower-case words that may join the parts of one name ("Bank of England").
_CONNECTORS = frozenset(["of", "de", "du", "da", "von", "van", "der", "al", "bin", "la", "le"])
_DAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
# Abbreviations whose period belongs to the word, not to the end of a sentence.
_KEEP_PERIOD = re.compile(
    r"^(?:[A-Z]\.)+[A-Z]?\.?$|^(?:Mr|Mrs|Ms|Dr|Lt|Col|Gen|Maj|Capt|Sgt|Adm|Gov|Sen|Rep|Rev|Prof|St|Jr|Sr|Inc|Ltd|Corp|Co)\.$"
)
_POSSESSIVE = ("’s", "'s", "’", "'")
# A comma only breaks before white space: "2,500" is one figure.
_JOINER = re.compile(r"(?:and|but|or)\s+")
_CLAUSE_BREAK = re.compile(r"\s*(?:[;:()]|,(?=\s)|\s[—–-]\s)\s*")


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str  # without a sentence-final period or a possessive 's
    possessive: bool
    closed: bool  # punctuation follows it (a comma, a full stop): a name ends here

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()


@dataclass(frozen=True)
class Mention:
    """A run of capitalised words: a name, most of the time."""

    start: int
    end: int
    words: tuple[str, ...]
    possessive: bool
    initial: bool  # opens its sentence

    @property
    def text(self) -> str:
        return " ".join(self.words)


def tokens(text: str, start: int, end: int) -> list[Token]:
    found = []
    for match in _TOKEN.finditer(text, start, end):
        raw = match.group()
        t_start, t_end = match.start(), match.end()
        if raw.endswith(".") and not _KEEP_PERIOD.match(raw):
            raw, t_end = raw[:-1], t_end - 1
        possessive = False
        for suffix in _POSSESSIVE:
            if raw.endswith(suffix) and len(raw) > len(suffix) + 1:
                raw, t_end, possessive = raw[: -len(suffix)], t_end - len(suffix), True
                break
        after = text[t_end : t_end + 2]
        closed = possessive or bool(after) and not after[0].isspace() and after[0] not in "’'"
        found.append(Token(t_start, t_end, raw, possessive, closed))
    return found


def mentions(text: str, start: int, end: int, lowercase: set[str]) -> list[Mention]:
    """Capitalised runs in text[start:end]. A run's opening word is dropped when it is a
    common word that happens to start the sentence (``lowercase`` holds the words the scope
    uses in lower case); months and weekdays are dates, not names."""
    found: list[Mention] = []
    run: list[Token] = []

    def close() -> None:
        while run and run[-1].text.lower() in _CONNECTORS:
            run.pop()
        words = list(run)
        initial = bool(words) and _opens(text, start, words[0].start)
        opening = initial
        while words and (
            _common(words[0].text, lowercase, opening) or words[0].text in _CONNECTORS
        ):
            words.pop(0)
            opening = False
        if words:
            found.append(
                Mention(
                    words[0].start,
                    words[-1].end,
                    tuple(t.text for t in words),
                    words[-1].possessive,
                    initial and words[0] is run[0],
                )
            )
        run.clear()

    for token in tokens(text, start, end):
        word = token.text
        if word.lower() in MONTHS or word.lower() in _DAYS or word == "I":
            close()
            continue
        if token.capitalised and not word.isdigit():
            run.append(token)
        elif run and word in _CONNECTORS and not run[-1].closed:
            run.append(token)
            continue
        else:
            close()
            continue
        if token.closed:
            close()
    close()
    return found


def _opens(text: str, sentence_start: int, position: int) -> bool:
    return not text[sentence_start:position].strip(" \"'“‘(")


def _common(word: str, lowercase: set[str], initial: bool) -> bool:
    lowered = word.lower()
    if lowered in STOPWORDS:
        return True
    return initial and lowered in lowercase


def lowercase_words(texts: list[str]) -> set[str]:
    """Words the texts use in lower case somewhere (so they are not names)."""
    found: set[str] = set()
    for text in texts:
        found.update(w for w in re.findall(r"\b[a-z][a-z'’-]+\b", text))
    return found


def clause(
    text: str, start: int, end: int, focus_start: int, focus_end: int, max_words: int
) -> tuple[int, int]:
    """The span of the clause of text[start:end] (a sentence) around a focus span, grown to
    at least a few words and cut to at most ``max_words`` around the focus."""
    cuts = [start]
    for match in _CLAUSE_BREAK.finditer(text, start, end):
        if match.start() >= focus_end or match.end() <= focus_start:
            cuts.append(match.start())
            cuts.append(match.end())
    cuts.append(end)
    # Pieces between breaks: (piece start, piece end).
    pieces = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    pieces = [p for p in pieces if p[1] > p[0]]
    if not pieces:
        return start, end
    index = next(
        (i for i, (a, b) in enumerate(pieces) if a <= focus_start and focus_end <= b),
        None,
    )
    if index is None:
        return _trim(text, start, end, focus_start, focus_end, max_words)
    low = high = index
    minimum = min(8, max_words)

    def count(a: int, b: int) -> int:
        return len(text[pieces[a][0] : pieces[b][1]].split())

    while count(low, high) < minimum and (low > 0 or high < len(pieces) - 1):
        if low > 0:
            low -= 1
        elif high < len(pieces) - 1:
            high += 1
    span_start, span_end = pieces[low][0], pieces[high][1]
    return _trim(text, span_start, span_end, focus_start, focus_end, max_words)


def _trim(
    text: str, start: int, end: int, focus_start: int, focus_end: int, max_words: int
) -> tuple[int, int]:
    """At most ``max_words`` words of text[start:end], keeping the focus, cut at spaces."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[start:end])]
    spans = [(a + start, b + start) for a, b in spans]
    if len(spans) <= max_words:
        return _strip(text, start, end)
    first = next(i for i, (a, b) in enumerate(spans) if b > focus_start)
    last = max(i for i, (a, b) in enumerate(spans) if a < focus_end)
    while last - first + 1 < max_words:
        if first > 0:
            first -= 1
        if last - first + 1 < max_words and last < len(spans) - 1:
            last += 1
        if first == 0 and last == len(spans) - 1:
            break
    return _strip(text, spans[first][0], spans[last][1])


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """Without leading/trailing spaces and dangling punctuation (a clause's comma)."""
    while start < end and (text[start].isspace() or text[start] in ",;:—–-"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:—–-("):
        end -= 1
    joined = _JOINER.match(text, start, end)
    if joined and joined.end() < end:
        start = joined.end()  # "but the situation marks ..." reads as "the situation marks ..."
    return start, end
