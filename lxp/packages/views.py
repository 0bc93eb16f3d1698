"""Package pages: the admin's upload, the learner's launch and commits, and the sandboxed files.

The files of a package are served under ``/packages/play/<token>/…`` with their own policy: the
document is sandboxed (an opaque origin: no cookies, no access to lxp's pages or API), scripts
run there and nowhere else, and only lxp's own pages may frame it. HTML files get the vendored
runtime and the session's start data put at the top of their ``<head>``.
"""

from __future__ import annotations

import mimetypes
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.security import safe_join

from lxp.authoring import services as authoring
from lxp.core.auth import public, restrict_blueprint, roles_required
from lxp.core.errors import ServiceError
from lxp.core.forms import show_form_error
from lxp.packages import cmi5, lms, manifest, runtime, sequencing, services, storage
from lxp.packages.forms import PackageForm, WaiveForm

bp = Blueprint("packages", __name__)
admin_bp = Blueprint("package_admin", __name__, url_prefix="/admin/courses")
restrict_blueprint(admin_bp, "admin")

# A package's own documents: its scripts may run (authoring tools write inline script and
# eval), in a sandbox without the same origin, so they cannot read lxp's cookies, pages or API.
PLAYER_POLICY = {
    "default-src": "'self' data: blob:",
    "script-src": "'self' 'unsafe-inline' 'unsafe-eval' blob:",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "media-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "form-action": "'none'",
    "base-uri": "'self'",
    "object-src": "'none'",
    "frame-ancestors": "'self'",
    "sandbox": "allow-scripts allow-forms",
}
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
HEAD_LIMIT = 4096  # where to look for <head>


@admin_bp.route("/<int:course_id>/packages/new", methods=["GET", "POST"])
def upload(course_id: int):
    """Upload a SCORM or cmi5 zip to a module of the course's draft: one item per unit."""
    try:
        course = authoring.get_course(current_user, course_id)
    except ServiceError:
        abort(404)
    version = authoring.latest_version(course)
    if not version.editable:
        flash(_("This version is not a draft. Start a new draft to make changes."), "error")
        return redirect(url_for("authoring.course", course_id=course_id))
    if not version.modules:
        flash(_("Add a module first: items live in modules."), "error")
        return redirect(url_for("authoring.course", course_id=course_id))
    request.max_content_length = services.limits().zip_bytes + 1024 * 1024  # the form around the zip
    form = PackageForm()
    form.prepare(version, course.organisation_id, request.args.get("module", type=int))
    if form.validate_on_submit():
        module = next(m for m in version.modules if m.id == form.module.data)
        try:
            items = services.import_package(current_user, module, form.package.data.read(),
                                            form.teaches.data or [], form.assesses.data or [], form.minutes.data)  # fmt: skip
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Package imported: %(count)d items added.", count=len(items)), "success")
            unsupported = [
                name for item in items for name in (item.content.get("sequencing") or {}).get("unsupported", [])
            ]
            if unsupported:
                flash(_("This package asks for sequencing lxp does not play: %(names)s. Its parts play in the "
                        "package's order with its navigation controls (choice, flow, forward only) and its "
                        "completion and success rollup; the rest is ignored.", names=", ".join(unsupported)), "warning")  # fmt: skip
            return redirect(url_for("authoring.course", course_id=course_id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("packages/upload.html", form=form, course=course), status


@admin_bp.route("/<int:course_id>/packages/waive", methods=["GET", "POST"])
def waive(course_id: int):
    """Excuse a learner from a cmi5 unit of the course's published version, or take the waiver
    back, with a reason."""
    try:
        course = authoring.get_course(current_user, course_id)
    except ServiceError:
        abort(404)
    form = WaiveForm()
    form.unit.choices = lms.waivable_units(course)
    if form.validate_on_submit():
        try:
            act = lms.unwaive if form.action.data == "unwaive" else lms.waive
            act(current_user, form.learner.data, form.unit.data, form.reason.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            if form.action.data == "unwaive":
                flash(_("The waiver is taken back: the unit is on the learner's path again."), "success")
            else:
                flash(_("The unit is waived: it counts as done on the learner's path."), "success")
            return redirect(url_for("authoring.course", course_id=course_id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("packages/waive.html", form=form, course=course), status


@bp.post("/learn/<ref>/package")
@roles_required("learner")
def launch(ref: str):
    """Start or resume the learner's attempt: ``{"play": the address of the unit's launch
    file}`` for the player's frame. A POST, since a new attempt is written."""
    data = request.get_json(silent=True) if request.is_json else None
    nav = data.get("nav") if isinstance(data, dict) and isinstance(data.get("nav"), str) else None
    try:
        block = runtime.open_package_block(current_user, ref)
        if runtime.is_sequenced(block.item.content):
            return _sequenced_launch(block, nav)
        attempt = runtime.launch(current_user, ref)
        if attempt.standard == manifest.CMI5:
            lms.begin_session(current_user, block, attempt)
    except ServiceError as error:
        return jsonify(title=str(error.message)), error.status
    token = runtime.play_token(attempt)
    path, _mark, query = block.item.content["launch"].partition("?")  # the unit's parameters stay a query
    play = url_for("packages.play", token=token, path=path)
    if attempt.standard == manifest.CMI5:
        launch = cmi5.launch_query(attempt, block, request.host_url.rstrip("/"),
                                   url_for("package_lrs.state", token=token, _external=True).rsplit("/activities/", 1)[0] + "/",
                                   url_for("package_lrs.fetch", token=token, _external=True))  # fmt: skip
        query = "&".join(filter(None, [query, urlencode(launch)]))
    return jsonify(play=f"{play}?{query}" if query else play)


def _sequenced_launch(block, nav: str | None):
    """A SCORM 2004 package played as one item: carry out ``nav`` (``{"nav": "continue"}``…)
    and answer with the SCO to play (``play``, ``sco``), or ``end`` / ``leave`` / ``stay``, and
    in each case ``nav``: what the learner may ask for next, and ``parts``: the SCOs."""
    attempt, outcome = runtime.navigate(current_user, block.ref, nav)
    content = block.item.content
    current = attempt.cmi.get("current")
    answer = {"action": outcome.action, "sco": current,
              "nav": sequencing.valid_requests(runtime.tree(content), current),
              "parts": [{"id": s["identifier"], "title": s["title"]} for s in content["scos"]]}  # fmt: skip
    if outcome.action == "deliver":
        sco = next(s for s in content["scos"] if s["identifier"] == outcome.target)
        path, _mark, query = sco["launch"].partition("?")
        play = url_for("packages.play", token=runtime.play_token(attempt, outcome.target), path=path)
        answer["play"] = f"{play}?{query}" if query else play
    elif outcome.action == "leave":
        answer["leave"] = url_for("learning.path")
    answer["completed"], answer["success"] = attempt.completed, attempt.success
    return jsonify(answer)


@bp.post("/learn/<ref>/package/commit")
@roles_required("learner")
def keep_commit(ref: str):
    """Keep a commit of the unit: ``{"token", "seq", "cmi", "terminated", "seconds"}``. A
    commit sent again answers as the first did; the answer names the ``seq`` stored."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(title=_("Send a JSON object.")), 400
    try:
        attempt = runtime.record_commit(current_user, ref, str(data.get("token", "")), data.get("seq"), data.get("cmi"),
                                 bool(data.get("terminated")), data.get("seconds"))  # fmt: skip
    except ServiceError as error:
        return jsonify(title=str(error.message), field=error.field), 422 if error.status == 400 else error.status
    return jsonify(seq=attempt.seq, completed=attempt.completed, success=attempt.success)


@bp.get("/packages/play/<token>/<path:path>")
@public  # the frame is sandboxed and sends no cookies: the signed token is the credential
def play(token: str, path: str):
    """One file of the package the token's attempt plays; HTML gets the runtime. 404 for a
    bad token or a path outside the package."""
    try:
        attempt = runtime.attempt_for_token(token)
    except ServiceError:
        abort(404)
    folder = storage.folder_of(attempt.package_sha256)
    found = safe_join(str(folder), path)
    if found is None or not storage.is_file_inside(folder, found):
        abort(404)
    if found.lower().endswith(HTML_SUFFIXES):
        response = _with_runtime(found, attempt)
    else:
        mimetype = mimetypes.guess_type(found)[0] or "application/octet-stream"
        response = send_file(found, mimetype=mimetype, conditional=True, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token stays in the frame
    return response


class _FramingByRequest(dict):
    """The play view's header options, per request. Only lxp's pages may frame a package's
    document (``frame-ancestors 'self'``), except a document the package itself frames: the
    unit's frame has an opaque origin, which no policy can name, so a document its own inner
    frame asks for (``Sec-Fetch-Site`` other than same-origin, ``Sec-Fetch-Dest: iframe``) is
    served without a framing rule. It is sandboxed all the same, and its runtime talks only to
    lxp's page (units that load their content in an inner frame, as authoring tools' do)."""

    def __getitem__(self, key):
        nested = request.headers.get("Sec-Fetch-Dest") == "iframe" and request.headers.get("Sec-Fetch-Site") in (
            "cross-site", "same-site")  # fmt: skip
        if nested and key == "frame_options":
            return None
        if nested and key == "content_security_policy":
            return {k: v for k, v in PLAYER_POLICY.items() if k != "frame-ancestors"}
        return super().__getitem__(key)


play.talisman_view_options = _FramingByRequest(content_security_policy=PLAYER_POLICY, frame_options="SAMEORIGIN")


def _with_runtime(found: str, attempt):
    with open(found, "rb") as stream:
        page = stream.read().decode("utf-8", errors="replace")
    start = runtime.session_start(attempt, runtime.sco_of_token(request.view_args["token"])) | {
        "token": request.view_args["token"],
        "origin": request.host_url.rstrip("/"),
    }
    runtime_file = "scorm12.min.js" if attempt.standard == manifest.SCORM_12 else "scorm2004.min.js"
    injected = render_template("packages/_runtime.html", start=start, runtime_file=runtime_file)
    lowered = page[:HEAD_LIMIT].lower()
    at = lowered.find("<head")
    at = lowered.find(">", at) + 1 if at >= 0 else 0
    response = make_response(page[:at] + injected + page[at:])
    response.mimetype = "text/html"
    response.headers["Cache-Control"] = "no-store"
    return response
