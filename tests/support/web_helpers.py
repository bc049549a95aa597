"""Starting the real web app for tests: in this process, on a free port of 127.0.0.1, with the
session's embedding model, the seed corpus ingested and its own data folder."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.web.serve import Served, launch

from .paths import CORPUS

DIETZ_QUESTION = "Who is the Defense Department spokesperson?"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_app(data_dir: Path, embedder: Any, **settings: Any) -> Served:
    served = launch(
        Settings(data_dir=data_dir, corpus_dir=CORPUS, **settings),
        host="127.0.0.1",
        port=free_port(),
        embedder=embedder,
        quiet=True,
    )
    assert served.startup.wait(120), "the corpus did not load within 2 minutes"
    assert served.startup.error is None, served.startup.error
    return served
