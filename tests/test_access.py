"""Access: a shared app with a login refuses every unauthenticated request (the page's data,
the API, uploads, files, the queue), and secrets (the LLM API key, a password in the endpoint
URL, the login passwords) never appear in logs, error messages, answers, exported
conversations, feedback or evaluation reports."""

from __future__ import annotations

import logging
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from gradio_client import Client
from pydantic import SecretStr

from assistant.cli.main import main
from assistant.config import Settings
from assistant.web.chat import ChatApp
from assistant.web.export import record_feedback
from assistant.web.serve import Served, launch

from .support.app_process import AppProcess
from .support.openai_server import Failure, OpenAIServer
from .support.paths import CORPUS, ROOT
from .support.web_helpers import DIETZ_QUESTION, free_port

USER, PASSWORD = "alice", "s3cret-LOGIN-pa55-Qx7"
API_KEY = "sk-live-SECRET-KEY-0123456789abcdef"
URL_PASSWORD = "url-pa55word-9f8e7d"
SECRETS = (PASSWORD, API_KEY, URL_PASSWORD)

GATED = [
    ("GET", "/config", {}),
    ("GET", "/gradio_api/info", {}),
    ("GET", "/gradio_api/openapi.json", {}),
    ("POST", "/gradio_api/call/ask", {"json": {"data": [DIETZ_QUESTION, None]}}),
    ("POST", "/gradio_api/run/ask", {"json": {"data": [DIETZ_QUESTION, None]}}),
    (
        "POST",
        "/gradio_api/queue/join",
        {"json": {"data": [DIETZ_QUESTION, None], "fn_index": 0, "session_hash": "x"}},
    ),
    ("GET", "/gradio_api/queue/data?session_hash=x", {}),
    ("POST", "/gradio_api/upload", {"files": [("files", ("a.txt", b"hello", "text/plain"))]}),
    ("GET", f"/gradio_api/file={CORPUS / 'north-korean-troops-in-russia.txt'}", {}),
    ("GET", "/monitoring", {}),
]


def assert_no_secret(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a secret appears in {where}"


@pytest.fixture
def captured_logs() -> Iterator[list[str]]:
    """Every log record of every logger, at DEBUG, while the test runs."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def failing_llm() -> Iterator[OpenAIServer]:
    """An endpoint that refuses the key and echoes it back, as some servers do."""

    def respond(_: dict[str, Any]) -> Failure:
        return Failure(401, f"Incorrect API key provided: {API_KEY} ({URL_PASSWORD})")

    with OpenAIServer(responder=respond) as server:
        yield server


def _with_password(url: str) -> str:
    """The endpoint URL with a password in it, as some proxies are configured."""
    return url.replace("http://", f"http://briefing:{URL_PASSWORD}@", 1)


@pytest.fixture
def shared_app(
    tmp_path: Path, embedder: Any, failing_llm: OpenAIServer, captured_logs: list[str]
) -> Iterator[Served]:
    settings = Settings(
        data_dir=tmp_path / "data",
        corpus_dir=CORPUS,
        answer_mode="llm",
        llm_base_url=_with_password(failing_llm.url),
        llm_api_key=SecretStr(API_KEY),
        llm_max_retries=0,
        llm_timeout=10.0,
    )
    served = launch(
        settings, port=free_port(), credentials=[(USER, PASSWORD)], embedder=embedder, quiet=True
    )
    assert served.startup.wait(120) and served.startup.error is None
    yield served
    served.close()


def test_without_the_login_nothing_is_served(shared_app: Served) -> None:
    base = shared_app.local_url.rstrip("/")
    page = httpx.get(f"{base}/", timeout=30)
    # The page itself is only the login form's shell: no configuration, no document text.
    assert page.status_code == 200
    assert "Dietz" not in page.text and "North Korean" not in page.text
    for method, path, options in GATED:
        response = httpx.request(method, f"{base}{path}", timeout=30, **options)
        assert response.status_code == 401, (method, path, response.status_code)
    wrong = httpx.post(f"{base}/login", data={"username": USER, "password": "guess"})
    assert wrong.status_code >= 400
    with pytest.raises(Exception, match="credentials"):
        Client(shared_app.local_url, verbose=False)
    with pytest.raises(Exception, match="(?i)incorrect|credentials|login"):
        Client(shared_app.local_url, auth=(USER, "guess"), verbose=False)
    # With the login, the same API answers.
    client = Client(shared_app.local_url, auth=(USER, PASSWORD), verbose=False)
    assert "Dietz" in client.predict(DIETZ_QUESTION, api_name="/ask")["answer"]
    logged_in = httpx.Client(base_url=base, timeout=30)
    assert logged_in.post("/login", data={"username": USER, "password": PASSWORD}).is_success
    assert logged_in.get("/config").status_code == 200


def test_secrets_stay_out_of_answers_logs_exports_and_feedback(
    shared_app: Served, captured_logs: list[str], tmp_path: Path
) -> None:
    client = Client(shared_app.local_url, auth=(USER, PASSWORD), verbose=False)
    result = client.predict(DIETZ_QUESTION, api_name="/ask")
    # The endpoint refused the key: the user gets quoted sentences and a clear notice.
    assert "Dietz" in result["answer"] and "refused the API key" in result["notice"]
    assert_no_secret("the API's answer", repr(result))

    chat = ChatApp(shared_app.engine)
    outputs = list(chat.respond(DIETZ_QUESTION, []))
    records, export = outputs[-1][2], outputs[-1][4]
    exported = Path(export["value"]).read_text(encoding="utf-8")
    assert "refused the API key" in exported
    assert_no_secret("the exported conversation", exported)
    assert_no_secret("the chat page", repr(outputs))
    feedback = tmp_path / "feedback.jsonl"
    record_feedback(feedback, liked=False, record=records[0])
    assert_no_secret("the feedback file", feedback.read_text(encoding="utf-8"))

    assert any("LLM request failed" in line for line in captured_logs)
    assert_no_secret("the log", "\n".join(captured_logs))


def test_secrets_stay_out_of_evaluation_reports(
    tmp_path: Path, failing_llm: OpenAIServer, captured_logs: list[str]
) -> None:
    out_json, out_html = tmp_path / "run.json", tmp_path / "run.html"
    env = {
        "BRIEFING_ANSWER_MODE": "llm",
        "BRIEFING_LLM_BASE_URL": _with_password(failing_llm.url),
        "OPENAI_API_KEY": API_KEY,
        "BRIEFING_LLM_MAX_RETRIES": "0",
        "BRIEFING_DATA_DIR": str(tmp_path / "data"),
    }
    result = CliRunner().invoke(
        main,
        [
            "eval",
            str(ROOT / "evals" / "seed.jsonl"),
            "--corpus",
            str(CORPUS),
            "--limit",
            "3",
            "--json",
            str(out_json),
            "--html",
            str(out_html),
        ],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    run = out_json.read_text(encoding="utf-8")
    assert "refused the API key" in run  # the notice is recorded ...
    for where, text in [
        ("the eval output", result.output),
        ("the JSON report", run),
        ("the HTML report", out_html.read_text(encoding="utf-8")),
        ("the log", "\n".join(captured_logs)),
    ]:
        assert_no_secret(where, text)  # ... the secrets are not


def test_the_served_process_prints_no_secret(tmp_path: Path, failing_llm: OpenAIServer) -> None:
    """`briefing serve --auth` with an API key, run as people run it: a wrong login, a right
    one and a question later, nothing it printed holds a secret. Passwords go in a file
    (--auth-file): on the command line other local users could read them from `ps`."""
    logins = tmp_path / "logins.txt"
    logins.write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
    os.chmod(logins, 0o600)
    env = {
        "BRIEFING_ANSWER_MODE": "llm",
        "BRIEFING_LLM_BASE_URL": _with_password(failing_llm.url),
        "OPENAI_API_KEY": API_KEY,
        "BRIEFING_LLM_MAX_RETRIES": "0",
    }
    app = AppProcess(tmp_path / "data", CORPUS, "--auth-file", str(logins), env=env)
    try:
        app.ready()
        wrong = httpx.post(f"{app.url}/login", data={"username": USER, "password": PASSWORD[:-1]})
        assert wrong.status_code >= 400
        client = Client(app.url, auth=(USER, PASSWORD), verbose=False)
        assert "refused the API key" in client.predict(DIETZ_QUESTION, api_name="/ask")["notice"]
    finally:
        app.kill(signal.SIGTERM)
    assert re.search(r"LLM request failed|Ready to answer", app.output)
    assert_no_secret("the app's output", app.output)
