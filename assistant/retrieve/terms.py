"""How rare each word is across the chunks: rare words carry more evidence."""

from __future__ import annotations

import math
from collections import Counter

from ..text import content_words


class TermStats:
    """How many chunks hold each (stemmed) content word."""

    def __init__(self, texts: list[str]) -> None:
        self.chunks = max(len(texts), 1)
        self.df: Counter[str] = Counter()
        for text in texts:
            self.df.update(set(content_words(text)))

    @classmethod
    def from_counts(cls, chunks: int, df: dict[str, int]) -> TermStats:
        stats = cls([])
        stats.chunks = max(chunks, 1)
        stats.df = Counter(df)
        return stats

    def idf(self, word: str) -> float:
        """Inverse document frequency; a word found nowhere gets the weight of a unique one."""
        return math.log(1.0 + self.chunks / (self.df.get(word, 0) + 1.0))
