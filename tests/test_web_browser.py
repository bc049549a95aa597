"""The web chat in a real browser (Debian's headless Chromium driven by Playwright): ask, see
the highlighted sources, open the source viewer, upload a document and ask about it.
Screenshots go to test-artifacts/ (docs/ has copies for the README)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.web.serve import Served

from .support.paths import ROOT
from .support.web_helpers import DIETZ_QUESTION, start_app

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"
HARBOUR = (
    "Aldermoor Harbour Works\n\n"
    "The Aldermoor harbour dredging project will cost 14 million euros, the port authority "
    "said on Tuesday. Dredging is planned to start in May and to last eleven weeks.\n\n"
    'Notes from the meeting: <script>window.__pwned = 1</script><img src="x" '
    'onerror="window.__pwned = 2"> were pasted here by mistake.\n\n'
    "Local fishermen worry that the work will disturb the spawning grounds of the bay.\n"
)
DONE = "#ba-chat .ba-answer:not(.ba-streaming)"


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Served]:
    served = start_app(tmp_path_factory.mktemp("web-browser") / "data", embedder)
    yield served
    served.close()


def _mark_in_view(page: Any) -> bool:
    return bool(
        page.evaluate(
            """() => {
                const mark = document.querySelector('#ba-viewer #ba-cited');
                if (!mark) return false;
                const box = mark.closest('.ba-viewer').getBoundingClientRect();
                const m = mark.getBoundingClientRect();
                return m.top >= box.top && m.bottom <= box.bottom + 1;
            }"""
        )
    )


def test_ask_read_sources_upload_and_ask_again(
    browser: Any, live_app: Served, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.goto(live_app.local_url)
    page.wait_for_selector("#ba-question textarea")

    # An example question on the empty chat asks it.
    page.get_by_text(DIETZ_QUESTION).first.click()
    page.wait_for_selector(f"{DONE} .ba-source mark.ba-quote", timeout=30_000)
    answer = page.locator(DONE).last
    assert "Dietz" in answer.locator(".ba-text").inner_text()
    first_quote = answer.locator(".ba-source mark.ba-quote").first.inner_text()
    assert "Dietz" in first_quote
    page.screenshot(path=str(ARTIFACTS / "web-chat.png"))

    # Clicking a source shows its document, the quote marked and scrolled into view.
    answer.locator(".ba-source").first.click()
    page.wait_for_selector("#ba-viewer mark#ba-cited", timeout=15_000)
    assert page.locator("#ba-viewer mark#ba-cited").inner_text() == first_quote
    page.wait_for_function(
        "() => { const m = document.querySelector('#ba-viewer #ba-cited');"
        " const b = m && m.closest('.ba-viewer').getBoundingClientRect();"
        " const r = m && m.getBoundingClientRect();"
        " return m && r.top >= b.top && r.bottom <= b.bottom + 1; }",
        timeout=10_000,
    )
    assert _mark_in_view(page)
    page.screenshot(path=str(ARTIFACTS / "web-source-viewer.png"))

    # Upload a document in the library; it is searchable at once.
    upload = tmp_path / "aldermoor-harbour.txt"
    upload.write_text(HARBOUR, encoding="utf-8")
    page.get_by_role("tab", name="Documents").click()
    page.set_input_files("#ba-upload input[type=file]", str(upload))
    page.wait_for_function(
        "() => document.querySelector('#ba-upload-status')?.innerText.includes('added')",
        timeout=60_000,
    )
    assert "Aldermoor Harbour Works" in page.locator("#ba-documents").inner_text()
    page.screenshot(path=str(ARTIFACTS / "web-library.png"))

    page.get_by_role("tab", name="Chat").click()
    page.fill("#ba-question textarea", "How much will the Aldermoor harbour dredging cost?")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => document.querySelectorAll('{DONE}').length === 2", timeout=30_000
    )
    second = page.locator(DONE).last
    assert "14 million euros" in second.locator(".ba-text").inner_text()
    assert second.locator(".ba-source .ba-title").first.inner_text() == "Aldermoor Harbour Works"
    second.locator(".ba-source").first.click()
    page.wait_for_function(
        "() => document.querySelector('#ba-viewer .ba-viewer-title')"
        "?.innerText === 'Aldermoor Harbour Works'",
        timeout=15_000,
    )
    # The document's markup is shown as text and none of it ran.
    assert "<script>window.__pwned = 1</script>" in page.locator("#ba-viewer").inner_text()
    assert page.evaluate("window.__pwned") is None
    page.screenshot(path=str(ARTIFACTS / "web-uploaded-answer.png"))

    # An [n] marker in the earlier answer's text opens that answer's source again.
    page.locator(DONE).first.locator(".ba-marker").first.click()
    page.wait_for_function(
        "() => document.querySelector('#ba-viewer .ba-viewer-label')"
        "?.innerText.includes('Source [1]') && document.querySelector("
        "'#ba-viewer .ba-viewer-title')?.innerText !== 'Aldermoor Harbour Works'",
        timeout=15_000,
    )
    assert page.locator("#ba-viewer mark#ba-cited").inner_text() == first_quote

    page.locator(DONE).first.locator(".ba-copy").click()  # the answer and its sources
    copied = page.evaluate("window.__baCopied")
    assert "Dietz" in copied and "Sources:" in copied and first_quote in copied
    assert page_errors == []
    page.close()
