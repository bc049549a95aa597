"""A real `chroma run` for the server-mode tests: where its command is, and waiting until it
answers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def chroma_executable() -> str | None:
    """The `chroma` command of this venv's chromadb, else one on PATH."""
    beside = Path(sys.executable).with_name("chroma")
    return str(beside) if beside.is_file() else shutil.which("chroma")


def wait_for_heartbeat(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    url = f"http://127.0.0.1:{port}/api/v2/heartbeat"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"`chroma run` exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as reply:
                json.loads(reply.read())
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"`chroma run` did not answer on port {port} within {timeout:.0f} s")
