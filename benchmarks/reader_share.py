"""The reader's overhead: Reader.read() (windowing, batching, decoding, calibration) against the
bare ONNX forward pass over the same windows, for the seed questions' retrieved passages.

    .venv/bin/python benchmarks/reader_share.py [--depth N] [--runs 5]

Prints the median time of each per question and their ratio (the target is within 1.25x).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--depth", type=int, help="passages per question (default: the setting's)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from assistant import Settings, build_engine
    from assistant.evaluation.questions import load_questions
    from assistant.models.reader import Reader, windows

    with tempfile.TemporaryDirectory() as tmp:
        engine = build_engine(Settings(data_dir=Path(tmp), corpus_dir=ROOT / "corpus"))
        args.depth = args.depth or engine.reader_tuning().depth
        engine.ingest()
        questions = [q.question for q in load_questions(ROOT / "evals/seed.jsonl").questions]
        cases = [
            (q, [p.text for p in engine.retriever.retrieve(q, k=args.depth)]) for q in questions
        ]
    reader = Reader(threads=2)
    spec = reader.info.spec
    full, bare = [], []
    for _ in range(args.runs):
        for question, passages in cases:
            laid = [w for text in passages for w in windows(reader.tokenizer, question, text, spec)]
            laid.sort(key=lambda w: -len(w.ids))
            began = time.perf_counter()
            for start in range(0, len(laid), 16):
                reader.logits(laid[start : start + 16])
            bare.append(time.perf_counter() - began)
            began = time.perf_counter()
            reader.read(question, passages)
            full.append(time.perf_counter() - began)
    f, b = statistics.median(full), statistics.median(bare)
    print(
        f"{len(cases)} questions x {args.runs} runs, depth {args.depth}, load {os.getloadavg()[0]:.1f}"
    )
    print(f"Reader.read median      {f * 1000:7.1f} ms")
    print(f"forward pass median     {b * 1000:7.1f} ms")
    print(f"ratio                   {f / b:7.2f}x   (target <= 1.25x)")


if __name__ == "__main__":
    main()
