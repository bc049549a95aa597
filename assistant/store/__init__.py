"""The Chroma store: the only package that imports chromadb (chroma.py), and the chunk
record it keeps (records.py).

Two collections per store:
- ``<name>``: one record per chunk, with our own embedding and the chunk's metadata (LlamaIndex
  node format, so LlamaIndex's ChromaVectorStore reads it back). ChunkRecord is that metadata's
  one schema: ingestion writes records, retrieval reads them back as Passages.
- ``<name>-docs``: one record per document, holding the full document text and its manifest
  (content hash, title, source, chunk count). A document's record is written after its chunks,
  so it doubles as the commit marker of that document's ingestion. Its collection's metadata
  holds the store version and the CHUNK_CONTEXT the chunks' vectors were made with.
"""

from .chroma import Store
from .records import (
    CHUNK_CONTEXT,
    CONTEXT_SEPARATOR,
    SENTENCE_VECTORS_KEY,
    ChunkRecord,
    chunk_context,
    with_context,
)

__all__ = [
    "CHUNK_CONTEXT",
    "CONTEXT_SEPARATOR",
    "SENTENCE_VECTORS_KEY",
    "ChunkRecord",
    "Store",
    "chunk_context",
    "with_context",
]
