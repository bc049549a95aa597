"""The optional LLM judges, against a real local HTTP server speaking the OpenAI
chat-completions protocol (the openai client library runs unmodified)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.engine import Engine
from assistant.evaluation.judges import LLMJudge, parse_verdict
from assistant.evaluation.questions import load_questions
from assistant.evaluation.runner import run_eval

Responder = Callable[[str], tuple[int, str]]


class ChatServer:
    """Answers POST /v1/chat/completions with ``responder(prompt) -> (status, content)`` and
    records every prompt it was sent."""

    def __init__(self, responder: Responder) -> None:
        self.prompts: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = body["messages"][-1]["content"]
                server.prompts.append(prompt)
                status, content = responder(prompt)
                reply: dict[str, Any] = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": content},
                        }
                    ],
                }
                if status != 200:
                    reply = {"error": {"message": content, "type": "server_error"}}
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _grader(prompt: str) -> tuple[int, str]:
    if "Reference answer: BROKEN" in prompt:
        return 500, "the judge model is down"
    if "Reference answer:" in prompt:
        return 200, 'Sure! {"score": 1, "reason": "same facts"}'
    return 200, '```json\n{"score": 0.5, "reason": "half supported"}\n```'


@pytest.fixture
def server() -> Iterator[ChatServer]:
    chat = ChatServer(_grader)
    yield chat
    chat.close()


def test_judges_grade_each_answer_and_survive_a_failing_call(
    seed_engine: Engine, make_settings: Any, server: ChatServer, tmp_path: Path
) -> None:
    rows = [
        {"id": "troops", "question": "How many North Korean troops are expected?",
         "reference": "More than 10,000.", "must_include": ["10,000"]},
        {"id": "broken", "question": "Where were the brigades assembled?", "reference": "BROKEN"},
        {"id": "no-reference", "question": "How many casualties have North Korean troops suffered?",
         "answerable": False},
    ]  # fmt: skip
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    settings = make_settings(
        llm_base_url=server.url, llm_api_key="sk-test", llm_max_retries=0, llm_timeout=10
    )
    run = run_eval(seed_engine, load_questions(path), judge=LLMJudge(settings))
    verdicts = {r.id: r.judge for r in run.results}
    assert verdicts["troops"] == {
        "correctness": {"score": 1.0, "reason": "same facts"},
        "faithfulness": {"score": 0.5, "reason": "half supported"},
    }
    assert "error" in verdicts["broken"]["correctness"]  # the row is kept, the run went on
    assert verdicts["broken"]["faithfulness"]["score"] == 0.5
    assert verdicts["no-reference"] == {}  # abstained, no reference: nothing to judge
    s = run.summary
    assert (s["judge_correctness"], s["judge_faithfulness"], s["judge_errors"]) == (1.0, 0.5, 1)
    # The prompts carry the reference, the answer, and the text of the cited passages.
    correctness = next(p for p in server.prompts if "More than 10,000." in p)
    assert "over 10,000 North Korean troops" in correctness
    faithfulness = next(p for p in server.prompts if "Cited passages" in p)
    assert "[1] Ukrainian military intelligence" in faithfulness


def test_judge_needs_an_endpoint(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "a", "question": "Who?"}\n', encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["eval", str(path), "--judge"],
        env={"BRIEFING_LLM_BASE_URL": "", "OPENAI_BASE_URL": ""},
    )
    assert result.exit_code == 2 and "BRIEFING_LLM_BASE_URL" in result.stderr


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ('{"score": 0.8, "reason": "ok"}', 0.8),
        ('Verdict:\n{"score": 3}', 1.0),  # clamped to 0-1
        ('{"score": "NaN"}', None),
        ("I think it is fine.", None),
        ('{"reason": "no score"}', None),
    ],
)
def test_parse_verdict(reply: str, score: float | None) -> None:
    assert parse_verdict(reply).get("score") == score
