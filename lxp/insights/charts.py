"""Charts as hand-written SVG: no JavaScript, nothing inline that the CSP would refuse (colours
are presentation attributes, not ``style``). Every chart sits beside a table of the same
numbers, so the SVG carries a title for screen readers and is otherwise decoration.

Bars run horizontally with the label above them, so a chart stays readable when a phone
shrinks it to 360 px.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH = 400
ROW = 34  # a label line and a bar
BAR = 14
MOOD_COLOURS = ("#b42318", "#e8793a", "#c9b458", "#7bb36a", "#1f7a3f")  # very unhappy .. very happy
REACHED, FINISHED, DROPPED = "#b9c8ec", "#2b59c3", "#b42318"


@dataclass(frozen=True)
class Segment:
    share: float  # 0..1 of the full width
    colour: str
    tip: str


@dataclass(frozen=True)
class Row:
    label: str
    segments: Sequence[Segment]  # drawn on top of each other from the left when ``stacked``
    note: str = ""  # shown at the right end of the label line
    marker: float | None = None  # a thin line across the bar at this share (an estimate)


def _svg(title: str, height: int, body: list[str]) -> Markup:
    # Every text that came from data went through escape() on its way into ``body``.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _clip(text: str, limit: int = 52) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bars(title: str, rows: Sequence[Row], stacked: bool = False, legend: Sequence[tuple[str, str]] = ()) -> Markup:
    """Horizontal bars, one row per entry. Overlaid (each segment from zero, widest first
    drawn first) or ``stacked`` (segments side by side)."""
    body = []
    y = 0
    if legend:
        x = 0
        for colour, name in legend:
            body.append(f'<rect x="{x}" y="2" width="10" height="10" fill="{colour}"/>'
                        f'<text x="{x + 14}" y="11" font-size="11" fill="#535c6e">{escape(name)}</text>')  # fmt: skip
            x += 24 + 7 * len(name)
        y = 20
    for row in rows:
        body.append(f'<text x="0" y="{y + 12}" font-size="12" fill="#1c2333">{escape(_clip(row.label))}</text>')
        if row.note:
            body.append(f'<text x="{WIDTH}" y="{y + 12}" font-size="12" text-anchor="end" fill="#535c6e">{escape(row.note)}</text>')  # fmt: skip
        body.append(f'<rect x="0" y="{y + 16}" width="{WIDTH}" height="{BAR}" fill="#f4f6fa"/>')
        x = 0.0
        segments = row.segments if stacked else sorted(row.segments, key=lambda s: -s.share)
        for segment in segments:
            width = max(min(segment.share, 1.0), 0.0) * WIDTH
            start = x if stacked else 0.0
            body.append(f'<rect x="{start:.1f}" y="{y + 16}" width="{width:.1f}" height="{BAR}" fill="{segment.colour}">'
                        f"<title>{escape(segment.tip)}</title></rect>")  # fmt: skip
            if stacked:
                x += width
        if row.marker is not None:
            mx = min(max(row.marker, 0.0), 1.0) * WIDTH
            body.append(f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{y + 13}" y2="{y + 33}" stroke="#1c2333" stroke-width="2"/>')  # fmt: skip
        y += ROW
    return _svg(title, max(y, 20), body)


def columns(title: str, points: Sequence[tuple[date | str, float | None, str]], low: float, high: float) -> Markup:
    """Vertical bars over time from a zero line, between ``low`` and ``high``; a missing value
    (not enough answers) leaves a gap with a dash. ``points`` are (label, value, tip)."""
    height, top, bottom = 180, 10, 150
    span = high - low
    zero = bottom - (0 - low) / span * (bottom - top)
    body = [f'<line x1="0" x2="{WIDTH}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#8a93a6"/>']
    step = WIDTH / max(len(points), 1)
    for n, (label, value, tip) in enumerate(points):
        cx = step * n + step / 2
        width = min(step * 0.6, 40)
        if value is None:
            body.append(f'<text x="{cx:.1f}" y="{zero - 4:.1f}" font-size="12" text-anchor="middle" fill="#535c6e">–<title>{escape(tip)}</title></text>')  # fmt: skip
        else:
            y = bottom - (value - low) / span * (bottom - top)
            body.append(f'<rect x="{cx - width / 2:.1f}" y="{min(y, zero):.1f}" width="{width:.1f}" height="{abs(zero - y):.1f}" '
                        f'fill="{FINISHED if value >= 0 else DROPPED}"><title>{escape(tip)}</title></rect>'
                        f'<text x="{cx:.1f}" y="{(y - 4 if value >= 0 else y + 14):.1f}" font-size="12" text-anchor="middle" fill="#1c2333">{value:g}</text>')  # fmt: skip
        text = label.strftime("%b %y") if isinstance(label, date) else str(label)
        body.append(f'<text x="{cx:.1f}" y="{height - 10}" font-size="11" text-anchor="middle" fill="#535c6e">{escape(text)}</text>')  # fmt: skip
    return _svg(title, height, body)
