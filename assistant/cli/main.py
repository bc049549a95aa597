"""The `briefing` command line. Help text comes from the docstrings; domain errors become one
line on stderr with exit code 2 for bad input and 1 for other failures."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click

from ..config import Settings
from .common import ProgressBar, fail_cleanly, load_settings


def _engine(settings: Settings, *, check_model: bool = True) -> Any:
    from ..engine import build_engine

    return build_engine(settings, check_model=check_model)


class _LazyGroup(click.Group):
    """Commands that live in other modules are imported only when used (or listed)."""

    lazy = {
        "brief": "assistant.cli.brief:brief_command",
        "eval": "assistant.evaluation.cli:eval_command",
        "evalset": "assistant.evaluation.cli:evalset_command",
        "serve": "assistant.web.serve:serve_command",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            import importlib

            module, attr = self.lazy[name].split(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (to stderr).")
def main(verbose: bool) -> None:
    """Briefing Assistant: cited answers about your documents, offline by default."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--rebuild", is_flag=True, help="Drop the collection first and embed everything again."
)
@fail_cleanly()
def ingest(paths: tuple[Path, ...], rebuild: bool) -> None:
    """Index files and folders (default: the corpus folder).

    Reads .txt, .md, .html and .pdf. Unchanged files are skipped without any model work, changed
    files replace their chunks, and files removed from an ingested folder are pruned.
    """
    settings = load_settings()
    if not paths and not settings.corpus_dir.is_dir():
        from ..errors import BadInput

        raise BadInput(
            f"The corpus folder {settings.corpus_dir} does not exist: name the files or "
            "folders to index (`briefing ingest PATH ...`), or set BRIEFING_CORPUS_DIR."
        )
    # --rebuild is what a store of another embedding model needs: it must open to be dropped.
    engine = _engine(settings, check_model=not rebuild)
    if rebuild:
        engine.rebuild()
    bar = ProgressBar()
    try:
        report = engine.ingest(list(paths) or None, progress=bar)
    finally:
        bar.close()
    click.echo(
        f"{len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed, "
        f"{len(report.skipped)} skipped; {report.chunks_embedded} chunks embedded "
        f"in {report.seconds:.1f} s."
    )
    for skipped in report.skipped:
        click.echo(f"skipped {skipped.path}: {skipped.reason}", err=True)


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the whole Answer as JSON.")
@click.option("-k", "--top-k", type=click.IntRange(1, 100), help="Passages to retrieve.")
@click.option(
    "--retriever", type=click.Choice(["hybrid", "dense", "bm25"]), help="Retrieval method."
)
@click.option(
    "--history",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON file of earlier turns: [{"role": "user", "content": "..."}, ...].',
)
@fail_cleanly()
def ask(
    question: str, as_json: bool, top_k: int | None, retriever: str | None, history: Path | None
) -> None:
    """Answer QUESTION from the indexed documents, citing the passages used."""
    from ..errors import BadInput

    turns = []
    if history:
        try:
            turns = json.loads(history.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadInput(f"--history {history} is not a JSON list of turns: {exc}") from exc
    settings = load_settings(top_k=top_k, retriever=retriever)
    engine = _engine(settings)
    engine.check_question(question)  # bad input fails before any model loads
    answer = engine.ask(question, turns)
    if as_json:
        click.echo(answer.model_dump_json(indent=2))
        return
    from .output import answer_as_text

    click.echo(answer_as_text(answer))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@fail_cleanly()
def sources(as_json: bool) -> None:
    """List what is indexed: documents, chunks and the embedding model."""
    engine = _engine(load_settings())
    documents = engine.documents()
    status = engine.status()
    if as_json:
        payload = {
            "store": status.location,
            "collection": status.collection,
            "embedding_model": status.embedding_model,
            "chunks": status.chunks,
            "documents": [d.model_dump() for d in documents],
        }
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo(
        f"{status.location}, collection {status.collection!r}, model {status.embedding_model}"
    )
    click.echo(f"{len(documents)} documents, {status.chunks} chunks")
    for doc in documents:
        click.echo(f"  {doc.chunks:4d} chunks  {doc.ingested_at}  {doc.title}  ({doc.source})")


@main.command(name="export-onnx")
@click.option("--force", is_flag=True, help="Export again even if an up-to-date export exists.")
@fail_cleanly()
def export_onnx(force: bool) -> None:
    """Export the embedding model to ONNX once, for fast start-up (needs torch, not the network).

    The export goes to BRIEFING_CACHE_DIR and is used when BRIEFING_EMBEDDING_BACKEND is
    `auto` (the default) or `onnx`. Both backends give the same vectors, so a collection built
    with one can be queried with the other.
    """
    from ..models.onnx_export import export_onnx as export

    path = export(load_settings(), force=force)
    click.echo(f"ONNX model ready: {path}")


@main.command(name="settings")
@fail_cleanly()
def show_settings() -> None:
    """Every setting with its environment variable, default and meaning, and its value where
    the environment or .env sets it otherwise."""
    from ..config import describe_settings

    for env, default, description, now in describe_settings(load_settings()):
        click.echo(f"{env}  (default: {default})\n    {description}")
        if now is not None:
            click.echo(f"    now: {now}")
