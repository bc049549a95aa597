"""The HTML report: hostile document text stays text, gold snippets are highlighted, and the
file opens in headless Chromium without touching the network (screenshots in test-artifacts/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.engine import Engine
from assistant.evaluation.questions import load_questions
from assistant.evaluation.report_html import highlight, render
from assistant.evaluation.results import EvalRun
from assistant.evaluation.runner import corpus_engine, run_eval

from .support.paths import ROOT

ARTIFACTS = ROOT / "test-artifacts"
HOSTILE = (
    "Harbour Report\n\n"
    "The harbour master is <script>alert('pwned')</script> Ingrid Halvorsen, appointed in "
    '2019 to run the northern harbour. <img src=x onerror="alert(1)"> She said the '
    "harbour “never closes” in winter.\n"
)


def _set(folder: Path, rows: list[dict[str, Any]]) -> Path:
    path = folder / "set.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_hostile_text_is_escaped(tmp_path: Path, make_settings: Any, embedder: Any) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "harbour.txt").write_text(HOSTILE, encoding="utf-8")
    rows = [
        {"id": "<b>master</b>", "question": "Who is the harbour master?",
         "must_include": ["Halvorsen"], "sources": ['the harbour "never closes"'],
         "kind": "<i>name</i>"},
    ]  # fmt: skip
    with corpus_engine(make_settings(), corpus, embedder) as (engine, _):
        run = run_eval(engine, load_questions(_set(tmp_path, rows)))
    page = render(run)
    assert "<script>alert" not in page and "<img src=x" not in page and "<i>name" not in page
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in page
    assert "&lt;b&gt;master&lt;/b&gt;" in page
    # The gold snippet (straight quotes) is highlighted over the document's curly quotes.
    assert "<mark>the harbour “never closes”</mark>" in page


def test_highlight_maps_normalised_matches_back_to_the_text() -> None:
    text = "A <b>bold</b>\n  claim: “it   WORKS” here."
    assert highlight(text, ['claim: "it works"']) == (
        "A &lt;b&gt;bold&lt;/b&gt;\n  <mark>claim: “it   WORKS”</mark> here."
    )
    # Overlapping snippets merge into one highlight; no snippet leaves the text as it was.
    assert highlight("one two three", ["one two", "two three"]) == "<mark>one two three</mark>"
    assert highlight("a < b", []) == "a &lt; b"


@pytest.fixture
def seed_report(seed_engine: Engine, tmp_path: Path) -> Path:
    rows = [
        {"id": "troops", "question": "How many North Korean troops are expected?",
         "must_include": ["10,000"], "sources": ["over 10,000 North Korean troops"], "kind": "number"},
        {"id": "dietz", "question": "Who is the Defense Department spokesperson?",
         "must_include": ["Dietz", "zebra"], "sources": ["Charlie Dietz"], "kind": "name"},
        {"id": "casualties", "question": "How many casualties have North Korean troops suffered?",
         "answerable": False, "kind": "unanswerable"},
        {"id": "too-long", "question": "Why? " * 500, "kind": "number"},
    ]  # fmt: skip
    run = run_eval(seed_engine, load_questions(_set(tmp_path, rows)))
    baseline = EvalRun.model_validate_json(run.model_dump_json())
    baseline.results[1].metrics.answer_pass = True  # so the diff has a question that got worse
    from assistant.evaluation.compare import compare

    run.comparison = compare(run, baseline)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "eval-report.html"
    path.write_text(render(run), encoding="utf-8")
    return path


@pytest.mark.browser
def test_report_opens_in_headless_chromium(seed_report: Path, browser: Any) -> None:
    requests: list[str] = []
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(seed_report.as_uri())
        assert page.title().startswith("Evaluation of")
        assert page.locator("svg").count() == 2  # metrics per kind, latency histogram
        assert page.locator("details.q").count() == 4
        assert page.locator("text=questions worse").first.is_visible()
        page.screenshot(path=str(ARTIFACTS / "eval-report.png"), full_page=True)

        page.get_by_role("button", name="errors (1)").click()
        visible = page.locator("details.q:visible")
        assert visible.count() == 1 and "too-long" in visible.first.inner_text()
        page.get_by_role("button", name="all (4)").click()
        troops = page.locator("#q-troops")
        troops.locator("summary").click()
        gold = troops.locator(".passage mark").first
        assert gold.inner_text() == "over 10,000 North Korean troops"
        troops.screenshot(path=str(ARTIFACTS / "eval-report-question.png"))
    finally:
        page.close()
    assert not errors
    assert all(url.startswith("file://") for url in requests), requests  # self-contained
    assert (ARTIFACTS / "eval-report.png").stat().st_size > 10_000
