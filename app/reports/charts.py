"""Bar charts as inline SVG: the same markup on the page and in the PDF.

A chart repeats figures that its table already shows, so it never shows more than the
table: a suppressed figure is drawn as an empty, labelled row. Each chart carries a title
and a text description that reads out every bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 230
VALUE_WIDTH = 90
ROW = 22
TOP = 8


@dataclass(frozen=True)
class Bar:
    label: str
    #: 0–100, or None when suppressed or without data.
    value: float | None
    #: What to print instead of a value ("suppressed", "no data").
    missing: str = ""


def bar_chart(
    chart_id: str,
    title: str,
    bars: list[Bar],
    fmt: Callable[[float], str],
    description_prefix: str = "",
) -> Markup:
    """A horizontal bar chart of shares (percent) with a text alternative."""
    height = TOP * 2 + ROW * len(bars)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    described = "; ".join(
        f"{bar.label}: {fmt(bar.value) if bar.value is not None else bar.missing}" for bar in bars
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description_prefix)}{escape(described)}</desc>',
        f'<line x1="{LABEL_WIDTH}" y1="{TOP - 4}" x2="{LABEL_WIDTH}" y2="{height - TOP + 4}" '
        f'class="axis" stroke="#444" stroke-width="1"/>',
    ]
    for i, bar in enumerate(bars):
        y = TOP + i * ROW
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + ROW * 0.68:.1f}" text-anchor="end" '
            f'font-size="12" fill="#1a1a1a">{escape(_shorten(bar.label))}</text>'
        )
        if bar.value is None:
            parts.append(
                f'<text x="{LABEL_WIDTH + 8}" y="{y + ROW * 0.68:.1f}" font-size="12" '
                f'font-style="italic" fill="#444">{escape(bar.missing)}</text>'
            )
            continue
        length = max(0.0, min(100.0, bar.value)) / 100 * span
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length:.1f}" height="{ROW - 8}" '
            f'fill="#1f5f8b"/>'
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + ROW * 0.68:.1f}" font-size="12" '
            f'fill="#1a1a1a">{escape(fmt(bar.value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _shorten(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
