"""Whether a chat message asks for a briefing ("Summarize the article", "Brief me on X",
"What are the key points?") rather than a question the documents answer, and its topic."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import content_words

_ASKS = re.compile(
    r"^(?:(?:please|ok|okay|now|so)\s*,?\s+)*(?:(?:can|could|would|will) you\s+(?:please\s+)?)?"
    r"(?P<ask>summari[sz]e|sum up|recap|outline|brief me|brief us|give (?:me|us)\s+(?:a|an|the)\s+"
    r"(?:short\s+|quick\s+|one-page\s+)?(?:briefing|summary|overview|rundown|recap|gist)|"
    r"(?:a|an|the)?\s*(?:short\s+|quick\s+)?(?:summary|overview|briefing|rundown|tl;?dr)|"
    r"what are the (?:key|main|most important) (?:points|facts|takeaways|findings)|"
    r"what(?:'s|’s| is) the (?:main|key|central) (?:point|idea|message|takeaway)|"
    r"what(?:'s|’s| is) (?:this|the) (?:article|document|story|text|report) about|"
    r"(?:the\s+)?(?:key|main) (?:points|facts|takeaways))"
    r"(?P<rest>.*)$",
    re.IGNORECASE,
)
_TOPIC = re.compile(
    r"^\s*(?:me\s+|us\s+)?(?:on|about|of|regarding|concerning|for|in)\s+(.+)$", re.I
)
# "Summarize how/why/what ...": a question in a clause, answered like a question.
_CLAUSE = re.compile(r"^(?:how|why|what|when|where|who|which|whether)\b", re.I)
# Words that name the documents or the conversation, not a topic ("the situation").
_GENERIC = frozenset(
    """situation article articles document documents story stories text texts news report
    reports everything thing things matter file files content page main key point points
    whole overall all this that it there here them library corpus""".split()
)


@dataclass(frozen=True)
class BriefingAsk:
    """A request for a briefing; ``topic`` None means the whole scope at hand."""

    topic: str | None


def briefing_request(message: str) -> BriefingAsk | None:
    """The briefing a message asks for, or None when it is an ordinary question."""
    text = " ".join(message.split()).strip(" ?.!")
    match = _ASKS.match(text)
    if not match:
        return None
    rest = match.group("rest").strip(" ,:;-—?.!")
    if _CLAUSE.match(rest) and not match.group("ask").lower().startswith("what"):
        return None  # "Summarize how the troops got to the front" asks for an account
    if rest and not _TOPIC.match(rest) and match.group("ask").lower().startswith("what"):
        return None  # "What are the key points made by X?" is handled as a topic below
    found = _TOPIC.match(rest)
    topic = found.group(1).strip() if found else rest
    topic = re.sub(
        r"^(?:the\s+)?(?:article|document|story|text|report)s?\s+(?:on|about)\s+",
        "",
        topic,
        flags=re.I,
    )
    words = [w for w in content_words(topic) if w not in _GENERIC]
    return BriefingAsk(topic=topic if words else None)
