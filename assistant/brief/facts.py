"""Numbers (each figure with what it counts), claims with who makes them, and what is
unconfirmed or disputed: refusals to comment, denials, hedges, and figures for the same
thing that differ between documents."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..text import content_words, normalise
from .dates import date_mentions
from .documents import Doc, Statement
from .lines import Line
from .spans import clause

_QUALIFIER = (
    r"(?:(?:just over|just under|more than|fewer than|less than|at least|up to|as many as|"
    r"an estimated|over|about|around|nearly|almost|some|approximately|roughly)\s+)?"
)
_NUMERIC = (
    r"[$£€¥]?\d[\d,]*(?:\.\d+)?"
    r"(?:\s?(?:%|per cent|percent|bn|m|million|billion|trillion|thousand|k)(?![\w])|%)?"
)
_WORDY = (
    r"(?:tens of |hundreds of )?(?:thousands|hundreds|millions|billions|dozens)(?= of\b)|"
    r"(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|a hundred|a thousand|a million|a billion)(?= [a-z])"
)
_FIGURE = re.compile(rf"(?<![\w$£€¥.,]){_QUALIFIER}(?:{_NUMERIC}|{_WORDY})", re.IGNORECASE)
# A capitalised word inside the sentence right before a figure makes it part of a name.
_NAMED_NUMBER = re.compile(r"(?<=[\w,;] )[A-Z][a-z]+ $")
_YEAR_ONLY = re.compile(r"^(?:19|20)\d{2}$")
# Words that end the noun phrase a figure counts ("10,000 North Korean troops | are").
_NP_STOP = frozenset(
    """is are was were be been being have has had will would could should can may might must
    to that which who whom whose in on at by for from with as than and or but since during
    after before over under between into about according expected said says reportedly
    a an the this these those their its his her our each per it they he she we you them him
    us""".split()
)
# Past tenses that end the phrase too (regular ones are caught by their -ed).
_IRREGULAR = frozenset(
    """rose fell grew lost won took made went saw came left gave got began held paid sold
    bought rise fall grow lose win take make go see come leave give get""".split()
)
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}

UNCONFIRMED = [
    (
        "no comment",
        r"\b(?:declined|refused|refrained from|would not|could not be reached for) (?:to )?"
        r"comment(?:ing)?\b|\bno comment\b|\bnot respond(?:ed)? to requests? for comment\b",
    ),
    (
        "not confirmed",
        r"\b(?:can(?:no|'|’)?t|cannot|could not|couldn['’]t|unable to|would not|declined to|"
        r"refused to) (?:confirm|verify)\b|\b(?:unconfirmed|unverified)\b|"
        r"\bnot (?:been |yet )?(?:confirmed|verified)\b",
    ),
    (
        "denied",
        r"\b(?:denied|denies|deny|denying)\b|\b(?:rejected|dismissed) the "
        r"(?:claims?|reports?|allegations?)\b",
    ),
    ("not acknowledged", r"\b(?:not|never|neither)\b[^.]{0,80}\backnowledged\b"),
    (
        "reported, not verified",
        r"\b(?:reportedly|allegedly|alleged|purportedly|rumou?red|if the reports? (?:is|are) "
        r"true|(?:is|are) said to)\b",
    ),
    (
        "disputed",
        r"\b(?:disputed?|disputes|contested|divided over|skeptical|sceptical|doubts?)\b",
    ),
    ("open question", r"\b(?:unclear|unknown|remains? to be seen|not known)\b"),
    ("speculation", r"\b(?:speculate[sd]?|speculation)\b"),
]
# The first kinds of UNCONFIRMED: someone declines, denies, cannot confirm or does not
# acknowledge; the rest are hedges ("reportedly") and doubts.
_FIRM = 4
_UNCONFIRMED = [(label, re.compile(pattern, re.IGNORECASE)) for label, pattern in UNCONFIRMED]

_SPEECH = (
    r"said|says|told|stated|added|argued|claimed|warned|insisted|explained|noted|suggested|"
    r"revealed|reported|indicated|projected|estimated|believes?|denied|confirmed|announced|"
    r"emphasi[sz]ed|speculated?|argues?|admitted|predicted|highlights|highlighted|insists|"
    r"maintains?|contends?"
)
_VERB = re.compile(rf"\b(?:(?:has|have|had)\s+(?:also\s+)?)?(?:{_SPEECH})\b")
_ING = re.compile(r"\b(?:stating|saying|adding|noting|warning|arguing|insisting|claiming)\b")
_ACCORDING = re.compile(r"\baccording to\s+([^,;:.“”\"]+?)(?=\s*[,;:.]|$)", re.IGNORECASE)
_LEADING = re.compile(r"^(?:while|but|and|however|although|though|yet|so|as|whereas)\s+", re.I)
_PREPOSITION = re.compile(r"^(?:with|from|despite|in|after|before|amid|following|for|at|on)\b")
# A name alone, as the segment before an appositive without article ("Tim Osborne, head of").
_NAME = re.compile(r"^\s*(?:[A-Z][\w.’'-]*\s*){1,4}$")
_HE_SHE = re.compile(r"^(?:he|she|they)$", re.IGNORECASE)
_SEGMENT = re.compile(r"[,;]\s*|\bthat\s+|\s[—–]\s")
_APPOSITION = re.compile(r"^(?:a|an|the|its|his|her|their)\s+\w+")
_PRONOUN = re.compile(r"^(?:it|this|that|these|those|there|which|who)$", re.IGNORECASE)


def number_lines(
    docs: Sequence[Doc],
    statements: Sequence[tuple[Doc, Statement]],
    scores: dict[int, float],
    max_words: int,
) -> list[Line]:
    """A line per sentence that states a figure: its main figure (one in digits with what it
    counts, if any), the noun phrase it counts when the words after it say, and the clause
    around it. Other figures of the sentence stay in the clause."""
    lines = []
    for doc, statement in statements:
        dates = date_mentions(doc.text, statement.start, statement.end)
        found = []
        for match in _FIGURE.finditer(doc.text, statement.start, statement.end):
            a, b = match.span()
            figure = match.group()
            if _YEAR_ONLY.match(figure) or any(m.start <= a < m.end for m in dates):
                continue
            if doc.text[b : b + 1].isalpha() or doc.text[a - 1 : a] == "(":
                continue  # part of a word, or a conversion in brackets: "$1.13bn (£600m)"
            if _NAMED_NUMBER.search(doc.text[statement.start : a]):
                continue  # part of a name: "Chapter 11", "Channel 4"
            counted = _counted(doc.text, b, statement.end)
            found.append(
                (any(ch.isdigit() for ch in figure), counted is not None, -a, a, b, counted)
            )
        if not found:
            continue
        _, _, _, a, b, counted = max(found)
        figure = doc.text[a:b]
        start, end = clause(doc.text, statement.start, statement.end, a, b, max_words)
        text = doc.text[start:end]
        detail = doc.text[counted[0] : counted[1]] if counted else None
        lines.append(
            Line(
                section="numbers",
                text=text,
                quotes=[(doc, statement)],
                # What a figure counts makes the line; a figure in words ("two nations")
                # is seldom the number a reader wants.
                score=scores.get(id(statement), 0.0)
                + (0.5 if detail else 0.0)
                - (0.0 if any(ch.isdigit() for ch in figure) else 0.6),
                key=normalise(f"{figure} {detail or text}"),
                label=figure,
                detail=detail,
                evidence=[text, figure, *([detail] if detail else [])],
                terms=frozenset(content_words(detail or text)),
            )
        )
    return lines


def _counted(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The noun phrase right after a figure ("over 10,000 | North Korean troops | are")."""
    cursor = start
    of = re.match(r"\s+of\s+", text[cursor:end])
    if of:
        cursor += of.end()
    words: list[tuple[int, int]] = []
    for match in re.finditer(r"\s*([A-Za-z][\w’'-]*)", text[cursor:end]):
        if match.start() != (words[-1][1] - cursor if words else 0):
            break  # punctuation in between
        word = match.group(1).lower()
        if word in _NP_STOP or len(words) == 5:
            break
        if words and (word in _IRREGULAR or word.endswith(("ed", "ing"))):
            break  # a verb: "2,500 dock workers | walked out"
        words.append((cursor + match.start(1), cursor + match.end(1)))
    if not words:
        return None
    return words[0][0], words[-1][1]


def figure_value(figure: str) -> float | None:
    """The amount a figure states, for comparing documents (None for "thousands")."""
    match = re.search(r"\d[\d,]*(?:\.\d+)?", figure)
    if not match:
        return None
    value = float(match.group().replace(",", ""))
    unit = re.search(r"(bn|billion|million|thousand|m|k)\b", figure[match.end() :].lower())
    return value * _MULTIPLIERS[unit.group(1)] if unit else value


def differing_figures(numbers: Sequence[Line]) -> list[Line]:
    """Lines where documents give different figures for the same counted thing."""
    groups: dict[frozenset[str], list[Line]] = {}
    for line in numbers:
        if line.detail and line.label and figure_value(line.label) is not None:
            groups.setdefault(frozenset(content_words(line.detail)), []).append(line)
    found = []
    for terms, group in groups.items():
        values: dict[float | None, tuple[str, Line]] = {}
        for line in group:
            doc_id = next(iter(line.doc_ids))
            values.setdefault(figure_value(line.label or ""), (doc_id, line))
        if len(values) < 2 or len({doc for doc, _ in values.values()}) < 2 or not terms:
            continue
        chosen = [line for _, line in values.values()][:3]
        pieces = [line.label or "" for line in chosen]
        detail = chosen[0].detail or ""
        line = Line(
            section="unconfirmed",
            text=f"Figures differ for {detail}: " + "; ".join(pieces),
            quotes=[q for line in chosen for q in line.quotes[:1]],
            score=max(line.score for line in chosen) + 1.0,
            key="figures:" + " ".join(sorted(terms)),
            label="figures differ",
            detail=detail,
            evidence=[*pieces, detail],
        )
        found.append(line)
    return found


def unconfirmed_lines(
    statements: Sequence[tuple[Doc, Statement]], scores: dict[int, float]
) -> list[Line]:
    lines = []
    for doc, statement in statements:
        for index, (label, pattern) in enumerate(_UNCONFIRMED):
            if pattern.search(statement.text):
                line = _sentence_line("unconfirmed", doc, statement, scores, label)
                # Refusals, denials and what nobody confirms come before hedges and doubts.
                line.score += 1.0 if index < _FIRM else 0.0
                lines.append(line)
                break
    return lines


def claim_lines(
    statements: Sequence[tuple[Doc, Statement]], scores: dict[int, float]
) -> list[Line]:
    lines: list[Line] = []
    last: dict[str, tuple[Statement, str]] = {}  # per document, the latest named speaker
    for doc, statement in statements:
        who = speaker(statement.text)
        if not who:
            continue
        line = _sentence_line("claims", doc, statement, scores, who)
        earlier = last.get(doc.doc_id)
        if _HE_SHE.match(who):
            # "He said ..." right after "X said ...": the line names X, from X's sentence.
            if earlier is not None and statement.order - earlier[0].order <= 2:
                line.detail = earlier[1]
                line.add_quote(doc, earlier[0])
                line.evidence.append(earlier[1])
        else:
            last[doc.doc_id] = (statement, who)
        lines.append(line)
    return lines


def speaker(sentence: str) -> str | None:
    """Who the sentence attributes its content to, in its own words, or None."""
    according = _ACCORDING.search(sentence)
    if according:
        return _clean_speaker(according.group(1))
    if _ING.search(sentence):
        first = re.split(r",|\s(?:addressed|said|says|told)\b", sentence, maxsplit=1)[0]
        who = _clean_speaker(first)
        if who:
            return who
    verb = _VERB.search(sentence)
    if not verb:
        return None
    # Segments of the text before the verb, as (start, end) offsets.
    cuts = [0]
    for match in _SEGMENT.finditer(sentence, 0, verb.start()):
        cuts.extend(match.span())
    cuts.append(verb.start())
    segments = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2)]
    segments = [(a, b) for a, b in segments if sentence[a:b].strip(" \"'“”‘’")]
    if not segments:
        return None
    start, end = segments[-1]
    before = sentence[: verb.start()].rstrip()
    if before.endswith(("”", '"', ",")):
        # '"...," said Yukos spokesman Alexander Shadrin.' and "The sale has destroyed Yukos,
        # said founder Mikhail Khodorkovsky.": the speaker follows the verb.
        after = re.match(
            r"\s*([^,;:.“”\"]+(?:,\s+(?:a|an|the)\s+[^,;:.“”\"]+)?)", sentence[verb.end() :]
        )
        if after and (before.endswith(("”", '"')) or re.search(r"\b[A-Z]", after.group(1))):
            return _clean_speaker(after.group(1))
    words = sentence[start:end].strip(" \"'“”‘’").lower()
    if len(segments) > 1 and _PREPOSITION.match(words):
        start, end = segments[-2]  # "X, with corroboration from Y, has projected"
    elif len(segments) > 1 and (
        _APPOSITION.match(words) or _NAME.match(sentence[segments[-2][0] : segments[-2][1]])
    ):
        start = segments[-2][0]  # "Ana Ferreira, a spokeswoman for the union, said"
    return _clean_speaker(sentence[start:end])


def _clean_speaker(raw: str) -> str | None:
    who = _LEADING.sub("", raw.strip(" \"'“”‘’"))
    words = who.split()
    if _HE_SHE.match(who):
        return who  # resolved to the speaker before it, where there is one (claim_lines)
    if not words or len(words) > 14 or _PRONOUN.match(who) or not content_words(who):
        return None
    return who


def _sentence_line(
    section: str, doc: Doc, statement: Statement, scores: dict[int, float], label: str
) -> Line:
    return Line(
        section=section,
        text=statement.text,
        quotes=[(doc, statement)],
        score=scores.get(id(statement), 0.0),
        key=statement.key,
        label=label,
        evidence=[statement.text] + ([label] if section == "claims" else []),
        terms=frozenset(statement.terms),
    )
