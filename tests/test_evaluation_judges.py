"""The optional LLM judges, against the real local HTTP server of tests/openai_server.py that
speaks the OpenAI chat-completions protocol (the openai client library runs unmodified)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from assistant.cli.main import main
from assistant.engine import Engine
from assistant.evaluation.judges import LLMJudge, parse_verdict
from assistant.evaluation.questions import load_questions
from assistant.evaluation.runner import run_eval

from .support.openai_server import Failure, OpenAIServer, Reply

SECRET = "sk-judge-0123456789abcdef"


def _grader(body: dict[str, Any]) -> Reply | Failure:
    prompt = body["messages"][-1]["content"]
    if "Reference answer: BROKEN" in prompt:  # a server that repeats the key it was sent
        return Failure(500, f"the judge model is down (key {SECRET})")
    if "Reference answer:" in prompt:
        return Reply('Sure! {"score": 1, "reason": "same facts"}')
    return Reply('```json\n{"score": 0.5, "reason": "half supported"}\n```')


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer(responder=_grader) as chat:
        yield chat


def test_judges_grade_each_answer_and_survive_a_failing_call(
    seed_engine: Engine, make_settings: Any, server: OpenAIServer, tmp_path: Path
) -> None:
    rows = [
        {"id": "troops", "question": "How many North Korean troops are expected?",
         "reference": "More than 10,000.", "must_include": ["10,000"]},
        {"id": "broken", "question": "Where were the brigades assembled?", "reference": "BROKEN"},
        {"id": "no-reference", "question": "What did China's foreign ministry say?",
         "answerable": False},
    ]  # fmt: skip
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    settings = make_settings(
        llm_base_url=server.url,
        llm_api_key=SECRET,
        llm_max_retries=0,
        llm_timeout=10,
        llm_temperature=0.7,
    )
    run = run_eval(seed_engine, load_questions(path), judge=LLMJudge(settings))
    verdicts = {r.id: r.judge for r in run.results}
    assert verdicts["troops"] == {
        "correctness": {"score": 1.0, "reason": "same facts"},
        "faithfulness": {"score": 0.5, "reason": "half supported"},
    }
    error = verdicts["broken"]["correctness"]["error"]  # the row is kept, the run went on
    # The answerer's client: its message names the setting to check, and never the key.
    assert "HTTP 500" in error and "BRIEFING_LLM_BASE_URL" in error
    assert SECRET not in error and "***" in error
    assert verdicts["broken"]["faithfulness"]["score"] == 0.5
    assert verdicts["no-reference"] == {}  # abstained, no reference: nothing to judge
    s = run.summary
    assert (s["judge_correctness"], s["judge_faithfulness"], s["judge_errors"]) == (1.0, 0.5, 1)
    # The prompts carry the reference, the answer, and the text of the cited passages.
    assert {r.body["temperature"] for r in server.chat_requests()} == {0}  # not the 0.7 set
    prompts = [r.prompt for r in server.chat_requests()]
    correctness = next(p for p in prompts if "More than 10,000." in p)
    assert "over 10,000 North Korean troops" in correctness
    faithfulness = next(p for p in prompts if "Cited passages" in p)
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
