"""Answerers: extractive (offline default) and LLM (OpenAI-compatible)."""
