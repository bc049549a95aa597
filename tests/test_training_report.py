"""The training report's arithmetic on tiny synthetic run folders: losses by epoch (a resumed
run's repeated steps counted once), the dev fold's figures at its chosen threshold, held-out
figures only from the model that ships, and the note on a run that stopped early; the record of
the dev-fold choices (training/dev_fold.json) a dev run writes, and an all run's report from it:
the carried-over calibration, the dev-fold run's table and its held-out rows beside the new ones.
Synthetic numbers: this checks the report, not the model (no torch is imported)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from PIL import Image

from assistant.models.reader import file_sha256
from training import choices, pipeline, report
from training.choices import choose, probabilities
from training.runs import progress
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
ROOT = Path(__file__).resolve().parents[1]


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


def write_run(run: Path, config: dict) -> None:
    run.mkdir()
    (run / "config.json").write_text(json.dumps(config))
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


@pytest.fixture
def run_folders(tmp_path: Path) -> tuple[Path, Path, Path]:
    run, work, out = tmp_path / "run", tmp_path / "work", tmp_path / "model"
    write_run(run, CONFIG)
    work.mkdir()
    out.mkdir()
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


# --- a run on all training articles, its choices carried over from the dev-fold run -----------

ALL_CONFIG = {
    **CONFIG,
    "fold": "all",
    "counts": {**CONFIG["counts"], "questions": 52, "articles": 4},
}
RECORDED_SHA = "00" * 32


def figures(f1: float, **more: float) -> dict:
    """A dev-fold or held-out row as the record keeps it (only f1 varies between rows here)."""
    return {"threshold": 0.419, "no_ans_acc": 0.75, "has_ans_em": 0.3, "has_ans_f1": 0.36,
            "exact_match": 0.52, "f1": f1, "has_ans_f1_always": 0.62, **more}  # fmt: skip


def dev_fold_record() -> dict:
    """What a dev-fold release records: its choices, training facts, dev rows and held-out rows."""
    counts = {"articles": 1, "questions": 60, "answerable": 30}
    held = {"articles": 2, "questions": 3, "answerable": 2, "seconds": 9.0,
            "has_ans_em_always": 0.4}  # fmt: skip
    manifest = {
        "window": {"max_tokens": 192, "overlap": 64, "max_question_tokens": 64},
        "calibration": {"margin": 0.44, "answerable": -0.23, "bias": -0.21},
        "threshold": 0.419,
        "training": {
            "fold": "dev", "epochs_planned": 2, "epochs_trained": 2, "steps": 80,
            "seconds": 4673.0, "batch_size": 16, "lr": 8e-5, "warmup": 0.06, "negatives": 0.5,
            "answerable_weight": 0.5, "seed": 13, "counts": CONFIG["counts"],
            "weights": "epoch2.pt", "weights_sha256": "97" * 32,
            "calibrated_on": "dev-epoch2.json (60 dev-fold questions)",
            "calibration_log_loss": 0.57,
        },
    }  # fmt: skip
    dev = [
        {"epoch": 1, **counts, "log_loss": 0.5773, **figures(0.496)},
        {"epoch": 2, **counts, "log_loss": 0.57, **figures(0.561)},
    ]
    shipped = {"sha256": RECORDED_SHA, "dev": {**counts, **figures(0.55)},
               "heldout-v2": {**held, **figures(0.595)},
               "heldout-v1": {**held, **figures(0.8, no_ans_acc=None, has_ans_f1_always=0.605)}}  # fmt: skip
    return choices.record(manifest, dev, "recorded by hand for the test", shipped)


@pytest.fixture
def all_folders(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """A finished all run, its release and the record of the dev-fold run it carries over from;
    the shared work folder still holds the dev-fold release's dev-set files."""
    run, work, out = tmp_path / "all", tmp_path / "work", tmp_path / "model"
    write_run(run, ALL_CONFIG)
    (run / "DONE").write_text(json.dumps({"steps": 100, "seconds": 3725.0}))
    work.mkdir()
    out.mkdir()
    record_path = tmp_path / "dev_fold.json"
    choices.write(record_path, dev_fold_record())
    chosen = choices.carried_over(dev_fold_record(), record_path)
    manifest = {
        "precision": "int8", "sha256": SHA, "threshold": chosen["threshold"],
        "max_answer_tokens": 30, "calibration": chosen["calibration"],
        "window": {"max_tokens": 192, "overlap": 64, "max_question_tokens": 64},
        "training": {"fold": "all", "weights": "final.pt", "epochs_trained": 2,
                     "epochs_planned": 2, "calibrated_on": chosen["calibrated_on"],
                     "choices": chosen["choices"]},
    }  # fmt: skip
    (out / "reader.json").write_text(json.dumps(manifest))
    (work / "heldout-v2.json").write_text(json.dumps(heldout(SHA)))
    (work / "heldout-v1.json").write_text(json.dumps(heldout(SHA)))
    (work / "dev.json").write_text(json.dumps(heldout(RECORDED_SHA)))
    (work / "dev-epoch1.json").write_text(json.dumps(predictions(1)))
    return run, work, out, record_path


def test_an_all_run_reports_the_carried_over_choices_beside_the_dev_fold_release(
    all_folders, tmp_path: Path
) -> None:
    run, work, out, record_path = all_folders
    facts = report.write(run, work, out, tmp_path / "report", TITLES, choices=record_path)
    # The dev fold is trained on: neither its predictions nor the dev set count, even when the
    # shared work folder holds the dev-fold release's.
    assert (
        facts.dev == []
        and facts.stale == []
        and set(facts.measured)
        == {
            "heldout-v2",
            "heldout-v1",
        }
    )
    text = (tmp_path / "report" / "REPORT.md").read_text()
    assert "| fold | all (every training article, the dev fold's included) |" in text
    assert f"ships that run's calibration and threshold unchanged, as {record_path}" in text
    assert "recorded by hand for the test" in text
    assert "fitted on dev-epoch2.json (60 dev-fold questions) of the dev-fold run" in text
    assert (
        "(chosen on the dev-fold run, where it maximised the dev fold's overall F1; carried" in text
    )
    assert "not measured on the dev fold, which it trained on" in text
    # The dev-fold run's recorded table, where the choices were made.
    assert "| 1 | 0.419 | 75.0 | 30.0 | 36.0 | 52.0 | 49.6 | 62.0 |" in text
    assert "| 2 | 0.419 | 75.0 | 30.0 | 36.0 | 52.0 | 56.1 | 62.0 |" in text
    assert "| dev-fold release's int8 file | 0.419 | 75.0 | 30.0 | 36.0 | 52.0 | 55.0 |" in text
    assert "Calibration log-loss by epoch: 1: 0.5773, 2: 0.5700." in text
    # Both held-out rows: the new model, then the dev-fold release's as recorded.
    new = "| SQuAD v2.0, held out | 2 | 3 (2) | 100.0 | 50.0 | 62.5 | 66.7 | 75.0 | 50.0 / 75.0 | 12 |"
    before = "| SQuAD v2.0, held out: dev-fold release | 2 | 3 (2) | 75.0 | 30.0 | 36.0 | 52.0 | 59.5 | 40.0 / 62.0 | 9 |"
    assert f"{new}\n{before}\n" in text
    assert "| SQuAD v1.1, held out: dev-fold release | 2 | 3 (2) | – |" in text
    assert "SQuAD v2.0 F1 75.0 against 59.5 (+15.5 points)" in text
    assert "SQuAD v1.1 F1 answering every question 75.0 against 60.5 (+14.5 points)" in text
    card = (out / "MODEL_CARD.md").read_text()
    assert "trained on (4): every training article: Alpha; Beta; Gamma; Delta" in card
    assert "of them the dev fold (1), kept apart by the dev-fold run" in card
    assert "trained on all 4 training articles with the recipe chosen on the dev-fold run" in card
    assert (
        f"The dev-fold release before it (trained on 3 articles, `model.onnx` SHA-256 `{RECORDED_SHA}`)"
        in card
    )
    assert "52 questions over 4 Wikipedia articles were trained on" in card
    assert "CC BY-SA 4.0" in card and "Apache-2.0" in card and "dev fold (chosen on" not in card


def test_an_all_run_without_the_record_names_it_and_the_command(all_folders) -> None:
    run, work, out, record_path = all_folders
    record_path.unlink()
    with pytest.raises(SystemExit, match="dev_fold.json is missing") as raised:
        report.gather(run, work, out, record_path)
    assert choices.MAKE_IT in str(raised.value)
    with pytest.raises(SystemExit, match=f"{record_path} is missing.*--choose-only"):
        pipeline.main(
            [
                "--run",
                str(run),
                "--work",
                str(work),
                "--out",
                str(out),
                "--choices",
                str(record_path),
            ]
        )
    assert json.loads((out / "reader.json").read_text())["sha256"] == SHA  # nothing exported


def test_an_all_run_trained_otherwise_does_not_take_the_choices(all_folders) -> None:
    run, work, out, record_path = all_folders
    (run / "config.json").write_text(json.dumps({**ALL_CONFIG, "lr": 1e-4, "max_tokens": 256}))
    with pytest.raises(SystemExit, match=r"lr 0.0001 \(dev-fold run: 8e-05\), max_tokens 256"):
        pipeline.main(
            [
                "--run",
                str(run),
                "--work",
                str(work),
                "--out",
                str(out),
                "--choices",
                str(record_path),
            ]
        )


def test_choices_from_a_float32_dev_run_do_not_carry_over_to_a_bf16_run(all_folders) -> None:
    run, work, out, record_path = all_folders  # the record has no "bf16": a float32 run
    (run / "config.json").write_text(json.dumps({**ALL_CONFIG, "bf16": True}))
    with pytest.raises(SystemExit, match=r"bf16 True \(dev-fold run: False\)"):
        pipeline.main(["--run", str(run), "--work", str(work), "--out", str(out),
                       "--choices", str(record_path)])  # fmt: skip


def test_choose_only_records_a_dev_runs_choices_for_an_all_run(run_folders, tmp_path: Path) -> None:
    run, work, out = run_folders
    (run / "DONE").write_text(json.dumps({"steps": 100, "seconds": 3725.0}))
    (run / "dev-epoch2.json").write_text(json.dumps(predictions(2)))
    (run / "epoch2.pt").write_bytes(b"not really weights")
    record_path = tmp_path / "dev_fold.json"
    exported = (out / "reader.json").read_text()
    argv = ["--run", str(run), "--work", str(work), "--out", str(out), "--choices",
            str(record_path), "--choose-only"]  # fmt: skip
    pipeline.main(argv)
    assert (out / "reader.json").read_text() == exported  # no export
    record = json.loads(record_path.read_text())
    chosen = choose(predictions(2))
    assert record["threshold"] == chosen["threshold"]
    assert record["calibration"] == pytest.approx(chosen["calibration"])
    assert record["calibrated_on"] == "dev-epoch2.json (60 dev-fold questions)"
    assert [row["epoch"] for row in record["dev"]] == [1, 2]
    assert record["dev"][1]["f1"] == pytest.approx(chosen["summary"]["f1"])
    training = record["training"]
    assert (training["fold"], training["steps"], training["counts"]) == (
        "dev",
        100,
        CONFIG["counts"],
    )
    assert training["weights_sha256"] == file_sha256(run / "epoch2.pt")
    assert "shipped" not in record and "--choose-only" in record["source"]
    # The same recipe with --fold all takes these choices; the release's figures, recorded on
    # the same weights, survive choosing again.
    choices.check_recipe(ALL_CONFIG, record, record_path)
    choices.write(record_path, {**record, "shipped": {"sha256": RECORDED_SHA}})
    pipeline.main(argv)
    assert json.loads(record_path.read_text())["shipped"] == {"sha256": RECORDED_SHA}


def test_the_shipped_reader_carries_the_recorded_dev_fold_choices() -> None:
    """The committed record and the shipped manifest agree: whichever run ships, its calibration
    and threshold are the ones chosen on the dev fold."""
    shipped = json.loads((ROOT / "assistant/models/reader_model/reader.json").read_text())
    record = choices.load(ROOT / choices.CHOICES)
    assert shipped["calibration"] == record["calibration"]
    assert shipped["threshold"] == record["threshold"]
    # The record is the dev-fold run's (--choose-only), and the manifest names its weights.
    assert record["training"]["fold"] == "dev"
    assert record["training"]["weights_sha256"] in shipped["training"]["choices"]
