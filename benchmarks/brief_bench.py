"""Briefing speed and memory: the seed article, a BBC topic with 20-50 relevant articles, and
the whole BBC corpus as one scope (capped, with its notice).

    .venv/bin/python benchmarks/brief_bench.py [--runs 5] [--skip-bbc] [--json OUT]

Targets (issue 14): seed briefing <= 2 s warm; a BBC topic briefing <= 10 s warm; the
whole-corpus scope bounded in memory. The BBC store is built once under
data/bench-brief/bbc (ingestion is idempotent, so later runs reuse it); the seed store is
a temporary folder. "Warm" means the model is loaded, the indexes are built and one
briefing of the scope has run. Timings are noisy on a shared 2-core machine: medians are
printed with the slowest run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for _key, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "BRIEFING_ENV_FILE": "",
}.items():
    os.environ.setdefault(_key, _value)

BBC = ROOT.parent / "shared" / "data" / "bbc-news"
# Topics for the BBC figure; the first one is the timed target (27 articles name Yukos).
BBC_TOPICS = ["Yukos and the sale of Yuganskneftegas", "The Aviator at the Oscars"]
SEED_TARGET_S = 2.0
TOPIC_TARGET_S = 10.0


def _timed(make: Any, runs: int) -> tuple[list[float], Any]:
    make()  # warm: the first briefing of a scope builds caches
    seconds = []
    result = None
    for _ in range(runs):
        began = time.perf_counter()
        result = make()
        seconds.append(time.perf_counter() - began)
    return seconds, result


def _row(name: str, seconds: list[float], target: float | None, extra: str = "") -> dict[str, Any]:
    median = statistics.median(seconds)
    met = "" if target is None else ("met" if median <= target else "MISSED")
    print(
        f"{name:<44} {median:8.3f} s  (slowest {max(seconds):.3f} s, {len(seconds)} runs)"
        f"  {('target <= ' + str(target) + ' s ' + met) if target else ''} {extra}"
    )
    return {
        "name": name,
        "median_s": round(median, 4),
        "max_s": round(max(seconds), 4),
        "runs": len(seconds),
        "target_s": target,
        "met": met == "met" if target else None,
    }


def seed(runs: int) -> list[dict[str, Any]]:
    from assistant.brief import EngineLibrary, Request, build_briefing
    from assistant.config import Settings
    from assistant.engine import build_engine

    with tempfile.TemporaryDirectory() as tmp:
        engine = build_engine(Settings(data_dir=Path(tmp) / "data", corpus_dir=ROOT / "corpus"))
        engine.ingest()
        engine.warm_up()
        library = EngineLibrary(engine)
        rows = []
        seconds, briefing = _timed(lambda: build_briefing(library, Request()), runs)
        lines = len(briefing.items)
        rows.append(_row("seed article, all documents", seconds, SEED_TARGET_S, f"{lines} lines"))
        seconds, _ = _timed(
            lambda: build_briefing(library, Request(topic="the troop deployment")), runs
        )
        rows.append(_row("seed article, topic", seconds, SEED_TARGET_S))
        return rows


def bbc(runs: int, data: Path) -> list[dict[str, Any]]:
    from assistant.brief import EngineLibrary, Request, build_briefing
    from assistant.config import Settings
    from assistant.engine import build_engine

    engine = build_engine(Settings(data_dir=data, corpus_dir=BBC))
    began = time.perf_counter()
    report = engine.ingest([BBC])
    print(
        f"BBC store ready in {time.perf_counter() - began:.1f} s "
        f"({len(report.added) + len(report.updated)} documents embedded, "
        f"{len(report.unchanged)} unchanged)"
    )
    engine.warm_up()
    library = EngineLibrary(engine)
    rows = []
    for index, topic in enumerate(BBC_TOPICS):
        seconds, briefing = _timed(lambda t=topic: build_briefing(library, Request(topic=t)), runs)
        extra = f"{len(briefing.covered)} articles, {len(briefing.items)} lines, {briefing.timings}"
        rows.append(
            _row(f"BBC topic: {topic}", seconds, TOPIC_TARGET_S if index == 0 else None, extra)
        )
    # The whole corpus as one scope: capped, so its memory is bounded. Timed once as it
    # runs, then once under tracemalloc (which slows Python several times) for what the
    # briefing allocates: document texts, statements, scores, lines.
    began = time.perf_counter()
    whole = build_briefing(library, Request())
    elapsed = time.perf_counter() - began
    rss_before = _rss_mb()
    tracemalloc.start()
    build_briefing(library, Request())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    notice = next((n for n in whole.notices if "holds" in n), "(no cap notice)")
    print(
        f"{'BBC whole corpus (capped)':<44} {elapsed:8.3f} s  peak Python allocation "
        f"{peak / 2**20:.1f} MB (process peak RSS {rss_before:.0f} MB), "
        f"{len(whole.covered)} documents read; notice: {notice}"
    )
    rows.append(
        {
            "name": "BBC whole corpus",
            "seconds": round(elapsed, 3),
            "peak_traced_mb": round(peak / 2**20, 1),
            "process_peak_rss_mb": round(rss_before),
            "documents": len(whole.covered),
            "notice": notice,
        }
    )
    return rows


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-bbc", action="store_true")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "bench-brief" / "bbc")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = seed(args.runs)
    if not args.skip_bbc:
        if BBC.is_dir():
            rows += bbc(args.runs, args.data)
        else:
            print(f"{BBC} is absent: the BBC figures are skipped")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
