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
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from lxp.assignments import services as assignments
from lxp.authoring import kinds as item_kinds
from lxp.authoring.kinds import KINDS
from lxp.channels import in_app
from lxp.coaching import feedback as coach_feedback
from lxp.coaching import services as coaching
from lxp.coaching.forms import StuckForm
from lxp.core import sessions, unit_of_work
from lxp.core.auth import public, roles_required
from lxp.core.conditional import conditional_page
from lxp.core.errors import ServiceError
from lxp.core.forms import ConfirmForm, show_form_error
from lxp.learning import desk, reasons
from lxp.learning import placement as placement_service
from lxp.learning import services as learning
from lxp.learning.forms import BlockDoneForm, JourneyForm, PulseForm
from lxp.nudges import effect as touchpoint_effect
from lxp.nudges import services as nudge_services
from lxp.paths import services as paths
from lxp.paths.access import open_block
from lxp.risk import actions as risk_actions
from lxp.risk import services as risk
from lxp.social import services as social
from lxp.workplace import services as workplace

bp = Blueprint("learning", __name__)


bp.add_app_template_global(reasons.reason_text, "reason_text")
bp.add_app_template_global(reasons.card_reason, "card_reason")


@bp.app_template_global()
def item_kind(name: str):
    """The item kind called ``name``, for its label and traits in templates (a path step's
    card asks whether it shows its due date). Raises ``KeyError`` for an unknown kind."""
    return item_kinds.get(name)


@bp.app_template_filter("learn_url")
def learn_url(ref: str) -> str:
    """The block player's address of a path step."""
    return url_for("learning.block", ref=ref)


def _competency_names() -> dict[str, str]:
    return paths.competency_names(current_user.organisation_id, str(get_locale()))


@bp.get("/today")
@roles_required("learner")
@conditional_page
def today():
    """Everything due today across the four modalities, with one next best step on top."""
    shown, line = learning.today(current_user), social.weekly_line(current_user)
    return render_template("learning/today.html", today=shown, journey=shown.journey, plan=shown.plan,
                           names=_competency_names(), weeks=shown.weeks, outlook=shown.outlook,
                           sessions=shown.sessions, inbox=shown.inbox, tasks=shown.tasks,
                           weekly=line.question, space=line.space)  # fmt: skip


@bp.get("/path")
@roles_required("learner")
@conditional_page
def path():
    """The learner's journey as stations, each with its reason."""
    journey = paths.open_journey(current_user, with_parts=True)
    if journey is None:
        return render_template("learning/path.html", journey=None)
    plan = paths.current_plan(journey)
    # e.g. a coach's feedback, shown here: the page offers to mark it read (a POST, see mark_read_at)
    unread_here = in_app.unread_leading_to(current_user.id, url_for("learning.path"))
    assigned, line = assignments.states_and_line(current_user, plan)  # the manager question only beside assigned work
    feedback, older_feedback = coach_feedback.recent_feedback(current_user.id)
    return render_template("learning/path.html", journey=journey, plan=plan, names=_competency_names(), unread_here=unread_here,
                           outlook=paths.outlook(journey, plan), kinds=KINDS, achieved=paths.outcomes_reached(journey),
                           alternatives=paths.alternatives_of(journey), sections=paths.sections_of(journey),
                           move_targets=paths.move_targets(plan), swapped=paths.swapped_steps(journey),
                           feedback=feedback, older_feedback=older_feedback,
                           tasks=workplace.task_states(current_user.id),
                           assigned=assigned, askers={a.title: a.asked_by for a in assigned if a.asked_by},
                           line=line)  # fmt: skip


@bp.get("/path/feedback")
@roles_required("learner")
def all_feedback():
    """Every piece of feedback the learner's coaches gave, newest first, a page at a time (the
    path page shows the newest)."""
    found = coach_feedback.feedback_page(current_user.id, request.args.get("page", 1, type=int))
    return render_template("learning/feedback.html", found=found, names=_competency_names())


@bp.route("/path/manager-sharing", methods=["POST"])
@roles_required("learner")
def manager_sharing():
    """Let one's manager hear of overdue assigned work, or stop it."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        assignments.set_sharing(current_user, request.form.get("allow") == "1")
    except ServiceError:
        abort(404)
    flash(_("Saved."), "success")
    return redirect(url_for("learning.path"))


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


@bp.route("/path/swap/undo", methods=["GET", "POST"])
@roles_required("learner")
def undo_swap():
    """Go back to a step swapped earlier: see what it changes to the finish date, then confirm."""
    journey = paths.open_journey(current_user)
    step = request.values.get("step", "")
    if journey is None:
        abort(404)
    try:
        preview = paths.preview_undo_swap(journey, step)
    except ServiceError:
        abort(404)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        paths.undo_swap(current_user, journey, step)
        flash(_("Done: \u201c%(title)s\u201d is on your path instead.", title=preview.alternative.title), "success")
        return redirect(url_for("learning.path"))
    return render_template("learning/swap.html", preview=preview, form=form, journey=journey, step=step,
                           alternative="", undo=True)  # fmt: skip


@bp.route("/path/move", methods=["GET", "POST"])
@roles_required("learner")
def move_step():
    """Move an optional step earlier or later: see what it changes to the finish date, then confirm."""
    journey = paths.open_journey(current_user)
    if journey is None:
        abort(404)
    step, before = request.values.get("step", ""), request.values.get("before", "") or None
    try:
        preview = paths.preview_move(journey, step, before)
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
        return redirect(url_for("learning.path"))
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        paths.move_step(current_user, journey, step, before)
        flash(_("Done: \u201c%(title)s\u201d has moved.", title=preview.step.title), "success")
        return redirect(url_for("learning.path"))
    return render_template("learning/move.html", preview=preview, form=form, journey=journey, step=step,
                           before=before or "")  # fmt: skip


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
        block = open_block(current_user, ref)
    except ServiceError:
        abort(404)
    kind = block.kind
    form = BlockDoneForm()
    result = None
    if request.method == "POST" and form.validate_on_submit():
        seconds = _seconds_since(form.started_at.data)
        response = kind.response_from_form(request.form, block.item.content)
        try:
            if kind.marked:
                result = learning.answer_quiz(current_user, ref, response, form.event_id.data or None, seconds,
                                              block=block)  # fmt: skip
            else:
                learning.complete_block(current_user, ref, form.event_id.data or None, seconds, response, block=block)
                flash(_("Done. Minutes well spent."), "success")
                return redirect(url_for("learning.pulse", ref=ref))
        except ServiceError as error:
            unit_of_work.flash_refusal(error)
    elif request.method == "POST":
        abort(400)
    fresh = BlockDoneForm(formdata=None, data={"event_id": str(uuid.uuid4()), "started_at": str(int(time.time()))})
    # What the learner gave: as sent when it was refused, else as last completed (a reflection).
    response = kind.response_from_form(request.form, block.item.content) if request.method == "POST" else None
    if kind.keeps_response and response is None:
        response = learning.last_response(current_user.id, ref)
    saved = learning.saved_answers(current_user.id, ref) if kind.marked and result is None else {}
    asked = coaching.help_on_step(current_user.id, ref)
    return render_template("learning/block.html", block=block, item=block.item, kind=kind, form=fresh, result=result,
                           response=response, saved=saved, help=asked.open, answered=asked.answered,
                           stuck_form=StuckForm(formdata=None))  # fmt: skip


class _BadJson(Exception):
    def __init__(self, title, status=422):
        self.title, self.status = title, status


def _json_action() -> tuple[dict, datetime | None, int | None]:
    """The JSON body of a player action with its ``occurred_at`` and ``seconds`` read.
    Raises ``_BadJson``."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise _BadJson(_("Send a JSON object."), 400)
    try:
        occurred_at = datetime.fromisoformat(data["occurred_at"]) if data.get("occurred_at") else None
        seconds = int(data["seconds"]) if data.get("seconds") is not None else None
    except (TypeError, ValueError):
        raise _BadJson(_("The time of the completion could not be read.")) from None
    return data, occurred_at, seconds


@bp.errorhandler(_BadJson)
def _bad_json(error: _BadJson):
    return jsonify(title=error.title), error.status


def _refused(error: ServiceError):
    status = 422 if error.status == 400 else error.status
    return jsonify(title=str(error.message), field=error.field), status


def _is_replay() -> bool:
    """A queue sent in the background, not a tap now: no flash for a page nobody sees."""
    return request.headers.get("X-LXP-Replay") == "1"


_ENVELOPE = ("event_id", "occurred_at", "seconds", "fields")  # a player action's own keys, not form fields


@bp.post("/learn/<ref>/done")
@roles_required("learner")
def complete_json(ref: str):
    """The player's JSON way to mark a block done, used when online and to replay a phone's
    offline queue: ``{"event_id", "occurred_at", "seconds", "fields"}``, ``fields`` being the
    player form's own fields (name -> list of values) that the block's kind reads its response
    from. Entries queued before ``fields`` sent the form's text field beside the others."""
    data, occurred_at, seconds = _json_action()
    try:
        block = open_block(current_user, ref)
        fields = data.get("fields")
        if isinstance(fields, dict):
            posted = MultiDict([(str(name), str(value)) for name, values in fields.items()
                                for value in (values if isinstance(values, list) else [values])])  # fmt: skip
        else:
            posted = MultiDict({name: value for name, value in data.items()
                                if name not in _ENVELOPE and isinstance(value, str)})  # fmt: skip
        response = block.kind.response_from_form(posted, block.item.content)
        learning.complete_block(current_user, ref, data.get("event_id"), seconds, response, occurred_at, block)
    except ServiceError as error:
        return _refused(error)
    if not _is_replay():
        flash(_("Done. Minutes well spent."), "success")
    return jsonify(next=url_for("learning.pulse", ref=ref))


def _choices(value) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in value):
        raise _BadJson(_("Answers are lists of option numbers."))
    return value


@bp.post("/learn/<ref>/answer")
@roles_required("learner")
def save_answer_json(ref: str):
    """Keep one quiz answer as it is given, to resume on any device:
    ``{"event_id", "occurred_at", "question", "chosen": [option numbers]}``."""
    data, occurred_at, _seconds = _json_action()
    try:
        learning.save_answer(current_user, ref, str(data.get("question", "")), _choices(data.get("chosen")),
                             data.get("event_id"), occurred_at)  # fmt: skip
    except ServiceError as error:
        return _refused(error)
    return jsonify(saved=True)


@bp.post("/learn/<ref>/attempt")
@roles_required("learner")
def attempt_json(ref: str):
    """A quiz attempt as JSON, sent when the phone was offline and replayed later:
    ``{"event_id", "occurred_at", "seconds", "answers": {question key: [option numbers]}}``."""
    data, occurred_at, seconds = _json_action()
    answers = data.get("answers")
    if not isinstance(answers, dict):
        raise _BadJson(_("Answers are lists of option numbers."))
    answers = {str(k): _choices(v) for k, v in answers.items()}
    try:
        block = open_block(current_user, ref)
        result = learning.answer_quiz(current_user, ref, answers, data.get("event_id"), seconds, occurred_at, block)
    except ServiceError as error:
        return _refused(error)
    # The phone shows this when it replays an attempt made offline. Not a flash: the pages the
    # service worker fetches at the same time would write the session cookie over it.
    message = _("Your answers to \u201c%(title)s\u201d, saved on your phone, are checked: %(score)d %%.",
                title=block.item.title, score=result.score)  # fmt: skip
    return jsonify(score=result.score, passed=result.passed, message=message, next=url_for("learning.block", ref=ref))


@bp.get("/sw.js")
@public
def service_worker():
    """The service worker, served from the root so that it may look after every learner page."""
    sessions.leave_session_cookie()
    response = send_from_directory(current_app.static_folder, "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/learn/<ref>/pulse", methods=["GET", "POST"])
@roles_required("learner")
def pulse(ref: str):
    """One tap on how the block felt, and at milestones whether they would recommend it."""
    try:
        block = open_block(current_user, ref)
    except ServiceError:
        abort(404)
    milestone = learning.milestone_due(current_user, block.journey)
    form = PulseForm()
    if form.validate_on_submit():
        useful = {"yes": True, "no": False}.get(form.useful.data)
        try:
            learning.give_pulse(current_user, ref, form.mood.data, form.effort.data, useful, form.comment.data,
                                form.event_id.data or None, block)  # fmt: skip
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
            unit_of_work.flash_refusal(error)
        else:
            names = paths.competency_names(current_user.organisation_id, str(get_locale()))
            if result.shown:
                flash(ngettext("You showed %(names)s. Your path skips %(num)d step you do not need.",
                               "You showed %(names)s. Your path skips %(num)d steps you do not need.",
                               result.skipped_steps, names=", ".join(names.get(c, c) for c in result.shown)),
                      "success")  # fmt: skip
            else:
                flash(_("Thank you. Your path stays as it is: every step will be useful."), "info")
            return redirect(url_for("learning.path"))
    return render_template("learning/placement.html", questions=asked, form=form, event_id=str(uuid.uuid4()),
                           names=paths.competency_names(current_user.organisation_id, str(get_locale())))  # fmt: skip


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
@roles_required("learner", "trainer")
def inbox():
    """In-app messages: reminders, replies, celebrations, newest first."""
    found = in_app.messages_page(current_user.id, request.args.get("page", 1, type=int))
    return render_template("learning/inbox.html", found=found, messages=found.items, form=ConfirmForm())


@bp.get("/inbox/<int:message_id>")
@roles_required("learner", "trainer")
def inbox_message(message_id: int):
    """One message. Showing it changes nothing: the inbox opens it with a POST
    (``open_inbox_message``), and an unread one offers "Mark as read" here."""
    message = in_app.message_of(current_user.id, message_id)
    if message is None:
        abort(404)
    return render_template("learning/inbox_message.html", message=message,
                           rule=nudge_services.rule_of_message(message.key))  # fmt: skip


def marked_read(target: str):
    """The answer to a "mark as read" POST: back to ``target``, or 204 to the page's script
    that sent it on load (``static/js/mark_read.js``)."""
    if request.headers.get("X-Requested-With") == "fetch":
        return "", 204
    return redirect(target)


def _local(path: str | None) -> str | None:
    return path if path and path.startswith("/") and not path.startswith("//") else None


@bp.post("/inbox/<int:message_id>/open")
@roles_required("learner", "trainer")
def open_inbox_message(message_id: int):
    """Open a message from the inbox or Today: mark it read, count the in-app open, and go on to
    where it leads (``to=link``) or to the message itself."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    message = in_app.open_message(current_user.id, message_id)
    if message is None:
        abort(404)
    touchpoint_effect.note_inbox_open(current_user.id, message.key)
    target = _local(message.link) if request.form.get("to") == "link" else None
    return marked_read(target or url_for("learning.inbox_message", message_id=message.id))


@bp.post("/inbox/read-at")
@roles_required("learner", "trainer")
def mark_read_at():
    """Mark read the messages that lead to the page at ``path`` (its "Mark as read")."""
    path = _local(request.form.get("path"))
    if not ConfirmForm().validate_on_submit() or path is None:
        abort(400)
    in_app.mark_read_at(current_user.id, path)
    return marked_read(path)


@bp.post("/inbox/read")
@roles_required("learner", "trainer")
def mark_inbox_read():
    """Mark every message read."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    in_app.mark_all_read(current_user.id)
    return redirect(url_for("learning.inbox"))


def _desk_context(queues: dict[str, list]) -> dict:
    """What the desk's queue sections read, for the queues shown."""
    at_risk = queues.get("at-risk", [])
    shown = {"help_queue": queues.get("help", []), "at_risk": at_risk, "reviews_waiting": queues.get("evidence", []),
             "conversations": queues.get("conversations", []), "checkpoints": queues.get("checkpoints", [])}  # fmt: skip
    if "at-risk" not in queues:  # another queue's own page: the flags' section is not on it
        return shown
    return {**shown, "session_choices": risk_actions.session_choices(at_risk),
            "plan_minutes": risk_actions.plan_minutes(at_risk), "acted_on": risk.recent_actions(current_user),
            "holdout": risk.holdout_comparison(current_user.organisation_id)}  # fmt: skip


@bp.get("/desk")
@roles_required("trainer")
def trainer_desk():
    """The trainer's start page: the first of each queue (help requests waiting longest first,
    learners who may need a word, evidence, conversations, conversations due) and how many more."""
    shown, more = desk.first_of_each(current_user)
    return render_template("learning/trainer_desk.html", more=more, queue_page=None, **_desk_context(shown))


@bp.get("/desk/<any(help, 'at-risk', evidence, conversations, checkpoints):queue>")
@roles_required("trainer")
def desk_queue(queue: str):
    """One queue of the desk whole, a page at a time."""
    found = desk.queue_page(current_user, queue, request.args.get("page", 1, type=int))
    return render_template("learning/desk_queue.html", queue=queue, queue_page=found, more={},
                           **_desk_context({queue: found.items}))  # fmt: skip
