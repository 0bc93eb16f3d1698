"""Numbers in words and charts for the insights templates (``present`` in templates)."""

from __future__ import annotations

from flask_babel import format_date, format_decimal, format_percent
from flask_babel import lazy_gettext as _l

from lxp.authoring.kinds import KINDS
from lxp.core.i18n import MODALITY_LABELS
from lxp.insights import charts, maths

MOOD_LABELS = (_l("Very unhappy"), _l("Unhappy"), _l("So-so"), _l("Happy"), _l("Very happy"))
PACE_LABELS = {
    "behind": _l("Behind"),
    "on_track": _l("On track"),
    "finished": _l("Finished"),
    "no_target": _l("No target date"),
    "no_path": _l("No path yet"),
}
FRICTION_TITLES = {
    "drop": _l("Biggest drop"),
    "mood": _l("Lowest mood"),
    "overrun": _l("Largest overrun of effort"),
    "help": _l("Most help requests"),
}
DASH = "–"
MIN_GROUP = maths.MIN_GROUP
MIN_NPS_ANSWERS = maths.MIN_NPS_ANSWERS


def kind(name: str) -> str:
    return str(KINDS[name].label) if name in KINDS else name


def modality(name: str) -> str:
    return str(MODALITY_LABELS.get(name, name))


def pace(name: str) -> str:
    return str(PACE_LABELS.get(name, name))


def number(value, digits: int = 1) -> str:
    if value is None:
        return DASH
    return format_decimal(round(value, digits), format="#,##0." + "#" * digits if digits else "#,##0")


def percent(value) -> str:
    return DASH if value is None else format_percent(value, format="#,##0%")


def month(day) -> str:
    return format_date(day, "MMM yyyy")


def friction_text(friction: maths.Friction) -> str:
    f = friction.facts
    if friction.kind == "drop":
        return str(_l("%(count)s stopped here for good (%(share)s of those who reached it)",
                      count=f.dropped, share=percent(f.drop_rate)))  # fmt: skip
    if friction.kind == "mood":
        return str(
            _l("mood %(mood)s of 5 from %(count)s learners", mood=number(f.mood_average), count=f.counts.pulse_learners)
        )
    if friction.kind == "overrun":
        return str(_l("median %(taken)s min against %(estimate)s min estimated (%(times)s×)",
                      taken=number(f.median_minutes), estimate=f.station.minutes, times=number(f.overrun)))  # fmt: skip
    hours = f.hours_to_resolve
    if hours is None:
        return str(_l("%(count)s requests, none resolved yet", count=f.help_requests))
    return str(
        _l("%(count)s requests, resolved in a median of %(hours)s hours", count=f.help_requests, hours=number(hours))
    )


def friction_refs(journey: maths.JourneyMap) -> dict[str, list[str]]:
    """Station ref -> the kinds of friction it stands out for (to highlight table rows)."""
    found: dict[str, list[str]] = {}
    for friction in journey.friction:
        found.setdefault(friction.facts.station.ref, []).append(friction.kind)
    return found


# --- charts --------------------------------------------------------------------------------


def funnel_chart(journey: maths.JourneyMap):
    """Reached, finished and stopped for good per station, as shares of the learners."""
    learners = max(journey.learners, 1)
    rows = []
    for f in journey.stations:
        if not f.shown:
            rows.append(charts.Row(f.station.title, (), note=str(_l("fewer than %(n)d", n=MIN_GROUP))))
            continue
        rows.append(charts.Row(f.station.title, (
            charts.Segment(f.reached / learners, charts.REACHED, str(_l("%(n)s reached it", n=f.reached))),
            charts.Segment(f.finished / learners, charts.FINISHED, str(_l("%(n)s finished it", n=f.finished))),
            charts.Segment(f.dropped / learners, charts.DROPPED, str(_l("%(n)s stopped here for good", n=f.dropped))),
        ), note=f"{f.finished} / {f.reached}"))  # fmt: skip
    legend = ((charts.REACHED, str(_l("reached"))), (charts.FINISHED, str(_l("finished"))),
              (charts.DROPPED, str(_l("stopped for good"))))  # fmt: skip
    return charts.bars(str(_l("Learners per station")), rows, legend=legend)


def mood_chart(journey: maths.JourneyMap):
    """The mood of the pulses per station, very unhappy to very happy, as shares."""
    rows = []
    for f in journey.stations:
        moods = f.moods
        if moods is None or not sum(moods):
            rows.append(charts.Row(f.station.title, (), note=DASH))
            continue
        total = sum(moods)
        rows.append(charts.Row(f.station.title, tuple(
            charts.Segment(count / total, charts.MOOD_COLOURS[n], f"{MOOD_LABELS[n]}: {count}") for n, count in enumerate(moods)
        ), note=number(f.mood_average)), )  # fmt: skip
    legend = tuple((charts.MOOD_COLOURS[n], str(MOOD_LABELS[n])) for n in (0, 2, 4))
    return charts.bars(str(_l("Mood per station")), rows, stacked=True, legend=legend)


def effort_chart(journey: maths.JourneyMap):
    """Median time on task per station with its middle half, against the estimate (the mark)."""
    rows = []
    longest = max(
        [f.spread[1] for f in journey.stations if f.spread] + [f.station.minutes for f in journey.stations] + [1]
    )
    for f in journey.stations:
        if f.median_minutes is None:
            rows.append(charts.Row(f.station.title, (), note=DASH, marker=f.station.minutes / longest))
            continue
        low, high = f.spread
        rows.append(charts.Row(f.station.title, (
            charts.Segment(high / longest, charts.REACHED, str(_l("three in four took up to %(n)s min", n=number(high)))),
            charts.Segment(f.median_minutes / longest, charts.FINISHED, str(_l("median %(n)s min", n=number(f.median_minutes)))),
        ), note=str(_l("%(taken)s of %(estimate)s min", taken=number(f.median_minutes), estimate=f.station.minutes)),
            marker=f.station.minutes / longest))  # fmt: skip
    return charts.bars(str(_l("Time on task against the estimate")), rows)


def nps_chart(months: list):
    points = [(month(m), n.score, str(_l("%(n)s answers", n=n.answers))) for m, n in months]
    return charts.columns(str(_l("Net Promoter Score by month")), points, -100, 100)


def pulse_chart(months: list):
    points = [(month(p.month), None if p.mood_average is None else round(p.mood_average, 1),
               str(_l("%(n)s learners", n=p.learners))) for p in months]  # fmt: skip
    return charts.columns(str(_l("Average mood by month")), points, 0, 5)


def modality_chart(facts: list[maths.ModalityFacts]):
    rows = []
    for m in facts:
        rows.append(charts.Row(modality(m.modality), (
            charts.Segment(m.completion or 0, charts.FINISHED, str(_l("completion %(p)s", p=percent(m.completion)))),
        ), note=percent(m.completion)))  # fmt: skip
        rows.append(charts.Row(str(_l("… then passed the next check first time")), (
            charts.Segment(m.success_after or 0, charts.MOOD_COLOURS[4], percent(m.success_after)),
        ), note=percent(m.success_after)))  # fmt: skip
    return charts.bars(str(_l("Completion and success by modality")), rows)
