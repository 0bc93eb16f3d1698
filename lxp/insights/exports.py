"""Every insights table as CSV, with the same privacy rules as the page: a number hidden on
the page is an empty cell here."""

from __future__ import annotations

import csv
import io
import re

from flask import Response, abort
from flask_babel import lazy_gettext as _l

from lxp.insights import maths, presenting

# A spreadsheet runs a cell starting with one of these as a formula; comments are free text.
FORMULA = re.compile(r"^[=+\-@\t\r]")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    text = str(value)
    return "'" + text if FORMULA.match(text) else text


def csv_response(filename: str, header: list, rows) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(h) for h in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip


def journey_rows(journey: maths.JourneyMap):
    for f in journey.stations:
        s = f.station
        spread = f.spread or (None, None)
        moods = f.moods or (None,) * 5
        yield (s.module, s.title, presenting.kind(s.kind), s.minutes, f.reached, f.finished, f.finish_rate,
               f.median_minutes, spread[0], spread[1], f.overrun, *moods, f.mood_average, f.effort_average,
               f.help_requests, f.open_help_requests, f.hours_to_resolve, f.dropped, f.drop_rate, f.social_reach)  # fmt: skip


JOURNEY_HEADER = [
    _l("Module"), _l("Station"), _l("Kind"), _l("Estimated minutes"), _l("Reached"), _l("Finished"),
    _l("Finish rate"), _l("Median minutes"), _l("25th percentile minutes"), _l("75th percentile minutes"),
    _l("Median against estimate"), *[_l("Mood %(n)d", n=n) for n in range(1, 6)], _l("Average mood"),
    _l("Average perceived effort"), _l("Help requests"), _l("Open help requests"),
    _l("Median hours to resolve"), _l("Stopped here for good"), _l("Drop-off rate"),
    _l("Colleagues active in the spaces"),
]  # fmt: skip


def course_csv(page: str, table: str, course, version, data, extra: dict | None = None) -> Response:
    """The CSV of one table of a course page (``extra``: the page's further figures, such as the
    drop-off inside the packages). ``abort(404)`` for an unknown table."""
    slug = course.slug
    if page == "journey" and table == "packages":
        return csv_response(f"{slug}-inside-the-packages.csv", PACKAGE_UNITS_HEADER,
                            package_unit_rows((extra or {}).get("package_units") or []))  # fmt: skip
    if page == "journey":
        return csv_response(f"{slug}-journey-map.csv", JOURNEY_HEADER, journey_rows(data))
    if page == "modalities":
        return csv_response(f"{slug}-modalities.csv",
                            [_l("Modality"), _l("Stations"), _l("Completion"), _l("First-try success in the next check"),
                             _l("Average mood"), _l("Average perceived effort"), _l("Time on task against estimate")],
                            ((presenting.modality(m.modality), m.stations, m.completion, m.success_after, m.mood_average,
                              m.effort_average, m.time_against_estimate) for m in data))  # fmt: skip
    if page == "satisfaction" and table == "nps":
        return csv_response(f"{slug}-nps.csv",
                            [_l("Month"), _l("Answers"), _l("Promoters"), _l("Passives"), _l("Detractors"), _l("Net Promoter Score")],
                            ((m.isoformat()[:7], n.answers, *(n.breakdown or (None, None, None)), n.score)
                             for m, n in data.nps_by_month))  # fmt: skip
    if page == "satisfaction" and table == "pulses":
        return csv_response(f"{slug}-mood.csv", [_l("Month"), _l("Learners"), _l("Pulses"), _l("Average mood")],
                            ((p.month.isoformat()[:7], p.learners, p.pulses, p.mood_average) for p in data.pulses))  # fmt: skip
    if page == "satisfaction" and table == "comments":
        return csv_response(f"{slug}-comments.csv", [_l("Module"), _l("Station"), _l("Date"), _l("Mood"), _l("Comment")],
                            ((s.module, s.title, at.date().isoformat(), mood, text)
                             for s, said in data.comments for at, mood, text in said))  # fmt: skip
    abort(404)


PACKAGE_UNITS_HEADER = [_l("Unit"), _l("Kind"), _l("Launched"), _l("Completed"), _l("Passed"), _l("Left unfinished")]


def package_unit_rows(units) -> list[list]:
    """One row per SCORM or cmi5 unit; a unit fewer than ``MIN_GROUP`` learners launched keeps
    its figures empty, as on the page."""
    return [[u.title, presenting.kind(u.kind), *((u.launched, u.completed, u.passed, u.abandoned) if u.shown
                                                 else (None, None, None, None))] for u in units]  # fmt: skip


def people_csv(people) -> Response:
    return csv_response("learners.csv",
                        [_l("Learner"), _l("Cohorts"), _l("Pace"), _l("Steps done"), _l("Steps"), _l("Target date"),
                         _l("Last seen"), _l("Days since last seen"), _l("Open help requests")],
                        ((p.name, "; ".join(p.cohorts), presenting.pace(p.pace), p.done, p.total,
                          p.target.isoformat() if p.target else None,
                          p.last_seen.isoformat(timespec="minutes") if p.last_seen else None, p.unseen_days, p.open_help)
                         for p in people))  # fmt: skip
