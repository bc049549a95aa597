"""A real local HTTP server that speaks the OpenAI chat-completions protocol, for tests.

It answers from a script (a queue of replies and failures) or from a responder function, and
records every request, so tests can check the prompt that was sent and the client's
behaviour on real HTTP: JSON replies, server-sent-event streams, error statuses, hangs,
malformed and empty streams, connections dropped mid-stream.

    with OpenAIServer() as server:
        server.reply("Dietz is the spokesperson [1].")
        server.fail(429)
        settings = Settings(llm_base_url=server.url, llm_api_key="sk-test", ...)
        ...
        server.requests[0].body["messages"]

Nothing here depends on the assistant package: the evaluation and web UI tests reuse it.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHAT_PATH = "/v1/chat/completions"


@dataclass
class Reply:
    """A successful reply; streamed in pieces of ``chunk_chars`` characters when asked."""

    text: str
    chunk_chars: int = 7
    delay: float = 0.0  # seconds before each streamed piece


@dataclass
class Failure:
    """An HTTP error status with an OpenAI-style error body."""

    status: int
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Hang:
    """Accept the request and say nothing for ``seconds`` (longer than the client waits)."""

    seconds: float = 30.0


@dataclass
class Malformed:
    """A stream whose events are not JSON (or a JSON reply that is not a completion)."""

    prefix: str = ""  # valid text streamed before the garbage


@dataclass
class Empty:
    """A stream that ends without any text (or a JSON reply with empty content)."""


@dataclass
class Drop:
    """Stream ``prefix`` and then close the connection without finishing."""

    prefix: str = "The "


@dataclass
class StreamError:
    """Stream ``prefix`` and then an ``{"error": ...}`` event, as some servers do."""

    prefix: str = ""
    message: str = "internal error during generation"


Action = Reply | Failure | Hang | Malformed | Empty | Drop | StreamError
Responder = Callable[[dict[str, Any]], "Action | str"]


@dataclass
class Recorded:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def prompt(self) -> str:
        """Every message's content, joined: what the model was shown."""
        return "\n\n".join(str(m.get("content", "")) for m in self.messages)

    @property
    def streamed(self) -> bool:
        return bool(self.body.get("stream"))


class OpenAIServer:
    """The server, running in a background thread on 127.0.0.1 and a free port."""

    def __init__(self, responder: Responder | None = None, model: str = "scripted") -> None:
        self.responder = responder
        self.model = model
        self.requests: list[Recorded] = []
        self._script: queue.Queue[Action] = queue.Queue()
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # a Hang must not stall close()
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> OpenAIServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to give an OpenAI client (``.../v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    # --- scripting ------------------------------------------------------------------------
    def script(self, *actions: Action | str) -> None:
        for action in actions:
            self._script.put(Reply(action) if isinstance(action, str) else action)

    def reply(self, text: str, **options: Any) -> None:
        self.script(Reply(text, **options))

    def fail(self, status: int, message: str = "", **headers: str) -> None:
        self.script(Failure(status, message, headers))

    def hang(self, seconds: float = 30.0) -> None:
        self.script(Hang(seconds))

    def pending(self) -> int:
        """Scripted actions not used yet."""
        return self._script.qsize()

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _next(self, body: dict[str, Any]) -> Action:
        try:
            return self._script.get_nowait()
        except queue.Empty:
            pass
        if self.responder is not None:
            action = self.responder(body)
            return Reply(action) if isinstance(action, str) else action
        return Failure(500, "the test server has no scripted reply left")

    def _record(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(Recorded(path, headers, body))


def _handler_for(server: OpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet tests
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path.rstrip("/").endswith("/models"):
                self._json(200, {"object": "list", "data": [_model(server.model)]})
            else:
                self._json(404, _error_body("no such route", "not_found"))

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"_raw": raw.decode("utf-8", "replace")}
            server._record(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, _error_body(f"no route {self.path}", "not_found"))
                return
            action = server._next(body)
            stream = bool(body.get("stream"))
            if isinstance(action, Failure):
                self._json(
                    action.status,
                    _error_body(action.message or f"scripted HTTP {action.status}", "scripted"),
                    action.headers,
                )
            elif isinstance(action, Hang):
                server._closing.wait(action.seconds)
                self.close_connection = True
            elif stream:
                self._stream(action, str(body.get("model", server.model)))
            else:
                self._complete(action, str(body.get("model", server.model)))

        # --- replies --------------------------------------------------------------------
        def _complete(self, action: Action, model: str) -> None:
            if isinstance(action, Malformed):
                self._raw(200, b'{"id": "x", "choices": "not a list"', "application/json")
                return
            if isinstance(action, Drop | StreamError):
                self._json(500, _error_body("scripted failure", "scripted"))
                return
            text = action.text if isinstance(action, Reply) else ""
            self._json(200, _completion(text, model))

        def _stream(self, action: Action, model: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            ident = f"chatcmpl-{time.monotonic_ns()}"
            self._event(_chunk(ident, model, {"role": "assistant", "content": ""}))
            if isinstance(action, Reply):
                step = max(1, action.chunk_chars)
                for start in range(0, len(action.text), step):
                    if action.delay:
                        time.sleep(action.delay)
                    piece = action.text[start : start + step]
                    self._event(_chunk(ident, model, {"content": piece}))
            elif isinstance(action, Malformed | Drop | StreamError) and action.prefix:
                self._event(_chunk(ident, model, {"content": action.prefix}))
            if isinstance(action, Malformed):
                self._send(b"data: {this is not json\n\n")
            elif isinstance(action, Drop):
                self.wfile.flush()
                return  # the connection closes without a finish chunk or [DONE]
            elif isinstance(action, StreamError):
                self._event({"error": {"message": action.message, "type": "server_error"}})
            self._event(_chunk(ident, model, {}, finish="stop"))
            self._send(b"data: [DONE]\n\n")

        # --- plumbing -------------------------------------------------------------------
        def _event(self, payload: dict[str, Any]) -> None:
            self._send(b"data: " + json.dumps(payload).encode() + b"\n\n")

        def _send(self, data: bytes) -> None:
            try:
                self.wfile.write(data)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _json(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            self._raw(status, json.dumps(payload).encode(), "application/json", headers)

        def _raw(
            self,
            status: int,
            data: bytes,
            content_type: str,
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self._send(data)

    return Handler


def _model(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "tests"}


def _error_body(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _completion(text: str, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _chunk(
    ident: str, model: str, delta: dict[str, Any], finish: str | None = None
) -> dict[str, Any]:
    return {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
