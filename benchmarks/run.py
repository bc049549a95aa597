"""Performance and scale of the Briefing Assistant against the naive tutorial pipeline and the
embedding model's own limit: one command, a table of medians, and a JSON file.

    .venv/bin/python benchmarks/run.py [--runs 3] [--ingest-runs N] [--questions 300]
                                       [--json benchmarks/results.json] [--skip-bbc]

Every figure is the median over --runs fresh processes (--ingest-runs for the BBC-scale ingests,
which take minutes each), measured in the same run as the reference so ratios hold even on a
shared, noisy machine. Seed scale: corpus/ (the seed article). BBC scale: the 2,225 BBC
articles in ../shared/data/bbc-news, then the SQuAD v1.1 dev paragraphs (48 articles) mixed in
as distractors and a seeded sample of SQuAD questions for source recall. Where that data is
absent the BBC rows are skipped with a message. Nothing is written to the repository except
the JSON file; the texts are read in place and the stores live in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BBC, ROOT, SEED_QUESTIONS, SQUAD, chroma_server, run_worker, setup_path  # noqa: E402
from report import summarise, table  # noqa: E402

setup_path()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    import os

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    versions = {}
    for package in ("onnxruntime", "torch", "chromadb", "llama-index-core", "gradio"):
        try:
            from importlib.metadata import version

            versions[package] = version(package)
        except Exception:
            versions[package] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "load_average_at_start": list(os.getloadavg()),
        "versions": versions,
    }


def seed_questions(work: Path, count: int) -> Path:
    """The seed evaluation set (with gold sources) plus distinct latency questions."""
    from ask_latency import questions

    rows = [json.loads(line) for line in SEED_QUESTIONS.open(encoding="utf-8") if line.strip()]
    seen = {row["question"] for row in rows}
    rows += [{"question": q} for q in questions(count) if q not in seen]
    path = work / "seed-questions.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows[:count]), encoding="utf-8")
    return path


def bbc_corpus(work: Path, limit: int | None) -> Path:
    """The BBC folder itself, or (for a quick trial) links to its first `limit` articles."""
    if not limit:
        return BBC
    folder = work / "bbc-sample"
    folder.mkdir()
    for path in sorted(BBC.glob("*/*.txt"))[:limit]:
        (folder / f"{path.parent.name}-{path.name}").symlink_to(path)
    return folder


def repeat(label: str, runs: int, measure: Any) -> list[dict[str, Any]]:
    results = []
    for i in range(runs):
        log(f"{label} ({i + 1}/{runs})")
        results.append(measure(i))
    return results


def seed_scale(work: Path, runs: int, questions: Path) -> dict[str, Any]:
    from startup import app_start, cli_ask, cli_help

    corpus = [str(ROOT / "corpus")]
    out: dict[str, Any] = {"raw_onnx": [], "raw_torch": [], "ingest": [], "naive": []}
    for i in range(runs):
        log(f"seed scale: model limit, ingest, naive pipeline ({i + 1}/{runs})")
        out["raw_onnx"].append(run_worker("workers.py", "raw_onnx", paths=corpus))
        out["raw_torch"].append(run_worker("workers.py", "raw_torch", paths=corpus))
        out["ingest"].append(
            run_worker("workers.py", "ingest", data_dir=work / f"seed-{i}", paths=corpus)
        )
        out["naive"].append(
            run_worker(
                "naive.py",
                "naive",
                data_dir=work / f"naive-seed-{i}",
                paths=corpus,
                questions=questions,
            )
        )
    store = work / "seed-0"
    out["reingest"] = repeat(
        "seed re-ingest",
        runs,
        lambda _: run_worker("workers.py", "reingest", data_dir=store, paths=corpus),
    )
    out["query"] = repeat(
        "seed queries",
        runs,
        lambda _: run_worker("workers.py", "query", data_dir=store, questions=questions),
    )
    out["query_1_thread"] = repeat(
        "seed queries, BRIEFING_TORCH_THREADS=1",
        runs,
        lambda _: run_worker("workers.py", "query", data_dir=store, questions=questions, threads=1),
    )
    out["naive_one_shot"] = repeat(
        "naive one-shot query",
        runs,
        lambda _: run_worker(
            "naive.py",
            "naive",
            data_dir=work / "naive-seed-0",
            paths=corpus,
            questions=questions,
            limit=1,
        ),
    )
    question = "How many North Korean troops are expected to take part?"
    out["cli_help_s"] = repeat("briefing --help", runs, lambda _: cli_help())
    out["cli_ask_s"] = repeat("briefing ask", runs, lambda _: cli_ask(store, question))
    out["app"] = repeat(
        "app start",
        runs,
        lambda _: app_start(store, ROOT / "corpus", question, work / "app.log"),
    )
    try:
        with chroma_server(work / "server-seed", work / "chroma.log") as port:
            log("seed scale, Chroma server: ingest")
            out["server_ingest"] = run_worker(
                "workers.py",
                "ingest",
                data_dir=work / "seed-server-data",
                paths=corpus,
                chroma_port=port,
            )
            out["server_query"] = repeat(
                "seed queries, Chroma server",
                runs,
                lambda _: run_worker(
                    "workers.py",
                    "query",
                    data_dir=work / "seed-server-data",
                    questions=questions,
                    chroma_port=port,
                ),
            )
    except RuntimeError as exc:
        log(f"Chroma server mode skipped: {exc}")
        out["server_skipped"] = str(exc)
    return out


def bbc_scale(
    work: Path,
    runs: int,
    ingest_runs: int,
    questions: Path,
    squad: Path,
    bbc: Path,
    torch_sample: int,
) -> dict[str, Any]:
    from startup import app_start, cli_ask

    corpus, extra = [str(bbc)], [str(squad)]
    out: dict[str, Any] = {"raw_onnx": [], "ingest": [], "naive": []}
    for i in range(ingest_runs):
        log(f"BBC scale: model limit ({i + 1}/{ingest_runs})")
        out["raw_onnx"].append(run_worker("workers.py", "raw_onnx", paths=corpus))
        log(f"BBC scale: ingest, then the SQuAD distractors ({i + 1}/{ingest_runs})")
        out["ingest"].append(
            run_worker(
                "workers.py",
                "ingest",
                data_dir=work / f"bbc-{i}",
                paths=corpus,
                extra_paths=extra,
            )
        )
        log(f"BBC scale: naive pipeline ({i + 1}/{ingest_runs})")
        out["naive"].append(
            run_worker(
                "naive.py",
                "naive",
                data_dir=work / f"naive-bbc-{i}",
                paths=corpus,
                extra_paths=extra,
                questions=questions,
            )
        )
        if i:  # one store of each kind is enough for the query figures
            shutil.rmtree(work / f"bbc-{i}", ignore_errors=True)
            shutil.rmtree(work / f"naive-bbc-{i}", ignore_errors=True)
    for _ in range(runs - ingest_runs):
        log("BBC scale: naive pipeline, queries only")
        out["naive"].append(
            run_worker(
                "naive.py",
                "naive",
                data_dir=work / "naive-bbc-0",
                paths=corpus,
                questions=questions,
            )
        )
    out["runtimes"] = repeat(
        f"BBC scale: both runtimes on a {torch_sample}-chunk sample",
        runs,
        lambda _: {
            "onnx": run_worker("workers.py", "raw_onnx", paths=corpus, sample=torch_sample),
            "torch": run_worker("workers.py", "raw_torch", paths=corpus, sample=torch_sample),
        },
    )
    store = work / "bbc-0"
    out["reingest"] = repeat(
        "BBC re-ingest, unchanged",
        runs,
        lambda _: run_worker("workers.py", "reingest", data_dir=store, paths=corpus),
    )
    out["query"] = repeat(
        "BBC queries",
        runs,
        lambda _: run_worker("workers.py", "query", data_dir=store, questions=questions),
    )
    out["query_1_thread"] = repeat(
        "BBC queries, BRIEFING_TORCH_THREADS=1",
        runs,
        lambda _: run_worker("workers.py", "query", data_dir=store, questions=questions, threads=1),
    )
    out["naive_one_shot"] = repeat(
        "naive one-shot query at BBC scale",
        runs,
        lambda _: run_worker(
            "naive.py",
            "naive",
            data_dir=work / "naive-bbc-0",
            paths=corpus,
            questions=questions,
            limit=1,
        ),
    )
    first = json.loads(questions.read_text(encoding="utf-8").splitlines()[0])["question"]
    out["cli_ask_s"] = repeat("briefing ask at BBC scale", runs, lambda _: cli_ask(store, first))
    out["app"] = repeat(
        "app start at BBC scale",
        runs,
        lambda _: app_start(store, bbc, first, work / "app.log"),
    )
    try:  # a Chroma server opens the same on-disk format the embedded store wrote
        with chroma_server(store / "chroma", work / "chroma.log") as port:
            out["server_query"] = repeat(
                "BBC queries, Chroma server",
                runs,
                lambda _: run_worker(
                    "workers.py",
                    "query",
                    data_dir=work / "bbc-server-data",
                    questions=questions,
                    chroma_port=port,
                ),
            )
    except RuntimeError as exc:
        log(f"Chroma server mode at BBC scale skipped: {exc}")
        out["server_skipped"] = str(exc)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions of every figure")
    parser.add_argument(
        "--ingest-runs", type=int, help="repetitions of BBC-scale ingests (default: --runs)"
    )
    parser.add_argument("--questions", type=int, default=300, help="questions per query run")
    parser.add_argument("--torch-sample", type=int, default=1024, help="chunks for torch vs ONNX")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--skip-bbc", action="store_true", help="seed scale only")
    parser.add_argument("--skip-seed", action="store_true", help="BBC scale only (trials)")
    parser.add_argument("--bbc-limit", type=int, help="only the first N BBC articles (trials)")
    parser.add_argument("--work", type=Path, help="keep stores and logs here (default: temp)")
    args = parser.parse_args()
    ingest_runs = min(args.ingest_runs or args.runs, args.runs)

    began = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="briefing-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "command": " ".join(["benchmarks/run.py", *sys.argv[1:]]),
        "machine": machine(),
        "runs": args.runs,
        "ingest_runs": ingest_runs,
    }
    finished = False
    try:
        questions = seed_questions(work, args.questions)
        if args.skip_seed:
            results["seed_skipped"] = "--skip-seed"
        else:
            results["seed"] = seed_scale(work, args.runs, questions)
        if args.skip_bbc:
            results["bbc_skipped"] = "--skip-bbc"
        elif not BBC.is_dir() or not SQUAD.is_file():
            results["bbc_skipped"] = f"{BBC} or {SQUAD} is absent"
            log(f"BBC scale skipped: {results['bbc_skipped']}")
        else:
            from assistant.evaluation.squad import convert

            squad = convert(SQUAD, work / "squad", limit=args.questions, seed=0)
            results["bbc"] = bbc_scale(
                work,
                args.runs,
                ingest_runs,
                squad.questions_file,
                squad.corpus_dir,
                bbc_corpus(work, args.bbc_limit),
                args.torch_sample,
            )
            results["bbc"]["corpus"] = {
                "bbc_limit": args.bbc_limit,
                "squad_questions": squad.questions,
            }
        finished = True
    finally:
        import os

        results["machine"]["load_average_at_end"] = list(os.getloadavg())
        results["wall_s"] = round(time.perf_counter() - began, 1)
        if not args.work and finished:
            shutil.rmtree(work, ignore_errors=True)
        elif not finished:
            log(f"stores and logs kept in {work}")
    results["summary"] = summarise(results)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nfull figures: {args.json}")


if __name__ == "__main__":
    main()
