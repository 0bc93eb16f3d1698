"""Live-session pages: the trainer's schedule, scheduling and attendance; the learner's
sessions, one-tap registration, and calendar downloads and feeds."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lxp.accounts.services import active_with_role
from lxp.cohorts.services import cohorts_of
from lxp.core import unit_of_work
from lxp.core.auth import public, roles_required
from lxp.core.dates import viewer_date, viewer_datetime
from lxp.core.error_pages import render_error
from lxp.core.errors import NotFound, ServiceError
from lxp.core.forms import ConfirmForm, show_form_error
from lxp.core.timezones import in_zone
from lxp.live import calendars, registration, scheduling
from lxp.live.forms import ATTENDANCE_CHOICES, EditSessionForm, SessionForm

bp = Blueprint("live", __name__)


# --- learners -----------------------------------------------------------------------------


@bp.get("/sessions")
@roles_required("learner")
def my_sessions():
    """Upcoming sessions of the live steps on the learner's path, and the ones they are on."""
    return render_template("live/my_sessions.html", sessions=registration.sessions_for_learner(current_user),
                           form=ConfirmForm())  # fmt: skip


@bp.get("/sessions/item/<ref>")
@roles_required("learner")
def item_dates(ref: str):
    """Every upcoming date of one live item."""
    try:
        item, sessions = registration.item_sessions(current_user, ref)
    except NotFound:
        abort(404)
    return render_template("live/item.html", item=item, sessions=sessions, form=ConfirmForm())


@bp.get("/sessions/<int:session_id>")
@roles_required("learner", "trainer")
def session(session_id: int):
    """One session: when (in the viewer's zone), where, seats left, and the learner's place."""
    try:
        view = registration.learner_session(current_user, session_id)
    except NotFound:
        abort(404)
    return render_template("live/session.html", view=view, form=ConfirmForm())


def _back(session_id: int):
    target = request.form.get("back")
    if target == "list":
        return redirect(url_for("live.my_sessions"))
    if target and target.startswith("item:"):
        return redirect(url_for("live.item_dates", ref=target[5:]))
    return redirect(url_for("live.session", session_id=session_id))


def _clash_note(session_id: int) -> None:
    for other in registration.learner_session(current_user, session_id).clashes:
        flash(_("Note: this overlaps with \u201c%(title)s\u201d on %(when)s, which you are also registered for.",
                title=other.item.title, when=_when(other.starts_at)), "error")  # fmt: skip


def _when(moment: datetime) -> str:
    return viewer_datetime(moment)


@bp.post("/sessions/<int:session_id>/register")
@roles_required("learner")
def register(session_id: int):
    """Take a seat, or a waitlist place when the session is full (one tap). When it overlaps a
    session the learner holds a seat on, a confirm step names that session first."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        mine = registration.register_for_session(current_user, session_id,
                                                 confirm_overlap=request.form.get("confirm_overlap") == "yes")  # fmt: skip
    except NotFound:
        abort(404)
    except registration.OverlapNeedsConfirmation as overlap:
        view = registration.learner_session(current_user, session_id)
        return render_template("live/confirm_overlap.html", view=view, clashes=overlap.clashes, form=ConfirmForm(),
                               back=request.form.get("back", "session")), 409  # fmt: skip
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
        return _back(session_id)
    if mine.status == "registered":
        flash(_("You are registered. See you there!"), "success")
    else:
        flash(_("This session is full, so you are on the waitlist. We will e-mail you when a seat frees up."), "info")
    return _back(session_id)


@bp.post("/sessions/<int:session_id>/cancel-registration")
@roles_required("learner")
def cancel_registration(session_id: int):
    """Give up a seat or a waitlist place (one tap)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        registration.cancel_registration(current_user, session_id)
    except NotFound:
        abort(404)
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
    else:
        flash(_("Your place is given up. Your path shows the next date or another way."), "success")
    return _back(session_id)


@bp.post("/sessions/<int:session_id>/claim")
@roles_required("learner")
def claim(session_id: int):
    """Confirm a seat offered from the waitlist."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        registration.claim_seat(current_user, session_id)
    except NotFound:
        abort(404)
    except ServiceError as error:
        unit_of_work.flash_refusal(error)
    else:
        flash(_("The seat is yours. See you there!"), "success")
        _clash_note(session_id)
    return _back(session_id)


def _ics(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-cache"})  # fmt: skip


@bp.get("/sessions/<int:session_id>.ics")
@roles_required("learner", "trainer")
def session_ics(session_id: int):
    """The session as an iCalendar file to add to any calendar."""
    try:
        found = registration.session_for_learner(current_user, session_id)
    except NotFound:
        abort(404)
    mine = registration.registration_of(current_user.id, found.id)
    with_video = current_user in found.trainers or (mine is not None and mine.status == "registered")
    return _ics(calendars.calendar_file([found], with_video=with_video), f"session-{found.id}.ics")


@bp.route("/calendar", methods=["GET", "POST"])
@roles_required("learner", "trainer")
def calendar_settings():
    """The private calendar address: made, or replaced by a new one, on request."""
    form = ConfirmForm()
    address = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        had = calendars.has_feed(current_user)
        token = calendars.reset_feed(current_user)
        address = current_app.config["BASE_URL"].rstrip("/") + url_for("live.feed", token=token)
        flash(_("Your new calendar address is ready; the old one no longer works.") if had
              else _("Your calendar address is ready."), "success")  # fmt: skip
    return render_template("live/calendar.html", form=form, address=address,
                           has_feed=calendars.has_feed(current_user))  # fmt: skip


@bp.get("/calendar/feed/<token>.ics")
@public  # calendar apps fetch it without signing in; the secret token in the address is the key
def feed(token: str):
    """A person's private feed: their sessions, kept current."""
    try:
        owner = calendars.feed_owner(token)
    except NotFound:
        abort(404)
    return _ics(calendars.calendar_file(calendars.feed_sessions(owner), name="lxp"), "lxp.ics")


# --- trainers -----------------------------------------------------------------------------


@bp.get("/trainer/sessions")
@roles_required("trainer")
def schedule():
    """The trainer's sessions by week in their own zone, with seats and waitlists, and overlaps."""
    weeks, overlaps = scheduling.trainer_schedule(current_user)
    return render_template("live/schedule.html", weeks=weeks, overlaps=overlaps)


def _fill_choices(form: SessionForm) -> None:
    form.co_trainers.choices = [(u.id, u.display_name) for u in active_with_role(current_user.organisation_id, "trainer")
                                if u.id != current_user.id]  # fmt: skip
    form.cohort.choices = [("", _("Everyone with this step on their path"))] + [
        (cohort.id, _("The cohort \u201c%(name)s\u201d only", name=cohort.name))
        for cohort, _count in cohorts_of(current_user.organisation_id)
    ]


def _details(form: SessionForm, dates) -> scheduling.SessionDetails:
    return scheduling.SessionDetails(
        dates=tuple(dates), start_time=form.start_time.data, timezone=form.timezone.data,
        duration_minutes=form.duration_minutes.data, place=form.place.data or "",
        video_url=form.video_url.data or None, capacity=form.capacity.data,
        deadline_hours=form.deadline_hours.data,
        claim_hours=(form.claim_hours.data or 0) if form.promotion.data == "claim" else None,
        co_trainer_ids=tuple(form.co_trainers.data or ()), cohort_id=form.cohort.data,
    )  # fmt: skip


def _ambiguous_note(days) -> None:
    for day in days:
        flash(_("On %(date)s the clocks go back, so that time happens twice; the session starts at the first one "
                "(still summer time).", date=viewer_date(day)), "info")  # fmt: skip


@bp.route("/trainer/sessions/new", methods=["GET", "POST"])
@roles_required("trainer")
def new_session():
    """Schedule one date or a series of a live-session item."""
    items = scheduling.live_items(current_user.organisation_id)
    form = SessionForm()
    form.item.choices = [(i.ref, f"{i.course_title} \u2014 {i.title}") for i in items]
    _fill_choices(form)
    if request.method == "GET":
        form.timezone.data = current_user.timezone or "UTC"
        chosen = next((i for i in items if i.ref == request.args.get("item")), items[0] if items else None)
        if chosen:
            form.item.data, form.duration_minutes.data = chosen.ref, chosen.minutes
    if form.validate_on_submit():
        dates = [form.day.data] + [entry.data for entry in form.extra_dates if entry.data]
        try:
            scheduled = scheduling.schedule_sessions(current_user, form.item.data, _details(form, dates))
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(ngettext("Scheduled %(num)d date.", "Scheduled %(num)d dates.", len(scheduled.sessions)), "success")
            _ambiguous_note(scheduled.ambiguous)
            return redirect(url_for("live.schedule"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("live/session_form.html", form=form, items=items, editing=None), status


@bp.route("/trainer/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required("trainer")
def edit_session(session_id: int):
    """Change time, place, seats or waitlist rules of one session; cancel it."""
    try:
        found = scheduling.session_for_trainer(current_user, session_id)
    except ServiceError as error:
        return render_error(error.status, error.message)
    form = EditSessionForm()
    _fill_choices(form)
    if request.method == "GET":
        local = in_zone(found.starts_at, found.timezone)
        form.day.data, form.start_time.data, form.timezone.data = local.date(), local.time(), found.timezone
        form.duration_minutes.data = int((found.ends_at - found.starts_at).total_seconds() // 60)
        form.place.data, form.video_url.data, form.capacity.data = found.place, found.video_url, found.capacity
        form.deadline_hours.data = int((found.starts_at - found.registration_deadline).total_seconds() // 3600)
        form.promotion.data = "immediate" if found.claim_hours is None else "claim"
        form.claim_hours.data = found.claim_hours or 24
        form.co_trainers.data = [t.id for t in found.trainers if t.id != current_user.id]
        form.cohort.data = found.cohort_id
    if form.validate_on_submit():
        try:
            changed = scheduling.update_session(current_user, session_id, _details(form, [form.day.data]))
        except ServiceError as error:
            show_form_error(form, error)
        else:
            flash(_("Saved. People registered are told once you have finished your changes."), "success")
            if changed.ambiguous:
                _ambiguous_note([form.day.data])
            return redirect(url_for("live.schedule"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("live/session_form.html", form=form, editing=found, cancel_form=ConfirmForm()), status


@bp.post("/trainer/sessions/<int:session_id>/cancel")
@roles_required("trainer")
def cancel_session(session_id: int):
    """Cancel a session: registrants are told and their paths re-planned."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        scheduling.cancel_session(current_user, session_id)
    except ServiceError as error:
        if error.status in (403, 404):
            return render_error(error.status, error.message)
        unit_of_work.flash_refusal(error)
        return redirect(url_for("live.schedule"))
    flash(_("The session is cancelled and everyone registered has been told."), "success")
    return redirect(url_for("live.schedule"))


@bp.route("/trainer/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@roles_required("trainer")
def attendance(session_id: int):
    """Tick who came: present, late, absent or excused (made for a phone). The form is offered
    from an hour before the start; before that the page says when it opens. A refused save shows
    the form again with the trainer's ticks kept."""
    try:
        found, registrations = scheduling.attendance_sheet(current_user, session_id)
    except ServiceError as error:
        return render_error(error.status, error.message)
    form = ConfirmForm()
    marks: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        for key, value in request.form.items():
            if key.startswith("mark-") and key[5:].isdigit() and value:
                marks[int(key[5:])] = value
        try:
            changed = scheduling.mark_attendance(current_user, session_id, marks)
        except ServiceError as error:
            unit_of_work.flash_refusal(error)
            status = error.status
        else:
            flash(
                ngettext("Attendance saved: %(num)d change.", "Attendance saved: %(num)d changes.", changed), "success"
            )
            return redirect(url_for("live.attendance", session_id=session_id))
        found, registrations = scheduling.attendance_sheet(current_user, session_id)
    return render_template("live/attendance.html", session=found, registrations=registrations, form=form,
                           choices=ATTENDANCE_CHOICES, marks=marks, opens_at=scheduling.attendance_opens_at(found),
                           is_open=scheduling.attendance_is_open(found)), status  # fmt: skip
