"""What is chosen on the dev fold (the calibration and the probability threshold), and its
record, training/dev_fold.json, which a run on all 28 training articles carries over.

The choices are made once, on the dev-fold run (trained on 21 training articles, its 7 dev-fold
articles kept apart): the calibration is fitted on its last epoch's dev-fold predictions and the
threshold maximises their overall F1. A ``--fold all`` run, trained with the same recipe on every
training article (the dev fold's included), has no fold left to choose on: it takes the recorded
choices unchanged. The held-out articles are never used for choosing.

The record holds the choices, the dev-fold run's training facts, its dev-fold figures by epoch
and, once that run was exported and measured, its shipped int8 file's figures (the dev fold and
the held-out articles), so a later release can be compared with it. Torch-free.
"""

from __future__ import annotations

from pathlib import Path

from assistant.models.reader import Calibration

from .calibrate import calibration, log_loss
from .runs import read_json, write_json
from .scoring import best_threshold

CHOICES = Path("training/dev_fold.json")
MAKE_IT = "python -m training.pipeline --run data/reader/dev --choose-only"
# The training arguments the choices were fitted under: they carry over only to a model trained
# the same way (these, the window and the epochs, the record's "epochs_planned"). The seed is not
# a choice made on the fold: another seed would not invalidate them.
RECIPE = ("batch_size", "lr", "warmup", "negatives", "answerable_weight")
WINDOW = ("max_tokens", "overlap")


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


def counts_of(predictions: list[dict]) -> dict[str, int]:
    return {
        "questions": len(predictions),
        "answerable": sum(1 for p in predictions if p["answerable"]),
        "articles": len({p["article"] for p in predictions}),
    }


def dev_row(epoch: int, predictions: list[dict]) -> dict:
    """One epoch's dev-fold figures, with calibration and threshold fitted on that epoch, as the
    pipeline would ship it had training stopped there."""
    chosen = choose(predictions)
    return {
        "epoch": epoch,
        **counts_of(predictions),
        "calibration": chosen["calibration"],
        "log_loss": chosen["log_loss"],
        **chosen["summary"],
    }


def record(manifest: dict, dev: list[dict], source: str, shipped: dict | None = None) -> dict:
    """The record of a dev-fold run from its manifest (reader.json as the pipeline builds it),
    its dev rows by epoch and, when measured, ``shipped``: {"sha256", set name -> figures}."""
    training = dict(manifest["training"])
    calibrated_on = training.pop("calibrated_on")
    found = {
        "source": source,
        "calibration": manifest["calibration"],
        "threshold": manifest["threshold"],
        "log_loss": training.pop("calibration_log_loss"),
        "calibrated_on": calibrated_on,
        "window": manifest["window"],
        "training": training,
        "dev": dev,
    }
    return {**found, "shipped": shipped} if shipped else found


def read(path: Path) -> dict | None:
    if not path.is_file():
        return None
    found = read_json(path)
    assert isinstance(found, dict)
    return found


def write(path: Path, found: dict) -> None:
    write_json(path, found, indent=2)  # committed: a diff should show what changed


def load(path: Path) -> dict:
    """The record a ``--fold all`` run carries its choices over from."""
    found = read(path)
    if found is None:
        raise SystemExit(
            f"{path} is missing: a --fold all run has no dev fold to choose on and carries "
            "over the calibration and threshold chosen on the dev-fold run. Train that run "
            "(`make train-reader` does) and record its choices with "
            f"`{MAKE_IT}`, or pass --choices with the record's path."
        )
    return found


def recipe_of(record: dict) -> dict:
    """The dev-fold run's training arguments, as its record keeps them."""
    training, window = record["training"], record["window"]
    return {
        "epochs": training["epochs_planned"],
        **{key: training[key] for key in RECIPE},
        "bf16": training.get("bf16", False),  # records before --bf16 were float32 runs
        **{key: window[key] for key in WINDOW},
    }


def check_recipe(config: dict, record: dict, path: Path) -> None:
    """Refuse to carry the choices over to a run trained otherwise than the dev-fold run."""
    config = {"bf16": False, **config}
    differ = [
        f"{key} {config.get(key)} (dev-fold run: {value})"
        for key, value in recipe_of(record).items()
        if config.get(key) != value
    ]
    if differ:
        raise SystemExit(
            f"{config.get('out', 'this run')} was not trained with the recipe of the dev-fold "
            f"run recorded in {path}: {', '.join(differ)}. Its calibration and threshold would "
            "not carry over: train with the dev-fold run's arguments and --fold all."
        )


def carried_over(record: dict, path: Path) -> dict:
    """The recorded choices, in the shape choose() gives them (for the manifest)."""
    sha = record["training"]["weights_sha256"]
    return {
        "calibration": record["calibration"],
        "threshold": record["threshold"],
        "log_loss": record["log_loss"],
        "calibrated_on": f"{record['calibrated_on']} of the dev-fold run",
        "choices": (
            f"calibration and threshold chosen on the dev-fold run (weights SHA-256 {sha}) "
            f"and carried over unchanged ({path.as_posix()})"
        ),
    }
