"""How central a statement is to its scope, and a spread-out, non-redundant choice of key
points. Lexical (TF-IDF over the scope's statements) so that it costs no model run and
grows linearly: each statement is compared with its document's centroid and the scope's,
not with every other statement."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from ..text import content_words
from .documents import Doc, Statement
from .lines import Line, jaccard
from .tuning import BriefTuning

Vector = dict[str, float]


def _normalised(counts: Counter[str] | dict[str, float], idf: dict[str, float]) -> Vector:
    vector = {t: c * idf.get(t, 0.0) for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {t: v / norm for t, v in vector.items()}


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


class Ranker:
    """Scores every usable statement of a scope once; sections reuse the scores."""

    def __init__(self, docs: Sequence[Doc], tuning: BriefTuning, topic: str | None = None):
        self.tuning = tuning
        self.usable: list[tuple[Doc, Statement]] = [
            (doc, s)
            for doc in docs
            for s in doc.statements
            if not s.heading
            and len(s.terms) >= 3
            and len(s.text.split()) >= tuning.min_statement_words
        ]
        df: Counter[str] = Counter()
        for _, statement in self.usable:
            df.update(set(statement.terms))
        total = max(len(self.usable), 1)
        self.idf = {t: math.log(1.0 + total / n) for t, n in df.items()}
        self.vectors: dict[int, Vector] = {
            id(s): _normalised(Counter(s.terms), self.idf) for _, s in self.usable
        }
        self.scores: dict[int, float] = {}
        self.order = {doc.doc_id: i for i, doc in enumerate(docs)}
        self._score(docs, topic)

    def _score(self, docs: Sequence[Doc], topic: str | None) -> None:
        tuning = self.tuning
        by_doc: dict[str, list[Statement]] = {}
        for doc, statement in self.usable:
            by_doc.setdefault(doc.doc_id, []).append(statement)
        scope_centroid: Counter[str] = Counter()
        doc_centroids: dict[str, Vector] = {}
        for doc_id, statements in by_doc.items():
            total: Counter[str] = Counter()
            for statement in statements:
                total.update(self.vectors[id(statement)])
            doc_centroids[doc_id] = _normalised(total, {t: 1.0 for t in total})
            scope_centroid.update(doc_centroids[doc_id])
        scope_vector = _normalised(scope_centroid, {t: 1.0 for t in scope_centroid})
        topic_vector = _normalised(Counter(content_words(topic)), self.idf) if topic else None
        hits = {doc.doc_id: doc.hits for doc in docs}
        for doc_id, statements in by_doc.items():
            for position, statement in enumerate(statements):
                vector = self.vectors[id(statement)]
                central = 0.5 * cosine(vector, doc_centroids[doc_id]) + 0.5 * cosine(
                    vector, scope_vector
                )
                lead = 1.0 / (1.0 + 0.3 * position)
                score = (1 - tuning.position_weight) * central + tuning.position_weight * lead
                if topic_vector is not None:
                    near = cosine(vector, topic_vector)
                    inside = any(a <= statement.start < b for a, b, _ in hits.get(doc_id, []))
                    score += tuning.topic_weight * (near + (0.2 if inside else 0.0))
                self.scores[id(statement)] = score

    def similarity(self, a: Statement, b: Statement) -> float:
        return cosine(self.vectors.get(id(a), {}), self.vectors.get(id(b), {}))

    def key_points(self, count: int, facts: Counter[int] | None = None) -> list[Line]:
        """Maximal marginal relevance over the usable statements, spread over documents and
        paragraphs so that a scope is covered and not just its opening. ``facts`` counts,
        per statement, the other sections that drew a line from it (a figure, a date, a
        claim): a statement dense with facts is worth more to a reader."""
        tuning = self.tuning
        facts = facts or Counter()

        def base(statement: Statement) -> float:
            bonus = tuning.fact_weight * min(facts[id(statement)], 3)
            return self.scores[id(statement)] + bonus

        candidates = sorted(self.usable, key=lambda ds: -base(ds[1]))
        candidates = candidates[: max(count * 12, 60)]
        chosen: list[tuple[Doc, Statement]] = []
        used: Counter[str] = Counter()
        paragraphs: set[tuple[str, int]] = set()
        documents = len({doc.doc_id for doc, _ in self.usable})
        while candidates and len(chosen) < count:

            def value(pair: tuple[Doc, Statement]) -> float:
                doc, statement = pair
                overlap = max((self.similarity(statement, s) for _, s in chosen), default=0.0)
                spread = tuning.spread_penalty * used[doc.doc_id] if documents > 1 else 0.0
                if (doc.doc_id, statement.paragraph) in paragraphs:
                    spread += tuning.spread_penalty
                return base(statement) - tuning.redundancy_penalty * overlap - spread

            best = max(candidates, key=value)
            candidates.remove(best)
            chosen.append(best)
            used[best[0].doc_id] += 1
            paragraphs.add((best[0].doc_id, best[1].paragraph))
        chosen.sort(key=lambda ds: (self.order[ds[0].doc_id], ds[1].order))
        return [
            Line(
                section="key_points",
                text=statement.text,
                quotes=[(doc, statement)],
                score=self.scores[id(statement)],
                key=statement.key,
                evidence=[statement.text],
                terms=frozenset(statement.terms),
            )
            for doc, statement in chosen
        ]


def key_point_count(statements: int, tuning: BriefTuning) -> int:
    """About the square root of the statements: 5-6 for a news article, 7 for many."""
    return max(tuning.key_points_min, min(tuning.key_points_max, round(math.sqrt(statements))))


def drop_repeats(lines: list[Line], threshold: float) -> list[Line]:
    """Lines of one section that say almost the same as a better one are left out."""
    kept: list[Line] = []
    for line in lines:
        if all(jaccard(line.terms, k.terms) < threshold for k in kept if line.terms):
            kept.append(line)
    return kept
