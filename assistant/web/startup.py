"""Loading at start: the corpus ingested and the model warmed in a background thread, so the
page is served meanwhile."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from ..errors import BriefingError
from .uploads import UPLOADS

log = logging.getLogger(__name__)


class Startup:
    """Ingests the corpus and warms the model in a background thread, so the page is served
    meanwhile. Questions wait on it; its failure becomes their message."""

    def __init__(self, engine: Any, *, ingest: bool = True) -> None:
        self.engine = engine
        self.ingest = ingest
        self.error: str | None = None
        self.report: Any = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Startup:
        self._thread = threading.Thread(target=self._run, name="briefing-startup", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            if self.ingest:
                self.report = self.engine.ingest(self.targets())
                for skipped in self.report.skipped:
                    log.warning("skipped %s: %s", skipped.path, skipped.reason)
            self.engine.warm_up()
        except BriefingError as exc:
            self.error = str(exc)
            log.error("start-up: %s", exc)
        except Exception:
            log.exception("start-up failed")
            self.error = "Loading the documents failed at start; see the server log."
        finally:
            self._done.set()

    def targets(self) -> list[Path]:
        """The corpus folder, and the uploads folder: an upload whose ingestion a server stop
        cut short is completed at the next start (its file is saved before it is ingested).
        The default corpus folder may not exist (an installed package starts with none);
        one the user named must, so its absence is reported."""
        settings = self.engine.settings
        targets = []
        corpus = settings.corpus_dir
        if corpus.is_dir() or "corpus_dir" in settings.model_fields_set:
            targets.append(corpus)
        else:
            log.info("no corpus folder at %s: nothing to ingest from it", corpus)
        uploads = settings.data_dir / UPLOADS
        return [*targets, *([uploads] if uploads.is_dir() else [])]

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """True once loading is over (well or not); False if the timeout came first."""
        return self._done.wait(timeout)
