"""Question -> ranked passages: dense search, BM25 and their fusion, and the term statistics
the answerers weigh question words by."""

from .fusion import FusionTuning
from .retriever import Retriever
from .terms import TermStats

__all__ = ["FusionTuning", "Retriever", "TermStats"]
