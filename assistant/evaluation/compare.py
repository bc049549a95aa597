"""Run-vs-run diffs: the change of every metric, and which questions got worse or better.

Two runs are only comparable when they asked the same questions of the same corpus with the
same settings; differences in those are listed as warnings rather than refused, because
comparing two settings is exactly what a diff is often for.
"""

from __future__ import annotations

from typing import Any

from .metrics import COUNTS, LOWER_IS_BETTER, NEUTRAL
from .results import EvalResult, EvalRun

# Per-question values compared between runs, each oriented so that higher is better.
_QUESTION_METRICS = (
    "answered_without_error",
    "answer_pass",
    "key_fact_recall",
    "source_recall_at_k",
    "reciprocal_rank",
    "citation_hit",
    "citation_validity",
)


def compare(current: EvalRun, baseline: EvalRun) -> dict[str, Any]:
    """Metric deltas and per-question changes of ``current`` against ``baseline``."""
    deltas = {}
    for name, now in current.summary.items():
        before = baseline.summary.get(name)
        if name in COUNTS or (now is None and before is None):
            continue
        delta = round(now - before, 4) if now is not None and before is not None else None
        deltas[name] = {
            "baseline": before,
            "current": now,
            "delta": delta,
            "direction": _direction(name, delta),
        }
    old = {r.id: r for r in baseline.results}
    new = {r.id: r for r in current.results}
    worse, better, mixed = [], [], []
    for qid, result in new.items():
        if qid not in old:
            continue
        changes = question_changes(old[qid], result)
        ups = [c for c in changes if c["delta"] > 0]
        downs = [c for c in changes if c["delta"] < 0]
        row = {"id": qid, "question": result.question, "kind": result.kind, "changes": changes}
        if downs and ups:
            mixed.append(row)
        elif downs:
            worse.append(row)
        elif ups:
            better.append(row)
    return {
        "baseline": {
            "created_at": baseline.created_at,
            "code": baseline.code,
            "corpus": baseline.corpus.get("fingerprint"),
        },
        "warnings": _warnings(current, baseline),
        "metrics": deltas,
        "worse": worse,
        "better": better,
        "mixed": mixed,
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
    }


def question_changes(before: EvalResult, after: EvalResult) -> list[dict[str, Any]]:
    changes = []
    old, new = _question_values(before), _question_values(after)
    for name in _QUESTION_METRICS:
        was, now = old[name], new[name]
        if was is None or now is None or was == now:
            continue
        changes.append(
            {"metric": name, "baseline": was, "current": now, "delta": round(now - was, 4)}
        )
    return changes


def _question_values(result: EvalResult) -> dict[str, float | None]:
    m = result.metrics
    failed = result.error is not None

    def value(x: float | bool | None) -> float | None:
        # A question that errored scores 0 on whatever it measured before.
        if failed:
            return 0.0
        return None if x is None else float(x)

    return {
        "answered_without_error": 0.0 if failed else 1.0,
        "answer_pass": value(m.answer_pass),
        "key_fact_recall": value(m.key_fact_recall) if result.gold.must_include else None,
        "source_recall_at_k": value(m.source_recall_at_k) if _has_sources(result) else None,
        "reciprocal_rank": value(m.reciprocal_rank) if _has_sources(result) else None,
        "citation_hit": value(m.citation_hit) if _has_sources(result) else None,
        "citation_validity": None if failed else m.citation_validity,
    }


def _has_sources(result: EvalResult) -> bool:
    return result.answerable and bool(result.gold.sources)


def _warnings(current: EvalRun, baseline: EvalRun) -> list[str]:
    warnings = []
    if current.question_set.get("sha256") != baseline.question_set.get("sha256"):
        warnings.append("the question sets differ")
    if current.corpus.get("fingerprint") != baseline.corpus.get("fingerprint"):
        warnings.append("the corpora differ (fingerprint)")
    changed = sorted(
        key
        for key in set(current.settings) | set(baseline.settings)
        if key not in ("data_dir", "collection", "corpus_dir", "cache_dir")
        and current.settings.get(key) != baseline.settings.get(key)
    )
    changed += [
        f"option {key}"
        for key in ("k", "retriever", "answer_mode")
        if current.options.get(key) != baseline.options.get(key)
    ]
    if changed:
        warnings.append("settings differ: " + ", ".join(changed))
    return warnings


def _direction(name: str, delta: float | None) -> str:
    if not delta or name in NEUTRAL:
        return "same" if delta == 0 else "n/a"
    improved = delta < 0 if name in LOWER_IS_BETTER else delta > 0
    return "better" if improved else "worse"
