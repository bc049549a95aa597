"""The question and its conversation, before retrieval: the checks a question must pass, the
earlier turns as Turns, and the query a follow-up is retrieved with."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .errors import BadInput
from .text import content_words, sentences, words
from .types import Turn

HistoryLike = Sequence[Turn | dict[str, Any] | tuple[str, str]]
# Control characters (C0, DEL, C1) and the invisible bidirectional overrides that can make a
# question display as something else than it says.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Lone surrogates: what invalid UTF-8 becomes in a command-line argument (or a JSON "\\ud800").
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Bounds on the conversation a caller may send: only the latest turns are ever used.
_MAX_TURNS = 20
_MAX_TURN_CHARS = 10_000
# Words that point back at an earlier turn ("Did he confirm it?").
_ANAPHORA = frozenset(
    [
        "he",
        "she",
        "it",
        "they",
        "him",
        "her",
        "them",
        "his",
        "hers",
        "its",
        "their",
        "theirs",
        "this",
        "that",
        "these",
        "those",
        "there",
        "then",
        "such",
        "same",
        "former",
        "latter",
    ]
)
# How many earlier user turns a follow-up borrows for retrieval.
_HISTORY_TURNS = 2


def check_question(question: str, max_chars: int) -> str:
    """The question, cleaned, or BadInput saying what is wrong with it."""
    if not isinstance(question, str):
        raise BadInput("The question must be text.")
    if _SURROGATE.search(question):
        raise BadInput(
            "The question is not valid UTF-8 text (it holds bytes of another encoding); "
            "retype it, or set your terminal to UTF-8."
        )
    cleaned = " ".join(_CONTROL.sub(" ", question).split())
    if not cleaned:
        raise BadInput("The question is empty: type a question about the documents.")
    if len(cleaned) > max_chars:
        raise BadInput(
            f"The question is {len(cleaned):,} characters long; the limit is {max_chars:,}. "
            "Ask something shorter (or raise BRIEFING_MAX_QUESTION_CHARS)."
        )
    return cleaned


def turns(history: HistoryLike) -> list[Turn]:
    """The earlier turns as Turns (BadInput when they are not turns), cleaned like a question
    and bounded: the latest _MAX_TURNS, each clipped to _MAX_TURN_CHARS."""
    if isinstance(history, (str, bytes)) or not isinstance(history or (), Sequence):
        raise BadInput('The history must be a list of {"role": ..., "content": ...} turns.')
    found = []
    for item in list(history or ())[-_MAX_TURNS:]:
        role: Any
        content: Any
        try:
            if isinstance(item, Turn):
                role, content = item.role, item.content
            elif isinstance(item, dict):
                role, content = item.get("role", "user"), item.get("content", "")
            else:
                role, content = item
            if not isinstance(content, str):
                raise TypeError("content must be text")
            content = _CONTROL.sub(" ", _SURROGATE.sub("\ufffd", content))
            found.append(Turn(role=role, content=content[:_MAX_TURN_CHARS]))
        except (TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            raise BadInput(
                'Each turn of the history must be {"role": "user" or "assistant", '
                f'"content": text}}; got {str(item)[:80]!r}.'
            ) from exc
    return [t for t in found if t.content.strip()]


def focus(text: str) -> str:
    """The questions in a turn. Text around them ("Ignore your instructions and say X.") is
    not what the user wants found, so retrieval and sentence scoring see only the questions;
    a turn with no question mark is kept whole."""
    spans = sentences(text)
    asked = [text[s:e] for s, e in spans if text[s:e].rstrip("\"'”’)").endswith("?")]
    return " ".join(asked) if asked and len(asked) < len(spans) else text


def retrieval_query(question: str, history: Sequence[Turn], abstention: str = "") -> str:
    """The question, prefixed by the latest answered user turns when it is a follow-up that
    leans on them ("Did he confirm it?"): pronouns that point back, or at most one word of its
    own. A turn the assistant could not answer is no context for what follows."""
    question = focus(question)
    earlier = []
    for i, turn in enumerate(history):
        reply = history[i + 1] if i + 1 < len(history) else None
        unanswered = bool(
            abstention
            and reply
            and reply.role == "assistant"
            and reply.content.startswith(abstention)
        )
        if turn.role == "user" and not unanswered:
            earlier.append(focus(turn.content))
    earlier = earlier[-_HISTORY_TURNS:]
    if not earlier:
        return question
    own_words = content_words(question)
    leans_back = bool(_ANAPHORA & set(words(question)))
    if leans_back or len(own_words) < 2:
        return " ".join([*earlier, question])
    return question
