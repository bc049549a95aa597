"""`briefing eval` and `briefing evalset`: loaded lazily by the CLI (assistant/cli), so heavy
imports (the engine, models, reports) happen inside the commands. Domain errors end here: one
line on stderr, exit code 2 for bad input and 1 for failures, 1 too when a quality gate fails."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import click

from ..cli.common import ProgressBar, fail_cleanly, load_settings
from ..errors import BadInput


@click.command(name="eval")
@click.argument("question_set", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--corpus",
    type=click.Path(file_okay=False, path_type=Path),
    help="Ingest this folder into a temporary collection and evaluate against it "
    "(your own store is never touched). Without it, the configured store is searched.",
)
@click.option(
    "-k", "--k", "k", type=click.IntRange(1, 100), help="Passages retrieved per question."
)
@click.option(
    "--retriever", type=click.Choice(["hybrid", "dense", "bm25"]), help="Retrieval method."
)
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the whole run (summary, per kind, per question) as JSON.")  # fmt: skip
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a self-contained HTML report.")  # fmt: skip
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A previous --json run: show metric deltas and the questions that got worse or better.",
)
@click.option("--fail-under", multiple=True, metavar="METRIC=VALUE",
              help="Exit 1 when METRIC is below VALUE (repeatable), e.g. answer_pass_rate=0.8.")  # fmt: skip
@click.option("--fail-over", multiple=True, metavar="METRIC=VALUE",
              help="Exit 1 when METRIC is above VALUE (repeatable), e.g. errors=0.")  # fmt: skip
@click.option("--group-by", multiple=True, metavar="FIELD",
              help="Also break metrics down by this field of the question set (repeatable).")  # fmt: skip
@click.option("--limit", type=click.IntRange(1), help="Ask only the first N questions.")
@click.option(
    "--judge",
    is_flag=True,
    help="Also grade answers with the configured OpenAI-compatible LLM "
    "(BRIEFING_LLM_BASE_URL): correctness against `reference`, faithfulness to the citations.",
)
@fail_cleanly()
def eval_command(
    question_set: Path,
    corpus: Path | None,
    k: int | None,
    retriever: Any,
    json_out: Path | None,
    html_out: Path | None,
    baseline: Path | None,
    fail_under: tuple[str, ...],
    fail_over: tuple[str, ...],
    group_by: tuple[str, ...],
    limit: int | None,
    judge: bool,
) -> None:
    """Evaluate the assistant on QUESTION_SET (JSON Lines or YAML).

    Asks every question, scores retrieval, answers, citations and abstention, prints a summary
    table and optionally writes JSON and HTML reports. Malformed lines are reported with their
    line number and skipped; a question that fails becomes an error row. Exit code 1 when a
    --fail-under/--fail-over gate fails, 2 for bad input.
    """
    from . import gates
    from .questions import load_questions
    from .results import load_run

    # Everything the user typed is checked before any model loads.
    checks = gates.parse(fail_under, "under") + gates.parse(fail_over, "over")
    loaded = load_questions(question_set)
    if limit:
        loaded.questions = loaded.questions[:limit]
    for problem in loaded.problems:
        click.echo(f"{question_set}:{problem.line}: skipped: {problem.message}", err=True)
    previous = load_run(baseline) if baseline else None
    settings = load_settings()
    grader = None
    if judge:
        from .judges import LLMJudge

        grader = LLMJudge(settings)

    from .compare import compare
    from .report_text import summary_table
    from .runner import run_eval

    ingest_seconds = None
    with ExitStack() as stack:
        if corpus is not None:
            engine, ingest_seconds = stack.enter_context(_corpus_engine(settings, corpus))
        else:
            from ..engine import build_engine

            engine = build_engine(settings)
        bar = stack.enter_context(_progress(len(loaded.questions)))
        run = run_eval(
            engine,
            loaded,
            k=k,
            retriever=retriever,
            group_by=group_by,
            judge=grader,
            progress=bar,
        )
    if ingest_seconds is not None:
        run.corpus["ingest_seconds"] = round(ingest_seconds, 1)
    if previous is not None:
        run.comparison = compare(run, previous)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(run.model_dump_json(indent=1), encoding="utf-8")
    if html_out:
        from .report_html import render

        html_out.parent.mkdir(parents=True, exist_ok=True)
        html_out.write_text(render(run), encoding="utf-8")
    click.echo(summary_table(run))
    if loaded.problems:
        click.echo(f"\n{len(loaded.problems)} malformed entries skipped (listed on stderr).")
    failed = gates.check(checks, run.summary)
    for message in failed:
        click.echo(f"gate failed: {message}", err=True)
    if failed:
        sys.exit(1)


@contextmanager
def _corpus_engine(settings: Any, corpus: Path) -> Iterator[tuple[Any, float]]:
    from .runner import corpus_engine

    bar = ProgressBar("indexing corpus")
    with corpus_engine(settings, corpus, progress=bar) as (engine, report):
        bar.close()
        for skipped in report.skipped:
            click.echo(f"corpus: skipped {skipped.path}: {skipped.reason}", err=True)
        yield engine, report.seconds


@contextmanager
def _progress(total: int) -> Iterator[Any]:
    from tqdm import tqdm

    bar = tqdm(total=total, unit="q", desc="evaluating", file=sys.stderr)
    passed = errors = 0

    def update(result: Any) -> None:
        nonlocal passed, errors
        passed += bool(result.metrics.answer_pass)
        errors += result.error is not None
        bar.update(1)
        bar.set_postfix(passed=passed, errors=errors, refresh=False)

    try:
        yield update
    finally:
        bar.close()


@click.group(name="evalset")
def evalset_command() -> None:
    """Build corpora and question sets for `briefing eval` from public benchmarks."""


@evalset_command.command(name="squad")
@click.argument("squad_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write corpus/ and questions.jsonl into (keep it out of git).")  # fmt: skip
@click.option("--limit", type=click.IntRange(1),
              help="Keep a sample of N questions (seeded, spread over the whole file).")  # fmt: skip
@click.option("--articles", type=click.IntRange(1), help="Keep only the first N articles.")
@click.option("--seed", default=0, show_default=True, help="Seed of the --limit sample.")
def squad_command(
    squad_file: Path, out: Path, limit: int | None, articles: int | None, seed: int
) -> None:
    """Turn a SQuAD v1.1 or v2.0 JSON file into a corpus folder and a question set.

    One document per article with its paragraphs kept as paragraphs; gold answers become
    `must_include` alternatives, the sentence holding the answer becomes `sources`, and v2.0
    unanswerable questions become `answerable: false`.
    """
    with fail_cleanly():
        from .squad import convert

        if out.exists() and not out.is_dir():
            raise BadInput(f"--out {out} exists and is not a folder.")
        made = convert(squad_file, out, limit=limit, articles=articles, seed=seed)
        click.echo(
            f"{made.documents} documents ({made.paragraphs} paragraphs) in {made.corpus_dir}\n"
            f"{made.questions} questions ({made.unanswerable} unanswerable) in "
            f"{made.questions_file}\n"
            f"Run: briefing eval {made.questions_file} --corpus {made.corpus_dir}"
        )
