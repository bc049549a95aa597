"""Crash safety: `briefing ingest` killed with SIGKILL at random (seeded) moments while it
ingests a folder of 220 documents, then run again, leaves every document in the store exactly
once with all its chunks, and the answers are those of a clean ingest. Then the same after
edits, deletions and additions to the folder, killed again mid-way.

The ingest runs as a real subprocess with a small batch size (BATCH_CHUNKS=48, set by a
one-line wrapper), so the 660 chunks are written in many batches and the kills land between
and inside chunk writes and record writes, not only while the model computes.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.engine import Engine, build_engine
from assistant.models.embedding import Embedder

from .support.generated_notes import SEED, Crash, backend_name, note, write_corpus
from .support.paths import ROOT
from .support.store_checks import check_store

DOCUMENTS = 220
BATCH = 48
ARTIFACTS = ROOT / "test-artifacts"
# Runs `briefing ...` with a smaller ingestion batch: more commit points for the kills to hit.
INGEST = (
    "import sys, assistant.ingest.pipeline as p; p.BATCH_CHUNKS = int(sys.argv.pop(1)); "
    "from assistant.cli.main import main; main(prog_name='briefing')"
)
_PROGRESS = re.compile(rb"(\d+)/(\d+) \[")


class IngestRun:
    """`briefing ingest FOLDER` in a subprocess, its progress read from the tqdm bar."""

    def __init__(self, folder: Path, data_dir: Path, backend: str) -> None:
        env = {
            **os.environ,
            "BRIEFING_DATA_DIR": str(data_dir),
            "BRIEFING_EMBEDDING_BACKEND": backend,
            "PYTHONUNBUFFERED": "1",
        }
        command = [sys.executable, "-c", INGEST, str(BATCH), "ingest", str(folder)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.err = b""
        self.progress = (0, 0)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for block in iter(lambda: os.read(self.process.stderr.fileno(), 4096), b""):  # type: ignore[union-attr]
            self.err += block
            found = _PROGRESS.findall(self.err[-400:])
            if found:
                self.progress = (int(found[-1][0]), int(found[-1][1]))

    def kill_when(self, fraction: float, extra: float, timeout: float = 240) -> bool:
        """SIGKILL once ``fraction`` of the chunks are embedded, ``extra`` seconds later
        (fraction 0: ``extra`` seconds after start). False when it finished first."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            done, total = self.progress
            if fraction == 0 or (total and done >= fraction * total):
                time.sleep(extra)
                break
            time.sleep(0.02)
        if self.process.poll() is not None:
            return False
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        return True

    def finish(self, timeout: float = 400) -> str:
        out, _ = self.process.communicate(timeout=timeout)
        self._reader.join(5)
        assert self.process.returncode == 0, self.err.decode(errors="replace")[-2000:]
        return out.decode()


def _questions(facts: dict[str, dict[str, Any]], names: list[str]) -> list[str]:
    asked = []
    for name in names:
        f = facts[name]
        asked.append(f"How much will the {f['project']} of {f['place']} cost?")
        asked.append(f"Who leads the {f['project']} in {f['place']}?")
    return asked


def _answers(engine: Engine, questions: list[str]) -> list[tuple[str, list[tuple]]]:
    out = []
    for question in questions:
        answer = engine.ask(question)
        out.append((answer.text, [(c.doc_id, c.char_start, c.char_end) for c in answer.citations]))
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict]]:
    folder = tmp_path_factory.mktemp("crash-corpus") / "notes"
    yield folder, write_corpus(folder, DOCUMENTS, SEED)


def test_killed_ingests_lose_and_duplicate_nothing(
    corpus: tuple[Path, dict], tmp_path: Path, embedder: Embedder
) -> None:
    folder, facts = corpus
    backend = backend_name(embedder)
    rng = random.Random(SEED)
    data = tmp_path / "killed"
    # The first kill comes while the process starts or hashes files, the rest at random
    # points of the embedding and writing, each a random fraction of a second after.
    plan = [(0.0, rng.uniform(1.0, 4.0))] + [
        (rng.uniform(0.05, 0.95), rng.uniform(0.0, 0.6)) for _ in range(4)
    ]
    kills = 0
    for fraction, extra in plan:
        kills += IngestRun(folder, data, backend).kill_when(fraction, extra)
    summary = IngestRun(folder, data, backend).finish()
    assert "0 skipped" in summary, summary
    committed_before = DOCUMENTS - int(re.match(r"(\d+) added", summary).group(1))  # type: ignore[union-attr]
    again = IngestRun(folder, data, backend).finish()  # idempotent: nothing left to do
    assert again.startswith(f"0 added, 0 updated, {DOCUMENTS} unchanged, 0 removed"), again

    files = sorted(folder.glob("*.txt"))
    settings = Settings(data_dir=data, corpus_dir=folder)
    killed = build_engine(settings, embedder)
    figures = check_store(killed, files)
    assert figures.documents == DOCUMENTS

    clean = build_engine(Settings(data_dir=tmp_path / "clean", corpus_dir=folder), embedder)
    clean.ingest()
    assert check_store(clean, files).chunks == figures.chunks
    names = rng.sample(sorted(facts), 4)
    questions = _questions(facts, names)
    answers = _answers(killed, questions)
    assert answers == _answers(clean, questions)
    for name, (text, _) in zip(names, answers[::2]):
        assert f"{facts[name]['cost']} million euros" in text, (name, text)

    # Phase two: edit 15 notes, delete 5 and add 5, and kill the re-ingest twice. On a copy
    # of the store: this process has the first one open, and an embedded Chroma keeps its
    # vector index in memory (so a process never sees another's later writes; locking.py).
    data = tmp_path / "killed-again"
    shutil.copytree(tmp_path / "killed", data)
    settings = Settings(data_dir=data, corpus_dir=folder)
    edits = rng.sample(sorted(facts), 20)
    changed, deleted = edits[:15], edits[15:]
    new_costs = {}
    for name in changed:
        number = int(name[5:8])
        new_costs[name] = 1000 + number
        text, facts[name] = note(number, random.Random(number), cost=new_costs[name])
        (folder / name).write_text(text, encoding="utf-8")
    for name in deleted:
        (folder / name).unlink()
        facts.pop(name)
    extra_rng = random.Random(SEED + 1)
    for i in range(DOCUMENTS, DOCUMENTS + 5):
        text, facts[f"note-{i:03d}.txt"] = note(i, extra_rng)
        (folder / f"note-{i:03d}.txt").write_text(text, encoding="utf-8")
    for fraction, extra in [(0.0, rng.uniform(2.0, 4.0)), (rng.uniform(0.2, 0.8), 0.1)]:
        kills += IngestRun(folder, data, backend).kill_when(fraction, extra)
    summary = IngestRun(folder, data, backend).finish()
    files = sorted(folder.glob("*.txt"))
    reopened = build_engine(settings, embedder)
    figures = check_store(reopened, files)
    assert figures.documents == DOCUMENTS
    for name in changed[:5]:
        f = facts[name]
        answer = reopened.ask(f"How much will the {f['project']} of {f['place']} cost?")
        assert f"{new_costs[name]} million euros" in answer.text, (name, answer.text)

    report = {
        "documents": DOCUMENTS,
        "documents_after_edits": figures.documents,
        "chunks": figures.chunks,
        "sigkills": kills,
        "committed_by_the_killed_runs": committed_before,
        "plan": plan,
        "lost": 0,
        "duplicated": 0,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "crash-safety.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"\ncrash safety: {json.dumps(report)}")


# --- every write point, deterministically --------------------------------------------------


class CrashingCollection:
    """A Chroma collection whose ``crash_at``-th write (add, upsert, delete, modify, counted
    over both collections) never happens: the process dies just before it."""

    WRITES = frozenset(["add", "upsert", "update", "delete", "modify"])

    def __init__(self, real: Any, counter: list[int], crash_at: int | None) -> None:
        self._real = real
        self._counter = counter
        self._crash_at = crash_at

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._real, name)
        if name not in self.WRITES:
            return attr

        def write(*args: Any, **kwargs: Any) -> Any:
            self._counter[0] += 1
            if self._counter[0] == self._crash_at:
                raise Crash(f"died before write {self._counter[0]} ({name})")
            return attr(*args, **kwargs)

        return write


def _crashing_engine(settings: Settings, embedder: Embedder, crash_at: int | None) -> tuple:
    engine = build_engine(settings, embedder)
    counter = [0]
    store = engine.store
    store._chunk_collection = CrashingCollection(store._chunks, counter, crash_at)
    store._docs = CrashingCollection(store._docs, counter, crash_at)
    store._vector_store = None
    return engine, counter


def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.ingest.pipeline as pipeline

    monkeypatch.setattr(pipeline, "BATCH_CHUNKS", 6)
    if hasattr(pipeline, "EMBED_SLICE"):
        monkeypatch.setattr(pipeline, "EMBED_SLICE", 6)


def _edit(folder: Path) -> None:
    """Two notes edited, one deleted, one added."""
    for number in (1, 4):
        text, _ = note(number, random.Random(number), cost=2000 + number)
        (folder / f"note-{number:03d}.txt").write_text(text, encoding="utf-8")
    (folder / "note-002.txt").unlink()
    text, _ = note(9, random.Random(9))
    (folder / "note-009.txt").write_text(text, encoding="utf-8")


@pytest.mark.parametrize("phase", ["first ingest", "re-ingest after edits"])
def test_a_crash_before_any_single_write_is_recovered_by_the_next_run(
    phase: str, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_batches(monkeypatch)
    template = tmp_path / "template"
    write_corpus(template, 6, SEED)

    def fresh(name: str) -> Settings:
        folder = tmp_path / name / "notes"
        shutil.copytree(template, folder)
        settings = Settings(data_dir=tmp_path / name / "data", corpus_dir=folder)
        if phase != "first ingest":
            build_engine(settings, embedder).ingest()
            _edit(folder)
        return settings

    dry, counter = _crashing_engine(fresh("dry"), embedder, None)
    dry.ingest()
    writes = counter[0]
    assert writes >= 6, writes
    for crash_at in range(1, writes + 1):
        settings = fresh(f"crash-{crash_at}")
        engine, _ = _crashing_engine(settings, embedder, crash_at)
        with pytest.raises(Crash):
            engine.ingest()
        # Whatever the crash left, questions see only whole, current documents ...
        files = sorted(settings.corpus_dir.glob("*.txt"))
        for passage in engine.retriever.retrieve("How much will the project cost?", k=10):
            text = engine.store.document_text(passage.doc_id)
            assert text is not None, f"crash at write {crash_at}: a half-ingested document"
            assert text[passage.char_start : passage.char_end] == passage.text
        # ... and the next run completes the store: every document once, whole.
        rerun = build_engine(settings, embedder)
        rerun.ingest()
        check_store(rerun, files, sample=3)
