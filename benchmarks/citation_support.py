"""How well the citation checker (assistant.cite.verify) tells supported claims from unsupported
ones, on the seed question set: the evidence behind CitationTuning.support_threshold.

For every answerable question with source snippets, three claims are checked against the
passages retrieved for it:
- supported: the reference answer, citing every passage that holds one of its sources;
- wrong passage: the same answer citing the best-ranked passage that holds none of them
  (a hard case: same article, same topic);
- altered number: the reference with each number changed, citing the right passages
  (only for references that state a number);
- swapped name: the reference with its first name of the article replaced by another
  name from the article, citing the right passages.

    .venv/bin/python benchmarks/citation_support.py [--k 8]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.answer.candidates import split_candidates  # noqa: E402
from assistant.cite.verify import CitationTuning, check_answer  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.engine import build_engine  # noqa: E402
from assistant.text import normalise  # noqa: E402

SUPPORT_THRESHOLD = CitationTuning().support_threshold

# Names the seed article mentions, for the swapped-name claims.
NAMES = [
    "Dietz",
    "Rachman",
    "Putin",
    "Kim Jong Un",
    "Vladivostok",
    "Kursk",
    "Khabarovsk",
    "Ussuriysk",
    "Beijing",
    "Kyiv",
    "Financial Times",
    "Pacific Fleet",
]


def swap_name(text: str) -> str | None:
    present = [n for n in NAMES if n in text]
    if not present:
        return None
    other = next(n for n in NAMES if n not in text)
    return text.replace(present[0], other, 1)


def support(text: str, numbers: list[int], passages: list, embedder: object) -> float:
    marks = "".join(f"[{n}]" for n in numbers)
    checked = check_answer(
        f"{text} {marks}",
        passages,
        embedder,  # type: ignore[arg-type]
        candidates=split_candidates(passages),
    )
    return checked.sentences[0].support or 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", type=int, default=8, help="passages retrieved per question")
    parser.add_argument("--questions", type=Path, default=ROOT / "evals" / "seed.jsonl")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        engine = build_engine(Settings(data_dir=Path(tmp), corpus_dir=ROOT / "corpus"))
        engine.ingest()
        embedder = engine.embedder()
        scores: dict[str, list[tuple[float, str]]] = {
            "supported": [],
            "wrong": [],
            "number": [],
            "name": [],
        }
        for line in args.questions.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if not row["answerable"] or not row["sources"]:
                continue
            passages = engine.retriever.retrieve(row["question"], k=args.k)
            sources = [normalise(s)[:60] for s in row["sources"]]
            holds = [any(s in normalise(p.text) for s in sources) for p in passages]
            good = [i + 1 for i, held in enumerate(holds) if held]
            bad = [i + 1 for i, held in enumerate(holds) if not held]
            if not good:
                continue  # retrieval missed the sources: nothing to cite
            reference = row["reference"]
            scores["supported"].append((support(reference, good, passages, embedder), row["id"]))
            if bad:
                wrong = support(reference, bad[:1], passages, embedder)
                scores["wrong"].append((wrong, row["id"]))
            if re.search(r"\d", reference):
                altered = re.sub(r"\d+", lambda m: str(int(m.group()) * 2 + 3), reference)
                scores["number"].append((support(altered, good, passages, embedder), row["id"]))
            swapped = swap_name(reference)
            if swapped:
                scores["name"].append((support(swapped, good, passages, embedder), row["id"]))

    print(f"threshold {SUPPORT_THRESHOLD}, k={args.k}\n")
    print("| claim | n | min | median | max | marked supported |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, label in [
        ("supported", "reference, right passages"),
        ("wrong", "reference, wrong passage"),
        ("number", "altered number, right passages"),
        ("name", "swapped name, right passages"),
    ]:
        values = [v for v, _ in scores[name]]
        if not values:
            continue
        passed = sum(v >= SUPPORT_THRESHOLD for v in values)
        print(
            f"| {label} | {len(values)} | {min(values):.2f} | {statistics.median(values):.2f} "
            f"| {max(values):.2f} | {passed}/{len(values)} ({passed / len(values):.0%}) |"
        )
    missed = [(v, i) for v, i in sorted(scores["supported"]) if v < SUPPORT_THRESHOLD]
    print("\nSupported claims marked unsupported:", ", ".join(f"{i} {v:.2f}" for v, i in missed))
    passed = [i for v, i in scores["name"] if v >= SUPPORT_THRESHOLD]
    print("Swapped names marked supported:", ", ".join(passed) or "none")


if __name__ == "__main__":
    main()
