"""Admins: a course's journey of touchpoints, one rule's settings and words, and a preview
of how it reads for a given learner."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from lxp.core import unit_of_work
from lxp.core.auth import restrict_blueprint
from lxp.core.errors import Invalid, NotFound, ServiceError
from lxp.core.forms import ConfirmForm, show_form_error
from lxp.nudges import course_rules, rules, texts
from lxp.nudges.preview import preview_for
from lxp.nudges.rule_forms import PreviewForm, RuleForm
from lxp.nudges.rules import Template

bp = Blueprint("touchpoint_rules", __name__, url_prefix="/admin/courses/<int:course_id>/touchpoints")
restrict_blueprint(bp, "admin")


def _journey_or_404(course_id: int):
    try:
        return course_rules.journey_of(current_user, course_id)
    except NotFound:
        abort(404)


@bp.get("")
def journey(course_id: int):
    """The course's touchpoints in the order a learner meets them, with what each does."""
    course, rows = _journey_or_404(course_id)
    return render_template("nudges/rules.html", course=course, rows=rows, labels=texts.RULE_LABELS,
                           when_it_comes=texts.when_it_comes, title=course_rules.course_titles().get(course.id, ""))  # fmt: skip


def _fill(form: RuleForm, rule: rules.Rule) -> None:
    form.enabled.data = rule.enabled
    for name in rules.EDITABLE[rule.trigger]:
        getattr(form, name).data = getattr(rule, name)
    form.priority.data, form.holdout_percent.data = rule.priority, rule.holdout_percent
    form.adaptive_time.data = rule.adaptive_time
    for n, channel in enumerate(rule.channels[:3], start=1):
        getattr(form, f"channel_{n}").data = channel
    for locale in course_rules.LOCALES:
        with force_locale(locale):
            template = texts.template_for(rule, locale)
        getattr(form, f"{locale}_subject").data = template.subject
        getattr(form, f"{locale}_body").data = template.body


def _change(form: RuleForm, rule: rules.Rule) -> course_rules.RuleChange:
    params = {}
    for name in rules.EDITABLE[rule.trigger]:
        value = getattr(form, name).data
        if value is None:
            raise Invalid(_("Give a number."), field=name)
        params[name] = value
    channels = tuple(c for c in (form.channel_1.data, form.channel_2.data, form.channel_3.data) if c)
    templates = {}
    for locale in course_rules.LOCALES:
        subject, body = getattr(form, f"{locale}_subject").data or "", getattr(form, f"{locale}_body").data or ""
        with force_locale(locale):
            default = texts.default_template(rule.key)
        if (subject.strip(), body.strip()) != (default.subject, default.body):  # only what the admin changed
            templates[locale] = Template(subject, body)
    return course_rules.RuleChange(form.enabled.data, params, form.priority.data, channels, form.holdout_percent.data,
                                   templates, bool(form.adaptive_time.data))  # fmt: skip


@bp.route("/<key>", methods=["GET", "POST"])
def edit(course_id: int, key: str):
    """One rule: switch it, change its numbers, channels, holdout and words; preview it."""
    course, rows = _journey_or_404(course_id)
    row = next((r for r in rows if r.rule.key == key), None)
    if row is None:
        abort(404)
    form = RuleForm()
    if request.method == "GET":
        _fill(form, row.rule)
    elif form.validate_on_submit():
        try:
            course_rules.save_rule(current_user, course.id, key, _change(form, row.rule))
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Saved. Messages planned from now on follow these settings."), "success")
            return redirect(url_for("touchpoint_rules.edit", course_id=course.id, key=key))
    preview_form, preview = PreviewForm(request.args), None
    if request.args.get("learner") and preview_form.validate():
        try:
            preview = preview_for(current_user, course.id, key, preview_form.learner.data)
        except Invalid as error:
            unit_of_work.refused()
            preview_form.learner.errors = [str(error)]
    status = 400 if form.errors or form.form_errors or preview_form.learner.errors else 200
    return render_template(
        "nudges/rule.html", course=course, row=row, form=form, preview_form=preview_form, preview=preview,
        label=texts.RULE_LABELS[key], when=texts.when_it_comes(row.rule), editable=rules.EDITABLE[row.rule.trigger],
        confirm=ConfirmForm(), title=course_rules.course_titles().get(course.id, ""),
    ), status  # fmt: skip


@bp.post("/<key>/reset")
def reset(course_id: int, key: str):
    """Back to the default settings and words."""
    if not ConfirmForm().validate_on_submit() or key not in rules.RULES_BY_KEY:
        abort(400)
    try:
        course_rules.reset_rule(current_user, course_id, key)
    except NotFound:
        abort(404)
    flash(_("Back to the default settings and words."), "success")
    return redirect(url_for("touchpoint_rules.edit", course_id=course_id, key=key))
