"""Live sessions, the trainer's side: what can be scheduled, scheduling and changing sessions,
the trainer's schedule, attendance, and the scheduler's job that tells registrants of changes.

Rules
  - only trainers of the session's organisation see its trainer pages; only the session's own
    trainers change it or take its attendance;
  - present and late count as having done the item (``attended``); absent and excused record
    ``missed``, and the path moves to the next date or the self-paced alternative.
Services write in the caller's unit of work (``lxp.core.unit_of_work``); e-mails go out after its commit. Refusals raise
``lxp.core.errors`` types with a message for the person and change nothing.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from lxp import events
from lxp.accounts.models import User
from lxp.accounts.services import active_with_role
from lxp.authoring import kinds
from lxp.authoring.kinds import HTTP_URL
from lxp.authoring.models import Course, CourseVersion, Item
from lxp.cohorts.models import Cohort
from lxp.core.dates import viewer_date, viewer_datetime, viewer_wall_clock
from lxp.core.errors import Conflict, Invalid, NotAllowed, NotFound
from lxp.core.tenancy import get_in_organisation
from lxp.core.time import utcnow
from lxp.core.timezones import in_zone, local_to_utc
from lxp.extensions import db
from lxp.live import notices
from lxp.live.common import fill_free_seats, locked_session, registrations_of, replan_learner
from lxp.live.models import ATTENDANCE, SEAT_HOLDING, LiveSession, Registration, live_session_trainers
from lxp.paths import services as paths
from lxp.paths.models import Journey, JourneyCourse

UPDATE_QUIET_MINUTES = 5  # edits closer together than this make one update for registrants
ATTENDANCE_OPENS_BEFORE = timedelta(hours=1)
MAX_DATES = 12
MAX_CAPACITY = 500
MAX_CLAIM_HOURS = 24 * 7


# --- what can be scheduled ----------------------------------------------------------------


@dataclass(frozen=True)
class LiveItem:
    ref: str
    title: str
    course_title: str
    minutes: int
    item_id: int


def live_items(organisation_id: int) -> list[LiveItem]:
    """The live-session items of the organisation's published courses (newest published version)."""
    rows = db.session.execute(
        select(Item, CourseVersion)
        .join(CourseVersion, Item.version_id == CourseVersion.id)
        .join(Course, CourseVersion.course_id == Course.id)
        .where(Course.organisation_id == organisation_id, CourseVersion.status == "published",
               Item.kind.in_(kinds.where("attended")))
        .order_by(CourseVersion.number.desc())
    ).all()  # fmt: skip
    found: dict[str, LiveItem] = {}
    for item, version in rows:
        ref = paths.item_ref(version.course_id, item.key)
        if ref not in found:
            minutes = (item.content or {}).get("duration_minutes") or item.minutes
            found[ref] = LiveItem(ref, item.title, version.title, minutes, item.id)
    return sorted(found.values(), key=lambda i: (i.course_title.lower(), i.title.lower()))


def live_item(organisation_id: int, ref: str) -> LiveItem:
    """One live item of the organisation by ref. Raises ``NotFound``."""
    found = next((i for i in live_items(organisation_id) if i.ref == ref), None)
    if found is None:
        raise NotFound(_l("Choose a live session from a published course."), field="item")
    return found


# --- scheduling (trainers) ----------------------------------------------------------------


@dataclass(frozen=True)
class SessionDetails:
    """What a trainer fills in; times are local to ``timezone``."""

    dates: tuple[date, ...]
    start_time: time
    timezone: str
    duration_minutes: int
    place: str = ""
    video_url: str | None = None
    capacity: int = 12
    deadline_hours: int = 0  # registration closes this many hours before the start
    claim_hours: int | None = None  # None: promote from the waitlist at once
    co_trainer_ids: tuple[int, ...] = ()
    cohort_id: int | None = None  # for this cohort only


@dataclass(frozen=True)
class Scheduled:
    sessions: list[LiveSession]
    ambiguous: list[date]  # dates whose start happens twice (clocks go back): the first is meant


def _is_web_address(value: str) -> bool:
    try:
        HTTP_URL(value)
    except ValidationError:
        return False
    return len(value) <= 500


def _check_details(trainer: User, details: SessionDetails, now: datetime) -> tuple[list, list[User]]:
    """Each date's (start, end, deadline, ambiguous) in UTC, and the trainers. Raises ``Invalid``."""
    if not details.dates:
        raise Invalid(_l("Choose a date."), field="day")
    if len(set(details.dates)) != len(details.dates):
        raise Invalid(_l("Each date only once, please."), field="extra_dates")
    if len(details.dates) > MAX_DATES:
        raise Invalid(_l("Schedule at most %(num)d dates at once.", num=MAX_DATES), field="extra_dates")
    if not 5 <= details.duration_minutes <= 8 * 60:
        raise Invalid(_l("A session lasts between 5 minutes and 8 hours."), field="duration_minutes")
    if not 1 <= details.capacity <= MAX_CAPACITY:
        raise Invalid(_l("Give a capacity between 1 and %(num)d.", num=MAX_CAPACITY), field="capacity")
    if not 0 <= details.deadline_hours <= 24 * 30:
        raise Invalid(_l("Close registration between 0 and 720 hours before the start."), field="deadline_hours")
    if details.claim_hours is not None and not 1 <= details.claim_hours <= MAX_CLAIM_HOURS:
        raise Invalid(_l("A claim window lasts between 1 and %(num)d hours.", num=MAX_CLAIM_HOURS),
                      field="claim_hours")  # fmt: skip
    place, video_url = (details.place or "").strip(), (details.video_url or "").strip() or None
    if not place and not video_url:
        raise Invalid(_l("Give a place, a video link, or both."), field="place")
    if len(place) > 200:
        raise Invalid(_l("Use at most 200 characters for the place."), field="place")
    if video_url is not None and not _is_web_address(video_url):
        raise Invalid(_l("Give the video link as a full web address starting with https://."), field="video_url")
    colleagues = {u.id: u for u in active_with_role(trainer.organisation_id, "trainer")}
    if any(tid not in colleagues for tid in details.co_trainer_ids):
        raise Invalid(_l("Choose co-trainers from the list."), field="co_trainers")
    trainers = [trainer] + [colleagues[tid] for tid in sorted(set(details.co_trainer_ids)) if tid != trainer.id]
    if details.cohort_id is not None:
        cohort = db.session.get(Cohort, details.cohort_id)
        if cohort is None or cohort.organisation_id != trainer.organisation_id:
            raise Invalid(_l("Choose a cohort of your organisation."), field="cohort")
    times = []
    for day in sorted(details.dates):
        starts_at, ambiguous = local_to_utc(day, details.start_time, details.timezone)
        if starts_at <= now:
            raise Invalid(_l("%(date)s %(time)s has passed. Choose a time in the future.", date=viewer_date(day),
                             time=viewer_wall_clock(details.start_time)), field="day")  # fmt: skip
        deadline = starts_at - timedelta(hours=details.deadline_hours)
        times.append((day, starts_at, starts_at + timedelta(minutes=details.duration_minutes), deadline, ambiguous))
    return times, trainers


def schedule_sessions(trainer: User, ref: str, details: SessionDetails, now: datetime | None = None) -> Scheduled:
    """Schedule one date, or several sharing a series id, of the live item ``ref``.

    Raises ``NotFound`` (not a live item of a published course of the trainer's organisation)
    and ``Invalid`` (a time in the past or one the clocks skip, no place and no link, a bad
    link, capacity, deadline, claim window or co-trainer).
    """
    now = now or utcnow()
    item = live_item(trainer.organisation_id, ref)
    times, trainers = _check_details(trainer, details, now)
    series_id = uuid.uuid4().hex if len(times) > 1 else None
    course_id, _, key = ref.partition(":")
    created = []
    for _day, starts_at, ends_at, deadline, _ambiguous in times:
        session = LiveSession(
            organisation_id=trainer.organisation_id, course_id=int(course_id), item_key=key, item_id=item.item_id,
            series_id=series_id, starts_at=starts_at, ends_at=ends_at, timezone=details.timezone,
            place=details.place.strip(), video_url=(details.video_url or "").strip() or None,
            capacity=details.capacity, registration_deadline=deadline, claim_hours=details.claim_hours,
            created_by_id=trainer.id, created_at=now, updated_at=now, trainers=trainers, cohort_id=details.cohort_id,
        )  # fmt: skip
        db.session.add(session)
        created.append(session)
    db.session.flush()
    _replan_learners_of_item(trainer.organisation_id, ref)
    db.session.flush()
    return Scheduled(created, [day for day, *_rest, ambiguous in times if ambiguous])


def session_for_trainer(trainer: User, session_id: int, *, own: bool = True) -> LiveSession:
    """A session of the trainer's organisation. Raises ``NotFound`` (none, or another
    organisation's) and, with ``own``, ``NotAllowed`` when the trainer does not teach it."""
    session = get_in_organisation(LiveSession, session_id, trainer.organisation_id, _l("No such session."))
    if own and trainer not in session.trainers:
        raise NotAllowed(_l("Only the trainers of this session can change it or take its attendance."))
    return session


@dataclass(frozen=True)
class Changed:
    session: LiveSession
    ambiguous: bool


def update_session(trainer: User, session_id: int, details: SessionDetails, now: datetime | None = None) -> Changed:
    """Change a session (``details.dates`` holds its one date). When its time, place or link
    changes and people are registered, an ``updated`` event is recorded and they are told once
    the edits have settled (``send_pending_session_updates``); calendars get a higher SEQUENCE.

    Raises ``NotFound``, ``NotAllowed`` (not the trainer's session), ``Conflict`` (cancelled or
    started) and ``Invalid`` (as for scheduling, and a capacity below the seats already taken).
    """
    now = now or utcnow()
    session = session_for_trainer(trainer, session_id)
    session = locked_session(session.id)
    if session.cancelled:
        raise Conflict(_l("This session was cancelled; it cannot be changed."))
    if session.starts_at <= now:
        raise Conflict(_l("This session has started; it cannot be changed any more."))
    if len(details.dates) != 1:
        raise Invalid(_l("Choose a date."), field="day")
    times, trainers = _check_details(trainer, details, now)
    _day, starts_at, ends_at, deadline, ambiguous = times[0]
    registrations = registrations_of(session.id)
    taken = sum(1 for r in registrations if r.status in SEAT_HOLDING)
    if details.capacity < taken:
        raise Invalid(_l("%(num)d people already hold a seat: the capacity cannot be lower than that.", num=taken),
                      field="capacity")  # fmt: skip
    before = {"starts_at": session.starts_at.isoformat(), "ends_at": session.ends_at.isoformat(),
              "timezone": session.timezone, "place": session.place, "video_url": session.video_url}  # fmt: skip
    after = {"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(), "timezone": details.timezone,
             "place": details.place.strip(), "video_url": (details.video_url or "").strip() or None}  # fmt: skip
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    moved = "starts_at" in changes or "ends_at" in changes
    session.starts_at, session.ends_at, session.timezone = starts_at, ends_at, details.timezone
    session.place, session.video_url = after["place"], after["video_url"]
    session.registration_deadline = deadline
    session.claim_hours = details.claim_hours
    session.cohort_id = details.cohort_id  # those already registered keep their place
    session.trainers = trainers if trainer in trainers else [trainer, *trainers]
    grew = details.capacity > session.capacity
    session.capacity = details.capacity
    session.updated_at = now
    if changes:
        session.sequence += 1
        if registrations:
            events.record(actor_id=trainer.id, verb="updated", object_type="live_session", object_id=session.id,
                          context={"item": session.ref, "changes": changes})  # fmt: skip
            session.update_pending_at = now
    if grew:
        fill_free_seats(session, now)
    if moved:
        for registration in registrations:
            replan_learner(registration.learner)
    db.session.flush()
    return Changed(session, ambiguous)


def cancel_session(trainer: User, session_id: int, now: datetime | None = None) -> LiveSession:
    """Cancel a session: registrants and the waitlist are told after the commit, their paths
    move to the next date or the self-paced alternative, calendars show it cancelled.

    Raises ``NotFound``, ``NotAllowed`` and ``Conflict`` (already cancelled, or over).
    """
    now = now or utcnow()
    session = locked_session(session_for_trainer(trainer, session_id).id)
    if session.cancelled:
        raise Conflict(_l("This session is cancelled already."))
    if session.ends_at <= now:
        raise Conflict(_l("This session is over; it cannot be cancelled."))
    session.status = "cancelled"
    session.cancelled_at = session.updated_at = now
    session.sequence += 1
    session.update_pending_at = None  # the cancellation says it all
    events.record(actor_id=trainer.id, verb="cancelled", object_type="live_session", object_id=session.id,
                  context={"item": session.ref})  # fmt: skip
    for registration in registrations_of(session.id):
        notices.tell(registration.learner, "cancelled", session, with_video=False,
                     invite=registration.status == "registered")  # fmt: skip
        replan_learner(registration.learner)
    db.session.flush()
    return session


def send_pending_session_updates(now: datetime | None = None) -> int:
    """Tell registrants (and the waitlist) about sessions whose last change is at least
    ``UPDATE_QUIET_MINUTES`` old: one e-mail per person and session however many edits there
    were. For the scheduler; returns how many e-mails were sent."""
    now = now or utcnow()
    quiet = now - timedelta(minutes=UPDATE_QUIET_MINUTES)
    due = db.session.execute(
        select(LiveSession)
        .where(LiveSession.update_pending_at.is_not(None), LiveSession.update_pending_at <= quiet,
               LiveSession.status == "scheduled")
        .order_by(LiveSession.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).scalars().all()  # fmt: skip
    sent = 0
    for session in due:
        session.update_pending_at = None
        for registration in registrations_of(session.id):
            notices.tell(registration.learner, "updated", session, with_video=registration.status == "registered")
            sent += 1
    db.session.flush()
    return sent


def _replan_learners_of_item(organisation_id: int, ref: str) -> None:
    """New dates of an item: re-plan the active journeys that are on its course."""
    course_id = int(ref.partition(":")[0])
    journeys = db.session.execute(
        select(Journey).join(JourneyCourse, JourneyCourse.journey_id == Journey.id)
        .join(User, User.id == Journey.learner_id)
        .where(JourneyCourse.course_id == course_id, Journey.status == "active", User.organisation_id == organisation_id)
    ).scalars().all()  # fmt: skip
    for journey in journeys:
        paths.refresh_plan(journey, f"a date of {ref} scheduled")


# --- the trainer's schedule ---------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    session: LiveSession
    title: str
    taken: int
    waiting: int

    @property
    def seats_left(self) -> int:
        return max(self.session.capacity - self.taken, 0)


@dataclass(frozen=True)
class Week:
    monday: date
    rows: list[SessionRow]


def session_rows(sessions: list[LiveSession]) -> list[SessionRow]:
    """Sessions with their seats taken and waitlist length (one query for the counts)."""
    ids = [s.id for s in sessions]
    counts: dict[int, tuple[int, int]] = {}
    if ids:
        for session_id, taken, waiting in db.session.execute(
            select(Registration.session_id,
                   func.sum(case((Registration.status.in_(SEAT_HOLDING), 1), else_=0)),
                   func.sum(case((Registration.status == "waitlisted", 1), else_=0)))
            .where(Registration.session_id.in_(ids))
            .group_by(Registration.session_id)
        ):  # fmt: skip
            counts[session_id] = (int(taken or 0), int(waiting or 0))
    return [SessionRow(s, s.item.title, *counts.get(s.id, (0, 0))) for s in sessions]


def trainer_schedule(
    trainer: User, now: datetime | None = None
) -> tuple[list[Week], list[tuple[SessionRow, SessionRow]]]:
    """The trainer's sessions from a week ago on, by week (Monday to Sunday in the trainer's own
    zone), and the pairs of their scheduled sessions that overlap."""
    now = now or utcnow()
    sessions = list(
        db.session.execute(
            select(LiveSession)
            .join(live_session_trainers, live_session_trainers.c.session_id == LiveSession.id)
            .where(live_session_trainers.c.user_id == trainer.id, LiveSession.ends_at >= now - timedelta(days=7))
            .order_by(LiveSession.starts_at, LiveSession.id)
            .options(selectinload(LiveSession.item))
        ).scalars()
    )  # fmt: skip
    rows = session_rows(sessions)
    weeks: dict[date, list[SessionRow]] = defaultdict(list)
    for row in rows:
        local_day = in_zone(row.session.starts_at, trainer.timezone or "UTC").date()
        weeks[local_day - timedelta(days=local_day.weekday())].append(row)
    live = [r for r in rows if not r.session.cancelled]
    overlaps = [
        (a, b)
        for n, a in enumerate(live)
        for b in live[n + 1 :]
        if a.session.starts_at < b.session.ends_at and b.session.starts_at < a.session.ends_at
    ]
    return [Week(monday, weeks[monday]) for monday in sorted(weeks)], overlaps


# --- attendance ---------------------------------------------------------------------------


def attendance_sheet(
    trainer: User, session_id: int, now: datetime | None = None
) -> tuple[LiveSession, list[Registration]]:
    """The session and the people holding a seat, by name. Raises ``NotFound``, ``NotAllowed``."""
    session = session_for_trainer(trainer, session_id)
    registrations = [r for r in registrations_of(session.id, ("registered",))]
    return session, sorted(registrations, key=lambda r: r.learner.display_name.lower())


def attendance_opens_at(session: LiveSession) -> datetime:
    """When attendance can first be taken: an hour before the start."""
    return session.starts_at - ATTENDANCE_OPENS_BEFORE


def attendance_is_open(session: LiveSession, now: datetime | None = None) -> bool:
    """True when ``mark_attendance`` would take marks now (not cancelled, the hour before has come)."""
    return not session.cancelled and (now or utcnow()) >= attendance_opens_at(session)


def mark_attendance(trainer: User, session_id: int, marks: dict[int, str], now: datetime | None = None) -> int:
    """Record who came: ``marks`` maps registration ids to present, late, absent or excused.
    Present and late record ``attended`` on the item (it counts as done); absent and excused
    record ``missed`` and re-plan the learner's path to the next date or the alternative. A
    changed mark voids the earlier event. Returns how many marks changed.

    Raises ``NotFound``, ``NotAllowed`` (not this session's trainer), ``Conflict`` (cancelled,
    or more than an hour before the start) and ``Invalid`` (an unknown mark or person).
    """
    now = now or utcnow()
    session = locked_session(session_for_trainer(trainer, session_id).id)
    if session.cancelled:
        raise Conflict(_l("This session was cancelled."))
    if now < attendance_opens_at(session):
        raise Conflict(_l("Attendance can be taken from an hour before the start, from %(when)s.",
                          when=viewer_datetime(attendance_opens_at(session))))  # fmt: skip
    seated = {r.id: r for r in registrations_of(session.id, ("registered",))}
    for registration_id, mark in marks.items():
        if registration_id not in seated:
            raise Invalid(_l("That person is not registered for this session."))
        if mark not in ATTENDANCE:
            raise Invalid(_l("Mark each person present, late, absent or excused."))
    changed = 0
    for registration_id, mark in sorted(marks.items()):
        registration = seated[registration_id]
        if registration.attendance == mark:
            continue
        if registration.attendance_event_id:
            events.void(actor_id=trainer.id, event_id=uuid.UUID(registration.attendance_event_id),
                        reason="attendance corrected")  # fmt: skip
        came = mark in ("present", "late")
        event = events.record(actor_id=registration.learner_id, verb="attended" if came else "missed",
                              object_type="item", object_id=session.ref,
                              result={"completion": came, "extensions": {"attendance": mark}},
                              context={"session": session.id, "instructor": trainer.id})  # fmt: skip
        registration.attendance, registration.attendance_event_id = mark, str(event.id)
        registration.updated_at = now
        changed += 1
        replan_learner(registration.learner)
    db.session.flush()
    return changed
