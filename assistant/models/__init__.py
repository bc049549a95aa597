"""Models: the only place that builds them.

The embedding model (a protocol, its ONNX runtime and its torch fallback, the ONNX export
kept apart from the runtime), the sentence vectors pooled from its token states, and the
client of an OpenAI-compatible endpoint. Heavy libraries are imported inside the functions
that need them, so importing this package costs nothing.
"""
