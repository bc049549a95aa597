"""A local HTTP listener on 127.0.0.1 that counts every request it gets: the place hostile
documents point their beacons at, so a test can tell whether anything was fetched. It can
also serve HTML pages of its own: another origin, for a page that tries to frame the app."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class Listener:
    def __init__(self, pages: dict[str, str] | None = None) -> None:
        self.paths: list[str] = []
        seen, served = self.paths, pages or {}

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                seen.append(self.path)
                body = served.get(self.path, "").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html" if body else "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _answer  # noqa: N815 - the names http.server calls

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self.origin = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
