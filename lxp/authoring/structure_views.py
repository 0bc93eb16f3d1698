"""The course editor, structure level: outcomes, modules, items, reordering, preview."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lxp.authoring import services
from lxp.authoring.forms import ModuleForm, OutcomeForm
from lxp.authoring.kinds import KINDS
from lxp.authoring.models import Competency
from lxp.authoring.views import course_or_404, editable_draft_or_redirect
from lxp.core import unit_of_work
from lxp.core.auth import restrict_blueprint
from lxp.core.errors import ServiceError
from lxp.core.forms import ConfirmForm, show_form_error
from lxp.extensions import db

bp = Blueprint("course_structure", __name__, url_prefix="/admin/courses")
restrict_blueprint(bp, "admin")


def _back(course_id: int):
    return redirect(url_for("authoring.course", course_id=course_id))


def _competencies(organisation_id: int) -> list[Competency]:
    return list(
        db.session.execute(
            select(Competency).where(Competency.organisation_id == organisation_id).order_by(Competency.code)
        ).scalars()
    )


def _child_or_404(version, rows, row_id: int):
    for row in rows:
        if row.id == row_id:
            return row
    abort(404)


# --- outcomes ----------------------------------------------------------------------------


@bp.route("/<int:course_id>/outcomes/new", methods=["GET", "POST"])
@bp.route("/<int:course_id>/outcomes/<int:outcome_id>", methods=["GET", "POST"])
def edit_outcome(course_id: int, outcome_id: int | None = None):
    """Add or change an outcome: a can-do statement mapped to competencies."""
    course = course_or_404(course_id)
    version = editable_draft_or_redirect(course)
    if version is None:
        return _back(course_id)
    outcome = _child_or_404(version, version.outcomes, outcome_id) if outcome_id else None
    form = OutcomeForm(data={"statement": outcome.statement, "competencies": [c.id for c in outcome.competencies]}
                       if outcome and request.method == "GET" else None)  # fmt: skip
    form.competencies.choices = [(c.id, f"{c.name} ({c.code})") for c in _competencies(course.organisation_id)]
    if form.validate_on_submit():
        try:
            services.save_outcome(current_user, version, form.statement.data, form.competencies.data, outcome)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Outcome saved."), "success")
            return _back(course_id)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("authoring/course/outcome.html", form=form, course=course, outcome=outcome), status


# --- modules -----------------------------------------------------------------------------


@bp.route("/<int:course_id>/modules/new", methods=["GET", "POST"])
@bp.route("/<int:course_id>/modules/<int:module_id>", methods=["GET", "POST"])
def edit_module(course_id: int, module_id: int | None = None):
    """Add or rename a module."""
    course = course_or_404(course_id)
    version = editable_draft_or_redirect(course)
    if version is None:
        return _back(course_id)
    module = _child_or_404(version, version.modules, module_id) if module_id else None
    form = ModuleForm(obj=module if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.save_module(current_user, version, form.title.data, form.summary.data or "", module)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Module saved."), "success")
            return _back(course_id)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("authoring/course/module.html", form=form, course=course, module=module), status


# --- items -------------------------------------------------------------------------------


@bp.route("/<int:course_id>/items/new", methods=["GET", "POST"])
@bp.route("/<int:course_id>/items/<int:item_id>", methods=["GET", "POST"])
def edit_item(course_id: int, item_id: int | None = None):
    """Add (``?module=…&kind=…``) or change an item with the form of its kind."""
    course = course_or_404(course_id)
    version = editable_draft_or_redirect(course)
    if version is None:
        return _back(course_id)
    if not version.modules:
        flash(_("Add a module first: items live in modules."), "error")
        return _back(course_id)
    item = _child_or_404(version, version.items, item_id) if item_id else None
    kind = item.kind if item else request.args.get("kind")
    if kind not in KINDS:
        return render_template("authoring/course/choose_kind.html", course=course, kinds=KINDS,
                               module_id=request.args.get("module", type=int))  # fmt: skip

    form = KINDS[kind].form()
    competencies = _competencies(course.organisation_id)
    competency_choices = [(c.id, f"{c.name} ({c.code})") for c in competencies]
    others = [(i.id, i.title) for m in version.modules for i in m.items if item is None or i.id != item.id]
    form.module.choices = [(m.id, m.title) for m in version.modules]
    form.teaches.choices = form.assesses.choices = competency_choices
    form.prerequisites.choices = form.alternatives.choices = others
    if request.method == "GET":
        if item:
            form.module.data, form.title.data, form.minutes.data, form.language.data = (
                item.module_id, item.title, item.minutes, item.language)  # fmt: skip
            form.teaches.data = [c.id for c in item.teaches]
            form.assesses.data = [c.id for c in item.assesses]
            form.prerequisites.data = [p.id for p in item.prerequisites]
            form.alternatives.data = [a.id for a in item.alternatives]
            form.fill_content(item.content)
        else:
            form.module.data = request.args.get("module", type=int) or version.modules[-1].id
            form.language.data = version.language
            form.minutes.data = 5
    form.prepare_rows([c.code for c in competencies])

    if form.validate_on_submit():
        module = _child_or_404(version, version.modules, form.module.data)
        data = services.ItemInput(
            kind=kind, title=form.title.data, minutes=form.minutes.data, language=form.language.data,
            content=form.content(), teaches=form.teaches.data or [], assesses=form.assesses.data or [],
            prerequisites=form.prerequisites.data or [], alternatives=form.alternatives.data or [],
        )  # fmt: skip
        try:
            saved = services.save_item(current_user, module, data, item)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Item saved."), "success")
            if KINDS[kind].short_block and saved.minutes > 10:
                flash(_("Blocks work best at 2 to 10 minutes; consider splitting this one."), "info")
            return _back(course_id)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("authoring/course/item.html", form=form, course=course, item=item, kind=KINDS[kind]), status


@bp.post("/<int:course_id>/<any(outcomes, modules, items):things>/<int:thing_id>/move")
def move(course_id: int, things: str, thing_id: int):
    """Move an outcome, module or item one place up or down (``step`` = -1 or 1)."""
    course = course_or_404(course_id)
    version = editable_draft_or_redirect(course)
    form = ConfirmForm()
    if version is None or not form.validate_on_submit():
        return _back(course_id)
    step = -1 if request.form.get("step") == "-1" else 1
    thing = _child_or_404(version, getattr(version, things), thing_id)
    services.move(current_user, thing, step)
    return redirect(url_for("authoring.course", course_id=course_id, _anchor=f"{things[:-1]}-{thing_id}"))


@bp.post("/<int:course_id>/<any(outcomes, modules, items):things>/<int:thing_id>/delete")
def delete(course_id: int, things: str, thing_id: int):
    """Delete an outcome, an empty module, or an item."""
    course = course_or_404(course_id)
    version = editable_draft_or_redirect(course)
    form = ConfirmForm()
    if version is None or not form.validate_on_submit():
        return _back(course_id)
    thing = _child_or_404(version, getattr(version, things), thing_id)
    remove = {"outcomes": services.delete_outcome, "modules": services.delete_module, "items": services.delete_item}
    try:
        remove[things](current_user, thing)
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
    else:
        flash(_("Deleted."), "success")
    return _back(course_id)


@bp.get("/<int:course_id>/items/<int:item_id>/preview")
def preview_item(course_id: int, item_id: int):
    """The item as a learner sees it on a phone (of any version, by item id)."""
    course = course_or_404(course_id)
    item = next((i for v in course.versions for i in v.items if i.id == item_id), None)
    if item is None:
        abort(404)
    return render_template("authoring/course/preview.html", course=course, item=item, kind=KINDS[item.kind])
