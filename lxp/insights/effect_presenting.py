"""How the measured effect of touchpoints is shown: names of rules and channels, percentages,
the two charts (hand-written SVG: no JavaScript, colours as presentation attributes so the
strict CSP allows them) and the CSV of each table, where a hidden number is an empty cell."""

from __future__ import annotations

from collections.abc import Sequence

from babel.dates import get_day_names
from flask import Response
from flask_babel import format_percent, get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from lxp import channels
from lxp.insights.exports import csv_response
from lxp.nudges import effect_maths
from lxp.nudges.texts import RULE_LABELS

OPENED, CAME_BACK, OPTED_OUT, HELD_OUT = "#2b59c3", "#1f7a3f", "#b42318", "#8a93a6"
WIDTH, BAR = 400, 10


def rule_name(key: str) -> str:
    return str(RULE_LABELS.get(key, key))


def channel_name(key: str | None) -> str:
    channel = channels.CHANNELS.get(key) if key else None
    return str(channel.sent_label) if channel is not None else key or "–"


def hour_of_week(slot: int) -> str:
    """An hour of the week (0 = Monday 00:00) as "Monday 09:00–10:00" in the viewer's language."""
    day = get_day_names("wide", locale=get_locale())[slot // 24]
    hour = slot % 24
    return f"{day} {hour:02d}:00–{(hour + 1) % 24:02d}:00"


def percent(value: float | None) -> str:
    return "–" if value is None else format_percent(value, format="#,##0%")


def points(value: float | None) -> str:
    """A difference of two rates in percentage points, signed."""
    if value is None:
        return "–"
    return f"{value * 100:+.0f}"


def _bars(title: str, rows: Sequence[tuple[str, str, Sequence[tuple[float | None, str, str]]]],
          legend: Sequence[tuple[str, str]]) -> Markup:  # fmt: skip
    """Rows of thin horizontal bars under a label line: (label, note, [(share, colour, tip)])."""
    body, y, x = [], 20, 0
    for colour, name in legend:
        body.append(f'<rect x="{x}" y="2" width="10" height="10" fill="{colour}"/>'
                    f'<text x="{x + 14}" y="11" font-size="11" fill="#535c6e">{escape(name)}</text>')  # fmt: skip
        x += 24 + 7 * len(str(name))
    for label, note, bars in rows:
        body.append(f'<text x="0" y="{y + 12}" font-size="12" fill="#1c2333">{escape(label[:52])}</text>')
        if note:
            body.append(f'<text x="{WIDTH}" y="{y + 12}" font-size="12" text-anchor="end" fill="#535c6e">{escape(note)}</text>')  # fmt: skip
        y += 16
        for share, colour, tip in bars:
            body.append(f'<rect x="0" y="{y}" width="{WIDTH}" height="{BAR}" fill="#f4f6fa"/>')
            if share is not None:
                width = max(min(share, 1.0), 0.0) * WIDTH
                body.append(f'<rect x="0" y="{y}" width="{width:.1f}" height="{BAR}" fill="{colour}">'
                            f"<title>{escape(tip)}</title></rect>")  # fmt: skip
            y += BAR + 2
        y += 8
    return Markup(  # noqa: S704  (every text inside went through escape())
        f'<svg class="chart" viewBox="0 0 {WIDTH} {y}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def holdout_chart(rows: Sequence[effect_maths.HoldoutRow]) -> Markup | None:
    """Came back within 48 hours with the message and without, per rule that has both."""
    compared = [r for r in rows if r.difference is not None]
    if not compared:
        return None
    with_, without = str(_l("Got the message")), str(_l("Held out"))
    return _bars(str(_l("Came back within 48 hours, with the message and without")), [
        (rule_name(r.rule), _l("%(points)s points", points=points(r.difference)),
         [(r.sent.rate, CAME_BACK, f"{with_}: {percent(r.sent.rate)}"),
          (r.held_out.rate, HELD_OUT, f"{without}: {percent(r.held_out.rate)}")])
        for r in compared], [(CAME_BACK, with_), (HELD_OUT, without)])  # fmt: skip


def channel_chart(rows: Sequence[effect_maths.ChannelRow]) -> Markup | None:
    """Opened, came back and opted out, as shares of what was sent, per rule and channel."""
    shown = [r for r in rows if r.shown]
    if not shown:
        return None
    opened, back, out = str(_l("Opened")), str(_l("Came back within 48 hours")), str(_l("Opted out"))
    return _bars(str(_l("Opened, came back and opted out, per rule and channel")), [
        (f"{rule_name(r.rule)} · {channel_name(r.channel)}", _l("%(n)s sent", n=r.sent),
         [(r.open_rate, OPENED, f"{opened}: {percent(r.open_rate)}"),
          (r.came_back_rate, CAME_BACK, f"{back}: {percent(r.came_back_rate)}"),
          (r.opt_out_rate, OPTED_OUT, f"{out}: {percent(r.opt_out_rate)}")])
        for r in shown], [(OPENED, opened), (CAME_BACK, back), (OPTED_OUT, out)])  # fmt: skip


# --- CSV (written as the insights tables are: hidden numbers are empty cells, no formulas) ---


def channels_csv(rows: Sequence[effect_maths.ChannelRow]) -> Response:
    return csv_response("touchpoints-by-channel.csv",
                [_l("Rule"), _l("Rule key"), _l("Channel"), _l("Sent"), _l("Learners"), _l("Opened"), _l("Open rate"),
                 _l("Older than 48 hours"), _l("Came back within 48 hours"), _l("Came-back rate"), _l("Opted out"),
                 _l("Opt-out rate")],
                ((rule_name(r.rule), r.rule, channel_name(r.channel), r.sent, r.learners, r.opened, r.open_rate,
                  r.measured, r.came_back, r.came_back_rate, r.opted_out, r.opt_out_rate) for r in rows))  # fmt: skip


def holdout_csv(rows: Sequence[effect_maths.HoldoutRow]) -> Response:
    return csv_response("touchpoints-holdout.csv",
                [_l("Rule"), _l("Rule key"), _l("Sent: messages"), _l("Sent: learners"), _l("Sent: older than 48 hours"),
                 _l("Sent: came back"), _l("Sent: came-back rate"), _l("Held out: messages"), _l("Held out: learners"),
                 _l("Held out: older than 48 hours"), _l("Held out: came back"), _l("Held out: came-back rate"),
                 _l("Difference"), _l("Interval (95 percent): low"), _l("Interval (95 percent): high")],
                ((rule_name(r.rule), r.rule, r.sent.messages, r.sent.learners, r.sent.measured, r.sent.came_back,
                  r.sent.rate, r.held_out.messages, r.held_out.learners, r.held_out.measured, r.held_out.came_back,
                  r.held_out.rate, r.difference, r.low, r.high) for r in rows))  # fmt: skip
