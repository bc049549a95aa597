"""Inline SVG charts for the HTML report, drawn in Python so the report needs no script
library and no network. Every label goes through html.escape: kinds come from user files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

# Colour-blind-safe palette (Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")


def grouped_bars(
    groups: Mapping[str, Mapping[str, float | int | None]],
    series: Sequence[tuple[str, str]],
    title: str,
) -> str:
    """Horizontal bars, one block per group and one bar per (metric, label) in ``series``;
    all values are rates in 0-1. A metric that does not apply to a group shows as 'n/a'."""
    bar_h, gap, label_w, plot_w = 11, 10, 170, 380
    block_h = bar_h * len(series) + gap
    legend_h = 22
    height = legend_h + block_h * len(groups) + 24
    width = label_w + plot_w + 60
    parts = [_open(width, height, title)]
    x = label_w
    for i, (_, label) in enumerate(series):
        parts.append(
            f'<rect x="{x}" y="4" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{x + 14}" y="13" font-size="11">{escape(label)}</text>'
        )
        x += 24 + 7 * len(label)  # roughly the label's width at 11 px
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        tick_x = label_w + tick * plot_w
        parts.append(
            f'<line x1="{tick_x:.1f}" y1="{legend_h}" x2="{tick_x:.1f}" y2="{height - 20}" '
            'stroke="#ddd"/>'
            f'<text x="{tick_x:.1f}" y="{height - 6}" font-size="10" text-anchor="middle">'
            f"{tick:g}</text>"
        )
    for g, (name, values) in enumerate(groups.items()):
        top = legend_h + g * block_h
        parts.append(
            f'<text x="{label_w - 6}" y="{top + block_h / 2}" font-size="11" '
            f'text-anchor="end" dominant-baseline="middle">{escape(_short(name))} '
            f"(n={values.get('questions', 0)})</text>"
        )
        for i, (metric, label) in enumerate(series):
            y = top + i * bar_h
            value = values.get(metric)
            if value is None:
                parts.append(
                    f'<text x="{label_w + 3}" y="{y + bar_h - 2}" font-size="9" '
                    'fill="#888">n/a</text>'
                )
                continue
            w = max(0.0, min(1.0, float(value))) * plot_w
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(str(name))}: '
                f"{escape(label)} {float(value):.3f}</title></rect>"
                f'<text x="{label_w + w + 3:.1f}" y="{y + bar_h - 2}" font-size="9">'
                f"{float(value):.2f}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def histogram(values: Sequence[float], title: str, unit_scale: float = 1000, unit: str = "ms",
              bins: int = 20, marks: Mapping[str, float | None] | None = None) -> str:  # fmt: skip
    """A histogram of ``values`` (seconds shown in ms by default) with labelled marks such
    as p50/p95 drawn as vertical lines."""
    width, height, left, bottom = 520, 200, 40, 30
    plot_w, plot_h = width - left - 10, height - bottom - 20
    parts = [_open(width, height, title)]
    if not values:
        parts.append('<text x="20" y="40" font-size="12">no latencies recorded</text></svg>')
        return "".join(parts)
    low, high = 0.0, max(values) * unit_scale or 1.0
    step = high / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v * unit_scale / step))] += 1
    tallest = max(counts)
    bar_w = plot_w / bins
    for i, count in enumerate(counts):
        h = plot_h * count / tallest
        x = left + i * bar_w
        parts.append(
            f'<rect x="{x:.1f}" y="{20 + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
            f'height="{h:.1f}" fill="{PALETTE[0]}"><title>{low + i * step:.0f}-'
            f"{low + (i + 1) * step:.0f} {unit}: {count}</title></rect>"
        )
    for i in range(0, bins + 1, max(1, bins // 5)):
        x = left + i * bar_w
        parts.append(
            f'<text x="{x:.1f}" y="{height - 12}" font-size="10" text-anchor="middle">'
            f"{low + i * step:.0f}</text>"
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 1}" font-size="10" '
        f'text-anchor="middle">{escape(unit)}</text>'
        f'<text x="4" y="14" font-size="10">questions (max {tallest})</text>'
    )
    for i, (label, value) in enumerate((marks or {}).items()):
        if value is None:
            continue
        x = left + min(plot_w, value * unit_scale / step * bar_w)
        parts.append(
            f'<line x1="{x:.1f}" y1="18" x2="{x:.1f}" y2="{20 + plot_h}" '
            f'stroke="{PALETTE[5]}" stroke-dasharray="4 2"/>'
            f'<text x="{x + 3:.1f}" y="{28 + 12 * i}" font-size="10" fill="{PALETTE[5]}">'
            f"{escape(label)} {value * unit_scale:.0f} {escape(unit)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _open(width: float, height: float, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">'
        f"<title>{escape(title)}</title>"
    )


def _short(name: str, limit: int = 22) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
