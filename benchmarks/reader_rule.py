"""The reader mode's rule for answering, chosen on a question set (by default the seed set):
when the reader answers on its own (probability >= threshold), and otherwise when the blend
``blend * probability + (1 - blend) * scorer evidence`` reaches ``gate``.

    .venv/bin/python benchmarks/reader_rule.py [--questions evals/seed.jsonl] [--corpus corpus]

Every question is asked with the reader forced to answer (threshold 0), recording whether that
answer passes, the reader's probability and the sentence scorer's evidence: once reading the
whole depth, and once reading only the first stage (ReaderTuning.first), which a rule's
threshold makes final when the first stage reaches it. A rule only
decides between that answer and an abstention (an answer's text does not depend on the rule),
so each rule of the grid is scored without asking again: answer pass + abstain accuracy -
false abstain rate, the objective the shipped rule (ReaderTuning) was chosen by. The set is
then not held out for the reader mode's figures: say so wherever they are reported.
"""

from __future__ import annotations

import argparse
import itertools
import os
from dataclasses import dataclass, replace
from pathlib import Path

from common import ROOT, setup_path


@dataclass
class Forced:
    """One question's answer with the reader forced to answer."""

    passes: bool
    probability: float
    evidence: float  # the sentence scorer's


@dataclass
class Row:
    answerable: bool
    full: Forced  # every passage of the depth read
    first: Forced | None  # only the retriever's first ReaderTuning.first read (None: not staged)


def forced_run(bench, questions: Path, tuning, first: int | None) -> list[Forced | None]:
    from assistant.engine import build_engine
    from assistant.evaluation.questions import load_questions
    from assistant.evaluation.runner import run_eval

    reader = replace(tuning.reader, threshold=0.0, first=first)
    engine = build_engine(
        bench.settings(answer_mode="reader"), bench.base.embedder(), replace(tuning, reader=reader)
    )
    found: list[Forced | None] = []
    for r in run_eval(engine, load_questions(questions)).results:
        if r.error or r.metrics is None:
            found.append(None)
            continue
        p = float(r.timings.get("reader_probability", 0.0))
        blended = float(r.timings.get("evidence", 0.0))  # the blend the mode decided on
        evidence = (blended - reader.blend * p) / (1 - reader.blend) if reader.blend < 1 else 0.0
        found.append(Forced(bool(r.metrics.answer_pass), p, evidence))
    return found


def rows(questions: Path, corpus: Path, first: int | None) -> list[Row]:
    """Each question forced to answer over the whole depth, and (when the reader reads in two
    stages) over the first stage alone: a rule's threshold picks which of them it would give."""
    from reader_eval import Bench, store_name

    from assistant.evaluation.questions import load_questions

    bench = Bench(store_name(corpus), corpus)
    tuning = bench.base.tuning
    first = tuning.reader.first if first is None else (first or None)
    full = forced_run(bench, questions, tuning, None)
    staged = forced_run(bench, questions, tuning, first) if first else [None] * len(full)
    asked = load_questions(questions).questions
    return [
        Row(bool(q.answerable), f, s)
        for q, f, s in zip(asked, full, staged, strict=True)
        if f is not None
    ]


def answered(row: Row, blend: float, gate: float, threshold: float) -> tuple[bool, bool]:
    """(whether the rule answers, whether its result passes)."""
    if row.first is not None and row.first.probability >= threshold:
        return True, row.first.passes  # the first stage answered: the rest was not read
    f = row.full
    answers = f.probability >= threshold or blend * f.probability + (1 - blend) * f.evidence >= gate
    return answers, (f.passes if answers else not row.answerable)


def score(found: list[Row], blend: float, gate: float, threshold: float) -> dict[str, float]:
    results = [answered(r, blend, gate, threshold) for r in found]
    yes = [a for r, (a, _) in zip(found, results) if r.answerable]
    no = [a for r, (a, _) in zip(found, results) if not r.answerable]
    figures = {
        "pass": sum(passed for _, passed in results) / len(found),
        "abstain_accuracy": sum(not a for a in no) / max(1, len(no)),
        "false_abstain": sum(not a for a in yes) / max(1, len(yes)),
    }
    figures["objective"] = figures["pass"] + figures["abstain_accuracy"] - figures["false_abstain"]
    return figures


def main() -> None:
    setup_path()
    os.environ.setdefault("BRIEFING_ENV_FILE", "")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "evals" / "seed.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument(
        "--first", type=int, help="the reader's first stage (0: none); default the tuning's"
    )
    args = parser.parse_args()
    found = rows(args.questions, args.corpus, args.first)
    from assistant.answer.reader import ReaderTuning

    shipped = ReaderTuning()
    grid = itertools.product(
        [i / 10 for i in range(9)],  # blend 0-0.8
        [0.30 + 0.02 * i for i in range(23)],  # gate 0.30-0.74
        [0.30 + 0.05 * i for i in range(9)],  # threshold 0.30-0.70
    )
    scored = sorted(
        ((score(found, b, g, t), (b, g, t)) for b, g, t in grid),
        key=lambda item: (-item[0]["objective"], -item[0]["pass"]),
    )
    print(
        f"{len(found)} questions of {args.questions} ({sum(r.answerable for r in found)} answerable)"
    )
    print(f"{'blend':>6} {'gate':>6} {'thresh':>6} {'pass':>6} {'abst':>6} {'false':>6} {'obj':>6}")

    def line(rule: tuple[float, float, float], f: dict[str, float], note: str = "") -> str:
        b, g, t = rule
        return (
            f"{b:6.2f} {g:6.2f} {t:6.2f} {f['pass']:6.3f} {f['abstain_accuracy']:6.3f} "
            f"{f['false_abstain']:6.3f} {f['objective']:6.3f} {note}"
        )

    for figures, rule in scored[: args.top]:
        print(line(rule, figures))
    rule = (shipped.blend, shipped.gate, shipped.threshold or 0.0)
    print(line(rule, score(found, *rule), "<- ReaderTuning now"))


if __name__ == "__main__":
    main()
