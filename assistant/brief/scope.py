"""Which documents a briefing reads: all of them (capped, newest first), one document (by id
or path), or those a topic finds, and the notices the user should see about the choice."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadInput, NotIngested
from ..text import content_words
from ..types import DocumentInfo, Passage
from .documents import Doc, read_document
from .library import Library
from .model import Scope
from .tuning import BriefTuning

Progress = Callable[[str, int, int], None]
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class NoMatch(BadInput):
    """A topic no document is about."""


@dataclass
class Request:
    topic: str | None = None
    doc: str | None = None  # a document id or path


@dataclass
class Selection:
    scope: Scope
    docs: list[Doc]
    notices: list[str] = field(default_factory=list)
    library_size: int = 0


def select(
    library: Library,
    request: Request,
    tuning: BriefTuning,
    progress: Progress | None = None,
    max_topic_chars: int = 2000,
) -> Selection:
    topic = clean_topic(request.topic, max_topic_chars) if request.topic is not None else None
    infos = library.documents()
    if not infos:
        raise NotIngested(
            "Nothing is ingested yet: run `briefing ingest PATH` (or upload documents in the "
            "web app's Documents tab), then ask for a briefing."
        )
    notices: list[str] = []
    hits: dict[str, list[tuple[int, int, float]]] = {}
    if request.doc is not None:
        info = find_document(infos, request.doc)
        chosen = [info]
        label = info.title if topic is None else f"{topic} in {info.title}"
        scope = Scope(kind="document", doc_id=info.doc_id, topic=topic, label=label)
    elif topic is not None:
        chosen, hits = _about(library, infos, topic, tuning, notices)
        scope = Scope(kind="topic", topic=topic, label=topic)
    else:
        chosen = sorted(infos, key=lambda d: (d.ingested_at, d.title), reverse=True)
        if len(chosen) > tuning.max_documents:
            notices.append(
                f"The library holds {len(chosen):,} documents; this briefing reads the "
                f"{tuning.max_documents:,} most recently ingested. Brief on a topic or one "
                "document to cover the others."
            )
            chosen = chosen[: tuning.max_documents]
        count = f"{len(chosen):,} document{'s' if len(chosen) != 1 else ''}"
        scope = Scope(kind="all", label=f"all documents ({count})")
    docs = _read(library, chosen, tuning, notices, progress)
    for doc in docs:
        doc.hits = hits.get(doc.doc_id, [])
    return Selection(scope=scope, docs=docs, notices=notices, library_size=len(infos))


def clean_topic(topic: str, limit: int) -> str:
    cleaned = " ".join(_CONTROL.sub(" ", topic).split()) if isinstance(topic, str) else ""
    if not cleaned:
        raise BadInput("The topic is empty: name what the briefing should be about.")
    if len(cleaned) > limit:
        raise BadInput(
            f"The topic is {len(cleaned):,} characters long; the limit is {limit:,}. "
            "Name it in fewer words."
        )
    return cleaned


def find_document(infos: list[DocumentInfo], wanted: str) -> DocumentInfo:
    """A document by id, by path (as given or resolved), or by the end of its path."""
    wanted = wanted.strip()
    for info in infos:
        if info.doc_id == wanted:
            return info
    if wanted:
        resolved = str(Path(wanted).expanduser().resolve())
        exact = [i for i in infos if i.source in (wanted, resolved)]
        if exact:
            return exact[0]
        tail = "/" + wanted.replace("\\", "/").lstrip("./")
        ending = [i for i in infos if i.source.replace("\\", "/").endswith(tail)]
        if len(ending) == 1:
            return ending[0]
        if len(ending) > 1:
            names = "; ".join(i.source for i in ending[:5])
            raise BadInput(
                f"{wanted!r} matches {len(ending)} documents ({names}); give more of the path or the id."
            )
    raise BadInput(
        f"No document {wanted!r} in the library. `briefing sources` lists the documents, "
        "with their ids and paths."
    )


def _about(
    library: Library,
    infos: list[DocumentInfo],
    topic: str,
    tuning: BriefTuning,
    notices: list[str],
) -> tuple[list[DocumentInfo], dict[str, list[tuple[int, int, float]]]]:
    """The documents a topic is about, closest first: a document counts when its retrieved
    chunks hold most of the topic's words (rare words weigh more) or are close in meaning."""
    passages = library.search(topic, tuning.topic_depth)
    terms = sorted(set(content_words(topic)))
    weights = {t: max(library.rarity(t), 1e-6) for t in terms}
    by_doc: dict[str, list[Passage]] = {}
    for passage in passages:
        by_doc.setdefault(passage.doc_id, []).append(passage)
    known = {info.doc_id: info for info in infos}
    chosen: list[DocumentInfo] = []
    hits: dict[str, list[tuple[int, int, float]]] = {}
    for doc_id, found in by_doc.items():
        info = known.get(doc_id)
        if info is None:
            continue
        words = set(content_words(" ".join([info.title, *(p.text for p in found)])))
        coverage = (
            sum(w for t, w in weights.items() if t in words) / sum(weights.values())
            if weights
            else 0.0
        )
        similarity = max(p.scores.get("dense", 0.0) for p in found)
        if coverage >= tuning.topic_coverage or similarity >= tuning.topic_similarity:
            chosen.append(info)
            hits[doc_id] = [(p.char_start, p.char_end, p.score) for p in found]
    if not chosen:
        closest = []
        for doc_id in by_doc:
            if doc_id in known and known[doc_id].title not in closest:
                closest.append(known[doc_id].title)
        names = "; ".join(closest[: tuning.closest_titles])
        raise NoMatch(
            f"No documents about {topic!r}." + (f" The closest titles: {names}." if names else "")
        )
    if len(chosen) > tuning.max_documents:
        notices.append(
            f"{len(chosen):,} documents are about {topic!r}; this briefing reads the "
            f"{tuning.max_documents:,} closest."
        )
        chosen = chosen[: tuning.max_documents]
    return chosen, hits


def _read(
    library: Library,
    infos: list[DocumentInfo],
    tuning: BriefTuning,
    notices: list[str],
    progress: Progress | None,
) -> list[Doc]:
    docs: list[Doc] = []
    chars = 0
    for index, info in enumerate(infos):
        if chars >= tuning.max_chars:
            notices.append(
                f"The briefing stopped reading after {len(docs):,} documents "
                f"({chars:,} characters); {len(infos) - len(docs):,} more were left out."
            )
            break
        text = library.document_text(info.doc_id)
        if text is None:
            continue  # deleted while the briefing was being made
        chars += len(text)
        docs.append(read_document(info, text))
        if progress is not None:
            progress("read", index + 1, len(infos))
    return docs
