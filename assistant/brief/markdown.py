"""A briefing as Markdown: the export of the web tab and of `briefing brief --out`, and the
text the CLI prints. One place decides how a line reads, so every front end agrees.

In the Markdown, text from documents and topics is made inert (markup.inert_markdown): a
title or quote holding `![x](http://...)` must not load anything when the file is opened."""

from __future__ import annotations

from collections.abc import Callable

from ..markup import inert_markdown
from .model import Briefing, BriefItem

# Sections whose lines lead with their label (a name, a date, a figure, a speaker).
_LABELLED = {"people", "places", "timeline", "numbers", "claims", "unconfirmed"}
UNSUPPORTED = "not supported by its sources"


def _same(text: str) -> str:
    return text


def line_text(section: str, item: BriefItem, text: Callable[[str], str] = _same) -> str:
    """How one line reads, without markers: "**in June** (June 2024): The pact was signed".
    ``text`` is applied to each piece taken from the documents (the export escapes them)."""
    label, detail = text(item.label or ""), text(item.detail or "")
    if section in ("people", "places"):
        return f"**{label}**: {detail}" if item.detail else f"**{label}**"
    if section in _LABELLED and item.label:
        extra = (
            f" ({detail})" if item.detail and section in ("timeline", "numbers", "claims") else ""
        )
        return f"**{label}**{extra}: {text(item.text)}"
    return text(item.text)


def markers(item: BriefItem) -> str:
    return "".join(f"[{c.number}]" for c in item.citations)


def badges(item: BriefItem) -> str:
    parts = []
    if item.sources > 1:
        parts.append(f"({item.sources} sources)")
    if item.new:
        parts.append("**new**" if item.change != "changed" else "**changed**")
    if not item.supported:
        parts.append(f"⚠ {UNSUPPORTED}")
    return " ".join(parts)


def to_markdown(briefing: Briefing, *, sources: bool = True) -> str:
    """The briefing as Markdown; ``sources=False`` leaves out the numbered quotes at the end
    (an evaluation report lists them apart)."""
    md = inert_markdown
    out = [f"# Briefing: {md(briefing.scope.label)}", ""]
    count = len(briefing.covered)
    about = f"{count} document{'s' if count != 1 else ''}"
    made = f" · made {briefing.created_at}" if briefing.created_at else ""
    since = f" · compared with the briefing of {briefing.since}" if briefing.since else ""
    out += [f"_{about}{made}{since}_", ""]
    for notice in briefing.notices:
        out.append(f"> {md(notice)}")
    if briefing.notices:
        out.append("")
    for section in briefing.sections:
        out += [f"## {section.title}", ""]
        if section.note:
            out += [f"_{md(section.note)}_", ""]
        for item in section.items:
            tail = " ".join(p for p in (markers(item), badges(item)) if p)
            out.append(f"- {line_text(section.key, item, md)}" + (f" {tail}" if tail else ""))
        out.append("")
    if briefing.left:
        out += ["## Documents that left", ""]
        out += [f"- {md(doc.title)} ({md(doc.source)})" for doc in briefing.left]
        out.append("")
    citations = briefing.citations if sources else []
    if citations:
        out += ["## Sources", ""]
        for c in citations:
            quote = md(" ".join(c.quote.split()))
            out.append(
                f"{c.number}. {md(c.title)}, paragraph {c.paragraph}: “{quote}” "
                f"({md(c.source)}, characters {c.char_start}-{c.char_end})"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"
