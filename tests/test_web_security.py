"""The web app's HTTP hardening (assistant/web/security.py): security headers on every
response, a nonce on each of the page's own scripts, framing refused unless allowed, the login
page without the API description, and request bodies over request_max_mb refused with 413
while the app goes on answering. The policy is checked in a real browser too: the login page,
the chat, its sources and viewer raise no Content-Security-Policy violation, and a page of
another origin cannot frame the app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from gradio_client import Client
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from assistant.config import Settings
from assistant.web.security import Hardening, Policy, frame_ancestors

from .support.listener import Listener
from .support.paths import CORPUS
from .support.web_helpers import DIETZ_QUESTION, free_port

USER, PASSWORD = "alice", "s3cret-LOGIN-pa55-Qx7"
DOCSTRING = "Answer a question from the indexed documents"  # the /ask endpoint's description
MEGABYTE = 1024 * 1024
WATCH = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
)


# --- the middleware on its own ---------------------------------------------------------------


def _tiny_app(policy: Policy) -> TestClient:
    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(len(await request.body())))

    async def page(_: Request) -> HTMLResponse:
        return HTMLResponse(
            "<html><script>window.gradio_config = {};</script><script src='a.js'></script></html>"
        )

    app = Starlette(
        routes=[
            Route("/echo", echo, methods=["POST"]),
            Route("/gradio_api/upload", echo, methods=["POST"]),
            Route("/", page),
        ],
        middleware=[Middleware(Hardening, policy=policy)],  # type: ignore[arg-type]
    )
    return TestClient(app)


def test_a_body_over_the_limit_is_refused_declared_or_streamed() -> None:
    client = _tiny_app(Policy(max_body=1000))
    assert client.post("/echo", content=b"x" * 1000).text == "1000"
    declared = client.post("/echo", content=b"x" * 1001)
    assert declared.status_code == 413 and "BRIEFING_REQUEST_MAX_MB" in declared.text
    # Without a Content-Length the body is counted as it arrives.
    streamed = client.post("/echo", content=iter([b"x" * 600, b"x" * 600]))
    assert streamed.status_code == 413
    assert declared.headers["x-content-type-options"] == "nosniff"
    # Uploads stream to disk and Gradio limits each file: not this limit.
    assert client.post("/gradio_api/upload", content=b"x" * 5000).text == "5000"


def test_the_page_scripts_carry_the_nonce_of_the_policy() -> None:
    response = _tiny_app(Policy(max_body=1000)).get("/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["content-security-policy"])
    assert nonce is not None
    assert response.text.count(f'<script nonce="{nonce.group(1)}"') == 2
    assert int(response.headers["content-length"]) == len(response.content)
    again = _tiny_app(Policy(max_body=1000)).get("/")
    assert nonce.group(1) not in again.headers["content-security-policy"], "one per response"


@pytest.mark.parametrize(
    ("setting", "ancestors", "frame_options"),
    [
        ("", "'none'", "DENY"),
        ("self", "'self'", "SAMEORIGIN"),
        ("'self' https://intranet.example.com", "'self' https://intranet.example.com", None),
    ],
)
def test_framing_is_refused_unless_the_setting_names_who_may(
    setting: str, ancestors: str, frame_options: str | None
) -> None:
    assert Settings(frame_ancestors=setting).frame_ancestors == setting
    headers = dict(Policy(max_body=1, frame_ancestors=frame_ancestors(setting)).headers("n"))
    assert f"frame-ancestors {ancestors}".encode() in headers[b"content-security-policy"]
    assert headers.get(b"x-frame-options") == (frame_options.encode() if frame_options else None)


@pytest.mark.parametrize("bad", ["https://a.example.com; script-src *", "javascript:x", "*"])
def test_a_frame_setting_that_is_not_origins_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        Settings(frame_ancestors=bad)
    with pytest.raises(ValueError):
        frame_ancestors(bad)


# --- the running app ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def locked_app(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Any]:
    from assistant.web.serve import launch

    data = tmp_path_factory.mktemp("security") / "data"
    served = launch(
        Settings(data_dir=data, corpus_dir=CORPUS, request_max_mb=2.0),
        port=free_port(),
        credentials=[(USER, PASSWORD)],
        embedder=embedder,
        examples=[],
        quiet=True,
    )
    assert served.startup.wait(120) and served.startup.error is None, served.startup.error
    yield served
    served.close()


@contextmanager
def _logged_in(app: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app.local_url.rstrip("/"), timeout=60) as http:
        assert http.post("/login", data={"username": USER, "password": PASSWORD}).is_success
        yield http


def test_every_response_carries_the_security_headers(locked_app: Any) -> None:
    base = locked_app.local_url.rstrip("/")
    with _logged_in(locked_app) as http:
        responses = [
            httpx.get(f"{base}/", timeout=30),
            httpx.get(f"{base}/config", timeout=30),  # 401
            http.get("/"),
            http.get("/config"),
            http.get("/theme.css"),
        ]
    for response in responses:
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, response.url
        assert "img-src 'self' data: blob:" in csp and "connect-src 'self'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert "sandbox" not in responses[2].headers["content-security-policy"]
    # A file served on its own is sandboxed: an HTML or SVG file could run nothing.
    with _logged_in(locked_app) as http:
        sent = [("files", ("note.svg", b"<svg><script>alert(1)</script></svg>", "image/svg"))]
        (path,) = http.post("/gradio_api/upload", files=sent).raise_for_status().json()
        served = http.get(f"/gradio_api/file={path}")
    assert served.status_code == 200
    assert served.headers["content-security-policy"].endswith("; sandbox")
    page = responses[2]
    nonce = re.search(r"'nonce-([^']+)'", page.headers["content-security-policy"])
    assert nonce is not None
    scripts = re.findall(r"<script\b[^>]*>", page.text)
    assert scripts and all(f'nonce="{nonce.group(1)}"' in s for s in scripts), scripts


@pytest.mark.parametrize("path", ["", "gradio_api/runs"])  # both serve the login page
def test_the_login_page_says_nothing_about_the_api(locked_app: Any, path: str) -> None:
    login = httpx.get(f"{locked_app.local_url}{path}", timeout=30)
    embedded = re.search(r"window\.gradio_api_info = (.*?);</script>", login.text)
    assert embedded is not None
    assert embedded.group(1) == '{"named_endpoints":{},"unnamed_endpoints":{}}'
    assert DOCSTRING not in login.text and '"/ask"' not in login.text
    # Logged in, the same page does describe the API (so the check above could fail).
    with _logged_in(locked_app) as http:
        assert DOCSTRING in http.get("/").text
    assert httpx.get(f"{locked_app.local_url}gradio_api/info", timeout=30).status_code == 401


def test_an_oversized_request_gets_413_and_the_app_goes_on_answering(locked_app: Any) -> None:
    history = [{"role": "user", "content": "x" * 10_000}] * 400  # 4 MB of history
    with _logged_in(locked_app) as http:
        refused = http.post("/gradio_api/call/ask", json={"data": [DIETZ_QUESTION, history]})
        assert refused.status_code == 413, refused.text
        assert "at most 2 MB" in refused.text and "BRIEFING_REQUEST_MAX_MB" in refused.text
        chunked = http.post(
            "/gradio_api/queue/join",
            content=iter([b'{"data": ["', b"y" * (3 * MEGABYTE), b'"]}']),
            headers={"content-type": "application/json"},
        )
        assert chunked.status_code == 413
    client = Client(locked_app.local_url, auth=(USER, PASSWORD), verbose=False)
    assert "Dietz" in client.predict(DIETZ_QUESTION, api_name="/ask")["answer"]


@pytest.mark.browser
def test_the_login_page_and_the_chat_keep_to_the_policy_in_a_browser(
    browser: Any, locked_app: Any
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    page.add_init_script(WATCH)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        page.goto(locked_app.local_url)
        page.wait_for_selector("input[type=password]", timeout=30_000)
        assert page.evaluate("window.__csp") == [], "the login page broke the policy"
        page.fill("input[type=text]", USER)
        page.fill("input[type=password]", PASSWORD)
        page.get_by_role("button", name="Login").click()
        page.wait_for_selector("#ba-question textarea", timeout=30_000)
        page.fill("#ba-question textarea", DIETZ_QUESTION)
        page.keyboard.press("Enter")
        page.wait_for_selector("#ba-chat .ba-answer:not(.ba-streaming) .ba-source", timeout=60_000)
        page.locator("#ba-chat .ba-source").first.click()
        page.wait_for_selector("#ba-viewer mark#ba-cited", timeout=15_000)
        page.get_by_role("tab", name="Documents").click()
        page.wait_for_function(
            "() => document.querySelector('#ba-documents')?.innerText.includes('North Korean')"
        )
        assert page.evaluate("window.__csp") == [], "the app's page broke the policy"
        assert problems == []
    finally:
        page.close()


@pytest.mark.browser
def test_another_site_cannot_frame_the_app(browser: Any, locked_app: Any) -> None:
    frame = f'<iframe id="app" src="{locked_app.local_url}" width="800" height="600"></iframe>'
    page = browser.new_page()
    with Listener({"/frame.html": frame}) as other_site:
        try:
            page.goto(f"{other_site.origin}/frame.html")
            page.wait_for_timeout(3000)
            child = next(f for f in page.frames if f != page.main_frame)
            assert child.url.startswith("chrome-error:"), child.url  # refused, not loaded
            assert page.frame_locator("#app").locator("gradio-app").count() == 0
        finally:
            page.close()
