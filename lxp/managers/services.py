"""Line managers and their teams.

Reporting lines come from an admin (one by one, or a CSV upload), the API, or a directory's
SCIM enterprise ``manager`` attribute. Whoever is named a manager gets the manager role. A
manager sees of each direct report only what the organisation asks of them and their work
tasks: their assignments and how each stands, their open on-the-job tasks. Never their
reflections, coaching threads, pulse answers or help requests, which stay between the
learner and their coach.

A manager can confirm practice they observed at work for a report's open on-the-job task: like
a trainer's accepted review, it records ``passed`` for the task and ``mastered`` for the
competencies it assesses, and the path re-plans. And they can send a short encouragement,
which lands in the learner's inbox (at most one a day from the same manager).
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, replace
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, contains_eager

from lxp import events
from lxp.accounts import joining
from lxp.accounts.models import User, UserRole
from lxp.assignments import services as assignments
from lxp.assignments.models import ReportingLine
from lxp.audit import services as audit
from lxp.channels import in_app, path_for
from lxp.core.errors import Invalid, NotAllowed, NotFound
from lxp.core.paging import paginate
from lxp.core.statements import contains
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.paths import services as paths
from lxp.paths.models import Journey
from lxp.risk import services as risk

ENCOURAGE_LIMIT = 500
NOTE_LIMIT = 1000
CSV_LIMIT = 5000  # rows in one upload


def manager_of(user_id: int) -> User | None:
    line = db.session.get(ReportingLine, user_id)
    return line.manager if line is not None else None


def set_line(user: User, manager: User | None, *, by: User | None = None) -> None:
    """Make ``manager`` the person's line manager (None: nobody). The manager gets the manager
    role. Raises ``Invalid`` for someone of another organisation, an inactive manager, or a
    person managing themselves."""
    line = db.session.get(ReportingLine, user.id)
    if manager is None:
        if line is not None:
            db.session.delete(line)
            db.session.flush()
        return
    if manager.organisation_id != user.organisation_id or not manager.active:
        raise Invalid(_l("Choose an active person of your organisation as manager."), field="manager")
    if manager.id == user.id:
        raise Invalid(_l("Nobody is their own manager."), field="manager")
    if line is None:
        db.session.add(ReportingLine(user_id=user.id, manager_id=manager.id))
    elif line.manager_id != manager.id:
        line.manager_id = manager.id
    if not manager.has_role("manager"):
        manager.role_rows.append(UserRole(role="manager"))
    audit.record("reporting_line_set", organisation_id=user.organisation_id, actor_id=by.id if by else None,
                 subject_type="user", subject_id=user.id, details={"manager": manager.id})  # fmt: skip
    db.session.flush()


def _from_directory(user: User, details: dict) -> None:
    """SCIM's enterprise ``manager.value`` is the manager's SCIM id, which is lxp's user id."""
    value = details.get("manager")
    if not value or not str(value).isdigit():
        return
    manager = db.session.get(User, int(value))
    if (
        manager is not None
        and manager.organisation_id == user.organisation_id
        and manager.active
        and manager.id != user.id
    ):
        set_line(user, manager)


joining.listen(_from_directory)


def _require_admin(admin: User) -> None:
    if not admin.has_role("admin"):
        raise NotAllowed(_l("Only admins set reporting lines."))


def set_line_by_admin(admin: User, user_id: int, manager_id: int | None) -> None:
    """An admin sets one reporting line. Raises ``NotAllowed``, ``NotFound``, ``Invalid``."""
    _require_admin(admin)
    user = _person(admin, user_id, "person")
    set_line(user, _person(admin, manager_id, "manager") if manager_id is not None else None, by=admin)


def _person(admin: User, user_id: int | None, field: str) -> User:
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None or user.organisation_id != admin.organisation_id:
        raise NotFound(_l("Choose a person of your organisation."), field=field)
    return user


@dataclass(frozen=True)
class UploadResult:
    lines: int
    units: int


def upload_lines(admin: User, text: str) -> UploadResult:
    """Reporting lines (and units) from CSV with the header ``email,manager_email[,unit]``: each
    row sets the person's manager (empty: none) and, when given, their unit (made when new).
    All or nothing: raises ``Invalid`` naming the first bad row, and nothing is changed."""
    _require_admin(admin)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "email" not in header or "manager_email" not in header:
        raise Invalid(_l("The first line must name the columns email and manager_email (and unit, if you like)."),
                      field="file")  # fmt: skip
    people = {u.email: u for u in db.session.execute(
        select(User).where(User.organisation_id == admin.organisation_id)).scalars()}  # fmt: skip
    lines = units = 0
    for number, raw in enumerate(reader, start=2):
        if number > CSV_LIMIT + 1:
            raise Invalid(_l("Upload at most %(num)d rows at a time.", num=CSV_LIMIT), field="file")
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
        person = people.get(row.get("email", "").lower())
        if person is None:
            raise Invalid(_l("Line %(line)d: nobody of your organisation has the e-mail %(email)s.", line=number,
                             email=row.get("email", "")), field="file")  # fmt: skip
        manager_email = row.get("manager_email", "").lower()
        manager = people.get(manager_email) if manager_email else None
        if manager_email and manager is None:
            raise Invalid(_l("Line %(line)d: nobody of your organisation has the e-mail %(email)s.", line=number,
                             email=manager_email), field="file")  # fmt: skip
        try:
            set_line(person, manager, by=admin)
        except Invalid as error:
            raise Invalid(_l("Line %(line)d: %(problem)s", line=number, problem=error.message), field="file") from None
        lines += 1
        if row.get("unit"):
            try:
                unit = assignments.unit_named(admin.organisation_id, row["unit"])
            except Invalid as error:
                raise Invalid(
                    _l("Line %(line)d: %(problem)s", line=number, problem=error.message), field="file"
                ) from None
            assignments.place_in_unit(person, unit)
            units += 1
            joining.person_changed(person)
    return UploadResult(lines, units)


def lines_of(organisation_id: int, query: str = "", page: int = 1, per_page: int = 50):
    """The organisation's reporting lines by the person's name, a page at a time (Flask-SQLAlchemy's
    ``Pagination``), those whose person or manager has ``query`` in their name or e-mail."""
    person, manager = aliased(User), aliased(User)
    statement = (
        select(ReportingLine)
        .join(person, person.id == ReportingLine.user_id)
        .join(manager, manager.id == ReportingLine.manager_id)
        .where(person.organisation_id == organisation_id)
        .options(contains_eager(ReportingLine.user.of_type(person)), contains_eager(ReportingLine.manager.of_type(manager)))
    )  # fmt: skip
    words = (query or "").strip()
    if words:
        statement = statement.where(or_(*(contains(column, words) for column in (
            person.display_name, person.email, manager.display_name, manager.email))))  # fmt: skip
    statement = statement.order_by(func.lower(person.display_name), person.id)
    return paginate(statement, page, per_page)


# --- the manager's side --------------------------------------------------------------------


def team_of(manager: User) -> list[User]:
    """The manager's active direct reports, by name."""
    return list(db.session.execute(
        select(User).join(ReportingLine, ReportingLine.user_id == User.id)
        .where(ReportingLine.manager_id == manager.id, User.active, User.organisation_id == manager.organisation_id)
        .order_by(User.display_name, User.id)
    ).scalars())  # fmt: skip


def report_of(manager: User, user_id: int) -> User:
    """One of the manager's direct reports. Raises ``NotFound`` for anyone else (another
    manager's report, another organisation's person): the same answer either way."""
    user = db.session.get(User, user_id)
    line = db.session.get(ReportingLine, user_id)
    if user is None or line is None or line.manager_id != manager.id or not user.active:
        raise NotFound(_l("This person is not in your team."))
    return user


@dataclass(frozen=True)
class OpenTask:
    ref: str
    title: str
    due: date | None


@dataclass(frozen=True)
class Member:
    person: User
    assignments: list  # assignments.WorkState
    tasks: list[OpenTask]
    may_need_support: bool = False  # predictive support flagged them and they let the manager know

    @property
    def worst(self) -> str:
        states = {w.state for w in self.assignments}
        return next((s for s in ("overdue", "at_risk", "on_track", "done") if s in states), "none")


def member_view(person: User, today: date | None = None) -> Member:
    """What a manager may see of one report: assignments and open on-the-job tasks."""
    return _member(person, paths.open_journey(person), assignments.open_work(person.id), today)


def _member(person: User, journey: Journey | None, work: list, today: date | None) -> Member:
    """``member_view`` from the report's open ``journey`` and ``assignments.open_work``, read by
    the caller (``team_view`` reads both for the whole team at once)."""
    plan = paths.current_plan(journey, today) if journey is not None else None
    tasks = [OpenTask(s.ref, s.title, s.due) for s in (plan.open_steps if plan else ()) if s.modality == "on_the_job"]
    return Member(person, assignments.states_of(person, today, plan=plan, work=work) if plan else [], tasks)


def team_view(manager: User, today: date | None = None) -> list[Member]:
    """Every direct report's view, those who need attention (overdue, at risk) first, each
    marked when predictive support flagged them and they let their manager know. The team's
    journeys and assigned work are read for everyone together."""
    order = {"overdue": 0, "at_risk": 1, "on_track": 2, "none": 3, "done": 4}
    flagged = risk.may_need_support(manager)
    team = team_of(manager)
    journeys = paths.open_journeys_of(person.id for person in team)
    work = assignments.open_work_of(person.id for person in team)
    members = [
        replace(_member(person, journeys.get(person.id), work[person.id], today),
                may_need_support=person.id in flagged)
        for person in team
    ]  # fmt: skip
    return sorted(members, key=lambda m: (order[m.worst], m.person.display_name))


def confirm_practice(manager: User, user_id: int, ref: str, note: str = "") -> None:
    """The manager saw the report do an open on-the-job task at work: ``passed`` for the task,
    ``mastered`` for each competency it assesses (the manager's confirmation is evidence, like
    a trainer's review), and the path re-plans. Confirming a task already done changes nothing.
    Raises ``NotFound`` (not a report, not an on-the-job task of their path) and ``Invalid``."""
    person = report_of(manager, user_id)
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise Invalid(_l("Use at most %(num)d characters.", num=NOTE_LIMIT), field="note")
    journey = paths.open_journey(person)
    if journey is None:
        raise NotFound(_l("This task is not on their path."))
    plan = paths.current_plan(journey)
    step = next((s for s in plan.steps if s.ref == ref and s.modality == "on_the_job"), None)
    if step is None:
        raise NotFound(_l("This task is not on their path."))
    if step.done:
        return
    item = next((i for i in paths.catalogue(journey) if i.ref == ref), None)
    recorded = events.record(
        actor_id=person.id, verb="passed", object_type="item", object_id=ref,
        result={"success": True, "completion": True, "response": note or None},
        context={"journey": journey.id, "observed_by_manager": manager.id},
    )  # fmt: skip
    for competency in sorted(item.assesses if item else ()):
        events.record(actor_id=person.id, verb="mastered", object_type="competency", object_id=competency,
                      context={"check": ref, "observed_by_manager": manager.id}, occurred_at=recorded.occurred_at,
                      event_id=uuid.uuid5(recorded.id, competency))  # fmt: skip
    paths.refresh_plan(journey, f"a manager's confirmation of {ref}")
    with force_locale(person.locale or current_app.config["DEFAULT_LOCALE"]):
        _post_observed(manager, person, step.title, ref, note)
    db.session.flush()


def _post_observed(manager: User, person: User, title: str, ref: str, note: str) -> None:
    in_app.post(in_app.InAppNote(
        user_id=person.id, category="reply", key=f"observed:{manager.id}:{ref}",
        subject=str(_l("%(manager)s confirmed your practice of \u201c%(item)s\u201d at work",
                       manager=manager.display_name, item=title)),
        body=note, link=path_for("learning.path"),
        why=str(_l("%(manager)s is your manager.", manager=manager.display_name)),
    ))  # fmt: skip


def encourage(manager: User, user_id: int, message: str) -> bool:
    """Send the report a short encouragement in their inbox; at most one a day from this
    manager (a second the same day is dropped: returns False). Raises ``NotFound``, ``Invalid``."""
    person = report_of(manager, user_id)
    message = " ".join((message or "").split())
    if not message:
        raise Invalid(_l("Write a few words."), field="message")
    if len(message) > ENCOURAGE_LIMIT:
        raise Invalid(_l("Use at most %(num)d characters.", num=ENCOURAGE_LIMIT), field="message")
    key = f"encourage:{manager.id}:{utcnow().date().isoformat()}"
    already = db.session.scalar(select(in_app.InAppMessage.id).where(
        in_app.InAppMessage.user_id == person.id, in_app.InAppMessage.key == key))  # fmt: skip
    if already is not None:
        return False
    with force_locale(person.locale or current_app.config["DEFAULT_LOCALE"]):
        _post_encouragement(manager, person, key, message)
    db.session.flush()
    return True


def _post_encouragement(manager: User, person: User, key: str, message: str) -> None:
    in_app.post(in_app.InAppNote(
        user_id=person.id, category="reply", key=key,
        subject=str(_l("A word from %(manager)s", manager=manager.display_name)), body=message,
        link=path_for("learning.path"), why=str(_l("%(manager)s is your manager.", manager=manager.display_name)),
    ))  # fmt: skip
