"""`briefing serve` (and app.py): start the web chat with the corpus ingested.

The page is served first; the corpus is then ingested and the model warmed in a background
thread while the page loads, and questions asked meanwhile wait until that is done.
Sharing is opt-in and never silently public: --share needs a login unless --share-public.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..cli.common import fail_cleanly, load_settings
from ..config import Settings
from ..errors import BadInput, BriefingError

log = logging.getLogger(__name__)

LOCAL = "127.0.0.1"
ALL_INTERFACES = "0.0.0.0"
DEFAULT_CONCURRENCY = 8


@dataclass
class Served:
    """A running app: what launch() made, for printing and for tests."""

    demo: Any
    engine: Any
    startup: Any
    local_url: str
    share_url: str | None
    host: str
    port: int
    lock: Path | None = None
    sweeper: Any = None

    def close(self) -> None:
        self.demo.close()
        if self.sweeper is not None:
            self.sweeper.stop()
        from .. import locking

        locking.release(self.lock)
        self.lock = None


def parse_auth(pairs: tuple[str, ...] | list[str], auth_file: Path | None) -> list[tuple[str, str]]:
    """user:password pairs from --auth and from an auth file (one pair a line, # comments)."""
    credentials: list[tuple[str, str]] = []
    lines = [(f"--auth {p.split(':', 1)[0]}:…", p) for p in pairs]
    if auth_file is not None:
        try:
            text = auth_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"--auth-file {auth_file} cannot be read: {exc}") from exc
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip() and not line.lstrip().startswith("#"):
                lines.append((f"{auth_file}, line {number}", line.strip()))
        if not any(where.startswith(str(auth_file)) for where, _ in lines):
            raise BadInput(f"--auth-file {auth_file} holds no user:password line.")
    for where, line in lines:
        user, sep, password = line.partition(":")
        if not sep or not user.strip() or not password:
            raise BadInput(f"{where}: expected user:password with neither part empty.")
        credentials.append((user.strip(), password))
    return credentials


def check_sharing(share: bool, share_public: bool, credentials: list[tuple[str, str]]) -> None:
    if share and not credentials and not share_public:
        raise BadInput(
            "--share would put your documents on a public link that anyone can open, so it "
            "needs a login: add --auth user:password or --auth-file FILE "
            "(or --share-public if the documents really may be public)."
        )


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback, read locally (no traffic is sent)."""
    found: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    except OSError:
        pass
    try:  # Linux: ask the kernel for each interface's address
        import fcntl
        import struct

        for _, name in socket.if_nameindex():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                try:
                    packed = fcntl.ioctl(
                        probe.fileno(), 0x8915, struct.pack("256s", name[:15].encode())
                    )
                except OSError:
                    continue  # an interface without an IPv4 address
                found.add(socket.inet_ntoa(packed[20:24]))
    except (ImportError, OSError):
        pass
    return sorted(a for a in found if not a.startswith("127."))


def launch(
    settings: Settings,
    *,
    host: str = LOCAL,
    port: int = 7860,
    share: bool = False,
    credentials: list[tuple[str, str]] | None = None,
    ingest: bool = True,
    concurrency: int = DEFAULT_CONCURRENCY,
    embedder: Any = None,
    examples: list[str] | None = None,
    quiet: bool = False,
) -> Served:
    """Build the engine, start loading the corpus, build the UI and start serving (returns at
    once; call demo.block_thread() to wait)."""
    from .. import locking
    from ..engine import build_engine

    # The embedded store takes one writing process: the app holds its data folder while it
    # serves, and `briefing ingest` meanwhile is refused with a message (see locking.py).
    lock = locking.acquire(settings, locking.WEB_APP)
    try:
        served = _launch(
            settings,
            build_engine(settings, embedder),
            host=host,
            port=port,
            share=share,
            credentials=credentials,
            ingest=ingest,
            concurrency=concurrency,
            examples=examples,
            quiet=quiet,
        )
    except BaseException:
        locking.release(lock)
        raise
    served.lock = lock
    return served


def _launch(
    settings: Settings,
    engine: Any,
    *,
    host: str,
    port: int,
    share: bool,
    credentials: list[tuple[str, str]] | None,
    ingest: bool,
    concurrency: int,
    examples: list[str] | None,
    quiet: bool,
) -> Served:
    from .startup import Startup

    startup = Startup(engine, ingest=ingest)
    # Gradio reports usage to its servers unless told not to; this app stays offline.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from . import tempfiles

    # Before Gradio is imported and the page built: both read where Gradio's folder is.
    temp = tempfiles.prepare(settings)
    from starlette.middleware import Middleware

    from .chat import build_ui, launch_kwargs
    from .security import Hardening, policy_for

    policy = policy_for(settings.request_max_mb, settings.frame_ancestors, share=share)
    demo = build_ui(engine, startup=startup, examples=examples, temp=temp)
    demo.queue(default_concurrency_limit=concurrency)
    try:
        _, local_url, share_url = demo.launch(
            server_name=host,
            server_port=port,
            share=share,
            auth=credentials or None,
            auth_message="Briefing Assistant: please log in." if credentials else None,
            prevent_thread_lock=True,
            quiet=quiet,
            show_error=False,
            ssr_mode=False,
            footer_links=["api"],
            max_file_size=int(settings.upload_max_mb * 4 * 1024 * 1024),
            app_kwargs={"middleware": [Middleware(Hardening, policy=policy)]},
            **launch_kwargs(),
        )
    except OSError as exc:
        raise BriefingError(
            f"Cannot listen on {host}:{port} ({exc}). Choose another --port "
            "(or set GRADIO_SERVER_PORT)."
        ) from exc
    # Loading starts once the page is up: imports hold the GIL, so doing it alongside the
    # Gradio import only made both slower. Questions asked meanwhile wait for it.
    startup.start()
    sweeper = tempfiles.Sweeper(temp).start()
    return Served(demo, engine, startup, local_url, share_url, host, port, sweeper=sweeper)


def _announce(served: Served, share: bool, began: float) -> None:
    port = served.port
    lan = [f"http://{a}:{port}" for a in lan_addresses()]
    echo = click.echo
    echo(f"Briefing Assistant: http://127.0.0.1:{port}")
    if served.host == ALL_INTERFACES and lan:
        echo(f"On your network: {', '.join(lan)}")
    if share:
        if served.share_url:
            echo(f"Public share link: {served.share_url}")
        else:
            echo(
                "No share link could be made: the Gradio share service cannot be reached from "
                "this machine (no internet connection?)."
            )
            if served.host == ALL_INTERFACES and lan:
                echo(f"Colleagues on your network can use {' or '.join(lan)} instead (same login).")
            else:
                echo(f"Restart with --host {ALL_INTERFACES} to let colleagues on your network in.")
    sys.stdout.flush()  # the addresses now, even into a pipe; "ready" may take a while
    served.startup.wait()
    if served.startup.error:
        echo(f"warning: {served.startup.error}", err=True)
    else:
        echo(f"Ready to answer ({time.perf_counter() - began:.1f} s after start).")


@click.command(name="serve")
@click.option(
    "--host",
    default=None,
    help=f"Address to listen on: {LOCAL} (this computer only; the default) or "
    f"{ALL_INTERFACES} (colleagues on your network). With --share the default is {ALL_INTERFACES}"
    " so the network address works when no share link can be made.",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=7860,
    envvar="GRADIO_SERVER_PORT",
    show_default=True,
    show_envvar=True,
    help="Port to listen on.",
)
@click.option("--share", is_flag=True, help="Also make a public Gradio share link; needs a login.")
@click.option(
    "--share-public",
    is_flag=True,
    help="Allow --share without a login: anyone with the link can read your documents.",
)
@click.option(
    "--auth",
    "auth_pairs",
    multiple=True,
    metavar="USER:PASSWORD",
    help="Require this login (repeat for more users).",
)
@click.option(
    "--auth-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File of user:password lines (# starts a comment) to require as logins.",
)
@click.option("--no-ingest", is_flag=True, help="Do not ingest the corpus folder at start.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Questions answered in parallel.",
)
@fail_cleanly()
def serve_command(
    host: str | None,
    port: int,
    share: bool,
    share_public: bool,
    auth_pairs: tuple[str, ...],
    auth_file: Path | None,
    no_ingest: bool,
    concurrency: int,
) -> None:
    """Start the web chat, with the corpus folder ingested.

    Opens on http://127.0.0.1:7860 by default. Documents uploaded in the page are kept under the
    data folder (uploads/), feedback in feedback.jsonl there. The /ask API endpoint answers
    gradio_client calls.
    """
    began = time.perf_counter()
    credentials = parse_auth(auth_pairs, auth_file)
    check_sharing(share, share_public, credentials)
    if host is None:
        host = ALL_INTERFACES if share else LOCAL
    if share and not credentials:
        click.echo(
            "warning: --share-public: anyone with the link can read your documents.", err=True
        )
    settings = load_settings()
    served = launch(
        settings,
        host=host,
        port=port,
        share=share,
        credentials=credentials,
        ingest=not no_ingest,
        concurrency=concurrency,
        quiet=True,
    )
    _announce(served, share, began)
    sys.stdout.flush()
    try:
        served.demo.block_thread()
    finally:
        served.close()
