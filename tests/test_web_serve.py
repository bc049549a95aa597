"""`briefing serve` / app.py options: sharing needs a login, logins parse, and a real server
started with --share and a login either gets a link or says clearly it could not."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from assistant.errors import BadInput
from assistant.web.serve import parse_auth, serve_command

from .support.paths import ROOT
from .support.web_helpers import free_port


def test_share_without_a_login_refuses_to_start(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        serve_command, ["--share"], env={"BRIEFING_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 2
    assert "needs a login" in result.output and "--auth user:password" in result.output
    assert "--share-public" in result.output
    assert not (tmp_path / "chroma").exists()  # refused before opening anything


def test_logins_come_from_options_and_a_file(tmp_path: Path) -> None:
    auth_file = tmp_path / "logins.txt"
    auth_file.write_text("# team\nbob:pa:ss\n\n  carol:x  \n", encoding="utf-8")
    assert parse_auth(["alice:secret"], auth_file) == [
        ("alice", "secret"),
        ("bob", "pa:ss"),
        ("carol", "x"),
    ]


@pytest.mark.parametrize("pair", ["alice", ":secret", "alice:"])
def test_a_malformed_login_is_bad_input(pair: str) -> None:
    with pytest.raises(BadInput, match="user:password"):
        parse_auth([pair], None)


def test_an_empty_auth_file_is_bad_input(tmp_path: Path) -> None:
    empty = tmp_path / "none.txt"
    empty.write_text("# nobody yet\n", encoding="utf-8")
    with pytest.raises(BadInput, match="no user:password line"):
        parse_auth([], empty)


def _read_lines(stream: object, into: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line)


def test_share_with_a_login_starts_and_gives_an_address(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "BRIEFING_DATA_DIR": str(tmp_path / "data"),
        "GRADIO_SERVER_PORT": str(port),  # the port comes from the environment here
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "app.py", "--share", "--auth", "alice:secret", "--no-ingest"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    output = ""
    try:
        deadline = time.monotonic() + 90
        while "Ready to answer" not in output and time.monotonic() < deadline:
            try:
                output += lines.get(timeout=1)
            except queue.Empty:
                assert process.poll() is None, output
        assert "Ready to answer" in output, output
        if "Public share link" not in output:  # offline, as on CI
            assert "No share link could be made" in output
            assert f":{port}" in output.split("No share link could be made", 1)[1]
        # the server is up and wants the login
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/config", timeout=10).status_code == 401
        wrong = httpx.post(f"{base}/login", data={"username": "alice", "password": "nope"})
        assert wrong.status_code >= 400
        right = httpx.post(f"{base}/login", data={"username": "alice", "password": "secret"})
        assert right.status_code == 200
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
