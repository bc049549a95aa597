"""HTTP hardening of the web app: ASGI middleware inside the FastAPI app that Gradio builds
(handed to it through launch(app_kwargs=...)), so it sees every request before Gradio does and
every response uncompressed.

- Security headers on every response: a Content-Security-Policy, framing refused unless the
  frame_ancestors setting names who may frame the app, X-Content-Type-Options and a
  Referrer-Policy. The policy allows what Gradio's own page needs and nothing else: its inline
  scripts carry a nonce written into the page per response; `'unsafe-eval'` stays because
  gr.HTML runs its template and js_on_load through Function(); styles stay inline-able because
  Svelte writes style attributes. Images, fonts and connections go to this origin only, so even
  markup that escaped the escaping could not load a beacon from elsewhere.
- A limit on request bodies (request_max_mb): a larger one gets 413 before it is read into
  memory. Uploads are the exception: Gradio streams them to disk and limits each file itself.
- The login page no longer embeds the API description (Gradio writes it into every page,
  logged in or not, while its /gradio_api/info route answers 401).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# With --share Gradio's page loads its script from Gradio's own CDN.
SHARE_CDN = "https://gradio.s3-us-west-2.amazonaws.com"
UPLOAD_ROUTE = "/gradio_api/upload"
FILE_ROUTE = "/gradio_api/file="

_SCRIPT_TAG = re.compile(rb"<script(?=[\s>])")
_API_INFO = re.compile(rb"window\.gradio_api_info = .*?;</script>", re.DOTALL)
_LOGIN_CONFIG = b'"auth_required":true'
_PAGE_MARK = b"window.gradio_config"
# An API with no endpoints: the login page's script then asks for nothing more (given none at
# all, it fetches the description and logs an error); the page after the login has the real one.
_NO_API = b'window.gradio_api_info = {"named_endpoints":{},"unnamed_endpoints":{}};</script>'


@dataclass(frozen=True)
class Policy:
    """What the middleware enforces; built from the settings by policy_for()."""

    max_body: int  # bytes
    frame_ancestors: tuple[str, ...] = ()  # () refuses every frame
    extra_sources: tuple[str, ...] = ()  # hosts the page may load scripts, styles, fonts from

    def csp(self, nonce: str, *, sandbox: bool = False) -> str:
        extra = "".join(f" {s}" for s in self.extra_sources)
        ancestors = " ".join(self.frame_ancestors) or "'none'"
        directives = [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}' 'unsafe-eval'{extra}",
            f"style-src 'self' 'unsafe-inline'{extra}",
            f"img-src 'self' data: blob:{extra}",
            f"font-src 'self' data:{extra}",
            "media-src 'self' data: blob:",
            f"connect-src 'self'{extra}",
            "worker-src 'self' blob:",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        ]
        if sandbox:  # a file opened by itself runs nothing, even if it is HTML or SVG
            directives.append("sandbox")
        return "; ".join(directives)

    def headers(self, nonce: str, *, sandbox: bool = False) -> list[tuple[bytes, bytes]]:
        found = [
            (b"content-security-policy", self.csp(nonce, sandbox=sandbox).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        # X-Frame-Options says only DENY or SAMEORIGIN; for a list of sites, frame-ancestors.
        if not self.frame_ancestors:
            found.append((b"x-frame-options", b"DENY"))
        elif self.frame_ancestors == ("'self'",):
            found.append((b"x-frame-options", b"SAMEORIGIN"))
        return found


_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$")


def frame_ancestors(setting: str) -> tuple[str, ...]:
    """The frame_ancestors setting as CSP sources: `self` or origins, space-separated.
    ValueError for anything else (it is written into a header)."""
    sources = []
    for token in setting.split():
        if token.strip("'").lower() == "self":
            sources.append("'self'")
        elif _ORIGIN.match(token):
            sources.append(token.rstrip("/"))
        else:
            raise ValueError(
                f"{token!r} is neither 'self' nor an origin like https://intranet.example.com"
            )
    return tuple(dict.fromkeys(sources))


class Hardening:
    """The ASGI middleware. ``policy`` is read per request, so a test may change it."""

    def __init__(self, app: ASGIApp, policy: Policy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.policy
        path = str(scope.get("path", ""))
        limited = not path.rstrip("/").endswith(UPLOAD_ROUTE)
        if limited and _declared_length(scope) > policy.max_body:
            await _refuse(send, policy)
            return
        nonce = secrets.token_urlsafe(18)
        headers = policy.headers(nonce, sandbox=FILE_ROUTE in path)
        started = refused = False
        held: Message | None = None  # an HTML page's start, sent once its body is rewritten
        body: list[bytes] = []
        seen = 0

        async def counted() -> Message:
            # A body without a Content-Length is counted as it arrives. Past the limit the 413
            # goes out at once and the app is told the client left: FastAPI would turn an
            # exception raised here into its own 400.
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > policy.max_body and not started:
                    refused = True
                    await _refuse(send, policy)
                    return {"type": "http.disconnect"}
            return message

        async def secured(message: Message) -> None:
            nonlocal started, held
            if refused:
                return  # the 413 has been sent; whatever the app says after is dropped
            if message["type"] == "http.response.start":
                started = True
                names = {name for name, _ in headers}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + headers
                if _content_type(kept).startswith(b"text/html"):
                    held = message
                    return
            elif message["type"] == "http.response.body" and held is not None:
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                page = _rewrite(b"".join(body), nonce)
                held["headers"] = [
                    (k, v) for k, v in held["headers"] if k.lower() != b"content-length"
                ] + [(b"content-length", str(len(page)).encode())]
                start, held = held, None
                await send(start)
                await send({"type": "http.response.body", "body": page})
                return
            await send(message)

        try:
            await self.app(scope, counted if limited else receive, secured)
        except Exception:
            if not refused:  # once refused, the app's complaint about the lost body is moot
                raise


def _rewrite(page: bytes, nonce: str) -> bytes:
    """Gradio's page with a nonce on each of its scripts, and on the login page an empty API
    description instead of the app's."""
    if _PAGE_MARK not in page:
        return page
    if _LOGIN_CONFIG in page:
        page = _API_INFO.sub(_NO_API, page, count=1)
    return _SCRIPT_TAG.sub(b'<script nonce="' + nonce.encode() + b'"', page)


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 1 << 62  # unreadable: treated as too large
    return 0


def _content_type(headers: list[tuple[bytes, bytes]]) -> bytes:
    return next((v.lower() for k, v in headers if k.lower() == b"content-type"), b"")


async def _refuse(send: Send, policy: Policy) -> None:
    limit = policy.max_body / 1024 / 1024
    text = (
        f"Request too large: this app reads at most {limit:g} MB per request "
        "(BRIEFING_REQUEST_MAX_MB).\n"
    ).encode()
    headers = policy.headers(secrets.token_urlsafe(18)) + [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(text)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": text})


def policy_for(max_mb: float, frame_setting: str, *, share: bool) -> Policy:
    return Policy(
        max_body=int(max_mb * 1024 * 1024),
        frame_ancestors=frame_ancestors(frame_setting),
        extra_sources=(SHARE_CDN,) if share else (),
    )
