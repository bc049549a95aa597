"""People, organisations and places, found without a trained tagger: capitalised name runs,
classified by what the documents write around them (a title or role word, an appositive,
an organisation or place word, a preposition of place), with the role the documents give.

A run with no such evidence is left out rather than guessed at."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .documents import Doc, Statement
from .lines import Line
from .spans import Mention, clause, mentions
from .vocabulary import (
    COUNTRY_ACRONYMS,
    HONORIFICS,
    ORG_FOLLOWERS,
    ORG_NOUNS,
    ORG_WORDS,
    PLACE_NOUNS,
    PLACE_WORDS,
    ROLE_NOUNS,
    TITLES,
)

# Lower-case words after a nationality that make it an organisation ("Ukrainian military
# intelligence", "U.S. intelligence agencies").
_STATE_BODY = re.compile(
    r"^\s+((?:military\s+|armed\s+|security\s+)?(?:intelligence(?:\s+agencies)?|governments?|"
    r"army|forces|navy|police|authorities|regulators|parliament|ministry|military))\b"
)
_SPEECH = (
    r"said|says|told|stated|added|argued|claimed|warned|insisted|explained|noted|suggested|"
    r"revealed|reported|indicated|projected|estimated|believes|believed|denied|confirmed|"
    r"announced|emphasi[sz]ed|speculated?|argues?|admitted|predicted|urged|addressed|highlights"
)
_SPEAKS_AFTER = re.compile(r"^\s+(?:has\s+|have\s+|had\s+)?(?:" + _SPEECH + r")\b")
_SPEAKS_BEFORE = re.compile(r"\b(?:said|says|told|according to)\s+$")
_LOCATIVE = re.compile(
    r"\b(?:in|at|from|to|into|near|across|towards?|throughout|outside|inside|within|around|"
    r"via|through|off|between)\s+(?:the\s+)?(?:[A-Z][\w.-]*(?:’s|'s)\s+)?$"
)
_ROLE_BEFORE = re.compile(
    r"((?:[A-Z][\w.&’'-]*\s+)*(?:(?:chief|senior|former|deputy|vice|managing|executive|lead|"
    r"foreign|prime|general|assistant|new|then)\s+)*([a-z]+))\s+$"
)
_APPOSITIVE = re.compile(
    r"^,\s+((?:a|an|the|its|his|her|their)\s+[^,;:.()“”\"]{3,90}?)(?=\s*(?:,|;|\.|\)|$))"
)
_LIST_LINK = re.compile(r"^\s*(?:,|,?\s+(?:and|or|nor)|,?\s+such as|,?\s+including)\s*$")
_DEMONYM = re.compile(r"(?:an|ean|ian|ese|ish|i)$")
_COMPASS = frozenset(
    ["North", "South", "East", "West", "Western", "Eastern", "Northern", "Southern"]
)

PERSON, ORGANISATION, PLACE = "person", "organisation", "place"


@dataclass
class Sighting:
    """One mention with what its surroundings say about it."""

    doc: Doc
    statement: Statement
    mention: Mention
    name: tuple[str, ...]
    votes: dict[str, float] = field(default_factory=dict)
    # Document offsets of the role the text gives: a title before the name, an appositive.
    roles: list[tuple[int, int]] = field(default_factory=list)
    linked: Sighting | None = None  # the name before it in the same list


@dataclass
class Entity:
    name: tuple[str, ...]
    sightings: list[Sighting] = field(default_factory=list)
    kind: str | None = None

    @property
    def label(self) -> str:
        return " ".join(self.name)

    def votes(self) -> dict[str, float]:
        total: dict[str, float] = {}
        for s in self.sightings:
            for kind, weight in s.votes.items():
                total[kind] = total.get(kind, 0.0) + weight
        return total


def find_entities(docs: Sequence[Doc], lowercase: set[str]) -> list[Entity]:
    """Every classified entity of the scope, merged over mentions and documents."""
    entities: dict[tuple[str, ...], Entity] = {}
    for doc in docs:
        for statement in doc.statements:
            if statement.heading:
                continue
            previous: Sighting | None = None
            for mention in mentions(doc.text, statement.start, statement.end, lowercase):
                sighting = _sight(doc, statement, mention)
                if sighting is None:
                    previous = None
                    continue
                between = doc.text[previous.mention.end : mention.start] if previous else ""
                if previous is not None and _LIST_LINK.match(between):
                    sighting.linked = previous
                key = tuple(w.lower() for w in sighting.name)
                entities.setdefault(key, Entity(sighting.name)).sightings.append(sighting)
                previous = sighting
    merged = _merge(list(entities.values()))
    _classify(merged)
    return [e for e in merged if e.kind]


def _sight(doc: Doc, statement: Statement, mention: Mention) -> Sighting | None:
    text = doc.text
    words = list(mention.words)
    before = text[statement.start : mention.start]
    after = text[mention.end : statement.end]
    votes: dict[str, float] = {}
    roles: list[tuple[int, int]] = []
    body = _STATE_BODY.match(after)
    if all(_DEMONYM.search(w) or w in _COMPASS for w in words) or mention.text in COUNTRY_ACRONYMS:
        if body and not mention.possessive:
            # A nationality and a state body: "Ukrainian military intelligence".
            end = mention.end + body.end()
            return Sighting(
                doc,
                statement,
                mention,
                tuple(text[mention.start : end].split()),
                {ORGANISATION: 2.0},
            )
        if (
            _DEMONYM.search(words[-1])
            and re.match(r"^\s+[a-z]", after)
            and not _SPEAKS_AFTER.match(after)
        ):
            return None  # an adjective: "North Korean troops"
    titled = [i for i, w in enumerate(words) if w.rstrip(".") in TITLES]
    if titled and titled[-1] < len(words) - 1:
        last = titled[-1]
        words = words[last + 1 :]
        votes[PERSON] = 3.0
        if any(w.rstrip(".") not in HONORIFICS for w in mention.words[: last + 1]):
            roles.append((mention.start, _word_end(text, mention, last)))
    elif titled:
        return None  # a title alone ("the President") names nobody
    prefix = _ROLE_BEFORE.search(before)
    if prefix and prefix.group(2) in ROLE_NOUNS and PERSON not in votes:
        votes[PERSON] = 3.0
        roles.append((statement.start + prefix.start(1), statement.start + prefix.end(1)))
    appositive = _APPOSITIVE.match(after) if not mention.possessive else None
    if appositive:
        nouns = set(re.findall(r"[a-z]+", appositive.group(1)))
        span = (mention.end + appositive.start(1), mention.end + appositive.end(1))
        if nouns & ROLE_NOUNS:
            votes[PERSON] = votes.get(PERSON, 0.0) + 2.0
            roles.append(span)
        elif nouns & ORG_NOUNS:
            votes[ORGANISATION] = votes.get(ORGANISATION, 0.0) + 2.0
            roles.append(span)
    last_word = words[-1].rstrip(".")
    if last_word in PLACE_WORDS and PERSON not in votes:  # "Mike Lake" is a spokesman
        votes[PLACE] = votes.get(PLACE, 0.0) + 3.0
    elif last_word in ORG_WORDS or any(w in ORG_WORDS for w in words):
        votes[ORGANISATION] = votes.get(ORGANISATION, 0.0) + 3.0
    elif re.fullmatch(r"[A-Z]{2,6}", last_word) and len(words) == 1:
        votes[ORGANISATION] = votes.get(ORGANISATION, 0.0) + 1.0
    place_noun = re.match(r"^\s+(" + "|".join(PLACE_NOUNS) + r")\b", after)
    name = tuple(words)
    if place_noun and not mention.possessive:
        votes[PLACE] = votes.get(PLACE, 0.0) + 3.0
        name = (*name, place_noun.group(1))
    if _LOCATIVE.search(before):
        votes[PLACE] = votes.get(PLACE, 0.0) + 1.0
    follower = re.match(r"^\s+(" + "|".join(ORG_FOLLOWERS) + r")\b", after)
    if follower and not mention.possessive and PERSON not in votes:
        votes[ORGANISATION] = votes.get(ORGANISATION, 0.0) + 2.0  # "the Yugansk unit"
    if _SPEAKS_AFTER.match(after) or _SPEAKS_BEFORE.search(before):
        votes["speaker"] = 1.0
    if mention.text in COUNTRY_ACRONYMS:
        votes = {PLACE: 1.0}
    return Sighting(doc, statement, mention, name, votes, roles)


def _word_end(text: str, mention: Mention, index: int) -> int:
    return _word_spans(text, mention)[index][1]


def _word_spans(text: str, mention: Mention) -> list[tuple[int, int]]:
    spans = []
    cursor = mention.start
    for word in mention.words:
        start = text.index(word, cursor)
        spans.append((start, start + len(word)))
        cursor = start + len(word)
    return spans


def _merge(entities: list[Entity]) -> list[Entity]:
    """A surname alone joins the full name it belongs to ("Dietz" -> "Charlie Dietz"), and a
    shorter organisation name joins a longer one holding all its words. Longer names are
    looked up by their words, so a library-wide scope stays linear in its names."""
    by_length = sorted(entities, key=lambda e: -len(e.name))
    kept: list[Entity] = []
    votes = {id(e): e.votes() for e in entities}
    by_last: dict[str, list[int]] = {}  # last word -> kept multi-word names, in kept order
    by_word: dict[str, list[int]] = {}
    for entity in by_length:
        words = [w.lower().rstrip(".") for w in entity.name]
        own = votes[id(entity)]
        target = None
        if len(words) == 1:
            for index in by_last.get(words[0], []):
                bigger = kept[index]
                if PERSON in votes[id(bigger)] or PERSON in own or "speaker" in own:
                    target = bigger
                    break
        elif ORGANISATION in own:
            postings = [set(by_word.get(w, [])) for w in set(words)]
            for index in sorted(set.intersection(*postings)) if postings else []:
                bigger = kept[index]
                big_words = {w.lower().rstrip(".") for w in bigger.name}
                if set(words) < big_words and ORGANISATION in votes[id(bigger)]:
                    target = bigger
                    break
        if target is None:
            kept.append(entity)
            if len(words) > 1:
                by_last.setdefault(words[-1], []).append(len(kept) - 1)
            for word in set(words):
                by_word.setdefault(word, []).append(len(kept) - 1)
        else:
            target.sightings.extend(entity.sightings)
            for kind, weight in own.items():
                votes[id(target)][kind] = votes[id(target)].get(kind, 0.0) + weight
    return kept


def _classify(entities: list[Entity]) -> None:
    for entity in entities:
        votes = entity.votes()
        speaker = votes.pop("speaker", 0.0)
        if speaker and len(entity.name) == 1 and PERSON not in votes:
            # A one-word name that says things is an organisation more often than a place
            # ("Yukos said"); a place that speaks for its government still has its prepositions.
            votes[ORGANISATION] = votes.get(ORGANISATION, 0.0) + speaker
        elif not votes and speaker:
            votes = {PERSON: speaker}
        if votes:
            entity.kind = max(votes, key=lambda kind: (votes[kind], kind == PERSON))
    # A name listed with a classified one ("Ussuriysk, Khabarovsk, and Blagoveshchensk"
    # after "Russia's Far East") is of the same kind.
    owner = {id(s): e for e in entities for s in e.sightings}
    for _ in range(3):
        for entity in entities:
            if entity.kind:
                continue
            for sighting in entity.sightings:
                mate = owner.get(id(sighting.linked)) if sighting.linked else None
                if mate is not None and mate.kind:
                    entity.kind = mate.kind
                    break


def entity_lines(
    entities: Sequence[Entity], scores: dict[int, float], max_words: int
) -> tuple[list[Line], list[Line]]:
    """Lines for "People and organisations" (name and role) and for "Places" (name and the
    clause that places something there), best first."""
    people: list[Line] = []
    places: list[Line] = []
    for entity in entities:
        sightings = entity.sightings
        docs = {s.doc.doc_id for s in sightings}
        best = max(sightings, key=lambda s: scores.get(id(s.statement), 0.0))
        weight = 2.0 * len(docs) + len(sightings) + scores.get(id(best.statement), 0.0)
        if entity.kind == PLACE:
            line = _place_line(entity, best, max_words, weight)
            places.append(line)
            continue
        roled = [s for s in sightings if s.roles]
        first = roled[0] if roled else min(sightings, key=lambda s: s.statement.order)
        label = entity.label
        pieces = [first.doc.text[a:b] for a, b in first.roles]
        # "Army Lt. Col., a spokesperson for the Defense Department": each piece verbatim.
        detail = ", ".join(pieces) or None
        evidence = [label, *pieces]
        line = Line(
            section="people",
            text=f"{label}: {detail}" if detail else label,
            quotes=[(first.doc, first.statement)],
            score=weight + (1.0 if detail else 0.0),
            key=f"{entity.kind}:{label.lower()}",
            label=label,
            detail=detail,
            evidence=evidence,
        )
        _add_other_documents(line, sightings)
        people.append(line)
    people.sort(key=lambda line: -line.score)
    places.sort(key=lambda line: -line.score)
    return people, _group_places(places)


def _group_places(places: list[Line]) -> list[Line]:
    """Places named in the same sentence share one line ("Far East, Ussuriysk, Khabarovsk:
    ..."), its detail the stretch of the sentence that holds all their clauses."""
    grouped: dict[tuple[str, int], list[Line]] = {}
    for line in places:
        doc, statement = line.quotes[0]
        grouped.setdefault((doc.doc_id, statement.start), []).append(line)
    result = []
    for lines in grouped.values():
        if len(lines) == 1:
            result.append(lines[0])
            continue
        doc, statement = lines[0].quotes[0]
        spans = [
            _find(doc.text, statement.start, statement.end, line.detail or "") for line in lines
        ]
        start, end = min(a for a, _ in spans), max(b for _, b in spans)
        detail = doc.text[start:end]
        label = ", ".join(
            line.label or ""
            for line in sorted(
                lines,
                key=lambda other: _find(
                    doc.text, statement.start, statement.end, other.label or ""
                )[0],
            )
        )
        first = lines[0]
        first.label, first.detail, first.text = label, detail, f"{label}: {detail}"
        first.key = "place:" + label.lower()
        first.evidence = [detail]
        first.score = sum(line.score for line in lines)
        for line in lines[1:]:
            for quote in line.quotes:
                first.add_quote(*quote)
        result.append(first)
    return sorted(result, key=lambda line: -line.score)


def _find(text: str, start: int, end: int, piece: str) -> tuple[int, int]:
    at = text.find(piece, start, end)
    return (at, at + len(piece)) if at >= 0 else (start, end)


def _place_line(entity: Entity, best: Sighting, max_words: int, weight: float) -> Line:
    doc, statement, mention = best.doc, best.statement, best.mention
    start, end = clause(
        doc.text, statement.start, statement.end, mention.start, mention.end, max_words
    )
    detail = doc.text[start:end]
    label = (
        doc.text[mention.start : mention.end]
        if len(best.name) == len(mention.words)
        else entity.label
    )
    if label not in detail:
        label = entity.label
    line = Line(
        section="places",
        text=f"{entity.label}: {detail}",
        quotes=[(doc, statement)],
        score=weight,
        key=f"place:{entity.label.lower()}",
        label=entity.label,
        detail=detail,
        evidence=[detail],
    )
    _add_other_documents(line, entity.sightings)
    return line


def _add_other_documents(line: Line, sightings: list[Sighting]) -> None:
    for sighting in sightings:
        if sighting.doc.doc_id not in line.doc_ids:
            line.add_quote(sighting.doc, sighting.statement)
