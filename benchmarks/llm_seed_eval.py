"""The seed question set in LLM mode: citation support and fallback behaviour.

Against a real endpoint (``--base-url``, ``--model``) it runs the evaluation runner and
breaks the answers down by mode (checked LLM answer, abstention, extractive fallback and why).

Without ``--base-url`` it starts the scripted test server (tests/support/openai_server.py) with a
deterministic stand-in model that answers from the prompt's passages (the sentences that share
most words with the question, each cited) and, with ``--faults``, spoils every other answer in
a known way: a citation of the wrong passage, a marker that points at no passage, or an
invented claim citing a real passage. That measures what the citation check catches.

    .venv/bin/python benchmarks/llm_seed_eval.py --faults
    .venv/bin/python benchmarks/llm_seed_eval.py --base-url http://127.0.0.1:8000/v1 --model M
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from assistant.evaluation.metrics import summarise  # noqa: E402
from assistant.evaluation.questions import load_questions  # noqa: E402
from assistant.evaluation.results import EvalResult  # noqa: E402
from assistant.evaluation.runner import corpus_engine, run_eval  # noqa: E402
from assistant.text import content_words, paragraphs, sentences  # noqa: E402
from tests.support.openai_server import OpenAIServer  # noqa: E402

ABSTAIN = "The documents do not answer this question."
FAULTS = ("wrong-passage", "invalid-marker", "invented-claim")
INVENTED = "Officials confirmed that 25,000 soldiers were decorated by President Biden"
_PASSAGE = re.compile(r'<passage number="(\d+)"[^>]*>\n(.*?)\n</passage>', re.S)


class StandIn:
    """A deterministic stand-in model that records which answers it spoiled and how."""

    def __init__(self, faults: bool) -> None:
        self.faults = faults
        self.spoiled: dict[str, str] = {}

    def __call__(self, body: dict[str, Any]) -> str:
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        if "Follow-up question:" in prompt:
            follow_up = prompt.split("Follow-up question:")[1].split("\n")[0].strip()
            asked = re.findall(r"^User: (.*)$", prompt, re.M)
            return f"{follow_up} ({asked[-1] if asked else ''})"
        question = prompt.rsplit("Question:", 1)[1].split("\n")[0].strip()
        passages = {int(n): text for n, text in _PASSAGE.findall(prompt)}
        wanted = set(content_words(question))
        scored = []
        for number, text in passages.items():
            for start, end in (s for p in paragraphs(text) for s in sentences(text, *p)):
                sentence = text[start:end]
                overlap = len(wanted & set(content_words(sentence)))
                scored.append((overlap, -number, sentence, number))
        scored.sort(reverse=True)
        chosen = [(s, n) for overlap, _, s, n in scored[:2] if overlap >= 2]
        if not chosen:
            return ABSTAIN
        parts = [f"{s.rstrip('.')} [{n}]." for s, n in chosen]
        if self.faults:
            digest = int(hashlib.sha256(question.encode()).hexdigest(), 16)
            fault = FAULTS[digest % 3] if digest % 2 else None
            count = len(passages)
            if fault == "wrong-passage":
                sentence, number = chosen[0]
                others = [n for n in passages if n != number]
                if others:
                    parts[0] = f"{sentence.rstrip('.')} [{others[0]}]."
                else:
                    fault = None
            elif fault == "invalid-marker":
                parts[0] = parts[0][:-1] + f"[{count + 4}]."
            elif fault == "invented-claim":
                parts.append(f"{INVENTED} [{chosen[0][1]}].")
            if fault:
                self.spoiled[question] = fault
        return " ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "evals" / "seed.jsonl")
    parser.add_argument("--base-url", help="a real OpenAI-compatible endpoint")
    parser.add_argument("--model", default="stand-in")
    parser.add_argument("--k", type=int, default=None)
    parser.add_argument("--faults", action="store_true", help="spoil every other answer")
    parser.add_argument("--json", type=Path, help="write the run here")
    parser.add_argument(
        "--rows", type=Path, help="append each result here as it comes (JSON Lines)"
    )
    parser.add_argument("--summarise", type=Path, help="only report on a --rows file")
    args = parser.parse_args()
    if args.summarise:
        lines = args.summarise.read_text(encoding="utf-8").splitlines()
        report([EvalResult.model_validate_json(line) for line in lines if line.strip()], {})
        return

    server = None
    stand_in = StandIn(args.faults)
    if not args.base_url:
        server = OpenAIServer(responder=stand_in).start()
    base_url = args.base_url or (server.url if server else "")
    settings = Settings(
        answer_mode="llm",
        llm_base_url=base_url,
        llm_model=args.model,
        llm_max_retries=0,
        llm_timeout=900,
    )
    question_set = load_questions(args.questions)

    def keep(result: EvalResult) -> None:
        if args.rows:
            with args.rows.open("a", encoding="utf-8") as rows:
                rows.write(result.model_dump_json() + "\n")

    try:
        with corpus_engine(settings, ROOT / "corpus") as (engine, _):
            run = run_eval(engine, question_set, k=args.k, progress=keep)
    finally:
        if server:
            server.close()
    if args.json:
        args.json.write_text(run.model_dump_json(indent=2), encoding="utf-8")
    report(run.results, stand_in.spoiled)


def report(results: list[EvalResult], spoiled: dict[str, str]) -> None:
    summary = summarise(results)
    print("| metric | value |\n| --- | --- |")
    for name in (
        "questions",
        "answer_pass_rate",
        "key_fact_recall",
        "citation_validity",
        "support_mean",
        "supported_share",
        "abstain_accuracy",
        "false_abstain_rate",
        "must_not_violations",
        "errors",
        "latency_p50",
    ):
        print(f"| {name} | {summary.get(name)} |")
    modes = Counter(_outcome(r) for r in results)
    print("\n| outcome | questions |\n| --- | --- |")
    for outcome, count in modes.most_common():
        print(f"| {outcome} | {count} |")
    citations = [c for r in results for c in (r.citations or [])]
    llm_citations = [c for r in results if r.mode == "llm" for c in (r.citations or [])]
    flagged = sum(1 for c in llm_citations if not c.supported)
    print(
        f"\ncitations shown: {len(citations)}; in checked LLM answers: {len(llm_citations)}, "
        f"of which flagged unsupported: {flagged}"
    )
    if spoiled:
        print("\n| injected fault | answers | caught (flagged, dropped or fallback) |")
        print("| --- | --- | --- |")
        by_question = {r.question: r for r in results}
        for fault in FAULTS:
            hit = [q for q, f in spoiled.items() if f == fault]
            caught = sum(_caught(by_question[q], fault) for q in hit if q in by_question)
            print(f"| {fault} | {len(hit)} | {caught} |")
        clean = [
            r for r in results if r.question not in spoiled and r.mode == "llm" and not r.abstained
        ]
        wrongly = sum(1 for r in clean if any(not s.supported for s in r.sentences or []))
        print(f"\nunspoiled LLM answers with a sentence flagged anyway: {wrongly} of {len(clean)}")


def _outcome(result: Any) -> str:
    if result.error:
        return "error"
    notice = result.notice or ""
    if result.mode == "extractive-fallback":
        reason = "answer unsupported" if "not supported" in notice else "endpoint failed"
        return f"extractive fallback ({reason}{', abstained' if result.abstained else ''})"
    if result.abstained:
        asked = "answer" in (getattr(result, "timings", None) or {})
        return "abstained: the model said so" if asked else "abstained before calling the model"
    flagged = any(not s.supported for s in result.sentences or [])
    return "LLM answer, some sentence flagged" if flagged else "LLM answer, all supported"


def _caught(result: Any, fault: str) -> bool:
    if result.mode != "llm" or result.error:
        return True  # fell back (or abstained) instead of showing the spoiled answer
    answer = result.answer or ""
    if fault == "invalid-marker":
        return not re.search(r"\[(\d+)\]", answer) or all(
            int(n) <= len(result.retrieved) for n in re.findall(r"\[(\d+)\]", answer)
        )
    if fault == "invented-claim":
        return any(not s.supported for s in result.sentences if "25,000" in s.text) or (
            "25,000" not in answer
        )
    return any(not s.supported for s in result.sentences)


if __name__ == "__main__":
    main()
