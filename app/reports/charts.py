"""Bar charts as inline SVG: the same markup on the page and in the PDF.

A chart repeats figures that its table already shows, so it never shows more than the
table: a suppressed figure is drawn as an empty, labelled row. Each chart carries a text
alternative that names it and reads out every bar; the figure around it shows the name as
its caption, since an SVG title is not drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 250
VALUE_WIDTH = 90
ROW = 22
#: Extra height of a bar row for each further line of its label.
LINE = 13
TOP = 8
#: Characters of a label line at the chart's font size within LABEL_WIDTH.
LABEL_CHARACTERS = 36
LABEL_LINES = 2


@dataclass(frozen=True)
class Bar:
    label: str
    #: 0–100, or None when suppressed or without data.
    value: float | None
    #: What to print instead of a value ("suppressed", "no data").
    missing: str = ""


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup


def bar_chart(
    chart_id: str,
    title: str,
    bars: list[Bar],
    fmt: Callable[[float], str],
    description_prefix: str = "",
) -> Chart:
    """A horizontal bar chart of shares (percent) with a text alternative."""
    labels = [_wrap(bar.label) for bar in bars]
    row = ROW + LINE * (max((len(lines) for lines in labels), default=1) - 1)
    height = TOP * 2 + row * len(bars)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    described = "; ".join(
        f"{bar.label}: {fmt(bar.value) if bar.value is not None else bar.missing}" for bar in bars
    )
    # The whole text alternative is the title: WeasyPrint makes the PDF figure's /Alt
    # from the title alone, so a <desc> would leave a screen reader without the figures.
    alternative = f"{title}. {description_prefix}{described}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{chart_id}-title">',
        f'<title id="{chart_id}-title">{escape(alternative)}</title>',
        f'<line x1="{LABEL_WIDTH}" y1="{TOP - 4}" x2="{LABEL_WIDTH}" y2="{height - TOP + 4}" '
        f'class="axis" stroke="#444" stroke-width="1"/>',
    ]
    for i, (bar, lines) in enumerate(zip(bars, labels, strict=True)):
        top = TOP + i * row
        middle = top + row / 2
        # The label's lines centred on the bar; 4 px lowers a line's middle to its baseline.
        first = middle + 4 - LINE * (len(lines) - 1) / 2
        spans = "".join(
            f'<tspan x="{LABEL_WIDTH - 8}" y="{first + n * LINE:.1f}">{escape(line)}</tspan>'
            for n, line in enumerate(lines)
        )
        parts.append(f'<text text-anchor="end" font-size="12" fill="#1a1a1a">{spans}</text>')
        if bar.value is None:
            parts.append(
                f'<text x="{LABEL_WIDTH + 8}" y="{middle + 4:.1f}" font-size="12" '
                f'font-style="italic" fill="#444">{escape(bar.missing)}</text>'
            )
            continue
        length = max(0.0, min(100.0, bar.value)) / 100 * span
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{middle - 7:.1f}" width="{length:.1f}" height="14" '
            f'fill="#1f5f8b"/>'
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{middle + 4:.1f}" font-size="12" '
            f'fill="#1a1a1a">{escape(fmt(bar.value))}</text>'
        )
    parts.append("</svg>")
    return Chart(title, Markup("".join(parts)))


def _wrap(label: str) -> list[str]:
    """*label* in lines that fit beside the bars, the last shortened if it must be."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= LABEL_CHARACTERS:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > LABEL_LINES:
        rest = " ".join(lines[LABEL_LINES - 1 :])
        lines = [*lines[: LABEL_LINES - 1], rest]
    return [
        line if len(line) <= LABEL_CHARACTERS else line[: LABEL_CHARACTERS - 1] + "…"
        for line in lines
    ] or [""]
