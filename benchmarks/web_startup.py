"""How long `python app.py` takes to answer: from starting the process to the first successful
/ask call through gradio_client.

    .venv/bin/python benchmarks/web_startup.py            # a fresh data folder, then a warm one
    .venv/bin/python benchmarks/web_startup.py --runs 3

The first run ingests the corpus into an empty store; later runs find it unchanged.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gradio_client import Client

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "Who is the Defense Department spokesperson?"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to_first_answer(data_dir: Path, timeout: float = 120.0) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds of the app) from start to the first answer. The CPU
    figure barely depends on how busy the machine is; on an idle machine the wall time is
    close to it, since imports and model loading run mostly on one core."""
    port = _free_port()
    env = {
        **os.environ,
        "BRIEFING_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - began < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"app.py exited with {process.returncode}")
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                result = client.predict(QUESTION, api_name="/ask")
            except Exception:
                time.sleep(0.1)
                continue
            if "Dietz" in result["answer"]:
                return time.perf_counter() - began, _cpu_seconds(process.pid)
            raise RuntimeError(f"unexpected answer: {result}")
        raise TimeoutError(f"no answer within {timeout:.0f} s")
    finally:
        process.terminate()
        process.wait(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="Starts to time (the first is cold).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="briefing-startup-") as folder:
        for run in range(1, args.runs + 1):
            seconds, cpu = time_to_first_answer(Path(folder) / "data")
            kind = "empty store, corpus ingested" if run == 1 else "store already ingested"
            print(
                f"run {run} ({kind}): first answer {seconds:.1f} s after start "
                f"(the app used {cpu:.1f} s of CPU; load average {os.getloadavg()[0]:.1f})"
            )


if __name__ == "__main__":
    main()
