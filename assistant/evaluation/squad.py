"""SQuAD v1.1 / v2.0 -> a corpus folder (one document per article) and a question set.

Gold evidence is the sentence that holds the answer, not the SQuAD paragraph, so the set
stays valid whatever the chunker does with paragraphs; gold answers become one key fact whose
alternatives are the annotators' answers.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..text import sentences, words

# Written into --out so a later conversion knows the folder is ours to overwrite.
MARKER = ".briefing-squad"
_WH = ("who", "whom", "whose", "what", "when", "where", "which", "why", "how")


@dataclass(frozen=True)
class Converted:
    corpus_dir: Path
    questions_file: Path
    documents: int
    paragraphs: int
    questions: int
    unanswerable: int


def convert(
    squad_file: Path,
    out: Path,
    *,
    limit: int | None = None,
    articles: int | None = None,
    seed: int = 0,
) -> Converted:
    """Write ``out/corpus/<article>.txt`` and ``out/questions.jsonl`` from a SQuAD file.

    The corpus always holds every kept article (the other articles are the distractors that
    make retrieval hard); ``limit`` samples questions only, with a seeded RNG.
    """
    data = _read(squad_file)
    kept = data["data"][:articles] if articles else data["data"]
    corpus = _prepare(out)
    rows: list[dict[str, Any]] = []
    names: set[str] = set()
    paragraph_count = 0
    for article in kept:
        title = str(article.get("title", "untitled"))
        texts = []
        for number, paragraph in enumerate(article.get("paragraphs", []), start=1):
            # A lone newline inside a SQuAD context is not a paragraph break; flattening it
            # (same length, so answer offsets hold) keeps each context one paragraph.
            flat = re.sub(r"[\r\n]", " ", paragraph["context"])
            texts.append(flat.strip())
            rows += [_row(qa, flat, title, number) for qa in paragraph.get("qas", [])]
        paragraph_count += len(texts)
        name = document_file_name(title, names)
        (corpus / name).write_text("\n\n".join(texts) + "\n", encoding="utf-8")
    rows = [r for r in rows if r["question"]]
    if limit and limit < len(rows):
        picked = sorted(random.Random(seed).sample(range(len(rows)), limit))
        rows = [rows[i] for i in picked]
    questions_file = out / "questions.jsonl"
    with questions_file.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return Converted(
        corpus_dir=corpus,
        questions_file=questions_file,
        documents=len(kept),
        paragraphs=paragraph_count,
        questions=len(rows),
        unanswerable=sum(1 for r in rows if not r["answerable"]),
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"Cannot read {path}: {exc.strerror}.") from exc
    except ValueError as exc:
        raise BadInput(f"{path} is not JSON: {exc}.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise BadInput(f"{path} is not a SQuAD file (no top-level `data` list of articles).")
    return data


def _prepare(out: Path) -> Path:
    """out/corpus, emptied of a previous conversion; never clears a folder we did not make."""
    corpus = out / "corpus"
    if corpus.exists() and any(corpus.iterdir()):
        if not (out / MARKER).exists():
            raise BadInput(
                f"{corpus} already holds files that `briefing evalset` did not write; "
                "choose an empty --out folder."
            )
        for old in corpus.glob("*.txt"):
            old.unlink()
    corpus.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by `briefing evalset squad`\n", encoding="utf-8")
    return corpus


def _row(qa: dict[str, Any], context: str, title: str, paragraph: int) -> dict[str, Any]:
    question = " ".join(str(qa.get("question", "")).split())
    impossible = bool(qa.get("is_impossible", False))
    answers = [] if impossible else [a for a in qa.get("answers", []) if a.get("text")]
    alternatives = list(dict.fromkeys(a["text"].strip() for a in answers))
    row: dict[str, Any] = {
        "id": str(qa["id"]),
        "question": question,
        "answerable": not impossible,
        "must_include": [alternatives] if alternatives else [],
        "sources": [answer_sentence(context, answers)] if answers else [],
        "reference": alternatives[0] if alternatives else None,
        # Every annotator's answer, for SQuAD's exact match and F1 of the short answer.
        "answers": [a["text"] for a in answers],
        "kind": "unanswerable" if impossible else question_kind(question),
        # Extra keys: usable with `briefing eval --group-by article` (or wh, paragraph).
        "wh": question_kind(question),
        "article": title,
        "paragraph": paragraph,
    }
    return row


def answer_sentence(context: str, answers: list[dict[str, Any]]) -> str:
    """The sentence(s) of the context holding the answer span. With several annotators, the
    span most of them point into (ties: the first annotator's)."""
    spans = sentences(context)
    votes: Counter[tuple[int, int]] = Counter()
    for answer in answers:
        start = int(answer.get("answer_start", -1))
        text = answer["text"]
        if context[start : start + len(text)] != text:
            start = context.find(text)  # a misaligned offset: fall back to the first match
        if start < 0:
            continue
        end = start + len(text)
        inside = [(b, e) for b, e in spans if b < end and e > start]
        if inside:
            votes[(inside[0][0], inside[-1][1])] += 1
    if not votes:
        return context.strip()
    begin, end = votes.most_common(1)[0][0]
    return context[begin:end]


def question_kind(question: str) -> str:
    """The question's wh-word (`how many` / `how much` kept apart from `how`), or `other`."""
    tokens = words(question)
    for i, token in enumerate(tokens):
        if token in _WH:
            if token == "how" and i + 1 < len(tokens) and tokens[i + 1] in ("many", "much"):
                return f"how {tokens[i + 1]}"
            return "who" if token in ("whom", "whose") else token
    return "other"


def document_file_name(title: str, taken: set[str]) -> str:
    """A safe, unique file name for an article (``taken`` collects the names used so far)."""
    stem = re.sub(r"[^\w.-]+", "_", title).strip("._") or "article"
    name, n = f"{stem}.txt", 2
    while name.lower() in taken:
        name, n = f"{stem}-{n}.txt", n + 1
    taken.add(name.lower())
    return name
