"""What a coach offers a flagged learner from the desk, done at once and explained to them:
a place at an upcoming live session of their course, or a lighter weekly plan.

Each action is recorded on the flag (``services.record_action``) and the learner is told in
their conversation with the coach (``coaching.threads.post_message``: the inbox, and the
channels they chose), in their language, with why they hear it and that they can turn this
support off. Services never commit (see ``lxp.core.unit_of_work``).
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lxp.accounts.models import User
from lxp.channels import external_url
from lxp.coaching import threads
from lxp.coaching.models import CoachingThread
from lxp.core.dates import format_moment
from lxp.core.errors import Invalid
from lxp.extensions import db
from lxp.live import registration
from lxp.live.models import LiveSession
from lxp.paths import services as paths
from lxp.risk import services
from lxp.risk.models import RiskFlag

LIGHTER_SHARE = 2 / 3  # a simpler plan asks this share of the weekly minutes, rounded down to 5


def lighter_minutes(minutes: int) -> int:
    """The weekly minutes of a simpler plan: two thirds, rounded down to 5, never under the
    planner's minimum (equal to ``minutes`` when it cannot go lower)."""
    return max(paths.MIN_WEEKLY_MINUTES, min(minutes, int(minutes * LIGHTER_SHARE) // 5 * 5))


def session_choices(flags: list[RiskFlag]) -> dict[int, list[LiveSession]]:
    """Per flag id, the upcoming sessions of the learner's course a coach may offer."""
    return {flag.id: registration.offerable_sessions(flag.learner) for flag in flags}


def plan_minutes(flags: list[RiskFlag]) -> dict[int, tuple[int, int] | None]:
    """Per flag id, the learner's weekly minutes now and in a simpler plan (None: no open path)."""
    found = {}
    for flag in flags:
        journey = paths.open_journey(flag.learner)
        found[flag.id] = None if journey is None else (journey.weekly_minutes, lighter_minutes(journey.weekly_minutes))
    return found


def _why() -> str:
    return _("Why you get this: lxp noticed your learning has been harder or quieter lately and let me know. "
             "You can turn this support off on your profile.")  # fmt: skip


def _locale(learner: User) -> str:
    return learner.locale or current_app.config["DEFAULT_LOCALE"]


def offer_session(coach: User, flag_id: int, session_id: int | None) -> CoachingThread:
    """Offer the flagged learner a place at one upcoming session of their course: recorded on
    the flag, and written to the learner in the conversation with a link to sign up. Returns
    the thread. Raises ``NotFound`` (not a learner they coach), ``Invalid`` (a session not among
    those the learner may still join; from ``threads``: the learner has no path)."""
    flag = services.flag_for_coach(coach, flag_id)
    learner = flag.learner
    session = next((s for s in registration.offerable_sessions(learner) if s.id == session_id), None)
    if session is None:
        raise Invalid(_l("Choose one of the upcoming sessions of their course."), field="session_id")
    thread = threads.open_thread(learner, None, opened_by=coach)
    with force_locale(_locale(learner)):
        when = format_moment(session.starts_at, _locale(learner), learner.timezone or "UTC")
        body = "\n\n".join((
            _("I would like to offer you a place at a live session that may help: %(title)s, %(when)s. "
              "You can sign up here: %(link)s", title=session.item.title, when=when,
              link=external_url("live.session", session_id=session.id)),
            _why(),
        ))  # fmt: skip
    threads.post_message(coach, thread, body)
    services.record_action(flag, coach, "offer_session")
    if flag.action == "offer_session":
        flag.offered_session_id = session.id
    db.session.flush()
    return thread


def simplify_plan(coach: User, flag_id: int) -> CoachingThread:
    """Make the flagged learner's plan lighter (``lighter_minutes``) and re-spread it; recorded
    on the flag with the minutes before and after, and explained to the learner in the
    conversation, with how to change it back. Returns the thread. Raises ``NotFound`` (not a
    learner they coach), ``Invalid`` (no open path, or the plan is already as light as it goes)."""
    flag = services.flag_for_coach(coach, flag_id)
    learner = flag.learner
    journey = paths.open_journey(learner)
    if journey is None:
        raise Invalid(_l("This learner has no path to make lighter."))
    before, after = journey.weekly_minutes, lighter_minutes(journey.weekly_minutes)
    if after >= before:
        raise Invalid(_l("Their plan already asks the fewest minutes a week it can."))
    thread = threads.open_thread(learner, None, opened_by=coach)
    journey.weekly_minutes = after
    paths.refresh_plan(journey, "a coach made the plan lighter")
    with force_locale(_locale(learner)):
        body = "\n\n".join((
            _("I made your plan lighter: %(after)d minutes a week instead of %(before)d, so it fits better "
              "right now. Your steps are spread out again; you can change the minutes back any time when you "
              "change your path.", after=after, before=before),
            _why(),
        ))  # fmt: skip
    threads.post_message(coach, thread, body)
    services.record_action(flag, coach, "simplify_plan")
    if flag.action == "simplify_plan":
        flag.minutes_before, flag.minutes_after = before, after
    db.session.flush()
    return thread
