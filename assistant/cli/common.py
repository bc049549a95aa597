"""What the front ends (this CLI, the web app's `serve`, the evaluation's commands) share:
domain errors turned into one line and an exit code, settings read with a message that says
what to fix, a progress bar for model work, and where an Answer's short answer is shown (first,
and inside the quote that holds it). No command is defined here, so importing it costs nothing."""

from __future__ import annotations

import contextlib
import sys
from types import TracebackType
from typing import Any

import click

from ..config import Settings
from ..errors import BriefingError, ConfigError
from ..types import Answer, Citation, ShortAnswer


class fail_cleanly(contextlib.ContextDecorator):  # noqa: N801 - reads as a decorator
    """Around a command (as a decorator or a ``with`` block): a BriefingError becomes
    ``error: <message>`` on stderr and its exit code (2 bad input, 1 other failures)."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if isinstance(exc, BriefingError):
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and .env, with the options given on the command line
    (None: not given); ConfigError naming every invalid setting."""
    from pydantic import ValidationError

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"Invalid setting ({problems}). See `briefing settings`.") from exc


class ProgressBar:
    """A tqdm bar on stderr, created only once there is model work to show; call it as an
    ingestion progress callback (done, total, name)."""

    def __init__(self, desc: str = "embedding") -> None:
        self._desc = desc
        self._bar: Any = None

    def __call__(self, done: int, total: int, name: str) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="chunk", desc=self._desc, file=sys.stderr)
        self._bar.update(done - self._bar.n)
        self._bar.set_postfix_str(name[-30:])

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def shown_short_answer(answer: Answer) -> ShortAnswer | None:
    """The short answer to show first, if any: an abstention shows none, whatever it holds."""
    return None if answer.abstained else answer.short_answer


def short_answer_span(answer: Answer, citation: Citation) -> tuple[int, int] | None:
    """Where the short answer sits in this citation's quote (offsets in the quote), or None
    for another citation, or offsets that do not fit inside the quote."""
    short = shown_short_answer(answer)
    if short is None or short.citation != citation.number:
        return None
    if not 0 <= short.start < short.end <= len(citation.quote):
        return None
    return short.start, short.end
