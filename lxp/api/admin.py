"""For admins (``admin`` role, and with a token the ``admin`` scope): people of the
organisation, and course documents in and out."""

from __future__ import annotations

import marshmallow as ma
from flask import json, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import abort

from lxp.accounts import services as accounts
from lxp.api.common import area
from lxp.api.paging import PageArgs, cursor, page_of, page_schema, paginate
from lxp.authoring import publishing, transfer
from lxp.authoring import services as authoring
from lxp.coaching import services as coaching
from lxp.core.auth import ROLES
from lxp.core.errors import Invalid
from lxp.core.problems import problem
from lxp.extensions import db

bp = area("admin", "For admins: people, and course import/export", "admin", admin=True)


class UserSchema(ma.Schema):
    id = ma.fields.Integer()
    email = ma.fields.String()
    display_name = ma.fields.String()
    locale = ma.fields.String(allow_none=True)
    timezone = ma.fields.String()
    active = ma.fields.Boolean()
    invitation_pending = ma.fields.Boolean()
    roles = ma.fields.Method("_roles", metadata={"type": "array", "items": {"type": "string"}})
    created_at = ma.fields.AwareDateTime()
    last_login_at = ma.fields.AwareDateTime(allow_none=True)

    def _roles(self, user):
        return sorted(user.roles)


class UserFilter(PageArgs):
    q = ma.fields.String(load_default="", validate=ma.validate.Length(max=200),
                         metadata={"description": "part of a name or e-mail"})  # fmt: skip
    role = ma.fields.String(load_default=None, validate=ma.validate.OneOf(ROLES))


class InviteSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(1, 254))
    display_name = ma.fields.String(required=True, validate=ma.validate.Length(1, 120))
    roles = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(ROLES)), required=True,
                           validate=ma.validate.Length(1, len(ROLES)))  # fmt: skip
    locale = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=8))
    timezone = ma.fields.String(load_default="UTC", validate=ma.validate.Length(1, 64))


class RolesSchema(ma.Schema):
    roles = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(ROLES)), required=True,
                           validate=ma.validate.Length(1, len(ROLES)))  # fmt: skip


class ActiveSchema(ma.Schema):
    active = ma.fields.Boolean(required=True)


class CourseSchema(ma.Schema):
    id = ma.fields.Integer()
    slug = ma.fields.String()
    title = ma.fields.String()
    latest_version = ma.fields.Integer()
    latest_status = ma.fields.String(metadata={"description": "draft, in_review, published or archived"})
    published_version = ma.fields.Integer(allow_none=True)


class ExportArgs(ma.Schema):
    version = ma.fields.Integer(load_default=None, validate=ma.validate.Range(1, 100_000),
                                metadata={"description": "a version number; the newest without it"})  # fmt: skip


class ImportedSchema(ma.Schema):
    course_id = ma.fields.Integer()
    version = ma.fields.Integer()
    status = ma.fields.String()


class CourseDocumentSchema(ma.Schema):
    """A course document (format ``lxp-course``), as the course editor's export writes it."""

    class Meta:
        unknown = ma.INCLUDE

    format = ma.fields.String()
    format_version = ma.fields.Integer()
    course = ma.fields.Dict()
    competencies = ma.fields.List(ma.fields.Dict())
    goals = ma.fields.List(ma.fields.Dict())


class CoachSchema(ma.Schema):
    learner_id = ma.fields.Integer()
    coach_id = ma.fields.Integer(allow_none=True)
    coach_name = ma.fields.String(allow_none=True)


class CoachChoiceSchema(ma.Schema):
    coach_id = ma.fields.Integer(strict=True, required=True, allow_none=True,
                                 validate=ma.validate.Range(1, 2147483647),
                                 metadata={"description": "an active trainer of your organisation; null: no coach"})  # fmt: skip


class SendBackSchema(ma.Schema):
    comment = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))


UserPage = page_schema(UserSchema, "UserPage")
CoursePage = page_schema(CourseSchema, "CoursePage")


@bp.errorhandler(transfer.DocumentRejected)
def _rejected(error: transfer.DocumentRejected):
    db.session.rollback()
    return problem(422, _l("The course document has errors; nothing was imported."),
                   [{"location": "json", "field": e.path, "message": e.message} for e in error.errors])  # fmt: skip


@bp.get("/users")
@bp.arguments(UserFilter, location="query")
@bp.response(200, UserPage)
def list_users(args):
    """People of your organisation by name; ``q`` filters by name or e-mail, ``role`` by role."""
    after = cursor(args["page_token"], list_name="admin.users", shape=(str, int))
    rows = accounts.users_after(current_user, args["q"], args["role"], after, args["limit"])
    page = page_of(rows, list_name="admin.users", key=lambda row: (row[1], row[0].id), limit=args["limit"])
    return {**page, "items": [user for user, _key in page["items"]]}


@bp.post("/users")
@bp.arguments(InviteSchema)
@bp.response(201, UserSchema)
def invite(args):
    """Invite a person: they get an e-mail with a link to set their password."""
    invitee = accounts.check_invitee(args["email"], args["display_name"], args["roles"], args["locale"],
                                     args["timezone"])  # fmt: skip
    return accounts.invite_user(current_user, invitee)


@bp.get("/users/<int(max=2147483647):user_id>")
@bp.response(200, UserSchema)
def get_user(user_id: int):
    """One person of your organisation."""
    return accounts.user_in_organisation(current_user, user_id)


@bp.put("/users/<int(max=2147483647):user_id>/roles")
@bp.arguments(RolesSchema)
@bp.response(200, UserSchema)
def set_roles(args, user_id: int):
    """Replace a person's roles (you cannot drop your own admin role)."""
    user = accounts.user_in_organisation(current_user, user_id)
    accounts.set_roles(current_user, user, args["roles"])
    return user


@bp.put("/users/<int(max=2147483647):user_id>/active")
@bp.arguments(ActiveSchema)
@bp.response(200, UserSchema)
def set_active(args, user_id: int):
    """Deactivate a person (their sessions and tokens stop working at once) or reactivate them."""
    user = accounts.user_in_organisation(current_user, user_id)
    accounts.set_active(current_user, user, args["active"])
    return user


@bp.get("/courses")
@bp.arguments(PageArgs, location="query")
@bp.response(200, CoursePage)
def list_courses(args):
    """Courses of your organisation by title, with their newest and published version."""
    rows = [{"id": r.course.id, "slug": r.course.slug, "title": r.latest.title, "latest_version": r.latest.number,
             "latest_status": r.latest.status, "published_version": r.published.number if r.published else None}
            for r in authoring.list_courses(current_user)]  # fmt: skip
    return paginate(rows, list_name="admin.courses", key=lambda r: (r["title"].lower(), r["id"]), limit=args["limit"],
                    page_token=args["page_token"])  # fmt: skip


@bp.get("/courses/<int(max=2147483647):course_id>/export")
@bp.arguments(ExportArgs, location="query")
@bp.response(200, CourseDocumentSchema)
def export_course(args, course_id: int):
    """The newest version of a course (or ``version``) as a course document."""
    course = authoring.get_course(current_user, course_id)
    version = None
    if args["version"] is not None:
        version = next((v for v in course.versions if v.number == args["version"]), None)
        if version is None:
            abort(404, message=_l("This course has no such version."))
    return json.loads(transfer.export_document(course, version))


@bp.post("/courses/import")
@bp.doc(requestBody={"required": True, "content": {"application/json": {"schema": CourseDocumentSchema}}})
@bp.response(201, ImportedSchema)
def import_course():
    """Import a course document as a draft (a new course, or a new draft of a known slug).
    Every error is listed with its JSON path (422); nothing is written then."""
    raw = request.get_data()
    if len(raw) > 5 * 1024 * 1024:
        abort(413)
    version = transfer.import_document(current_user, raw)
    return {"course_id": version.course_id, "version": version.number, "status": version.status}


def _coach(learner) -> dict:
    coach = coaching.coach_of(learner.id)
    return {"learner_id": learner.id, "coach_id": coach.id if coach else None,
            "coach_name": coach.display_name if coach else None}  # fmt: skip


@bp.get("/users/<int(max=2147483647):user_id>/coach")
@bp.response(200, CoachSchema)
def get_coach(user_id: int):
    """A person's coach, or null."""
    return _coach(accounts.user_in_organisation(current_user, user_id))


@bp.put("/users/<int(max=2147483647):user_id>/coach")
@bp.arguments(CoachChoiceSchema)
@bp.response(200, CoachSchema)
def choose_coach(args, user_id: int):
    """Choose a person's coach (null: none); their open requests nobody took yet go to the new
    coach. 400 for someone who is not an active trainer of your organisation, or themselves."""
    learner = accounts.user_in_organisation(current_user, user_id)
    try:
        coaching.assign_coach(current_user, learner, args["coach_id"])
    except Invalid as error:
        error.field = "coach_id" if error.field == "coach" else error.field  # the page's field, named as here
        raise
    return _coach(learner)


def _newest(course_id: int):
    course = authoring.get_course(current_user, course_id)
    return course, authoring.latest_version(course)


def _course_row(course) -> dict:
    latest, published = authoring.latest_version(course), authoring.current_published(course)
    return {"id": course.id, "slug": course.slug, "title": latest.title, "latest_version": latest.number,
            "latest_status": latest.status, "published_version": published.number if published else None}  # fmt: skip


@bp.post("/courses/<int(max=2147483647):course_id>/submit")
@bp.response(200, CourseSchema)
def submit_for_review(course_id: int):
    """Send the course's newest draft to another admin for review. 409 when it is not a draft,
    or when its outcomes are not covered yet (the problem says what is missing)."""
    course, version = _newest(course_id)
    publishing.submit_for_review(current_user, version)
    return _course_row(course)


@bp.post("/courses/<int(max=2147483647):course_id>/approve")
@bp.response(200, CourseSchema)
def approve(course_id: int):
    """Publish the version in review: new enrolments get it. 409 when none is in review, 403
    for its author without the reviewer role."""
    course, version = _newest(course_id)
    publishing.approve(current_user, version)
    return _course_row(course)


@bp.post("/courses/<int(max=2147483647):course_id>/send-back")
@bp.arguments(SendBackSchema)
@bp.response(200, CourseSchema)
def send_back(args, course_id: int):
    """Return the version in review to draft, with your comment in its history. 409 when none
    is in review."""
    course, version = _newest(course_id)
    publishing.send_back(current_user, version, args["comment"])
    return _course_row(course)
