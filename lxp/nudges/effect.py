"""The measured effect of touchpoints: which messages were opened, which were followed by
learning within 48 hours, which made a learner ask for fewer, and what the rule's holdout
group did without the message.

Opens are recorded three ways, the first one wins: a click on the e-mail's link or the push
notification (both go through ``tracked_link``, a signed ``/t/<token>`` address), or opening
the message in the inbox (``note_inbox_open``). The counting is set-wise SQL (a fixed number
of statements, however many messages there are); the arithmetic is in ``effect_maths``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, case, exists, func, literal_column, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from lxp import channels
from lxp.accounts.models import User
from lxp.authoring.models import Course, CourseVersion
from lxp.core import unit_of_work
from lxp.core.errors import Invalid
from lxp.core.time import UTCDateTime, utcnow
from lxp.events import LEARNING_VERBS, LearningEvent
from lxp.extensions import db
from lxp.nudges import effect_maths
from lxp.nudges.models import OutboxMessage

KEY_LENGTH = 120  # of an inbox message's key (``InAppMessage.key``)


# --- opens -------------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="lxp-touchpoint-open")


def tracked_link(message: OutboxMessage, channel: str) -> str:
    """The address a message's e-mail or push notification links to: opening it records the
    first open of ``message`` through ``channel`` and then leads to the message's own link.
    An absolute URL for e-mail, a path on lxp for Web Push (the service worker opens paths on
    its own origin): as the channel's ``absolute_links`` says. The message must have an id
    (flushed). Raises ``ValueError`` for a channel that does not track opens."""
    if channel not in channels.where("tracks_opens"):
        raise ValueError(f"no tracked link for channel {channel!r}")
    path = channels.path_for("effect.open_link", token=_serializer().dumps([message.id, channel]))
    return current_app.config["BASE_URL"].rstrip("/") + path if channels.CHANNELS[channel].absolute_links else path


def _safe_path(link: str | None) -> str:
    # The link is ours, but a stored value must never turn this address into an open redirect.
    if not link or not link.startswith("/") or link.startswith("//") or "\\" in link:
        return "/"
    return link


def open_tracked_link(token: str, now: datetime | None = None) -> str | None:
    """Record the first open of the message a tracked link names (an open already recorded,
    through any channel, stays) and return the path to go on to; None, recording nothing, when
    the token is not one lxp signed or its message is gone."""
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)
            and payload[1] in channels.where("tracks_opens")):  # fmt: skip
        return None
    message_id, channel = payload
    found = db.session.execute(select(OutboxMessage.link).where(OutboxMessage.id == message_id)).first()
    if found is None:
        return None
    # One conditional UPDATE: two clicks at once cannot both count as the first. A named
    # boundary although the click is a GET: following a link in an e-mail is the only way to
    # say "opened", so this GET's purpose is to record it (and nothing else is written).
    with unit_of_work.boundary("touchpoints: record a tracked link's open"):
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.opened_at.is_(None))
            .values(opened_at=now or utcnow(), opened_via=channel)
        )
    return _safe_path(found.link)


def note_inbox_open(user_id: int, key: str | None, now: datetime | None = None) -> None:
    """The learner opened an inbox message: when it is a touchpoint's copy (key
    ``nudge:<rule>:<occurrence>``) not opened yet by any channel, record the open as in-app;
    other keys are ignored."""
    if not key or not key.startswith("nudge:") or key.count(":") < 2:
        return
    _prefix, rule, occurrence = key.split(":", 2)
    m = OutboxMessage
    # Delivery cuts the key at KEY_LENGTH characters: a cut key names its message by its start.
    same = (
        m.occurrence.startswith(occurrence, autoescape=True) if len(key) >= KEY_LENGTH else m.occurrence == occurrence
    )
    db.session.execute(
        update(m).where(m.user_id == user_id, m.rule == rule, same, m.opened_at.is_(None))
        .values(opened_at=now or utcnow(), opened_via=channels.inbox())
    )  # fmt: skip
    db.session.flush()


def note_opt_out(user_id: int, *, rule: str | None = None, category: str | None = None,
                 channel: str | None = None, now: datetime | None = None) -> None:  # fmt: skip
    """The learner asked for fewer messages: mark the latest sent message of ``rule`` (or, for
    an e-mail unsubscribe, of ``category``, preferring those sent through ``channel``) as the
    one that made them opt out. In the caller's transaction (the caller commits); nothing when
    no such message was sent or it is marked already. Raises ``ValueError`` without a rule or
    a category."""
    if (rule is None) == (category is None):
        raise ValueError("give a rule or a category")
    m = OutboxMessage
    query = select(m.id, m.opted_out_at).where(m.user_id == user_id, m.status == "sent")
    query = query.where(m.rule == rule) if rule is not None else query.where(m.category == category)
    order = [m.sent_at.desc(), m.id.desc()]
    if channel is not None:
        order.insert(0, case((m.channel == channel, 0), else_=1))
    latest = db.session.execute(query.order_by(*order).limit(1)).first()
    if latest is not None and latest.opted_out_at is None:
        db.session.execute(update(m).where(m.id == latest.id).values(opted_out_at=now or utcnow()))


# --- counting ----------------------------------------------------------------------------------


class _hours_after(FunctionElement):
    """``moment + hours`` in SQL: PostgreSQL adds an interval; SQLite stores text, so the sum is
    written in the same "YYYY-MM-DD HH:MM:SS.ffffff" form that compares as text."""

    type = UTCDateTime()
    inherit_cache = True
    name = "hours_after"


@compiles(_hours_after)
def _hours_after_postgresql(element, compiler, **kw):
    moment, hours = list(element.clauses)
    return f"({compiler.process(moment, **kw)} + {compiler.process(hours, **kw)} * interval '1 hour')"


@compiles(_hours_after, "sqlite")
def _hours_after_sqlite(element, compiler, **kw):
    moment, hours = list(element.clauses)
    # %f is seconds with milliseconds; "000" pads it to the microseconds SQLAlchemy stores.
    return (f"strftime('%Y-%m-%d %H:%M:%f000', {compiler.process(moment, **kw)}, "
            f"'+' || {compiler.process(hours, **kw)} || ' hours')")  # fmt: skip


@dataclass(frozen=True)
class Filters:
    """What the admin asked to see: one course or all, and a range of days (UTC, both ends
    included; None leaves that end open)."""

    course_id: int | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class EffectReport:
    channels: list[effect_maths.ChannelRow]
    holdout: list[effect_maths.HoldoutRow]
    # Rules with adaptive timing, per rule and channel ("rule|channel"): sent at the learner's
    # own hour (the "sent" side) against the share kept at the fixed time (the "held out" side).
    timing: list[effect_maths.HoldoutRow]
    measured_until: datetime  # messages after this moment are not yet 48 hours old


def _counts(
    admin: User, filters: Filters, now: datetime, *, status: str, by_channel: bool, by_timing: bool = False
) -> list[effect_maths.Counts]:
    """Counts per rule (and channel); with ``by_timing``, only adaptive rules' messages, per rule
    and channel and timing, the rule named ``"rule|channel|timing"``."""
    m, e = OutboxMessage, LearningEvent
    # A holdout message was never sent: its clock starts when it would have gone.
    moment = m.sent_at if status == "sent" else m.due_at
    window_over = moment <= now - timedelta(hours=effect_maths.WINDOW_HOURS)
    learned = exists().where(e.actor_id == m.user_id, e.verb.in_(LEARNING_VERBS), e.occurred_at >= moment,
                             e.occurred_at < _hours_after(moment, literal_column(str(effect_maths.WINDOW_HOURS))))  # fmt: skip
    keys = [m.rule, m.channel, m.timing] if by_timing else [m.rule, m.channel] if by_channel else [m.rule]
    query = (
        select(*keys, func.count(), func.count(m.user_id.distinct()), func.count(m.opened_at),
               func.count(m.opted_out_at), func.coalesce(func.sum(case((window_over, 1), else_=0)), 0),
               func.coalesce(func.sum(case((and_(window_over, learned), 1), else_=0)), 0))
        .join(User, User.id == m.user_id)
        .where(User.organisation_id == admin.organisation_id, m.status == status, moment <= now)
        .group_by(*keys)
    )  # fmt: skip
    if by_timing:
        query = query.where(m.timing.is_not(None))
    if filters.course_id is not None:
        query = query.where(m.course_id == filters.course_id)
    if filters.start is not None:
        query = query.where(moment >= datetime.combine(filters.start, time.min, tzinfo=UTC))
    if filters.end is not None:
        query = query.where(moment < datetime.combine(filters.end + timedelta(days=1), time.min, tzinfo=UTC))
    found = []
    for row in db.session.execute(query):
        if by_timing:
            found.append(effect_maths.Counts(f"{row[0]}|{row[1]}|{row[2]}", None, *(int(n) for n in row[3:])))
            continue
        rule, channel, rest = (row[0], row[1], row[2:]) if by_channel else (row[0], None, row[1:])
        found.append(effect_maths.Counts(rule, channel, *(int(n) for n in rest)))
    return found


def courses_of(admin: User) -> list[tuple[int, str]]:
    """The admin's organisation's courses as (id, title of the newest version), by title."""
    titles: dict[int, str] = {}
    for course_id, title in db.session.execute(
        select(Course.id, CourseVersion.title).join(CourseVersion, CourseVersion.course_id == Course.id)
        .where(Course.organisation_id == admin.organisation_id).order_by(CourseVersion.number)
    ):  # fmt: skip
        titles[course_id] = title
    return sorted(titles.items(), key=lambda item: item[1].lower())


def effect_report(admin: User, filters: Filters, now: datetime | None = None) -> EffectReport:
    """Per rule and channel: sent, opened, came back within 48 hours, opted out; per rule, the
    sent group against the holdout group. Only the admin's organisation is counted. Raises
    ``Invalid`` for a range that ends before it starts or a course not of the organisation."""
    now = now or utcnow()
    if filters.start and filters.end and filters.end < filters.start:
        raise Invalid(
            _l("The end of the period is before its start. Choose an end on or after the start."), field="end"
        )
    if filters.course_id is not None and filters.course_id not in dict(courses_of(admin)):
        raise Invalid(_l("Choose from the list."), field="course")
    by_channel = _counts(admin, filters, now, status="sent", by_channel=True)
    sent = _counts(admin, filters, now, status="sent", by_channel=False)
    held = _counts(admin, filters, now, status="held_out", by_channel=False)
    timed = _counts(admin, filters, now, status="sent", by_channel=True, by_timing=True)
    adaptive = [replace(c, rule=c.rule.rsplit("|", 1)[0]) for c in timed if c.rule.endswith("|adaptive")]
    fixed = [replace(c, rule=c.rule.rsplit("|", 1)[0]) for c in timed if c.rule.endswith("|fixed")]
    return EffectReport(effect_maths.channel_rows(by_channel), effect_maths.holdout_rows(sent, held),
                        effect_maths.holdout_rows(adaptive, fixed),
                        now - timedelta(hours=effect_maths.WINDOW_HOURS))  # fmt: skip
