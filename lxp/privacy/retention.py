"""Retention: inactive accounts are warned, then erased; old learning events lose free text.

Run by the scheduler job ``privacy.apply_retention`` (hourly) and by
``flask lxp privacy retention [--dry-run]``. For each organisation with a policy:

1. an account (not an admin, not erased) whose last sign-in, or creation when it never
   signed in, is older than ``inactive_months`` gets one warning e-mail (sent after the
   commit) and a ``RetentionWarning`` row;
2. ``WARNING_DAYS`` after the warning, if they still have not signed in, it is erased as an
   admin's erasure would (``erasure.erase``); a sign-in in between cancels the warning;
3. learning events that occurred before the day ``event_months`` ago, and that the journey
   map's rollups already hold (stored at or before their mark), are deleted, in batches of
   ``EVENT_BATCH``. What they said lives on where it is needed: a learner's completions
   (``lxp.completions``), the rollups' first moments and station days, which the organisation's
   "rolled up for good until" date (``rollups.keep_for_good``) protects from ``rebuild``.
   Deleting supersedes the free-text scrub erasure uses: an event past the horizon goes whole.
   An organisation that forwards statements to an LRS keeps what it has not forwarded yet.
   ``event_months`` is at least ``EVENT_MONTHS_MIN``, above the risk model's look-back.

Every warning, erasure and purge is in the audit trail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import force_locale, format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, tuple_

from lxp.accounts.models import Organisation, User, UserRole
from lxp.audit import services as audit
from lxp.channels import email as email_channel
from lxp.core.errors import Invalid
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.insights import rollups
from lxp.lrs.models import LrsConnection
from lxp.privacy import erasure
from lxp.privacy.models import RetentionPolicy, RetentionWarning
from lxp.risk.history import LOOKBACK

log = logging.getLogger(__name__)

WARNING_DAYS = 30
MONTH = timedelta(days=30)
EVENT_BATCH = 5000
EVENT_BATCHES = 20  # per organisation and run: 100,000 events an hour
# The readers that look back over raw events (the risk model's histories: 36 weeks; the
# weekly rhythm: 6 weeks; a touchpoint's effect: 48 hours) must find them all.
EVENT_MONTHS_MIN = LOOKBACK // MONTH + 1


@dataclass
class Plan:
    """What a run would do for one organisation."""

    organisation_id: int
    to_warn: list[User] = field(default_factory=list)
    to_erase: list[User] = field(default_factory=list)
    events_before: datetime | None = None  # the horizon: a UTC midnight
    events: int = 0  # events before it that the rollups hold: deleted by the run
    events_waiting: int = 0  # events before it not rolled up yet: deleted by a later run


def policy_of(organisation_id: int) -> RetentionPolicy | None:
    return db.session.get(RetentionPolicy, organisation_id)


def save_policy(admin: User, inactive_months: int | None, event_months: int | None) -> RetentionPolicy:
    """Set the organisation's retention (None keeps forever); audited. Raises ``Invalid`` when
    ``event_months`` is below ``EVENT_MONTHS_MIN``."""
    if event_months is not None and event_months < EVENT_MONTHS_MIN:
        raise Invalid(_l("Keep raw events at least %(num)d months: the risk model and the rhythm look back that far.",
                         num=EVENT_MONTHS_MIN), field="event_months")  # fmt: skip
    policy = policy_of(admin.organisation_id) or RetentionPolicy(organisation_id=admin.organisation_id)
    db.session.add(policy)
    before = {"inactive_months": policy.inactive_months, "event_months": policy.event_months}
    policy.inactive_months, policy.event_months, policy.updated_at = inactive_months, event_months, utcnow()
    after = {"inactive_months": inactive_months, "event_months": event_months}
    if before != after:
        audit.record("retention_policy_changed", organisation_id=admin.organisation_id, actor_id=admin.id,
                     subject_type="organisation", subject_id=admin.organisation_id,
                     details={"before": before, "after": after})  # fmt: skip
    db.session.flush()
    return policy


def _last_seen():
    return func.coalesce(User.last_login_at, User.created_at)


def plan(organisation_id: int, now: datetime | None = None) -> Plan:
    """What ``run`` would do now for the organisation (changes nothing)."""
    now = now or utcnow()
    policy = policy_of(organisation_id)
    result = Plan(organisation_id)
    if policy is None:
        return result
    if policy.inactive_months:
        threshold = now - policy.inactive_months * MONTH
        admins = select(UserRole.user_id).where(UserRole.role == "admin")
        inactive = list(db.session.scalars(
            select(User).where(User.organisation_id == organisation_id, _last_seen() < threshold,
                               User.id.not_in(admins), ~User.email.endswith("@" + erasure.ERASED_DOMAIN))
            .order_by(User.id)))  # fmt: skip
        warned = dict(db.session.execute(select(RetentionWarning.user_id, RetentionWarning.warned_at)
                                          .where(RetentionWarning.user_id.in_([u.id for u in inactive] or [-1]))).all())  # fmt: skip
        for user in inactive:
            when = warned.get(user.id)
            if when is None:
                result.to_warn.append(user)
            elif when <= now - timedelta(days=WARNING_DAYS):
                result.to_erase.append(user)
    if policy.event_months:
        result.events_before = horizon(now, policy.event_months)
        old = _old_events(organisation_id, result.events_before)
        held = _deletable(organisation_id)
        result.events = db.session.scalar(select(func.count()).select_from(old.where(*held).subquery())) if held else 0
        result.events_waiting = db.session.scalar(select(func.count()).select_from(old.subquery())) - result.events
    return result


def horizon(now: datetime, months: int) -> datetime:
    """The UTC midnight before which events go: whole days, so the journey map's station days
    before it are final."""
    return (now - months * MONTH).replace(hour=0, minute=0, second=0, microsecond=0)


def _old_events(organisation_id: int, before: datetime):
    members = select(User.id).where(User.organisation_id == organisation_id)
    return select(LearningEvent.id).where(LearningEvent.actor_id.in_(members), LearningEvent.occurred_at < before)


def _deletable(organisation_id: int) -> list:
    """The condition "may go": already in the journey map's rollups (stored at or before their
    mark) and, when the organisation forwards to an LRS, already forwarded; empty: none may."""
    found = []
    for mark in (rollups.mark(), _forwarded(organisation_id)):
        if mark is False:
            continue
        if mark is None:
            return []
        found += [LearningEvent.recorded_at <= mark.at,
                  tuple_(LearningEvent.recorded_at, LearningEvent.id) <= tuple_(mark.at, mark.id)]  # fmt: skip
    return found


def _forwarded(organisation_id: int) -> rollups.Position | None | bool:
    """How far the organisation's LRS has been sent statements (None: nothing yet); False when
    it forwards to none."""
    connection = db.session.get(LrsConnection, organisation_id)
    if connection is None or not connection.enabled:
        return False
    if connection.sent_until_at is None:
        return None
    return rollups.Position(connection.sent_until_at, connection.sent_until_id)


@dataclass
class Report:
    warned: int = 0
    erased: int = 0
    events_deleted: int = 0

    def summary(self) -> str:
        return f"warned {self.warned}; erased {self.erased}; events deleted {self.events_deleted}"


def _forget_cancelled_warnings(organisation_id: int) -> None:
    """A sign-in after the warning cancels it: the next inactivity starts afresh."""
    signed_in_since = (
        select(RetentionWarning.user_id).join(User, User.id == RetentionWarning.user_id)
        .where(User.organisation_id == organisation_id, User.last_login_at > RetentionWarning.warned_at)
    )  # fmt: skip
    db.session.execute(delete(RetentionWarning).where(RetentionWarning.user_id.in_(signed_in_since)))


def _warn(user: User, now: datetime) -> None:
    db.session.add(RetentionWarning(user_id=user.id, warned_at=now))
    locale = user.locale or "en"
    with force_locale(locale):
        day = format_date((now + timedelta(days=WARNING_DAYS)).date(), "long")
    email_channel.mail_after_commit(user, "retention_warning", date=day, organisation=user.organisation.name,
                                    login=email_channel.external_url("accounts.login"))  # fmt: skip
    audit.record("retention_warning", organisation_id=user.organisation_id, subject_type="user", subject_id=user.id,
                 details={"erase_after": (now + timedelta(days=WARNING_DAYS)).date().isoformat()})  # fmt: skip


def _delete_old_events(organisation_id: int, before: datetime, batch: int, batches: int) -> int:
    """Delete the organisation's events before ``before`` that the rollups hold, ``batch`` at a
    time, at most ``batches`` times; returns how many. Whatever is left (or rolled back by an
    interruption) is found again by the next run: the condition, not a cursor, says what goes."""
    held = _deletable(organisation_id)
    if not held:
        return 0
    rollups.keep_for_good(organisation_id, before)
    deleted = 0
    for _ in range(batches):
        ids = db.session.scalars(_old_events(organisation_id, before).where(*held).limit(batch)).all()
        if not ids:
            break
        db.session.execute(
            delete(LearningEvent).where(LearningEvent.id.in_(ids)).execution_options(synchronize_session=False)
        )
        deleted += len(ids)
    db.session.expire_all()
    return deleted


def run(
    organisation_id: int, now: datetime | None = None, *, batch: int = EVENT_BATCH, batches: int = EVENT_BATCHES
) -> Report:
    """Apply the organisation's policy once (in the caller's unit of work); audited."""
    now = now or utcnow()
    _forget_cancelled_warnings(organisation_id)
    db.session.flush()
    todo = plan(organisation_id, now)
    report = Report()
    for user in todo.to_warn:
        _warn(user, now)
        report.warned += 1
    for user in todo.to_erase:
        erasure.erase(user, actor_id=None, reason="retention")
        report.erased += 1
    if todo.events_before is not None and todo.events:
        report.events_deleted = _delete_old_events(organisation_id, todo.events_before, batch, batches)
    if report.erased or report.events_deleted:
        audit.record("retention_purge", organisation_id=organisation_id, subject_type="organisation",
                     subject_id=organisation_id, details={"erased": report.erased, "events_deleted": report.events_deleted,
                                                          "events_before": todo.events_before})  # fmt: skip
    db.session.flush()
    return report


def run_all(now: datetime | None = None, **batching) -> Report:
    """``run`` for every organisation with a policy (``batching``: ``run``'s batch sizes)."""
    total = Report()
    for organisation_id in db.session.scalars(
        select(RetentionPolicy.organisation_id).order_by(RetentionPolicy.organisation_id)
    ).all():
        report = run(organisation_id, now, **batching)
        total.warned += report.warned
        total.erased += report.erased
        total.events_deleted += report.events_deleted
    return total


def dry_run(now: datetime | None = None) -> list[tuple[Organisation, Plan]]:
    """What ``run_all`` would do, per organisation (changes nothing)."""
    ids = db.session.scalars(select(RetentionPolicy.organisation_id).order_by(RetentionPolicy.organisation_id)).all()
    return [(db.session.get(Organisation, i), plan(i, now)) for i in ids]
