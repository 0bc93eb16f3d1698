"""The learner's control over touchpoints: categories, channels, quiet hours, the weekly cap,
pause, "fewer like this", and the one-click unsubscribe link that needs no login."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from lxp import channels
from lxp.accounts.models import User
from lxp.core.errors import Invalid
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges import effect, policy
from lxp.nudges.models import NotificationPreferences
from lxp.nudges.rules import RULES_BY_KEY

# --- the learner's control -------------------------------------------------------------------


def preferences_of(user: User) -> policy.Preferences:
    row = db.session.get(NotificationPreferences, user.id)
    defaults = channels.default_channels(policy.CATEGORIES)
    if row is None:
        return policy.Preferences(timezone=user.timezone or "UTC", defaults=defaults)
    return policy.Preferences(
        timezone=user.timezone or "UTC", off=frozenset(row.off or ()), defaults=defaults,
        channels={k: tuple(v) for k, v in (row.channels or {}).items()}, quiet_start=row.quiet_start,
        quiet_end=row.quiet_end, weekly_cap=row.weekly_cap, paused_until=row.paused_until,
        muted_rules=frozenset(row.muted_rules or ()), auto_paused_rules=frozenset(row.auto_paused_rules or ()),
        digest_weekday=row.digest_weekday, digest_hour=row.digest_hour,
    )  # fmt: skip


def row_for(user: User) -> NotificationPreferences:
    """The learner's stored choices, added to the session with the defaults if they have none."""
    row = db.session.get(NotificationPreferences, user.id)
    return row if row is not None else new_row(user)


def new_row(user: User) -> NotificationPreferences:
    """A row with the defaults for a learner who has none yet, added to the session."""
    defaults = policy.Preferences()
    row = NotificationPreferences(user_id=user.id, off=[], channels={}, quiet_start=defaults.quiet_start,
                                  quiet_end=defaults.quiet_end, weekly_cap=defaults.weekly_cap, muted_rules=[],
                                  auto_paused_rules=[])  # fmt: skip
    db.session.add(row)
    return row


def mute_rule(user: User, rule_key: str) -> None:
    """ "Fewer like this": the learner gets no more messages of this rule (they can undo it on
    their notifications page). Raises ``KeyError`` for an unknown rule."""
    RULES_BY_KEY[rule_key]
    row = row_for(user)
    row.muted_rules = sorted({*(row.muted_rules or ()), rule_key})
    row.updated_at = utcnow()
    effect.note_opt_out(user.id, rule=rule_key)
    db.session.flush()


# --- one-click unsubscribe -------------------------------------------------------------------


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="lxp-unsubscribe")


def unsubscribe_token(user: User, category: str) -> str:
    return _unsubscribe_serializer().dumps({"u": user.id, "c": category})


def read_unsubscribe_token(token: str) -> tuple[User, str] | None:
    """The person and category a link was made for, or None when it is not genuine."""
    try:
        payload = _unsubscribe_serializer().loads(token)
    except BadSignature:
        return None
    user = db.session.get(User, payload.get("u")) if isinstance(payload, dict) else None
    category = payload.get("c") if isinstance(payload, dict) else None
    if user is None or category not in policy.CATEGORIES:
        return None
    return user, category


def unsubscribe(user: User, category: str) -> None:
    """The one-click unsubscribe: no more messages of this category through the channels whose
    messages carry the link (e-mail); the inbox keeps them. Idempotent."""
    stopped = channels.where("unsubscribe_link")
    row = row_for(user)
    current = list((row.channels or {}).get(category) or channels.default_channels([category])[category])
    row.channels = {**(row.channels or {}), category: [c for c in current if c not in stopped] or [channels.inbox()]}
    row.updated_at = utcnow()
    effect.note_opt_out(user.id, category=category, channel=stopped[0] if stopped else None)
    db.session.flush()


def save_preferences(user: User, on: dict[str, bool], chosen: dict[str, Iterable[str]], quiet_start, quiet_end,
                     weekly_cap: int, pause: str = "", now: datetime | None = None, *, digest_weekday: int | None = None,
                     digest_hour: int | None = None) -> None:  # fmt: skip
    """Save the learner's choices: categories ``on`` or off, and per category the channels
    ``chosen`` besides the inbox (of those chosen per category, e-mail; others are ignored).
    ``pause``: "" keeps the pause as it is, a number of days pauses from now, "off" ends it.
    Raises ``Invalid`` (quiet hours with one end only, a cap outside 0..30, a digest day or hour
    that does not exist)."""
    now = now or utcnow()
    if (quiet_start is None) != (quiet_end is None):
        raise Invalid(_l("Give both ends of your quiet hours, or neither."), field="quiet_end")
    if not 0 <= weekly_cap <= 30:
        raise Invalid(_l("Choose between 0 and 30 messages a week."), field="weekly_cap")
    row = row_for(user)
    row.off = sorted(c for c in policy.CATEGORIES if not on.get(c, True))
    choosable = channels.where("chosen_per_category")
    row.channels = {c: [channels.inbox(), *(name for name in choosable if name in set(chosen.get(c, ())))]
                    for c in policy.CATEGORIES}  # fmt: skip
    row.quiet_start, row.quiet_end, row.weekly_cap = quiet_start, quiet_end, weekly_cap
    if digest_weekday is not None:
        if digest_weekday not in range(7) or digest_hour not in range(24):
            raise Invalid(_l("Choose a weekday and an hour for your digest."), field="digest_weekday")
        row.digest_weekday, row.digest_hour = digest_weekday, digest_hour
    if pause == "off":
        row.paused_until = None
    elif pause.isdigit():
        row.paused_until = now + timedelta(days=int(pause))
    row.updated_at = now
    db.session.flush()


def unmute_rule(user: User, rule_key: str) -> None:
    """Undo "fewer like this" for a rule."""
    row = row_for(user)
    row.muted_rules = [r for r in row.muted_rules or () if r != rule_key]
    row.auto_paused_rules = [r for r in row.auto_paused_rules or () if r != rule_key]
    row.updated_at = utcnow()
    db.session.flush()


def rule_of_message(key: str | None) -> str | None:
    """The rule an inbox message came from (its key is ``nudge:<rule>:<occurrence>``)."""
    if not key or not key.startswith("nudge:"):
        return None
    rule = key.split(":", 2)[1]
    return rule if rule in RULES_BY_KEY else None
