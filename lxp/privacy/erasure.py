"""Erasing a person: what they wrote and uploaded goes, what the organisation counts stays
under a pseudonym.

The account row becomes the pseudonym: name, e-mail and password are replaced, it can never
sign in again, and every row the organisation's figures read (learning events, journeys'
dates and plans, cohort membership, roles, touchpoint outcomes) keeps pointing at it, so the
journey map, satisfaction and effect figures stay what they were. ``inventory.HOLDINGS``
lists what happens to each table; statements already forwarded to the organisation's LRS are
voided by ``voided`` statements queued for the next forwarding run.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, or_, select, update

from lxp import events
from lxp.accounts import services as accounts
from lxp.accounts.api_tokens import ApiToken
from lxp.accounts.models import RecoveryCode, User, UserSession
from lxp.assignments.models import AssignedWork, ReportingLine, UnitMember, assignment_people
from lxp.audit import services as audit
from lxp.channels.in_app import InAppMessage
from lxp.coaching.models import (
    CoachAssignment,
    CoachFeedback,
    CoachingMessage,
    CoachingThread,
    HelpRequest,
    ThreadReadMark,
)
from lxp.coaching.threads import ATTACHMENTS
from lxp.core.errors import Conflict, Invalid, NotAllowed
from lxp.core.time import utcnow
from lxp.credentials.models import Credential
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.files import storage
from lxp.files.models import StoredFile
from lxp.live.models import CalendarFeed, Registration
from lxp.lrs import services as lrs
from lxp.nudges.models import NotificationPreferences, OutboxMessage, ReviewCard
from lxp.packages.models import LearnerPreferences, PackageAttempt, PackageStatement
from lxp.paths.models import Journey
from lxp.privacy.models import RetentionWarning
from lxp.push.models import PushSubscription
from lxp.risk.models import RiskFlag, RiskOptOut
from lxp.scim.models import ScimUser, scim_group_members
from lxp.social.models import SpacePost, SpaceReport, SpaceThread
from lxp.sso.models import ProviderIdentity
from lxp.workplace.models import TaskReview, TaskSubmission
from lxp.workplace.services import EVIDENCE

ERASED_DOMAIN = "erased.invalid"
ERASED_NAME = "Erased person"  # stored data, not a label: the same in every language
UNUSABLE_PASSWORD = "!erased"  # noqa: S105  (not a hash werkzeug accepts: no password ever matches)


@dataclass(frozen=True)
class Erased:
    user_id: int
    files: int
    messages: int
    voided: int


def is_erased(user: User) -> bool:
    return user.email.endswith("@" + ERASED_DOMAIN)


def erase_person(admin: User, user: User, typed_email: str) -> Erased:
    """An admin erases a person of their organisation, confirming with the person's e-mail.

    Raises ``NotFound`` (another organisation), ``NotAllowed`` (themselves), ``Conflict``
    (already erased) and ``Invalid`` (the typed e-mail is not the person's)."""
    user = accounts.user_in_organisation(admin, user.id)
    if user.id == admin.id:
        raise NotAllowed(_l("You cannot erase your own account; ask another admin."))
    if is_erased(user):
        raise Conflict(_l("This person has already been erased."))
    try:
        typed = accounts.normalise_email(typed_email)
    except Invalid:
        typed = None
    if typed != user.email:
        raise Invalid(_l("Type the person's e-mail address exactly to confirm."), field="confirm_email")
    return erase(user, actor_id=admin.id, reason="admin")


def _void_forwarded(user: User, voider_id: int) -> int:
    """Queue a ``voided`` statement for each of the person's statements the LRS has accepted."""
    connection = lrs.connection_of(user.organisation_id)
    if connection is None or connection.sent_until_at is None:
        return 0
    forwarded = db.session.scalars(
        select(LearningEvent.id).where(
            LearningEvent.actor_id == user.id,
            LearningEvent.verb != "voided",
            or_(
                LearningEvent.recorded_at < connection.sent_until_at,
                and_(
                    LearningEvent.recorded_at == connection.sent_until_at, LearningEvent.id <= connection.sent_until_id
                ),
            ),
        )  # fmt: skip
    ).all()
    for event_id in forwarded:
        events.record(actor_id=voider_id, verb="voided", object_type="event", object_id=str(event_id),
                      context={"reason": "erasure"})  # fmt: skip
    return len(forwarded)


def scrub_events(statement) -> int:
    """Remove free text (comments, reflections, evidence notes, an admin's reason for waiving a
    unit or for taking the waiver back) from the events ``statement`` selects; scores, moods and choices stay. Returns how
    many events changed."""
    changed = 0
    for event in db.session.scalars(statement):
        result = dict(event.result or {})
        extensions = dict(result.get("extensions") or {})
        context = dict(event.context or {})
        # An admin's reason for taking a waiver back rides on the voiding statement's context.
        if isinstance(context.get("reason"), str) and event.verb == "voided":
            context.pop("reason")
            event.context = context or None
            changed += 1
        if isinstance(result.get("response"), str) or isinstance(extensions.get("reason"), str):
            result.pop("response", None)
            if extensions.pop("reason", None) is not None:
                result["extensions"] = extensions
            event.result = {k: v for k, v in result.items() if v != {}} or None
            changed += 1
    return changed


def erase(user: User, *, actor_id: int | None, reason: str) -> Erased:
    """Erase ``user`` (see the module docstring) in the caller's unit of work; audited. The
    voiding statements are recorded by ``actor_id``, or by the pseudonym itself for a
    retention run."""
    uid, old_email = user.id, user.email
    voided = _void_forwarded(user, actor_id or uid)
    scrub_events(select(LearningEvent).where(LearningEvent.actor_id == uid))
    for journey in db.session.scalars(select(Journey).where(Journey.learner_id == uid)):
        journey.goals = []
        journey.choices = {}

    thread_ids = select(CoachingThread.id).where(CoachingThread.learner_id == uid)
    message_ids = list(db.session.scalars(select(CoachingMessage.id).where(
        or_(CoachingMessage.author_id == uid, CoachingMessage.thread_id.in_(thread_ids)))))  # fmt: skip
    submission_ids = list(db.session.scalars(select(TaskSubmission.id).where(TaskSubmission.learner_id == uid)))
    stored = list(db.session.scalars(select(StoredFile).where(or_(
        StoredFile.owner_id == uid,
        and_(StoredFile.kind == ATTACHMENTS, StoredFile.attached_id.in_(message_ids or [-1])),
        and_(StoredFile.kind == EVIDENCE, StoredFile.attached_id.in_(submission_ids or [-1]))))))  # fmt: skip
    for row in stored:
        storage.remove_after_commit(db.session, row.token)
    db.session.flush()
    statements = [
        delete(StoredFile).where(StoredFile.id.in_([row.id for row in stored] or [-1])),
        delete(ThreadReadMark).where(or_(ThreadReadMark.user_id == uid, ThreadReadMark.thread_id.in_(thread_ids))),
        delete(CoachingMessage).where(CoachingMessage.id.in_(message_ids or [-1])),
        delete(CoachingThread).where(CoachingThread.learner_id == uid),
        delete(TaskReview).where(TaskReview.submission_id.in_(submission_ids or [-1])),
        delete(TaskSubmission).where(TaskSubmission.learner_id == uid),
        # Kept for the journey map's help figures (where and when asked, when resolved), without the words.
        update(HelpRequest).where(HelpRequest.learner_id == uid).values(note="", context={}, answer=None),
        delete(CoachFeedback).where(CoachFeedback.learner_id == uid),
        delete(CoachAssignment).where(or_(CoachAssignment.learner_id == uid, CoachAssignment.coach_id == uid)),
        delete(Registration).where(Registration.learner_id == uid),
        delete(CalendarFeed).where(CalendarFeed.user_id == uid),
        delete(InAppMessage).where(InAppMessage.user_id == uid),
        delete(NotificationPreferences).where(NotificationPreferences.user_id == uid),
        delete(ReviewCard).where(ReviewCard.user_id == uid),
        delete(PushSubscription).where(PushSubscription.user_id == uid),
        delete(ApiToken).where(ApiToken.user_id == uid),
        delete(RecoveryCode).where(RecoveryCode.user_id == uid),
        delete(UserSession).where(UserSession.user_id == uid),
        delete(RetentionWarning).where(RetentionWarning.user_id == uid),
        # A credential names the person: its name and signed file go and its share link finds
        # nothing; it stays revoked in the status list, so a copy someone kept no longer verifies.
        update(Credential)
        .where(Credential.learner_id == uid, Credential.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoke_reason="erased"),
        update(Credential).where(Credential.learner_id == uid).values(learner_name=ERASED_NAME, jwt=""),
        delete(RiskFlag).where(RiskFlag.learner_id == uid),
        delete(RiskOptOut).where(RiskOptOut.user_id == uid),
        # Assigned work and reporting lines name the person; the organisation's figures keep the events.
        delete(AssignedWork).where(AssignedWork.learner_id == uid),
        delete(assignment_people).where(assignment_people.c.user_id == uid),
        delete(UnitMember).where(UnitMember.user_id == uid),
        delete(ReportingLine).where(or_(ReportingLine.user_id == uid, ReportingLine.manager_id == uid)),
        # A package's CMI data can hold what they typed (interactions, suspend data).
        delete(PackageStatement).where(
            PackageStatement.attempt_id.in_(select(PackageAttempt.id).where(PackageAttempt.learner_id == uid))
        ),
        delete(PackageAttempt).where(PackageAttempt.learner_id == uid),
        delete(LearnerPreferences).where(LearnerPreferences.learner_id == uid),
        # The company account would otherwise sign in as the pseudonym again.
        delete(ProviderIdentity).where(ProviderIdentity.user_id == uid),
        # Nor should the directory find them by their old login name (scim_users, scim_group_members).
        delete(ScimUser).where(ScimUser.user_id == uid),
        delete(scim_group_members).where(scim_group_members.c.user_id == uid),
        # Cohort spaces: their words go (the posts stay as "deleted", so others' replies keep their place).
        update(SpacePost)
        .where(SpacePost.author_id == uid)
        .values(body="", deleted_at=func.coalesce(SpacePost.deleted_at, utcnow())),
        update(SpaceThread).where(SpaceThread.author_id == uid).values(title="", item_title=None),
        delete(SpaceReport).where(SpaceReport.reporter_id == uid),
        # Kept for the touchpoint effect figures (sent, opened, opted out), without the words.
        update(OutboxMessage).where(OutboxMessage.user_id == uid).values(subject="", body="", link=None, why=""),
    ]
    for statement in statements:
        db.session.execute(statement.execution_options(synchronize_session=False))

    user.email = f"erased-{secrets.token_hex(8)}@{ERASED_DOMAIN}"
    user.display_name = ERASED_NAME
    user.password_hash = UNUSABLE_PASSWORD
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, None
    user.active = False
    user.auth_version += 1
    user.invited_at = None
    user.last_login_at = None
    audit.forget_person(uid, old_email)
    audit.record("person_erased", organisation_id=user.organisation_id, actor_id=actor_id, subject_type="user",
                 subject_id=uid, details={"reason": reason, "files": len(stored), "messages": len(message_ids),
                                          "statements_voided": voided})  # fmt: skip
    db.session.flush()
    db.session.expire_all()
    return Erased(uid, len(stored), len(message_ids), voided)
