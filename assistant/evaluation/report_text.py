"""The run as plain-text tables for the terminal (and for pasting into evals/RESULTS.md)."""

from __future__ import annotations

from typing import Any

from .metrics import METRIC_NAMES
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
    names = list(METRIC_NAMES) + sorted(n for n in s if n.startswith("judge_"))
    header = f"{'metric':<22}{'value':>10}"
    if deltas:
        header += f"{'baseline':>12}{'delta':>10}"
    lines.append(header)
    for name in names:
        row = f"{name:<22}{fmt(s.get(name), name):>10}"
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


def kind_table(groups: dict[str, dict[str, Any]], key: str) -> str:
    width = max([len(key), *(len(name) for name in groups)]) + 2
    lines = [f"{key:<{width}}" + "".join(f"{short:>8}" for _, short in KIND_COLUMNS)]
    for name, values in groups.items():
        lines.append(
            f"{name:<{width}}" + "".join(f"{fmt(values.get(m), m):>8}" for m, _ in KIND_COLUMNS)
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
