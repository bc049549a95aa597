"""Paragraph-level reader figures: predictions for SQuAD questions on their gold paragraph, and
SQuAD 2.0-style summaries of them. Torch-free, so the shipped ONNX file is scored by the same
code as the checkpoints during training."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from assistant.evaluation.squad_score import best as squad_best
from assistant.models.reader import Window, WindowSpec, combine, decode, windows

from .split import Article

Logits = Callable[[list[Window]], tuple[np.ndarray, np.ndarray, np.ndarray]]


def predict(
    logits: Logits, tokenizer, articles: list[Article], spec: WindowSpec, batch_size: int = 32
) -> list[dict]:
    """The reader's best span for every question of the articles, on its gold paragraph."""
    questions = [q for a in articles for q in a.questions]
    laid = [
        (i, w)
        for i, q in enumerate(questions)
        for w in windows(tokenizer, q.question, q.context, spec)
    ]
    laid.sort(key=lambda item: len(item[1].ids))
    spans: list[list] = [[] for _ in questions]
    for begin in range(0, len(laid), batch_size):
        chunk = laid[begin : begin + batch_size]
        start, end, answerable = logits([w for _, w in chunk])
        answerable = np.asarray(answerable).reshape(-1)
        for row, (index, window) in enumerate(chunk):
            span = decode(questions[index].context, window, start[row], end[row], answerable[row])
            if span is not None:
                spans[index].append(span)
    found = []
    for q, candidates in zip(questions, spans):
        span = combine(candidates)
        text = span.text if span else ""
        em, f1 = squad_best(text, [a["text"] for a in q.answers]) if q.answers else (0.0, 0.0)
        found.append(
            {
                "id": q.id,
                "article": q.article,
                "answerable": q.answerable,
                "text": text,
                "margin": span.margin if span else -1e9,
                "answerable_logit": span.answerable if span else -1e9,
                "em": em,
                "f1": f1,
            }
        )
    return found


def summarise(predictions: list[dict], threshold: float, key: str = "margin") -> dict[str, float]:
    """SQuAD 2.0-style figures when answering only where ``key`` reaches ``threshold``."""
    has = [p for p in predictions if p["answerable"]]
    no = [p for p in predictions if not p["answerable"]]

    def answered(p: dict) -> bool:
        return p[key] >= threshold

    def mean(values: list[float]) -> float:
        return float(np.mean(values)) if values else float("nan")

    out = {
        "threshold": threshold,
        "questions": len(predictions),
        "has_ans_em_always": mean([p["em"] for p in has]),
        "has_ans_f1_always": mean([p["f1"] for p in has]),
        "has_ans_em": mean([p["em"] if answered(p) else 0.0 for p in has]),
        "has_ans_f1": mean([p["f1"] if answered(p) else 0.0 for p in has]),
        "no_ans_acc": mean([float(not answered(p)) for p in no]),
    }
    f1s = [
        (p["f1"] if answered(p) else 0.0) if p["answerable"] else float(not answered(p))
        for p in predictions
    ]
    ems = [
        (p["em"] if answered(p) else 0.0) if p["answerable"] else float(not answered(p))
        for p in predictions
    ]
    out["f1"] = mean(f1s)
    out["exact_match"] = mean(ems)
    return out


def best_threshold(predictions: list[dict], key: str = "margin") -> dict[str, float]:
    """The summary at the threshold that maximises overall F1 (SQuAD 2.0's 'best F1')."""
    values = sorted({round(p[key], 3) for p in predictions if p[key] > -1e8})
    grid = values[:: max(1, len(values) // 400)] or [0.0]
    return max((summarise(predictions, t, key) for t in grid), key=lambda s: s["f1"])
