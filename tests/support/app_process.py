"""The web app as a real separate process (what `make run` starts), for tests that stop it
hard, restart it, or read everything it prints."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .paths import ROOT
from .web_helpers import free_port

# `app.py` with a smaller ingestion batch: more commit points for a stop to land between.
_SERVE = (
    "import sys, assistant.ingest.pipeline as p; p.BATCH_CHUNKS = int(sys.argv.pop(1)); "
    "from assistant.web.serve import serve_command; serve_command(prog_name='app.py')"
)


class AppProcess:
    def __init__(
        self,
        data_dir: Path,
        corpus: Path,
        *args: str,
        batch: int = 1024,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            **os.environ,
            "BRIEFING_DATA_DIR": str(data_dir),
            "BRIEFING_CORPUS_DIR": str(corpus),
            "BRIEFING_EMBEDDING_BACKEND": os.environ.get("BRIEFING_EMBEDDING_BACKEND", "auto"),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        command = [sys.executable, "-c", _SERVE, str(batch), "--port", str(self.port), *args]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output = ""
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)

    def _drain(self, wait: float) -> None:
        try:
            self.output += self._lines.get(timeout=wait)
            while True:
                self.output += self._lines.get_nowait()
        except queue.Empty:
            pass

    def wait_for(self, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert time.monotonic() < deadline, f"no {text!r} within {timeout} s:\n{self.output}"
            assert self.process.poll() is None or not self._lines.empty(), (
                f"the app exited ({self.process.returncode}):\n{self.output}"
            )
            self._drain(0.5)

    def ready(self, timeout: float = 180) -> AppProcess:
        self.wait_for("Ready to answer", timeout)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self._drain(0.2)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)
