"""Paragraph-aware chunking that never exceeds the embedding model's window.

A chunk is one paragraph; short paragraphs (headings, list items) are joined to the ones that
follow, and a paragraph too long for the window is cut at sentence ends with a small overlap.
Chunk text is always an exact slice of the document text, so offsets stay true.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..text import paragraphs, sentences

# Paragraphs below this many tokens are merged with what follows (a heading alone embeds badly).
MIN_CHUNK_TOKENS = 48


class TokenCounter(Protocol):
    def __call__(self, texts: list[str]) -> list[int]: ...


@dataclass(frozen=True)
class Chunk:
    index: int
    char_start: int
    char_end: int
    paragraph_start: int  # 1-based
    paragraph_end: int


def chunk_document(
    text: str, count_tokens: TokenCounter, max_tokens: int, overlap: int
) -> list[Chunk]:
    """Chunks of ``text`` with at most ``max_tokens`` content tokens each."""
    spans = paragraphs(text)
    sizes = count_tokens([text[s:e] for s, e in spans])
    pieces: list[tuple[int, int, int, int, int]] = []  # start, end, para_from, para_to, tokens
    for number, ((start, end), size) in enumerate(zip(spans, sizes), start=1):
        if size <= max_tokens:
            pieces.append((start, end, number, number, size))
        else:
            for s, e, n in _split_long(text, start, end, count_tokens, max_tokens, overlap):
                pieces.append((s, e, number, number, n))
    merged: list[tuple[int, int, int, int, int]] = []
    for piece in pieces:
        if merged and merged[-1][4] < MIN_CHUNK_TOKENS:
            last = merged[-1]
            # Joining keeps the separator text, so count the joined slice again.
            joined = count_tokens([text[last[0] : piece[1]]])[0]
            if joined <= max_tokens:
                merged[-1] = (last[0], piece[1], last[2], piece[3], joined)
                continue
        merged.append(piece)
    return [
        Chunk(index=i, char_start=s, char_end=e, paragraph_start=a, paragraph_end=b)
        for i, (s, e, a, b, _) in enumerate(merged)
    ]


def _split_long(
    text: str, start: int, end: int, count_tokens: TokenCounter, max_tokens: int, overlap: int
) -> list[tuple[int, int, int]]:
    """Windows of whole sentences, each within max_tokens, consecutive ones sharing up to
    ``overlap`` tokens of trailing sentences. A sentence longer than the window is cut."""
    spans: list[tuple[int, int]] = []
    for s, e in sentences(text, start, end):
        spans.extend(_hard_split(text, s, e, count_tokens, max_tokens))
    sizes = count_tokens([text[s:e] for s, e in spans])
    windows = []
    i = 0
    while i < len(spans):
        j, total = i, 0
        while j < len(spans) and total + sizes[j] <= max_tokens:
            total += sizes[j]
            j += 1
        j = max(j, i + 1)
        windows.append((spans[i][0], spans[j - 1][1], min(total, max_tokens)))
        if j >= len(spans):
            break
        back, carried = j, 0
        while back - 1 > i and carried + sizes[back - 1] <= overlap:
            back -= 1
            carried += sizes[back]
        i = back
    return windows


def _hard_split(
    text: str, start: int, end: int, count_tokens: TokenCounter, max_tokens: int
) -> list[tuple[int, int]]:
    """Cut an over-long sentence at white space into pieces that fit."""
    if count_tokens([text[start:end]])[0] <= max_tokens:
        return [(start, end)]
    pieces = []
    cursor = start
    while cursor < end:
        low, high = cursor + 1, end
        # Binary search the longest prefix (ending at white space) that fits.
        best = None
        while low <= high:
            mid = (low + high) // 2
            cut = text.rfind(" ", cursor + 1, mid + 1)
            cut = mid if cut <= cursor else cut
            if count_tokens([text[cursor:cut]])[0] <= max_tokens:
                best, low = cut, mid + 1
            else:
                high = mid - 1
        best = best if best and best > cursor else min(end, cursor + max_tokens)
        pieces.append((cursor, best))
        cursor = best
        while cursor < end and text[cursor].isspace():
            cursor += 1
    return pieces
