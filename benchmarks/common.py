"""Helpers shared by the benchmark runner and its workers: statistics, memory, subprocess
workers that answer in JSON, a Chroma server, the question sets and the recall check.

Nothing here imports the assistant at module level, so workers pay only for what they use.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
SHARED = ROOT.parent / "shared" / "data"
BBC = SHARED / "bbc-news"
SQUAD = SHARED / "squad-v1.1-dev" / "dev-v1.1.json"
SEED_QUESTIONS = ROOT / "evals" / "seed.jsonl"

# Every worker and every command it times runs offline with the same thread budget.
ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "PYTHONUNBUFFERED": "1",
}


def setup_path() -> None:
    """Make `assistant` importable from a checkout without installing it."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    for key, value in ENV.items():
        os.environ.setdefault(key, value)


# --- statistics ----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def latency(values_s: Sequence[float]) -> dict[str, float]:
    """p50/p95/mean in milliseconds of a list of durations in seconds."""
    ms = [v * 1000 for v in values_s]
    return {
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "n": len(ms),
    }


def median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


# --- memory --------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def proc_memory_mb(pid: int) -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of a process, from /proc."""
    found = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    return {"rss_mb": found.get("VmRSS", 0.0), "peak_rss_mb": found.get("VmHWM", 0.0)}


# --- workers: one measurement per fresh process ---------------------------------------------


def run_worker(script: str, phase: str, timeout: float = 4 * 3600, **args: Any) -> dict[str, Any]:
    """Run `python benchmarks/<script> <phase> <json args>` and return the JSON it prints last.

    A fresh process per measurement: imports, model loads and memory are measured as a user
    meets them, and one pipeline's libraries never slow or bloat the other's figures.
    """
    command = [sys.executable, str(BENCH / script), phase, json.dumps(args, default=str)]
    began = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env={**os.environ, **ENV}
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} {phase} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    result: dict[str, Any] = json.loads(lines[-1])
    result.setdefault("process_s", round(time.perf_counter() - began, 2))
    return result


def worker_main(phases: dict[str, Any]) -> None:
    """Entry point of a worker script: run one phase, print its result as one JSON line."""
    setup_path()
    phase, raw = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "{}"
    result = phases[phase](**json.loads(raw))
    result["peak_rss_mb"] = peak_rss_mb()
    result["load_average"] = round(os.getloadavg()[0], 2)  # how busy the machine was
    print(json.dumps(result), flush=True)


# --- a Chroma server -------------------------------------------------------------------------


def chroma_executable() -> str | None:
    beside = Path(sys.executable).with_name("chroma")
    return str(beside) if beside.is_file() else shutil.which("chroma")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[Any] | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def chroma_server(path: Path, log: Path) -> Iterator[int]:
    """`chroma run` on 127.0.0.1 and a free port, persisting under path; yields the port."""
    executable = chroma_executable()
    if executable is None:
        raise RuntimeError("the `chroma` executable is absent")
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [executable, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", process, 60)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- questions and the recall check ---------------------------------------------------------


def read_questions(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of a question file (the evaluation's JSON Lines format): question, sources..."""
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    return rows[:limit] if limit else rows


def source_recall(texts: Sequence[str], sources: Sequence[str]) -> float | None:
    """Share of the gold snippets found in the retrieved texts, matched after the evaluation's
    normalisation (its source_recall_at_k); None for a question without sources."""
    from assistant.text import normalise

    if not sources:
        return None
    held = [normalise(text) for text in texts]
    return sum(any(normalise(s) in h for h in held) for s in sources) / len(sources)
