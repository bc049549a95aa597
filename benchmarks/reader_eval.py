"""Issue 13's figures: the answer modes (extractive, reader) end to end, through Engine.ask and
the evaluation's own runner and metrics.

    .venv/bin/python benchmarks/reader_eval.py set QUESTIONS --corpus DIR
        [--mode extractive,reader] [--depth N] [--first N] [--limit N] [--json OUT]
    .venv/bin/python benchmarks/reader_eval.py depth [--questions evals/bbc.jsonl]
        [--corpus ../shared/data/bbc-news] [--depths 5,10,20] [--limit N] [--json OUT]
    .venv/bin/python benchmarks/reader_eval.py squad --version 2|1 [--limit N] [--seed 0]
        [--mode ...] [--depth N] [--json OUT]

`set` prints a question set's summary per answer mode. `depth` is the table for choosing
`reader_depth` (passages the reader reads and reranks; `top_k` of them are shown): recall of
the gold in the retriever's top depth, the reader's pass and abstention figures and latency,
under the extractive mode as reference. `squad` asks the held-out questions of
training/split.py (v2: the dev-v2.0 articles at positions 0, 5, ..., 30; v1: the 13 articles
only v1.1 has) with the WHOLE SQuAD file as the corpus, every other article a distractor;
--limit keeps a seeded sample of them, in file order.

Each corpus is ingested once into data/bench/<name>/ (seed, bbc, squad-v2, squad-v1, else the
folder's name and a hash of its path); later runs reuse it through the ingest itself, which
embeds only what changed or was built with another ingest format. SQuAD articles become
documents under data/bench/squad-v<N>/squad/corpus (git-ignored) through
assistant.evaluation.squad, the converter of `briefing evalset squad`. A mode that cannot be
built (the reader's model not shipped yet) is reported and the other modes still run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from common import BBC, ROOT, SHARED, median, setup_path

BENCH_DATA = ROOT / "data" / "bench"
SEED_CORPUS = ROOT / "corpus"
MODES = ("extractive", "reader")
RETRIEVER_K = 5  # the retriever's own recall@5, whatever top_k the modes show

# (label, summary key) in print order; a row no mode has a value for is left out.
# fmt: off
ROWS = [
    ("questions", "questions"), ("answerable / unanswerable", "answerable"),
    ("source recall@1 (shown)", "source_recall_at_1"),
    ("source recall@k (shown)", "source_recall_at_k"),
    ("retriever recall@5", "retriever_recall_at_5"),
    ("retriever recall@depth", "retriever_recall_at_depth"),
    ("answer pass", "answer_pass_rate"), ("key facts", "key_fact_recall"),
    ("citation hit", "citation_hit_rate"), ("citation validity", "citation_validity"),
    ("abstain accuracy", "abstain_accuracy"), ("false abstain", "false_abstain_rate"),
    ("must-not violations", "must_not_violations"), ("EM", "exact_match"), ("F1", "f1"),
    ("HasAns EM", "has_ans_exact_match"), ("HasAns F1", "has_ans_f1"),
    ("NoAns accuracy", "no_ans_accuracy"),
    ("paragraph hit@1 (shown top)", "paragraph_hit_at_1"),
    ("paragraph hit@1 (retriever top)", "retriever_paragraph_hit_at_1"),
    ("latency p50", "latency_p50"), ("latency p95", "latency_p95"), ("errors", "errors"),
]
# fmt: on
DEPTH_COLUMNS = [
    ("recall@depth", "retriever_recall_at_depth"),
    ("pass", "answer_pass_rate"),
    ("abstain acc", "abstain_accuracy"),
    ("false abst", "false_abstain_rate"),
    ("ask p50", "latency_p50"),
    ("ask p95", "latency_p95"),
    ("retrieve p50", "latency_retrieve_p50"),
]  # fmt: skip


class Unavailable(Exception):
    """An answer mode this checkout cannot build; the message says why."""


def store_name(corpus: Path) -> str:
    corpus = corpus.resolve()
    known = {SEED_CORPUS.resolve(): "seed", BBC.resolve(): "bbc"}
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", corpus.name).strip("-") or "corpus"
    return known.get(corpus) or f"{slug}-{hashlib.sha256(str(corpus).encode()).hexdigest()[:8]}"


class Bench:
    """A corpus's store under data/bench/<name>, brought up to date once, and an engine per
    answer mode over it, all sharing one embedding model."""

    def __init__(self, name: str, corpus: Path, first: int | None = None) -> None:
        from assistant.cli.common import ProgressBar
        from assistant.engine import build_engine

        self.store = BENCH_DATA / name
        self.overrides = {"data_dir": self.store, "corpus_dir": corpus.resolve()}
        # Named, not defaulted: the default answer mode is not the extractive one.
        self.base = build_engine(self.settings(answer_mode="extractive"))
        # --first: the reader's first read (0: all of its depth at once); default the tuning's.
        self.tuning = self.base.tuning
        if first is not None:
            reader = replace(self.tuning.reader, first=first or None)
            self.tuning = replace(self.tuning, reader=reader)
        bar = ProgressBar(f"ingesting {name}")
        report = self.base.ingest([corpus], bar)
        bar.close()
        print(
            f"store {self.store.relative_to(ROOT)}: {len(report.unchanged)} documents "
            f"unchanged, {len(report.added) + len(report.updated)} new or changed, "
            f"{len(report.removed)} removed, {len(report.skipped)} skipped; "
            f"{report.chunks_embedded} chunks embedded; ready in {report.seconds:.1f} s",
            flush=True,
        )

    def settings(self, **updates: Any) -> Any:
        from assistant.config import Settings

        # Always the embedded store under data/bench, never a configured Chroma server.
        return Settings(**self.overrides, chroma_host=None, **updates)

    def engine(self, mode: str, depth: int | None = None) -> Any:
        """An engine answering in ``mode`` with its answerer (and model) loaded, or Unavailable."""
        from pydantic import ValidationError

        from assistant.engine import build_engine
        from assistant.errors import ConfigError

        if mode == "extractive":
            return self.base
        try:
            settings = self.settings(answer_mode=mode, **({"reader_depth": depth} if depth else {}))
        except ValidationError as exc:
            raise Unavailable(f"not a valid setting here: {exc.errors()[0]['msg']}") from None
        engine = build_engine(settings, self.base.embedder(), self.tuning)
        try:
            answerer = engine.answerer()
            # The reader mode quotes with the sentence scorer while its model is missing (with
            # a notice): load the model now, or those figures would pass for the reader's.
            if callable(load := getattr(answerer, "reader", None)):
                load()
        except ConfigError as exc:  # ReaderUnavailable is one
            raise Unavailable(f"{type(exc).__name__}: {exc}") from exc
        return engine


# --- figures -----------------------------------------------------------------------------------
def retrieved(engine: Any, question: Any, k: int) -> tuple[list[Any], float]:
    """The retriever's top k for a question, asked with the query the engine itself sends."""
    from assistant import conversation

    query = conversation.retrieval_query(
        engine.check_question(question.question),
        conversation.turns(question.history),
        engine.prompts.render("abstain"),
    )
    began = time.perf_counter()
    passages = engine.retriever.retrieve(query, k=k)
    return passages, time.perf_counter() - began


def recall(question: Any, passages: list[Any]) -> float | None:
    """The evaluation's own source_recall_at_k over these passages (gold snippets, else gold
    documents); None for a question without gold evidence or without an answer."""
    from assistant.evaluation import metrics
    from assistant.types import Answer

    held = [metrics.sources_held(question, p.text) for p in passages]
    probe = Answer(question=question.question, text="", passages=passages, abstained=True)
    return metrics.score(question, probe, held).source_recall_at_k


def paragraph_hit(passage: Any, question: Any, files: dict[str, str]) -> float:
    """1.0 when a passage is (part of) the SQuAD paragraph the question was written on."""
    paragraph = int(question.extra["paragraph"])
    return float(
        Path(passage.source).name == files[question.extra["article"]]
        and passage.paragraph_start <= paragraph <= passage.paragraph_end
    )


def retriever_figures(engine: Any, questions: list[Any], depth: int, files: Any) -> dict:
    """Retrieval alone, before any answer mode reranks: recall@5, recall and latency at depth,
    and (SQuAD) whether its top passage is the question's paragraph."""
    from assistant.evaluation.metrics import mean

    at5, at_depth, seconds, top = [], [], [], []
    for question in questions:
        passages, _ = retrieved(engine, question, RETRIEVER_K)
        at5.append(recall(question, passages))
        if files is not None and passages:
            top.append(paragraph_hit(passages[0], question, files))
        passages, spent = retrieved(engine, question, depth)
        at_depth.append(recall(question, passages))
        seconds.append(spent)
    return {
        "retriever_recall_at_5": mean(at5),
        "retriever_recall_at_depth": mean(at_depth),
        "retriever_paragraph_hit_at_1": mean(top) if files is not None else None,
        "latency_retrieve_p50": median(seconds),  # not a summary figure: see evaluate()
    }


def evaluate(bench: Bench, questions: Any, modes: list[str], depth: int | None, files: Any = None):
    """(each measured mode's EvalRun, why each other mode was not measured, the retriever's
    figures at the reader's depth). The retriever's figures join each run's summary."""
    from tqdm import tqdm

    from assistant.errors import ConfigError
    from assistant.evaluation.brief_rows import is_briefing
    from assistant.evaluation.metrics import mean
    from assistant.evaluation.runner import run_eval

    runs, unavailable = {}, {}
    for mode in modes:
        bar = tqdm(total=len(questions.questions), unit="q", desc=mode, file=sys.stderr)
        try:
            engine = bench.engine(mode, depth if mode == "reader" else None)
            runs[mode] = run = run_eval(engine, questions, progress=lambda _, b=bar: b.update(1))
        except (Unavailable, ConfigError) as exc:  # ConfigError: a reader loaded lazily
            unavailable[mode] = str(exc)
            print(f"{mode} mode: UNAVAILABLE, its figures are skipped: {exc}", flush=True)
            continue
        finally:
            bar.close()
        if files is not None:
            pairs = zip(run.results, questions.questions)
            hits = [paragraph_hit(r.retrieved[0], q, files) for r, q in pairs if r.retrieved]
            run.summary["paragraph_hit_at_1"] = mean(hits)
        if mode == "reader":
            run.options["reader_depth"] = engine.reader_tuning().depth
    read_depth = depth or bench.base.reader_tuning().depth
    asked = [q for q in questions.questions if not is_briefing(q)]
    extra = retriever_figures(bench.base, asked, read_depth, files)
    for run in runs.values():  # the recall figures; a latency would read as "higher is better"
        run.summary |= {k: v for k, v in extra.items() if k.startswith("retriever_")}
        run.options |= {"retriever_depth": read_depth, "store": str(bench.store)}
    return runs, unavailable, extra | {"depth": read_depth}


def table(header: list[str], rows: list[list[str]], first: int = 34) -> str:
    lines = [header, *rows]
    return "\n".join(f"{r[0]:<{first}}" + "".join(f"{c:>14}" for c in r[1:]) for r in lines)


def report(title: str, bench: Bench, questions: Any, args: Any, files: Any = None) -> None:
    """Each mode's figures side by side, and the --json files."""
    from assistant.evaluation.report_text import fmt

    runs, _, extra = evaluate(bench, questions, modes_of(args.mode), args.depth, files)
    write_runs(args.json, runs)
    if not runs:
        print(f"\n{title}: no answer mode could be measured")
        return
    rows = []
    for label, key in ROWS:
        if all(run.summary.get(key) is None for run in runs.values()):
            continue
        if key == "answerable":
            cells = [f"{r.summary[key]} / {r.summary['unanswerable']}" for r in runs.values()]
        else:
            cells = [fmt(run.summary.get(key), key) for run in runs.values()]
        rows.append([label, *cells])
    print(f"\n{title}\n" + table(["figure", *runs], rows))
    options = next(iter(runs.values())).options
    reader = f"reader depth {runs['reader'].options['reader_depth']}, " if "reader" in runs else ""
    print(
        f"(k={options['k']} shown, retriever={options['retriever']}, {reader}retriever recall at "
        f"depth {extra['depth']}; questions took "
        + ", ".join(f"{mode} {run.seconds:.1f} s" for mode, run in runs.items())
        + f"; load average {os.getloadavg()[0]:.1f})"
    )


def write_runs(out: Path | None, runs: dict[str, Any]) -> None:
    """One `briefing eval --json` file per measured mode (usable as its --baseline)."""
    if out is None or not runs:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    for mode, run in runs.items():
        path = out if len(runs) == 1 else out.with_name(f"{out.stem}-{mode}{out.suffix}")
        path.write_text(run.model_dump_json(indent=1), encoding="utf-8")
        print(f"wrote {path}")


# --- question sets -----------------------------------------------------------------------------
def load_set(path: Path, limit: int | None) -> Any:
    from assistant.evaluation.questions import load_questions

    loaded = load_questions(path)
    for problem in loaded.problems:
        print(f"{path}:{problem.line}: skipped: {problem.message}", file=sys.stderr)
    if limit:
        loaded.questions = loaded.questions[:limit]
    return loaded


def squad_questions(
    version: int, out: Path, limit: int | None = None, seed: int = 0
) -> tuple[Path, Any, dict[str, str]]:
    """(corpus folder, held-out question set, article title -> document file name).

    The whole SQuAD file becomes the corpus (converted into ``out``); the questions are those
    of training/split.py's held-out articles, or a seeded sample of ``limit`` of them.
    """
    from assistant.evaluation.questions import QuestionSet, load_questions
    from assistant.evaluation.squad import convert, document_file_name
    from training import split

    squad_file = split.V2 if version == 2 else split.V1
    held_v2, only_v1 = split.held_out_titles()
    held = set(held_v2 if version == 2 else only_v1)
    made = convert(squad_file, out)
    rows = [q for q in load_questions(made.questions_file).questions if q.extra["article"] in held]
    if limit and limit < len(rows):
        rows = [rows[i] for i in sorted(random.Random(seed).sample(range(len(rows)), limit))]
    taken: set[str] = set()  # the names convert() gave, in its order
    titles = [str(a.get("title", "untitled")) for a in json.loads(squad_file.read_bytes())["data"]]
    files = {title: document_file_name(title, taken) for title in titles}
    chosen = QuestionSet(
        path=f"{squad_file} held-out v{version} ({len(held)} articles, limit {limit}, seed {seed})",
        sha256=hashlib.sha256("\n".join(q.id for q in rows).encode()).hexdigest(),
        questions=rows,
    )
    return made.corpus_dir, chosen, files


# --- subcommands -------------------------------------------------------------------------------
def absent(*paths: Path) -> bool:
    """Say so and why when a path the command needs (the shared data above all) is missing."""
    for path in paths:
        if not path.exists():
            why = "../shared/data is absent" if not SHARED.is_dir() else f"{path} is absent"
            print(f"skipped: {why} ({path})")
            return True
    return False


def modes_of(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    if not modes or any(m not in MODES for m in modes):
        raise SystemExit(f"--mode takes {' and/or '.join(MODES)}, comma-separated, not {text!r}")
    return modes


def cmd_set(args: argparse.Namespace) -> None:
    if absent(args.questions, args.corpus):
        return
    questions = load_set(args.questions, args.limit)
    bench = Bench(store_name(args.corpus), args.corpus, args.first)
    report(f"{args.questions} over {args.corpus}", bench, questions, args)


def cmd_squad(args: argparse.Namespace) -> None:
    from training import split

    if absent(split.V2, split.V1):
        return
    name = f"squad-v{args.version}"
    corpus, questions, files = squad_questions(
        args.version, BENCH_DATA / name / "squad", args.limit, args.seed
    )
    bench = Bench(name, corpus, args.first)
    report(f"SQuAD v{args.version} held-out: {questions.path}", bench, questions, args, files)


def cmd_depth(args: argparse.Namespace) -> None:
    from assistant.evaluation.report_text import fmt

    if absent(args.questions, args.corpus):
        return
    questions = load_set(args.questions, args.limit)
    bench = Bench(store_name(args.corpus), args.corpus, args.first)
    top_k = bench.base.settings.top_k
    # The reference: the extractive mode, which reads the k passages it shows.
    rows = [(f"extractive k={top_k}", *evaluate(bench, questions, ["extractive"], top_k))]
    for depth in [int(d) for d in args.depths.split(",")]:
        rows.append((f"reader depth {depth}", *evaluate(bench, questions, ["reader"], depth)))
    lines, kept = [], []
    for name, runs, unavailable, extra in rows:
        values = {**(next(iter(runs.values())).summary if runs else {}), **extra}
        lines.append([name, *(fmt(values.get(key), key) for _, key in DEPTH_COLUMNS)])
        kept.append({"row": name, "figures": values, "unavailable": unavailable})
    print(f"\nreader depth over {args.corpus}, {len(questions.questions)} of {args.questions}")
    print(table(["", *(label for label, _ in DEPTH_COLUMNS)], lines, first=22))
    print(
        "(recall@depth: the gold article or snippet in the retriever's top depth passages; "
        f"retrieve p50: the retriever alone at that depth; load average {os.getloadavg()[0]:.1f})"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(kept, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    setup_path()
    os.environ.setdefault("BRIEFING_ENV_FILE", "")  # a developer's .env never shapes the figures
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--limit", type=int, help="set, depth: the first N questions; squad: a seeded sample"
    )
    common.add_argument(
        "--first",
        type=int,
        help="passages the reader reads before deciding to read the rest (0: all at once)",
    )
    common.add_argument(
        "--json", type=Path, help="write the figures (set, squad: a briefing eval run per mode)"
    )
    answers = argparse.ArgumentParser(add_help=False)
    answers.add_argument("--mode", default="extractive", help="extractive and/or reader")
    answers.add_argument("--depth", type=int, help="reader_depth (default: the setting's)")
    one = sub.add_parser("set", parents=[common, answers], help="a set's summary per mode")
    one.add_argument("questions", type=Path)
    one.add_argument("--corpus", type=Path, required=True)
    one.set_defaults(run=cmd_set)
    deep = sub.add_parser("depth", parents=[common], help="the table to choose the depth")
    deep.add_argument("--questions", type=Path, default=ROOT / "evals" / "bbc.jsonl")
    deep.add_argument("--corpus", type=Path, default=BBC)
    deep.add_argument("--depths", default="5,10,20")
    deep.set_defaults(run=cmd_depth)
    squad = sub.add_parser("squad", parents=[common, answers], help="held-out SQuAD, whole file")
    squad.add_argument("--version", type=int, choices=[1, 2], required=True)
    squad.add_argument("--seed", type=int, default=0, help="seed of the --limit sample")
    squad.set_defaults(run=cmd_squad)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    args.run(args)
    print(f"total {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
