"""The reader: a small extractive question-answering model that finds the answer span in a
passage, or says the passage does not answer.

It is all-MiniLM-L6-v2 fine-tuned on SQuAD 2.0-style data (training/, `make train-reader`)
with two heads: start/end logits over the tokens (the [CLS] position standing for "no
answer") and an answerability logit on [CLS]. It ships as an int8 ONNX file inside the
package (reader_model/), checked against the SHA-256 in its manifest when it is loaded, and
runs on ONNX Runtime: no torch, no download.

Passages longer than the window are read in overlapping windows, so nothing is silently cut;
the training script builds its examples with the same :func:`windows`, so the model sees at
run time exactly the inputs it was trained on.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MANIFEST = "reader.json"
RESTORE_HINT = (
    "restore it with `pip install --force-reinstall briefing-assistant` (from a source "
    "checkout: `git checkout -- assistant/models/reader_model`, or retrain with `make "
    "train-reader`)"
)


@dataclass(frozen=True)
class WindowSpec:
    """How question and passage are laid out in the model's input."""

    max_tokens: int = 256  # the encoder's window, special tokens included
    max_question_tokens: int = 64  # longer questions are cut at the end (never the passage)
    overlap: int = 96  # context tokens shared by consecutive windows of a long passage


@dataclass
class Window:
    """One model input: [CLS] question [SEP] a stretch of the passage [SEP]."""

    ids: list[int]
    type_ids: list[int]
    context_start: int  # index in ids of the first passage token
    offsets: list[tuple[int, int]]  # character span in the passage of each passage token

    @property
    def context_end(self) -> int:
        return self.context_start + len(self.offsets)


@dataclass
class Span:
    """The best answer a passage gives, with the reader's scores."""

    char_start: int  # offsets into the passage text
    char_end: int
    text: str
    score: float  # start + end logit of the span
    null: float  # start + end logit of [CLS]: "this passage does not answer"
    answerable: float  # the answerability head's logit
    probability: float = 0.0  # calibrated chance that the span answers the question

    @property
    def margin(self) -> float:
        return self.score - self.null


@dataclass
class Calibration:
    """Logistic map of the reader's scores to a probability that the span answers.

    Fitted on the cross-validation fold of the training articles (training/calibrate.py).
    """

    margin: float = 1.0
    answerable: float = 0.0
    bias: float = 0.0

    def probability(self, margin: float, answerable: float) -> float:
        z = self.margin * margin + self.answerable * answerable + self.bias
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def windows(
    tokenizer: Tokenizer, question: str, passage: str, spec: WindowSpec = WindowSpec()
) -> list[Window]:
    """The passage in overlapping windows, each preceded by the question."""
    cls_id = _special(tokenizer, "[CLS]")
    sep_id = _special(tokenizer, "[SEP]")
    q_ids = tokenizer.encode(question, add_special_tokens=False).ids[: spec.max_question_tokens]
    encoding = tokenizer.encode(passage, add_special_tokens=False)
    ids, offsets = encoding.ids, encoding.offsets
    room = spec.max_tokens - len(q_ids) - 3
    step = max(1, room - spec.overlap)
    found = []
    start = 0
    while True:
        piece = slice(start, start + room)
        body = ids[piece]
        found.append(
            Window(
                ids=[cls_id, *q_ids, sep_id, *body, sep_id],
                type_ids=[0] * (len(q_ids) + 2) + [1] * (len(body) + 1),
                context_start=len(q_ids) + 2,
                offsets=[tuple(o) for o in offsets[piece]],  # type: ignore[misc]
            )
        )
        if start + room >= len(ids):
            return found
        start += step


def _special(tokenizer: Tokenizer, token: str) -> int:
    found = tokenizer.token_to_id(token)
    if found is None:
        raise ReaderUnavailable(f"The reader's tokenizer has no {token} token; {RESTORE_HINT}.")
    return int(found)


def batch_arrays(batch: list[Window]) -> dict[str, np.ndarray]:
    """The windows as padded int64 arrays, the model's inputs."""
    width = max(len(w.ids) for w in batch)
    ids = np.zeros((len(batch), width), dtype=np.int64)
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    for row, w in enumerate(batch):
        ids[row, : len(w.ids)] = w.ids
        types[row, : len(w.ids)] = w.type_ids
        mask[row, : len(w.ids)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def best_span(
    window: Window,
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    max_answer_tokens: int = 30,
    top: int = 20,
) -> tuple[int, int, float] | None:
    """(first token, last token, score) of the best span inside the window's passage part."""
    lo, hi = window.context_start, window.context_end
    if hi <= lo:
        return None
    starts = start_logits[lo:hi]
    ends = end_logits[lo:hi]
    top_s = np.argsort(-starts)[:top]
    top_e = np.argsort(-ends)[:top]
    best: tuple[int, int, float] | None = None
    for s in top_s:
        for e in top_e:
            if e < s or e - s + 1 > max_answer_tokens:
                continue
            score = float(starts[s] + ends[e])
            if best is None or score > best[2]:
                best = (int(s), int(e), score)
    return best


def decode(
    passage: str,
    window: Window,
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    answerable: float,
    max_answer_tokens: int = 30,
) -> Span | None:
    """The window's best span as character offsets into the passage, with its scores."""
    found = best_span(window, start_logits, end_logits, max_answer_tokens)
    if found is None:
        return None
    s, e, score = found
    char_start, char_end = window.offsets[s][0], window.offsets[e][1]
    return Span(
        char_start=char_start,
        char_end=char_end,
        text=passage[char_start:char_end],
        score=score,
        null=float(start_logits[0] + end_logits[0]),
        answerable=float(answerable),
    )


def combine(spans: list[Span]) -> Span | None:
    """One passage's answer from its windows: the best span; the passage answers only when
    no window is confident it does not (the lowest "no answer" score of the windows)."""
    if not spans:
        return None
    best = max(spans, key=lambda s: s.score)
    best.null = min(s.null for s in spans)
    best.answerable = max(s.answerable for s in spans)
    return best


# --- the shipped model -----------------------------------------------------------------------
def model_folder() -> Path:
    """The folder of the packaged reader (model.onnx, tokenizer.json, reader.json, card)."""
    return Path(str(resources.files("assistant.models") / "reader_model"))


@dataclass
class ReaderInfo:
    """The manifest written by the training script next to the model."""

    folder: Path
    sha256: str
    spec: WindowSpec
    calibration: Calibration
    threshold: float  # answer when the calibrated probability reaches this
    max_answer_tokens: int = 30
    extra: dict[str, Any] = field(default_factory=dict)


def read_manifest(folder: Path | None = None) -> ReaderInfo:
    folder = folder or model_folder()
    path = folder / MANIFEST
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReaderUnavailable(
            f"The reader's manifest {path} cannot be read ({exc}); {RESTORE_HINT}."
        ) from exc
    return ReaderInfo(
        folder=folder,
        sha256=meta["sha256"],
        spec=WindowSpec(**meta.get("window", {})),
        calibration=Calibration(**meta.get("calibration", {})),
        threshold=float(meta.get("threshold", 0.5)),
        max_answer_tokens=int(meta.get("max_answer_tokens", 30)),
        extra=meta,
    )


class ReaderUnavailable(ConfigError):
    """The packaged reader model is missing, damaged or altered."""

    exit_code = 1


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MB blocks (the manifest's and the training's hash)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=4)
def _verified(path: Path, size: int, mtime_ns: int, expected: str) -> None:
    """Hash the model file once per process per version of the file."""
    found = file_sha256(path)
    if found != expected:
        raise ReaderUnavailable(
            f"The reader model {path} is damaged or altered: its SHA-256 is "
            f"{found}, expected {expected}; {RESTORE_HINT}."
        )


def verify(info: ReaderInfo) -> Path:
    path = info.folder / "model.onnx"
    try:
        stat = path.stat()
    except OSError as exc:
        raise ReaderUnavailable(
            f"The reader model {path} is missing (expected SHA-256 {info.sha256}); {RESTORE_HINT}."
        ) from exc
    _verified(path, stat.st_size, stat.st_mtime_ns, info.sha256)
    return path


class Reader:
    """The packaged reader on ONNX Runtime: question + passages in, one Span per passage out."""

    def __init__(self, threads: int = 2, folder: Path | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.info = read_manifest(folder)
        path = verify(self.info)
        self.tokenizer = Tokenizer.from_file(str(self.info.folder / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()

    def logits(self, batch: list[Window]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(start, end, answerable) logits of a batch of windows."""
        with self._lock:
            start, end, answerable = self._session.run(None, batch_arrays(batch))
        return start, end, answerable.reshape(-1)

    def read(self, question: str, passages: list[str], batch_size: int = 16) -> list[Span | None]:
        """The best span of each passage (None for a passage with no text), calibrated."""
        spec = self.info.spec
        laid = [
            (i, w)
            for i, text in enumerate(passages)
            for w in windows(self.tokenizer, question, text, spec)
        ]
        # Windows of similar length share a batch: little compute is spent on padding.
        laid.sort(key=lambda item: -len(item[1].ids))
        per_passage: list[list[Span]] = [[] for _ in passages]
        for begin in range(0, len(laid), batch_size):
            chunk = laid[begin : begin + batch_size]
            start, end, answerable = self.logits([w for _, w in chunk])
            for row, (index, window) in enumerate(chunk):
                span = decode(
                    passages[index],
                    window,
                    start[row],
                    end[row],
                    answerable[row],
                    self.info.max_answer_tokens,
                )
                if span is not None:
                    per_passage[index].append(span)
        results = []
        for spans in per_passage:
            span = combine(spans)
            if span is not None:
                span.probability = self.info.calibration.probability(span.margin, span.answerable)
            results.append(span)
        return results
