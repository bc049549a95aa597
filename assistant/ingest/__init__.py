"""Ingestion: loaders (files -> documents), chunking, and the idempotent pipeline."""

from .pipeline import doc_id_for, ingest

__all__ = ["doc_id_for", "ingest"]
