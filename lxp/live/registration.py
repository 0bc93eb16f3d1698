"""Live sessions, the learner's side: registering, the waitlist and offered seats, what learners
see of their sessions, the scheduler's job that withdraws unclaimed offers, and the dates the path
planner can use.

Rules
  - registration needs a scheduled session that has not started and whose deadline has not
    passed; a full session puts the learner on the waitlist;
  - seats are counted under a row lock on the session (``SELECT ... FOR UPDATE``; SQLite
    serialises writers already), so two people taking the last seat get one seat and one
    waitlist place;
  - a freed seat goes to the first person waiting: at once, or as an offer they confirm within
    the session's claim window.
Services write in the caller's unit of work (``lxp.core.unit_of_work``); e-mails go out after its commit. Refusals raise
``lxp.core.errors`` types with a message for the person and change nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from lxp import events
from lxp.accounts.models import User
from lxp.authoring import kinds
from lxp.authoring.models import Item
from lxp.cohorts.models import cohort_members
from lxp.core.dates import viewer_datetime, viewer_span
from lxp.core.errors import Conflict, NotFound
from lxp.core.statements import one_of, prepared
from lxp.core.tenancy import get_in_organisation
from lxp.core.time import utcnow
from lxp.core.timezones import in_zone
from lxp.extensions import db
from lxp.live import notices
from lxp.live.common import ACTIVE, fill_free_seats, locked_session, registrations_of, replan_learner
from lxp.live.models import SEAT_HOLDING, LiveSession, Registration
from lxp.live.scheduling import LiveItem, SessionRow, live_item, session_rows
from lxp.paths import services as paths
from lxp.paths.models import JourneyCourse

# --- registration (learners) --------------------------------------------------------------


def _open_to(learner_id: int):
    """Sessions this learner may see: for everyone, or for a cohort of theirs."""
    their_cohorts = select(cohort_members.c.cohort_id).where(cohort_members.c.user_id == learner_id)
    return or_(LiveSession.cohort_id.is_(None), LiveSession.cohort_id.in_(their_cohorts))


def session_for_learner(learner: User, session_id: int) -> LiveSession:
    """A session of the learner's organisation open to them (or one they hold a place on).
    Raises ``NotFound``."""
    session = get_in_organisation(LiveSession, session_id, learner.organisation_id, _l("No such session."))
    if session.cohort_id is not None:
        member = db.session.execute(
            select(cohort_members.c.user_id).where(
                cohort_members.c.cohort_id == session.cohort_id, cohort_members.c.user_id == learner.id
            )
        ).first()
        if member is None and registration_of(learner.id, session.id) is None:
            raise NotFound(_l("No such session."))
    return session


def registration_of(learner_id: int, session_id: int) -> Registration | None:
    return db.session.execute(
        select(Registration).where(Registration.session_id == session_id, Registration.learner_id == learner_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()  # fmt: skip


def _deadline_text(session: LiveSession) -> str:
    return viewer_datetime(session.registration_deadline)


class OverlapNeedsConfirmation(Conflict):
    """Registering would overlap a session the learner holds a seat on; ``clashes`` are those
    sessions, soonest first. Registering again with ``confirm_overlap`` takes the place anyway."""

    def __init__(self, message, clashes: list[LiveSession]):
        super().__init__(message, field="confirm_overlap")
        self.clashes = clashes


def overlapping_seats(learner_id: int, session: LiveSession) -> list[LiveSession]:
    """The other live sessions, not cancelled, on which the learner holds a seat (or has one
    offered) and whose time overlaps ``session``'s, soonest first."""
    return list(
        db.session.execute(
            select(LiveSession)
            .join(Registration, Registration.session_id == LiveSession.id)
            .where(Registration.learner_id == learner_id, Registration.status.in_(SEAT_HOLDING),
                   LiveSession.id != session.id, LiveSession.status == "scheduled",
                   LiveSession.starts_at < session.ends_at, LiveSession.ends_at > session.starts_at)
            .order_by(LiveSession.starts_at, LiveSession.id)
            .options(selectinload(LiveSession.item))
        ).scalars()
    )  # fmt: skip


def _overlap_message(clashes: list[LiveSession]):
    first = clashes[0]
    return _l("This session overlaps with \u201c%(title)s\u201d (%(when)s), where you already hold a seat.",
              title=first.item.title, when=viewer_span(first.starts_at, first.ends_at))  # fmt: skip


def register_for_session(
    learner: User, session_id: int, now: datetime | None = None, *, confirm_overlap: bool = False
) -> Registration:
    """Take a seat, or a place on the waitlist when the session is full; returns the
    registration (``status`` says which). A session that overlaps one the learner holds a seat
    on is taken only with ``confirm_overlap`` (a person may mean to leave early or swap).

    Raises ``NotFound`` (no such session in the learner's organisation), ``Conflict``
    (cancelled, started or over, registration closed, already registered or waiting) and
    ``OverlapNeedsConfirmation`` (overlaps a seat they hold, and not confirmed).
    """
    now = now or utcnow()
    session_for_learner(learner, session_id)
    session = locked_session(session_id)  # seats are counted under the lock: see the module docstring
    if session.cancelled:
        raise Conflict(_l("This session has been cancelled."))
    if session.starts_at <= now:
        raise Conflict(_l("This session has already started; registration is closed."))
    if now > session.registration_deadline:
        raise Conflict(_l("Registration closed on %(deadline)s.", deadline=_deadline_text(session)))
    registration = registration_of(learner.id, session.id)
    if registration is not None and registration.status in ACTIVE:
        message = (_l("You are already on the waitlist for this session.") if registration.status == "waitlisted"
                   else _l("You are already registered for this session."))  # fmt: skip
        raise Conflict(message)
    clashes = overlapping_seats(learner.id, session)
    if clashes and not confirm_overlap:
        raise OverlapNeedsConfirmation(_overlap_message(clashes), clashes)
    taken = _seats_taken(session.id)
    status = "registered" if taken < session.capacity else "waitlisted"
    if registration is None:
        registration = Registration(session_id=session.id, learner_id=learner.id, created_at=now)
        db.session.add(registration)
    registration.status, registration.queued_at, registration.updated_at = status, now, now
    registration.offer_expires_at = registration.attendance = registration.attendance_event_id = None
    events.record(actor_id=learner.id, verb="registered", object_type="live_session", object_id=session.id,
                  context={"item": session.ref, "waitlisted": status == "waitlisted"})  # fmt: skip
    db.session.flush()
    if status == "registered":
        replan_learner(learner)
        notices.tell(learner, "registered", session)  # the confirmation, with the calendar invitation
    db.session.flush()
    return registration


def _seats_taken(session_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Registration)
        .where(Registration.session_id == session_id, Registration.status.in_(SEAT_HOLDING))
    )  # fmt: skip


def cancel_registration(learner: User, session_id: int, now: datetime | None = None) -> None:
    """Give up a seat, an offered seat or a waitlist place; a freed seat goes to the next person
    waiting. Raises ``NotFound`` and ``Conflict`` (not registered, or the session has started)."""
    now = now or utcnow()
    session_for_learner(learner, session_id)
    session = locked_session(session_id)
    registration = registration_of(learner.id, session.id)
    if registration is None or registration.status not in ACTIVE:
        raise Conflict(_l("You are not registered for this session."))
    if session.starts_at <= now and not session.cancelled:
        raise Conflict(_l("This session has already started."))
    had_seat, in_calendar = registration.status in SEAT_HOLDING, registration.status == "registered"
    registration.status, registration.offer_expires_at, registration.updated_at = "cancelled", None, now
    events.record(actor_id=learner.id, verb="unregistered", object_type="live_session", object_id=session.id,
                  context={"item": session.ref})  # fmt: skip
    db.session.flush()
    if in_calendar and not session.cancelled:  # their calendar has it from the confirmation: take it out
        notices.tell(learner, "unregistered", session, with_video=False, invite=True)
    if had_seat:
        fill_free_seats(session, now)
        replan_learner(learner)
    db.session.flush()


def claim_seat(learner: User, session_id: int, now: datetime | None = None) -> Registration:
    """Confirm a seat offered from the waitlist within its claim window.

    Raises ``NotFound`` and ``Conflict`` (no offer, or the window has closed)."""
    now = now or utcnow()
    session_for_learner(learner, session_id)
    session = locked_session(session_id)
    registration = registration_of(learner.id, session.id)
    if registration is None or registration.status != "offered":
        raise Conflict(_l("There is no seat waiting for you on this session."))
    if session.cancelled or registration.offer_expires_at <= now:
        raise Conflict(_l("The time to confirm this seat has passed."))
    registration.status, registration.offer_expires_at, registration.updated_at = "registered", None, now
    events.record(actor_id=learner.id, verb="registered", object_type="live_session", object_id=session.id,
                  context={"item": session.ref, "claimed": True})  # fmt: skip
    replan_learner(learner)
    notices.tell(learner, "registered", session)
    db.session.flush()
    return registration


def expire_claims(now: datetime | None = None) -> int:
    """Withdraw offered seats not confirmed in time and offer them to the next people waiting.
    For the scheduler; returns how many offers expired."""
    now = now or utcnow()
    session_ids = sorted(set(db.session.execute(
        select(Registration.session_id).where(Registration.status == "offered", Registration.offer_expires_at <= now)
    ).scalars()))  # fmt: skip
    expired = 0
    for session_id in session_ids:
        session = locked_session(session_id)
        for registration in registrations_of(session_id, ("offered",)):
            if registration.offer_expires_at <= now:
                registration.status, registration.updated_at = "expired", now
                notices.tell(registration.learner, "expired", session)
                expired += 1
        db.session.flush()
        fill_free_seats(session, now)
    db.session.flush()
    return expired


# --- what learners see --------------------------------------------------------------------


@dataclass(frozen=True)
class LearnerSession:
    row: SessionRow
    registration: Registration | None
    clashes: list[LiveSession]

    @property
    def session(self) -> LiveSession:
        return self.row.session

    @property
    def status(self) -> str | None:
        return self.registration.status if self.registration and self.registration.status in ACTIVE else None


def _learner_view(learner: User, sessions: list[LiveSession]) -> list[LearnerSession]:
    mine = {
        r.session_id: r
        for r in db.session.execute(
            select(Registration)
            .where(Registration.learner_id == learner.id)
            .options(selectinload(Registration.session))
        ).scalars()
    }
    held = [r.session for r in mine.values() if r.status in SEAT_HOLDING and not r.session.cancelled]
    result = []
    for row in session_rows(sessions):
        s = row.session
        clashes = [o for o in held if o.id != s.id and o.starts_at < s.ends_at and s.starts_at < o.ends_at]
        result.append(LearnerSession(row, mine.get(s.id), clashes))
    return result


def path_live_refs(learner: User) -> list[str]:
    """Refs of the live-session items on the learner's open journey."""
    journey = paths.open_journey(learner)
    if journey is None:
        return []
    course_of = {jc.version_id: jc.course_id for jc in journey.courses}
    keys = db.session.execute(
        select(Item.version_id, Item.key).where(Item.version_id.in_(list(course_of)),
                                                 Item.kind.in_(kinds.where("attended")))
    ).all()  # fmt: skip
    return sorted({paths.item_ref(course_of[version_id], key) for version_id, key in keys})


def sessions_for_learner(learner: User, now: datetime | None = None) -> list[LearnerSession]:
    """Upcoming sessions of the live items on the learner's path, and any session they hold a
    place on (cancelled ones included, so they see the news), by start."""
    now = now or utcnow()
    refs = path_live_refs(learner)
    item_filter = [and_(LiveSession.course_id == int(r.partition(":")[0]), LiveSession.item_key == r.partition(":")[2])
                   for r in refs]  # fmt: skip
    mine = select(Registration.session_id).where(Registration.learner_id == learner.id,
                                                  Registration.status.in_(ACTIVE))  # fmt: skip
    sessions = list(
        db.session.execute(
            select(LiveSession)
            .where(LiveSession.organisation_id == learner.organisation_id, LiveSession.ends_at > now,
                   or_(and_(LiveSession.status == "scheduled", _open_to(learner.id), or_(*item_filter))
                       if item_filter else False, LiveSession.id.in_(mine)))
            .order_by(LiveSession.starts_at, LiveSession.id)
            .options(selectinload(LiveSession.item))
        ).scalars()
    )  # fmt: skip
    return _learner_view(learner, sessions)


def item_sessions(learner: User, ref: str, now: datetime | None = None) -> tuple[LiveItem, list[LearnerSession]]:
    """A live item of the learner's organisation and its upcoming dates. Raises ``NotFound``."""
    now = now or utcnow()
    item = live_item(learner.organisation_id, ref)
    course_id, _, key = ref.partition(":")
    sessions = list(
        db.session.execute(
            select(LiveSession)
            .where(LiveSession.organisation_id == learner.organisation_id, LiveSession.course_id == int(course_id),
                   LiveSession.item_key == key, LiveSession.ends_at > now, _open_to(learner.id))
            .order_by(LiveSession.starts_at, LiveSession.id)
            .options(selectinload(LiveSession.item))
        ).scalars()
    )  # fmt: skip
    return item, _learner_view(learner, sessions)


def learner_session(learner: User, session_id: int) -> LearnerSession:
    """One session as the learner sees it. Raises ``NotFound``."""
    return _learner_view(learner, [session_for_learner(learner, session_id)])[0]


@dataclass(frozen=True)
class UpcomingSession:
    session_id: int
    item_ref: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str
    video_url: str | None
    status: str  # registered, or offered (to confirm before ``offer_expires_at``)
    offer_expires_at: datetime | None


@prepared
def _seats_ahead():
    return (
        select(LiveSession.id, LiveSession.course_id, LiveSession.item_key, Item.title, LiveSession.starts_at,
               LiveSession.ends_at, LiveSession.timezone, LiveSession.place, LiveSession.video_url,
               Registration.status, Registration.offer_expires_at)
        .join(Registration, Registration.session_id == LiveSession.id)
        .join(Item, Item.id == LiveSession.item_id)
        .where(Registration.learner_id == bindparam("learner_id"), one_of(Registration.status, SEAT_HOLDING),
               LiveSession.status == "scheduled", LiveSession.ends_at > bindparam("now"))
        .order_by(LiveSession.starts_at, LiveSession.id)
        .limit(bindparam("limit"))
    )  # fmt: skip


def upcoming_for_learner(learner_id: int, now: datetime | None = None, limit: int = 3) -> list[UpcomingSession]:
    """The learner's next sessions they hold a seat on (or have been offered one), including one
    under way, soonest first, in one query (for Today)."""
    rows = db.session.execute(_seats_ahead(), {"learner_id": learner_id, "now": now or utcnow(), "limit": limit}).all()
    return [UpcomingSession(r[0], paths.item_ref(r[1], r[2]), *r[3:]) for r in rows]


# --- for the path planner -----------------------------------------------------------------


@prepared
def _attendable():
    """The upcoming scheduled sessions of the courses of journey ``:journey_id`` that learner
    ``:learner_id`` may see or holds a place on, with their place, seats taken and zone.
    Prepared: building this statement cost more than running it, on every completion."""
    learner_id = bindparam("learner_id")
    mine = aliased(Registration)
    taken = (
        select(func.count())
        .where(Registration.session_id == LiveSession.id, one_of(Registration.status, SEAT_HOLDING))
        .correlate(LiveSession)
        .scalar_subquery()
    )
    zone = select(User.timezone).where(User.id == learner_id).scalar_subquery()
    courses = select(JourneyCourse.course_id).where(JourneyCourse.journey_id == bindparam("journey_id"))
    return (
        select(LiveSession.course_id, LiveSession.item_key, LiveSession.starts_at, LiveSession.capacity,
               LiveSession.registration_deadline, mine.status, mine.attendance, taken, zone)
        .outerjoin(mine, and_(mine.session_id == LiveSession.id, mine.learner_id == learner_id))
        .where(LiveSession.course_id.in_(courses), LiveSession.status == "scheduled",
               LiveSession.starts_at > bindparam("now"), or_(_open_to(learner_id), mine.status.is_not(None)))
        .order_by(LiveSession.starts_at)
    )  # fmt: skip


@paths.live_dates_source
def live_dates(journey_id: int, learner_id: int, now: datetime) -> dict[str, list[date]]:
    """Per live item ref of the journey's courses, the local dates (in the learner's zone) of the
    sessions the learner can attend: those they hold a seat on when they hold one for that
    item, else every upcoming scheduled session whose registration is open and that has a free
    seat. Sessions they were marked absent or excused from are left out. One query."""
    wanted = {"journey_id": journey_id, "learner_id": learner_id, "now": now}
    rows = db.session.execute(_attendable(), wanted).all()
    held: dict[str, list[date]] = defaultdict(list)
    open_: dict[str, list[date]] = defaultdict(list)
    for course_id, key, starts_at, capacity, deadline, status, attendance, seats, tz in rows:
        if attendance in ("absent", "excused"):
            continue
        ref = paths.item_ref(course_id, key)
        day = in_zone(starts_at, tz or "UTC").date()
        if status in SEAT_HOLDING:
            held[ref].append(day)
        elif deadline >= now and seats < capacity:
            open_[ref].append(day)
    return {ref: sorted(set(held.get(ref) or open_[ref])) for ref in set(held) | set(open_)}


def offerable_sessions(learner: User, now: datetime | None = None, limit: int = 10) -> list[LiveSession]:
    """Upcoming sessions of the courses on the learner's open journey that are open to them and
    still take registrations, soonest first (at most ``limit``): what a coach may offer them."""
    return offerable_sessions_for([learner], now, limit)[learner.id]


def offerable_sessions_for(learners: list[User], now: datetime | None = None,
                           limit: int = 10) -> dict[int, list[LiveSession]]:  # fmt: skip
    """``offerable_sessions`` of each of the learners, by id, in at most five statements however
    many there are (the trainer's desk and the flagged learners' list show them for everyone)."""
    now = now or utcnow()
    journeys = paths.open_journeys_of(learner.id for learner in learners)
    courses_of = {learner_id: {jc.course_id for jc in journey.courses} for learner_id, journey in journeys.items()}
    wanted = set().union(*courses_of.values())
    sessions = list(db.session.execute(
        select(LiveSession)
        .where(LiveSession.organisation_id.in_(sorted({learner.organisation_id for learner in learners})),
               LiveSession.course_id.in_(sorted(wanted)), LiveSession.status == "scheduled", LiveSession.starts_at > now,
               LiveSession.registration_deadline > now)
        .order_by(LiveSession.starts_at, LiveSession.id)
        .options(selectinload(LiveSession.item))
    ).scalars()) if wanted else []  # fmt: skip
    cohorts_of: dict[int, set[int]] = {}
    if any(session.cohort_id is not None for session in sessions):
        for user_id, cohort_id in db.session.execute(
            select(cohort_members.c.user_id, cohort_members.c.cohort_id)
            .where(cohort_members.c.user_id.in_(list(courses_of)))
        ).all():  # fmt: skip
            cohorts_of.setdefault(user_id, set()).add(cohort_id)
    offered = {}
    for learner in learners:
        courses, cohorts = courses_of.get(learner.id, set()), cohorts_of.get(learner.id, set())
        offered[learner.id] = [
            s for s in sessions
            if s.organisation_id == learner.organisation_id and s.course_id in courses
            and (s.cohort_id is None or s.cohort_id in cohorts)  # as _open_to says in SQL
        ][:limit]  # fmt: skip
    return offered
