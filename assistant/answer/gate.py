"""The offline answer mode behind the LLM answerer (BRIEFING_LLM_GATE): it decides whether the
documents answer the question at all, before the model is asked, and its quoted answer is what
the user gets when the endpoint fails or the model's answer carries no supported citation.

Two gates, one interface:
- ``ScorerGate``, the sentence scorer: its evidence score decides, over the passages retrieved;
- ``ReaderGate``, the reader: it reads a deeper list, reranks it, and the model is shown the
  reader's best passages; its abstention decides, and its short answer comes with the fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..types import Answer, Passage
from .extractive import ExtractiveAnswerer, Selection
from .reader import Decision, ReaderModeAnswerer


@dataclass
class Verdict:
    """A gate's judgement of one question: whether to abstain, over which passages (best first;
    the [n] of the model's citations number into them), and the gate's own decision, which
    ``Gate.answer`` turns into the fallback answer."""

    abstained: bool
    evidence: float
    passages: list[Passage]
    decision: Selection | Decision
    probability: float | None = None  # the reader's, when the reader judged


class Gate(Protocol):
    fallback_mode: str  # Answer.mode of the gate's own answer in the LLM's place

    @property
    def depth(self) -> int | None:
        """Passages the gate reads for each question (None: the ones shown)."""
        ...

    def judge(self, query: str, passages: list[Passage], k: int) -> Verdict: ...

    def answer(
        self, question: str, query: str, verdict: Verdict, *, mode: str, notice: str | None
    ) -> Answer:
        """The gate's quoted answer (or abstention) for a verdict."""
        ...


class ScorerGate:
    """The sentence scorer as the gate: its evidence over the ``k`` passages shown."""

    fallback_mode = "extractive-fallback"
    depth = None

    def __init__(self, extractive: ExtractiveAnswerer) -> None:
        self.extractive = extractive

    def judge(self, query: str, passages: list[Passage], k: int) -> Verdict:
        shown = passages[:k]
        selection = self.extractive.select(query, shown)
        return Verdict(selection.abstained, selection.evidence, shown, selection)

    def answer(
        self, question: str, query: str, verdict: Verdict, *, mode: str, notice: str | None
    ) -> Answer:
        assert isinstance(verdict.decision, Selection)
        return self.extractive.answer_for(
            question, query, verdict.passages, verdict.decision, mode=mode, notice=notice
        )


class ReaderGate:
    """The reader as the gate: it reads ``depth`` passages, the model sees its best ``k``."""

    fallback_mode = "reader-fallback"

    def __init__(self, reader: ReaderModeAnswerer) -> None:
        self.reader = reader

    @property
    def depth(self) -> int:
        return self.reader.depth

    def judge(self, query: str, passages: list[Passage], k: int) -> Verdict:
        decision = self.reader.select(query, passages, k)
        shown = (decision.reading.ranked or passages)[:k]
        # A reader that could not be loaded left the decision to the scorer (decision.notice).
        probability = decision.reading.probability if decision.notice is None else None
        return Verdict(decision.abstained, decision.evidence, shown, decision, probability)

    def answer(
        self, question: str, query: str, verdict: Verdict, *, mode: str, notice: str | None
    ) -> Answer:
        assert isinstance(verdict.decision, Decision)
        # A broken model file is said too: the scorer judged in the reader's place.
        notice = " ".join(n for n in (notice, verdict.decision.notice) if n) or None
        return self.reader.answer_for(
            question,
            query,
            verdict.passages,
            verdict.decision,
            mode=mode,
            notice=notice,
            k=len(verdict.passages),
        )
