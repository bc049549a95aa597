"""SQuAD's answer scores: exact match and token F1 after the official normalisation, so our
figures can be set beside published ones.

Normalisation, as the official v1.1 / v2.0 evaluation scripts define it: lower case, drop
punctuation (string.punctuation), drop the articles "a", "an" and "the" as whole words, and
collapse white space. A prediction is scored against every gold answer and keeps the best
score. For a question with no gold answer (SQuAD 2.0), the right prediction is the empty
string: EM and F1 are both 1 for it and 0 for anything else.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1(prediction: str, gold: str) -> float:
    predicted = normalize_answer(prediction).split()
    wanted = normalize_answer(gold).split()
    if not predicted or not wanted:
        # Either side empty: right only when both are (a no-answer predicted for no answer).
        return float(predicted == wanted)
    common = sum((Counter(predicted) & Counter(wanted)).values())
    if common == 0:
        return 0.0
    precision = common / len(predicted)
    recall = common / len(wanted)
    return 2 * precision * recall / (precision + recall)


def best(prediction: str, golds: Sequence[str]) -> tuple[float, float]:
    """(EM, F1) of a prediction against its gold answers; with none, the empty answer is right."""
    golds = [g for g in golds if normalize_answer(g)] or [""]
    return max(exact_match(prediction, g) for g in golds), max(f1(prediction, g) for g in golds)
