"""Sentence vectors stored with each chunk, so a question does not embed every retrieved sentence.

The extractive answerer scores every sentence of the retrieved passages by meaning. Embedding
those sentences at question time cost ~100 ms per question on two cores (about 25 sentences),
far more than retrieval. Instead, ingestion keeps the model's token states for each chunk,
which it computes anyway, and mean-pools them over each sentence's tokens: a vector for every
sentence at no extra model cost. These in-context vectors rank the sentences; only the few
leaders are then embedded on their own (ExtractiveTuning.shortlist in answer/extractive.py),
because the evidence threshold was set on sentences embedded alone: ranking by in-context
vectors alone put the answer in the quote more often on 300 SQuAD questions (248 vs 236) but
cost 3 of 65 seed-set answers.

The vectors travel in the chunk's record as one ASCII string (int8 with a float16 scale per
sentence, base64; ChunkRecord.sentence_vectors in store.py), so they are written, replaced and
deleted with the chunk itself, in the embedded store and on a Chroma server alike. The n-th
vector belongs to the n-th sentence of sentence_spans(). A chunk without them (ingested
by an older version or by a backend that cannot give token states) is answered by embedding
its sentences as before.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import numpy as np

from ..text import paragraphs, sentences


def sentence_spans(text: str) -> Iterator[tuple[int, int, int]]:
    """(paragraph index, start, end) of every sentence of a chunk's text, in order.

    The answerer's candidates and the stored vectors both come from this one function, so the
    n-th stored vector always belongs to the n-th sentence.
    """
    for number, (p_start, p_end) in enumerate(paragraphs(text)):
        for start, end in sentences(text, p_start, p_end):
            yield number, start, end


def pool_spans(
    tokens: np.ndarray, offsets: list[tuple[int, int]], spans: list[tuple[int, int]]
) -> np.ndarray:
    """Unit vectors of character spans: the mean of the token states that overlap each span.

    ``tokens`` holds one row per token of the text (padding rows are never addressed, as
    ``offsets`` has one entry per real token); special tokens have empty offsets and are left out.
    """
    starts = np.array([s for s, _ in offsets])
    ends = np.array([e for _, e in offsets])
    real = ends > starts
    whole = tokens[: len(offsets)][real].mean(axis=0) if real.any() else tokens.mean(axis=0)
    out = np.empty((len(spans), tokens.shape[1]), dtype=np.float32)
    for row, (start, end) in enumerate(spans):
        inside = real & (ends > start) & (starts < end)
        out[row] = tokens[: len(offsets)][inside].mean(axis=0) if inside.any() else whole
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def pack(vectors: np.ndarray) -> str:
    """Rows of unit vectors as one compact ASCII string (int8 + a float16 scale per row)."""
    if len(vectors) == 0:
        return ""
    scale = np.abs(vectors).max(axis=1, keepdims=True) / 127.0
    scale = np.maximum(scale, 1e-12).astype(np.float16)
    quantised = np.round(vectors / scale.astype(np.float32)).clip(-127, 127).astype(np.int8)
    return base64.b64encode(scale.tobytes() + quantised.tobytes()).decode("ascii")


def unpack(packed: str, dim: int) -> np.ndarray | None:
    """The rows `pack` wrote, re-normalised; None when the string is not a whole number of rows
    of this width (a different model, or damage): the caller then embeds the sentences itself."""
    try:
        raw = base64.b64decode(packed.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        return None
    rows, extra = divmod(len(raw), dim + 2)
    if extra or not rows:
        return None
    scale = np.frombuffer(raw[: rows * 2], dtype=np.float16).astype(np.float32)
    values = np.frombuffer(raw[rows * 2 :], dtype=np.int8).reshape(rows, dim)
    vectors = values.astype(np.float32) * scale[:, None]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
