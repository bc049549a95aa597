"""One writer process per embedded store: an advisory lock file in the data folder.

The embedded Chroma store keeps its vector index in the memory of each process that opens it,
so two processes writing to one data folder would each see a different index, and a document
ingested by one stays invisible to (or is overwritten by) the other. The web app therefore
holds ``<data_dir>/briefing.lock`` for as long as it serves, and an ingestion, a rebuild or a
deletion holds it while it writes; whoever comes second is refused with a message saying who
holds it and what to do. A Chroma server (``BRIEFING_CHROMA_HOST``) serves any number of
processes, so no lock is taken then.

The lock is re-entrant within a process: the web app's own uploads and start-up ingestion run
under the lock it already holds. The kernel drops a flock when its holder dies, even by
SIGKILL, so a crash never leaves the folder locked.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .errors import StoreBusy, unwritable_data_dir

LOCK_NAME = "briefing.lock"
WEB_APP = "the web app"
INGESTION = "an ingestion (`briefing ingest`)"


@dataclass
class _Held:
    fd: int
    holder: str
    count: int = 1


_held: dict[Path, _Held] = {}
_guard = threading.Lock()


def lock_path(settings: Settings) -> Path:
    return settings.data_dir / LOCK_NAME


def acquire(settings: Settings, holder: str) -> Path | None:
    """Take the data folder's write lock for ``holder`` (a description such as WEB_APP), or
    raise StoreBusy naming the process that has it. None when a Chroma server is used."""
    if settings.chroma_host:
        return None
    path = lock_path(settings)
    with _guard:
        held = _held.get(path)
        if held is not None:
            held.count += 1
            return path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # the web app takes the lock before it opens the store
            raise unwritable_data_dir(settings.data_dir, exc) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            other = _read_holder(fd)
            os.close(fd)
            raise StoreBusy(_busy_message(settings, other, holder)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{holder} (pid {os.getpid()})".encode(), 0)
        _held[path] = _Held(fd, holder)
        return path


def release(path: Path | None) -> None:
    """Give back one acquire(); the lock goes when the last one in this process is released."""
    if path is None:
        return
    with _guard:
        held = _held.get(path)
        if held is None:
            return
        held.count -= 1
        if held.count == 0:
            del _held[path]
            os.ftruncate(held.fd, 0)
            fcntl.flock(held.fd, fcntl.LOCK_UN)
            os.close(held.fd)


@contextmanager
def hold(settings: Settings, holder: str) -> Iterator[None]:
    """The write lock for the duration of a block (see acquire)."""
    path = acquire(settings, holder)
    try:
        yield
    finally:
        release(path)


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 300, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "another process"


def _busy_message(settings: Settings, other: str, wanted: str) -> str:
    where = settings.data_dir
    shared = (
        "or set BRIEFING_CHROMA_HOST to a Chroma server, which any number of processes can share"
    )
    if other.startswith(WEB_APP):
        return (
            f"{_capital(other)} is serving the data directory {where}, and the embedded store "
            f"takes one writer at a time: upload the files through the web app (Documents tab), "
            f"stop the app first, {shared}."
        )
    if wanted == WEB_APP:
        return (
            f"{_capital(other)} is writing to the data directory {where}; start the web app "
            f"once it has finished, use another BRIEFING_DATA_DIR, {shared}."
        )
    return (
        f"{_capital(other)} is writing to the data directory {where}; run this once it has "
        f"finished, {shared}."
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
