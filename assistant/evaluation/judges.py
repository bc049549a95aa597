"""Optional LLM judges (`briefing eval --judge`): answer correctness against the reference,
and faithfulness of the answer to the passages it cites, graded by the configured
OpenAI-compatible endpoint through the same client as the answerer (models/llm_client.py), so
its error messages and key scrubbing apply. Off by default; nothing else in the evaluation needs
them.

A judge that fails on one question records the failure in that row and the run goes on:
the deterministic metrics are the primary result, the judges a second opinion.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..cite import strip_markers
from ..config import Settings
from ..errors import ConfigError, LLMError
from ..models.llm_client import LLMClient
from ..templates import Prompts
from ..types import Answer
from .questions import Question

TEMPLATES = ("judge_correctness", "judge_faithfulness")
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


class LLMJudge:
    def __init__(self, settings: Settings) -> None:
        if not settings.llm_base_url:
            raise ConfigError(
                "--judge needs an OpenAI-compatible endpoint: set BRIEFING_LLM_BASE_URL (and "
                "BRIEFING_LLM_API_KEY and BRIEFING_LLM_MODEL if it needs them)."
            )
        self.prompts = Prompts(settings.prompts_dir)
        for name in TEMPLATES:  # a missing template should fail before the run, not in it
            self.prompts.text(name)
        self.client = LLMClient(settings)

    def assess(self, question: Question, answer: Answer) -> dict[str, Any]:
        """Verdicts by name: ``{"score": 0-1, "reason": ...}`` or ``{"error": ...}``."""
        verdicts: dict[str, Any] = {}
        if question.reference:
            verdicts["correctness"] = self._grade(
                "judge_correctness",
                question=question.question,
                reference=question.reference,
                answer=strip_markers(answer.text),
            )
        if answer.citations and not answer.abstained:
            texts = {p.chunk_id: p.text for p in answer.passages}
            cited = "\n\n".join(
                f"[{c.number}] {texts.get(c.chunk_id, c.quote)}" for c in answer.citations
            )
            verdicts["faithfulness"] = self._grade(
                "judge_faithfulness", answer=answer.text, passages=cited
            )
        return verdicts

    def _grade(self, template: str, **values: str) -> dict[str, Any]:
        prompt = self.prompts.render(template, **values)
        try:
            # Graded at temperature 0 whatever BRIEFING_LLM_TEMPERATURE says: a verdict
            # should not change between two runs of the same answers.
            text = self.client.complete([{"role": "user", "content": prompt}], temperature=0)
        except LLMError as exc:  # already logged by the client, without the key
            return {"error": f"{type(exc).__name__}: {exc}"}
        return parse_verdict(text)


def parse_verdict(text: str) -> dict[str, Any]:
    """The judge's JSON object (tolerating prose or code fences around it), score in 0-1."""
    match = _OBJECT.search(text)
    try:
        data = json.loads(match.group()) if match else None
        score = float(data["score"]) if isinstance(data, dict) else None
    except (ValueError, KeyError, TypeError):
        score = None
    if score is None or score != score:  # also rejects NaN
        return {"error": "the judge's reply has no JSON score", "reply": text[:300]}
    assert isinstance(data, dict)
    return {"score": max(0.0, min(1.0, score)), "reason": str(data.get("reason", ""))[:500]}
