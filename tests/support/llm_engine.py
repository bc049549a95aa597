"""An engine in llm mode over an ingested store, pointed at the local OpenAI-protocol server."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from assistant.engine import Engine, build_engine

from .openai_server import OpenAIServer

SECRET = "sk-test-DO-NOT-LEAK-0123456789"


def llm_engine_for(base: Engine, server: OpenAIServer, **overrides: Any) -> Engine:
    """A new engine sharing ``base``'s store and embedding model, in llm mode against
    ``server``, without retries; ``overrides`` are further settings."""
    values: dict[str, Any] = {
        "answer_mode": "llm",
        "llm_base_url": server.url,
        "llm_api_key": SECRET,
        "llm_model": "test-model",
        "llm_max_retries": 0,
        "llm_timeout": 5.0,
    }
    values.update(overrides)
    if isinstance(values["llm_api_key"], str):
        values["llm_api_key"] = SecretStr(values["llm_api_key"])
    settings = base.settings.model_copy(update=values)
    return build_engine(settings, base.embedder())
