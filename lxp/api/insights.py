"""Insights over the API for admins and trainers: the journey map, satisfaction and the
modalities of a course, the cohorts one may filter to, and people on track or behind, as JSON.
The same services, filters and refusals as the insights pages (``lxp/insights/services.py``):
an admin sees the organisation, a trainer the learners they coach and their own cohorts only,
and every number describing fewer than five learners is null, as it is hidden on the page."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user

from lxp.api.common import area
from lxp.insights import services as insights

bp = area("insights", "For admins and trainers: journey map, satisfaction, modalities, cohorts and people",
          "admin", "trainer")  # fmt: skip

COURSE = "/insights/courses/<int(max=2147483647):course_id>"
HIDDEN = "null when it would describe fewer than five learners"


def _number(kind=ma.fields.Integer, **extra):
    return kind(allow_none=True, metadata={"description": HIDDEN}, **extra)


class CohortFilter(ma.Schema):
    cohort = ma.fields.Integer(load_default=None, validate=ma.validate.Range(1, 2147483647),
                               metadata={"description": "a cohort id (a trainer: one they coach)"})  # fmt: skip


class CourseFilter(CohortFilter):
    start = ma.fields.Date(load_default=None, metadata={"description": "first day counted (UTC)"})
    end = ma.fields.Date(load_default=None, metadata={"description": "last day counted; not before start"})
    language = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 8))
    package = ma.fields.Integer(load_default=None, validate=ma.validate.Range(1, 2147483647),
                                metadata={"description": "a package of the course"})  # fmt: skip


class InsightCourseSchema(ma.Schema):
    id = ma.fields.Integer()
    slug = ma.fields.String()
    title = ma.fields.String()
    version = ma.fields.Integer(metadata={"description": "the version whose stations are mapped"})


class InsightCourseListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(InsightCourseSchema))


class InsightCohortSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class InsightCohortListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(InsightCohortSchema))


class StationRowSchema(ma.Schema):
    ref = ma.fields.String()
    module = ma.fields.String()
    title = ma.fields.String()
    kind = ma.fields.String()
    modality = ma.fields.String()
    estimated_minutes = ma.fields.Integer()
    reached = _number()
    finished = _number()
    finish_rate = _number(ma.fields.Float)
    median_minutes = _number(ma.fields.Float)
    minutes_25th = _number(ma.fields.Float)
    minutes_75th = _number(ma.fields.Float)
    median_against_estimate = _number(ma.fields.Float)
    moods = ma.fields.List(ma.fields.Integer(), allow_none=True,
                           metadata={"description": "pulses with mood 1–5; " + HIDDEN})  # fmt: skip
    mood_average = _number(ma.fields.Float)
    effort_average = _number(ma.fields.Float)
    help_requests = _number()
    open_help_requests = _number()
    hours_to_resolve = _number(ma.fields.Float)
    dropped = _number()
    drop_rate = _number(ma.fields.Float)
    social_reach = ma.fields.Integer(allow_none=True, metadata={
        "description": "colleagues who posted, replied, helped or were endorsed about the station in the spaces; "
        + HIDDEN})  # fmt: skip


class JourneyMapSchema(ma.Schema):
    course_id = ma.fields.Integer()
    learners = ma.fields.Integer(metadata={"description": "in the population the filters chose"})
    shown = ma.fields.Boolean(metadata={"description": "false: fewer than five learners, nothing is shown"})
    stations = ma.fields.List(ma.fields.Nested(StationRowSchema))


class ModalityRowSchema(ma.Schema):
    modality = ma.fields.String()
    stations = ma.fields.Integer()
    completion = _number(ma.fields.Float)
    success_after = _number(ma.fields.Float)
    mood_average = _number(ma.fields.Float)
    effort_average = _number(ma.fields.Float)
    time_against_estimate = _number(ma.fields.Float)


class ModalitiesSchema(ma.Schema):
    course_id = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(ModalityRowSchema))


class InsightNpsSchema(ma.Schema):
    month = ma.fields.String(allow_none=True, metadata={"description": "YYYY-MM; null for the whole period"})
    answers = ma.fields.Integer()
    promoters = _number()
    passives = _number()
    detractors = _number()
    score = _number()


class PulseMonthSchema(ma.Schema):
    month = ma.fields.String(metadata={"description": "YYYY-MM"})
    learners = ma.fields.Integer()
    pulses = ma.fields.Integer()
    mood_average = _number(ma.fields.Float)


class CommentSchema(ma.Schema):
    module = ma.fields.String()
    station = ma.fields.String()
    date = ma.fields.Date()
    mood = ma.fields.Integer(allow_none=True)
    text = ma.fields.String()


class SatisfactionSchema(ma.Schema):
    course_id = ma.fields.Integer()
    nps = ma.fields.Nested(InsightNpsSchema)
    nps_by_month = ma.fields.List(ma.fields.Nested(InsightNpsSchema))
    pulses = ma.fields.List(ma.fields.Nested(PulseMonthSchema))
    comments = ma.fields.List(ma.fields.Nested(CommentSchema), metadata={"description": "without names"})
    hidden_comments = ma.fields.Integer(metadata={"description": "stations whose comments fewer than five gave"})


class PersonSchema(ma.Schema):
    learner_id = ma.fields.Integer()
    name = ma.fields.String()
    cohorts = ma.fields.List(ma.fields.String())
    pace = ma.fields.String(metadata={"description": "behind, no_target, on_track, no_path or finished"})
    done = ma.fields.Integer()
    total = ma.fields.Integer()
    target = ma.fields.Date(allow_none=True)
    last_seen = ma.fields.AwareDateTime(allow_none=True)
    unseen_days = ma.fields.Integer(allow_none=True)
    open_help = ma.fields.Integer()


class PeopleSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PersonSchema), metadata={"description": "those needing attention first"})
    total = ma.fields.Integer(metadata={"description": "how many there are; at most limit are listed"})
    limit = ma.fields.Integer()


def _filters(args) -> insights.Filters:
    return insights.Filters(cohort_id=args.get("cohort"), start=args.get("start"), end=args.get("end"),
                            language=args.get("language"), package_id=args.get("package"))  # fmt: skip


def _station(f) -> dict:
    s, spread = f.station, f.spread or (None, None)
    return {"ref": s.ref, "module": s.module, "title": s.title, "kind": s.kind, "modality": s.modality,
            "estimated_minutes": s.minutes, "reached": f.reached, "finished": f.finished, "finish_rate": f.finish_rate,
            "median_minutes": f.median_minutes, "minutes_25th": spread[0], "minutes_75th": spread[1],
            "median_against_estimate": f.overrun, "moods": list(f.moods) if f.moods else None,
            "mood_average": f.mood_average, "effort_average": f.effort_average, "help_requests": f.help_requests,
            "open_help_requests": f.open_help_requests, "hours_to_resolve": f.hours_to_resolve, "dropped": f.dropped,
            "drop_rate": f.drop_rate, "social_reach": f.social_reach}  # fmt: skip


def _nps(nps, month=None) -> dict:
    promoters, passives, detractors = nps.breakdown or (None, None, None)
    return {"month": month.isoformat()[:7] if month else None, "answers": nps.answers, "promoters": promoters,
            "passives": passives, "detractors": detractors, "score": nps.score}  # fmt: skip


@bp.get("/insights/courses")
@bp.response(200, InsightCourseListSchema)
def list_courses():
    """The published courses of your organisation you can look into, by title."""
    return {"items": [{"id": c.id, "slug": c.slug, "title": v.title, "version": v.number}
                      for c, v in insights.courses_for(current_user)]}  # fmt: skip


@bp.get("/insights/cohorts")
@bp.response(200, InsightCohortListSchema)
def list_cohorts():
    """The cohorts you may filter to: every cohort for an admin, a trainer's own."""
    return {"items": insights.cohorts_for(current_user)}


@bp.get(f"{COURSE}/journey-map")
@bp.arguments(CourseFilter, location="query")
@bp.response(200, JourneyMapSchema)
def journey_map(args, course_id: int):
    """Stations in path order with reach, finish, time, mood, help and drop-off. 404 for a
    course not published in your organisation or an unknown cohort, 403 for a cohort a trainer
    does not coach, 400 for an end before the start or a package not of the course."""
    course, _version, mapped = insights.journey_map(current_user, course_id, _filters(args))
    return {"course_id": course.id, "learners": mapped.learners, "shown": mapped.shown,
            "stations": [_station(f) for f in mapped.stations]}  # fmt: skip


@bp.get(f"{COURSE}/satisfaction")
@bp.arguments(CourseFilter, location="query")
@bp.response(200, SatisfactionSchema)
def satisfaction(args, course_id: int):
    """Net Promoter Score overall and by month, mood by month, and comments by station without
    names (a station's only when five or more gave a pulse). Refusals as the journey map."""
    course, _version, found = insights.satisfaction(current_user, course_id, _filters(args))
    return {"course_id": course.id, "nps": _nps(found.nps),
            "nps_by_month": [_nps(n, month) for month, n in found.nps_by_month],
            "pulses": [{"month": p.month.isoformat()[:7], "learners": p.learners, "pulses": p.pulses,
                        "mood_average": p.mood_average} for p in found.pulses],
            "comments": [{"module": s.module, "station": s.title, "date": at.date(), "mood": mood, "text": text}
                         for s, said in found.comments for at, mood, text in said],
            "hidden_comments": found.hidden_comments}  # fmt: skip


@bp.get(f"{COURSE}/modalities")
@bp.arguments(CourseFilter, location="query")
@bp.response(200, ModalitiesSchema)
def modalities(args, course_id: int):
    """Self-paced, live, coaching and on-the-job compared. Refusals as the journey map."""
    course, _version, _journey, compared = insights.modalities(current_user, course_id, _filters(args))
    return {"course_id": course.id, "items": [
        {"modality": m.modality, "stations": m.stations, "completion": m.completion, "success_after": m.success_after,
         "mood_average": m.mood_average, "effort_average": m.effort_average,
         "time_against_estimate": m.time_against_estimate} for m in compared]}  # fmt: skip


@bp.get("/insights/people")
@bp.arguments(CohortFilter, location="query")
@bp.response(200, PeopleSchema)
def people(args):
    """The learners you may see (a trainer: whom they coach; an admin: everyone), on track or
    behind, last seen, open help requests; those needing attention first. 404 for an unknown
    cohort, 403 for a cohort a trainer does not coach."""
    found, total = insights.people(current_user, insights.Filters(cohort_id=args["cohort"]))
    return {"items": found, "total": total, "limit": insights.PEOPLE_LIMIT}
