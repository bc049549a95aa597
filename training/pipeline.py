"""Everything after training, each step skipped when its result is already there:

1. calibrate on the dev fold's predictions of the last epoch (training/calibrate.py) and choose
   the threshold on the calibrated probability that maximises the dev fold's overall F1;
2. export the weights to int8 ONNX with a manifest (window, calibration, threshold, precision,
   training facts) into the package folder (skipped when its reader.json already says so and
   model.onnx matches its SHA-256);
3. evaluate the shipped int8 file, paragraph level, on the dev fold and on the held-out
   articles (skipped for a set whose results were measured on a file with the same SHA-256);
4. write training/REPORT.md, training/loss.png and the model card (training/report.py).

    python -m training.pipeline                     # data/reader/dev -> assistant/models/reader_model
    python -m training.pipeline --allow-unfinished  # ship the last finished epoch of a cut run

`make train-reader` runs the training (which resumes) and then this. Nothing here is chosen on
the held-out articles: they are only measured, once the choices are made.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant.models.reader import MANIFEST, Calibration, WindowSpec, file_sha256  # noqa: E402

from .calibrate import calibration, log_loss  # noqa: E402
from .scoring import best_threshold  # noqa: E402

log = logging.getLogger("pipeline")

RUN = Path("data/reader/dev")
WORK = Path("data/reader/release")  # the pipeline's own results; the run folder stays the trainer's
OUT = Path("assistant/models/reader_model")
SETS = ("dev", "heldout-v2", "heldout-v1")
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# The dev-fold predictions were decoded with decode()'s default; the runtime must read the same.
MAX_ANSWER_TOKENS = 30


@dataclass(frozen=True)
class Progress:
    """How far a training run got."""

    planned: int  # epochs asked for
    done: int  # epochs finished (their weights and dev predictions were written)
    step: int  # last logged step
    total: int  # steps planned
    finished: bool  # DONE is there
    seconds: float | None  # wall time: DONE's, else the last logged step's


def read_json(path: Path) -> dict | list:
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, data: dict | list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


def read_losses(run: Path) -> list[dict]:
    """losses.jsonl by step. A resumed run logs again the steps after its last checkpoint: the
    later record of a step is the one whose weights went on."""
    path = run / "losses.jsonl"
    if not path.is_file():
        return []
    by_step: dict[int, dict] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            by_step[int(record["step"])] = record
    return [by_step[s] for s in sorted(by_step)]


def _epochs_in(folder: Path) -> set[int]:
    pattern = re.compile(r"(?:dev-)?epoch(\d+)\.(?:pt|json)$")
    return {int(m.group(1)) for p in folder.glob("*epoch*") if (m := pattern.match(p.name))}


def progress(run: Path, config: dict) -> Progress:
    planned, total = int(config["epochs"]), int(config["steps"])
    losses = read_losses(run)
    step = int(losses[-1]["step"]) if losses else 0
    done_file = run / "DONE"
    if done_file.is_file():
        done = read_json(done_file)
        assert isinstance(done, dict)
        return Progress(planned, planned, int(done["steps"]), total, True, float(done["seconds"]))
    per_epoch = max(1, total // max(1, planned))
    done_epochs = max(_epochs_in(run) | {step // per_epoch})
    seconds = float(losses[-1]["seconds"]) if losses else None
    return Progress(planned, min(done_epochs, planned), step, total, False, seconds)


def weights_of(run: Path, epoch: int, prog: Progress) -> Path | None:
    """The weights at the end of ``epoch`` (final.pt is the last epoch's)."""
    path = run / f"epoch{epoch}.pt"
    if path.is_file():
        return path
    final = run / "final.pt"
    if prog.finished and epoch == prog.planned and final.is_file():
        return final
    return None


def predictions_path(run: Path, work: Path, epoch: int) -> Path | None:
    for folder in (run, work):
        path = folder / f"dev-epoch{epoch}.json"
        if path.is_file():
            return path
    return None


def probabilities(predictions: list[dict], coefficients: dict[str, float]) -> list[dict]:
    """The predictions with the calibrated probability, as evaluate_reader.py computes it."""
    curve = Calibration(**coefficients)
    return [
        {
            **p,
            "probability": curve.probability(p["margin"], p["answerable_logit"])
            if p["margin"] > -1e8
            else 0.0,
        }
        for p in predictions
    ]


def choose(predictions: list[dict]) -> dict:
    """Calibration fitted on dev-fold predictions, and the probability threshold that maximises
    their overall F1, with the dev figures at that threshold."""
    coefficients = calibration(predictions)
    summary = best_threshold(probabilities(predictions, coefficients), key="probability")
    return {
        "calibration": coefficients,
        "log_loss": log_loss(predictions, coefficients),
        "threshold": summary["threshold"],
        "summary": summary,
    }


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


def trained_for(run: Path, prog: Progress) -> tuple[int, float | None]:
    """(steps, wall seconds) behind the weights that ship: the whole run when it finished, else
    up to the end of its last finished epoch (time as of the last step logged by then)."""
    if prog.finished:
        return prog.step, prog.seconds
    steps = prog.total // prog.planned * prog.done
    logged = [r for r in read_losses(run) if r["step"] <= steps]
    return steps, (float(logged[-1]["seconds"]) if logged else None)


def manifest_for(config: dict, steps: int, seconds: float | None, prog: Progress,
                 weights: Path, source: Path, chosen: dict) -> dict:  # fmt: skip
    """reader.json without the model's hash and the export's sizes (export() adds them)."""
    predictions = chosen["summary"]["questions"]
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
            "seed": config["seed"],
            "counts": config["counts"],
            "weights": weights.name,
            "weights_sha256": file_sha256(weights),
            "calibrated_on": f"{source.name} ({predictions} dev-fold questions)",
            "calibration_log_loss": chosen["log_loss"],
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


def evaluate_shipped(out: Path, work: Path, threads: int) -> None:
    from .evaluate_reader import evaluate

    shipped = read_json(out / MANIFEST)
    assert isinstance(shipped, dict)
    for name in SETS:
        path = work / f"{name}.json"
        measured = read_json(path) if path.is_file() else {}
        if isinstance(measured, dict) and measured.get("sha256") == shipped["sha256"]:
            log.info("%s: already measured on this model.onnx", name)
            continue
        log.info("%s: evaluating %s", name, out)
        result = evaluate(out, name, threads)
        write_json(path, {**result, "sha256": shipped["sha256"]})
        log.info("%s: %s", name, result["at_threshold"])


def run(args: argparse.Namespace) -> None:
    config = read_json(args.run / "config.json")
    assert isinstance(config, dict)
    if config["fold"] != "dev":
        raise SystemExit(
            "Calibration and threshold are chosen on the dev fold: give a --fold dev run."
        )
    prog = progress(args.run, config)
    if not prog.finished and not args.allow_unfinished:
        raise SystemExit(
            f"{args.run} has no DONE (epoch {prog.done} of {prog.planned} finished): let the "
            "training finish (it resumes), or pass --allow-unfinished to ship the last finished epoch."
        )
    if prog.done < 1:
        raise SystemExit(f"{args.run} has not finished an epoch yet.")
    weights = weights_of(args.run, prog.done, prog)
    if weights is None:
        raise SystemExit(f"{args.run} has no weights for epoch {prog.done}.")
    source, predictions = dev_predictions(
        args.run, args.work, prog.done, config, prog, args.threads
    )
    chosen = choose(predictions)
    log.info(
        "calibration %s, threshold %.3f: dev F1 %.4f",
        chosen["calibration"],
        chosen["threshold"],
        chosen["summary"]["f1"],
    )
    steps, seconds = trained_for(args.run, prog)
    wanted = manifest_for(config, steps, seconds, prog, weights, source, chosen)
    if is_exported(args.out, wanted):
        log.info("%s already holds this export", args.out)
    else:
        export(weights, args.out, wanted)
    evaluate_shipped(args.out, args.work, args.threads)

    from . import report

    report.write(args.run, args.work, args.out, args.report_dir)


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
    args = parser.parse_args(argv)
    # WARNING for the rest: onnxruntime's quantiser logs every tensor at INFO.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", stream=sys.stdout)
    log.setLevel(logging.INFO)
    run(args)


if __name__ == "__main__":
    main()
