"""Prompt and message templates from files in the prompts folder (``BRIEFING_PROMPTS_DIR``).

Templates use ``{name}`` placeholders (``{{`` and ``}}`` for literal braces). Rendering fails
loudly on a missing variable or a missing file rather than sending a half-filled prompt.
"""

from __future__ import annotations

import string
from pathlib import Path

from .errors import ConfigError


def load(folder: Path, name: str) -> str:
    path = folder / f"{name}.txt"
    try:
        return path.read_text(encoding="utf-8").strip("\n")
    except OSError as exc:
        raise ConfigError(
            f"Prompt template {path} is missing ({exc.strerror}); restore it or point "
            "BRIEFING_PROMPTS_DIR at a folder that has it."
        ) from exc


def render(folder: Path, name: str, **values: object) -> str:
    """The template ``name`` with every placeholder filled; ConfigError if one is missing."""
    template = load(folder, name)
    needed = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    missing = sorted(needed - values.keys())
    if missing:
        raise ConfigError(
            f"Prompt template {name}.txt needs {', '.join(missing)}, which the caller did not give."
        )
    return template.format(**values)
