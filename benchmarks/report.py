"""Medians, ratios to the naive pipeline, targets, and the printed table of benchmarks/run.py."""

from __future__ import annotations

import statistics
from typing import Any

# (figure key, limit, "max" or "min"): the targets of issue 6 on this 2-core machine.
TARGETS = [
    ("bbc.ask_speedup_vs_naive_retrieve", 2.0, "min"),
    ("seed.ask_speedup_vs_naive_retrieve", 2.0, "min"),
    ("bbc.recall_margin_vs_naive", 0.0, "min"),
    ("bbc.ask_p95_ms", 100.0, "max"),
    ("bbc.ingest_fraction_of_model", 0.85, "min"),
    ("bbc.reingest_s", 10.0, "max"),
    ("seed.cli_ask_s", 8.0, "max"),
    ("seed.app_answered_s", 10.0, "max"),
    ("bbc.app_answered_s", 10.0, "max"),
    ("bbc.app_peak_rss_mb", 1536.0, "max"),
]


def _get(item: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(item, dict) or key not in item:
            return None
        item = item[key]
    return item


def med(runs: list[Any] | None, path: str = "") -> float | None:
    """Median of a figure over runs (dicts, or plain numbers when path is empty)."""
    values = [_get(r, path) if path else r for r in runs or []]
    values = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return round(statistics.median(values), 4) if values else None


def _seconds(runs: list[Any] | None, key: str) -> float | None:
    """A timed command's figure; older result files hold plain wall-clock seconds."""
    if runs and not isinstance(runs[0], dict):
        return med(runs) if key == "wall_s" else None
    return med(runs, key)


def _best(*values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def _pairs(a: list[Any], a_key: str, b: list[Any], b_key: str) -> float | None:
    """Median of per-run ratios a/b: runs taken together share the machine's load."""
    values = [ratio(_get(x, a_key), _get(y, b_key)) for x, y in zip(a, b)]
    return med([v for v in values if v is not None])


def scale_summary(s: dict[str, Any]) -> dict[str, Any]:
    ask_p50 = med(s.get("query"), "ask.p50_ms")
    # The reference at its best: tutorial defaults, or torch pinned to one thread.
    naive_p50 = _best(
        med(s.get("naive"), "retrieve.p50_ms"), med(s.get("naive"), "retrieve_1_thread.p50_ms")
    )
    naive_p95 = _best(
        med(s.get("naive"), "retrieve.p95_ms"), med(s.get("naive"), "retrieve_1_thread.p95_ms")
    )
    ours_recall = med(s.get("query"), "source_recall_at_3")
    naive_recall = med(s.get("naive"), "source_recall_at_3")
    out = {
        "chunks": med(s.get("ingest"), "chunks"),
        "ingest_s": med(s.get("ingest"), "seconds"),
        "ingest_total_s": med(s.get("ingest"), "total_s"),
        "ingest_chunks_per_s": med(s.get("ingest"), "chunks_per_s"),
        "ingest_embed_share": med(s.get("ingest"), "embed_share"),
        "ingest_peak_rss_mb": med(s.get("ingest"), "peak_rss_mb"),
        "squad_extra_s": med(s.get("ingest"), "extra.seconds"),
        "model_onnx_texts_per_s": med(s.get("raw_onnx"), "texts_per_s"),
        "model_torch_texts_per_s": med(s.get("raw_torch"), "texts_per_s"),
        "sample_onnx_texts_per_s": med(s.get("runtimes"), "onnx.texts_per_s"),
        "sample_torch_texts_per_s": med(s.get("runtimes"), "torch.texts_per_s"),
        "torch_vs_onnx_max_abs_diff": med(s.get("runtimes") or [], "torch.max_abs_diff_vs_onnx")
        or med(s.get("raw_torch"), "max_abs_diff_vs_onnx"),
        "ingest_fraction_of_model": _pairs(
            s.get("ingest", []), "chunks_per_s", s.get("raw_onnx", []), "texts_per_s"
        ),
        "reingest_s": med(s.get("reingest"), "seconds"),
        "reingest_in_process_s": med(
            [med(r.get("reingest_in_process_s")) for r in s.get("ingest", [])]
        ),
        "ask_p50_ms": ask_p50,
        "ask_p95_ms": med(s.get("query"), "ask.p95_ms"),
        "retrieve_p50_ms": med(s.get("query"), "retrieve.p50_ms"),
        "retrieve_p95_ms": med(s.get("query"), "retrieve.p95_ms"),
        "ask_1_thread_p50_ms": med(s.get("query_1_thread"), "ask.p50_ms"),
        "ask_1_thread_p95_ms": med(s.get("query_1_thread"), "ask.p95_ms"),
        "retrieve_1_thread_p50_ms": med(s.get("query_1_thread"), "retrieve.p50_ms"),
        "retrieve_1_thread_p95_ms": med(s.get("query_1_thread"), "retrieve.p95_ms"),
        "ask_repeat_p50_ms": med(s.get("query"), "ask_repeat.p50_ms"),
        "ask_repeat_p95_ms": med(s.get("query"), "ask_repeat.p95_ms"),
        "server_ask_p50_ms": med(s.get("server_query"), "ask.p50_ms"),
        "server_ask_p95_ms": med(s.get("server_query"), "ask.p95_ms"),
        "server_retrieve_p50_ms": med(s.get("server_query"), "retrieve.p50_ms"),
        "query_rss_mb": med(s.get("query"), "rss_mb"),
        "source_recall_at_3": ours_recall,
        "source_recall_at_k": med(s.get("query"), "source_recall_at_k"),
        "top_k": med(s.get("query"), "top_k"),
        "cli_help_s": _seconds(s.get("cli_help_s"), "wall_s"),
        "cli_ask_s": _seconds(s.get("cli_ask_s"), "wall_s"),
        "cli_ask_cpu_s": _seconds(s.get("cli_ask_s"), "cpu_s"),
        "app_answered_s": med(s.get("app"), "answered_s"),
        "app_cpu_s": med(s.get("app"), "cpu_s_to_answer"),
        "app_rss_mb": med(s.get("app"), "rss_mb_after_20"),
        "app_peak_rss_mb": med(s.get("app"), "peak_rss_mb"),
        # the reference
        "naive_chunks": med(s.get("naive"), "ingest.chunks"),
        "naive_ingest_s": med(s.get("naive"), "ingest.seconds"),
        "naive_ingest_chunks_per_s": med(s.get("naive"), "ingest.chunks_per_s"),
        "naive_squad_extra_s": med(s.get("naive"), "extra.seconds"),
        "naive_peak_rss_mb": med(s.get("naive"), "peak_rss_mb"),
        "naive_import_s": med(s.get("naive"), "import_s"),
        "naive_retrieve_p50_ms": naive_p50,
        "naive_retrieve_p95_ms": naive_p95,
        "naive_default_retrieve_p50_ms": med(s.get("naive"), "retrieve.p50_ms"),
        "naive_1_thread_retrieve_p50_ms": med(s.get("naive"), "retrieve_1_thread.p50_ms"),
        "naive_query_embedding_p50_ms": med(s.get("naive"), "query_embedding.p50_ms"),
        "naive_source_recall_at_3": naive_recall,
        "naive_one_shot_s": med(s.get("naive_one_shot"), "process_s"),
    }
    out["ask_speedup_vs_naive_retrieve"] = ratio(naive_p50, ask_p50)
    if ours_recall is not None and naive_recall is not None:
        out["recall_margin_vs_naive"] = round(ours_recall - naive_recall, 4)
    return out


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for scale in ("seed", "bbc"):
        if scale in results:
            summary[scale] = scale_summary(results[scale])
    checks = []
    for key, limit, kind in TARGETS:
        value = _get(summary, key)
        met = None if value is None else (value >= limit if kind == "min" else value <= limit)
        checks.append(
            {
                "figure": key,
                "value": value,
                "target": f"{'>=' if kind == 'min' else '<='} {limit:g}",
                "met": met,
            }
        )
    summary["targets"] = checks
    return summary


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    else:
        text = f"{value:,}"
    return f"{text}{unit}"


# (label, our key, naive key, unit, ratio: "time" = naive/ours (x faster), "plain" = ours/naive)
ROWS = [
    ("ingest, chunks", "chunks", "naive_chunks", "", None),
    ("ingest time (excl. model load)", "ingest_s", "naive_ingest_s", " s", "time"),
    ("ingest chunks/s", "ingest_chunks_per_s", "naive_ingest_chunks_per_s", "", None),
    ("model alone, ONNX texts/s (the limit)", "model_onnx_texts_per_s", None, "", None),
    ("ingest as a fraction of the limit", "ingest_fraction_of_model", None, "", None),
    ("share of ingest spent in the model", "ingest_embed_share", None, "", None),
    ("torch texts/s (same chunks)", "model_torch_texts_per_s", None, "", None),
    (
        "sample: ONNX / torch texts/s",
        "sample_onnx_texts_per_s",
        "sample_torch_texts_per_s",
        "",
        "plain",
    ),
    ("+ SQuAD distractors, ingest time", "squad_extra_s", "naive_squad_extra_s", " s", "time"),
    ("re-ingest unchanged, new process (naive: all)", "reingest_s", "naive_ingest_s", " s", "time"),
    ("ingest peak memory", "ingest_peak_rss_mb", "naive_peak_rss_mb", " MB", "plain"),
    ("warm ask p50 (naive: retrieval)", "ask_p50_ms", "naive_retrieve_p50_ms", " ms", "time"),
    ("warm ask p95 (naive: retrieval)", "ask_p95_ms", "naive_retrieve_p95_ms", " ms", "time"),
    ("  naive retrieval p50: default / 1 thread", None, None, "", None),
    ("warm retrieval p50", "retrieve_p50_ms", "naive_retrieve_p50_ms", " ms", "time"),
    ("warm retrieval p95", "retrieve_p95_ms", "naive_retrieve_p95_ms", " ms", "time"),
    ("ask p50 / p95, repeated questions", "ask_repeat_p50_ms", None, " ms", None),
    (
        "warm ask p50, query threads = 1",
        "ask_1_thread_p50_ms",
        "naive_retrieve_p50_ms",
        " ms",
        "time",
    ),
    (
        "warm ask p95, query threads = 1",
        "ask_1_thread_p95_ms",
        "naive_retrieve_p95_ms",
        " ms",
        "time",
    ),
    (
        "warm retrieval p50, query threads = 1",
        "retrieve_1_thread_p50_ms",
        "naive_retrieve_p50_ms",
        " ms",
        "time",
    ),
    (
        "warm retrieval p95, query threads = 1",
        "retrieve_1_thread_p95_ms",
        "naive_retrieve_p95_ms",
        " ms",
        "time",
    ),
    ("ask p50, Chroma server mode", "server_ask_p50_ms", "naive_retrieve_p50_ms", " ms", "time"),
    ("ask p95, Chroma server mode", "server_ask_p95_ms", "naive_retrieve_p95_ms", " ms", "time"),
    ("source recall@3", "source_recall_at_3", "naive_source_recall_at_3", "", "plain"),
    ("source recall@k (ours: top_k)", "source_recall_at_k", None, "", None),
    ("`briefing --help`", "cli_help_s", None, " s", None),
    (
        "cold one-shot ask (naive: import+load+1 query)",
        "cli_ask_s",
        "naive_one_shot_s",
        " s",
        "time",
    ),
    ("  CPU seconds used by the one-shot ask", "cli_ask_cpu_s", None, " s", None),
    ("app start until it answers", "app_answered_s", None, " s", None),
    ("  CPU seconds used by the app until then", "app_cpu_s", None, " s", None),
    ("app memory after 21 answers / peak", "app_rss_mb", None, " MB", None),
]


def table(results: dict[str, Any]) -> str:
    summary = results["summary"]
    lines = []
    for scale, title in (("seed", "seed corpus"), ("bbc", "BBC + SQuAD distractors")):
        if scale not in summary:
            lines.append(f"\n{title}: skipped ({results.get(f'{scale}_skipped', 'not run')})")
            continue
        s = summary[scale]
        lines.append(f"\n{title} (median of {results['runs']} runs)")
        lines.append(f"{'figure':48} {'ours':>12} {'naive':>12} {'ratio':>9}")
        for label, ours, naive, unit, kind in ROWS:
            if ours is None:  # the reference's two thread settings, side by side
                default = _fmt(s.get("naive_default_retrieve_p50_ms"))
                pinned = _fmt(s.get("naive_1_thread_retrieve_p50_ms"), " ms")
                lines.append(f"{label:48} {'':>12} {default + ' / ' + pinned:>22}")
                continue
            a = s.get(ours)
            b = s.get(naive) if naive else None
            if a is None and b is None:
                continue
            if ours == "ask_repeat_p50_ms":
                a_text = f"{_fmt(a)}/{_fmt(s.get('ask_repeat_p95_ms'))}{unit}"
            elif ours == "app_rss_mb":
                a_text = f"{_fmt(a)}/{_fmt(s.get('app_peak_rss_mb'))}{unit}"
            else:
                a_text = _fmt(a, unit)
            r = ratio(b, a) if kind == "time" else ratio(a, b) if kind == "plain" else None
            r_text = "" if r is None else (f"{r:.2f}x" if kind == "time" else f"{r:.2f}")
            lines.append(f"{label:48} {a_text:>12} {_fmt(b, unit):>12} {r_text:>9}")
    lines.append("\ntargets")
    for check in summary["targets"]:
        state = {True: "met", False: "MISSED", None: "not measured"}[check["met"]]
        lines.append(
            f"  {check['figure']:40} {_fmt(check['value']):>10}  {check['target']:>8}  {state}"
        )
    return "\n".join(lines)
