"""Briefings: a one-page, fully cited summary of a scope (all documents, one document or a
topic) with key points, people, places, a timeline, numbers, claims, what is unconfirmed
and what the documents do not say, and what changed since the last briefing."""

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
