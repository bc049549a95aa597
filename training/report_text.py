"""The Markdown of training/REPORT.md, and the pieces the reader's MODEL_CARD.md shares with it
(training/card_text.py; training/report.py gathers the facts they show). A --fold all run has no
dev fold of its own: its dev-fold section and its comparison on the held-out articles come from
the dev-fold run's record (training/dev_fold.json)."""

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
SHIPPED_NOTE = {
    "dev": (
        "The shipped model is the dev-fold run: trained on the {train} training articles outside "
        "the dev fold, the fold's {dev} articles used only to choose (calibration, threshold and "
        "the hyperparameters). There was no time for a second run on all 28 training articles "
        "(`--fold all`), so those {dev} articles were never trained on."
    ),
    "all": (
        "The shipped model trained on all {all} training articles with the recipe chosen on the "
        "dev-fold run, which trained on {train} of them and kept the dev fold's {dev} apart to "
        "choose the calibration, the threshold and the hyperparameters; the calibration and "
        "threshold are carried over unchanged (choose on a fold, then retrain on everything "
        "the same way). The held-out articles were never used for choosing."
    ),
}


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
        dev = (
            "the end-of-epoch dev-fold predictions included"
            if facts.fold == "dev"
            else "no dev-fold predictions (there is no dev fold: every training article is trained on)"
        )
        return (
            f"**Finished**: {prog.planned} epochs, {prog.step} steps, {duration(prog.seconds)} "
            f"of wall time on the CPU ({facts.config.get('threads', '?')} threads), {dev}."
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


FOLDS = {
    "dev": "dev (the training articles outside the dev fold)",
    "all": "all (every training article, the dev fold's included)",
}


def settings_table(config: dict) -> list[str]:
    rows = [
        ("fold", FOLDS.get(config["fold"], config["fold"])),
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
        (
            "matrix products",
            "bfloat16 (CPU autocast; weights and loss float32)"
            if config.get("bf16")
            else "float32",
        ),
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
    chosen = (
        "chosen on the dev-fold run, where it maximised the dev fold's overall F1; carried over"
        if facts.fold == "all"
        else "maximises the dev fold's overall F1"
    )
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
        f"- threshold: answer when p ≥ {m['threshold']:.3f} ({chosen})",
        f"- weights: `{t.get('weights', '?')}` after {t.get('epochs_trained', '?')} of "
        f"{t.get('epochs_planned', '?')} epochs, SHA-256 `{t.get('weights_sha256', '?')}`",
    ]
    return lines


def heldout_row(label: str, s: dict) -> str:
    return (
        f"| {label} | {s['articles']} | {s['questions']} ({s['answerable']}) "
        f"| {pct(s['no_ans_acc'])} | {pct(s['has_ans_em'])} | {pct(s['has_ans_f1'])} "
        f"| {pct(s['exact_match'])} | {pct(s['f1'])} "
        f"| {pct(s['has_ans_em_always'])} / {pct(s['has_ans_f1_always'])} | {s['seconds']:.0f} |"
    )


def heldout_table(facts: Facts) -> list[str]:
    """The shipped file on each held-out set and, for an all run, the dev-fold release's
    recorded figures beneath."""
    before = (facts.choices or {}).get("shipped", {})
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
        else:
            lines.append(heldout_row(label, s))
        if name in before:
            lines.append(heldout_row(f"{label}: dev-fold release", before[name]))
    return lines


def points(new: float, old: float) -> str:
    """The change between two shown figures, in points of the per cents shown."""
    change = round(100 * new, 1) - round(100 * old, 1)
    return f"{pct(new)} against {pct(old)} ({'+' if change >= 0 else '-'}{abs(change):.1f} points)"


def against_before(facts: Facts) -> list[str]:
    """What carrying the choices over to a run on all articles gained or lost, held out."""
    record = facts.choices or {}
    before = record.get("shipped")
    if not before:
        return [
            f"The dev-fold run in {facts.choices_path} was not released and measured when its "
            "choices were recorded (`python -m training.pipeline --run data/reader/dev` does "
            "both), so there is no dev-fold release to compare with.",
            "",
        ]
    found = []
    for name, key, what in (
        ("heldout-v2", "f1", "SQuAD v2.0 F1"),
        ("heldout-v1", "has_ans_f1_always", "SQuAD v1.1 F1 answering every question"),
    ):
        if name in facts.measured and name in before:
            found.append(f"{what} {points(facts.measured[name][key], before[name][key])}")
    articles = record["training"]["counts"]["articles"]
    intro = (
        f"The dev-fold release rows are the model trained on {articles} articles "
        f"(`model.onnx` SHA-256 `{before['sha256'][:12]}…`), as {facts.choices_path} records "
        "them, at the same calibration and threshold"
    )
    return [intro + (": " + "; ".join(found) + "." if found else "."), ""]


def shipped_note(facts: Facts, titles: dict[str, list[str]] | None = None) -> str:
    if facts.fold == "all":
        record = facts.choices or {}
        train = record.get("training", {}).get("counts", {}).get("articles", 21)
        dev = record["dev"][-1]["articles"] if record.get("dev") else 7
        every = facts.config["counts"]["articles"]
        return SHIPPED_NOTE["all"].format(all=every, train=train, dev=dev)
    train = len(titles["train"]) if titles else facts.config["counts"]["articles"]
    dev = len(titles["dev"]) if titles else (facts.dev[-1]["articles"] if facts.dev else 7)
    return SHIPPED_NOTE["dev"].format(train=train, dev=dev)


def dev_table(rows: list[dict], shipped: dict | None, label: str) -> list[str]:
    """Dev-fold figures by epoch and, when measured, the shipped int8 file's beneath."""
    lines = [*figures_header("epoch"), *(figures_row(str(d["epoch"]), d) for d in rows)]
    if shipped is not None:
        lines += [
            figures_row(label, shipped),
            "",
            f"The last line is the {label} on the dev fold ({shipped['questions']} questions) at "
            "the shipped calibration and threshold: beside the last epoch's line, what the "
            "export and quantisation cost.",
        ]
    return [
        *lines,
        "",
        "Calibration log-loss by epoch: "
        + ", ".join(f"{d['epoch']}: {d['log_loss']:.4f}" for d in rows)
        + ".",
    ]


def own_dev_fold(facts: Facts) -> list[str]:
    if not facts.dev:
        return ["No epoch has finished yet: there are no dev-fold predictions."]
    last = facts.dev[-1]
    return [
        f"The fp32 weights at each epoch's end on the dev fold ({last['articles']} articles, "
        f"{last['questions']} questions, {last['answerable']} answerable). Each row fits the "
        "calibration on its own epoch and takes the probability threshold that maximises "
        "overall F1 there; the last epoch's are what ships. Not answering counts as wrong "
        "for an answerable question and right for an unanswerable one.",
        "",
        *dev_table(facts.dev, facts.measured.get("dev"), NAMES["dev"]),
    ]


def recorded_dev_fold(facts: Facts) -> list[str]:
    """An all run's dev-fold section: the dev-fold run's record, where its choices were made."""
    record = facts.choices or {}
    t, last = record["training"], record["dev"][-1]
    trained = (
        f"{t['counts']['articles']} training articles outside the dev fold "
        f"({t['counts']['questions']} questions), {t['epochs_trained']} of "
        f"{t['epochs_planned']} epochs, {t['steps']} steps in {duration(t['seconds'])}"
    )
    return [
        f"This run has no dev fold: it trained on all {facts.config['counts']['articles']} "
        "training articles, the dev fold's included, with the dev-fold run's recipe (the "
        "settings above but the fold), and ships that run's calibration and threshold "
        f"unchanged, as {facts.choices_path} records them. The record's source: "
        f"{record['source']}.",
        "",
        f"The dev-fold run trained on {trained}; its weights `{t['weights']}` have SHA-256 "
        f"`{t['weights_sha256']}`, and its calibration (log-loss {record['log_loss']:.4f}) was "
        f"fitted on {record['calibrated_on']}. Its fp32 weights at each epoch's end on the dev "
        f"fold ({last['articles']} articles, {last['questions']} questions, "
        f"{last['answerable']} answerable), each row at the calibration and the threshold "
        "maximising overall F1 fitted on its own epoch; the last epoch's are the ones carried "
        "over. The shipped model is not measured on the dev fold, which it trained on.",
        "",
        *dev_table(
            record["dev"], record.get("shipped", {}).get("dev"), "dev-fold release's int8 file"
        ),
    ]


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
    lines += recorded_dev_fold(facts) if facts.fold == "all" else own_dev_fold(facts)
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
        *(against_before(facts) if facts.fold == "all" else []),
    ]
    if facts.stale:
        lines += [
            f"Left out, measured on another model.onnx: {', '.join(facts.stale)} "
            "(`python -m training.pipeline` measures them again).",
            "",
        ]
    return "\n".join(lines)
