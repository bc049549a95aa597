"""Question sets: JSON Lines (one question per line) or YAML with the same fields.

A malformed entry never sinks the set: it becomes a Problem with its line number and the rest
is still evaluated. Only a file that cannot be read at all, or holds no usable question, is
bad input.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, Field, StrictBool, ValidationError, field_validator

from ..errors import BadInput
from ..types import Turn

KNOWN_FIELDS = frozenset(
    [
        "id",
        "question",
        "history",
        "answerable",
        "must_include",
        "must_not_include",
        "sources",
        "source_docs",
        "answers",
        "reference",
        "kind",
    ]
)


class Question(BaseModel):
    """One evaluation question. Keys the format does not define are kept in ``extra``."""

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    history: list[Turn] = Field(default_factory=list)
    answerable: StrictBool = True
    must_include: list[list[str]] = Field(
        default_factory=list,
        description="Key facts; each is a list of alternatives, any one of which counts.",
    )
    must_not_include: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    source_docs: list[str] = Field(
        default_factory=list,
        description="Documents holding the answer, as paths relative to the corpus root "
        "(copies of one article: any one counts). Gold for retrieval when `sources` is empty.",
    )
    answers: list[str] | None = Field(
        None,
        description="SQuAD-style gold answers (every annotator's) for exact match and F1 of the "
        "short answer; [] for a question with no answer (SQuAD 2.0), absent for other sets.",
    )
    reference: str | None = None
    kind: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    line: int = Field(0, description="Line of the entry in its file (1-based).")

    @field_validator("must_include", mode="before")
    @classmethod
    def _alternatives(cls, value: Any) -> Any:
        # A bare string is a fact with one wording; a list is alternative wordings.
        if not isinstance(value, list):
            return value
        facts = [[item] if isinstance(item, str) else item for item in value]
        for fact in facts:
            if isinstance(fact, list) and not [a for a in fact if isinstance(a, str) and a.strip()]:
                raise ValueError("each key fact needs at least one non-empty wording")
        return facts

    @field_validator("must_not_include", "sources")
    @classmethod
    def _non_empty(cls, value: list[str]) -> list[str]:
        # An empty snippet would be "contained" in everything and make the metric meaningless.
        if any(not item.strip() for item in value):
            raise ValueError("empty strings are not allowed")
        return value

    @field_validator("source_docs")
    @classmethod
    def _relative_paths(cls, value: list[str]) -> list[str]:
        # Matched against the end of each passage's source path, part by part, so a path
        # must name at least a file and cannot climb out of the corpus.
        paths = []
        for item in value:
            parts = PurePosixPath(item.strip().replace("\\", "/")).parts
            if not parts:
                raise ValueError("empty paths are not allowed")
            if parts[0] == "/" or ".." in parts:
                raise ValueError(f"{item!r} must be relative to the corpus root, without '..'")
            paths.append("/".join(parts))
        return paths


class Problem(BaseModel):
    """An entry that could not be used, and why."""

    line: int
    message: str


class QuestionSet(BaseModel):
    path: str
    sha256: str
    questions: list[Question]
    problems: list[Problem] = Field(default_factory=list)


def load_questions(path: Path) -> QuestionSet:
    """Read a question set; malformed entries become problems, the rest is returned."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise BadInput(f"Cannot read the question set {path}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise BadInput(f"The question set {path} is not UTF-8 text.") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        entries = _yaml_entries(path, text)
    else:
        entries = _jsonl_entries(text)
    questions: list[Question] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for line, value in entries:
        if isinstance(value, Problem):
            problems.append(value)
            continue
        try:
            question = _question(line, value)
        except ValueError as exc:
            problems.append(Problem(line=line, message=str(exc)))
            continue
        if question.id in seen:
            # Ids key run-vs-run diffs, so a repeat would silently shadow another question.
            problems.append(
                Problem(
                    line=line,
                    message=f"duplicate id {question.id!r} (first on line {seen[question.id]})",
                )
            )
            continue
        seen[question.id] = line
        questions.append(question)
    if not questions:
        detail = f" ({problems[0].message} on line {problems[0].line})" if problems else ""
        raise BadInput(f"The question set {path} holds no usable question{detail}.")
    return QuestionSet(
        path=str(path),
        sha256=hashlib.sha256(raw).hexdigest(),
        questions=questions,
        problems=problems,
    )


def _question(line: int, value: Any) -> Question:
    if not isinstance(value, dict):
        raise ValueError(f"expected an object with id and question, got {type(value).__name__}")
    extra = {k: v for k, v in value.items() if k not in KNOWN_FIELDS}
    fields = {k: v for k, v in value.items() if k in KNOWN_FIELDS and v is not None}
    try:
        return Question(**fields, extra=extra, line=line)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(details) from None


def _jsonl_entries(text: str) -> list[tuple[int, Any]]:
    entries: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # blank lines and comments let people annotate a set
        try:
            entries.append((number, json.loads(stripped)))
        except ValueError as exc:
            entries.append((number, Problem(line=number, message=f"not valid JSON ({exc})")))
    return entries


def _yaml_entries(path: Path, text: str) -> list[tuple[int, Any]]:
    """Entries of a YAML list (or of a mapping's ``questions`` list), each with its line."""
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return []
        if isinstance(root, yaml.MappingNode):
            keyed = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
            root = keyed.get("questions", root)
        if not isinstance(root, yaml.SequenceNode):
            raise BadInput(
                f"The YAML question set {path} must be a list of questions "
                "(or a mapping with a `questions` list)."
            )
        entries: list[tuple[int, Any]] = []
        for node in root.value:
            line = node.start_mark.line + 1
            try:
                entries.append((line, loader.construct_document(node)))
            except yaml.YAMLError as exc:
                entries.append((line, Problem(line=line, message=f"bad YAML value ({exc})")))
        return entries
    except yaml.YAMLError as exc:
        raise BadInput(f"The YAML question set {path} cannot be parsed: {exc}") from exc
    finally:
        loader.dispose()
