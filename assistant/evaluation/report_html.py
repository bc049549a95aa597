"""A run as one self-contained HTML file: summary, charts, baseline deltas and a per-question
drill-down with the gold snippets highlighted in the retrieved passages.

Everything from documents, questions and answers is untrusted (a corpus may hold hostile
HTML), so it only ever reaches the page through html.escape; the only markup is our own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from typing import Any

from ..text import normalise
from . import charts
from .report_text import fmt, kind_columns, shown_metrics, signed
from .results import EvalResult, EvalRun

KIND_SERIES = (
    ("answer_pass_rate", "pass"),
    ("key_fact_recall", "key facts"),
    ("source_recall_at_k", "source@k"),
    ("citation_hit_rate", "cited gold"),
    ("abstain_accuracy", "abstained ok"),
)

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:16px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 8px;border-bottom:1px solid #eee;
text-align:right}td:first-child,th:first-child{text-align:left}
.meta{color:#555;font-size:13px}.charts{display:flex;flex-wrap:wrap;gap:24px}
details{border:1px solid #ddd;border-radius:4px;margin:4px 0;padding:4px 8px}
summary{cursor:pointer}.badge{display:inline-block;min-width:42px;text-align:center;
border-radius:3px;color:#fff;font-size:12px;margin-right:6px}
.pass{background:#1b7f3b}.fail{background:#b3261e}.error{background:#6d4c9f}
.better{color:#1b7f3b}.worse{color:#b3261e}.passage{background:#fafafa;border-left:3px solid
#ccc;padding:4px 8px;margin:6px 0;white-space:pre-wrap}.passage.gold{border-color:#E69F00}
mark{background:#ffe08a}mark.fact{background:#b8e6c9}.answer{background:#f3f6fb;padding:6px 8px}
.small{font-size:12px;color:#555}#controls{position:sticky;top:0;background:#fff;padding:6px 0}
"""

# Longer questions are cut in the one-line summary and shown whole inside.
_CLIP = 200

# Filtering the drill-down is the only script: no network, no library.
_JS = """
function show(status){document.querySelectorAll('details.q').forEach(function(d){
 var t=document.getElementById('search').value.toLowerCase();
 var ok=(status==='all'||d.dataset.status===status)&&d.textContent.toLowerCase().indexOf(t)>=0;
 d.style.display=ok?'':'none';});window.current=status;}
window.current='all';
"""


def render(run: EvalRun) -> str:
    s = run.summary
    title = f"Evaluation of {run.question_set.get('path', 'a question set')}"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _meta(run),
        "<h2>Summary</h2>",
        _summary_table(run),
        "<h2>Charts</h2><div class='charts'>",
        charts.grouped_bars(run.by_kind, KIND_SERIES, "Metrics per kind"),
        charts.histogram(
            [r.latency for r in run.results if r.error is None],
            "Latency per question",
            marks={"p50": s.get("latency_p50"), "p95": s.get("latency_p95")},
        ),
        "</div>",
        "<h2>Per kind</h2>",
        _group_table(run.by_kind, "kind"),
    ]
    for key, groups in run.groups.items():
        parts += [f"<h2>Per {escape(key)}</h2>", _group_table(groups, key)]
    if run.comparison:
        parts.append(_comparison(run.comparison))
    if run.problems:
        parts.append("<h2>Malformed entries (skipped)</h2><ul>")
        parts += [f"<li>line {p.line}: {escape(p.message)}</li>" for p in run.problems]
        parts.append("</ul>")
    parts.append(_drilldown(run.results))
    parts.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(parts)


def _meta(run: EvalRun) -> str:
    o, c = run.options, run.corpus
    code = run.code.get("commit", "unknown")
    if run.code.get("uncommitted_changes"):
        code += " (with uncommitted changes)"
    settings = ", ".join(
        f"{k}={run.settings[k]}"
        for k in ("embedding_model", "chunk_size", "min_evidence", "max_answer_sentences")
        if k in run.settings
    )
    return (
        f"<p class='meta'>{escape(run.created_at)} · {run.seconds:.1f} s · code {escape(code)}"
        f"<br>k={escape(str(o.get('k')))} · retriever {escape(str(o.get('retriever')))} · "
        f"answers {escape(str(o.get('answer_mode')))} · {escape(settings)}"
        f"<br>corpus {escape(str(c.get('fingerprint')))}: {c.get('documents')} documents, "
        f"{c.get('chunks')} chunks · question set sha256 "
        f"{escape(str(run.question_set.get('sha256', ''))[:16])}</p>"
    )


def _summary_table(run: EvalRun) -> str:
    deltas = (run.comparison or {}).get("metrics", {})
    head = "<tr><th>metric</th><th>value</th>"
    head += "<th>baseline</th><th>delta</th></tr>" if deltas else "</tr>"
    rows = [head]
    for name in shown_metrics(run.summary):
        row = f"<tr><td>{name}</td><td>{fmt(run.summary.get(name), name)}</td>"
        if deltas:
            d = deltas.get(name, {})
            row += (
                f"<td>{fmt(d.get('baseline'), name)}</td><td class='{d.get('direction', '')}'>"
                f"{signed(d.get('delta'), name)}</td>"
            )
        rows.append(row + "</tr>")
    s = run.summary
    counts = (
        f"{s['questions']} questions: {s['answerable']} answerable ({s['with_sources']} with "
        f"sources, {s['with_key_facts']} with key facts), {s['unanswerable']} unanswerable; "
        f"{s['markers']} citation markers."
    )
    return f"<table>{''.join(rows)}</table><p class='small'>{counts}</p>"


def _group_table(groups: dict[str, dict[str, Any]], key: str) -> str:
    columns = kind_columns(groups)
    heads = "".join(f"<th title='{metric}'>{short}</th>" for metric, short in columns)
    rows = [f"<tr><th>{escape(key)}</th>{heads}</tr>"]
    for name, values in groups.items():
        cells = "".join(f"<td>{fmt(values.get(c), c)}</td>" for c, _ in columns)
        rows.append(f"<tr><td>{escape(name)}</td>{cells}</tr>")
    return f"<table>{''.join(rows)}</table>"


def _comparison(comparison: dict[str, Any]) -> str:
    base = comparison["baseline"]
    parts = [
        "<h2>Against the baseline</h2>",
        f"<p class='meta'>baseline of {escape(str(base['created_at']))}, code "
        f"{escape(str(base['code'].get('commit', 'unknown')))}</p>",
    ]
    parts += [f"<p class='worse'>warning: {escape(w)}</p>" for w in comparison["warnings"]]
    for label in ("worse", "better", "mixed"):
        rows = comparison[label]
        parts.append(f"<h3>{len(rows)} questions {label}</h3><ul>")
        for row in rows:
            changes = ", ".join(
                f"{escape(c['metric'])} {fmt(c['baseline'])}→{fmt(c['current'])}"
                for c in row["changes"]
            )
            parts.append(
                f"<li><a href='#{_anchor(row['id'])}'>{escape(row['id'])}</a>: {changes}</li>"
            )
        parts.append("</ul>")
    for label in ("added", "removed"):
        if comparison[label]:
            ids = ", ".join(escape(i) for i in comparison[label])
            parts.append(f"<p>{len(comparison[label])} questions {label}: {ids}</p>")
    return "".join(parts)


def _drilldown(results: Sequence[EvalResult]) -> str:
    counts = {"pass": 0, "fail": 0, "error": 0}
    for r in results:
        counts[_status(r)] += 1
    buttons = " ".join(
        f"<button onclick=\"show('{key}')\">{label} ({n})</button>"
        for key, label, n in (
            ("all", "all", len(results)),
            ("fail", "failed", counts["fail"]),
            ("error", "errors", counts["error"]),
            ("pass", "passed", counts["pass"]),
        )
    )
    parts = [
        "<h2>Questions</h2>",
        f"<div id='controls'>{buttons} <input id='search' placeholder='filter text' "
        "oninput='show(window.current)'></div>",
    ]
    parts += [_question(r) for r in results]
    return "\n".join(parts)


def _question(r: EvalResult) -> str:
    status = _status(r)
    kind = r.kind or "-"
    if not r.answerable and kind != "unanswerable":
        kind += ", unanswerable"
    head = (
        f"<summary><span class='badge {status}'>{status}</span><b>{escape(r.id)}</b> "
        f"<span class='small'>[{escape(kind)}]</span> {escape(_clip(r.question))}</summary>"
    )
    body = [] if len(r.question) <= _CLIP else [f"<p>{escape(r.question)}</p>"]
    for turn in r.gold.history:
        body.append(f"<div class='small'>earlier {turn.role}: {escape(turn.content)}</div>")
    if r.error:
        body.append(f"<p class='worse'>error: {escape(r.error)}</p>")
    else:
        facts = [w for fact in r.gold.must_include for w in fact]
        abstained = " (abstained)" if r.abstained else ""
        body.append(
            f"<p><b>Answer</b>{abstained} <span class='small'>{r.latency * 1000:.0f} ms"
            f"{escape(_stages(r.timings))} · mode {escape(r.mode or '-')}</span></p>"
            f"<div class='answer'>{highlight(r.answer or '', facts, 'fact')}</div>"
        )
        if r.short_answer:
            body.append(f"<p class='small'>short answer: <b>{escape(r.short_answer)}</b></p>")
        if r.notice:
            body.append(f"<p class='small'>notice: {escape(r.notice)}</p>")
    body.append(_gold(r))
    body.append(_metrics_line(r))
    if r.citations:
        body.append("<p><b>Citations</b></p><ol>")
        for c in r.citations:
            support = "" if c.support is None else f", support {c.support:.2f}"
            body.append(
                f"<li value='{c.number}'>{escape(c.title)}, paragraph {c.paragraph}"
                f"<span class='small'> ({escape(c.chunk_id)}{support})</span>: "
                f"“{escape(c.quote)}”</li>"
            )
        body.append("</ol>")
    if r.retrieved:
        cited = {c.chunk_id for c in r.citations}
        body.append("<p><b>Retrieved passages</b> (gold snippets highlighted)</p>")
        for p in r.retrieved:
            scores = ", ".join(f"{k} {v:.3f}" for k, v in p.scores.items())
            tag = " · cited" if p.chunk_id in cited else ""
            tag += " · holds gold" if p.holds_sources else ""
            body.append(
                f"<div class='passage{' gold' if p.holds_sources else ''}'>"
                f"<span class='small'>#{p.rank} {escape(p.title)}, {escape(p.paragraph_label)}"
                f" · score {p.score:.4f} ({escape(scores)}){tag}</span>\n"
                f"{highlight(p.text, r.gold.sources)}</div>"
            )
    if r.judge:
        body.append(f"<p class='small'>judge: {escape(json.dumps(r.judge))}</p>")
    return (
        f"<details class='q' id='{_anchor(r.id)}' data-status='{status}'>{head}"
        f"{''.join(body)}</details>"
    )


def _gold(r: EvalResult) -> str:
    g, m = r.gold, r.metrics
    items = []
    for i, fact in enumerate(g.must_include):
        found = i < len(m.facts_found) and m.facts_found[i]
        mark = "✔" if found else "✘"
        items.append(f"{mark} {' / '.join(escape(w) for w in fact)}")
    parts = []
    if items:
        parts.append("must include: " + "; ".join(items))
    if g.must_not_include:
        bad = set(m.must_not_found)
        parts.append(
            "must not include: "
            + "; ".join(("✘ " if w in bad else "✔ ") + escape(w) for w in g.must_not_include)
        )
    if g.sources:
        parts.append(f"{len(g.sources)} gold snippet(s)")
    if g.source_docs:
        parts.append("gold documents: " + ", ".join(escape(d) for d in g.source_docs))
    if g.answers:
        parts.append("gold answers: " + " / ".join(escape(a) for a in dict.fromkeys(g.answers)))
    if g.reference:
        parts.append(f"reference: {escape(g.reference)}")
    return f"<p class='small'>{'<br>'.join(parts)}</p>" if parts else ""


def _metrics_line(r: EvalResult) -> str:
    m = r.metrics
    shown = {
        "source@1": m.source_recall_at_1,
        "source@k": m.source_recall_at_k,
        "RR": m.reciprocal_rank,
        "key facts": m.key_fact_recall,
        "cited gold": m.citation_hit,
        "markers valid": f"{m.valid_markers}/{m.markers}" if m.markers else None,
        "EM": m.exact_match,
        "F1": m.f1,
    }
    if r.briefing is not None:
        b = r.briefing
        shown.update({"redundancy": b.redundancy, "lines": str(b.lines), "words": str(b.words)})
    cells = [
        f"{k} {v if isinstance(v, str) else fmt(v)}" for k, v in shown.items() if v is not None
    ]
    return f"<p class='small'>{' · '.join(cells)}</p>"


def highlight(text: str, snippets: Sequence[str], css: str = "") -> str:
    """``text`` escaped, with every occurrence of a snippet (under the evaluation's
    normalisation, so curly quotes and line breaks still match) wrapped in <mark>."""
    folded, origin = _fold(text)
    spans = []
    for snippet in snippets:
        needle = normalise(snippet)
        if not needle:
            continue
        start = folded.find(needle)
        while start >= 0:
            spans.append((origin[start], origin[start + len(needle) - 1] + 1))
            start = folded.find(needle, start + 1)
    out: list[str] = []
    cursor = 0
    cls = f" class='{css}'" if css else ""
    for begin, end in sorted(spans):
        if begin < cursor:  # overlapping matches: extend the open highlight
            if end > cursor:
                out.insert(-1, escape(text[cursor:end]))
                cursor = end
            continue
        out += [escape(text[cursor:begin]), f"<mark{cls}>", escape(text[begin:end]), "</mark>"]
        cursor = end
    out.append(escape(text[cursor:]))
    return "".join(out)


def _fold(text: str) -> tuple[str, list[int]]:
    """normalise() applied character by character, with the origin of each output character."""
    chars: list[str] = []
    origin: list[int] = []
    space = True  # drop leading white space, as normalise() does
    for i, ch in enumerate(text):
        if ch.isspace():
            if not space:
                chars.append(" ")
                origin.append(i)
            space = True
            continue
        space = False
        for piece in normalise(ch):
            chars.append(piece)
            origin.append(i)
    return "".join(chars), origin


def _stages(timings: dict[str, float]) -> str:
    stages = [f"{k} {v * 1000:.0f} ms" for k, v in timings.items() if k in ("retrieve", "answer")]
    return f" ({', '.join(stages)})" if stages else ""


def _clip(text: str) -> str:
    return text if len(text) <= _CLIP else text[: _CLIP - 1] + "…"


def _status(r: EvalResult) -> str:
    if r.error:
        return "error"
    return "pass" if r.metrics.answer_pass else "fail"


def _anchor(qid: str) -> str:
    return "q-" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in qid)
