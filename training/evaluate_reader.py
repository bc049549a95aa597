"""Paragraph-level figures of a reader folder (the shipped ONNX file, or any export): each
question is read on its gold paragraph, as SQuAD's own evaluation does.

    python -m training.evaluate_reader assistant/models/reader_model --set heldout-v2

Sets: ``dev`` (the dev fold of the training articles: for choices), ``heldout-v2`` and
``heldout-v1`` (held out: for reporting once the choices are made). End-to-end figures, with
retrieval over the whole SQuAD file, come from `benchmarks/reader_eval.py squad`.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant.models.reader import Reader  # noqa: E402

from .scoring import best_threshold, predict, summarise  # noqa: E402
from .split import folds, held_out_articles, training_articles  # noqa: E402


def articles_of(name: str):
    if name == "dev":
        return folds(training_articles(), "dev")[1]
    if name == "heldout-v2":
        return held_out_articles("v2")
    if name == "heldout-v1":
        return held_out_articles("v1")
    raise SystemExit(f"unknown set {name!r}")


def evaluate(folder: Path, name: str, threads: int = 2) -> dict:
    reader = Reader(threads=threads, folder=folder)
    articles = articles_of(name)
    began = time.perf_counter()
    predictions = predict(reader.logits, reader.tokenizer, articles, reader.info.spec)
    seconds = time.perf_counter() - began
    calibration = reader.info.calibration
    for p in predictions:
        p["probability"] = (
            calibration.probability(p["margin"], p["answerable_logit"])
            if p["margin"] > -1e8
            else 0.0
        )
    return {
        "set": name,
        "folder": str(folder),
        "precision": reader.info.extra.get("precision"),
        "seconds": round(seconds, 1),
        "at_threshold": summarise(predictions, reader.info.threshold, key="probability"),
        "best_margin_threshold": best_threshold(predictions, key="margin"),
        "predictions": predictions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--set", default="dev", choices=["dev", "heldout-v2", "heldout-v1"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write the summary and predictions here")
    args = parser.parse_args()
    result = evaluate(args.folder, args.set, args.threads)
    if args.json:
        args.json.write_text(json.dumps(result))
    print(json.dumps({k: v for k, v in result.items() if k != "predictions"}, indent=2))


if __name__ == "__main__":
    main()
