"""Cold-start figures, timed from outside as a user meets them: `briefing --help`, one-shot
`briefing ask`, and the web app from launch until its /ask API returns an answer."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from common import ENV, ROOT, free_port, proc_memory_mb

BRIEFING = Path(sys.executable).with_name("briefing")


def _env(data_dir: Path | None = None, corpus_dir: Path | None = None) -> dict[str, str]:
    env = {**os.environ, **ENV}
    if data_dir is not None:
        env["BRIEFING_DATA_DIR"] = str(data_dir)
    if corpus_dir is not None:
        env["BRIEFING_CORPUS_DIR"] = str(corpus_dir)
    return env


def timed_command(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall-clock seconds of a command, which must succeed, and the CPU seconds it used: on a
    shared machine the CPU figure shows what the wall-clock one would be without the queue."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall_s": round(seconds, 3), "cpu_s": round(cpu, 3)}


def cli_help() -> dict[str, float]:
    return timed_command([str(BRIEFING), "--help"], _env())


def cli_ask(data_dir: Path, question: str) -> dict[str, float]:
    return timed_command([str(BRIEFING), "ask", question], _env(data_dir))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _api_ask(port: int, question: str, timeout: float) -> dict[str, Any] | None:
    """One question through the app's /ask endpoint (Gradio's two-step HTTP API)."""
    base = f"http://127.0.0.1:{port}/gradio_api/call/ask"
    body = json.dumps({"data": [question, []]}).encode()
    request = urllib.request.Request(base, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        event_id = json.loads(reply.read())["event_id"]
    with urllib.request.urlopen(f"{base}/{event_id}", timeout=timeout) as reply:
        stream = reply.read().decode()
    event = None
    for line in stream.splitlines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event == "complete":
            data = json.loads(line.split(":", 1)[1])
            return data[0] if isinstance(data, list) else data
    raise RuntimeError(f"the app did not answer: {stream[-500:]}")


def app_start(
    data_dir: Path, corpus_dir: Path, question: str, log: Path, timeout: float = 600
) -> dict[str, Any]:
    """Launch `python app.py` (which ingests corpus_dir, unchanged here, and warms up), then
    ask through the API as soon as the port accepts: seconds until the first answer, and the
    app's memory once it has answered (and after 20 more questions)."""
    port = free_port()
    began = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_env(data_dir, corpus_dir),
            cwd=ROOT,
        )
        try:
            answer = None
            while answer is None:
                if process.poll() is not None:
                    raise RuntimeError(f"app.py exited with code {process.returncode}; see {log}")
                if time.perf_counter() - began > timeout:
                    raise RuntimeError(f"app.py did not answer within {timeout:.0f} s")
                try:
                    answer = _api_ask(port, question, timeout)
                except (ConnectionError, OSError):
                    time.sleep(0.05)
            answered = time.perf_counter() - began
            cpu = _cpu_seconds(process.pid)
            first = proc_memory_mb(process.pid)
            for n in range(20):
                _api_ask(port, f"{question} ({n})", timeout)
            after = proc_memory_mb(process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return {
        "answered_s": round(answered, 2),
        "cpu_s_to_answer": round(cpu, 2),
        "cited": bool(answer.get("citations")),
        "rss_mb_first_answer": first["rss_mb"],
        "rss_mb_after_20": after["rss_mb"],
        "peak_rss_mb": after["peak_rss_mb"],
    }
