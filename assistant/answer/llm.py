"""The LLM answerer: an OpenAI-compatible model writes the answer from numbered passages, and
every citation is checked (cite/verify.py) before the user sees it.

The flow of one question:
1. a follow-up is rewritten by the model into a standalone question (prompts/condense.txt)
   and retrieval runs again with it (the answerer is handed the retriever for this);
2. the gate, an offline answer mode (answer/gate.py: the reader or the sentence scorer,
   BRIEFING_LLM_GATE), decides whether the documents cover the question at all; when they do
   not, the assistant abstains without calling the model. The reader gate also reranks a
   deeper list, and the model is shown its best passages;
3. the model streams its answer (prompts/system.txt and answer.txt, passages fenced as data);
4. the answer is checked: markers that point at no passage are dropped, each sentence is
   scored against the passages it cites, unsupported sentences are flagged;
5. when the endpoint fails, or no sentence carries a supported citation, the user gets the
   gate's own answer (the reader's short answer and quotes, or the scorer's quoted
   sentences) with a notice saying why.

Text deltas stream as the model writes; the final Answer event carries the checked text,
which front ends show in place of the streamed one.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence

from ..cite import strip_markers
from ..cite.verify import CitationTuning, check_answer
from ..config import RetrieverMode
from ..errors import LLMError
from ..models.embedding import Embedder
from ..models.llm_client import LLMClient, Message
from ..retrieve import Retriever
from ..templates import Prompts
from ..text import normalise
from ..types import Answer, Passage, StreamEvent, Turn
from .base import AnswerRequest, finish
from .candidates import split_candidates
from .gate import Gate, ScorerGate, Verdict

log = logging.getLogger(__name__)

MODE = "llm"
FALLBACK_MODE = ScorerGate.fallback_mode  # the scorer gate's; the reader gate's is its own
# Ample for a few cited sentences (about 300 words); stops a small local model rambling on
# to its context limit, which takes many minutes on a CPU.
MAX_ANSWER_TOKENS = 400
MAX_CONDENSED_TOKENS = 120
# Earlier turns shown to the model, and the most characters of each.
HISTORY_TURNS = 6
HISTORY_TURN_CHARS = 1200

_FENCE = re.compile(r"<\s*/?\s*passage", re.I)
# Ways models say the documents do not answer, besides the exact sentence they were given.
_ABSTAIN = re.compile(
    r"\b(?:documents?|passages?|sources?|context|texts?|provided information)\b[^.]{0,60}?"
    r"\b(?:do|does|did)\s*(?:not|n't)\s+(?:answer|contain|mention|say|cover|provide|include|"
    r"specify|state|address|discuss|give)"
    r"|\bno (?:information|mention|details?)\b[^.]{0,40}\b(?:passages?|documents?|sources?)\b"
    r"|\b(?:cannot|can't|unable to) (?:answer|determine|find)\b",
    re.I,
)

UNREACHABLE_NOTICE = "{error} Showing quoted sentences from the documents instead."
UNSUPPORTED_NOTICE = (
    "The language model's answer was not supported by the passages it cited, so it is not "
    "shown; these are quoted sentences from the documents instead."
)


class LLMAnswerer:
    """Answers through the configured endpoint (an Answerer); built once per Engine with the
    parts it works with: the retriever (for condensed follow-ups), the gate (which decides
    whether to ask the model, and whose answer is the fallback), the embedding model (for
    the citation check) and a way to build the endpoint client."""

    def __init__(
        self,
        *,
        retriever: Retriever,
        gate: Gate,
        embedder: Callable[[], Embedder],
        client: Callable[[], LLMClient],
        prompts: Prompts,
        citations: CitationTuning | None = None,
    ) -> None:
        self.retriever = retriever
        self.gate = gate
        self._embedder = embedder
        self._new_client = client
        self.prompts = prompts
        self.citations = citations or CitationTuning()
        self._client: LLMClient | None = None
        self._lock = threading.Lock()

    @property
    def depth(self) -> int | None:
        """Passages retrieved for each question: the gate's (the reader reads more than the
        model is shown); None: the ones shown."""
        return self.gate.depth

    def client(self) -> LLMClient:
        """The endpoint client, built on first use (LLMError when nothing is configured)."""
        with self._lock:
            if self._client is None:
                self._client = self._new_client()
            return self._client

    def stream(self, request: AnswerRequest) -> Iterator[StreamEvent]:
        """Text deltas as the model writes, then the checked Answer (see the module doc)."""
        question, turns, query, passages = (
            request.question,
            request.turns,
            request.query,
            request.passages,
        )
        began, k, retriever = request.began, request.k, request.retriever
        timings = {"retrieve": round(request.retrieved - began, 5)}
        abstain = self.prompts.render("abstain")
        # Render the prompts before anything else so a broken template fails loudly.
        self._check_templates(abstain)
        try:
            client = self.client()
            if turns and query != question:
                started = time.perf_counter()
                query, passages = self._condense(
                    client, question, turns, query, passages, k, retriever
                )
                timings["condense"] = round(time.perf_counter() - started, 5)
        except LLMError as exc:
            answer = self._fallback(question, query, passages, k, str(exc), timings)
            yield from finish(answer, timings, began, streamed=False)
            return

        verdict = self._judge(query, passages, k, timings)
        passages = verdict.passages
        if verdict.abstained:  # the documents do not answer: the model is not asked
            answer = self._abstention(question, query, passages, abstain)
            yield from finish(answer, timings, began, streamed=False)
            return

        messages = self.messages(question, turns, passages, abstain)
        started = time.perf_counter()
        pieces: list[str] = []
        try:
            for delta in client.stream(messages, max_tokens=MAX_ANSWER_TOKENS):
                if not pieces:
                    timings["first_token"] = round(time.perf_counter() - started, 5)
                pieces.append(delta)
                yield StreamEvent(kind="delta", text=delta)
        except LLMError as exc:
            timings["answer"] = round(time.perf_counter() - started, 5)
            notice = UNREACHABLE_NOTICE.format(error=str(exc))
            answer = self._gate_answer(question, query, verdict, notice)
            yield from finish(answer, timings, began, streamed=bool(pieces))
            return
        timings["answer"] = round(time.perf_counter() - started, 5)

        started = time.perf_counter()
        answer = self._checked(question, query, "".join(pieces), abstain, verdict)
        timings["verify"] = round(time.perf_counter() - started, 5)
        yield from finish(answer, timings, began, streamed=True)

    # --- prompts --------------------------------------------------------------------------
    def messages(
        self, question: str, turns: Sequence[Turn], passages: Sequence[Passage], abstain: str
    ) -> list[Message]:
        """The chat messages for an answer: rules, then fenced passages and the question."""
        return [
            {"role": "system", "content": self.prompts.render("system", abstain=abstain)},
            {
                "role": "user",
                "content": self.prompts.render(
                    "answer",
                    passages=format_passages(passages),
                    conversation=format_conversation(turns),
                    question=question,
                    abstain=abstain,
                ),
            },
        ]

    def _check_templates(self, abstain: str) -> None:
        self.messages("?", [], [], abstain)
        self.prompts.render("condense", conversation="", question="")

    def _condense(
        self,
        client: LLMClient,
        question: str,
        turns: Sequence[Turn],
        query: str,
        passages: list[Passage],
        k: int | None,
        retriever: RetrieverMode | None,
    ) -> tuple[str, list[Passage]]:
        """A standalone rewrite of a follow-up and the passages retrieved for it; the
        history-aware query and its passages when the rewrite is unusable."""
        prompt = self.prompts.render(
            "condense", conversation=format_conversation(turns), question=question
        )
        reply = client.complete([{"role": "user", "content": prompt}], MAX_CONDENSED_TOKENS)
        condensed = clean_condensed(reply, question)
        if condensed is None:
            log.info("Unusable condensed question %r; keeping %r", reply[:200], query)
            return query, passages
        depth = max(k or 0, self.depth or 0) or None  # as deep as the engine retrieved
        return condensed, self.retriever.retrieve(condensed, k=depth, mode=retriever)

    # --- answers --------------------------------------------------------------------------
    def _judge(
        self, query: str, passages: list[Passage], k: int | None, timings: dict[str, float]
    ) -> Verdict:
        verdict = self.gate.judge(query, passages, k or len(passages))
        timings["evidence"] = round(verdict.evidence, 4)
        if verdict.probability is not None:
            timings["reader_probability"] = round(verdict.probability, 4)
        return verdict

    def _gate_answer(self, question: str, query: str, verdict: Verdict, notice: str) -> Answer:
        gate = self.gate
        return gate.answer(question, query, verdict, mode=gate.fallback_mode, notice=notice)

    def _checked(
        self, question: str, query: str, raw: str, abstain: str, verdict: Verdict
    ) -> Answer:
        passages = verdict.passages
        checked = check_answer(
            raw,
            passages,
            self._embedder(),
            candidates=split_candidates(passages),
            question=question,
            exempt=[abstain],
            tuning=self.citations,
        )
        if checked.dropped:
            log.info("Dropped citation markers that point at no passage: %s", checked.dropped)
        if not checked.supported:
            if is_abstention(raw, abstain):
                return self._abstention(question, query, passages, abstain)
            log.info("No supported citation in the model's answer; falling back: %r", raw[:300])
            return self._gate_answer(question, query, verdict, UNSUPPORTED_NOTICE)
        return Answer(
            question=question,
            text=checked.text,
            sentences=checked.sentences,
            citations=checked.citations,
            passages=passages,
            mode=MODE,
            retrieval_query=query,
        )

    def _abstention(
        self, question: str, query: str, passages: list[Passage], abstain: str
    ) -> Answer:
        return Answer(
            question=question,
            text=abstain,
            passages=passages,
            abstained=True,
            mode=MODE,
            retrieval_query=query,
        )

    def _fallback(
        self,
        question: str,
        query: str,
        passages: list[Passage],
        k: int | None,
        error: str,
        timings: dict[str, float],
    ) -> Answer:
        """The gate's answer when the endpoint failed before the answer was asked for."""
        verdict = self._judge(query, passages, k, timings)
        notice = UNREACHABLE_NOTICE.format(error=error)
        return self._gate_answer(question, query, verdict, notice)


# --- helpers (pure functions, tested directly) --------------------------------------------
def format_passages(passages: Sequence[Passage]) -> str:
    """Numbered passages fenced as data; text that imitates a fence is defused."""
    blocks = []
    for number, p in enumerate(passages, start=1):
        title = p.title.replace('"', "'")
        text = _FENCE.sub(lambda m: m.group().replace("<", "‹"), p.text.strip())
        where = p.paragraph_label.split()[-1]
        head = f'<passage number="{number}" title="{title}" paragraphs="{where}">'
        blocks.append(f"{head}\n{text}\n</passage>")
    return "\n\n".join(blocks) if blocks else "(no passages)"


def format_conversation(turns: Sequence[Turn]) -> str:
    """The latest turns as "User: ..." / "Assistant: ..." lines, old [n] markers removed
    (they numbered other passages)."""
    lines = []
    for turn in list(turns)[-HISTORY_TURNS:]:
        text = strip_markers(turn.content)
        if len(text) > HISTORY_TURN_CHARS:
            text = text[: HISTORY_TURN_CHARS - 1] + "…"
        lines.append(f"{'User' if turn.role == 'user' else 'Assistant'}: {text}")
    return "\n".join(lines) if lines else "(none)"


def clean_condensed(reply: str, question: str) -> str | None:
    """The standalone question from a condensing reply, or None when it is unusable."""
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    if not lines:
        return None
    text = re.sub(
        r"^(?:standalone question|question|rewritten question)\s*:\s*", "", lines[0], flags=re.I
    )
    text = text.strip().strip("\"'“”‘’").strip()
    if len(text) < 3 or len(text) > 3 * len(question) + 300:
        return None
    return text


def is_abstention(text: str, abstain: str) -> bool:
    """Whether the model said the documents do not answer (the exact sentence or its like)."""
    plain = normalise(strip_markers(text))
    sentence = normalise(abstain).rstrip(".")
    return bool(sentence and sentence in plain) or bool(_ABSTAIN.search(plain))
