"""Citations, a stage of their own: [n] markers parsed out of and written into answer text
(marking.py), quoted spans turned into numbered Citations (quotes.py, the one place that
builds them), and a model's citations checked against the passages it was shown (verify.py).
Nothing here imports the answerers: they hand in what they quote."""

from .marking import MARKER, markers, strip_markers
from .quotes import Located, Quoted, citation, cite_quotes

__all__ = ["MARKER", "Located", "Quoted", "cite_quotes", "citation", "markers", "strip_markers"]
