"""Briefings: a one-page, fully cited summary of a scope (all documents, one document or a
topic) with key points, people, places, a timeline, numbers, claims, what is unconfirmed
and what the documents do not say, and what changed since the last briefing.

The names below are imported on first use: a question that is not a briefing request
(``intent`` decides) loads none of the briefing builder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import lazy

if TYPE_CHECKING:
    from .build import build_briefing, compose
    from .history import BriefingHistory, dump_briefing
    from .library import EngineLibrary, Library
    from .model import SECTIONS, Briefing, BriefItem, BriefSection, CoveredDoc, Scope
    from .scope import NoMatch, Request
    from .tuning import DEFAULT_TUNING, BriefTuning

__all__ = [
    "DEFAULT_TUNING",
    "SECTIONS",
    "BriefItem",
    "BriefSection",
    "BriefTuning",
    "Briefing",
    "BriefingHistory",
    "CoveredDoc",
    "EngineLibrary",
    "Library",
    "NoMatch",
    "Request",
    "Scope",
    "build_briefing",
    "compose",
    "dump_briefing",
]

_HOME = {
    **dict.fromkeys(["build_briefing", "compose"], "build"),
    **dict.fromkeys(["BriefingHistory", "dump_briefing"], "history"),
    **dict.fromkeys(["EngineLibrary", "Library"], "library"),
    **dict.fromkeys(
        ["SECTIONS", "Briefing", "BriefItem", "BriefSection", "CoveredDoc", "Scope"], "model"
    ),
    **dict.fromkeys(["NoMatch", "Request"], "scope"),
    **dict.fromkeys(["DEFAULT_TUNING", "BriefTuning"], "tuning"),
}

__getattr__, __dir__ = lazy.exports(__name__, _HOME, globals())
