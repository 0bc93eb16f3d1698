"""For admins (``admin`` role, and with a token the ``admin`` scope): a course's journey of
touchpoints over the API: the rules in the order a learner meets them, one rule's settings and
words, a change, going back to the defaults, and a preview for one learner. The same services
as the touchpoint pages (``lxp/nudges/course_rules.py``); labels from ``lxp/nudges/texts.py``."""

from __future__ import annotations

from dataclasses import asdict

import marshmallow as ma
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import abort

from lxp.api.common import area, not_found
from lxp.channels import names as channel_names
from lxp.core.errors import Invalid
from lxp.extensions import db
from lxp.nudges import course_rules, effect, rhythm, rules, texts
from lxp.nudges.effect_maths import difference_interval
from lxp.nudges.policy import FIXED_TIME_PERCENT
from lxp.nudges.preview import preview_for
from lxp.nudges.rules import Template

bp = area("touchpoints", "For admins: each course's touchpoint rules, their words and a preview", "admin",
          admin=True)  # fmt: skip

COURSE = "/courses/<int(max=2147483647):course_id>/touchpoints"
KEY = "<string(maxlength=64):key>"
PARAMS = sorted({name for names in rules.EDITABLE.values() for name in names})


class TouchpointWordsSchema(ma.Schema):
    subject = ma.fields.String(validate=ma.validate.Length(max=200))
    body = ma.fields.String(validate=ma.validate.Length(max=2000))


LocaleWordsSchema = type("LocaleWordsSchema", (ma.Schema,),
                         {loc: ma.fields.Nested(TouchpointWordsSchema) for loc in course_rules.LOCALES})  # fmt: skip


class NumberRangeSchema(ma.Schema):
    min = ma.fields.Integer()
    max = ma.fields.Integer()


class TouchpointRuleSchema(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String(metadata={"description": "what the rule sends, in your language"})
    when = ma.fields.String(metadata={"description": "when it comes, with its numbers, in your language"})
    category = ma.fields.String()
    trigger = ma.fields.String()
    customised = ma.fields.Boolean(metadata={"description": "false: the defaults apply to this course"})
    updated_at = ma.fields.AwareDateTime(allow_none=True)
    enabled = ma.fields.Boolean()
    params = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                            metadata={"description": "the numbers this trigger has (hours, days, delay_hours)"})  # fmt: skip
    editable = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(NumberRangeSchema),
                              metadata={"description": "allowed range of each number"})  # fmt: skip
    priority = ma.fields.Integer()
    channels = ma.fields.List(ma.fields.String(), metadata={"description": "in order; empty: the learner's choice"})
    holdout_percent = ma.fields.Integer()
    variables = ma.fields.List(ma.fields.String(), metadata={"description": "what the words may use, as {name}"})
    templates = ma.fields.Nested(LocaleWordsSchema, metadata={"description": "the words per language"})
    last_error = ma.fields.String(allow_none=True, metadata={
        "description": "why this course's version failed at the last planning run; null when it did not"})  # fmt: skip
    last_error_at = ma.fields.AwareDateTime(allow_none=True)


class TouchpointJourneySchema(ma.Schema):
    course_id = ma.fields.Integer()
    title = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(TouchpointRuleSchema))


ParamsSchema = type("TouchpointParamsSchema", (ma.Schema,),
                    {name: ma.fields.Integer(strict=True) for name in PARAMS})  # fmt: skip


class RuleChangeSchema(ma.Schema):
    """Fields left out stay as they are. A language in ``templates`` with an empty subject and
    body goes back to the default words; languages left out keep theirs."""

    enabled = ma.fields.Boolean()
    params = ma.fields.Nested(ParamsSchema, metadata={"description": "only the numbers this rule's trigger has"})
    priority = ma.fields.Integer(strict=True, validate=ma.validate.Range(0, 100))
    channels = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(channel_names())),
                              validate=ma.validate.Length(max=len(channel_names())))  # fmt: skip
    holdout_percent = ma.fields.Integer(strict=True, validate=ma.validate.Range(0, 50))
    templates = ma.fields.Nested(LocaleWordsSchema)


class TouchpointPreviewArgs(ma.Schema):
    learner = ma.fields.String(required=True, validate=ma.validate.Length(1, 254),
                               metadata={"description": "the learner's e-mail address"})  # fmt: skip


class TouchpointPreviewSchema(ma.Schema):
    learner_id = ma.fields.Integer()
    learner_name = ma.fields.String()
    subject = ma.fields.String()
    body = ma.fields.String()
    why = ma.fields.String()
    due_now = ma.fields.Boolean(metadata={"description": "false: nothing is due for them; read with example values"})


def _journey(course_id: int):
    return course_rules.journey_of(current_user, course_id)


def _row_of(rows, key: str):
    row = next((r for r in rows if r.rule.key == key), None)
    if row is None:
        not_found(_l("There is no such touchpoint."))
    return row


def _rule(row) -> dict:
    rule = row.rule
    words = {}
    for locale in course_rules.LOCALES:
        with force_locale(locale):
            template = texts.template_for(rule, locale)
        words[locale] = {"subject": str(template.subject), "body": str(template.body)}
    editable = rules.EDITABLE[rule.trigger]
    return {
        "key": rule.key, "label": str(texts.RULE_LABELS.get(rule.key, rule.key)), "when": str(texts.when_it_comes(rule)),
        "category": rule.category, "trigger": rule.trigger, "customised": row.customised, "updated_at": row.updated_at,
        "enabled": rule.enabled, "params": {name: getattr(rule, name) for name in editable},
        "editable": {name: {"min": low, "max": high} for name, (low, high) in editable.items()},
        "priority": rule.priority, "channels": list(rule.channels), "holdout_percent": rule.holdout_percent,
        "variables": list(rule.allowed_variables), "templates": words, "last_error": row.last_error,
        "last_error_at": row.last_error_at,
    }  # fmt: skip


def _api_field(field: str | None) -> str:
    """The service names fields as the page's form does; say them as this API's JSON does."""
    if not field:
        return ""
    locale, _, part = field.partition("_")
    if locale in course_rules.LOCALES and part in ("subject", "body"):
        return f"templates.{locale}.{part}"
    return f"params.{field}" if field in PARAMS else field


@bp.get(COURSE)
@bp.response(200, TouchpointJourneySchema)
def list_rules(course_id: int):
    """The course's touchpoint rules in the order a learner meets them, with what each does."""
    course, rows = _journey(course_id)
    return {"course_id": course.id, "title": course_rules.course_titles().get(course.id, ""),
            "items": [_rule(r) for r in rows]}  # fmt: skip


@bp.get(f"{COURSE}/{KEY}")
@bp.response(200, TouchpointRuleSchema)
def get_rule(course_id: int, key: str):
    """One touchpoint rule as it applies to this course: settings and words per language."""
    return _rule(_row_of(_journey(course_id)[1], key))


@bp.patch(f"{COURSE}/{KEY}")
@bp.arguments(RuleChangeSchema)
@bp.response(200, TouchpointRuleSchema)
def change_rule(change, course_id: int, key: str):
    """Change this course's version of a rule. A number the trigger does not have, or out of
    range, and words using a variable the rule does not offer are refused (422, naming the
    field and the variable); nothing is stored then."""
    course, rows = _journey(course_id)
    rule = _row_of(rows, key).rule
    templates = {**rule.templates}
    for locale, words in change.get("templates", {}).items():
        with force_locale(locale):
            current, default = texts.template_for(rule, locale), texts.default_template(rule.key)
        subject, body = words.get("subject", str(current.subject)), words.get("body", str(current.body))
        if (subject.strip(), body.strip()) in (("", ""), (str(default.subject), str(default.body))):
            templates.pop(locale, None)  # the default words, as the page stores only what changed
        else:
            templates[locale] = Template(subject, body)
    params = {name: getattr(rule, name) for name in rules.EDITABLE[rule.trigger]}
    params.update(change.get("params", {}))
    picked = course_rules.RuleChange(
        change.get("enabled", rule.enabled), params, change.get("priority", rule.priority),
        tuple(change.get("channels", rule.channels)), change.get("holdout_percent", rule.holdout_percent), templates,
        rule.adaptive_time,
    )  # fmt: skip
    try:
        course_rules.save_rule(current_user, course.id, key, picked)
    except Invalid as error:
        db.session.rollback()
        abort(422, message=str(error.message), errors={"json": {_api_field(error.field): [str(error.message)]}})
    return _rule(_row_of(_journey(course_id)[1], key))


@bp.post(f"{COURSE}/{KEY}/reset")
@bp.response(200, TouchpointRuleSchema)
def reset_rule(course_id: int, key: str):
    """Back to the default settings and words for this course. Saying it twice is the same."""
    course, rows = _journey(course_id)
    _row_of(rows, key)
    course_rules.reset_rule(current_user, course.id, key)
    return _rule(_row_of(_journey(course_id)[1], key))


@bp.get(f"{COURSE}/{KEY}/preview")
@bp.arguments(TouchpointPreviewArgs, location="query")
@bp.response(200, TouchpointPreviewSchema)
def preview_rule(args, course_id: int, key: str):
    """How the rule reads for one learner of your organisation, in their language: with what
    is due for them now if anything is, else with example values. 400 for an unknown learner."""
    course, rows = _journey(course_id)
    _row_of(rows, key)
    shown = preview_for(current_user, course.id, key, args["learner"])
    return {"learner_id": shown.learner.id, "learner_name": shown.learner.display_name, "subject": shown.subject,
            "body": shown.body, "why": shown.why, "due_now": shown.due_now}  # fmt: skip


# --- what the touchpoints did ----------------------------------------------------------------


class EffectArgs(ma.Schema):
    course = ma.fields.Integer(load_default=None, validate=ma.validate.Range(1, 2147483647),
                               metadata={"description": "one course; all without it"})  # fmt: skip
    start = ma.fields.Date(load_default=None, metadata={"description": "first day counted (UTC)"})
    end = ma.fields.Date(load_default=None, metadata={"description": "last day counted; not before start"})


HIDDEN = {"allow_none": True, "metadata": {"description": "null when fewer learners than the privacy minimum"}}


class ChannelRowSchema(ma.Schema):
    rule = ma.fields.String()
    label = ma.fields.String()
    channel = ma.fields.String(allow_none=True)
    shown = ma.fields.Boolean(metadata={"description": "false: too few learners, the numbers are null"})
    sent = ma.fields.Integer(**HIDDEN)
    learners = ma.fields.Integer(**HIDDEN)
    opened = ma.fields.Integer(**HIDDEN)
    open_rate = ma.fields.Float(**HIDDEN)
    measured = ma.fields.Integer(**HIDDEN)
    came_back = ma.fields.Integer(**HIDDEN)
    came_back_rate = ma.fields.Float(**HIDDEN)
    opted_out = ma.fields.Integer(**HIDDEN)
    opt_out_rate = ma.fields.Float(**HIDDEN)


class EffectGroupSchema(ma.Schema):
    shown = ma.fields.Boolean()
    messages = ma.fields.Integer(**HIDDEN)
    learners = ma.fields.Integer(**HIDDEN)
    measured = ma.fields.Integer(**HIDDEN)
    came_back = ma.fields.Integer(**HIDDEN)
    rate = ma.fields.Float(**HIDDEN)


class HoldoutRowSchema(ma.Schema):
    rule = ma.fields.String()
    label = ma.fields.String()
    sent = ma.fields.Nested(EffectGroupSchema)
    held_out = ma.fields.Nested(EffectGroupSchema)
    has_holdout = ma.fields.Boolean()
    difference = ma.fields.Float(allow_none=True, metadata={"description": "came-back rate, sent minus held out"})
    low = ma.fields.Float(allow_none=True, metadata={"description": "95 % interval of the difference"})
    high = ma.fields.Float(allow_none=True)


class EffectSchema(ma.Schema):
    channels = ma.fields.List(ma.fields.Nested(ChannelRowSchema))
    holdout = ma.fields.List(ma.fields.Nested(HoldoutRowSchema))
    measured_until = ma.fields.AwareDateTime(metadata={"description": "later messages are not yet 48 hours old"})


@bp.get("/touchpoints/effect")
@bp.arguments(EffectArgs, location="query")
@bp.response(200, EffectSchema)
def effect_report(args):
    """Per rule and channel: sent, opened, came back within 48 hours, opted out; per rule, the
    sent group against the holdout group. Your organisation only. 400 for an end before the
    start or a course not of your organisation."""
    found = effect.effect_report(current_user, effect.Filters(args["course"], args["start"], args["end"]))
    label = {key: str(text) for key, text in texts.RULE_LABELS.items()}
    return {"channels": [{**asdict(r), "label": label.get(r.rule, r.rule)} for r in found.channels],
            "holdout": [{**asdict(r), "label": label.get(r.rule, r.rule)} for r in found.holdout],
            "measured_until": found.measured_until}  # fmt: skip


class TimingGroupSchema(EffectGroupSchema):
    opened = ma.fields.Integer(**HIDDEN)
    open_rate = ma.fields.Float(**HIDDEN)


class TimingRowSchema(ma.Schema):
    rule = ma.fields.String()
    label = ma.fields.String()
    channel = ma.fields.String()
    chosen_time = ma.fields.Nested(TimingGroupSchema, metadata={"description": "sent at the learner's own hour"})
    default_time = ma.fields.Nested(TimingGroupSchema, metadata={
        "description": "kept at the rule's fixed time, chosen at random: the comparison group"})  # fmt: skip
    open_difference = ma.fields.Float(allow_none=True, metadata={
        "description": "open rate, chosen time minus default time; null unless both groups are shown"})  # fmt: skip
    open_low = ma.fields.Float(allow_none=True, metadata={"description": "95 % interval of the open difference"})
    open_high = ma.fields.Float(allow_none=True)
    difference = ma.fields.Float(allow_none=True, metadata={
        "description": "came-back rate within 48 hours, chosen time minus default time"})  # fmt: skip
    low = ma.fields.Float(allow_none=True, metadata={"description": "95 % interval of the came-back difference"})
    high = ma.fields.Float(allow_none=True)


class RhythmSchema(ma.Schema):
    computed_at = ma.fields.AwareDateTime()
    learners = ma.fields.Integer(metadata={"description": "how many learners it was learnt from"})
    busiest = ma.fields.List(ma.fields.Integer(), metadata={
        "description": "the busiest hours of the week (0 = Monday 00:00, in each learner's zone), busiest first; "
                       "empty below five learners"})  # fmt: skip
    hours = ma.fields.List(ma.fields.Integer(), allow_none=True, metadata={
        "description": "learning events of the last 8 weeks per hour of the week; null below five learners"})  # fmt: skip


class TimingSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TimingRowSchema), metadata={
        "description": "per rule with adaptive timing and channel, sorted by rule then channel"})  # fmt: skip
    fixed_time_percent = ma.fields.Integer(metadata={"description": "share of messages kept at the fixed time"})
    measured_until = ma.fields.AwareDateTime(metadata={"description": "later messages are not yet 48 hours old"})
    organisation_rhythm = ma.fields.Nested(RhythmSchema, allow_none=True, metadata={
        "description": "when the organisation's learners learn, renewed weekly; adaptive timing leans on it "
                       "where a learner's own rhythm is thin. Null until first computed"})  # fmt: skip


@bp.get("/touchpoints/timing")
@bp.arguments(EffectArgs, location="query")
@bp.response(200, TimingSchema)
def timing_report(args):
    """The send-time experiment: for rules with adaptive timing, per rule and channel, messages
    sent at the learner's own hour against those kept at the fixed time: opened, came back
    within 48 hours, and the differences with their 95 % intervals. Your organisation only;
    a group of fewer than five learners is null. 400 as for the effect report."""
    found = effect.effect_report(current_user, effect.Filters(args["course"], args["start"], args["end"]))
    label = {key: str(text) for key, text in texts.RULE_LABELS.items()}
    return {"items": [_timing_row(row, label) for row in found.timing],
            "fixed_time_percent": FIXED_TIME_PERCENT, "measured_until": found.measured_until,
            "organisation_rhythm": _rhythm(rhythm.summary(current_user.organisation_id))}  # fmt: skip


def _rhythm(found: rhythm.Summary | None) -> dict | None:
    if found is None:
        return None
    return {"computed_at": found.computed_at, "learners": found.learners, "busiest": list(found.busiest),
            "hours": list(found.hours) if found.hours is not None else None}  # fmt: skip


def _timing_row(row, label: dict[str, str]) -> dict:
    rule, _, channel = row.rule.partition("|")
    chosen, fixed = row.sent, row.held_out
    opens = (None, None, None)
    if chosen.shown and fixed.shown and chosen.messages and fixed.messages:
        opens = difference_interval(chosen.opened, chosen.messages, fixed.opened, fixed.messages)
    return {"rule": rule, "label": label.get(rule, rule), "channel": channel, "chosen_time": asdict(chosen),
            "default_time": asdict(fixed), "open_difference": opens[0], "open_low": opens[1], "open_high": opens[2],
            "difference": row.difference, "low": row.low, "high": row.high}  # fmt: skip
