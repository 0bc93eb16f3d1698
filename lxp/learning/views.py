"""The learner's pages: Today, the path, choosing goals, and the block player."""

from __future__ import annotations

import time
import uuid
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lxp.accounts.forms import ConfirmForm
from lxp.accounts.views import show_form_error
from lxp.authoring.kinds import KINDS
from lxp.core.auth import public, roles_required
from lxp.core.errors import ServiceError
from lxp.learning import placement as placement_service
from lxp.learning import services as learning
from lxp.learning.forms import BlockDoneForm, JourneyForm, PulseForm
from lxp.paths import services as paths

bp = Blueprint("learning", __name__)


@bp.app_template_filter("learn_url")
def learn_url(ref: str) -> str:
    """The block player's address of a path step."""
    return url_for("learning.block", ref=ref)


def _competency_names() -> dict[str, str]:
    return paths.competency_names(current_user.organisation_id)


@bp.get("/today")
@roles_required("learner")
def today():
    """Everything due today across the four modalities, with one next best step on top."""
    journey = paths.open_journey(current_user)
    plan = paths.current_plan(journey) if journey else None
    weeks = paths.weekly_rhythm(journey, plan) if journey else []
    return render_template("learning/today.html", journey=journey, plan=plan, names=_competency_names(), weeks=weeks)


@bp.get("/path")
@roles_required("learner")
def path():
    """The learner's journey as stations, each with its reason."""
    journey = paths.open_journey(current_user)
    if journey is None:
        return render_template("learning/path.html", journey=None)
    plan = paths.current_plan(journey)
    return render_template("learning/path.html", journey=journey, plan=plan, names=_competency_names(),
                           kinds=KINDS, achieved=paths.outcomes_reached(journey),
                           alternatives=paths.alternatives_of(journey))  # fmt: skip


@bp.route("/path/swap", methods=["GET", "POST"])
@roles_required("learner")
def swap_step():
    """Do a step another way: see what it changes to the finish date, then confirm."""
    journey = paths.open_journey(current_user)
    step, alternative = request.values.get("step", ""), request.values.get("to", "")
    if journey is None:
        abort(404)
    try:
        preview = paths.preview_swap(journey, step, alternative)
    except ServiceError:
        abort(404)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        paths.swap_step(current_user, journey, step, alternative)
        flash(_("Done: \u201c%(title)s\u201d is on your path instead.", title=preview.alternative.title), "success")
        return redirect(url_for("learning.path"))
    return render_template("learning/swap.html", preview=preview, form=form, journey=journey, step=step,
                           alternative=alternative)  # fmt: skip


@bp.route("/path/goals", methods=["GET", "POST"])
@roles_required("learner")
def choose_goals():
    """Choose goals (or a package), a target date, weekly minutes and ways of learning."""
    journey = paths.open_journey(current_user)
    goals = paths.offered_goals(current_user)
    form = JourneyForm()
    form.goals.choices = [(g.id, g.title) for g in goals]
    form.package.choices = [("", _("No package: plan it for me"))] + [
        (p.id, f"{g.title} \u2014 {p.title}") for g in goals for p in g.packages
    ]
    if request.method == "GET" and journey is not None:
        form.goals.data = [g.id for g in journey.goals]
        form.package.data = journey.package_id
        form.target_date.data = journey.target_date
        form.weekly_minutes.data = journey.weekly_minutes
        form.modalities.data = list(journey.modalities)
    if form.validate_on_submit():
        choice = paths.JourneyChoice(tuple(form.goals.data or ()), form.package.data, form.target_date.data,
                                     form.weekly_minutes.data, tuple(form.modalities.data or ()))  # fmt: skip
        try:
            if journey is None:
                paths.start_journey(current_user, choice)
            else:
                paths.change_journey(current_user, journey, choice)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Your path is ready.") if journey is None else _("Your path follows your changes."), "success")
            return redirect(url_for("learning.path"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("learning/choose_goals.html", form=form, goals=goals, journey=journey), status


@bp.route("/learn/<ref>", methods=["GET", "POST"])
@roles_required("learner")
def block(ref: str):
    """One step of the path: read it, do it, mark it done or answer it."""
    try:
        block = learning.open_block(current_user, ref)
    except ServiceError:
        abort(404)
    kind = KINDS[block.item.kind]
    form = BlockDoneForm()
    result = None
    if request.method == "POST" and form.validate_on_submit():
        seconds = _seconds_since(form.started_at.data)
        try:
            if block.item.kind == "quiz":
                answers = {q["key"]: [int(v) for v in request.form.getlist(q["key"]) if v.isdigit()]
                           for q in block.item.content["questions"]}  # fmt: skip
                result = learning.answer_quiz(current_user, ref, answers, form.event_id.data or None, seconds)
            else:
                learning.complete_block(current_user, ref, form.event_id.data or None, seconds,
                                        request.form.get("reflection"))  # fmt: skip
                flash(_("Done. Minutes well spent."), "success")
                return redirect(url_for("learning.pulse", ref=ref))
        except ServiceError as error:
            flash(str(error.message), "error")
    elif request.method == "POST":
        abort(400)
    fresh = BlockDoneForm(formdata=None, data={"event_id": str(uuid.uuid4()), "started_at": str(int(time.time()))})
    written = request.form.get("reflection") if request.method == "POST" else None
    if block.item.kind == "reflection" and written is None:
        written = learning.last_reflection(current_user.id, ref)
    return render_template("learning/block.html", block=block, item=block.item, kind=kind, form=fresh, result=result,
                           written=written)  # fmt: skip


@bp.post("/learn/<ref>/done")
@roles_required("learner")
def complete_json(ref: str):
    """The player's JSON way to mark a block done, used when online and to replay a phone's
    offline queue: ``{"event_id", "occurred_at", "seconds", "reflection"}``."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(title=_("Send a JSON object.")), 400
    try:
        occurred_at = datetime.fromisoformat(data["occurred_at"]) if data.get("occurred_at") else None
        seconds = int(data["seconds"]) if data.get("seconds") is not None else None
    except (TypeError, ValueError):
        return jsonify(title=_("The time of the completion could not be read.")), 422
    try:
        learning.complete_block(current_user, ref, data.get("event_id"), seconds, data.get("reflection"), occurred_at)
    except ServiceError as error:
        status = 422 if error.status == 400 else error.status
        return jsonify(title=str(error.message), field=error.field), status
    if request.headers.get("X-LXP-Replay") != "1":  # a tap now, not a queue sent in the background
        flash(_("Done. Minutes well spent."), "success")
    return jsonify(next=url_for("learning.pulse", ref=ref))


@bp.get("/sw.js")
@public
def service_worker():
    """The service worker, served from the root so that it may look after every learner page."""
    response = send_from_directory(current_app.static_folder, "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/learn/<ref>/pulse", methods=["GET", "POST"])
@roles_required("learner")
def pulse(ref: str):
    """One tap on how the block felt, and at milestones whether they would recommend it."""
    try:
        block = learning.open_block(current_user, ref)
    except ServiceError:
        abort(404)
    milestone = learning.milestone_due(current_user)
    form = PulseForm()
    if form.validate_on_submit():
        useful = {"yes": True, "no": False}.get(form.useful.data)
        try:
            learning.give_pulse(current_user, ref, form.mood.data, form.effort.data, useful, form.comment.data,
                                form.event_id.data or None)  # fmt: skip
            if milestone and form.nps.data is not None:
                learning.recommend(current_user, milestone, form.nps.data)
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Thank you. This helps us make the programme better."), "success")
            return redirect(url_for("learning.today"))
    if request.method == "GET":
        form.event_id.data = str(uuid.uuid4())
    status = 400 if form.errors or form.form_errors else 200
    return render_template("learning/pulse.html", form=form, item=block.item, milestone=milestone), status


def _seconds_since(started_at: str | None) -> int | None:
    try:
        return max(int(time.time()) - int(started_at), 0)
    except (TypeError, ValueError):
        return None


@bp.route("/path/placement", methods=["GET", "POST"])
@roles_required("learner")
def placement():
    """The optional placement check: test out of what you already know."""
    if paths.open_journey(current_user) is None:
        return redirect(url_for("learning.choose_goals"))
    if placement_service.taken(current_user):
        flash(_("You have taken the placement check for this path already."), "info")
        return redirect(url_for("learning.path"))
    asked = placement_service.questions(current_user)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        answers = {q.name: [int(v) for v in request.form.getlist(q.name) if v.isdigit()] for q in asked}
        try:
            result = placement_service.submit(current_user, answers, request.form.get("event_id") or None)
        except ServiceError as error:
            flash(str(error.message), "error")
        else:
            names = paths.competency_names(current_user.organisation_id)
            if result.shown:
                flash(ngettext("You showed %(names)s. Your path skips %(num)d step you do not need.",
                               "You showed %(names)s. Your path skips %(num)d steps you do not need.",
                               result.skipped_steps, names=", ".join(names.get(c, c) for c in result.shown)),
                      "success")  # fmt: skip
            else:
                flash(_("Thank you. Your path stays as it is: every step will be useful."), "info")
            return redirect(url_for("learning.path"))
    return render_template("learning/placement.html", questions=asked, form=form, event_id=str(uuid.uuid4()),
                           names=paths.competency_names(current_user.organisation_id))  # fmt: skip


@bp.post("/path/pause")
@roles_required("learner")
def pause_path():
    """Pause the path (nothing falls due, no reminders) or resume it (``resume=1``)."""
    journey = paths.open_journey(current_user)
    if journey is None or not ConfirmForm().validate_on_submit():
        abort(400)
    resume = request.form.get("resume") == "1"
    paths.set_paused(current_user, journey, not resume)
    flash(_("Welcome back. Your path is planned from today.") if resume else _("Your path is paused."), "success")
    return redirect(url_for("learning.path"))


@bp.get("/job-aids")
@roles_required("learner")
def job_aids():
    """Search the job aids of the courses on the learner's path, to look things up at work."""
    query = request.args.get("q", "").strip()
    hits = learning.search_job_aids(current_user, query)
    return render_template("learning/job_aids.html", hits=hits, query=query)


@bp.get("/inbox")
@roles_required("learner")
def inbox():
    """In-app messages: reminders, replies, celebrations."""
    return render_template("learning/inbox.html")


@bp.get("/desk")
@roles_required("trainer")
def trainer_desk():
    """The trainer's start page: sessions, reviews, coaching."""
    return render_template("learning/trainer_desk.html")
