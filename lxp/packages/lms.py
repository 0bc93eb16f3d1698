"""The statements lxp sends as a cmi5 AU's LMS: ``satisfied`` when an AU's ``moveOn`` is met (and
for the course once every AU of its package is), ``abandoned`` when a session ends without
``terminated``, and ``waived`` when an admin excuses a learner from an AU (cmi5 9.3.7-9.3.9).

They are lxp events like any other (``lxp.events``), so forwarding to an LRS, the learner's data
download and the journey map see them. Ids derive from the learner, the item and the session, so
a second evaluation records nothing new. Blocks are flattened on import (each AU is an item and
the path orders them), so the course is the block: the AUs of one package in one course version.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lxp import events
from lxp.accounts.models import User
from lxp.authoring import services as authoring
from lxp.core.errors import Invalid, NotFound
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.packages import cmi5, runtime
from lxp.packages.models import PackageAttempt
from lxp.paths import services as paths
from lxp.paths.access import Block

NAMESPACE = uuid.UUID("6f1f3c52-5b9e-4a55-9a36-0f0c6d1b8b35")  # ids of the LMS's statements
REASON_LIMIT = 500
SESSION_TIMEOUT = timedelta(hours=2)  # an AU silent this long without terminated was abandoned


def course_key(block: Block) -> str:
    """The cmi5 course an AU belongs to: its course and package (``"<course id>:<sha256 head>"``)."""
    return f"{block.item.version.course_id}:{block.item.content['package'][:32]}"


def _context(block: Block, attempt: PackageAttempt | None = None) -> dict:
    context = {"journey": block.journey.id, "version": block.item.version_id}
    if attempt is not None:
        context["attempt"] = str(attempt.public_id)
    return context


def _waived(learner_id: int, ref: str) -> bool:
    return db.session.get(events.LearningEvent, uuid.uuid5(NAMESPACE, f"{learner_id}:{ref}:waived")) is not None


def satisfy(learner, block: Block, attempt: PackageAttempt | None) -> bool:
    """Record ``satisfied`` for the AU when its ``moveOn`` is met in ``attempt`` (or it was
    waived), and for its course when every AU of the package in that version is. True when the
    AU's statement was recorded now."""
    state = (attempt.cmi or {}) if attempt is not None else {}
    completed = bool(state.get("completed") or (attempt is not None and attempt.completed))
    passed = bool(state.get("passed") or (attempt is not None and attempt.success is True))
    move_on = block.item.content.get("move_on") or "NotApplicable"
    if not (cmi5.move_on_met(move_on, completed, passed) or _waived(learner.id, block.ref)):
        return False
    event_id = uuid.uuid5(NAMESPACE, f"{learner.id}:{block.ref}:satisfied")
    if db.session.get(events.LearningEvent, event_id) is not None:
        return False
    events.record(actor_id=learner.id, verb="satisfied", object_type="item", object_id=block.ref,
                  context=_context(block, attempt) | {"move_on": move_on}, event_id=event_id)  # fmt: skip
    _satisfy_course(learner, block)
    return True


def _satisfy_course(learner, block: Block) -> None:
    package = block.item.content["package"]
    refs = [f"{block.item.version.course_id}:{i.key}" for i in block.item.version.items
            if i.kind == block.item.kind and (i.content or {}).get("package") == package]  # fmt: skip
    done = set(db.session.scalars(
        select(events.LearningEvent.object_id).where(
            events.LearningEvent.actor_id == learner.id, events.LearningEvent.verb == "satisfied",
            events.LearningEvent.object_type == "item", events.LearningEvent.object_id.in_(refs))
    ))  # fmt: skip
    if set(refs) <= done:
        key = course_key(block)
        events.record(actor_id=learner.id, verb="satisfied", object_type="package", object_id=key,
                      context=_context(block), event_id=uuid.uuid5(NAMESPACE, f"{learner.id}:{key}:satisfied"))  # fmt: skip


def _seconds_between(start: str | None, end: str | None) -> int:
    try:
        return max(int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()), 0)
    except (TypeError, ValueError):
        return 0


def abandon(learner, block: Block, attempt: PackageAttempt) -> bool:
    """Record ``abandoned`` for the attempt's current session when it was launched and never
    ``terminated`` (a new launch, or the session timed out). True when recorded now."""
    state = attempt.cmi or {}
    session = state.get("session")
    if not session or state.get("terminated") or state.get("abandoned"):
        return False
    seconds = _seconds_between(state.get("started_at"), state.get("seen_at"))
    attempt.cmi = {**state, "abandoned": True}
    events.record(actor_id=learner.id, verb="abandoned", object_type="item", object_id=block.ref,
                  result={"duration": f"PT{seconds}S"}, context=_context(block, attempt) | {"session": session},
                  event_id=uuid.uuid5(attempt.public_id, f"abandoned-{session}"))  # fmt: skip
    return True


def begin_session(learner, block: Block, attempt: PackageAttempt) -> str:
    """Start a launch of a cmi5 AU: abandon the session before it if it never terminated, start a
    new one, and record ``satisfied`` when the AU's ``moveOn`` asks nothing (NotApplicable).
    Returns the new session id."""
    abandon(learner, block, attempt)
    session = cmi5.start_session(attempt)
    attempt.updated_at = utcnow()
    attempt.cmi = {**attempt.cmi, "started_at": attempt.updated_at.isoformat(),
                   "seen_at": attempt.updated_at.isoformat(), "abandoned": False}  # fmt: skip
    satisfy(learner, block, attempt)
    return session


def seen(attempt: PackageAttempt) -> None:
    """Note that the session's AU spoke now (an abandoned session's duration ends there)."""
    attempt.updated_at = utcnow()
    attempt.cmi = {**(attempt.cmi or {}), "seen_at": attempt.updated_at.isoformat()}


def abandon_idle_sessions(now: datetime | None = None) -> int:
    """Record ``abandoned`` for each cmi5 session that has said nothing for ``SESSION_TIMEOUT``
    without terminating (the AU's window was closed, the phone went away). Sessions idle for
    longer than a week more are left alone: the next launch abandons them. Returns how many."""
    now = now or utcnow()
    idle = db.session.scalars(
        select(PackageAttempt).where(PackageAttempt.standard == "cmi5", PackageAttempt.ended.is_(False),
                                     PackageAttempt.updated_at < now - SESSION_TIMEOUT,
                                     PackageAttempt.updated_at >= now - SESSION_TIMEOUT - timedelta(days=7))
        .with_for_update(skip_locked=True)
    ).all()  # fmt: skip
    count = 0
    for attempt in idle:
        state = attempt.cmi or {}
        if not state.get("session") or state.get("terminated") or state.get("abandoned"):
            continue
        learner = db.session.get(User, attempt.learner_id)
        try:
            block = runtime.open_package_block(learner, attempt.item_ref)
        except NotFound:
            continue  # no longer on the learner's path: nothing to say about it
        count += abandon(learner, block, attempt)
    db.session.flush()
    return count


def waivable_units(course) -> list[tuple[str, str]]:
    """The cmi5 AUs of the course's published version, as ``(ref, title)``."""
    version = authoring.current_published(course)
    if version is None:
        return []
    return [(f"{course.id}:{i.key}", i.title) for i in version.items if (i.content or {}).get("standard") == "cmi5"]


def waive(admin, email: str, ref: str, reason: str) -> events.LearningEvent:
    """Excuse the learner signing in with ``email`` from the cmi5 AU ``ref`` on their path, with
    ``reason``: ``waived`` (success and completion, cmi5 9.3.8), then ``satisfied`` for the AU
    and maybe its course, and the path replanned. Raises ``NotFound`` (no such learner in the
    admin's organisation, an AU not on their path) and ``Invalid`` (no reason, not a cmi5 AU,
    waived already)."""
    learner = db.session.execute(
        select(User).where(User.email == (email or "").strip().lower(), User.organisation_id == admin.organisation_id)
    ).scalar_one_or_none()  # fmt: skip
    if learner is None:
        raise NotFound(_l("No learner signs in with this e-mail address here."), field="learner")
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_LIMIT:
        raise Invalid(_l("Say why in at most %(n)d characters.", n=REASON_LIMIT), field="reason")
    try:
        block = runtime.open_package_block(learner, ref)
    except NotFound:
        raise NotFound(_l("This unit is not on the learner's path."), field="unit") from None
    if block.item.content.get("standard") != "cmi5":
        raise Invalid(_l("Only cmi5 units can be waived."), field="unit")
    if _waived(learner.id, ref):
        raise Invalid(_l("This unit is already waived for the learner."), field="unit")
    waived = events.record(actor_id=learner.id, verb="waived", object_type="item", object_id=ref,
                           result={"success": True, "completion": True, "extensions": {"reason": reason}},
                           context=_context(block) | {"waived_by": admin.id},
                           event_id=uuid.uuid5(NAMESPACE, f"{learner.id}:{ref}:waived"))  # fmt: skip
    satisfy(learner, block, runtime.current_attempt(learner.id, ref))
    paths.refresh_plan(block.journey, f"the waived unit {ref}")
    return waived
