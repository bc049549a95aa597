"""Upload checks and names, feedback lines, conversation export and the API payload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.engine import Engine
from assistant.errors import BadInput
from assistant.web.export import api_payload, conversation_markdown, record_feedback
from assistant.web.uploads import check_upload, safe_upload_name, save_upload


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.txt", "report.txt"),
        ("/etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\notes.md", "notes.md"),
        ("sub/dir/a b (v2).pdf", "a b (v2).pdf"),
        ("report..v2.txt", "report..v2.txt"),
        ("weird<>|name?.html", "weird_name_.html"),
        (".hidden.txt", "hidden.txt"),
    ],
)
def test_upload_names_lose_their_folders(name: str, expected: str) -> None:
    assert safe_upload_name(name) == expected


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.txt", "..\\..\\x.md", "a/../b.txt", "..", ".txt"]
)
def test_upload_names_that_climb_or_are_empty_are_refused(name: str) -> None:
    with pytest.raises(BadInput) as error:
        safe_upload_name(name)
    assert name in str(error.value)


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "is empty"),
        ("blank.md", b"  \n\n ", "only white space"),
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("fake.pdf", b"hello, not a pdf", "not a PDF"),
        ("tool.exe", b"MZ\x90\x00", "unsupported file type .exe"),
        ("noext", b"text", "unsupported file type (none)"),
    ],
)
def test_unusable_uploads_are_rejected_naming_the_file(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = _write(tmp_path, name, data)
    with pytest.raises(BadInput) as error:
        check_upload(path, name, max_mb=1)
    assert name in str(error.value) and message in str(error.value)


def test_too_large_upload_is_rejected_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    with path.open("wb") as handle:  # sparse: 3 MB on paper, nothing to read
        handle.truncate(3 * 1024 * 1024)
    with pytest.raises(BadInput) as error:
        check_upload(path, "big.txt", max_mb=2)
    assert "big.txt" in str(error.value) and "limit is 2 MB" in str(error.value)


def test_saving_never_overwrites_a_different_file_unless_asked(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    first = save_upload(_write(tmp_path, "a.txt", b"one"), "notes.txt", uploads)
    again = save_upload(_write(tmp_path, "b.txt", b"one"), "notes.txt", uploads)
    other = save_upload(_write(tmp_path, "c.txt", b"two"), "notes.txt", uploads)
    assert first == again == uploads / "notes.txt"
    assert other == uploads / "notes (2).txt" and other.read_bytes() == b"two"
    replaced = save_upload(_write(tmp_path, "d.txt", b"three"), "notes.txt", uploads, replace=True)
    assert replaced == first and first.read_bytes() == b"three"
    hostile = save_upload(_write(tmp_path, "e.txt", b"x"), "/tmp/elsewhere/evil.txt", uploads)
    assert hostile.parent == uploads
    assert sorted(p.name for p in uploads.iterdir()) == ["evil.txt", "notes (2).txt", "notes.txt"]


def test_feedback_is_appended_as_json_lines(tmp_path: Path, seed_engine: Engine) -> None:
    answer = seed_engine.ask("Who is the Defense Department spokesperson?")
    record = {"question": answer.question, "answer": answer.model_dump(mode="json")}
    path = tmp_path / "data" / "feedback.jsonl"
    record_feedback(path, liked=True, record=record)
    record_feedback(path, liked=False, record=record)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["rating"] for line in lines] == ["up", "down"]
    assert lines[0]["question"] == "Who is the Defense Department spokesperson?"
    assert "Dietz" in lines[0]["answer"]
    assert lines[0]["citations"][0]["quote"] == answer.citations[0].quote


def test_export_has_every_turn_and_its_sources(seed_engine: Engine) -> None:
    answer = seed_engine.ask("Who is the Defense Department spokesperson?")
    records = [
        {"question": answer.question, "answer": answer.model_dump(mode="json")},
        {"question": "Broken?", "answer": None, "error": "The store is unavailable."},
    ]
    markdown = conversation_markdown(records)
    assert "## 1. Who is the Defense Department spokesperson?" in markdown
    assert "**Sources**" in markdown and answer.citations[0].quote in markdown
    assert "## 2. Broken?" in markdown and "> The store is unavailable." in markdown


def test_api_payload_is_plain_json(seed_engine: Engine) -> None:
    answer = seed_engine.ask("Who is the Defense Department spokesperson?")
    payload = json.loads(json.dumps(api_payload(answer)))
    assert payload["abstained"] is False and "Dietz" in payload["answer"]
    first = payload["citations"][0]
    assert set(first) >= {
        "number",
        "title",
        "paragraph",
        "quote",
        "char_start",
        "char_end",
        "doc_id",
        "score",
    }
    assert "/" not in first["source"]  # a file name, not a server path
