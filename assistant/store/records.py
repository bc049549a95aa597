"""The chunk record: one schema between what ingestion writes and what retrieval reads back,
and what a chunk is embedded and BM25-indexed as besides its own text (its title)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..types import Passage

# Where a chunk sits in its document: stored with every chunk, copied into every Passage.
_LOCATION = (
    "doc_id",
    "title",
    "source",
    "paragraph_start",
    "paragraph_end",
    "char_start",
    "char_end",
)
# The metadata key of the sentence vectors pooled at ingestion (models/sentence_vectors.py).
SENTENCE_VECTORS_KEY = "sentence_vectors"
# What a chunk is embedded and BM25-indexed with besides its own text (chunk_context()). A
# store records it (Store.context_current); bump it when chunk_context() or CONTEXT_SEPARATOR
# changes, and a store made before is re-embedded by the next ingest (ingest/pipeline.py)
# rather than mixing two kinds of vectors. A store that records none predates titles: its
# chunks were embedded as their bare text.
CHUNK_CONTEXT = "title-1"
# Between the title and the chunk: a paragraph break, so every chunk reads like the opening of
# its document (a heading, then text), as a text file's first chunk does when its first line is
# the title. A "title: ..." label instead would add one word to every chunk of the library.
CONTEXT_SEPARATOR = "\n\n"
_NODE_CONTEXT_KEY = "context"


def chunk_context(title: str, source: str, text: str) -> str:
    """The title a chunk is embedded and BM25-indexed after ("" when the chunk already opens
    with it, as a text file's first chunk does: it would count twice).

    A title that is the file name (loaders fall back to it) is kept, its separators made
    spaces: "budget_2024_draft" still names a topic, and BM25 would read it as one word.
    """
    title = " ".join(title.split())
    if title == Path(source).stem:
        title = " ".join(re.split(r"[\s_.\-]+", title)).strip()
    opening = " ".join(text[: 2 * len(title) + 8].split()).lstrip("#").lstrip()
    return "" if opening.startswith(title) else title


def with_context(context: str, text: str) -> str:
    """What is embedded and BM25-indexed for a chunk: the context, a paragraph break, the text."""
    return f"{context}{CONTEXT_SEPARATOR}{text}" if context else text


@dataclass(frozen=True)
class ChunkRecord:
    """One chunk as the store keeps it. Its metadata() is what a chunk record carries besides
    its text and vector; from_metadata() reads it back, whoever wrote it (LlamaIndex adds keys
    of its own, which are ignored)."""

    chunk_id: str
    text: str
    doc_id: str
    title: str
    source: str
    paragraph_start: int  # 1-based
    paragraph_end: int
    char_start: int  # offsets of the chunk in the document text
    char_end: int
    content_hash: str = ""  # of the document version the chunk belongs to
    sentence_vectors: str | None = None  # packed, one row per sentence

    def metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {key: getattr(self, key) for key in _LOCATION}
        meta["content_hash"] = self.content_hash
        if self.sentence_vectors:
            meta[SENTENCE_VECTORS_KEY] = self.sentence_vectors
        return meta

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> ChunkRecord:
        return cls(
            chunk_id=chunk_id,
            text=text,
            content_hash=meta.get("content_hash", ""),
            sentence_vectors=meta.get(SENTENCE_VECTORS_KEY),
            **{key: meta[key] for key in _LOCATION},
        )

    @property
    def context(self) -> str:
        return chunk_context(self.title, self.source, self.text)

    def node(self, vector: Any = None) -> Any:
        """The chunk as a LlamaIndex node. Its text is the chunk's own (what passages, quotes
        and citations show); what LlamaIndex embeds or BM25 indexes (MetadataMode.EMBED) is
        with_context(context, text), its only embed-visible metadata being the context."""
        from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

        metadata = self.metadata()
        hidden = list(metadata)
        metadata[_NODE_CONTEXT_KEY] = self.context
        return TextNode(
            id_=self.chunk_id,
            text=self.text,
            metadata=metadata,
            embedding=None if vector is None else vector.tolist(),
            start_char_idx=self.char_start,
            end_char_idx=self.char_end,
            excluded_embed_metadata_keys=hidden,
            excluded_llm_metadata_keys=list(metadata),
            metadata_template="{value}",
            text_template="{metadata_str}" + CONTEXT_SEPARATOR + "{content}",
            # LlamaIndex writes the source node's id as the record's doc_id: make it ours.
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=self.doc_id)},
        )

    def passage(self, score: float = 0.0, scores: dict[str, float] | None = None) -> Passage:
        return Passage(
            chunk_id=self.chunk_id,
            text=self.text,
            score=score,
            scores=scores or {},
            sentence_vectors=self.sentence_vectors,
            **{key: getattr(self, key) for key in _LOCATION},
        )
