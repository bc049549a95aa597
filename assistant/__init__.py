"""The Briefing Assistant: cited answers about a set of documents.

    from pathlib import Path
    from assistant import Settings, build_engine

    engine = build_engine(Settings(data_dir=Path("my-data")))
    engine.ingest([Path("reports")])
    answer = engine.ask("Who signed the pact?")
    for c in answer.citations:
        print(c.number, c.title, c.paragraph, c.quote)

These names are imported on first use, so `import assistant` (and the `briefing` command,
which imports it) loads none of the stages until they are needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import lazy

if TYPE_CHECKING:
    from .brief.model import Briefing, BriefItem, BriefSection
    from .config import Settings
    from .engine import Engine, Tuning, build_engine
    from .errors import (
        BadInput,
        BriefingError,
        ConfigError,
        LLMError,
        ModelMismatch,
        NotIngested,
        StoreBusy,
        StoreUnavailable,
    )
    from .types import (
        Answer,
        AnswerSentence,
        Citation,
        DocumentInfo,
        IngestReport,
        Passage,
        StreamEvent,
        Turn,
    )

__all__ = [
    "Answer",
    "AnswerSentence",
    "BadInput",
    "BriefItem",
    "BriefSection",
    "Briefing",
    "BriefingError",
    "Citation",
    "ConfigError",
    "DocumentInfo",
    "Engine",
    "IngestReport",
    "LLMError",
    "ModelMismatch",
    "NotIngested",
    "Passage",
    "Settings",
    "StoreBusy",
    "StoreUnavailable",
    "StreamEvent",
    "Tuning",
    "Turn",
    "build_engine",
]

_HOME = {
    "Settings": "config",
    "Engine": "engine",
    "Tuning": "engine",
    "build_engine": "engine",
    **dict.fromkeys(["Briefing", "BriefItem", "BriefSection"], "brief.model"),
    **dict.fromkeys(
        [
            "BadInput",
            "BriefingError",
            "ConfigError",
            "LLMError",
            "ModelMismatch",
            "NotIngested",
            "StoreBusy",
            "StoreUnavailable",
        ],
        "errors",
    ),
    **dict.fromkeys(
        [
            "Answer",
            "AnswerSentence",
            "Citation",
            "DocumentInfo",
            "IngestReport",
            "Passage",
            "StreamEvent",
            "Turn",
        ],
        "types",
    ),
}


__getattr__, __dir__ = lazy.exports(__name__, _HOME, globals())
