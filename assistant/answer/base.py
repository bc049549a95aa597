"""The one interface of the answer stage. Every answer mode (extractive, llm, and any that joins
them) is an Answerer: it gets the question with what retrieval found, and streams the answer.
The engine picks one by BRIEFING_ANSWER_MODE and knows nothing else about it."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..config import RetrieverMode
from ..types import Answer, Passage, StreamEvent, Turn


@dataclass
class AnswerRequest:
    """A question ready to be answered: checked, with its conversation, the query retrieval ran
    and the passages it found (best first; the [n] of a citation numbers into them)."""

    question: str
    turns: Sequence[Turn]
    query: str
    passages: list[Passage]
    began: float  # time.perf_counter() when the question arrived
    retrieved: float  # ... and when retrieval had finished
    # The caller's retrieval options, for an answerer that retrieves again (a condensed
    # follow-up): None means the settings' own.
    k: int | None = None
    retriever: RetrieverMode | None = None


class Answerer(Protocol):
    def stream(self, request: AnswerRequest) -> Iterator[StreamEvent]:
        """Text deltas as the answer is produced, then one ``kind="answer"`` event with the
        complete Answer, its ``timings`` filled in (see finish())."""
        ...


def finish(
    answer: Answer, timings: dict[str, float], began: float, *, streamed: bool
) -> Iterator[StreamEvent]:
    """The end of an answerer's stream: the answer's text as one delta (unless its text was
    streamed already: the final Answer replaces it), then the Answer with its timings."""
    timings["total"] = round(time.perf_counter() - began, 5)
    answer.timings = timings
    if not streamed:
        yield StreamEvent(kind="delta", text=answer.text)
    yield StreamEvent(kind="answer", answer=answer)
