"""Calibration of the reader's answer probability, fitted on the dev fold of the training
articles (never on held-out ones).

The probability that a passage's best span answers the question is a logistic function of
the span-minus-[CLS] margin and the answerability logit. Fitted by Newton's method (a little
L2 for stability) on the dev-fold model's paragraph-level predictions: the target is 1 for an
answerable question whose predicted span overlaps a gold answer (F1 >= 0.5), else 0, so the
probability is that of a *right* answer, not only of an answerable question.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

RIGHT_F1 = 0.5


def features(predictions: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    kept = [p for p in predictions if p["margin"] > -1e8]
    x = np.array([[p["margin"], p["answerable_logit"], 1.0] for p in kept], dtype=np.float64)
    y = np.array([float(p["answerable"] and p["f1"] >= RIGHT_F1) for p in kept])
    return x, y


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 50) -> np.ndarray:
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -50, 50)))
        gradient = x.T @ (p - y) + l2 * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def calibration(predictions: list[dict]) -> dict[str, float]:
    x, y = features(predictions)
    w = fit(x, y)
    return {"margin": float(w[0]), "answerable": float(w[1]), "bias": float(w[2])}


def log_loss(predictions: list[dict], coefficients: dict[str, float]) -> float:
    x, y = features(predictions)
    w = np.array([coefficients["margin"], coefficients["answerable"], coefficients["bias"]])
    p = np.clip(1 / (1 + np.exp(-(x @ w))), 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("predictions", type=Path, help="dev-epoch<N>.json from training")
    args = parser.parse_args()
    predictions = json.loads(args.predictions.read_text())
    coefficients = calibration(predictions)
    print(
        json.dumps(
            {"calibration": coefficients, "log_loss": log_loss(predictions, coefficients)}, indent=2
        )
    )


if __name__ == "__main__":
    main()
