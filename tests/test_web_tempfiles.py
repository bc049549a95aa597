"""Temporary files of the web app (assistant/web/tempfiles.py): Gradio's copies, the files it
offers for download and the exports live under the data folder, are emptied at start and swept
when a day old; a served app leaves nothing in the system's temporary folder."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.web import tempfiles
from assistant.web.tempfiles import TempFolder

from .support.app_process import AppProcess
from .support.http_upload import run_event, upload
from .support.paths import CORPUS
from .support.web_helpers import DIETZ_QUESTION

DAY = 86_400


def _aged(path: Path, seconds: float) -> Path:
    past = time.time() - seconds
    os.utime(path, (past, past))
    return path


def _file(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_sweep_removes_what_is_a_day_old_and_keeps_the_rest(tmp_path: Path) -> None:
    folder = TempFolder(tmp_path / "gradio", owned=True)
    export = folder.export_path("conversation-1", "briefing-conversation.md")
    assert export.parent == folder.root / tempfiles.EXPORTS / "conversation1"
    fresh = _file(export)
    old_copy = _aged(_file(folder.root / "abc123" / "memo.txt"), DAY + 60)
    _aged(old_copy.parent, DAY + 60)
    young_empty = folder.root / "just-made"
    young_empty.mkdir()
    assert folder.sweep() == 1
    assert fresh.exists() and young_empty.exists()  # Gradio may be about to fill it
    assert not old_copy.exists() and not old_copy.parent.exists() and folder.root.is_dir()

    # A folder the user chose is theirs: only the app's own exports in it are swept.
    theirs = TempFolder(tmp_path / "theirs", owned=False)
    other = _aged(_file(theirs.root / "someone-else" / "file.bin"), DAY + 60)
    ours = _aged(_file(theirs.export_path("k", "briefing.md")), DAY + 60)
    assert theirs.sweep() == 1
    assert other.exists() and not ours.exists()


def test_at_start_gradio_is_pointed_at_the_data_folder_emptied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS)
    own = tempfiles.own_folder(settings)
    leftover = _file(own / "f00d" / "old-export.md")
    monkeypatch.setenv(tempfiles.GRADIO_TEMP, "")  # restored after the test
    folder = tempfiles.prepare(settings)
    assert folder == TempFolder(own, owned=True)
    assert os.environ[tempfiles.GRADIO_TEMP] == str(own)
    assert own.is_dir() and not leftover.exists()

    # A folder already chosen (by the user, or by an earlier app of this process) is kept.
    chosen = tmp_path / "chosen"
    kept = _file(chosen / "theirs.txt")
    monkeypatch.setenv(tempfiles.GRADIO_TEMP, str(chosen))
    assert tempfiles.prepare(settings) == TempFolder(chosen.resolve(), owned=False)
    assert kept.exists()


def test_copies_of_an_upload_go_and_so_do_exports_that_quote_it(tmp_path: Path) -> None:
    folder = TempFolder(tmp_path / "gradio", owned=True)
    upload_copy = _file(folder.root / "5ha" / "memo.txt", "Memo text")
    folder.discard(upload_copy)
    assert not upload_copy.exists() and not upload_copy.parent.exists()
    outside = _file(tmp_path / "elsewhere" / "memo.txt", "Memo text")
    folder.discard(outside)  # not Gradio's: never touched
    assert outside.exists()

    same = _file(folder.root / "5hb" / "renamed.txt", "Memo text")
    different = _file(folder.root / "5hc" / "other.txt", "Memo texT")
    assert folder.discard_copies_of(outside) == 1
    assert not same.exists() and different.exists()

    quoting = _file(folder.export_path("a", "briefing-conversation.md"), "1. *Memo \\[x\\]*, p")
    other_export = _file(folder.export_path("b", "briefing.md"), "1. Other, paragraph 2")
    assert folder.discard_exports_naming("Memo [x]") == 1
    assert not quoting.exists() and other_export.exists()


def test_a_served_app_leaves_nothing_in_the_system_temp_folder(tmp_path: Path) -> None:
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    data = tmp_path / "data"
    env = {"TMPDIR": str(system_temp), tempfiles.GRADIO_TEMP: ""}
    app = AppProcess(data, CORPUS, env=env)
    try:
        app.ready()
        note = tmp_path / "ferry-notes.txt"
        note.write_text("Ferry Notes\n\nThe ferry to Lindholm runs at noon.\n", encoding="utf-8")
        assert "added" in upload(app.url, [note])
        answered = json.dumps(run_event(app.url, "respond", [DIETZ_QUESTION, None]))
        assert "Dietz" in answered
        export = Path(json.loads(answered)["data"][4]["value"]["path"])
        own = (data / "cache" / "gradio").resolve()
        assert export.is_relative_to(own / tempfiles.EXPORTS) and export.is_file()
        # Gradio's copy of the upload went once the file was kept.
        assert not any(p.name == note.name for p in own.rglob("*"))
    finally:
        app.kill(signal.SIGTERM)
    # ONNX Runtime writes one file there on import (.ses: a time and an id), not the app's.
    left = sorted(str(p.relative_to(system_temp)) for p in system_temp.rglob("*"))
    assert left in ([], [".ses"]), left

    # Started again, the app empties its folder: the old export is no longer offered.
    restarted = AppProcess(data, CORPUS, env=env)
    try:
        restarted.ready()
        assert not export.exists() and own.is_dir()
    finally:
        restarted.kill(signal.SIGTERM)
