"""Training examples for the reader: SQuAD questions laid out in the reader's own windows.

Each question gives
- its gold paragraph, labelled with the answer's first and last token, or with [CLS] (index 0)
  when the question is unanswerable or the window does not hold the whole answer;
- for an answerable question, with probability ``negatives``, a distractor: the other paragraph of the same article that
  shares most words with the question, labelled [CLS]. At run time the reader reads several
  retrieved passages, most of which do not answer; distractors teach it to say so. A paragraph
  that contains a gold answer's text is never used as a distractor.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from assistant.models.reader import Window, WindowSpec, windows

from .split import Article, Question

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an the of in on at to for by with from and or is are was were be been what which who whom "
    "whose when where why how did does do that this these those it its as".split()
)


@dataclass
class Example:
    window: Window
    start: int  # token index in window.ids; 0 = [CLS] = no answer here
    end: int
    has_answer: int
    question_id: str


def label(window: Window, char_start: int, char_end: int) -> tuple[int, int]:
    """Token indexes of the answer inside the window, or (0, 0) when it is not wholly there."""
    first = last = None
    for i, (s, e) in enumerate(window.offsets):
        if first is None and e > char_start:
            first = i
        if s < char_end:
            last = i
    if first is None or last is None or last < first:
        return 0, 0
    # The answer must start and end inside this window's stretch of the passage.
    if window.offsets[first][0] > char_start or window.offsets[last][1] < char_end:
        return 0, 0
    return window.context_start + first, window.context_start + last


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def distractor(question: Question, article: Article) -> str | None:
    """The non-gold paragraph of the article nearest the question in wording, if it holds no
    gold answer text."""
    asked = _words(question.question)
    golds = [a["text"].lower() for a in question.answers]
    best, best_overlap = None, 0
    for number, text in enumerate(article.paragraphs):
        if number == question.paragraph:
            continue
        overlap = len(asked & _words(text))
        if overlap > best_overlap:
            best, best_overlap = text, overlap
    if best is None or any(g and g in best.lower() for g in golds):
        return None
    return best


def build(
    articles: list[Article], tokenizer, spec: WindowSpec, negatives: float, seed: int
) -> tuple[list[Example], dict[str, int]]:
    """Every window of every question's gold paragraph, plus distractors; and their counts."""
    rng = random.Random(seed)
    examples: list[Example] = []
    counts = {"questions": 0, "answerable": 0, "unanswerable": 0, "distractors": 0, "windows": 0}
    for article in articles:
        for q in article.questions:
            counts["questions"] += 1
            counts["answerable" if q.answerable else "unanswerable"] += 1
            answer = q.answers[0] if q.answers else None
            for window in windows(tokenizer, q.question, q.context, spec):
                start = end = 0
                if answer is not None:
                    begin = answer["answer_start"]
                    start, end = label(window, begin, begin + len(answer["text"]))
                examples.append(Example(window, start, end, int(start > 0), q.id))
            if answer is not None and negatives and rng.random() < negatives:
                other = distractor(q, article)
                if other is not None:
                    counts["distractors"] += 1
                    for window in windows(tokenizer, q.question, other, spec):
                        examples.append(Example(window, 0, 0, 0, q.id))
    counts["windows"] = len(examples)
    return examples, counts
