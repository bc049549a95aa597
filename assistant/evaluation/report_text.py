"""The run as plain-text tables for the terminal (and for pasting into evals/RESULTS.md)."""

from __future__ import annotations

from typing import Any

from .brief_scores import BRIEFING_METRICS
from .metrics import METRIC_NAMES, SQUAD_METRICS
from .results import EvalRun

KIND_COLUMNS = [
    ("questions", "n"),
    ("answer_pass_rate", "pass"),
    ("key_fact_recall", "facts"),
    ("source_recall_at_1", "src@1"),
    ("source_recall_at_k", "src@k"),
    ("mrr", "mrr"),
    ("citation_hit_rate", "cite"),
    ("abstain_accuracy", "abst"),
    ("false_abstain_rate", "f.abst"),
    ("errors", "err"),
]


def fmt(value: Any, name: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool | int):
        return str(int(value))
    if name.startswith("latency"):
        return f"{value * 1000:.0f} ms"
    if name == "answer_words":
        return f"{value:.1f}"
    return f"{value:.3f}"


def summary_table(run: EvalRun) -> str:
    s = run.summary
    o = run.options
    lines = [
        f"{s['questions']} questions ({s['answerable']} answerable, {s['unanswerable']} "
        f"unanswerable), k={o.get('k')}, retriever={o.get('retriever')}, "
        f"answers={o.get('answer_mode')}, {run.seconds:.1f} s",
        "",
    ]
    deltas = (run.comparison or {}).get("metrics", {})
    names = shown_metrics(s)
    width = max([22, *(len(name) + 2 for name in names)])
    header = f"{'metric':<{width}}{'value':>10}"
    if deltas:
        header += f"{'baseline':>12}{'delta':>10}"
    lines.append(header)
    for name in names:
        row = f"{name:<{width}}{fmt(s.get(name), name):>10}"
        if deltas and name in deltas:
            d = deltas[name]
            mark = {"better": " +", "worse": " !"}.get(d["direction"], "")
            row += f"{fmt(d['baseline'], name):>12}{signed(d['delta'], name):>10}{mark}"
        lines.append(row)
    lines += ["", kind_table(run.by_kind, "kind")]
    for key, groups in run.groups.items():
        lines += ["", kind_table(groups, key)]
    if run.comparison:
        lines += ["", comparison_lines(run.comparison)]
    return "\n".join(lines)


def shown_metrics(summary: dict[str, Any]) -> list[str]:
    """The summary's metrics in report order; SQuAD's scores only for sets that have them."""
    optional = SQUAD_METRICS | set(BRIEFING_METRICS)
    names = [n for n in METRIC_NAMES if n not in optional or summary.get(n) is not None]
    return names + sorted(n for n in summary if n.startswith("judge_"))


def kind_columns(groups: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """KIND_COLUMNS, plus SQuAD's F1 when some group has it."""
    if any(values.get("f1") is not None for values in groups.values()):
        return [*KIND_COLUMNS[:3], ("f1", "F1"), *KIND_COLUMNS[3:]]
    return list(KIND_COLUMNS)


def kind_table(groups: dict[str, dict[str, Any]], key: str) -> str:
    width = max([len(key), *(len(name) for name in groups)]) + 2
    columns = kind_columns(groups)
    lines = [f"{key:<{width}}" + "".join(f"{short:>8}" for _, short in columns)]
    for name, values in groups.items():
        lines.append(
            f"{name:<{width}}" + "".join(f"{fmt(values.get(m), m):>8}" for m, _ in columns)
        )
    return "\n".join(lines)


def comparison_lines(comparison: dict[str, Any], limit: int = 15) -> str:
    lines = [f"Against the baseline of {comparison['baseline']['created_at']}:"]
    lines += [f"  warning: {w}" for w in comparison["warnings"]]
    for label in ("worse", "better", "mixed"):
        rows = comparison[label]
        lines.append(f"  {len(rows)} questions {label}")
        for row in rows[:limit]:
            changes = ", ".join(
                f"{c['metric']} {fmt(c['baseline'])}->{fmt(c['current'])}" for c in row["changes"]
            )
            lines.append(f"    {row['id']}: {changes}")
        if len(rows) > limit:
            lines.append(f"    ... {len(rows) - limit} more (see the JSON or HTML report)")
    if comparison["added"] or comparison["removed"]:
        lines.append(
            f"  {len(comparison['added'])} questions new, {len(comparison['removed'])} gone"
        )
    return "\n".join(lines)


def signed(delta: float | None, name: str) -> str:
    """A metric's change with its sign, in the metric's own unit."""
    if delta is None:
        return "-"
    if name.startswith("latency"):
        return f"{delta * 1000:+.0f} ms"
    if (
        isinstance(delta, int)
        or float(delta).is_integer()
        and name in ("errors", "must_not_violations")
    ):
        return f"{int(delta):+d}"
    return f"{delta:+.3f}"
