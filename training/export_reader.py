"""Export trained reader weights to ONNX, fuse and quantise it, and write the package folder.

    python -m training.export_reader WEIGHTS.pt OUT_FOLDER [--fp32]

The graph takes ``input_ids``, ``attention_mask`` and ``token_type_ids`` (int64, dynamic batch
and sequence axes) and returns ``start_logits``, ``end_logits`` and ``answerable``. The fp32
export is checked against torch before anything else is done with it; the shipped file is
the int8 one (dynamic quantisation of the matrix products and the embedding tables), whose
figures are measured on the file itself (training/evaluate_reader.py), never assumed from
the fp32 weights.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from assistant.models.reader import file_sha256  # noqa: E402

from .model import build  # noqa: E402
from .train_reader import base_model  # noqa: E402

OPSET = 17
OUTPUTS = ["start_logits", "end_logits", "answerable"]


def export_fp32(weights: Path, target: Path) -> torch.nn.Module:
    net = build(base_model())
    state = torch.load(weights, map_location="cpu", weights_only=False)
    net.load_state_dict(state.get("model", state) if isinstance(state, dict) else state)
    net.eval()
    ids = torch.tensor(
        [
            [101, 2054, 2003, 102, 3000, 2003, 1037, 2103, 102],
            [101, 2040, 102, 2002, 2001, 102, 0, 0, 0],
        ]
    )
    mask = (ids != 0).long()
    types = torch.tensor([[0, 0, 0, 0, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 0, 0, 0]])
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net,
            (ids, mask, types),
            str(target),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=OUTPUTS,
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "token_type_ids": {0: "batch", 1: "sequence"},
                "start_logits": {0: "batch", 1: "sequence"},
                "end_logits": {0: "batch", 1: "sequence"},
                "answerable": {0: "batch"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    return net


def check(path: Path, net: torch.nn.Module, tolerance: float) -> float:
    """Largest difference between the ONNX file and torch on a padded random batch."""
    import onnxruntime as ort

    rng = np.random.default_rng(0)
    ids = rng.integers(1000, 30000, size=(3, 40), dtype=np.int64)
    ids[:, 0] = 101
    mask = np.ones_like(ids)
    mask[1, 25:] = 0
    mask[2, 12:] = 0
    ids[mask == 0] = 0
    types = np.zeros_like(ids)
    types[:, 8:] = 1
    types[mask == 0] = 0
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    with torch.no_grad():
        want = [
            t.numpy()
            for t in net(torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types))
        ]
    real = mask.astype(bool)
    error = max(
        float(np.abs(got[0] - want[0])[real].max()),
        float(np.abs(got[1] - want[1])[real].max()),
        float(np.abs(got[2] - want[2]).max()),
    )
    if error > tolerance:
        raise RuntimeError(f"{path.name} differs from torch by {error:.3g} (tolerance {tolerance})")
    return error


def quantise(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source),
        str(target),
        op_types_to_quantize=["MatMul", "Gather"],
        per_channel=True,
        weight_type=QuantType.QInt8,
    )


def write_folder(model: Path, out: Path, manifest: dict) -> None:
    """The package folder: model.onnx, tokenizer.json and reader.json (with the model's hash)."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, out / "model.onnx")
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(base_model() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    tokenizer.save(str(out / "tokenizer.json"))
    manifest = {**manifest, "sha256": file_sha256(out / "model.onnx")}
    (out / "reader.json").write_text(json.dumps(manifest, indent=2) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("weights", type=Path)
    parser.add_argument(
        "out", type=Path, help="folder to write model.onnx, tokenizer.json, reader.json"
    )
    parser.add_argument("--fp32", action="store_true", help="ship the fp32 graph (for comparison)")
    parser.add_argument(
        "--manifest", type=Path, help="JSON merged into reader.json (window, calibration, ...)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        net = export_fp32(args.weights, fp32)
        error = check(fp32, net, 1e-3)
        print(f"fp32 export matches torch (max abs difference {error:.2e})")
        shipped = fp32
        if not args.fp32:
            shipped = Path(tmp) / "int8.onnx"
            quantise(fp32, shipped)
            print(
                f"int8: {shipped.stat().st_size / 1e6:.1f} MB (fp32 {fp32.stat().st_size / 1e6:.1f} MB)"
            )
        manifest = json.loads(args.manifest.read_text()) if args.manifest else {}
        manifest.setdefault("precision", "fp32" if args.fp32 else "int8")
        write_folder(shipped, args.out, manifest)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
