"""[n] markers: found in any answer text, normalised from the forms models write, and written
back after each sentence."""

from __future__ import annotations

import re

from ..text import paragraphs, sentences
from ..types import AnswerSentence

MARKER = re.compile(r"\[(\d{1,3})\]")
_GROUP = re.compile(r"\[\s*(\d{1,3}(?:\s*(?:,|;|-|–|and)\s*\d{1,3})+)\s*\]")
_NAMED = re.compile(r"\[\s*(?:passage|source|doc(?:ument)?)s?\s*#?\s*(\d{1,3})\s*\]", re.I)
_ONLY_MARKERS = re.compile(r"^[\s.,;:!?)\]]*(?:\[\d{1,3}\][\s.,;:!?]*)+$")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")


def markers(text: str) -> list[int]:
    """The citation numbers in a piece of text, in order."""
    return [int(m) for m in MARKER.findall(text)]


def strip_markers(text: str) -> str:
    return " ".join(MARKER.sub(" ", text).split())


def normalise_markers(text: str) -> str:
    """``[1, 2]``, ``[1-3]`` and ``[Passage 2]`` rewritten as ``[1][2]``, ``[1][2][3]``, ``[2]``."""

    def expand(match: re.Match[str]) -> str:
        numbers: list[int] = []
        for part in re.split(r"\s*(?:,|;|and)\s*", match.group(1)):
            bounds = [int(n) for n in re.split(r"\s*[-–]\s*", part) if n]
            if len(bounds) == 2 and 0 < bounds[1] - bounds[0] < 20:
                numbers.extend(range(bounds[0], bounds[1] + 1))
            else:
                numbers.extend(bounds)
        return "".join(f"[{n}]" for n in numbers)

    return _NAMED.sub(r"[\1]", _GROUP.sub(expand, text))


def split_answer(text: str) -> list[tuple[str, list[int], str]]:
    """(sentence without markers, its marker numbers, the break before it: " ", a new line or
    a blank line) for each sentence. Markers standing after the full stop ("... here. [2]")
    belong to the sentence before."""
    pieces: list[tuple[str, list[int], str]] = []
    for p_index, (p_start, p_end) in enumerate(paragraphs(text)):
        for index, (start, end) in enumerate(sentences(text, p_start, p_end)):
            raw = text[start:end]
            numbers = markers(raw)
            if pieces and _ONLY_MARKERS.match(raw):
                body, previous, gap = pieces[-1]
                pieces[-1] = (body, previous + numbers, gap)
                continue
            body = _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(MARKER.sub(" ", raw).split()))
            if not body:
                continue
            if index == 0:
                gap = "\n\n" if p_index else ""
            else:
                gap = "\n" if text[start - 1] == "\n" else " "
            pieces.append((body, numbers, gap))
    return pieces


def render(checked: list[AnswerSentence], gaps: list[str]) -> str:
    """The answer text again, each sentence followed by its (renumbered) markers."""
    parts: list[str] = []
    for sentence, gap in zip(checked, gaps):
        marks = "".join(f"[{n}]" for n in sentence.citations)
        parts.append(gap if parts else "")
        parts.append(f"{sentence.text} {marks}" if marks else sentence.text)
    return "".join(parts).strip()
