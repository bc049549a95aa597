"""What a user of the package imports: the names of assistant.__all__, loaded on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import assistant

from .support.paths import ROOT


def test_every_public_name_resolves_to_its_class_or_function() -> None:
    from assistant.engine import build_engine
    from assistant.errors import BriefingError
    from assistant.types import Answer

    assert sorted(assistant.__all__) == sorted(set(assistant.__all__))
    for name in assistant.__all__:
        assert getattr(assistant, name).__name__ == name
    assert assistant.build_engine is build_engine and assistant.Answer is Answer
    assert issubclass(assistant.BadInput, BriefingError)
    assert set(assistant.__all__) <= set(dir(assistant))


def test_the_briefing_package_exports_every_name_it_lists() -> None:
    import assistant.brief as brief
    from assistant.brief.build import compose

    # its names load on first use (assistant.lazy): each listed name has a home, and only those
    assert sorted(brief.__all__) == sorted(brief._HOME)
    for name in brief.__all__:
        value = getattr(brief, name)
        assert getattr(value, "__name__", name) == name
    assert brief.compose is compose and set(brief.__all__) <= set(dir(brief))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Store'"):
        assistant.Store  # noqa: B018 - the store is not public


def test_importing_the_package_loads_no_stage() -> None:
    code = (
        "import sys, assistant\n"
        "print(sorted(m for m in sys.modules if m.startswith('assistant.')))\n"
        "assistant.Settings\n"
        "print(sorted(m for m in sys.modules if m.startswith('assistant.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    before, after = result.stdout.splitlines()
    # assistant.lazy is the first-use lookup itself, not a stage
    assert before == "['assistant.lazy']"
    assert after == "['assistant.config', 'assistant.lazy']"
