"""The learner's notification preferences over the API: categories on or off, e-mail per
category (a switch named after each channel chosen per category), quiet hours, the weekly cap,
a pause, the digest's day and hour, and the rules they muted ("fewer like this") or lxp paused
for them, each of which can be turned back on. The same services as the notifications page
(``lxp/nudges/preferences.py``)."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lxp import channels
from lxp.api.common import area, not_found
from lxp.core.time import utcnow
from lxp.nudges import policy, texts
from lxp.nudges import services as nudges
from lxp.nudges.rules import RULES_BY_KEY

bp = area("notifications", "Your notification preferences, muted rules and pauses", "learner")


CHOOSABLE = channels.where("chosen_per_category")  # a switch per category each
CategorySchema = type("CategorySchema", (ma.Schema,), {
    "on": ma.fields.Boolean(required=True, metadata={"description": "false: no messages of this category"}),
    **{name: ma.fields.Boolean(required=True, metadata={"description": f"also by {name}, not only in the inbox"})
       for name in CHOOSABLE},
})  # fmt: skip
CategoryChangeSchema = type("CategoryChangeSchema", (ma.Schema,),
                            {"on": ma.fields.Boolean(), **{name: ma.fields.Boolean() for name in CHOOSABLE}})  # fmt: skip


# One object per category (reminder, nudge, digest, celebration, review), each named.
CategoriesSchema = type(
    "CategoriesSchema", (ma.Schema,), {c: ma.fields.Nested(CategorySchema) for c in policy.CATEGORIES}
)
CategoriesChangeSchema = type("CategoriesChangeSchema", (ma.Schema,),
                              {c: ma.fields.Nested(CategoryChangeSchema) for c in policy.CATEGORIES})  # fmt: skip


class MutedRuleSchema(ma.Schema):
    rule = ma.fields.String()
    label = ma.fields.String(metadata={"description": "what the rule sends, in your language"})
    by = ma.fields.String(metadata={"description": "you (fewer like this) or lxp (paused after being ignored)"})


class PreferencesSchema(ma.Schema):
    categories = ma.fields.Nested(CategoriesSchema, metadata={"description": ", ".join(policy.CATEGORIES)})
    quiet_start = ma.fields.Time(allow_none=True, metadata={"description": "local time; null: no quiet hours"})
    quiet_end = ma.fields.Time(allow_none=True)
    weekly_cap = ma.fields.Integer()
    paused_until = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "null when not paused"})
    digest_weekday = ma.fields.Integer(metadata={"description": "0 Monday … 6 Sunday"})
    digest_hour = ma.fields.Integer(metadata={"description": "0–23, your local time"})
    muted_rules = ma.fields.List(ma.fields.Nested(MutedRuleSchema))
    timezone = ma.fields.String(metadata={"description": "your time zone (change it on /me)"})


class PreferencesChangeSchema(ma.Schema):
    categories = ma.fields.Nested(CategoriesChangeSchema, metadata={"description": "only the categories to change"})
    quiet_start = ma.fields.Time(allow_none=True)
    quiet_end = ma.fields.Time(allow_none=True)
    weekly_cap = ma.fields.Integer(strict=True, validate=ma.validate.Range(0, 30))
    pause = ma.fields.String(validate=ma.validate.Regexp(r"^(off|[1-9][0-9]?)$"),
                             metadata={"description": "pause everything for 1–99 days from now, or off to end it"})  # fmt: skip
    digest_weekday = ma.fields.Integer(strict=True, validate=ma.validate.Range(0, 6))
    digest_hour = ma.fields.Integer(strict=True, validate=ma.validate.Range(0, 23))


def _preferences(user) -> dict:
    chosen = nudges.preferences_of(user)
    paused = chosen.paused_until if chosen.paused_until and chosen.paused_until > utcnow() else None
    muted = [{"rule": r, "label": str(texts.RULE_LABELS.get(r, r)), "by": "you"} for r in sorted(chosen.muted_rules)]
    muted += [{"rule": r, "label": str(texts.RULE_LABELS.get(r, r)), "by": "lxp"}
              for r in sorted(chosen.auto_paused_rules - chosen.muted_rules)]  # fmt: skip
    return {
        "categories": {c: {"on": c not in chosen.off, **{name: name in chosen.channels_for(c) for name in CHOOSABLE}}
                       for c in policy.CATEGORIES},
        "quiet_start": chosen.quiet_start, "quiet_end": chosen.quiet_end, "weekly_cap": chosen.weekly_cap,
        "paused_until": paused, "digest_weekday": chosen.digest_weekday, "digest_hour": chosen.digest_hour,
        "muted_rules": muted, "timezone": chosen.timezone,
    }  # fmt: skip


def _known_rule(rule: str) -> str:
    if rule not in RULES_BY_KEY:
        not_found(_l("There is no such kind of message."))
    return rule


@bp.get("/notifications/preferences")
@bp.response(200, PreferencesSchema)
def get_preferences():
    """What reaches you, how, and when not; and the kinds of message you muted or lxp paused."""
    return _preferences(current_user)


@bp.patch("/notifications/preferences")
@bp.arguments(PreferencesChangeSchema)
@bp.response(200, PreferencesSchema)
def change_preferences(change):
    """Change your choices; fields (and categories) left out stay as they are. Quiet hours need
    both ends or neither (400 otherwise, nothing saved)."""
    now = _preferences(current_user)
    categories = {c: {**now["categories"][c], **change.get("categories", {}).get(c, {})} for c in policy.CATEGORIES}
    nudges.save_preferences(
        current_user, {c: v["on"] for c, v in categories.items()},
        {c: [name for name in CHOOSABLE if v[name]] for c, v in categories.items()},
        change.get("quiet_start", now["quiet_start"]), change.get("quiet_end", now["quiet_end"]),
        change.get("weekly_cap", now["weekly_cap"]), change.get("pause", ""),
        digest_weekday=change.get("digest_weekday", now["digest_weekday"]),
        digest_hour=change.get("digest_hour", now["digest_hour"]),
    )  # fmt: skip
    return _preferences(current_user)


@bp.put("/notifications/muted-rules/<string(maxlength=64):rule>")
@bp.response(200, PreferencesSchema)
def mute(rule: str):
    """ "Fewer like this": no more messages of this kind (404 for a kind that does not exist)."""
    nudges.mute_rule(current_user, _known_rule(rule))
    return _preferences(current_user)


@bp.delete("/notifications/muted-rules/<string(maxlength=64):rule>")
@bp.response(200, PreferencesSchema)
def unmute(rule: str):
    """Turn a muted (or by lxp paused) kind of message back on."""
    nudges.unmute_rule(current_user, _known_rule(rule))
    return _preferences(current_user)
