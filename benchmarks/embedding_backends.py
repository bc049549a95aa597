"""Compare the torch and ONNX embedding backends: start-up, query latency, batch throughput.

    .venv/bin/python benchmarks/embedding_backends.py [--reps 300] [--texts 500]

Each figure is measured in fresh subprocesses, so one backend's libraries never slow the
other's and import times are real cold(-ish, page cache warm) starts. Exports the model to
ONNX first if the cache has no up-to-date export.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere, without installing the package

QUESTIONS = [
    "When did the troops arrive in Russia?",
    "How many soldiers were sent?",
    "What did the South Korean intelligence service say?",
    "Which region saw the fighting?",
    "What is the budget for the project in 2024?",
    "Who signed the mutual defence treaty?",
    "What equipment was supplied in exchange?",
    "How did the United States respond to the deployment?",
    "Were there any casualties reported?",
    "What is the deadline for the grant application?",
]

_WORDS = [
    "the",
    "committee",
    "reviewed",
    "budget",
    "staffing",
    "plan",
    "troops",
    "deployment",
    "region",
    "intelligence",
    "report",
    "officials",
    "said",
    "according",
    "to",
    "statement",
    "treaty",
    "defence",
    "supply",
    "artillery",
    "shells",
    "missiles",
    "casualties",
    "estimate",
    "analysts",
    "border",
    "training",
    "exercise",
    "government",
    "spokesperson",
    "denied",
    "confirmed",
    "satellite",
    "images",
    "showed",
    "units",
    "moved",
    "toward",
    "front",
    "line",
    "week",
    "month",
    "year",
    "also",
    "however",
    "because",
    "although",
    "meanwhile",
    "during",
    "after",
    "before",
    "within",
    "across",
    "several",
    "many",
]


def paragraphs(count: int, seed: int = 0) -> list[str]:
    """Deterministic paragraph-sized texts of 40-220 words (some past the 256-token window)."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(40, 220))]
        out.append(" ".join(words).capitalize() + ".")
    return out


def _make(backend: str, threads: int):  # type: ignore[no-untyped-def]
    from assistant.config import Settings

    if backend == "torch":
        from assistant.models.torch_embedder import TorchEmbedder

        return TorchEmbedder(Settings().embedding_model, threads)
    from assistant.models.onnx_runtime import OnnxEmbedder

    return OnnxEmbedder(Settings(torch_threads=threads))


def worker_load(backend: str, threads: int) -> dict[str, float]:
    """Import + construct + first query, timed from inside a fresh interpreter."""
    start = time.perf_counter()
    embedder = _make(backend, threads)
    loaded = time.perf_counter()
    embedder.embed(["first query after start"])
    return {"load": loaded - start, "first": time.perf_counter() - loaded}


def worker_speed(backend: str, threads: int, reps: int, n_texts: int) -> dict[str, float]:
    """Single-query latency (uncached, after warm-up) and batch throughput."""
    embedder = _make(backend, threads)
    for question in QUESTIONS:  # warm-up: allocators, thread pools, kernel selection
        embedder.embed([question])
    latencies = []
    for i in range(reps):
        question = QUESTIONS[i % len(QUESTIONS)]
        start = time.perf_counter()
        embedder.embed([question])  # embed, not embed_query: the LRU cache would hide the model
        latencies.append(time.perf_counter() - start)
    latencies.sort()
    texts = paragraphs(n_texts)
    embedder.embed(texts[:32])
    rates = []
    for _ in range(3):
        start = time.perf_counter()
        vectors = embedder.embed(texts)
        rates.append(len(texts) / (time.perf_counter() - start))
    Path(os.environ["BENCH_VECTORS"]).write_bytes(vectors.astype("float32").tobytes())
    return {
        "p50": latencies[len(latencies) // 2],
        "p95": latencies[int(len(latencies) * 0.95)],
        "throughput": statistics.median(rates),
    }


def _run_worker(args: list[str], env: dict[str, str]) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--worker", *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=300, help="single-query repetitions")
    parser.add_argument("--texts", type=int, default=500, help="texts in the throughput batch")
    parser.add_argument("--loads", type=int, default=5, help="fresh processes for load time")
    parser.add_argument("--threads", type=int, default=2, help="inference threads (pinned)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.worker:
        kind, backend = args.worker[0], args.worker[1]
        if kind == "load":
            out = worker_load(backend, args.threads)
        else:
            out = worker_speed(backend, args.threads, args.reps, args.texts)
        print(json.dumps(out))
        return

    import numpy as np

    from assistant.config import Settings
    from assistant.models.onnx_export import export_onnx
    from assistant.models.onnx_runtime import onnx_available

    settings = Settings()
    if not onnx_available(settings):
        print("no up-to-date ONNX export: exporting once ...", flush=True)
        export_onnx(settings)

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rows = {}
    vectors = {}
    for backend in ("torch", "onnx"):
        loads = [_run_worker(["load", backend], env) for _ in range(args.loads)]
        env["BENCH_VECTORS"] = str(settings.cache_dir / f"bench-{backend}.f32")
        speed = _run_worker(["speed", backend], env)
        vectors[backend] = np.fromfile(env["BENCH_VECTORS"], dtype=np.float32).reshape(-1, 384)
        Path(env["BENCH_VECTORS"]).unlink()
        rows[backend] = {
            "load": statistics.median(r["load"] for r in loads),
            "first": statistics.median(r["first"] for r in loads),
            **speed,
        }
    agreement = float((vectors["torch"] * vectors["onnx"]).sum(axis=1).min())

    print(
        f"\n{args.threads} threads, {args.reps} single queries, {args.texts} paragraphs, "
        f"load = median of {args.loads} fresh processes"
    )
    header = f"{'backend':<8}{'import+load':>13}{'1st query':>11}{'query p50':>11}"
    print(header + f"{'query p95':>11}{'batch texts/s':>15}")
    for backend, r in rows.items():
        print(
            f"{backend:<8}{r['load']:>12.2f}s{r['first'] * 1e3:>9.1f}ms{r['p50'] * 1e3:>9.2f}ms"
            f"{r['p95'] * 1e3:>9.2f}ms{r['throughput']:>15.1f}"
        )
    print(f"min cosine torch vs onnx over the {args.texts} paragraphs: {agreement:.6f}")


if __name__ == "__main__":
    main()
