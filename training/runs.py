"""What a training run's folder holds (training/train_reader.py writes it): its arguments and
data counts (config.json), the logged loss (losses.jsonl), the weights at each epoch's end, the
dev fold's predictions then (a dev-fold run only) and DONE. Torch-free: it reads files only.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path


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


def write_json(path: Path, data: dict | list, indent: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=indent) + ("\n" if indent else ""), encoding="utf-8")
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


def trained_for(run: Path, prog: Progress) -> tuple[int, float | None]:
    """(steps, wall seconds) behind the weights that ship: the whole run when it finished, else
    up to the end of its last finished epoch (time as of the last step logged by then)."""
    if prog.finished:
        return prog.step, prog.seconds
    steps = prog.total // prog.planned * prog.done
    logged = [r for r in read_losses(run) if r["step"] <= steps]
    return steps, (float(logged[-1]["seconds"]) if logged else None)
