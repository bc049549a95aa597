"""Warm `ask` latency and ingest time on the seed corpus, in-process.

    .venv/bin/python benchmarks/ask_latency.py [--questions N] [--json OUT]

Questions: the seed evaluation set, keyword queries built from every sentence of the corpus,
and SQuAD v1.1 dev questions when ../shared/data is present (off-topic ones exercise the
abstention path). Every question is distinct, so the query-embedding cache never answers.
Prints a table of medians and percentiles; timings are noisy on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def questions(limit: int) -> list[str]:
    from assistant.text import content_words, paragraphs, sentences

    found = [json.loads(line)["question"] for line in (ROOT / "evals/seed.jsonl").open()]
    rng = random.Random(7)
    for path in sorted((ROOT / "corpus").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for start, end in paragraphs(text):
            for s, e in sentences(text, start, end):
                words = [w for w in content_words(text[s:e]) if len(w) > 3]
                for size in (2, 3, 4):
                    if len(words) >= size:
                        found.append(" ".join(rng.sample(words, size)))
    squad = ROOT.parent / "shared/data/squad-v1.1-dev/dev-v1.1.json"
    if squad.exists():
        data = json.loads(squad.read_text())["data"]
        found += [qa["question"] for a in data[:3] for p in a["paragraphs"] for qa in p["qas"]]
    unique = list(dict.fromkeys(found))
    return unique[:limit]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    started = time.perf_counter()
    from assistant.config import Settings
    from assistant.engine import build_engine

    imported = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        engine = build_engine(Settings(data_dir=Path(tmp) / "data"))
        t0 = time.perf_counter()
        report = engine.ingest()
        ingest_cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        engine.ingest()
        reingest = time.perf_counter() - t0
        engine.warm_up()
        asked = questions(args.questions)
        total, retrieve, abstained = [], [], 0
        for question in asked:
            t0 = time.perf_counter()
            answer = engine.ask(question)
            total.append((time.perf_counter() - t0) * 1000)
            retrieve.append(answer.timings["retrieve"] * 1000)
            abstained += answer.abstained
        # A second pass: the same questions with every cache warm.
        second = []
        for question in asked:
            t0 = time.perf_counter()
            engine.ask(question)
            second.append((time.perf_counter() - t0) * 1000)

    figures = {
        "backend": type(engine.embedder()).__name__,
        "questions": len(asked),
        "abstained": abstained,
        "import_s": round(imported, 2),
        "ingest_with_model_load_s": round(ingest_cold, 2),
        "chunks": report.chunks_embedded,
        "reingest_unchanged_s": round(reingest, 3),
        "ask_p50_ms": round(statistics.median(total), 2),
        "ask_p95_ms": round(percentile(total, 95), 2),
        "retrieve_p50_ms": round(statistics.median(retrieve), 2),
        "retrieve_p95_ms": round(percentile(retrieve, 95), 2),
        "ask_repeat_p50_ms": round(statistics.median(second), 2),
        "ask_repeat_p95_ms": round(percentile(second, 95), 2),
    }
    width = max(map(len, figures))
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
