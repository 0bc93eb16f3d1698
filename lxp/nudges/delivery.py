"""Delivery: claim, send, record.

1. **Claim.** One short transaction marks up to a batch of due rows ``sending`` with a lease
   (``claimed_until``) and commits: ``pending`` rows that are due, and ``sending`` rows whose
   lease ran out because the run that held them died. On PostgreSQL the rows are picked with
   ``FOR UPDATE SKIP LOCKED``; on both databases the ``UPDATE … RETURNING`` that marks them
   checks again that each is still claimable, so two runs never hold the same row.
2. **Send.** ``policy.decide`` says send, hold, fold, drop or skip. A send goes out on the
   learner's channel (SMTP, the push service) *before* anything is recorded.
3. **Record.** An e-mail's or push's outcome is its own small transaction, together with the
   message's copy in the inbox (stored once per outbox message, ``nudge:<rule>:<occurrence>``);
   what needs no other channel (inbox-only sends, holds, folds, drops) is recorded for the
   whole batch in one transaction. A run killed between 2 and 3 leaves the row claimed; the
   next run sends it again: at least once by e-mail or push, exactly once in the inbox.

A failed e-mail or push (SMTP down, a push service's 5xx or time-out) is tried again after
1, 2, 4 … minutes (at most an hour); after ``OUTBOX_MAX_ATTEMPTS`` tries, or at once for a
failure that will not pass (a refused address), the row is ``failed``: a dead letter that
admins see and can send again on ``/admin/outbox``. The inbox has the message from the first
try on, whatever the other channel does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from lxp import channels
from lxp.accounts.models import User
from lxp.channels import CHANNELS, Outcome, Touchpoint, in_app
from lxp.core import unit_of_work
from lxp.core.time import utcnow
from lxp.events import LEARNING_VERBS, LearningEvent
from lxp.extensions import db
from lxp.nudges import course_rules, effect, policy, rhythm
from lxp.nudges.models import NotificationPreferences, OutboxMessage
from lxp.nudges.preferences import preferences_of, unsubscribe_token
from lxp.nudges.rules import RULES_BY_KEY, Rule

log = logging.getLogger("lxp.nudges.delivery")

CLAIM_BATCH = 100  # rows per claim: a batch is sent well within the claim's lease
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
RHYTHM_WEEKS = rhythm.RHYTHM_WEEKS  # how far back the learner's own hours are learnt from (adaptive timing)


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    held: int = 0  # back to pending until later (recent activity, quiet hours)
    retrying: int = 0  # the channel failed; tried again after a back-off
    failed: int = 0  # dead letters
    dropped: int = 0  # folded, dropped (expired, over the cap) or skipped (the learner's choice)

    def add(self, other: DeliveryReport) -> None:
        for name in ("sent", "held", "retrying", "failed", "dropped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def summary(self) -> str:
        return (f"sent {self.sent}, held {self.held}, retrying {self.retrying}, failed {self.failed}, "
                f"not sent {self.dropped}")  # fmt: skip


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next try after ``attempts`` failed ones: 1, 2, 4 … minutes, at most an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def _claimable(now: datetime):
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.due_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
    )


def claim_due(now: datetime, limit: int) -> list[int]:
    """Claim up to ``limit`` due rows for this run (committed); returns their ids."""
    lease = timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
    # Two statements, not ``UPDATE … WHERE id IN (SELECT … LIMIT … FOR UPDATE SKIP LOCKED)``:
    # PostgreSQL may run such a sub-select again for every row it updates, claiming far more
    # than ``limit`` rows and taking seconds. The SELECT locks the rows on PostgreSQL; the
    # UPDATE checks again that each is still claimable, which is what keeps SQLite safe.
    ids = db.session.execute(
        select(OutboxMessage.id).where(_claimable(now))
        .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(limit)
        .with_for_update(skip_locked=True)
    ).scalars().all()  # fmt: skip
    if not ids:
        unit_of_work.rollback()  # end the read: nothing is claimed
        return []
    # Committed at once, so other runs see the lease before the slow sending starts.
    with unit_of_work.boundary("outbox: claim"):
        claimed = db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids), _claimable(now))
            .values(status="sending", claimed_until=now + lease).returning(OutboxMessage.id),
            execution_options={"synchronize_session": False},
        ).scalars().all()  # fmt: skip
    return list(claimed)


@dataclass
class _Batch:
    """What ``policy.decide`` needs about the batch's learners, read in a few queries."""

    last_activity: dict[int, datetime]
    sent_at: dict[int, list[datetime]]  # recent messages that count against the weekly cap
    reach: dict[str, set[int]]  # channel name -> the batch's learners it can reach
    loaded: list  # the learners and their preferences: held, so the session's identity map keeps them
    rules: dict = field(default_factory=dict)  # rule key -> its versions per course (course_rules.variants)
    user_ids: set[int] = field(default_factory=set)
    now: datetime | None = None
    moments: dict[int, list[datetime]] | None = None  # learning moments, read on first need (``activity_of``)
    organisation_rhythms: dict[int, tuple[int, ...]] = field(default_factory=dict)  # organisation id -> hours
    stored_rhythms: dict[int, tuple[int, ...] | None] = field(default_factory=dict)  # organisation id -> stored

    def activity_of(self, user: User, timezone: str) -> tuple[int, ...]:
        """The learner's learning events of the last ``RHYTHM_WEEKS`` per hour of the week,
        read for the batch the first time a learner of it needs them (adaptive rules only)."""
        if self.moments is None:
            self.moments = {}
            for user_id, when in db.session.execute(
                select(LearningEvent.actor_id, LearningEvent.occurred_at).where(
                    LearningEvent.actor_id.in_(self.user_ids), LearningEvent.verb.in_(LEARNING_VERBS),
                    LearningEvent.occurred_at >= self.now - timedelta(weeks=RHYTHM_WEEKS))
            ):  # fmt: skip
                self.moments.setdefault(user_id, []).append(when)
        return policy.activity_by_slot(self.moments.get(user.id, ()), timezone)

    def stored_rhythm_of(self, user: User) -> tuple[int, ...] | None:
        """The organisation's stored rhythm (``rhythm.usable``), read once per organisation."""
        if user.organisation_id not in self.stored_rhythms:
            self.stored_rhythms[user.organisation_id] = rhythm.usable(user.organisation_id)
        return self.stored_rhythms[user.organisation_id]

    def organisation_activity_of(self, user: User) -> tuple[int, ...]:
        """The rhythm of the other learners of ``user``'s organisation, each hour of the week
        counted in each one's own zone: the prior sparse hours borrow from. The organisation's
        stored weekly rhythm where there is one (``rhythm.usable``), else that of the batch's
        other learners (no query: it reuses the batch's learning moments)."""
        stored = self.stored_rhythm_of(user)
        if stored is not None:
            own = self.activity_of(user, user.timezone or "UTC")
            return tuple(max(t - o, 0) for t, o in zip(stored, own, strict=True))
        if user.organisation_id not in self.organisation_rhythms:
            totals = [0] * policy.SLOTS
            for other in self.loaded:
                if isinstance(other, User) and other.organisation_id == user.organisation_id:
                    for slot, count in enumerate(self.activity_of(other, other.timezone or "UTC")):
                        totals[slot] += count
            self.organisation_rhythms[user.organisation_id] = tuple(totals)
        own = self.activity_of(user, user.timezone or "UTC")
        return tuple(t - o for t, o in zip(self.organisation_rhythms[user.organisation_id], own, strict=True))

    def rule_of(self, message: OutboxMessage) -> Rule | None:
        """The rule as the message's course has it (the default where the course kept it)."""
        versions = self.rules.get(message.rule)
        return course_rules.rule_for(versions, message.course_id) if versions else RULES_BY_KEY.get(message.rule)

    @classmethod
    def load(cls, user_ids: set[int], now: datetime) -> _Batch:
        # Read once for the batch: ``message.user`` and ``preferences_of`` then find them in the session.
        loaded = [*db.session.execute(select(User).where(User.id.in_(user_ids))
                                      .execution_options(populate_existing=True)).scalars(),
                  *db.session.execute(select(NotificationPreferences).where(NotificationPreferences.user_id.in_(user_ids))
                                      .execution_options(populate_existing=True)).scalars()]  # fmt: skip
        last = db.session.execute(
            select(LearningEvent.actor_id, func.max(LearningEvent.occurred_at))
            .where(LearningEvent.actor_id.in_(user_ids), LearningEvent.verb.in_(LEARNING_VERBS))
            .group_by(LearningEvent.actor_id)
        ).all()  # fmt: skip
        sent_at: dict[int, list[datetime]] = {}
        for user_id, when in db.session.execute(
            select(OutboxMessage.user_id, OutboxMessage.sent_at).where(
                OutboxMessage.user_id.in_(user_ids), OutboxMessage.status == "sent",
                OutboxMessage.sent_at >= now - timedelta(days=8), OutboxMessage.category != "celebration",
                OutboxMessage.asked_for.is_(False))
        ):  # fmt: skip
            sent_at.setdefault(user_id, []).append(when)
        users = [row for row in loaded if isinstance(row, User)]
        reach = {name: channel.reachable(users) for name, channel in CHANNELS.items()}
        return cls(dict(last), sent_at, reach, loaded, course_rules.variants(), set(user_ids), now)

    def situation(self, user: User, preferences: policy.Preferences, now: datetime,
                  adaptive: bool = False) -> policy.Situation:  # fmt: skip
        week = policy.week_start(now, preferences.timezone)
        return policy.Situation(
            now=now, last_activity=self.last_activity.get(user.id),
            sent_this_week=sum(1 for when in self.sent_at.get(user.id, ()) if when >= week),
            available_channels=frozenset(name for name, ids in self.reach.items() if user.id in ids),
            inbox=channels.inbox(), activity=self.activity_of(user, preferences.timezone) if adaptive else (),
            organisation_activity=self.organisation_activity_of(user) if adaptive else (),
            organisation_fallback=adaptive and self.stored_rhythm_of(user) is not None,
        )  # fmt: skip


def _send_on(message: OutboxMessage, user: User, channel_name: str, now: datetime) -> Outcome:
    """Compose the message for the registered channel and send it now; the outcome says how it went."""
    channel = channels.get(channel_name)
    touchpoint = Touchpoint(
        user=user, category=message.category, subject=message.subject, body=message.body, why=message.why,
        link=message.link, tag=f"{message.rule}:{message.occurrence}", now=now, expires_at=message.expires_at,
        unsubscribe_url=channels.external_url("nudges.unsubscribe", token=unsubscribe_token(user, message.category)),
        tracked_link=lambda name: effect.tracked_link(message, name),
    )  # fmt: skip
    return channel.deliver(channel.compose(touchpoint))


def _inbox_copy(message: OutboxMessage) -> in_app.InAppNote:
    # Stored once per key. Should a run whose claim ran out post it at the same moment, the
    # commit fails on the unique key and the message is simply tried again: no savepoint needed.
    return in_app.InAppNote(user_id=message.user_id, category=message.category, subject=message.subject,
                            body=message.body, link=message.link, why=message.why,
                            key=f"nudge:{message.rule}:{message.occurrence}"[:120])  # fmt: skip


def _post_in_app(message: OutboxMessage) -> None:
    in_app.post(_inbox_copy(message))


def _release(message: OutboxMessage, status: str, outcome: str | None = None) -> None:
    message.status, message.claimed_until = status, None
    if outcome is not None:
        message.outcome = outcome


def _decide(message: OutboxMessage, batch: _Batch, now: datetime) -> policy.Decision:
    """What to do with one claimed message now: expired ones are dropped, the rest as
    ``policy.decide`` says."""
    if message.expires_at is not None and message.expires_at < now:
        return policy.Decision("drop", reason="expired")
    user = message.user
    preferences = preferences_of(user)
    rule = batch.rule_of(message)
    adaptive = bool(rule and rule.adaptive_time and not message.asked_for)
    message.timing = ("fixed" if policy.fixed_time(message.id) else "adaptive") if adaptive else None
    candidate = policy.Candidate(message.rule, message.category, message.asked_for,
                                 rule.digestible if rule else True, rule.channels if rule else (),
                                 # held for the learner's hour once already: now is that hour
                                 adaptive=message.timing == "adaptive" and message.outcome != "learner_time",
                                 due_since=message.due_at, seed=message.id)  # fmt: skip
    decision = policy.decide(candidate, preferences, batch.situation(user, preferences, now, candidate.adaptive))
    if decision.action == "send" and policy.counts_against_cap(candidate):
        batch.sent_at.setdefault(user.id, []).append(now)  # the learner's next message in this batch sees it
    return decision


def _apply(
    message: OutboxMessage,
    decision: policy.Decision,
    outcome: Outcome | None,
    now: datetime,
    report: DeliveryReport,
    *,
    post: bool = True,
) -> None:
    """Record a decision (and, for a send, the channel's outcome, None when it needed no other
    channel, and, with ``post``, its inbox copy) on the message."""
    if decision.action == "hold":
        message.due_at = decision.until
        _release(message, "pending", decision.reason)
        report.held += 1
    elif decision.action != "send":
        _release(message, {"fold": "folded", "drop": "dropped", "skip": "skipped"}[decision.action], decision.reason)
        report.dropped += 1
    else:
        if post:
            _post_in_app(message)
        message.attempts += 1
        message.channel = decision.channel
        _record(message, outcome, now, report)


def _sends_remotely(decision: policy.Decision) -> bool:
    return decision.action == "send" and CHANNELS[decision.channel].remote


def _deliver_batch(messages: list[OutboxMessage], batch: _Batch, now: datetime, report: DeliveryReport) -> None:
    """Decide for every message; record what needs no other channel (inbox-only sends, holds,
    folds, drops) in one transaction; then send each e-mail or push and record it on its own,
    so a crash repeats at most the one message in flight."""
    local, remote = [], []
    for message in messages:
        try:
            decision = _decide(message, batch, now)
        except Exception as exc:
            _crashed(message.id, exc, now, report)
            continue
        (remote if _sends_remotely(decision) else local).append((message.id, decision))
    try:
        together, copies = DeliveryReport(), []
        with unit_of_work.boundary("outbox: record batch"), db.session.no_autoflush:  # the rows go out together
            for message_id, decision in local:
                message = db.session.get(OutboxMessage, message_id)
                _apply(message, decision, None, now, together, post=False)
                if decision.action == "send":
                    copies.append(_inbox_copy(message))
            in_app.post_many(copies)
        report.add(together)
    except Exception:
        remote = local + remote  # one of them breaks (rolled back): find which, one at a time
    for message_id, decision in remote:
        try:
            with unit_of_work.boundary(f"outbox: send and record message {message_id}"):
                message = db.session.get(OutboxMessage, message_id)
                outcome = _send_on(message, message.user, decision.channel, now) if _sends_remotely(decision) else None
                _apply(message, decision, outcome, now, report)
        except Exception as exc:
            _crashed(message_id, exc, now, report)


def _record(message: OutboxMessage, outcome: Outcome | None, now: datetime, report: DeliveryReport) -> None:
    failed = outcome is not None and not outcome.delivered
    if failed:
        message.last_error = outcome.reason[:300]
    fallback = None
    if failed and outcome.permanent and CHANNELS[message.channel].falls_back_to_inbox:
        fallback = channels.inbox()
    if not failed or fallback is not None:
        # A permanent failure on a channel with a fallback (push to someone whose browsers are
        # all gone) counts as sent there: the inbox copy is the message.
        if fallback is not None:
            message.channel = fallback
        message.sent_at = now
        _release(message, "sent")
        report.sent += 1
    else:
        _fail_or_retry(message, outcome.permanent, now, report)


def _fail_or_retry(message: OutboxMessage, permanent: bool, now: datetime, report: DeliveryReport) -> None:
    """A failed try: the message fails for good when the failure is permanent or its tries are
    used up, else it waits for the next try with back-off."""
    if permanent or message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        _release(message, "failed")
        report.failed += 1
    else:
        message.due_at = now + retry_delay(message.attempts)
        _release(message, "pending")
        report.retrying += 1


def _crashed(message_id: int, error: Exception, now: datetime, report: DeliveryReport) -> None:
    """A message whose delivery raised something unexpected (a bug, the database): counted as a
    failed try, so a message that always breaks ends as a dead letter instead of blocking runs.
    The failed try is rolled back; the failure is recorded in a boundary of its own."""
    unit_of_work.rollback()  # whatever the failed try left in the session is not kept
    log.exception("delivering outbox message %s failed", message_id, exc_info=error)
    with unit_of_work.boundary(f"outbox: record crash of message {message_id}"):
        message = db.session.get(OutboxMessage, message_id)
        message.attempts += 1
        message.last_error = f"{type(error).__name__}: {error}"[:300]
        _fail_or_retry(message, False, now, report)


def deliver_due(now: datetime | None = None, limit: int | None = None) -> DeliveryReport:
    """Claim and deliver the messages due at ``now``, batch after batch, until none is left
    (or ``limit`` were handled); returns what was done. Failures of a channel are recorded on
    the message, not raised."""
    now = now or utcnow()
    report = DeliveryReport()
    session = db.session()
    # A batch commits several times; its rows (claimed by this run) and its learners stay
    # loaded rather than being read again after every commit.
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        _deliver_batches(now, limit, report)
    finally:
        session.expire_on_commit = expire_on_commit
    return report


def _deliver_batches(now: datetime, limit: int | None, report: DeliveryReport) -> None:
    handled: set[int] = set()
    while limit is None or len(handled) < limit:
        ids = claim_due(now, CLAIM_BATCH if limit is None else min(CLAIM_BATCH, limit - len(handled)))
        if not ids or handled.issuperset(ids):
            break
        handled.update(ids)
        messages = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.due_at, OutboxMessage.id)
            .execution_options(populate_existing=True)  # the claim changed them behind the session's back
        ).scalars().all()  # fmt: skip
        batch = _Batch.load({m.user_id for m in messages}, now)
        # The more important first, so a learner's weekly cap goes to what matters most.
        messages = sorted(messages, key=lambda m: -(batch.rule_of(m).priority if batch.rule_of(m) else 0))
        _deliver_batch(messages, batch, now, report)
    if handled:
        log.info("outbox: %s", report.summary())


def deliver_outbox(now: datetime | None = None, limit: int | None = None) -> int:
    """Deliver the due messages (claimed, so two schedulers never send one twice); returns how
    many were sent. See ``deliver_due``."""
    return deliver_due(now, limit).sent
