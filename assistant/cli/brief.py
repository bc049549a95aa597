"""`briefing brief`: a one-page, fully cited briefing of the library, a document or a topic."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .common import fail_cleanly, load_settings

# A scope of more documents than this shows a progress bar while they are read.
PROGRESS_FROM = 20


class _ReadProgress:
    """A progress callback for Engine.brief: a bar on stderr while many documents are read."""

    def __init__(self) -> None:
        self._bar: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != "read" or total < PROGRESS_FROM:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="doc", desc="reading", file=sys.stderr)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


@click.command("brief")
@click.option("--topic", help='Brief on a topic ("the troop deployment"), not the whole library.')
@click.option("--doc", "doc", metavar="ID|PATH", help="Brief on one document (id or path).")
@click.option("--json", "as_json", is_flag=True, help="Print the briefing as JSON.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the briefing as Markdown to this file.",
)
@click.option(
    "--since-last", is_flag=True, help="Show only what changed since the last briefing of it."
)
@fail_cleanly()
def brief_command(
    topic: str | None, doc: str | None, as_json: bool, out: Path | None, since_last: bool
) -> None:
    """Brief me: key points, people, places, timeline, numbers, claims, what is unconfirmed and
    what the documents do not say, every line cited to its document, paragraph and offsets.

    Each briefing is saved; the next one of the same scope marks new and changed lines and
    names the documents that left (--since-last shows only those).
    """
    from ..brief.history import dump_briefing
    from ..brief.markdown import to_markdown
    from ..engine import build_engine
    from ..errors import BadInput

    if out is not None and not out.parent.is_dir():
        raise BadInput(f"--out {out}: the folder {out.parent} does not exist.")
    engine = build_engine(load_settings())
    progress = _ReadProgress()
    try:
        briefing = engine.brief(topic=topic, doc=doc, since_last=since_last, progress=progress)
    finally:
        progress.close()
    markdown = to_markdown(briefing)
    if out is not None:
        try:
            out.write_text(markdown, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"--out {out}: cannot write it ({exc.strerror}).") from exc
    if as_json:
        click.echo(dump_briefing(briefing))
        return
    click.echo(markdown, nl=False)
    if out is not None:
        click.echo(f"\nSaved as Markdown to {out}.", err=True)
