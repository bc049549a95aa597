"""Hostile titles, questions and file names, and deletion, in a real browser (Debian's headless
Chromium through Playwright) under the app's own security headers.

A local listener on 127.0.0.1 counts every request: the documents, questions and file names
point their images at it. Nothing may reach it, no element may be live (an image, a link, an
event handler), the page must report no Content-Security-Policy violation, and everything must
read back as the text it was. Two detectors on purpose: the policy would block a beacon that
the escaping let through, so the DOM is checked for live markup as well as the listener for
requests. After an uploaded document is deleted, no URL the app served for it returns its text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.config import Settings
from assistant.web.serve import Served, launch

from .support.listener import Listener
from .support.web_helpers import free_port

pytestmark = pytest.mark.browser

DONE = "#ba-chat .ba-answer:not(.ba-streaming)"
WORD = "Zanzibarquux"  # in the hostile memo only
SECRET = "Quoxleyfjord"  # in the uploaded document only
# Records Content-Security-Policy violations from the first moment of every page.
WATCH = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
)
LIVE_MARKUP = """(origin) => [...document.querySelectorAll('*')].filter(e =>
    [...e.attributes].some(a => a.name.startsWith('on')) ||
    (['IMG', 'A', 'IFRAME', 'SCRIPT', 'OBJECT', 'EMBED', 'LINK', 'SOURCE'].includes(e.tagName) &&
     /javascript:|127\\.0\\.0\\.1:\\d+\\/(title|img|q|question|up)/.test(
        (e.getAttribute('src') || '') + ' ' + (e.getAttribute('href') || '')))
).map(e => e.outerHTML.slice(0, 200))"""


def title_of(origin: str) -> str:
    return (
        f"![t]({origin}/title.png) Memo <img src={origin}/img.png onerror=window.__pwned=1> "
        f"**{WORD}** [site](javascript:window.__pwned=2)"
    )


def question_of(origin: str) -> str:
    return (
        f"How much will the {WORD} dredging cost? ![q]({origin}/question.png) "
        f"<img src={origin}/q.png> _see_ `code`"
    )


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    with Listener() as running:
        yield running


@pytest.fixture(scope="module")
def app(
    tmp_path_factory: pytest.TempPathFactory, embedder: Any, listener: Listener
) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("hostile-names")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "memo.txt").write_text(
        f"{title_of(listener.origin)}\n\n"
        f"The {WORD} dredging will cost 14 million euros, said Marta Quist of the harbour "
        f"board.\n\nWork on the {WORD} basin starts in May, the board said.\n",
        encoding="utf-8",
    )
    served = launch(
        Settings(data_dir=root / "data", corpus_dir=corpus),
        port=free_port(),
        embedder=embedder,
        examples=[],
        quiet=True,
    )
    assert served.startup.wait(120) and served.startup.error is None, served.startup.error
    yield served
    served.close()


@pytest.fixture
def open_page(browser: Any, app: Served) -> Iterator[Callable[[list[str], list[str]], Any]]:
    """Opens the app in a new page that records page errors and requests; closed after."""
    pages: list[Any] = []

    def open_(problems: list[str], requested: list[str]) -> Any:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        pages.append(page)
        page.add_init_script(WATCH)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("request", lambda request: requested.append(request.url))
        page.goto(app.local_url)
        page.wait_for_selector("#ba-question textarea")
        return page

    yield open_
    for page in pages:
        page.close()


def _ask(page: Any, question: str) -> Any:
    count = page.locator(DONE).count()
    page.fill("#ba-question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => document.querySelectorAll('{DONE}').length === {count + 1}", timeout=60_000
    )
    return page.locator(DONE).last


def _offers(page: Any, dropdown: str, choice: str) -> bool:
    """Whether a dropdown offers a choice shown exactly so (its list opened, then closed).
    Asked again for a while: the list is refreshed when its tab opens."""
    for _ in range(20):
        page.locator(f"{dropdown} input").click()
        page.wait_for_selector("[role=option]", timeout=10_000)
        shown = [" ".join(t.split()) for t in page.locator("[role=option]").all_inner_texts()]
        page.keyboard.press("Escape")
        page.locator(f"{dropdown} input").blur()  # focused, a click would not open it again
        if choice in shown:
            return True
        page.wait_for_timeout(500)
    return False


def _choose(page: Any, dropdown: str, text: str) -> None:
    page.locator(f"{dropdown} input").click()
    page.locator("[role=option]").filter(has_text=text).first.click()


def _download(page: Any, button: Any) -> tuple[str, str]:
    with page.expect_download() as download:
        button.click()
    return download.value.url, Path(download.value.path()).read_text(encoding="utf-8")


def _assert_inert_markdown(exported: str) -> None:
    assert not re.search(r"(?<!\\)!\[|(?<!\\)\]\(|(?<!\\)<img", exported), exported


def _wait_text(page: Any, selector: str, text: str, timeout: float = 60_000) -> None:
    page.wait_for_function(
        "([s, t]) => document.querySelector(s)?.innerText.includes(t)",
        arg=[selector, text],
        timeout=timeout,
    )


def test_a_hostile_title_and_question_are_text_in_every_component(
    open_page: Callable[..., Any], listener: Listener, tmp_path: Path
) -> None:
    # The listener counts what reaches it (else its silence would prove nothing).
    assert httpx.get(f"{listener.origin}/control").status_code == 200
    assert listener.paths == ["/control"]
    listener.paths.clear()
    title, question = title_of(listener.origin), question_of(listener.origin)
    problems: list[str] = []
    page = open_page(problems, [])

    # The chat: the question bubble, the answer's source, the source viewer, the export.
    answer = _ask(page, question)
    assert page.locator("#ba-chat .ba-question").last.inner_text() == question
    assert "14 million euros" in answer.locator(".ba-text").inner_text()
    assert answer.locator(".ba-source .ba-title").first.inner_text() == title
    answer.locator(".ba-source").first.click()
    _wait_text(page, "#ba-viewer .ba-viewer-title", "Memo")
    assert page.locator("#ba-viewer .ba-viewer-title").inner_text() == title
    _, exported = _download(page, page.get_by_role("button", name="Export as Markdown").first)
    assert "title.png" in exported and "question.png" in exported
    _assert_inert_markdown(exported)

    # Restored from the browser's storage after a reload: still text.
    page.reload()
    page.wait_for_selector(f"{DONE} .ba-source", timeout=30_000)
    assert page.locator("#ba-chat .ba-question").last.inner_text() == question
    assert page.locator(f"{DONE} .ba-source .ba-title").first.inner_text() == title

    # The Briefing tab: its document list, the briefing, its viewer, its export.
    page.get_by_role("tab", name="Briefing").click()
    assert _offers(page, "#ba-brief-doc", title)
    page.locator("#ba-brief-go").click()
    page.wait_for_selector("#ba-briefing .ba-source .ba-title", timeout=120_000)
    assert title in page.locator("#ba-briefing .ba-source .ba-title").all_inner_texts()
    page.locator("#ba-briefing .ba-marker").first.click()
    _wait_text(page, "#ba-brief-viewer .ba-viewer-title", "Memo")
    assert page.locator("#ba-brief-viewer .ba-viewer-title").inner_text() == title
    _, briefed = _download(page, page.locator("#ba-brief-export"))
    assert "title.png" in briefed
    _assert_inert_markdown(briefed)

    # The Documents tab: the table, the document list, an upload's status, a delete's status.
    page.get_by_role("tab", name="Documents").click()
    page.wait_for_function(
        "t => document.querySelector('#ba-documents')?.innerText.includes(t)", arg=title
    )
    assert _offers(page, "#ba-doc", f"{title} (memo.txt)")
    named = tmp_path / "[up](x.png) _notes_.txt"
    named.write_text("Ferry notes\n\nThe ferry to Lindholm runs at noon.\n", encoding="utf-8")
    page.set_input_files("#ba-upload input[type=file]", str(named))
    _wait_text(page, "#ba-upload-status", "added")
    status = page.locator("#ba-upload-status")
    assert "“[up](x.png) _notes_.txt” added" in status.inner_text()
    assert status.locator("a, img, em, strong").count() == 0
    _choose(page, "#ba-doc", "(memo.txt)")
    page.get_by_role("button", name="Delete document").click()
    _wait_text(page, "#ba-library-status", "Deleted")
    deleted = page.locator("#ba-library-status")
    assert f"Deleted “{title}” from the index" in deleted.inner_text()
    assert deleted.locator("a, img, em, strong").count() == 0

    assert page.evaluate("window.__pwned") is None
    assert page.evaluate(LIVE_MARKUP, listener.origin) == []
    assert page.evaluate("window.__csp") == [], "the page broke its security policy"
    assert problems == []
    assert listener.paths == [], f"requests reached the listener: {listener.paths}"


def test_a_deleted_upload_leaves_no_url_that_returns_its_text(
    open_page: Callable[..., Any], app: Served, tmp_path: Path
) -> None:
    problems: list[str] = []
    requested: list[str] = []
    page = open_page(problems, requested)
    base = app.local_url.rstrip("/")
    served: list[str] = []  # every URL the app gave out for the two files

    page.get_by_role("tab", name="Documents").click()
    upload = tmp_path / "pier-survey.txt"
    upload.write_text(
        f"Pier Survey\n\nThe {SECRET} pier needs 3 million euros of repairs, the surveyor wrote.\n",
        encoding="utf-8",
    )
    kept = tmp_path / "harbour-hours.txt"
    kept.write_text("Harbour Hours\n\nThe harbour office opens at eight.\n", encoding="utf-8")
    rejected = tmp_path / "beacon.svg"
    rejected.write_text(f"<svg><script>alert('{SECRET}')</script></svg>", encoding="utf-8")
    for path, outcome in (
        (upload, "“pier-survey.txt” added"),
        (kept, "“harbour-hours.txt” added"),
        (rejected, "“beacon.svg”: unsupported"),
    ):
        with page.expect_response(
            lambda r: r.url.split("?")[0] == f"{base}/gradio_api/upload"
        ) as r:
            page.set_input_files("#ba-upload input[type=file]", str(path))
        served += [f"{base}/gradio_api/file={p}" for p in r.value.json()]
        # Each file's own outcome: a status still saying the last one's would let the next
        # file be chosen while that upload is still being handled.
        _wait_text(page, "#ba-upload-status", outcome)
    # Refused, the .svg is already gone from where Gradio kept it.
    assert page.request.get(served[-1]).status != 200

    page.get_by_role("tab", name="Chat").click()
    answer = _ask(page, f"How much do the {SECRET} pier repairs cost?")
    assert "3 million euros" in answer.locator(".ba-text").inner_text()
    answer.locator(".ba-source").first.click()
    _wait_text(page, "#ba-viewer .ba-viewer-title", "Pier Survey")
    export_url, exported = _download(
        page, page.get_by_role("button", name="Export as Markdown").first
    )
    assert SECRET in exported
    served.append(export_url)

    page.get_by_role("tab", name="Documents").click()
    _choose(page, "#ba-doc", "pier-survey.txt")
    page.get_by_role("button", name="Delete document").click()
    _wait_text(page, "#ba-library-status", "and its uploaded file")

    data = app.engine.settings.data_dir
    served += [u for u in requested if "/gradio_api/file=" in u]
    served.append(f"{base}/gradio_api/file={data / 'uploads' / upload.name}")
    for url in dict.fromkeys(served):
        response = page.request.get(url)
        assert response.status != 200 or SECRET not in response.text(), url
    # Nor is it anywhere in the data folder outside Chroma's own files (see SECURITY.md), or
    # in Gradio's folder: no upload, no Gradio copy, no export, no BM25 cache.
    holding = [
        str(p)
        for folder in {data, app.sweeper.folder.root}
        for p in folder.rglob("*")
        if p.is_file() and "chroma" not in p.parts and SECRET.encode() in p.read_bytes()
    ]
    assert holding == []
    # The old answer's source now says so, and the library goes on answering.
    page.get_by_role("tab", name="Chat").click()
    answer.locator(".ba-source").first.click()
    _wait_text(page, "#ba-viewer", "no longer in the library")
    assert "eight" in _ask(page, "When does the harbour office open?").inner_text()
    assert page.evaluate("window.__csp") == [] and problems == []
