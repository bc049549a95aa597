"""Everything after training, each step skipped when its result is already there. Two kinds
of run (training/train_reader.py --fold), released the same way once the choices are made:

- a ``--fold dev`` run (21 training articles; the dev fold's 7 kept apart) is where the choices
  are made: the calibration is fitted on the dev fold's predictions of the last epoch
  (training/calibrate.py) and the threshold on the calibrated probability maximises the dev
  fold's overall F1; they are recorded in training/dev_fold.json (training/choices.py), and
  ``--choose-only`` stops there;
- a ``--fold all`` run (all 28 training articles, the same recipe) has no fold left to choose
  on: it carries over the recorded calibration and threshold unchanged (``--choices``), and
  refuses a run trained with other settings than the recorded dev-fold run.

Then, for either:

1. export the weights to int8 ONNX with a manifest (window, calibration, threshold, precision,
   training facts) into the package folder (skipped when its reader.json already says so and
   model.onnx matches its SHA-256);
2. evaluate the shipped int8 file, paragraph level, on the held-out articles, and on the dev
   fold for a dev-fold run (an all run trained on it); skipped for a set whose results were
   measured on a file with the same SHA-256; a dev-fold run then records these figures too;
3. write training/REPORT.md, training/loss.png and the model card (training/report.py).

    python -m training.pipeline --run data/reader/dev --choose-only  # training/dev_fold.json
    python -m training.pipeline --run data/reader/all   # the release, the choices carried over
    python -m training.pipeline --run data/reader/dev   # release the dev-fold run itself
    python -m training.pipeline --allow-unfinished      # ship the last finished epoch of a cut run

`make train-reader` runs both trainings (which resume) and these steps. Nothing here is chosen
on the held-out articles: they are only measured, once the choices are made.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from importlib import metadata
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant.models.reader import MANIFEST, WindowSpec, file_sha256  # noqa: E402

from . import choices  # noqa: E402
from .runs import (  # noqa: E402
    Progress,
    predictions_path,
    progress,
    read_json,
    trained_for,
    weights_of,
    write_json,
)

log = logging.getLogger("pipeline")

RUN = Path("data/reader/all")
WORK = Path("data/reader/release")  # the pipeline's own results; the run folder stays the trainer's
OUT = Path("assistant/models/reader_model")
SETS = ("dev", "heldout-v2", "heldout-v1")
HELD_OUT = SETS[1:]
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# The dev-fold predictions were decoded with decode()'s default; the runtime must read the same.
MAX_ANSWER_TOKENS = 30


def _predict_dev(weights: Path, config: dict, threads: int) -> list[dict]:
    """Dev-fold predictions of saved weights, exactly as train_reader.py makes them at an epoch's
    end (used when a resumed run skipped them: see its checkpoint at the epoch's end)."""
    import torch

    from .model import build
    from .scoring import predict
    from .split import folds, training_articles
    from .train_reader import base_model, tokenizer_for, torch_logits

    torch.set_num_threads(threads)
    net = build(base_model())
    state = torch.load(weights, map_location="cpu", weights_only=False)
    net.load_state_dict(state.get("model", state))
    net.eval()
    spec = WindowSpec(max_tokens=config["max_tokens"], overlap=config["overlap"])
    dev = folds(training_articles(), config["fold"])[1]
    with torch.no_grad():
        return predict(torch_logits(net), tokenizer_for(base_model()), dev, spec)


def dev_predictions(run: Path, work: Path, epoch: int, config: dict, prog: Progress, threads: int):
    path = predictions_path(run, work, epoch)
    if path is None:
        weights = weights_of(run, epoch, prog)
        if weights is None:
            raise SystemExit(
                f"{run} has neither dev-epoch{epoch}.json nor epoch {epoch}'s weights."
            )
        log.info("dev-epoch%d.json is missing: predicting the dev fold with %s", epoch, weights)
        path = work / f"dev-epoch{epoch}.json"
        write_json(path, _predict_dev(weights, config, threads))
    predictions = read_json(path)
    assert isinstance(predictions, list)
    return path, predictions


def manifest_for(config: dict, steps: int, seconds: float | None, prog: Progress,
                 weights: Path, chosen: dict) -> dict:  # fmt: skip
    """reader.json without the model's hash and the export's sizes (export() adds them).
    ``chosen``: choices.choose()'s with "calibrated_on", or choices.carried_over()'s."""
    carried = {"choices": chosen["choices"]} if "choices" in chosen else {}
    return {
        "precision": "int8",
        "window": {
            "max_tokens": config["max_tokens"],
            "overlap": config["overlap"],
            "max_question_tokens": WindowSpec().max_question_tokens,
        },
        "calibration": chosen["calibration"],
        "threshold": chosen["threshold"],
        "max_answer_tokens": MAX_ANSWER_TOKENS,
        "base_model": BASE_MODEL,
        "training": {
            "data": "SQuAD v2.0 dev (+ v1.1 questions of the same articles), training/split.py",
            "fold": config["fold"],
            "epochs_planned": prog.planned,
            "epochs_trained": prog.done,
            "steps": steps,
            "seconds": seconds,
            "batch_size": config["batch_size"],
            "lr": config["lr"],
            "warmup": config["warmup"],
            "negatives": config["negatives"],
            "answerable_weight": config["answerable_weight"],
            "bf16": bool(config.get("bf16", False)),
            "seed": config["seed"],
            "counts": config["counts"],
            "weights": weights.name,
            "weights_sha256": file_sha256(weights),
            "calibrated_on": chosen["calibrated_on"],
            "calibration_log_loss": chosen["log_loss"],
            **carried,
            "torch": metadata.version("torch"),
            "transformers": metadata.version("transformers"),
        },
    }


def is_exported(out: Path, wanted: dict) -> bool:
    path = out / MANIFEST
    if not (path.is_file() and (out / "model.onnx").is_file()):
        return False
    have = read_json(path)
    assert isinstance(have, dict)
    same = all(have.get(k) == v for k, v in wanted.items())
    return same and have.get("sha256") == file_sha256(out / "model.onnx")


def export(weights: Path, out: Path, wanted: dict) -> None:
    from . import export_reader

    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        net = export_reader.export_fp32(weights, fp32)
        error = export_reader.check(fp32, net, 1e-3)
        export_reader.quantise(fp32, int8)
        facts = {
            "opset": export_reader.OPSET,
            "fp32_bytes": fp32.stat().st_size,
            "int8_bytes": int8.stat().st_size,
            "fp32_max_abs_difference": error,
        }
        export_reader.write_folder(int8, out, {**wanted, "export": facts})
    log.info("exported %s to %s (int8 %.1f MB)", weights, out, facts["int8_bytes"] / 1e6)


def sets_for(fold: str) -> tuple[str, ...]:
    """The sets the shipped file is measured on: an all run trained on the dev fold, so only the
    held-out ones."""
    return SETS if fold == "dev" else HELD_OUT


def evaluate_shipped(out: Path, work: Path, threads: int, sets: tuple[str, ...]) -> None:
    from .evaluate_reader import evaluate

    shipped = read_json(out / MANIFEST)
    assert isinstance(shipped, dict)
    for name in sets:
        path = work / f"{name}.json"
        measured = read_json(path) if path.is_file() else {}
        if isinstance(measured, dict) and measured.get("sha256") == shipped["sha256"]:
            log.info("%s: already measured on this model.onnx", name)
            continue
        log.info("%s: evaluating %s", name, out)
        result = evaluate(out, name, threads)
        write_json(path, {**result, "sha256": shipped["sha256"]})
        log.info("%s: %s", name, result["at_threshold"])


def finished_weights(run: Path, prog: Progress, allow_unfinished: bool) -> Path:
    if not prog.finished and not allow_unfinished:
        raise SystemExit(
            f"{run} has no DONE (epoch {prog.done} of {prog.planned} finished): let the "
            "training finish (it resumes), or pass --allow-unfinished to ship the last finished epoch."
        )
    if prog.done < 1:
        raise SystemExit(f"{run} has not finished an epoch yet.")
    weights = weights_of(run, prog.done, prog)
    if weights is None:
        raise SystemExit(f"{run} has no weights for epoch {prog.done}.")
    return weights


def choose_on_dev(args: argparse.Namespace, config: dict, prog: Progress) -> tuple[dict, list]:
    """The choices of a dev-fold run, and its dev rows by epoch (for the record)."""
    source, predictions = dev_predictions(
        args.run, args.work, prog.done, config, prog, args.threads
    )
    chosen = choices.choose(predictions)
    chosen["calibrated_on"] = f"{source.name} ({len(predictions)} dev-fold questions)"
    log.info(
        "calibration %s, threshold %.3f: dev F1 %.4f",
        chosen["calibration"],
        chosen["threshold"],
        chosen["summary"]["f1"],
    )
    rows = []
    for epoch in range(1, prog.done):
        path = predictions_path(args.run, args.work, epoch)
        if path is not None:
            earlier = read_json(path)
            assert isinstance(earlier, list)
            rows.append(choices.dev_row(epoch, earlier))
    return chosen, [*rows, choices.dev_row(prog.done, predictions)]


def record_choices(args: argparse.Namespace, wanted: dict, rows: list[dict]) -> None:
    """training/dev_fold.json from a dev-fold run: with its shipped file's figures after a
    release, else with those of the record before when they were measured on the same weights."""
    command = f"python -m training.pipeline --run {args.run.as_posix()}"
    if args.choose_only:
        source = f"written by `{command} --choose-only` from the run's dev-fold predictions"
        before = choices.read(args.choices) or {}
        same = before.get("training", {}).get("weights_sha256")
        kept = before.get("shipped") if same == wanted["training"]["weights_sha256"] else None
        if kept:
            source += "; the shipped figures kept from the record before, on the same weights"
        found = choices.record(wanted, rows, source, kept)
    else:
        from . import report

        shipped = read_json(args.out / MANIFEST)
        assert isinstance(shipped, dict)
        measured = report.measured_on(args.work, shipped, SETS)[0]
        source = f"written by `{command}` from the run's dev-fold predictions and its release"
        found = choices.record(wanted, rows, source, {"sha256": shipped["sha256"], **measured})
    choices.write(args.choices, found)
    log.info("recorded the dev-fold choices in %s", args.choices)


def run(args: argparse.Namespace) -> None:
    config = read_json(args.run / "config.json")
    assert isinstance(config, dict)
    fold = config["fold"]
    if args.choose_only and fold != "dev":
        raise SystemExit(
            f"--choose-only chooses on the dev fold: {args.run} is a --fold {fold} run."
        )
    if fold == "all":  # before anything costly: without the record there is nothing to ship
        recorded = choices.load(args.choices)
        choices.check_recipe(config, recorded, args.choices)
    elif fold != "dev":
        raise SystemExit(f"{args.run} is a --fold {fold} run: the pipeline takes dev or all.")
    prog = progress(args.run, config)
    weights = finished_weights(args.run, prog, args.allow_unfinished)
    steps, seconds = trained_for(args.run, prog)
    if fold == "dev":
        chosen, rows = choose_on_dev(args, config, prog)
    else:
        chosen = choices.carried_over(recorded, args.choices)
        log.info(
            "calibration and threshold %.3f carried over from %s", chosen["threshold"], args.choices
        )
    wanted = manifest_for(config, steps, seconds, prog, weights, chosen)
    if args.choose_only:
        record_choices(args, wanted, rows)
        return
    if is_exported(args.out, wanted):
        log.info("%s already holds this export", args.out)
    else:
        export(weights, args.out, wanted)
    evaluate_shipped(args.out, args.work, args.threads, sets_for(fold))
    if fold == "dev":
        record_choices(args, wanted, rows)

    from . import report

    report.write(args.run, args.work, args.out, args.report_dir, choices=args.choices)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--run", type=Path, default=RUN, help="the training run's folder")
    parser.add_argument("--work", type=Path, default=WORK, help="where the evaluations go")
    parser.add_argument("--out", type=Path, default=OUT, help="the package folder of the reader")
    parser.add_argument("--report-dir", type=Path, default=Path("training"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--allow-unfinished", action="store_true")
    parser.add_argument(
        "--choices",
        type=Path,
        default=choices.CHOICES,
        help="the record of the dev-fold choices: written by a dev run, read by an all run",
    )
    parser.add_argument(
        "--choose-only",
        action="store_true",
        help="a dev run: record its choices in --choices and stop (no export, no evaluation)",
    )
    args = parser.parse_args(argv)
    # WARNING for the rest: onnxruntime's quantiser logs every tensor at INFO.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", stream=sys.stdout)
    log.setLevel(logging.INFO)
    run(args)


if __name__ == "__main__":
    main()
