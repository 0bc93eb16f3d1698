"""Insights pages for trainers and L&D admins: parse the filters, call a service, render the
page or its CSV. Who may see what is decided in ``services``."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lxp.core.auth import restrict_blueprint
from lxp.core.error_pages import render_error
from lxp.core.errors import NotFound, ServiceError
from lxp.core.forms import show_form_error
from lxp.core.i18n import LANGUAGE_NAMES
from lxp.insights import exports, package_units, presenting, services, tabs
from lxp.insights.forms import CohortFilterForm, FilterForm

FILTER_KEYS = ("cohort", "start", "end", "language", "package")

bp = Blueprint("insights", __name__, url_prefix="/insights")
restrict_blueprint(bp, "admin", "trainer")


@bp.context_processor
def _navigation():
    return {"site_tabs": tabs.visible(tabs.SITE_TABS, current_user),
            "course_tabs": tabs.visible(tabs.COURSE_TABS, current_user)}  # fmt: skip


@bp.app_template_global("insights_site_tabs")
def insights_site_tabs() -> list:
    """The insights site tabs the viewer may open, for pages of other features that join them."""
    return tabs.visible(tabs.SITE_TABS, current_user)


def _filter_form(course=None) -> FilterForm:
    form = FilterForm(request.args)
    form.cohort.choices = [("", _("All cohorts"))] + [(c.id, c.name) for c in services.cohorts_for(current_user)]
    form.language.choices = [("", _("All languages"))] + [
        (code, LANGUAGE_NAMES.get(code, code)) for code in services.languages_for(current_user)
    ]
    packages = services.packages_for(course) if course is not None else []
    form.package.choices = [("", _("All packages"))] + [(p.id, f"{p.goal.title}: {p.title}") for p in packages]
    return form


def _filters(form) -> services.Filters | None:
    """The filters, or None when the form has errors (shown next to the fields)."""
    if not form.validate():
        return None
    return services.Filters(cohort_id=form.cohort.data, start=form.start.data, end=form.end.data,
                            language=form.language.data or None, package_id=form.package.data)  # fmt: skip


def _course_page(template: str, build, csv_name: str | None = None, more=None):
    """Shared flow of a course page: the course (404 with a message), the filters (the form
    again with the message and 400/403/404), then the numbers or their CSV. ``more(course_id,
    filters)`` adds further figures to the page (a mapping of names)."""
    course_id = request.view_args["course_id"]
    try:
        course, version = services.course_for(current_user, course_id)
    except NotFound as error:
        return render_error(404, error.message)
    form = _filter_form(course)
    filters = _filters(form)
    status, data, extra = 200, None, {}
    if filters is None:
        status = 400
    else:
        try:
            data = build(course_id, filters)
            extra = more(course_id, filters) if more is not None else {}
        except ServiceError as error:
            show_form_error(form, error)
            status = error.status
    if data is not None and request.args.get("format") == "csv":
        table = request.args.get("table", "")
        return exports.course_csv(csv_name, table, course, version, data, extra)
    return render_template(template, course=course, version=version, form=form, data=data,
                           query=_query(), present=presenting, **extra), status  # fmt: skip


def _query() -> dict:
    """The filters as given, to carry over to the other tabs and the CSV links."""
    return {key: value for key, value in request.args.items() if key in FILTER_KEYS and value}


@bp.get("/")
def index():
    """The courses an admin or trainer can look into, each opening its journey map."""
    return render_template("insights/index.html", courses=services.courses_for(current_user))


@bp.get("/courses/<int:course_id>")
def journey(course_id: int):
    """The journey map: stations in path order with reach, finish, time, mood, help and drop-off,
    and the drop-off inside imported packages per SCO or AU."""
    return _course_page(
        "insights/journey.html",
        lambda cid, f: services.journey_map(current_user, cid, f)[2],
        "journey",
        lambda cid, f: {"package_units": package_units.drop_off(current_user, cid, f)},
    )


@bp.get("/courses/<int:course_id>/satisfaction")
def satisfaction(course_id: int):
    """Net Promoter Score by month, mood by month, comments by station without names."""
    return _course_page("insights/satisfaction.html", lambda cid, f: services.satisfaction(current_user, cid, f)[2],
                        "satisfaction")  # fmt: skip


@bp.get("/courses/<int:course_id>/modalities")
def modalities(course_id: int):
    """Self-paced, live, coaching and on-the-job compared."""
    return _course_page("insights/modalities.html", lambda cid, f: services.modalities(current_user, cid, f)[3],
                        "modalities")  # fmt: skip


@bp.get("/people")
def people():
    """A trainer's learners (an admin: everyone), on track or behind, last seen, open help."""
    form = CohortFilterForm(request.args)
    form.cohort.choices = [("", _("All cohorts"))] + [(c.id, c.name) for c in services.cohorts_for(current_user)]
    status, found = 200, None
    if not form.validate():
        status = 400
    else:
        filters = services.Filters(cohort_id=form.cohort.data)
        try:
            if request.args.get("format") == "csv":
                return exports.people_csv(services.people(current_user, filters, limit=None)[0])
            found = services.people_page(current_user, filters, request.args.get("page", 1, type=int))
        except ServiceError as error:
            show_form_error(form, error)
            status = error.status
    return render_template("insights/people.html", form=form, people=found, per_page=services.PEOPLE_PER_PAGE,
                           query=_query(), present=presenting), status  # fmt: skip


@bp.app_template_global()
def insights_url(endpoint: str, **values) -> str:
    """A URL keeping the page's filters (for tabs and CSV links)."""
    return url_for(endpoint, **{**_query(), **values})
