"""Typed contracts of a briefing: its scope, sections of cited lines, what it covered.

Kept here rather than in assistant/types.py while the package layout moves (issue 12); the
citations are the same Citation an answer carries, so every front end can show them alike.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, Field

from ..text import normalise
from ..types import Citation

ScopeKind = Literal["all", "document", "topic"]
Change = Literal["new", "changed"]

# Section keys in the order a briefing shows them, with their titles.
SECTIONS: dict[str, str] = {
    "key_points": "Key points",
    "people": "People and organisations",
    "places": "Places",
    "timeline": "Timeline",
    "numbers": "Numbers",
    "claims": "Claims and who makes them",
    "unconfirmed": "Unconfirmed or disputed",
    "gaps": "Not in the documents",
}


class Scope(BaseModel):
    """What a briefing is about: every document, one document, or a topic."""

    kind: ScopeKind = "all"
    doc_id: str | None = None
    topic: str | None = None
    label: str = Field("all documents", description="How the scope is named to the user.")

    def key(self, collection: str) -> str:
        """Names the saved briefing of this scope: the same scope asked again finds it."""
        target = self.doc_id if self.kind == "document" else normalise(self.topic or "")
        raw = f"{collection}|{self.kind}|{target}"
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20]


class CoveredDoc(BaseModel):
    """A document a briefing read, with the content hash it had then."""

    doc_id: str
    title: str
    source: str
    content_hash: str
    date: str | None = Field(None, description="The document's own date (ISO), when it has one.")


class BriefItem(BaseModel):
    """One line of a briefing and the quotes that back it."""

    text: str = Field(description="The line as shown (no [n] markers).")
    citations: list[Citation] = Field(default_factory=list)
    label: str | None = Field(
        None, description="What the line is about: a name, a date as written, a figure, a speaker."
    )
    detail: str | None = Field(
        None, description="A role, what a figure counts, a date placed by the document's date."
    )
    evidence: list[str] = Field(
        default_factory=list,
        description="The verbatim pieces of the line; each occurs in one of its quotes.",
    )
    new: bool = Field(False, description="New or changed since the last briefing of the scope.")
    change: Change | None = None
    supported: bool = Field(True, description="False: the citation check could not support it.")
    support: float | None = None
    key: str = Field("", description="Identity of the line across briefings, for what changed.")

    @property
    def sources(self) -> int:
        """How many documents say it."""
        return len({c.doc_id for c in self.citations})


class BriefSection(BaseModel):
    key: str
    title: str
    items: list[BriefItem] = Field(default_factory=list)
    note: str | None = Field(None, description="Something to know about the whole section.")


class Briefing(BaseModel):
    """What every front end receives for a briefing request."""

    scope: Scope
    sections: list[BriefSection] = Field(default_factory=list)
    covered: list[CoveredDoc] = Field(default_factory=list)
    left: list[CoveredDoc] = Field(
        default_factory=list, description="Documents the last briefing covered that are gone."
    )
    notices: list[str] = Field(default_factory=list)
    mode: str = "extractive"
    since: str | None = Field(None, description="When the briefing it is compared with was made.")
    created_at: str = ""
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")

    @property
    def items(self) -> list[BriefItem]:
        return [item for section in self.sections for item in section.items]

    @property
    def citations(self) -> list[Citation]:
        """Every distinct citation, by number."""
        found: dict[int, Citation] = {}
        for item in self.items:
            for citation in item.citations:
                found.setdefault(citation.number, citation)
        return [found[n] for n in sorted(found)]

    def section(self, key: str) -> BriefSection | None:
        return next((s for s in self.sections if s.key == key), None)

    def only_changes(self) -> Briefing:
        """The same briefing with only its new and changed lines (for --since-last)."""
        sections = []
        for section in self.sections:
            items = [item for item in section.items if item.new]
            if items:
                sections.append(section.model_copy(update={"items": items}))
        return self.model_copy(update={"sections": sections})
