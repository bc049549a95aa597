"""What leaves the web app besides the page: the conversation exported as Markdown, the
thumbs up/down written to the feedback file, and the /ask API's JSON.

Markdown made from documents and users is made inert first (markup.inert_markdown, the rule
every export follows), so an export opened elsewhere loads nothing and runs nothing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..markup import inert_markdown
from ..types import Answer


def answer_as_markdown(answer: Answer) -> str:
    lines = [inert_markdown(answer.text)]
    if answer.notice:
        lines += ["", f"> Note: {inert_markdown(answer.notice)}"]
    if answer.citations:
        lines += ["", "**Sources**", ""]
        for c in answer.citations:
            title, quote = inert_markdown(c.title), inert_markdown(c.quote)
            lines.append(f"{c.number}. *{title}*, paragraph {c.paragraph}: “{quote}”")
    return "\n".join(lines)


# --- feedback and the API -------------------------------------------------------------

_feedback_lock = threading.Lock()


def record_feedback(path: Path, *, liked: bool | str, record: dict[str, Any]) -> dict[str, Any]:
    """Append one thumbs up/down, with the question, answer and citations, to a JSON Lines file."""
    answer = record.get("answer") or {}
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "rating": "up" if liked is True else "down" if liked is False else str(liked),
        "question": record.get("question", ""),
        "answer": answer.get("text", record.get("error", "")),
        "abstained": answer.get("abstained", False),
        "citations": [
            {
                k: c.get(k)
                for k in (
                    "number",
                    "title",
                    "source",
                    "paragraph",
                    "quote",
                    "doc_id",
                    "char_start",
                    "char_end",
                    "score",
                )
            }
            for c in answer.get("citations", [])
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False)
    with _feedback_lock, path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    return entry


def conversation_markdown(records: Sequence[dict[str, Any]]) -> str:
    """The conversation as Markdown, each answer followed by its sources."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# Briefing Assistant conversation", "", f"_Exported {stamp}_", ""]
    for number, record in enumerate(records, start=1):
        question = " ".join(str(record.get("question", "")).split())
        lines += [f"## {number}. {inert_markdown(question)}", ""]
        if record.get("answer"):
            lines.append(answer_as_markdown(Answer.model_validate(record["answer"])))
        else:
            lines.append(f"> {inert_markdown(record.get('error') or 'No answer.')}")
        lines.append("")
    return "\n".join(lines)


def api_payload(answer: Answer) -> dict[str, Any]:
    """What the /ask API returns: JSON-able, the answer text plus structured citations."""
    return {
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [
            {
                "number": c.number,
                "title": c.title,
                "paragraph": c.paragraph,
                "quote": c.quote,
                "char_start": c.char_start,
                "char_end": c.char_end,
                "doc_id": c.doc_id,
                "source": Path(c.source).name,
                "score": c.score,
                "supported": c.supported,
            }
            for c in answer.citations
        ],
        "notice": answer.notice,
    }
