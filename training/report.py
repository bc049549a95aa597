"""training/REPORT.md, training/loss.png and the reader's MODEL_CARD.md, from what the training
run and the pipeline wrote. Torch-free: it reads files only.

    python -m training.report [--run data/reader/all] [--work data/reader/release]

Inputs: the run's config.json (arguments and data counts), losses.jsonl and DONE; the package
folder's reader.json (what ships); the pipeline's <set>.json (the shipped int8 file measured on
the held-out articles, and on the dev fold for a dev-fold run). A measured figure is shown only
when it was measured on the model.onnx whose SHA-256 reader.json names.

The dev-fold section depends on the run. A ``--fold dev`` run shows its own dev-epoch<N>.json
(fp32 predictions on the dev fold at each epoch's end), where the choices are made. A
``--fold all`` run has no dev fold: it shows the dev-fold run's figures as recorded in
training/dev_fold.json (``--choices``), where its carried-over calibration and threshold were
chosen, and beside its held-out figures those of the dev-fold release recorded there.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

from .card_text import card
from .choices import CHOICES, counts_of, dev_row
from .choices import load as load_record
from .pipeline import MANIFEST, OUT, RUN, WORK, sets_for
from .report_text import report
from .runs import Progress, predictions_path, progress, read_json, read_losses


@dataclass
class Facts:
    """Everything the report and the card say, gathered once."""

    run: Path
    config: dict
    progress: Progress
    losses: list[dict]
    epoch_losses: list[dict]  # per epoch: mean and last logged loss
    dev: list[dict]  # per finished epoch: the dev fold at its own calibration and threshold
    manifest: dict | None  # reader.json of the package folder, when exported
    measured: dict[str, dict]  # set name -> the shipped file's figures on it
    stale: list[str]  # sets measured on another model.onnx than the one that ships
    choices: dict | None  # an all run's record of the dev-fold run (training/choices.py)
    choices_path: Path  # where that record is read

    @property
    def fold(self) -> str:
        return str(self.config["fold"])

    @property
    def steps_per_epoch(self) -> int:
        return int(self.config["steps"]) // max(1, int(self.config["epochs"]))


def losses_by_epoch(losses: list[dict], steps_per_epoch: int, epochs: int) -> list[dict]:
    found = []
    for epoch in range(1, epochs + 1):
        inside = [
            r
            for r in losses
            if (epoch - 1) * steps_per_epoch < r["step"] <= epoch * steps_per_epoch
        ]
        if inside:
            found.append(
                {
                    "epoch": epoch,
                    "records": len(inside),
                    "last_step": inside[-1]["step"],
                    "mean": sum(r["loss"] for r in inside) / len(inside),
                    "last": inside[-1]["loss"],
                }
            )
    return found


def measured_on(
    work: Path, manifest: dict | None, sets: tuple[str, ...]
) -> tuple[dict[str, dict], list[str]]:
    measured, stale = {}, []
    for name in sets:
        path = work / f"{name}.json"
        if not path.is_file():
            continue
        result = read_json(path)
        assert isinstance(result, dict)
        if manifest is None or result.get("sha256") != manifest.get("sha256"):
            stale.append(name)
            continue
        measured[name] = {
            **counts_of(result["predictions"]),
            "seconds": result["seconds"],
            "precision": result.get("precision"),
            **result["at_threshold"],
        }
    return measured, stale


def gather(run: Path, work: Path, out: Path, choices: Path = CHOICES) -> Facts:
    config = read_json(run / "config.json")
    assert isinstance(config, dict)
    prog = progress(run, config)
    losses = read_losses(run)
    dev = []
    # An all run has no dev fold: a dev-epoch<N>.json in the shared work folder is another run's.
    for epoch in range(1, prog.done + 1 if config["fold"] == "dev" else 1):
        path = predictions_path(run, work, epoch)
        if path is not None:
            predictions = read_json(path)
            assert isinstance(predictions, list)
            dev.append(dev_row(epoch, predictions))
    manifest = read_json(out / MANIFEST) if (out / MANIFEST).is_file() else None
    assert manifest is None or isinstance(manifest, dict)
    measured, stale = measured_on(work, manifest, sets_for(config["fold"]))
    per_epoch = int(config["steps"]) // max(1, prog.planned)
    return Facts(
        run=run,
        config=config,
        progress=prog,
        losses=losses,
        epoch_losses=losses_by_epoch(losses, per_epoch, prog.planned),
        dev=dev,
        manifest=manifest,
        measured=measured,
        stale=stale,
        choices=load_record(choices) if config["fold"] == "all" else None,
        choices_path=choices,
    )


def _nice_step(span: float, most: int) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten that needs at most ``most`` ticks."""
    steps = sorted(base * 10.0**power for base in (1, 2, 2.5, 5) for power in range(-2, 7))
    return next((step for step in steps if span / step <= most), span)


def draw_loss(facts: Facts, path: Path) -> None:
    """The logged loss by step, the epochs marked, on the planned number of steps."""
    from PIL import Image, ImageDraw, ImageFont

    width, height, left, right, top, bottom = 900, 420, 70, 25, 45, 55
    image = Image.new("RGB", (width, height), "white")
    pen = ImageDraw.Draw(image)
    try:
        font = ImageFont.load_default(size=13)
    except TypeError:  # Pillow without FreeType: the bitmap font has one size
        font = ImageFont.load_default()
    total = max(1, int(facts.config["steps"]))
    top_loss = max([r["loss"] for r in facts.losses] or [1.0])
    y_step = _nice_step(top_loss, 6)
    y_max = math.ceil(top_loss / y_step) * y_step

    def x_of(step: float) -> float:
        return left + (width - left - right) * step / total

    def y_of(loss: float) -> float:
        return height - bottom - (height - top - bottom) * loss / y_max

    grey, axis = (205, 205, 205), (60, 60, 60)
    for i in range(round(y_max / y_step) + 1):
        tick = i * y_step
        pen.line([(left, y_of(tick)), (width - right, y_of(tick))], fill=grey)
        pen.text((left - 8, y_of(tick)), f"{tick:g}", fill=axis, font=font, anchor="rm")
    x_step = _nice_step(total, 8)
    for i in range(int(total / x_step) + 1):
        tick = i * x_step
        pen.text((x_of(tick), height - bottom + 8), f"{tick:g}", fill=axis, font=font, anchor="mt")
    for epoch in range(1, facts.progress.planned + 1):
        x = x_of(epoch * facts.steps_per_epoch)
        for y in range(top, height - bottom, 8):  # dashed
            pen.line([(x, y), (x, min(y + 4, height - bottom))], fill=(150, 150, 150))
        pen.text((x - 4, top + 4), f"end of epoch {epoch}", fill=axis, font=font, anchor="ra")
    pen.line([(left, top), (left, height - bottom), (width - right, height - bottom)], fill=axis)
    points = [(x_of(r["step"]), y_of(r["loss"])) for r in facts.losses]
    if len(points) > 1:
        pen.line(points, fill=(31, 94, 168), width=2)
    elif points:
        (px, py), blue = points[0], (31, 94, 168)
        pen.ellipse([(px - 2, py - 2), (px + 2, py + 2)], fill=blue)
    every = facts.config.get("log_every", "?")
    title = f"Training loss (mean over each {every} steps): {facts.run}"
    if not facts.progress.finished:
        title += f", no DONE: {facts.progress.done} of {facts.progress.planned} epochs finished"
    pen.text((left, 14), title, fill="black", font=font)
    pen.text(((left + width - right) / 2, height - 18), "step", fill=axis, font=font, anchor="mm")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")


def split_titles() -> dict[str, list[str]]:
    """The article titles of each part of the split (reads the SQuAD files)."""
    from .split import folds, held_out_titles, training_articles

    train, dev = folds(training_articles(), "dev")
    held_v2, only_v1 = held_out_titles()
    return {
        "train": [a.title for a in train],
        "dev": [a.title for a in dev],
        "heldout_v2": held_v2,
        "only_v1": only_v1,
    }


def write(
    run: Path,
    work: Path,
    out: Path,
    report_dir: Path,
    titles: dict[str, list[str]] | None = None,
    choices: Path = CHOICES,
) -> Facts:
    """REPORT.md and loss.png into report_dir; MODEL_CARD.md into out when a model is there."""
    facts = gather(run, work, out, choices)
    report_dir.mkdir(parents=True, exist_ok=True)
    draw_loss(facts, report_dir / "loss.png")
    (report_dir / "REPORT.md").write_text(report(facts), encoding="utf-8")
    if facts.manifest is not None:
        text = card(facts, titles if titles is not None else split_titles())
        (out / "MODEL_CARD.md").write_text(text, encoding="utf-8")
    return facts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--run", type=Path, default=RUN)
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--report-dir", type=Path, default=Path("training"))
    parser.add_argument(
        "--choices", type=Path, default=CHOICES, help="an all run's dev-fold record"
    )
    args = parser.parse_args(argv)
    facts = write(args.run, args.work, args.out, args.report_dir, choices=args.choices)
    print(f"wrote {args.report_dir / 'REPORT.md'} for the --fold {facts.fold} run {facts.run}")


if __name__ == "__main__":
    main()
