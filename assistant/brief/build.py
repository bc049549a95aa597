"""A briefing of a scope, end to end: choose the documents, score their statements, pull
each section out, merge what several documents say alike, cite every line, and compare with
the last briefing of the same scope."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from ..types import Answer
from .dates import timeline_lines
from .documents import Doc, Statement
from .entities import entity_lines, find_entities
from .facts import claim_lines, differing_figures, number_lines, unconfirmed_lines
from .gaps import gap_lines
from .history import BriefingHistory, mark_changes, sentence_hash
from .library import Library
from .lines import Line, Numbering, figures_in, jaccard, merge_same, to_item
from .model import SECTIONS, Briefing, BriefItem, BriefSection, CoveredDoc, Scope
from .rank import Ranker, drop_repeats, key_point_count
from .scope import Progress, Request, select
from .spans import lowercase_words
from .tuning import DEFAULT_TUNING, BriefTuning

# Terms held by more statements than this are not used to look for corroboration: they
# are too common to point at the same statement, and the lookup would grow quadratically.
_COMMON_TERM = 300


def build_briefing(
    library: Library,
    request: Request,
    *,
    collection: str = "briefing",
    tuning: BriefTuning = DEFAULT_TUNING,
    history: BriefingHistory | None = None,
    since_last: bool = False,
    progress: Progress | None = None,
    max_topic_chars: int = 2000,
    ask_gaps: bool = True,
) -> Briefing:
    began = time.perf_counter()
    selection = select(library, request, tuning, progress, max_topic_chars)
    selected = time.perf_counter()
    ask = library.ask if ask_gaps else None
    sections, gaps_seconds = compose(selection.docs, selection.scope, tuning, ask, progress)
    briefing = Briefing(
        scope=selection.scope,
        sections=sections,
        covered=[_covered(doc) for doc in selection.docs],
        notices=list(selection.notices),
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    if history is not None:
        key = selection.scope.key(collection)
        previous = history.load(key)
        if previous is not None:
            mark_changes(briefing, previous, {d.doc_id for d in library.documents()})
        elif since_last:
            briefing.notices.append(
                "There is no earlier briefing of this scope to compare with: this is the "
                "whole briefing, saved for next time."
            )
        history.save(
            key,
            briefing,
            {d.doc_id: [sentence_hash(s.text) for s in d.statements] for d in selection.docs},
        )
        if since_last and previous is not None:
            briefing = briefing.only_changes()
            if not briefing.sections and not briefing.left:
                briefing.notices.append("Nothing has changed since the last briefing.")
    finished = time.perf_counter()
    briefing.timings = {
        "select": round(selected - began, 4),
        "compose": round(finished - selected - gaps_seconds, 4),
        "gaps": round(gaps_seconds, 4),
        "total": round(finished - began, 4),
    }
    return briefing


def compose(
    docs: Sequence[Doc],
    scope: Scope,
    tuning: BriefTuning,
    ask: Callable[[str], Answer] | None = None,
    progress: Progress | None = None,
) -> tuple[list[BriefSection], float]:
    """The cited sections of a briefing of ``docs`` (empty ones left out), and the seconds
    spent asking the standard questions."""
    topic = scope.topic
    ranker = Ranker(docs, tuning, topic)
    scores = ranker.scores
    usable = ranker.usable
    dated = [(d, s) for d in docs for s in d.statements if not s.heading]
    lines: dict[str, list[Line]] = {}

    entities = find_entities(docs, lowercase_words([d.text for d in docs]))
    people, places = entity_lines(entities, scores, tuning.clause_words)
    lines["people"], lines["places"] = people[: tuning.people_max], places[: tuning.places_max]

    timeline = drop_repeats(
        sorted(merge_same(timeline_lines(docs, scores), tuning.same_statement), key=_best),
        tuning.same_statement,
    )[: tuning.timeline_max]
    lines["timeline"] = sorted(timeline, key=lambda line: line.order)

    numbers_all = number_lines(docs, dated, scores, tuning.clause_words)
    numbers = merge_same(numbers_all, tuning.same_statement)
    lines["numbers"] = sorted(numbers, key=_best)[: tuning.numbers_max]
    unconfirmed = differing_figures(numbers_all) + unconfirmed_lines(dated, scores)
    unconfirmed = sorted(merge_same(unconfirmed, tuning.same_statement), key=_best)
    lines["unconfirmed"] = unconfirmed[: tuning.unconfirmed_max]
    # A claim already listed as unconfirmed is not repeated: that section says more.
    shown = {line.key for line in lines["unconfirmed"]}
    claims = merge_same(claim_lines(usable, scores), tuning.same_statement)
    claims = [line for line in sorted(claims, key=_best) if line.key not in shown]
    lines["claims"] = claims[: tuning.claims_max]

    facts: Counter[int] = Counter()
    for section_lines in lines.values():
        for statement_id in {id(s) for line in section_lines for _, s in line.quotes[:1]}:
            facts[statement_id] += 1
    key_points = ranker.key_points(key_point_count(len(usable), tuning), facts)
    corroborate(key_points, usable, tuning.same_statement)
    lines["key_points"] = key_points

    gaps_seconds = 0.0
    if ask is not None:
        started = time.perf_counter()
        subject = topic or (_short_title(docs[0].info.title) if len(docs) == 1 else "")
        answered = {
            label
            for label, key in (("who", "people"), ("where", "places"), ("when", "timeline"))
            if lines[key]
        }
        lines["gaps"] = gap_lines(
            _counting(ask, progress), subject, {d.doc_id for d in docs}, answered=answered
        )
        gaps_seconds = time.perf_counter() - started

    numbering = Numbering()
    sections = []
    for key, title in SECTIONS.items():
        items = [_item(line, numbering, tuning) for line in lines.get(key, [])]
        kept = [item for item in items if item is not None]
        if kept:
            note = _timeline_note(lines["timeline"]) if key == "timeline" else None
            sections.append(BriefSection(key=key, title=title, items=kept, note=note))
    return sections, gaps_seconds


def _best(line: Line) -> float:
    """Sort key: more documents first, then the better score."""
    return -(len(line.doc_ids) * 0.5 + line.score)


def _item(line: Line, numbering: Numbering, tuning: BriefTuning) -> BriefItem | None:
    if line.section == "gaps":
        return BriefItem(
            text=line.text, label=line.label, detail=line.detail, key=f"gaps:{line.key}"
        )
    return to_item(line, numbering, tuning.citations_per_line)


def corroborate(
    lines: list[Line], usable: Sequence[tuple[Doc, Statement]], threshold: float
) -> None:
    """Add the quotes of other documents that state the same as a line."""
    index: dict[str, list[tuple[Doc, Statement]]] = defaultdict(list)
    for pair in usable:
        for term in set(pair[1].terms):
            index[term].append(pair)
    for line in lines:
        seen: set[int] = set()
        figures = figures_in(line.text)
        for term in line.terms:
            holders = index.get(term, [])
            if len(holders) > _COMMON_TERM:
                continue
            for doc, statement in holders:
                if id(statement) in seen or doc.doc_id in line.doc_ids:
                    continue
                seen.add(id(statement))
                if (
                    jaccard(line.terms, frozenset(statement.terms)) >= threshold
                    and figures_in(statement.text) == figures
                ):
                    line.add_quote(doc, statement)


def _counting(ask: Callable[[str], Answer], progress: Progress | None) -> Callable[[str], Answer]:
    asked = [0]

    def counted(question: str) -> Answer:
        answer = ask(question)
        asked[0] += 1
        if progress is not None:
            progress("ask", asked[0], 0)
        return answer

    return counted


def _timeline_note(lines: list[Line]) -> str | None:
    if any(line.order and line.order[0] == 0 for line in lines):
        return (
            "Months without a year are ordered as if in one year: the document does not say "
            "when it was written."
        )
    return None


def _short_title(title: str) -> str:
    """A title's main clause, as the subject of a question ("North Korean Troops in Russia"
    for "North Korean Troops in Russia: Unprecedented Internet Access Sparks Controversy")."""
    head = title.split(":")[0].strip()
    return head if len(head.split()) >= 2 else title


def _covered(doc: Doc) -> CoveredDoc:
    return CoveredDoc(
        doc_id=doc.doc_id,
        title=doc.info.title,
        source=doc.info.source,
        content_hash=doc.info.content_hash,
        date=doc.date.isoformat() if doc.date else None,
    )
