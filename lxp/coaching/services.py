"""Coaches and "I'm stuck" help requests.

A learner asks for help on a step of their path; the request carries where they were and
goes to their coach, or to every trainer of the organisation while they have none. A trainer
answers it (and usually resolves it), or hands it to another trainer; the learner then says
in one tap whether it helped. Each of these is recorded as a learning event, so the nudges
and the analytics read them like everything else:

  asked      learner  help_request  the request (context: item ref)
  answered   trainer  help_request  an answer was written
  shared     trainer  help_request  handed to another trainer (context: to)
  completed  either   help_request  resolved
  responded  learner  help_request  whether it helped (result.success, extensions.mood)

Visibility: a learner sees their own requests; a trainer the ones assigned to them and the
unassigned ones of their organisation; nobody else (``NotFound``, so ids reveal nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, exists, func, or_, select, union_all
from sqlalchemy.orm import selectinload

from lxp import events
from lxp.accounts.models import User
from lxp.accounts.services import active_with_role
from lxp.authoring import kinds
from lxp.channels import in_app, path_for
from lxp.channels.email import external_url, mail_after_commit
from lxp.coaching.models import CoachAssignment, HelpRequest
from lxp.cohorts.models import Cohort, cohort_members
from lxp.cohorts.services import cohort_coach_of
from lxp.core.errors import Conflict, Invalid, NotAllowed, NotFound
from lxp.core.paging import beyond, paginate
from lxp.core.statements import prepared
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.paths import services as paths
from lxp.paths.access import open_block

NOTE_LIMIT = 2000
ANSWER_LIMIT = 10_000


# --- coaches -----------------------------------------------------------------------------


def coach_of(learner_id: int) -> User | None:
    """The learner's coach: the one chosen for them, else their cohort's; None while they have none."""
    assignment = db.session.get(CoachAssignment, learner_id)
    return assignment.coach if assignment is not None else cohort_coach_of(learner_id)


def coaches():
    """``coach_of`` for every learner at once, for queries over many learners: a subquery of
    (``learner_id``, ``coach_id``) with one row per learner who has a coach, by the same rule
    (the coach chosen for them, else the coach of the first of their cohorts by name whose coach
    is active). A test holds the two to the same answers over the demo organisation."""
    ranked = (
        select(cohort_members.c.user_id.label("learner_id"), Cohort.coach_id.label("coach_id"),
               func.row_number().over(partition_by=cohort_members.c.user_id,
                                      order_by=(Cohort.name, Cohort.id)).label("place"))
        .join(Cohort, Cohort.id == cohort_members.c.cohort_id)
        .join(User, User.id == Cohort.coach_id)
        .where(User.active)
        .subquery()
    )  # fmt: skip
    chosen = select(CoachAssignment.learner_id, CoachAssignment.coach_id)
    via_cohort = select(ranked.c.learner_id, ranked.c.coach_id).where(
        ranked.c.place == 1, ~exists().where(CoachAssignment.learner_id == ranked.c.learner_id)
    )
    return union_all(chosen, via_cohort).subquery("coaches")


def _trainer_in(organisation_id: int, trainer_id: int | None) -> User:
    trainer = db.session.get(User, trainer_id) if trainer_id else None
    if (
        trainer is None
        or trainer.organisation_id != organisation_id
        or not trainer.active
        or not trainer.has_role("trainer")
    ):
        raise Invalid(_l("Choose an active trainer of your organisation."), field="coach")
    return trainer


def assign_coach(admin: User, learner: User, coach_id: int | None) -> None:
    """Make ``coach_id`` the learner's coach (None: no coach). Open requests of the learner
    that nobody has taken yet go to the new coach. Raises ``NotAllowed`` (another
    organisation, not an admin) and ``Invalid`` (not an active trainer there)."""
    if not admin.has_role("admin") or admin.organisation_id != learner.organisation_id:
        raise NotAllowed(_l("Only an admin of the learner's organisation can choose their coach."))
    assignment = db.session.get(CoachAssignment, learner.id)
    if coach_id is None:
        if assignment is not None:
            db.session.delete(assignment)
        db.session.flush()
        return
    coach = _trainer_in(learner.organisation_id, coach_id)
    if coach.id == learner.id:
        raise Invalid(_l("A learner cannot coach themselves."), field="coach")
    if assignment is None:
        assignment = CoachAssignment(learner_id=learner.id, coach_id=coach.id)
        db.session.add(assignment)
    assignment.coach_id, assignment.assigned_by_id, assignment.assigned_at = coach.id, admin.id, utcnow()
    waiting = db.session.execute(
        select(HelpRequest).where(
            HelpRequest.learner_id == learner.id, HelpRequest.status == "open", HelpRequest.assignee_id.is_(None)
        )
    ).scalars()
    for request in waiting:
        request.assignee_id = coach.id
    db.session.flush()


# --- asking ------------------------------------------------------------------------------


def _last_answers(learner_id: int, ref: str, journey) -> dict | None:
    """The learner's latest quiz attempt on this step, or else on any step: what they chose."""
    query = select(LearningEvent).where(
        LearningEvent.actor_id == learner_id,
        LearningEvent.object_type == "item",
        LearningEvent.verb.in_(events.CHECK_VERBS),
    )
    latest = db.session.execute(
        query.order_by(
            case((LearningEvent.object_id == ref, 0), else_=1),
            LearningEvent.occurred_at.desc(),
            LearningEvent.recorded_at.desc(),
        ).limit(1)
    ).scalar_one_or_none()
    if latest is None:
        return None
    course_id, _, key = latest.object_id.partition(":")
    item = next(
        (
            i
            for jc in journey.courses
            if str(jc.course_id) == course_id
            for i in jc.version.items
            if i.key == key and kinds.get(i.kind).asks_questions
        ),
        None,
    )
    if item is None:
        return None
    response = (latest.result or {}).get("response") or {}
    answers = []
    for question in kinds.get(item.kind).questions(item.content):
        chosen = response.get(question["key"], [])
        right = [n for n, option in enumerate(question["options"]) if option["correct"]]
        answers.append(
            {
                "prompt": question["prompt"],
                "chosen": [question["options"][n]["text"] for n in chosen if 0 <= n < len(question["options"])],
                "correct": sorted(chosen) == right,
            }
        )
    return {
        "item": latest.object_id,
        "title": item.title,
        "score": ((latest.result or {}).get("score") or {}).get("raw"),
        "questions": answers,
    }


def _context(learner: User, ref: str, block) -> dict:
    plan = paths.current_plan(block.journey)
    refs = [step.ref for step in plan.steps]
    done = sum(1 for step in plan.steps if step.done)
    return {
        "position": refs.index(ref) + 1 if ref in refs else None,
        "steps": len(refs),
        "done": done,
        "attempt": _last_answers(learner.id, ref, block.journey),
    }


@prepared
def _open_request():
    return (
        select(HelpRequest)
        .where(HelpRequest.learner_id == bindparam("learner_id"), HelpRequest.item_ref == bindparam("ref"),
               HelpRequest.status != "resolved")
        .order_by(HelpRequest.id.desc())
        .limit(1)
    )  # fmt: skip


def open_request_for(learner_id: int, ref: str) -> HelpRequest | None:
    """The learner's unresolved request on this step, if any."""
    return db.session.execute(_open_request(), {"learner_id": learner_id, "ref": ref}).scalar_one_or_none()


@dataclass(frozen=True)
class HelpOnStep:
    """What the "I'm stuck" panel of a step shows its learner."""

    open: HelpRequest | None  # their unresolved request, if any
    answered: tuple[HelpRequest, ...]  # resolved ones that carry an answer, newest first


@prepared
def _on_step():
    """The learner's requests on a step that the panel may show: unresolved, or answered."""
    return select(HelpRequest).where(
        HelpRequest.learner_id == bindparam("learner_id"), HelpRequest.item_ref == bindparam("ref"),
        (HelpRequest.status != "resolved") | HelpRequest.answer.is_not(None),
    )  # fmt: skip


def help_on_step(learner_id: int, ref: str, answered: int = 5) -> HelpOnStep:
    """The learner's open request on step ``ref`` and their ``answered`` latest answered ones
    (an answer stays where they asked, also once it is marked solved, by them or the trainer).
    One statement: it runs on every view of a step."""
    rows = db.session.execute(_on_step(), {"learner_id": learner_id, "ref": ref}).scalars().all()
    unresolved = [row for row in rows if row.status != "resolved"]
    done = [row for row in rows if row.status == "resolved"]
    done.sort(key=lambda row: (row.answered_at is not None, row.answered_at or utcnow(), row.id), reverse=True)
    return HelpOnStep(max(unresolved, key=lambda row: row.id, default=None), tuple(done[:answered]))


def ask_for_help(learner: User, ref: str, note: str = "") -> tuple[HelpRequest, bool]:
    """Tell the coach (or the trainers) the learner is stuck on step ``ref``; returns the
    request and whether it is new. Asking again while one is unresolved adds nothing (its note
    is kept, a new note is appended), so a double tap makes one request.
    Raises ``NotFound`` (not on the learner's path) and ``Invalid`` (an overlong note)."""
    block = open_block(learner, ref)
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise Invalid(_l("Use at most %(num)d characters.", num=NOTE_LIMIT), field="note")
    existing = open_request_for(learner.id, ref)
    if existing is not None:
        if note and note not in existing.note:
            existing.note = f"{existing.note}\n\n{note}".strip()
        existing.status = "open"  # an answer that did not help: waiting again
        db.session.flush()
        return existing, False
    coach = coach_of(learner.id)
    request = HelpRequest(
        organisation_id=learner.organisation_id,
        learner_id=learner.id,
        assignee_id=coach.id if coach is not None else None,
        item_ref=ref,
        item_title=block.item.title,
        note=note,
        context=_context(learner, ref, block),
        status="open",
    )
    db.session.add(request)
    db.session.flush()
    events.record(
        actor_id=learner.id,
        verb="asked",
        object_type="help_request",
        object_id=request.id,
        context={"item": ref, "journey": block.journey.id},
    )
    for trainer in [coach] if coach is not None else active_with_role(learner.organisation_id, "trainer"):
        mail_after_commit(trainer, "help_requested", learner=learner.display_name, item=block.item.title, note=note,
                          link=external_url("coaching.help_request_desk", request_id=request.id))  # fmt: skip
    db.session.flush()
    return request, True


REQUESTS_PER_PAGE = 20


def _own_order() -> tuple:
    """What a learner's own requests are ordered by, each descending: unresolved (1) before
    resolved (0), then the newest first."""
    return case((HelpRequest.status == "resolved", 0), else_=1), HelpRequest.created_at, HelpRequest.id


def own_requests_page(learner: User, page: int | None):
    """Page ``page`` of the learner's own requests (``REQUESTS_PER_PAGE`` a page), unresolved
    first, newest first, with who answered (a page past the end is the last)."""
    statement = (
        select(HelpRequest)
        .where(HelpRequest.learner_id == learner.id)
        .order_by(*(column.desc() for column in _own_order()))
        .options(selectinload(HelpRequest.answered_by))
    )
    return paginate(statement, page, REQUESTS_PER_PAGE)


def page_of_own_request(request: HelpRequest) -> int:
    """The page of ``own_requests_page`` the request is on now: one more than the pages the
    requests before it fill."""
    db.session.flush()  # its status may just have changed, which moves it
    position = (int(request.status != "resolved"), request.created_at, request.id)
    ahead = db.session.scalar(
        select(func.count()).select_from(HelpRequest).where(
            HelpRequest.learner_id == request.learner_id, beyond(_own_order(), position))
    )  # fmt: skip
    return ahead // REQUESTS_PER_PAGE + 1


def own_requests_after(learner: User, after: tuple[datetime, int] | None, limit: int) -> list[HelpRequest]:
    """The learner's own requests newest first, ``limit`` of them and the first of the next if
    any, after the one whose (asked, id) is ``after``: an API's cursor, read in SQL."""
    statement = select(HelpRequest).where(HelpRequest.learner_id == learner.id)
    if after is not None:
        statement = statement.where(beyond((HelpRequest.created_at, HelpRequest.id), after, descending=True))
    statement = statement.order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc()).limit(limit + 1)
    return list(db.session.execute(statement).scalars())


def own_request(learner: User, request_id: int) -> HelpRequest:
    """One of the learner's own requests. Raises ``NotFound``."""
    request = db.session.get(HelpRequest, request_id)
    if request is None or request.learner_id != learner.id:
        raise NotFound(_l("No such help request."))
    return request


def resolve_by_learner(learner: User, request: HelpRequest) -> None:
    """The learner says the problem is solved. Raises ``NotFound``; resolving twice changes nothing."""
    request = own_request(learner, request.id)
    if request.status == "resolved":
        return
    _resolve(learner, request)
    db.session.flush()


def _resolve(actor: User, request: HelpRequest) -> None:
    request.status, request.resolved_at = "resolved", utcnow()
    events.record(actor_id=actor.id, verb="completed", object_type="help_request", object_id=request.id,
                  context={"item": request.item_ref})  # fmt: skip


def rate_help(learner: User, request: HelpRequest, helped: bool, mood: int | None = None) -> None:
    """After resolution, the learner says whether it helped and how it felt (once; sending the
    same answer again changes nothing). Raises ``NotFound``, ``Invalid`` (not resolved yet, a
    mood outside 1..5) and ``Conflict`` (answered differently before)."""
    request = own_request(learner, request.id)
    if request.status != "resolved":
        raise Invalid(_l("You can say whether it helped once the request is resolved."))
    if mood is not None and not 1 <= mood <= 5:
        raise Invalid(_l("Choose one of the faces."), field="mood")
    if request.helped is not None:
        if (request.helped, request.mood) == (helped, mood):
            return
        raise Conflict(_l("You have already said whether it helped. Thank you."))
    request.helped, request.mood = helped, mood
    events.record(actor_id=learner.id, verb="responded", object_type="help_request", object_id=request.id,
                  result={"success": helped, "extensions": {"mood": mood}},
                  context={"item": request.item_ref})  # fmt: skip
    db.session.flush()


# --- answering ---------------------------------------------------------------------------


def _visible_to_trainer(trainer: User):
    return (HelpRequest.organisation_id == trainer.organisation_id) & or_(
        HelpRequest.assignee_id == trainer.id, HelpRequest.assignee_id.is_(None)
    )


def help_queue_query(trainer: User):
    """Unresolved requests for this trainer (theirs and the unassigned ones): those still
    waiting for an answer first, longest waiting first; then the answered ones. A statement, so
    the desk reads a page of them and counts the rest."""
    return (
        select(HelpRequest)
        .where(_visible_to_trainer(trainer), HelpRequest.status != "resolved")
        .order_by(case((HelpRequest.status == "open", 0), else_=1), HelpRequest.created_at, HelpRequest.id)
        .options(selectinload(HelpRequest.learner))  # the desk names them all
    )


def help_queue_after(trainer: User, after: tuple[datetime, int] | None, limit: int) -> list[HelpRequest]:
    """``help_queue_query``'s requests in the order they were asked (answered or not), after the
    one whose (asked, id) is ``after``, ``limit`` of them and the first of the next if any: an
    API's cursor, read in SQL."""
    statement = help_queue_query(trainer).order_by(None).order_by(HelpRequest.created_at, HelpRequest.id)
    if after is not None:
        statement = statement.where(beyond((HelpRequest.created_at, HelpRequest.id), after))
    return list(db.session.execute(statement.limit(limit + 1)).scalars())


def request_for_trainer(trainer: User, request_id: int) -> HelpRequest:
    """A request the trainer may see. Raises ``NotFound``."""
    request = db.session.get(HelpRequest, request_id)
    if request is None or not trainer.has_role("trainer"):
        raise NotFound(_l("No such help request."))
    visible = request.organisation_id == trainer.organisation_id and request.assignee_id in (None, trainer.id)
    if not visible:
        raise NotFound(_l("No such help request."))
    return request


def answer_request(trainer: User, request: HelpRequest, answer: str, resolve: bool = True) -> None:
    """Answer the request (taking it when unassigned) and, by default, resolve it; the learner
    is told. Raises ``NotFound`` and ``Invalid`` (empty or overlong answer, already resolved)."""
    request = request_for_trainer(trainer, request.id)
    answer = (answer or "").strip()
    if not answer:
        raise Invalid(_l("Write an answer first."), field="answer")
    if len(answer) > ANSWER_LIMIT:
        raise Invalid(_l("Use at most %(num)d characters.", num=ANSWER_LIMIT), field="answer")
    if request.status == "resolved":
        raise Invalid(_l("This request is resolved already."))
    request.assignee_id = request.assignee_id or trainer.id
    request.answer, request.answered_by_id, request.answered_at = answer, trainer.id, utcnow()
    request.status = "answered"
    events.record(actor_id=trainer.id, verb="answered", object_type="help_request", object_id=request.id,
                  context={"item": request.item_ref, "learner": request.learner_id})  # fmt: skip
    if resolve:
        _resolve(trainer, request)
    _tell_in_app(request, trainer)
    mail_after_commit(request.learner, "help_answered", trainer=trainer.display_name, item=request.item_title,
                      answer=answer, link=external_url("coaching.my_help_requests"))  # fmt: skip
    db.session.flush()


def _tell_in_app(request: HelpRequest, trainer: User) -> None:
    learner = request.learner
    with force_locale(learner.locale or current_app.config["DEFAULT_LOCALE"]):
        in_app.post(in_app.InAppNote(
            user_id=learner.id, category="reply", key=f"help-answer:{request.id}:{request.answered_at.isoformat()}",
            subject=str(_l("%(trainer)s answered your question on \u201c%(item)s\u201d", trainer=trainer.display_name,
                           item=request.item_title)),
            body=request.answer, link=path_for("coaching.my_help_requests") + f"#request-{request.id}",
            why=str(_l("You asked for help on \u201c%(item)s\u201d.", item=request.item_title)),
        ))  # fmt: skip


def hand_over(trainer: User, request: HelpRequest, to_trainer_id: int, note: str = "") -> User:
    """Give the request to another trainer of the organisation, who is told. Returns them.
    Raises ``NotFound``, ``Invalid`` (not an active trainer, themselves, already resolved)."""
    request = request_for_trainer(trainer, request.id)
    if request.status == "resolved":
        raise Invalid(_l("This request is resolved already."))
    to_trainer = _trainer_in(trainer.organisation_id, to_trainer_id)
    if to_trainer.id == trainer.id:
        raise Invalid(_l("Choose another trainer."), field="coach")
    request.assignee_id = to_trainer.id
    events.record(actor_id=trainer.id, verb="shared", object_type="help_request", object_id=request.id,
                  context={"item": request.item_ref, "to": to_trainer.id, "note": (note or "").strip()[:500] or None})  # fmt: skip
    mail_after_commit(to_trainer, "help_handed_over", trainer=trainer.display_name, learner=request.learner.display_name,
                      item=request.item_title, note=(note or "").strip(),
                      link=external_url("coaching.help_request_desk", request_id=request.id))  # fmt: skip
    db.session.flush()
    return to_trainer
