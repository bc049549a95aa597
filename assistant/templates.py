"""Prompt and message templates: the files shipped in the package (assistant/prompts/), or the
user's own copies in BRIEFING_PROMPTS_DIR.

Templates use ``{name}`` placeholders (``{{`` and ``}}`` for literal braces). Rendering fails
loudly on a missing variable or a missing file rather than sending a half-filled prompt. Each
template is read once per Prompts (one per engine), on first use, not on every question.
"""

from __future__ import annotations

import string
import threading
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from .errors import ConfigError


def packaged_folder() -> Traversable:
    """The templates shipped inside the package (read through importlib.resources, so they are
    found in a wheel, an editable install or a zip alike)."""
    return resources.files("assistant").joinpath("prompts")


class Prompts:
    """The templates of one folder: ``folder`` (a user's BRIEFING_PROMPTS_DIR) or, when None,
    those shipped in the package."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._texts: dict[str, str] = {}
        self._lock = threading.Lock()

    def text(self, name: str) -> str:
        """The template ``name`` as written, read on first use."""
        with self._lock:
            text = self._texts.get(name)
            if text is None:
                text = self._texts[name] = self._read(name)
            return text

    def render(self, name: str, **values: object) -> str:
        """The template ``name`` with every placeholder filled; ConfigError if one is missing."""
        template = self.text(name)
        needed = {field for _, field, _, _ in string.Formatter().parse(template) if field}
        missing = sorted(needed - values.keys())
        if missing:
            raise ConfigError(
                f"Prompt template {name}.txt needs {', '.join(missing)}, which the caller did "
                "not give."
            )
        return template.format(**values)

    def _read(self, name: str) -> str:
        file = f"{name}.txt"
        if self.folder is None:
            try:
                return packaged_folder().joinpath(file).read_text(encoding="utf-8").strip("\n")
            except OSError as exc:
                raise ConfigError(
                    f"The prompt template {file} shipped with the package is missing "
                    f"({exc.strerror or exc}): reinstall briefing-assistant."
                ) from exc
        path = self.folder / file
        try:
            return path.read_text(encoding="utf-8").strip("\n")
        except OSError as exc:
            raise ConfigError(
                f"Prompt template {path} is missing ({exc.strerror}): BRIEFING_PROMPTS_DIR="
                f"{self.folder} must hold every template; copy {file} into it from the "
                "package's own (prompts/ in a source checkout), or unset BRIEFING_PROMPTS_DIR."
            ) from exc
