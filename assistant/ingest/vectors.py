"""What a chunk is embedded as, and the model calls that embed chunks.

A chunk is embedded, and BM25-indexed (retrieve/bm25.py), after its document's title: "He
said the plan was dropped" names no topic on its own, and the title gives it one. The title is
context only: the chunk's stored text, offsets, quotes and citations stay its own text
(store.chunk_context() picks the title line, store.CHUNK_CONTEXT versions that choice).

The title yields to the chunk in the model's window: it is cut at a word, or left out, when the
chunk leaves too little room, so the chunk's own text is never truncated and chunking is as
before (of 809 chunks of every tenth BBC article, 15 lose part of the title and 2 all of it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..models.embedding import Embedder, token_counts, token_head
from ..models.sentence_vectors import pack, sentence_spans
from ..store import CONTEXT_SEPARATOR, ChunkRecord

# Title tokens embedded at most. The seed headline and those of a tenth of the BBC articles have
# at most 11, so no real headline is cut; it bounds a "title" that is a long first line
# (loaders take up to 200 characters).
CONTEXT_TOKENS = 32


def prefixes(records: list[ChunkRecord], model: str, window: int) -> list[str]:
    """What goes before each chunk's text when it is embedded: its context and the separator,
    cut to the room the chunk leaves in a ``window`` of content tokens ("" when none)."""
    sizes = token_counts(model, [r.text for r in records])
    cut: dict[tuple[str, int], str] = {}  # a title is cut once for its document's chunks
    found = []
    for record, size in zip(records, sizes):
        context, room = record.context, min(CONTEXT_TOKENS, window - size)
        head = ""
        if context and room > 0:
            if (context, room) not in cut:
                cut[context, room] = token_head(model, context, room)
            head = cut[context, room]
        found.append(head + CONTEXT_SEPARATOR if head else "")
    return found


def embed_chunks(
    embedder: Embedder,
    records: list[ChunkRecord],
    prefixes: list[str],
    progress: Callable[[int], None],
    slice_size: int,
) -> tuple[Any, list[str | None]]:
    """Vectors of chunks embedded after their prefixes, in calls of ``slice_size`` texts of
    similar length, and each chunk's packed sentence vectors when the embedder can pool them
    from the same model run (None otherwise: the answerer then embeds those sentences when it
    needs them). The sentences are those of the chunk's own text, pooled in the run that
    includes the title.

    Texts are ordered by length across the whole group, so each model batch holds chunks of
    nearly equal size and little compute goes to padding (sorting within 256 chunks wastes
    ~10% on padding on news text; across 1,024, ~1%), while progress is still reported often.
    """
    import numpy as np

    with_sentences = getattr(embedder, "embed_with_sentences", None)
    texts = [prefix + r.text for prefix, r in zip(prefixes, records)]
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    vectors = np.empty((len(texts), embedder.dim), dtype=np.float32)
    packed: list[str | None] = [None] * len(texts)
    for start in range(0, len(order), slice_size):
        rows = order[start : start + slice_size]
        batch = [texts[i] for i in rows]
        if with_sentences is None:
            vectors[rows] = embedder.embed(batch)
        else:
            spans = []
            for i in rows:  # the sentences of the chunk's own text, after its prefix
                at = len(prefixes[i])
                spans.append([(at + s, at + e) for _, s, e in sentence_spans(records[i].text)])
            vectors[rows], per_text = with_sentences(batch, spans)
            for row, sentence_rows in zip(rows, per_text):
                packed[row] = pack(sentence_rows)
        progress(min(start + slice_size, len(order)))
    return vectors, packed
