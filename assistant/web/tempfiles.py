"""Where the web app's temporary files live: Gradio's copies of uploaded files, the files it
offers for download, and the exported conversations and briefings.

They go under the data folder (data_dir/cache/gradio), not into the system's temporary
folder, where earlier versions left an export folder behind on every run. The folder is
emptied when the app starts (an earlier run's files are no longer offered to any page: links
are made anew) and, every hour, files older than a day are removed, as the Export buttons
promise. Gradio removes its own copies on the same schedule and when the server stops.

Gradio reads its folder from the GRADIO_TEMP_DIR variable: once for each component and for the
app, but also again whenever it checks that a file may be used. So the variable is set for the
whole process, before the page is built, and only when nothing set it yet: tests start several
apps in one process, some side by side, and they must all agree on one folder. A folder chosen
by the user through GRADIO_TEMP_DIR is theirs: it is never emptied, and only the app's own
exports in it are swept.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..markup import inert_markdown

log = logging.getLogger(__name__)

GRADIO_TEMP = "GRADIO_TEMP_DIR"
KEEP_S = 86_400  # how long an export or a copy stays downloadable
SWEEP_EVERY_S = 3_600
EXPORTS = "briefing-exports"
# An empty folder this fresh may be one Gradio has just made to move a file into.
_EMPTY_FOLDER_GRACE_S = 60


def own_folder(settings: Settings) -> Path:
    return (settings.data_dir / "cache" / "gradio").resolve()


@dataclass(frozen=True)
class TempFolder:
    root: Path
    owned: bool  # the app's own folder under its data folder, not one the user chose

    @classmethod
    def of(cls, settings: Settings) -> TempFolder:
        """The folder Gradio uses in this process, as far as this app is concerned."""
        chosen = os.environ.get(GRADIO_TEMP)
        own = own_folder(settings)
        root = Path(chosen).resolve() if chosen else own
        return cls(root, owned=root == own)

    @property
    def exports(self) -> Path:
        return self.root / EXPORTS

    def export_path(self, key: str, name: str) -> Path:
        """Where an export is written: inside Gradio's folder, so that Gradio serves that file
        itself instead of keeping a second copy. One folder per key (a conversation), rewritten
        in place as the conversation grows."""
        safe = "".join(c for c in key if c.isalnum())[:32] or uuid.uuid4().hex
        folder = self.exports / safe
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    def holds(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.root)

    def discard(self, path: Path) -> None:
        """Remove Gradio's copy of an upload (and its folder, named by the content's hash),
        once the app has kept or refused the file: it must not stay downloadable."""
        path = Path(path).resolve()
        if not self.holds(path) or path.parent == self.root:
            return
        path.unlink(missing_ok=True)
        # Not empty: another file of the same content under another name.
        with contextlib.suppress(OSError):
            path.parent.rmdir()

    def discard_copies_of(self, original: Path) -> int:
        """Remove every file in Gradio's folder with the same bytes as ``original`` (an
        upload being deleted). Only files of the same size are read."""
        try:
            size = original.stat().st_size
            data = original.read_bytes()
        except OSError:
            return 0
        removed = 0
        for path in list(self.root.rglob("*")):  # listed first: discard() removes folders
            try:
                if path.is_file() and path.stat().st_size == size and path.read_bytes() == data:
                    self.discard(path)
                    removed += 1
            except OSError:
                continue
        return removed

    def discard_exports_naming(self, title: str) -> int:
        """Remove the exports (conversations, briefings) that cite a document of this title,
        after it was deleted: they quote it. The next answer or reload writes a page's
        export again; a same-titled document's exports go too, which costs only that."""
        needle = inert_markdown(title)  # how both exports write a title
        removed = 0
        for path in self.exports.rglob("*.md") if self.exports.is_dir() else ():
            try:
                if needle in path.read_text(encoding="utf-8", errors="replace"):
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        return removed

    def sweep(self, age: float = KEEP_S) -> int:
        """Remove files older than ``age`` seconds, then empty folders; returns the files
        removed. In a folder the user chose, only the app's exports."""
        top = self.root if self.owned else self.exports
        if not top.is_dir():
            return 0
        now, removed = time.time(), 0
        # Folders' times before this sweep: removing what is in a folder makes it look new.
        touched: dict[str, float] = {}
        for dirpath, _, _ in os.walk(top):
            with contextlib.suppress(OSError):
                touched[dirpath] = os.stat(dirpath).st_mtime
        for dirpath, _, filenames in os.walk(top, topdown=False):
            folder = Path(dirpath)
            for name in filenames:
                path = folder / name
                try:
                    if now - path.lstat().st_mtime > age:
                        path.unlink()
                        removed += 1
                except OSError:
                    continue
            if folder != top and now - touched.get(dirpath, now) > _EMPTY_FOLDER_GRACE_S:
                with contextlib.suppress(OSError):  # rmdir fails unless the folder is empty
                    folder.rmdir()
        return removed


def prepare(settings: Settings) -> TempFolder:
    """Point Gradio at the app's folder under the data folder, emptied, unless the process
    already chose one. Call before the page is built (and with the data folder locked, so no
    other process uses the folder)."""
    if not os.environ.get(GRADIO_TEMP):
        folder = own_folder(settings)
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        os.environ[GRADIO_TEMP] = str(folder)
    return TempFolder.of(settings)


class Sweeper:
    """Sweeps a TempFolder every SWEEP_EVERY_S seconds in a daemon thread, until stopped."""

    def __init__(self, folder: TempFolder, every: float = SWEEP_EVERY_S) -> None:
        self.folder = folder
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="briefing-sweeper", daemon=True)

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                removed = self.folder.sweep()
                if removed:
                    log.info("removed %d temporary files older than a day", removed)
            except OSError:
                log.exception("sweeping %s failed", self.folder.root)

    def stop(self) -> None:
        self._stop.set()
