"""The training report's arithmetic on a tiny synthetic run folder: losses by epoch (a resumed
run's repeated steps counted once), the dev fold's figures at its chosen threshold, held-out
figures only from the model that ships, and the note on a run that stopped early. Synthetic
numbers: this checks the report, not the model (training/report.py reads files only, no torch)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from PIL import Image

from training import report
from training.pipeline import choose, probabilities, progress
from training.scoring import summarise

TITLES = {
    "train": ["Alpha", "Beta", "Gamma"],
    "dev": ["Delta"],
    "heldout_v2": ["Epsilon"],
    "only_v1": ["Zeta", "Eta"],
}
CONFIG = {
    "command": "train", "fold": "dev", "epochs": 2, "batch_size": 16, "lr": 8e-5,
    "warmup": 0.06, "negatives": 0.5, "answerable_weight": 0.5, "max_tokens": 192,
    "overlap": 64, "threads": 2, "seed": 13, "log_every": 10, "checkpoint_every": 50,
    "counts": {"questions": 40, "answerable": 20, "unanswerable": 20, "distractors": 5,
               "windows": 70, "articles": 3},
    "steps": 100,
}  # fmt: skip
SHA = "ab" * 32


def predictions(seed: int) -> list[dict]:
    """Answerable questions get higher margins on average, with overlap: not separable."""
    rng = random.Random(seed)
    found = []
    for i in range(60):
        answerable = i % 2 == 0
        f1 = [1.0, 0.5, 0.0, 0.9][i // 2 % 4] if answerable else 0.0
        found.append(
            {
                "id": f"q{i}",
                "article": "Delta",
                "answerable": answerable,
                "text": "x",
                "margin": rng.gauss(2.0 if answerable else -1.0, 2.0),
                "answerable_logit": rng.gauss(1.0 if answerable else -1.0, 1.5),
                "em": float(f1 == 1.0),
                "f1": f1,
            }
        )
    return found


def heldout(sha: str) -> dict:
    preds = [
        {"article": "Epsilon", "answerable": True, "em": 1.0, "f1": 1.0},
        {"article": "Epsilon", "answerable": True, "em": 0.0, "f1": 0.5},
        {"article": "Zeta", "answerable": False, "em": 0.0, "f1": 0.0},
    ]
    summary = {"threshold": 0.4, "questions": 3, "has_ans_em_always": 0.5,
               "has_ans_f1_always": 0.75, "has_ans_em": 0.5, "has_ans_f1": 0.625,
               "no_ans_acc": 1.0, "f1": 0.75, "exact_match": 0.6667}  # fmt: skip
    return {"set": "x", "seconds": 12.3, "precision": "int8", "at_threshold": summary,
            "predictions": preds, "sha256": sha}  # fmt: skip


@pytest.fixture
def run_folders(tmp_path: Path) -> tuple[Path, Path, Path]:
    run, work, out = tmp_path / "run", tmp_path / "work", tmp_path / "model"
    for folder in (run, work, out):
        folder.mkdir()
    (run / "config.json").write_text(json.dumps(CONFIG))
    losses = [(10, 4.0), (20, 3.0), (30, 2.0), (40, 2.0), (50, 1.0), (60, 0.9), (70, 0.8)]
    # Resumed from the checkpoint at step 50: steps 60 and 70 logged again, the later counts.
    losses += [(60, 0.7), (70, 0.5)]
    (run / "losses.jsonl").write_text(
        "".join(
            json.dumps({"step": s, "epoch": s / 50, "loss": v, "lr": 1e-5, "seconds": s * 2.0})
            + "\n"
            for s, v in losses
        )
    )
    (run / "dev-epoch1.json").write_text(json.dumps(predictions(1)))
    manifest = {
        "precision": "int8", "sha256": SHA, "threshold": 0.4, "max_answer_tokens": 30,
        "window": {"max_tokens": 192, "overlap": 64, "max_question_tokens": 64},
        "calibration": {"margin": 0.8, "answerable": 0.3, "bias": -0.5},
        "export": {"int8_bytes": 23_000_000, "fp32_bytes": 90_400_000,
                   "fp32_max_abs_difference": 3.6e-6},
        "training": {"weights": "epoch1.pt", "epochs_trained": 1, "epochs_planned": 2},
    }  # fmt: skip
    (out / "reader.json").write_text(json.dumps(manifest))
    (work / "heldout-v2.json").write_text(json.dumps(heldout(SHA)))
    (work / "heldout-v1.json").write_text(json.dumps(heldout("cd" * 32)))  # another model.onnx
    return run, work, out


def test_losses_by_epoch_count_a_repeated_step_once(run_folders) -> None:
    run, work, out = run_folders
    facts = report.gather(run, work, out)
    assert [r["step"] for r in facts.losses] == [10, 20, 30, 40, 50, 60, 70]
    first, second = facts.epoch_losses
    assert first["mean"] == pytest.approx(12.0 / 5) and first["last"] == 1.0
    assert second["mean"] == pytest.approx(0.6) and second["last"] == 0.5
    assert second["last_step"] == 70


def test_a_run_without_done_is_reported_as_stopped(run_folders, tmp_path: Path) -> None:
    run, work, out = run_folders
    prog = progress(run, CONFIG)
    assert (prog.done, prog.planned, prog.step, prog.finished) == (1, 2, 70, False)
    assert prog.seconds == 140.0
    report.write(run, work, out, tmp_path / "report", TITLES)
    text = (tmp_path / "report" / "REPORT.md").read_text()
    assert "Stopped after epoch 1 of planned 2" in text
    assert "last logged step 70 of 100" in text
    assert "Stopped after epoch 1 of planned 2" in (out / "MODEL_CARD.md").read_text()

    (run / "DONE").write_text(json.dumps({"steps": 100, "seconds": 3725.0}))
    report.write(run, work, out, tmp_path / "report", TITLES)
    text = (tmp_path / "report" / "REPORT.md").read_text()
    assert "Stopped" not in text
    assert "**Finished**: 2 epochs, 100 steps, 1 h 02 min" in text


def test_dev_figures_are_those_at_the_chosen_threshold(run_folders) -> None:
    run, work, out = run_folders
    (row,) = report.gather(run, work, out).dev
    preds = predictions(1)
    answerable = [p for p in preds if p["answerable"]]
    assert row["has_ans_f1_always"] == pytest.approx(
        sum(p["f1"] for p in answerable) / len(answerable)
    )
    chosen = choose(preds)
    scored = probabilities(preds, chosen["calibration"])
    at = summarise(scored, chosen["threshold"], key="probability")
    assert row["f1"] == pytest.approx(at["f1"])
    # The chosen threshold does at least as well as answering everything or nothing.
    assert row["f1"] >= summarise(scored, 0.0, key="probability")["f1"]
    assert row["f1"] >= summarise(scored, 1.1, key="probability")["f1"] == pytest.approx(0.5)
    assert (row["questions"], row["answerable"], row["articles"]) == (60, 30, 1)


def test_heldout_figures_come_from_the_shipped_file_only(run_folders, tmp_path: Path) -> None:
    run, work, out = run_folders
    facts = report.write(run, work, out, tmp_path / "report", TITLES)
    assert set(facts.measured) == {"heldout-v2"} and facts.stale == ["heldout-v1"]
    text = (tmp_path / "report" / "REPORT.md").read_text()
    assert "| SQuAD v2.0, held out | 2 | 3 (2) | 100.0 | 50.0 | 62.5 | 66.7 | 75.0 |" in text
    assert "| SQuAD v1.1, held out | not measured yet |" in text
    assert "measured on another model.onnx: heldout-v1" in text
    assert "23.0 MB int8 against 90.4 MB fp32" in text
    card = (out / "MODEL_CARD.md").read_text()
    assert SHA in card and "CC BY-SA 4.0" in card and "Apache-2.0" in card
    assert "trained on (3): Alpha; Beta; Gamma" in card
    assert "F1 75.0" in card
    image = Image.open(tmp_path / "report" / "loss.png")
    assert image.format == "PNG" and image.size == (900, 420)
