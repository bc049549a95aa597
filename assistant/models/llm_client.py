"""The OpenAI-compatible endpoint: the only module that builds an ``openai`` client (the
answerer and the evaluation's judges both talk to the endpoint through it).

Works with anything that speaks the chat-completions protocol (OpenAI, vLLM, Ollama,
llama.cpp server, LM Studio, ``transformers serve``). Every failure (unreachable, timeout,
401, 429, 5xx, a malformed or empty stream) becomes one ``LLMError`` whose message says which
setting to check. The API key never appears in a message or a log line: it is scrubbed from
anything the server or the HTTP library says before we repeat it.
"""

from __future__ import annotations

import json
import logging
import re
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

from ..config import Settings
from ..errors import LLMError

log = logging.getLogger(__name__)

Message = dict[str, str]

# Local servers (Ollama, vLLM, llama.cpp) ignore the key, but the openai client insists on one.
_PLACEHOLDER_KEY = "not-needed"
# Anything that looks like a bearer token, in case a server echoes a key we were not given.
_TOKEN = re.compile(r"\b(?:sk|pk|rk|hf|gsk|key)[-_][A-Za-z0-9_\-]{6,}")
_DETAIL_CHARS = 200


class LLMClient:
    """Chat completions against the configured endpoint: whole replies or streamed deltas."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
        self._secret = key
        # A password or token written into the endpoint URL is as secret as the key; the
        # HTTP libraries log request URLs at INFO, so their records are scrubbed too.
        self._url_secrets = url_secrets(settings.llm_base_url)
        if self._url_secrets:
            scrub = _Scrub(self._url_secrets)
            scrub.install()
            # The filter goes with the client: a later client, with other secrets, has its own.
            weakref.finalize(self, scrub.remove)
        if not key and not settings.llm_base_url:
            raise LLMError(
                "No language model is configured: set BRIEFING_LLM_API_KEY (or OPENAI_API_KEY) "
                "for OpenAI, or BRIEFING_LLM_BASE_URL for a local OpenAI-compatible server."
            )
        import openai

        self._client = openai.OpenAI(
            base_url=settings.llm_base_url or None,
            api_key=key or _PLACEHOLDER_KEY,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )

    def complete(
        self,
        messages: Sequence[Message],
        max_tokens: int | None = None,
        *,
        temperature: float | None = None,
    ) -> str:
        """The whole reply to ``messages`` (short calls: condensing, judging). ``temperature``
        replaces BRIEFING_LLM_TEMPERATURE for this call (judges grade at 0)."""
        request = self._request(messages, max_tokens)
        if temperature is not None:
            request["temperature"] = temperature
        try:
            response = self._client.chat.completions.create(**request, stream=False)
            text = response.choices[0].message.content if response.choices else None
        except Exception as exc:  # noqa: BLE001 - every failure becomes one LLMError
            raise self._error(exc) from None
        if not text or not text.strip():
            raise LLMError(self._empty_message())
        return text

    def stream(self, messages: Sequence[Message], max_tokens: int | None = None) -> Iterator[str]:
        """Text deltas of the reply as the server sends them; LLMError on any failure,
        including a stream that ends without a single character of text."""
        produced = finished = False
        chunks = None
        try:
            chunks = self._client.chat.completions.create(
                **self._request(messages, max_tokens), stream=True
            )
            for chunk in chunks:
                for choice in getattr(chunk, "choices", None) or ():
                    delta = getattr(choice.delta, "content", None) if choice.delta else None
                    finished = finished or bool(choice.finish_reason)
                    if delta:
                        produced = True
                        yield delta
        except GeneratorExit:
            raise  # the reader stopped early (a cancelled request): not a failure
        except Exception as exc:  # noqa: BLE001 - every failure becomes one LLMError
            raise self._error(exc) from None
        finally:
            if chunks is not None:
                chunks.close()  # frees the connection even when the reader stops early
        if not produced:
            raise LLMError(self._empty_message())
        if not finished:
            # Every OpenAI-compatible server ends a stream with a finish_reason; without one
            # the connection was cut and the answer is incomplete.
            raise self._error(_Truncated())

    # --- internals ------------------------------------------------------------------------
    def _request(self, messages: Sequence[Message], max_tokens: int | None) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.settings.llm_model,
            "messages": list(messages),
            "temperature": self.settings.llm_temperature,
        }
        if max_tokens:
            request["max_tokens"] = max_tokens
        return request

    def _empty_message(self) -> str:
        return (
            f"The language model {self.settings.llm_model!r} returned an empty answer; "
            "check BRIEFING_LLM_MODEL (the endpoint may not serve that model)."
        )

    def _error(self, exc: BaseException) -> LLMError:
        """One clear, key-free message for a failure, naming the setting to check."""
        message = self.scrub(_describe(exc, self.settings))
        log.warning("LLM request failed: %s", message)
        log.debug("LLM failure detail: %s: %s", type(exc).__name__, self.scrub(str(exc)))
        return LLMError(message)

    def scrub(self, text: str) -> str:
        """``text`` without the API key (or anything shaped like a key) in it."""
        for secret in (self._secret, *self._url_secrets):
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return _TOKEN.sub("***", text)


def _describe(exc: BaseException, settings: Settings) -> str:
    import httpx
    import openai

    where = public_url(settings.llm_base_url) or "the OpenAI API"
    timeout = settings.llm_timeout
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return (
            f"The language model at {where} did not answer within {timeout:g} second"
            f"{'' if timeout == 1 else 's'}; "
            "check that it is running, or raise BRIEFING_LLM_TIMEOUT."
        )
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        return (
            f"The language model at {where} could not be reached; "
            "check BRIEFING_LLM_BASE_URL and that the server is running."
        )
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        detail = _detail(exc)
        if status in (401, 403):
            return (
                f"The language model at {where} refused the API key (HTTP {status}); "
                "check BRIEFING_LLM_API_KEY (or OPENAI_API_KEY)."
            )
        if status == 429:
            return (
                f"The language model at {where} is rate-limiting requests (HTTP 429) or the "
                "account is out of quota; wait and retry, or check BRIEFING_LLM_API_KEY's plan."
            )
        if status == 404:
            return (
                f"The endpoint {where} has no model {settings.llm_model!r} or no "
                f"chat-completions route (HTTP 404{detail}); check BRIEFING_LLM_MODEL and "
                "BRIEFING_LLM_BASE_URL (it usually ends in /v1)."
            )
        if status >= 500:
            return (
                f"The language model at {where} failed with a server error (HTTP {status}"
                f"{detail}); check the server's logs or BRIEFING_LLM_BASE_URL."
            )
        return (
            f"The language model at {where} rejected the request (HTTP {status}{detail}); "
            "check BRIEFING_LLM_MODEL."
        )
    if isinstance(exc, _Truncated):
        return (
            f"The language model at {where} stopped sending before the answer was complete; "
            "check the server's logs and BRIEFING_LLM_BASE_URL."
        )
    if type(exc) is openai.APIError:  # an error event inside the stream
        return (
            f"The language model at {where} failed while answering ({_detail(exc)[2:] or exc}); "
            "check the server's logs and BRIEFING_LLM_MODEL."
        )
    malformed = (json.JSONDecodeError, openai.APIResponseValidationError, openai.APIError)
    if isinstance(exc, malformed + (AttributeError, KeyError, TypeError, ValueError)):
        return (
            f"The language model at {where} sent a reply that is not valid OpenAI "
            "chat-completions data; check BRIEFING_LLM_BASE_URL points at an "
            "OpenAI-compatible endpoint (usually ending in /v1)."
        )
    return (
        f"The language model at {where} failed ({type(exc).__name__}); "
        "check BRIEFING_LLM_BASE_URL and BRIEFING_LLM_MODEL."
    )


class _Truncated(Exception):
    """A stream that ended without a finish_reason."""


def _detail(exc: Any) -> str:
    """A short excerpt of the server's own error message, when it gave one."""
    body = getattr(exc, "body", None)
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message.strip():
        return ""
    message = " ".join(message.split())
    if len(message) > _DETAIL_CHARS:
        message = message[: _DETAIL_CHARS - 1] + "…"
    return f": {message}"


class _Scrub(logging.Filter):
    """Replaces one client's secrets in the records of the HTTP client libraries' loggers."""

    LOGGERS = ("httpx", "httpx2", "httpcore", "openai")

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self.secrets = frozenset(s for s in secrets if len(s) >= 4)

    def install(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)

    def remove(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, ()
        return True


def public_url(url: str | None) -> str | None:
    """The endpoint as it may be shown to people: no user:password, no query string (some
    gateways take their key as ``?api-key=``)."""
    if not url:
        return url
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def url_secrets(url: str | None) -> list[str]:
    """The password and query values of an endpoint URL, to be scrubbed wherever text is
    repeated."""
    if not url:
        return []
    from urllib.parse import parse_qsl, unquote, urlsplit

    parts = urlsplit(url)
    found = [unquote(parts.password)] if parts.password else []
    return found + [value for _, value in parse_qsl(parts.query) if value]
