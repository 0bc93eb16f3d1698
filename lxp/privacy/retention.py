"""Retention: inactive accounts are warned, then erased; old learning events lose free text.

Run by the scheduler job ``privacy.apply_retention`` (hourly) and by
``flask lxp privacy retention [--dry-run]``. For each organisation with a policy:

1. an account (not an admin, not erased) whose last sign-in, or creation when it never
   signed in, is older than ``inactive_months`` gets one warning e-mail (sent after the
   commit) and a ``RetentionWarning`` row;
2. ``WARNING_DAYS`` after the warning, if they still have not signed in, it is erased as an
   admin's erasure would (``erasure.erase``); a sign-in in between cancels the warning;
3. learning events older than ``event_months`` lose their free text (``erasure.scrub_events``),
   in batches of ``EVENT_BATCH``, from where the last run stopped.

Every warning, erasure and purge is in the audit trail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import force_locale, format_date
from sqlalchemy import delete, func, select

from lxp.accounts.models import Organisation, User, UserRole
from lxp.audit import services as audit
from lxp.channels import email as email_channel
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.privacy import erasure
from lxp.privacy.models import RetentionPolicy, RetentionWarning

log = logging.getLogger(__name__)

WARNING_DAYS = 30
MONTH = timedelta(days=30)
EVENT_BATCH = 5000


@dataclass
class Plan:
    """What a run would do for one organisation."""

    organisation_id: int
    to_warn: list[User] = field(default_factory=list)
    to_erase: list[User] = field(default_factory=list)
    events_before: datetime | None = None
    events: int = 0  # events older than the limit with free text left


def policy_of(organisation_id: int) -> RetentionPolicy | None:
    return db.session.get(RetentionPolicy, organisation_id)


def save_policy(admin: User, inactive_months: int | None, event_months: int | None) -> RetentionPolicy:
    """Set the organisation's retention (None keeps forever); audited."""
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
        result.events_before = now - policy.event_months * MONTH
        result.events = db.session.scalar(
            select(func.count()).select_from(_old_events(organisation_id, result.events_before).subquery())
        )
    return result


def _old_events(organisation_id: int, before: datetime):
    members = select(User.id).where(User.organisation_id == organisation_id)
    return select(LearningEvent).where(LearningEvent.actor_id.in_(members), LearningEvent.occurred_at < before,
                                       LearningEvent.result.is_not(None)).order_by(LearningEvent.occurred_at, LearningEvent.id)  # fmt: skip


@dataclass
class Report:
    warned: int = 0
    erased: int = 0
    events_scrubbed: int = 0

    def summary(self) -> str:
        return f"warned {self.warned}; erased {self.erased}; events without free text {self.events_scrubbed}"


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


def _scrub_old_events(organisation_id: int, before: datetime) -> int:
    return erasure.scrub_events(_old_events(organisation_id, before).limit(EVENT_BATCH))


def run(organisation_id: int, now: datetime | None = None) -> Report:
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
        report.events_scrubbed = _scrub_old_events(organisation_id, todo.events_before)
    if report.erased or report.events_scrubbed:
        audit.record("retention_purge", organisation_id=organisation_id, subject_type="organisation",
                     subject_id=organisation_id, details={"erased": report.erased, "events_scrubbed": report.events_scrubbed,
                                                          "events_before": todo.events_before})  # fmt: skip
    db.session.flush()
    return report


def run_all(now: datetime | None = None) -> Report:
    """``run`` for every organisation with a policy."""
    total = Report()
    for organisation_id in db.session.scalars(
        select(RetentionPolicy.organisation_id).order_by(RetentionPolicy.organisation_id)
    ).all():
        report = run(organisation_id, now)
        total.warned += report.warned
        total.erased += report.erased
        total.events_scrubbed += report.events_scrubbed
    return total


def dry_run(now: datetime | None = None) -> list[tuple[Organisation, Plan]]:
    """What ``run_all`` would do, per organisation (changes nothing)."""
    ids = db.session.scalars(select(RetentionPolicy.organisation_id).order_by(RetentionPolicy.organisation_id)).all()
    return [(db.session.get(Organisation, i), plan(i, now)) for i in ids]
