"""What a coach or an admin offers a flagged learner, done at once and explained to them:
a message, a place at an upcoming live session of their course, or a lighter weekly plan.

Each action is recorded on the flag (``services.record_action``) and the learner is told in
their language, with why they hear it and that they can turn this support off: by a coach in
their conversation (``coaching.threads.post_message``: the inbox, and the channels they chose);
by an admin, who does not coach them, in their inbox (``channels.in_app``), with the admin's
name. Services never commit (see ``lxp.core.unit_of_work``).
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lxp.accounts.models import User
from lxp.channels import external_url, in_app, path_for
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

MESSAGE_LIMIT = 2_000  # characters of an admin's message

LIGHTER_SHARE = 2 / 3  # a simpler plan asks this share of the weekly minutes, rounded down to 5


def lighter_minutes(minutes: int) -> int:
    """The weekly minutes of a simpler plan: two thirds, rounded down to 5, never under the
    planner's minimum (equal to ``minutes`` when it cannot go lower)."""
    return max(paths.MIN_WEEKLY_MINUTES, min(minutes, int(minutes * LIGHTER_SHARE) // 5 * 5))


def session_choices(flags: list[RiskFlag]) -> dict[int, list[LiveSession]]:
    """Per flag id, the upcoming sessions of the learner's course a coach may offer."""
    offered = registration.offerable_sessions_for([flag.learner for flag in flags])
    return {flag.id: offered[flag.learner_id] for flag in flags}


def plan_minutes(flags: list[RiskFlag]) -> dict[int, tuple[int, int] | None]:
    """Per flag id, the learner's weekly minutes now and in a simpler plan (None: no open path)."""
    journeys = paths.open_journeys_of(flag.learner_id for flag in flags)
    found = {}
    for flag in flags:
        journey = journeys.get(flag.learner_id)
        found[flag.id] = None if journey is None else (journey.weekly_minutes, lighter_minutes(journey.weekly_minutes))
    return found


def _why() -> str:
    return _("Why you get this: lxp noticed your learning has been harder or quieter lately and let me know. "
             "You can turn this support off on your profile.")  # fmt: skip


def _locale(learner: User) -> str:
    return learner.locale or current_app.config["DEFAULT_LOCALE"]


def _offerable(flag: RiskFlag, session_id: int | None) -> LiveSession:
    """The session, if it is among those the flagged learner may still join. Raises ``Invalid``."""
    session = next((s for s in registration.offerable_sessions(flag.learner) if s.id == session_id), None)
    if session is None:
        raise Invalid(_l("Choose one of the upcoming sessions of their course."), field="session_id")
    return session


def _offer_text(learner: User, session: LiveSession) -> str:
    with force_locale(_locale(learner)):
        when = format_moment(session.starts_at, _locale(learner), learner.timezone or "UTC")
        return "\n\n".join((
            _("I would like to offer you a place at a live session that may help: %(title)s, %(when)s. "
              "You can sign up here: %(link)s", title=session.item.title, when=when,
              link=external_url("live.session", session_id=session.id)),
            _why(),
        ))  # fmt: skip


def _record_offer(flag: RiskFlag, by: User, session: LiveSession) -> None:
    services.record_action(flag, by, "offer_session")
    if flag.action == "offer_session":
        flag.offered_session_id = session.id
    db.session.flush()


def _lighten(flag: RiskFlag) -> tuple[int, int]:
    """Make the flagged learner's plan lighter and re-spread it; returns the minutes before and
    after. Raises ``Invalid`` (no open path, or already as light as it goes)."""
    journey = paths.open_journey(flag.learner)
    if journey is None:
        raise Invalid(_l("This learner has no path to make lighter."))
    before, after = journey.weekly_minutes, lighter_minutes(journey.weekly_minutes)
    if after >= before:
        raise Invalid(_l("Their plan already asks the fewest minutes a week it can."))
    journey.weekly_minutes = after
    paths.refresh_plan(journey, "a plan made lighter for a flagged learner")
    return before, after


def _lighter_text(learner: User, before: int, after: int) -> str:
    with force_locale(_locale(learner)):
        return "\n\n".join((
            _("I made your plan lighter: %(after)d minutes a week instead of %(before)d, so it fits better "
              "right now. Your steps are spread out again; you can change the minutes back any time when you "
              "change your path.", after=after, before=before),
            _why(),
        ))  # fmt: skip


def _record_lighter(flag: RiskFlag, by: User, before: int, after: int) -> None:
    services.record_action(flag, by, "simplify_plan")
    if flag.action == "simplify_plan":
        flag.minutes_before, flag.minutes_after = before, after
    db.session.flush()


# --- a coach, in their conversation with the learner -----------------------------------------


def message(coach: User, flag_id: int, body: str) -> CoachingThread:
    """The coach writes to the flagged learner at once (the API's way; the desk opens the
    conversation to write in): recorded on the flag. Returns the thread. Raises ``NotFound`` (not
    a learner they coach), ``Invalid`` (no text, overlong; the learner has no path)."""
    thread = services.act_on_flag(coach, flag_id, "message")
    threads.post_message(coach, thread, body)
    return thread


def offer_session(coach: User, flag_id: int, session_id: int | None) -> CoachingThread:
    """Offer the flagged learner a place at one upcoming session of their course: recorded on
    the flag, and written to the learner in the conversation with a link to sign up. Returns
    the thread. Raises ``NotFound`` (not a learner they coach), ``Invalid`` (a session not among
    those the learner may still join; from ``threads``: the learner has no path)."""
    flag = services.flag_for_coach(coach, flag_id)
    session = _offerable(flag, session_id)
    thread = threads.open_thread(flag.learner, None, opened_by=coach)
    threads.post_message(coach, thread, _offer_text(flag.learner, session))
    _record_offer(flag, coach, session)
    return thread


def simplify_plan(coach: User, flag_id: int) -> CoachingThread:
    """Make the flagged learner's plan lighter (``lighter_minutes``) and re-spread it; recorded
    on the flag with the minutes before and after, and explained to the learner in the
    conversation, with how to change it back. Returns the thread. Raises ``NotFound`` (not a
    learner they coach), ``Invalid`` (no open path, or the plan is already as light as it goes)."""
    flag = services.flag_for_coach(coach, flag_id)
    thread = threads.open_thread(flag.learner, None, opened_by=coach)
    before, after = _lighten(flag)
    threads.post_message(coach, thread, _lighter_text(flag.learner, before, after))
    _record_lighter(flag, coach, before, after)
    return thread


# --- an admin, in the learner's inbox ----------------------------------------------------------


def _tell_from_admin(admin: User, flag: RiskFlag, what: str, body: str, link: str) -> None:
    learner = flag.learner
    with force_locale(_locale(learner)):
        in_app.post(in_app.InAppNote(
            user_id=learner.id, category="reply", key=f"risk-{what}:{flag.id}",
            subject=str(_l("%(name)s from your organisation's learning team wrote to you", name=admin.display_name)),
            body=body, link=link,
            why=str(_l("Predictive support: you can turn it off on your profile.")),
        ))  # fmt: skip


def message_as_admin(admin: User, flag_id: int, body: str) -> RiskFlag:
    """An admin writes to the flagged learner: the message lands in their inbox with why they get
    it; recorded on the flag. Returns the flag. Raises ``NotFound`` (not a flag the admin may act
    on), ``Invalid`` (no text, or more than ``MESSAGE_LIMIT`` characters)."""
    flag = services.flag_for_admin(admin, flag_id)
    body = (body or "").strip()
    if not body:
        raise Invalid(_l("Write a message first."), field="body")
    if len(body) > MESSAGE_LIMIT:
        raise Invalid(_l("Use at most %(num)d characters.", num=MESSAGE_LIMIT), field="body")
    with force_locale(_locale(flag.learner)):
        text = "\n\n".join((body, _why()))
    _tell_from_admin(admin, flag, "message", text, path_for("learning.today"))
    services.record_action(flag, admin, "message")
    db.session.flush()
    return flag


def offer_session_as_admin(admin: User, flag_id: int, session_id: int | None) -> RiskFlag:
    """As ``offer_session``, by an admin: the learner reads it in their inbox, linked to the
    session. Raises ``NotFound`` (not a flag the admin may act on), ``Invalid`` (a session not
    among those the learner may still join)."""
    flag = services.flag_for_admin(admin, flag_id)
    session = _offerable(flag, session_id)
    _tell_from_admin(admin, flag, "offer", _offer_text(flag.learner, session),
                     path_for("live.session", session_id=session.id))  # fmt: skip
    _record_offer(flag, admin, session)
    return flag


def simplify_plan_as_admin(admin: User, flag_id: int) -> RiskFlag:
    """As ``simplify_plan``, by an admin: the learner reads it in their inbox, linked to their path.
    Raises ``NotFound`` (not a flag the admin may act on), ``Invalid`` (no open path, or the
    plan is already as light as it goes)."""
    flag = services.flag_for_admin(admin, flag_id)
    before, after = _lighten(flag)
    _tell_from_admin(admin, flag, "lighter", _lighter_text(flag.learner, before, after), path_for("learning.path"))
    _record_lighter(flag, admin, before, after)
    return flag
