"""The admin's catalogue pages: competencies, goals and their packages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lxp.authoring import competencies, goals
from lxp.authoring.catalogue_forms import CompetencyEditForm, CompetencyForm, GoalForm, MoveForm, PackageForm
from lxp.authoring.kinds import KINDS
from lxp.core import unit_of_work
from lxp.core.auth import restrict_blueprint
from lxp.core.errors import ServiceError
from lxp.core.forms import ConfirmForm, show_form_error

bp = Blueprint("catalogue", __name__, url_prefix="/admin")
restrict_blueprint(bp, "admin")


def _or_404(find, object_id: int):
    try:
        return find(current_user, object_id)
    except ServiceError:
        abort(404)


def _status(form, *extra_errors) -> int:
    return 400 if form.errors or form.form_errors or any(extra_errors) else 200


def _expired() -> None:
    flash(_("This form has expired. Please try again."), "error")


# --- competencies -----------------------------------------------------------------------


@bp.get("/competencies")
def list_competencies():
    """The organisation's competencies by code with their names in other languages, searchable
    by code or by a name in any language."""
    query = request.args.get("q", "")
    page = request.args.get("page", 1, type=int)
    pagination = competencies.search_competencies(current_user, query, page=max(page, 1))
    return render_template("authoring/catalogue/competencies.html", pagination=pagination, query=query)


@bp.route("/competencies/new", methods=["GET", "POST"])
def new_competency():
    """Add a competency, with its name in other languages; the code is suggested from the name
    when left empty."""
    form = CompetencyForm()
    if form.validate_on_submit():
        try:
            competency = competencies.create_competency(
                current_user, form.code.data, form.name.data, form.description.data, form.translations()
            )
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Competency %(code)s added.", code=competency.code), "success")
            return redirect(url_for("catalogue.list_competencies"))
    return render_template("authoring/catalogue/competency_new.html", form=form), _status(form)


@bp.route("/competencies/<int:competency_id>", methods=["GET", "POST"])
def edit_competency(competency_id: int):
    """Change a competency's name and description; its code is fixed."""
    competency = _or_404(competencies.get_competency, competency_id)
    form = CompetencyEditForm(obj=competency if request.method == "GET" else None)
    if request.method == "GET":
        form.fill_translations(competency.translations)
    if form.validate_on_submit():
        try:
            competencies.update_competency(current_user, competency, form.name.data, form.description.data,
                                           form.translations())  # fmt: skip
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Competency %(code)s saved.", code=competency.code), "success")
            return redirect(url_for("catalogue.list_competencies"))
    return render_template(
        "authoring/catalogue/competency.html",
        competency=competency,
        form=form,
        uses=competencies.competency_uses(competency),
        confirm=ConfirmForm(),
    ), _status(form)


@bp.post("/competencies/<int:competency_id>/delete")
def delete_competency(competency_id: int):
    """Delete a competency nothing uses; otherwise say what uses it."""
    competency = _or_404(competencies.get_competency, competency_id)
    if not ConfirmForm().validate_on_submit():
        _expired()
        return redirect(url_for("catalogue.edit_competency", competency_id=competency.id))
    code = competency.code
    try:
        competencies.delete_competency(current_user, competency)
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
        return redirect(url_for("catalogue.edit_competency", competency_id=competency.id))
    flash(_("Competency %(code)s deleted.", code=code), "success")
    return redirect(url_for("catalogue.list_competencies"))


# --- goals ------------------------------------------------------------------------------


def _goal_form(goal=None) -> GoalForm:
    """The goal form with the organisation's competencies and courses to choose from."""
    if request.method == "GET" and goal is not None:
        form = GoalForm(
            data={
                "title": goal.title,
                "slug": goal.slug,
                "description": goal.description,
                "language": goal.language,
                "suggested_roles": "\n".join(goal.suggested_roles),
                "competencies": [c.id for c in goal.competencies],
                "courses": [c.id for c in goal.courses],
            }
        )
    else:
        form = GoalForm()
        if request.method == "GET":
            form.language.data = current_user.locale or "en"
    form.competencies.choices = [(c.id, f"{c.name} ({c.code})") for c in competencies.all_competencies(current_user)]
    form.courses.choices = goals.course_choices(current_user)
    return form


def _goal_input(form: GoalForm) -> goals.GoalInput:
    return goals.GoalInput(
        title=form.title.data,
        slug=form.slug.data,
        description=form.description.data,
        language=form.language.data,
        suggested_roles=(form.suggested_roles.data or "").splitlines(),
        competency_ids=form.competencies.data or [],
        course_ids=form.courses.data or [],
    )


@bp.get("/goals")
def list_goals():
    """The organisation's goals with their packages and the courses they draw on."""
    return render_template("authoring/catalogue/goals.html", rows=goals.list_goals(current_user))


@bp.route("/goals/new", methods=["GET", "POST"])
def new_goal():
    """Add a goal: what a learner chooses, the competencies it builds, the courses it draws on."""
    form = _goal_form()
    if form.validate_on_submit():
        try:
            goal = goals.save_goal(current_user, _goal_input(form))
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Goal “%(title)s” added. Now put together its packages.", title=goal.title), "success")
            return redirect(url_for("catalogue.edit_goal", goal_id=goal.id))
    return render_template("authoring/catalogue/goal.html", form=form, goal=None), _status(form)


@bp.route("/goals/<int:goal_id>", methods=["GET", "POST"])
def edit_goal(goal_id: int):
    """Change a goal; the page also lists its packages."""
    goal = _or_404(goals.get_goal, goal_id)
    form = _goal_form(goal)
    if form.validate_on_submit():
        try:
            goals.save_goal(current_user, _goal_input(form), goal)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Goal “%(title)s” saved.", title=goal.title), "success")
            return redirect(url_for("catalogue.edit_goal", goal_id=goal.id))
    return render_template(
        "authoring/catalogue/goal.html", form=form, goal=goal, confirm=ConfirmForm(), move=MoveForm()
    ), _status(form)


@bp.post("/goals/<int:goal_id>/delete")
def delete_goal(goal_id: int):
    """Delete a goal together with its packages."""
    goal = _or_404(goals.get_goal, goal_id)
    if not ConfirmForm().validate_on_submit():
        _expired()
        return redirect(url_for("catalogue.edit_goal", goal_id=goal.id))
    title = goal.title
    packages = goals.delete_goal(current_user, goal)
    flash(
        ngettext(
            "Goal “%(title)s” and its %(num)d package deleted.",
            "Goal “%(title)s” and its %(num)d packages deleted.",
            packages,
            title=title,
        ),
        "success",
    )
    return redirect(url_for("catalogue.list_goals"))


# --- packages ---------------------------------------------------------------------------


def _package_page(goal, package, form):
    """Save the package when the form is posted and good; else the page, with its status."""
    item_errors: list[str] = []
    if request.method == "POST":
        included, mandatory = request.form.getlist("include"), request.form.getlist("mandatory")
    elif package is not None:
        included, mandatory = goals.package_selection(package)
    else:
        included, mandatory = [], []
    if form.validate_on_submit():
        data = goals.PackageInput(
            title=form.title.data,
            slug=form.slug.data,
            description=form.description.data,
            weeks=form.weeks.data,
            included=included,
            mandatory=mandatory,
        )
        try:
            package = goals.save_package(current_user, goal, data, package)
        except ServiceError as error:
            if error.field == "items":
                unit_of_work.refused()
                item_errors.append(error.message)
            else:
                show_form_error(form, error)
        else:
            flash(_("Package “%(title)s” saved.", title=package.title), "success")
            return redirect(url_for("catalogue.edit_goal", goal_id=goal.id))
    page = render_template(
        "authoring/catalogue/package.html",
        goal=goal,
        package=package,
        form=form,
        choices=goals.package_choices(goal),
        stale=goals.stale_entries(package) if package is not None else [],
        included=set(included) | set(mandatory),
        mandatory=set(mandatory),
        item_errors=item_errors,
        kinds=KINDS,
        confirm=ConfirmForm(),
    )
    return page, _status(form, item_errors)


@bp.route("/goals/<int:goal_id>/packages/new", methods=["GET", "POST"])
def new_package(goal_id: int):
    """Put together a package for a goal: title, length in weeks and the items it includes."""
    goal = _or_404(goals.get_goal, goal_id)
    return _package_page(goal, None, PackageForm())


@bp.route("/packages/<int:package_id>", methods=["GET", "POST"])
def edit_package(package_id: int):
    """Change a package and its items."""
    package = _or_404(goals.get_package, package_id)
    return _package_page(package.goal, package, PackageForm(obj=package if request.method == "GET" else None))


@bp.post("/packages/<int:package_id>/delete")
def delete_package(package_id: int):
    """Delete a package; the goal stays."""
    package = _or_404(goals.get_package, package_id)
    goal_id, title = package.goal_id, package.title
    if not ConfirmForm().validate_on_submit():
        _expired()
        return redirect(url_for("catalogue.edit_package", package_id=package.id))
    goals.delete_package(current_user, package)
    flash(_("Package “%(title)s” deleted.", title=title), "success")
    return redirect(url_for("catalogue.edit_goal", goal_id=goal_id))


@bp.post("/packages/<int:package_id>/move")
def move_package(package_id: int):
    """Move a package one place up or down in its goal's list."""
    package = _or_404(goals.get_package, package_id)
    form = MoveForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            _expired()
        else:
            flash(_("Move a package one place up or down."), "error")
    else:
        try:
            goals.move_package(current_user, package, form.step.data)
        except ServiceError as error:
            unit_of_work.flash_refusal(error)
    return redirect(url_for("catalogue.edit_goal", goal_id=package.goal_id) + f"#package-{package.id}")
