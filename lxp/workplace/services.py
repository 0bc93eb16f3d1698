"""On-the-job tasks: the learner drafts and submits evidence, their coach reviews it.

Each try is a ``TaskSubmission``; a draft is kept on the server as it is written, so nothing
is lost between the workplace and the phone. Submitting sends it to the learner's coach, who
reviews it against the task's rubric: accepted, or another try with comments. The learner can
withdraw a submission until it is reviewed (it becomes their draft again). Every try keeps its
evidence and its review, so both people see the whole history.

Events (``lxp.events``), all with the learner as actor so the path reads them:

  attempted  item  a try was submitted (context: submission)
  retracted  item  the learner withdrew it before review (context: submission)
  passed     item  the coach accepted it (context: reviewer), with ``mastered`` per
                   competency the task assesses: accepted evidence counts as mastery
  failed     item  another try is needed; ``failed_competencies`` are the assessed
                   competencies, so the planner adds remediation and a retry

Who sees what: a learner their own tries; a trainer the tries of the learners they coach
(``coaching.services.coach_of``). Files of a try follow the same rule (kind ``evidence``).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import bindparam, false, select
from sqlalchemy.orm import selectinload

from lxp import events
from lxp.accounts.models import User
from lxp.authoring.kinds import HTTP_URL
from lxp.channels import in_app, path_for
from lxp.channels.email import external_url, mail_after_commit
from lxp.coaching.services import coach_of
from lxp.coaching.threads import coached_learner_ids
from lxp.core.errors import Conflict, Invalid, NotAllowed, NotFound
from lxp.core.paging import beyond
from lxp.core.statements import prepared
from lxp.core.tenancy import get_in_organisation
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.files import services as files
from lxp.files.models import StoredFile
from lxp.paths import planner
from lxp.paths import services as paths
from lxp.paths.access import open_block
from lxp.paths.storage import plan_from_json
from lxp.workplace.models import OPEN_STATUSES, TaskReview, TaskSubmission

EVIDENCE = "evidence"  # the kind of the files of a try
ACCOUNT_LIMIT = 20_000
COMMENT_LIMIT = 10_000
LINK_LIMIT, LINK_LENGTH = 10, 2000
FILES_PER_TRY = 10
RATINGS = (1, 2, 3, 4)  # not yet, getting there, can do it, does it well


def _may_see_try(user, submission_id: int) -> bool:
    submission = db.session.get(TaskSubmission, submission_id)
    if submission is None or submission.organisation_id != user.organisation_id:
        return False
    if submission.learner_id == user.id:
        return True
    return submission.status != "draft" and _is_coach(user, submission.learner_id)  # a draft is the learner's own


files.register_access(EVIDENCE, _may_see_try)


def _is_coach(user, learner_id: int) -> bool:
    if not user.has_role("trainer"):
        return False
    coach = coach_of(learner_id)
    return coach is not None and coach.id == user.id


# --- the learner's side ------------------------------------------------------------------


def task_block(learner, ref: str):
    """The on-the-job task ``ref`` of the learner's path. Raises ``NotFound``."""
    block = open_block(learner, ref)
    if not block.kind.reviewed:
        raise NotFound(_l("This step is not an on-the-job task."))
    return block


def tries_of(learner_id: int, ref: str) -> list[TaskSubmission]:
    """The learner's tries at task ``ref``, oldest first, with their reviews."""
    return list(
        db.session.execute(
            select(TaskSubmission)
            .where(TaskSubmission.learner_id == learner_id, TaskSubmission.item_ref == ref)
            .options(selectinload(TaskSubmission.review).joinedload(TaskReview.reviewer))
            .order_by(TaskSubmission.number)
        ).scalars()
    )


@dataclass(frozen=True)
class TaskView:
    """What the learner sees of a task below its instructions."""

    ref: str
    step: planner.Step | None  # from the stored plan: why it is there and when it is due
    tries: list[TaskSubmission]  # oldest first
    files: dict[int, list[StoredFile]]
    current: TaskSubmission | None  # the open try: a draft or waiting for review
    start_from: TaskSubmission | None  # the try that needs another go, to start the next from
    accepted: bool
    coach: User | None
    asks_for: tuple[str, ...]  # evidence types: text, photo, file, link

    @property
    def reviewed(self) -> list[TaskSubmission]:
        return [t for t in reversed(self.tries) if t.review is not None]


def task_view(learner, block) -> TaskView:
    """The task's state for the learner on the block page (``block`` from ``open_block``)."""
    tries = tries_of(learner.id, block.ref)
    plan = plan_from_json(block.journey.plan) if block.journey.plan else None
    step = next((s for s in plan.steps if s.ref == block.ref), None) if plan else None
    latest = tries[-1] if tries else None
    current = latest if latest is not None and latest.status in OPEN_STATUSES else None
    start_from = latest if latest is not None and latest.status == "needs_another_try" else None
    return TaskView(block.ref, step, tries, files.attached(EVIDENCE, [t.id for t in tries]), current, start_from,
                    latest is not None and latest.status == "accepted", coach_of(learner.id),
                    tuple(block.item.content.get("evidence") or ()))  # fmt: skip


def _links(text: str) -> list[str]:
    links = []
    for line in (text or "").splitlines():
        link = line.strip()
        if not link or link in links:
            continue
        if len(link) > LINK_LENGTH:
            raise Invalid(_l("A link can be at most %(num)d characters long.", num=LINK_LENGTH), field="links")
        try:
            HTTP_URL(link)
        except ValidationError:
            raise Invalid(_l("\u201c%(link)s\u201d is not a web address: links start with http:// or https://.",
                             link=link[:80]), field="links") from None  # fmt: skip
        links.append(link)
    if len(links) > LINK_LIMIT:
        raise Invalid(_l("Add at most %(num)d links.", num=LINK_LIMIT), field="links")
    return links


def _check_asked(asks_for: tuple[str, ...], account: str, links: list[str], uploads) -> None:
    if account and "text" not in asks_for:
        raise Invalid(_l("This task does not ask for a written account."), field="account")
    if links and "link" not in asks_for:
        raise Invalid(_l("This task does not ask for links."), field="links")
    if uploads and not ({"photo", "file"} & set(asks_for)):
        raise Invalid(_l("This task does not ask for photos or files."), field="files")
    if "file" not in asks_for and any(not upload.is_image for upload in uploads):
        raise Invalid(_l("This task asks for photos: \u201c%(name)s\u201d is not one.",
                         name=next(u.name for u in uploads if not u.is_image)), field="files")  # fmt: skip


def save_evidence(learner, ref: str, account: str, links_text: str, uploads: list[files.Upload], *,
                  submit: bool, event_id: str | None = None) -> TaskSubmission:  # fmt: skip
    """Keep the learner's draft for task ``ref`` (starting one if needed) with the text, links
    and checked uploads given, and with ``submit`` send it to the coach for review.

    The same file sent twice to one try is kept once; a submission posted twice (same
    ``event_id``) is one submission. Raises ``NotFound`` (not a task on the learner's path),
    ``Invalid`` (an empty submission, a bad link, an overlong account, too many files,
    evidence the task does not ask for), ``Conflict`` (accepted already, or waiting for
    review: withdraw it first). Nothing is written when one is raised.
    """
    block = task_block(learner, ref)
    if submit:
        previous = events.replayed(event_id, actor_id=learner.id, verb="attempted", object_type="item", object_id=ref)
        if previous is not None:  # the same submission sent again
            return db.session.get(TaskSubmission, previous.context["submission"])
    account = (account or "").strip()
    if len(account) > ACCOUNT_LIMIT:
        raise Invalid(_l("Use at most %(num)d characters.", num=ACCOUNT_LIMIT), field="account")
    links = _links(links_text)
    _check_asked(tuple(block.item.content.get("evidence") or ()), account, links, uploads)

    tries = tries_of(learner.id, ref)
    latest = tries[-1] if tries else None
    if latest is not None and latest.status == "accepted":
        raise Conflict(_l("Your coach has accepted your evidence for this task already."))
    if latest is not None and latest.status == "submitted":
        raise Conflict(_l("Your evidence is with your coach. Withdraw it first if you want to change it."))
    draft = latest if latest is not None and latest.status == "draft" else None
    kept = files.attached(EVIDENCE, [draft.id])[draft.id] if draft is not None else []
    known = {f.sha256 for f in kept}
    new_uploads, seen = [], set(known)
    for upload in uploads:
        digest = _digest(upload)
        if digest not in seen:
            seen.add(digest)
            new_uploads.append(upload)
    if len(kept) + len(new_uploads) > FILES_PER_TRY:
        raise Invalid(_l("Add at most %(num)d photos and files to one try.", num=FILES_PER_TRY), field="files")
    if not (account or links or kept or new_uploads):
        if submit:
            raise Invalid(_l("There is nothing to send yet: add a written account, a photo, a file or a link."))
        if draft is None:
            raise Invalid(_l("There is nothing to save yet: add a written account, a photo, a file or a link."))

    if draft is None:
        draft = TaskSubmission(
            organisation_id=learner.organisation_id, learner_id=learner.id, journey_id=block.journey.id,
            item_id=block.item.id, item_ref=ref, item_title=block.item.title,
            rubric=list(block.item.content.get("rubric") or []), competencies=[c.code for c in block.item.assesses],
            number=(latest.number + 1) if latest is not None else 1, status="draft",
        )  # fmt: skip
        db.session.add(draft)
        db.session.flush()
    draft.account, draft.links, draft.updated_at = account, links, utcnow()
    for upload in new_uploads:
        files.store(learner, EVIDENCE, draft.id, upload)
    if submit:
        _submit(learner, block, draft, event_id)
    db.session.flush()
    return draft


def _digest(upload: files.Upload) -> str:
    return hashlib.sha256(upload.data).hexdigest()


def _submit(learner, block, draft: TaskSubmission, event_id: str | None) -> None:
    draft.status, draft.submitted_at = "submitted", utcnow()
    events.record(actor_id=learner.id, verb="attempted", object_type="item", object_id=draft.item_ref,
                  result={"completion": False, "extensions": {"try": draft.number}},
                  context={"journey": block.journey.id, "version": block.item.version_id, "submission": draft.id},
                  event_id=event_id)  # fmt: skip
    coach = coach_of(learner.id)
    if coach is not None:
        mail_after_commit(coach, "task_submitted", learner=learner.display_name, item=draft.item_title,
                          number=draft.number, link=external_url("workplace.review_page", submission_id=draft.id))  # fmt: skip


def withdraw(learner, ref: str) -> TaskSubmission:
    """Take back a submission the coach has not reviewed yet; it becomes the learner's draft
    again. Raises ``NotFound`` (no such task on the path) and ``Conflict`` (nothing waiting
    for review: reviewed already, or withdrawn already)."""
    block = task_block(learner, ref)
    tries = tries_of(learner.id, ref)
    latest = tries[-1] if tries else None
    if latest is None or latest.status != "submitted":
        if latest is not None and latest.review is not None:
            raise Conflict(_l("Your coach has reviewed this already, so it cannot be withdrawn."))
        raise Conflict(_l("There is no submission waiting for review to withdraw."))
    latest.status, latest.submitted_at, latest.updated_at = "draft", None, utcnow()
    events.record(actor_id=learner.id, verb="retracted", object_type="item", object_id=ref,
                  context={"journey": block.journey.id, "submission": latest.id})  # fmt: skip
    db.session.flush()
    return latest


def remove_file(learner, ref: str, file_id: int) -> None:
    """Take a photo or file out of the learner's draft of task ``ref``. Raises ``NotFound``
    (not a file of their draft) and ``Conflict`` (the try is with the coach or reviewed)."""
    task_block(learner, ref)
    stored = db.session.get(StoredFile, file_id)
    submission = db.session.get(TaskSubmission, stored.attached_id) if stored and stored.kind == EVIDENCE else None
    if submission is None or submission.learner_id != learner.id or submission.item_ref != ref:
        raise NotFound(_l("This file is not part of your evidence."))
    if submission.status != "draft":
        raise Conflict(_l("Only files of a draft can be removed; withdraw the submission first."))
    files.remove(stored)
    db.session.flush()


@prepared
def _task_tries():
    return (
        select(TaskSubmission.item_ref, TaskSubmission.status)
        .where(TaskSubmission.learner_id == bindparam("learner_id"))
        .order_by(TaskSubmission.item_ref, TaskSubmission.number)
    )


def task_states(learner_id: int) -> dict[str, str]:
    """Item ref -> the state of the learner's latest try at each task they have started:
    ``draft``, ``submitted``, ``needs_another_try`` or ``accepted`` (one query)."""
    rows = db.session.execute(_task_tries(), {"learner_id": learner_id}).all()
    return {ref: status for ref, status in rows}  # the latest try of each task wins


# --- the coach's side --------------------------------------------------------------------


def submission_for_reviewer(trainer, submission_id: int) -> TaskSubmission:
    """A try the trainer may see and review. Raises ``NotFound`` (none such, another
    organisation's, or withdrawn to a draft) and ``NotAllowed`` (not the learner's coach)."""
    submission = get_in_organisation(TaskSubmission, submission_id, trainer.organisation_id,
                                     _l("This evidence does not exist or is not yours to see."))  # fmt: skip
    if not _is_coach(trainer, submission.learner_id):
        raise NotAllowed(_l("Only %(learner)s\u2019s coach can see and review this evidence.",
                            learner=submission.learner.display_name))  # fmt: skip
    if submission.status == "draft":
        raise NotFound(_l("%(learner)s has withdrawn this evidence to change it; it comes back when they send it again.",
                          learner=submission.learner.display_name))  # fmt: skip
    return submission


def reviews_waiting_query(trainer):
    """Submitted tries of the trainer's learners (those they coach now, by ``coach_of``'s rule)
    waiting for review, the oldest first. A statement, so the desk reads a page of them and counts
    the rest (none for someone who is not a trainer, as ``_is_coach``)."""
    coached = coached_learner_ids(trainer)
    statement = (
        select(TaskSubmission)
        .where(TaskSubmission.organisation_id == trainer.organisation_id, TaskSubmission.status == "submitted",
               TaskSubmission.learner_id.in_(select(coached.c[0])))
        .options(selectinload(TaskSubmission.learner))
        .order_by(TaskSubmission.submitted_at, TaskSubmission.id)
    )  # fmt: skip
    return statement if trainer.has_role("trainer") else statement.where(false())


def reviews_waiting_after(trainer, after: tuple[datetime, int] | None, limit: int) -> list[TaskSubmission]:
    """``reviews_waiting_query``'s tries after the one whose (sent, id) is ``after``, ``limit`` of
    them and the first of the next if any, with their reviews: an API's cursor, read in SQL."""
    statement = reviews_waiting_query(trainer).options(selectinload(TaskSubmission.review))
    if after is not None:
        statement = statement.where(beyond((TaskSubmission.submitted_at, TaskSubmission.id), after))
    return list(db.session.execute(statement.limit(limit + 1)).scalars())


def _assessed_competencies(submission: TaskSubmission) -> list[str]:
    return sorted(set(submission.competencies or ()))


def review(trainer, submission_id: int, outcome: str, ratings: list[int | None], comment: str,
           event_id: str | None = None) -> TaskReview:  # fmt: skip
    """Review a submitted try against its rubric: a rating (1-4) per criterion, in rubric
    order, and a comment. ``accepted`` records ``passed`` and ``mastered`` for each competency
    the task assesses; ``needs_another_try`` records ``failed`` with those competencies, and
    the path re-plans either way. The learner is told by e-mail and in their inbox.

    A review posted twice (same ``event_id``) is one review. Raises ``NotFound``,
    ``NotAllowed`` (not the learner's coach), ``Invalid`` (an unknown outcome, a rating
    missing or out of range, no comment with another try, an overlong comment) and
    ``Conflict`` (reviewed already, or withdrawn meanwhile). Nothing is written then.
    """
    submission = submission_for_reviewer(trainer, submission_id)
    ref = submission.item_ref
    previous = events.replayed(event_id, actor_id=submission.learner_id, verb=events.CHECK_VERBS,
                               object_type="item", object_id=ref)  # fmt: skip
    if previous is not None and submission.review is not None:
        return submission.review
    if submission.status != "submitted":
        raise Conflict(_l("This try has been reviewed already.") if submission.review is not None
                       else _l("The learner has withdrawn this try to change it."))  # fmt: skip
    if outcome not in ("accepted", "needs_another_try"):
        raise Invalid(_l("Choose whether the evidence is accepted or needs another try."), field="outcome")
    rubric = submission.rubric or []
    if len(ratings) != len(rubric) or any(r not in RATINGS for r in ratings):
        raise Invalid(_l("Rate every criterion of the rubric."), field="ratings")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_LIMIT:
        raise Invalid(_l("Use at most %(num)d characters.", num=COMMENT_LIMIT), field="comment")
    if outcome == "needs_another_try" and not comment:
        raise Invalid(_l("Say what to do differently in the next try."), field="comment")

    learner = submission.learner
    accepted = outcome == "accepted"
    rated = [{"criterion": c["criterion"], "rating": r} for c, r in zip(rubric, ratings, strict=True)]
    verdict = TaskReview(submission=submission, reviewer_id=trainer.id, outcome=outcome, ratings=rated, comment=comment)
    db.session.add(verdict)
    submission.status = outcome
    competencies = _assessed_competencies(submission)
    recorded = events.record(
        actor_id=learner.id, verb="passed" if accepted else "failed", object_type="item", object_id=ref,
        result={"success": accepted, "completion": True, "response": comment or None,
                "extensions": {"ratings": rated, "failed_competencies": [] if accepted else competencies}},
        context={"journey": submission.journey_id, "submission": submission.id, "reviewer": trainer.id},
        event_id=event_id,
    )  # fmt: skip
    if accepted:
        for competency in competencies:
            events.record(actor_id=learner.id, verb="mastered", object_type="competency", object_id=competency,
                          context={"check": ref, "reviewer": trainer.id}, occurred_at=recorded.occurred_at,
                          event_id=uuid.uuid5(recorded.id, competency))  # fmt: skip
    journey = paths.open_journey(learner)
    if journey is not None:
        paths.refresh_plan(journey, f"the review of {ref}")
    db.session.flush()
    _tell_learner(learner, trainer, submission, verdict)
    db.session.flush()
    return verdict


def _tell_learner(learner, trainer, submission: TaskSubmission, verdict: TaskReview) -> None:
    accepted = verdict.outcome == "accepted"
    link = path_for("learning.block", ref=submission.item_ref) + "#evidence"
    mail_after_commit(learner, "task_reviewed", coach=trainer.display_name, item=submission.item_title,
                      accepted=accepted, comment=verdict.comment,
                      link=external_url("learning.block", ref=submission.item_ref) + "#evidence")  # fmt: skip
    with force_locale(learner.locale or current_app.config["DEFAULT_LOCALE"]):
        subject = (_l("%(coach)s accepted your evidence for \u201c%(item)s\u201d", coach=trainer.display_name,
                      item=submission.item_title) if accepted
                   else _l("%(coach)s asks for another try at \u201c%(item)s\u201d", coach=trainer.display_name,
                           item=submission.item_title))  # fmt: skip
        in_app.post(in_app.InAppNote(
            user_id=learner.id, category="reply", key=f"task-review:{verdict.id}", subject=str(subject),
            body=verdict.comment, link=link,
            why=str(_l("You sent evidence for \u201c%(item)s\u201d.", item=submission.item_title)),
        ))  # fmt: skip


def history_of(submission: TaskSubmission) -> tuple[list[TaskSubmission], dict[int, list[StoredFile]]]:
    """Every try of the same learner at the same task, oldest first, and their files."""
    tries = [t for t in tries_of(submission.learner_id, submission.item_ref) if t.status != "draft"]
    return tries, files.attached(EVIDENCE, [t.id for t in tries])
