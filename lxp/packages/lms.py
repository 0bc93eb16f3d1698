"""The statements lxp sends as a cmi5 AU's LMS: ``satisfied`` when an AU's ``moveOn`` is met, for
each block around it once all its AUs are, and for the course once every AU of its package is;
``abandoned`` when a session ends without ``terminated``; and ``waived`` when an admin excuses a
learner from an AU (cmi5 9.3.6-9.3.9). An admin can take a waiver back (``unwaive``).

They are lxp events like any other (``lxp.events``), so forwarding to an LRS, the learner's data
download and the journey map see them. Ids derive from the learner, the item and the session, so
a second evaluation records nothing new. The course is the AUs of one package in one course
version; its blocks come from ``cmi5.xml`` (kept in each item's content). As 9.3.9 asks, the
objects of a block's and a course's ``satisfied`` are ids lxp generates (``cmi5_block`` and
``cmi5_course`` activities, never the publisher's ids); the publisher's ids go into the
``grouping``, with the registration and the session that triggered it (a waiver's own session
otherwise) in the ``cmi5`` context that ``lxp.lrs.statements`` shapes.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lxp import events
from lxp.accounts.models import User
from lxp.audit import services as audit
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
    """The LMS's id of the cmi5 course an AU belongs to: its course and package
    (``"<course id>:<sha256 head>"``)."""
    return f"{block.item.version.course_id}:{block.item.content['package'][:32]}"


def block_key(block: Block, block_id: str) -> str:
    """The LMS's id of the block ``block_id`` (the publisher's) of the AU's course: a UUID derived
    from both, so it never matches the publisher's id (cmi5 9.3.9)."""
    return str(uuid.uuid5(NAMESPACE, f"{course_key(block)}:{block_id}"))


def _context(block: Block, attempt: PackageAttempt | None = None) -> dict:
    context = {"journey": block.journey.id, "version": block.item.version_id}
    if attempt is not None:
        context["attempt"] = str(attempt.public_id)
    return context


def _cmi5(block: Block, attempt: PackageAttempt | None, session: str | None, grouping: list[str]) -> dict:
    """The cmi5 part of an LMS statement's context: registration, session, the publisher's ids."""
    registration = str(attempt.public_id) if attempt is not None else None
    return {"registration": registration, "session": session, "grouping": [g for g in grouping if g]}


def _waived(learner_id: int, ref: str) -> events.LearningEvent | None:
    """The learner's waiver of the AU ``ref`` while it stands (not voided)."""
    found = db.session.scalars(
        select(events.LearningEvent).where(
            events.LearningEvent.actor_id == learner_id, events.LearningEvent.verb == "waived",
            events.LearningEvent.object_type == "item", events.LearningEvent.object_id == ref)
        .order_by(events.LearningEvent.recorded_at.desc())
    ).first()  # fmt: skip
    return None if found is None or _voided(found.id) else found


def _voided(event_id: uuid.UUID) -> bool:
    return db.session.execute(
        select(events.LearningEvent.id).where(events.LearningEvent.verb == "voided",
                                              events.LearningEvent.object_type == "event",
                                              events.LearningEvent.object_id == str(event_id))
    ).first() is not None  # fmt: skip


def _lms_id(learner_id: int, key: str, verb: str, generation: int = 0) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{learner_id}:{key}:{verb}" + (f":{generation}" if generation else ""))


def _generations(learner_id: int, key: str, verb: str) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The LMS statement ``verb`` about ``key`` that stands (recorded, not voided), and the id for
    a new one: ``(standing, None)`` while one stands; ``(None, id)`` otherwise, the next
    generation's id after voided ones (a waiver taken back), so saying it again is a new
    statement."""
    for generation in range(100):
        event_id = _lms_id(learner_id, key, verb, generation)
        if db.session.get(events.LearningEvent, event_id) is None:
            return None, event_id
        if not _voided(event_id):
            return event_id, None
    return None, None


def _next_free(learner_id: int, key: str, verb: str = "satisfied") -> uuid.UUID | None:
    return _generations(learner_id, key, verb)[1]


def _move_on_met(block: Block, attempt: PackageAttempt | None) -> bool:
    """Whether the AU's own statements in ``attempt`` meet its ``moveOn`` (a waiver aside)."""
    state = (attempt.cmi or {}) if attempt is not None else {}
    completed = bool(state.get("completed") or (attempt is not None and attempt.completed))
    passed = bool(state.get("passed") or (attempt is not None and attempt.success is True))
    return cmi5.move_on_met(block.item.content.get("move_on") or "NotApplicable", completed, passed)


def satisfy(learner, block: Block, attempt: PackageAttempt | None, session: str | None = None) -> bool:
    """Record ``satisfied`` for the AU when its ``moveOn`` is met in ``attempt`` (or it was
    waived), then for each block around it and for its course once all their AUs are. ``session``
    is the session that triggered it (the attempt's current one when not given). True when the
    AU's statement was recorded now."""
    state = (attempt.cmi or {}) if attempt is not None else {}
    move_on = block.item.content.get("move_on") or "NotApplicable"
    if not (_move_on_met(block, attempt) or _waived(learner.id, block.ref)):
        return False
    event_id = _next_free(learner.id, block.ref)
    if event_id is None:
        return False
    session = session or state.get("session")
    content = block.item.content
    events.record(actor_id=learner.id, verb="satisfied", object_type="item", object_id=block.ref,
                  context=_context(block, attempt) | {"move_on": move_on, "cmi5": _cmi5(
                      block, attempt, session, [content["unit"]]) | {"object": content["unit"]}},
                  event_id=event_id)  # fmt: skip
    _satisfy_structure(learner, block, attempt, session)
    return True


def _satisfy_structure(learner, block: Block, attempt: PackageAttempt | None, session: str | None) -> None:
    """``satisfied`` for each block around the AU (innermost first) and for the course, once
    every AU in it is satisfied."""
    package = block.item.content["package"]
    course_id = block.item.version.course_id
    units = {f"{course_id}:{i.key}": i.content for i in block.item.version.items
             if i.kind == block.item.kind and (i.content or {}).get("package") == package}  # fmt: skip
    done = {ref for ref in units if not _next_free(learner.id, ref)}
    publisher_course = block.item.content.get("course")
    for held in reversed(block.item.content.get("blocks") or []):
        members = {
            ref for ref, content in units.items() if held["id"] in {b["id"] for b in content.get("blocks") or []}
        }
        if members <= done:
            key = block_key(block, held["id"])
            event_id = _next_free(learner.id, key)
            if event_id is not None:
                events.record(actor_id=learner.id, verb="satisfied", object_type="cmi5_block", object_id=key,
                              context=_context(block) | {"cmi5": _cmi5(block, attempt, session,
                                                                       [held["id"], publisher_course])},
                              event_id=event_id)  # fmt: skip
    if set(units) <= done:
        key = course_key(block)
        event_id = _next_free(learner.id, key)
        if event_id is not None:
            events.record(actor_id=learner.id, verb="satisfied", object_type="cmi5_course", object_id=key,
                          context=_context(block) | {"cmi5": _cmi5(block, attempt, session, [publisher_course])},
                          event_id=event_id)  # fmt: skip


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
                  result={"duration": f"PT{seconds}S"}, context=_context(block, attempt) | {"session": session, "cmi5": _cmi5(
                      block, attempt, session, [block.item.content["unit"]]) | {"object": block.item.content["unit"]}},
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


def _learner(admin, email: str) -> User:
    learner = db.session.execute(
        select(User).where(User.email == (email or "").strip().lower(), User.organisation_id == admin.organisation_id)
    ).scalar_one_or_none()  # fmt: skip
    if learner is None:
        raise NotFound(_l("No learner signs in with this e-mail address here."), field="learner")
    return learner


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_LIMIT:
        raise Invalid(_l("Say why in at most %(n)d characters.", n=REASON_LIMIT), field="reason")
    return reason


def _cmi5_block(learner, ref: str) -> Block:
    try:
        block = runtime.open_package_block(learner, ref)
    except NotFound:
        raise NotFound(_l("This unit is not on the learner's path."), field="unit") from None
    if block.item.content.get("standard") != "cmi5":
        raise Invalid(_l("Only cmi5 units can be waived."), field="unit")
    return block


def waive(admin, email: str, ref: str, reason: str) -> events.LearningEvent:
    """Excuse the learner signing in with ``email`` from the cmi5 AU ``ref`` on their path, with
    ``reason``: ``waived`` (success and completion, cmi5 9.3.7, in a session of its own), then
    ``satisfied`` for the AU and maybe its blocks and course, the path replanned and the audit
    trail told. Raises ``NotFound`` (no such learner in the admin's organisation, an AU not on
    their path) and ``Invalid`` (no reason, not a cmi5 AU, waived already)."""
    learner = _learner(admin, email)
    reason = _reason(reason)
    block = _cmi5_block(learner, ref)
    event_id = _next_free(learner.id, ref, "waived")
    if event_id is None:
        raise Invalid(_l("This unit is already waived for the learner."), field="unit")
    attempt = runtime.current_attempt(learner.id, ref)
    session = str(uuid.uuid5(NAMESPACE, f"session:{event_id}"))  # 9.6.1: outside a launch, a session of its own
    unit = block.item.content["unit"]
    waived = events.record(actor_id=learner.id, verb="waived", object_type="item", object_id=ref,
                           result={"success": True, "completion": True, "extensions": {"reason": reason}},
                           context=_context(block) | {"waived_by": admin.id, "cmi5": _cmi5(
                               block, attempt, session, [unit]) | {"object": unit, "moveon": True}},
                           event_id=event_id)  # fmt: skip
    satisfy(learner, block, attempt, session)
    paths.refresh_plan(block.journey, f"the waived unit {ref}")
    audit.record("package_unit_waived", organisation_id=admin.organisation_id, actor_id=admin.id,
                 subject_type="user", subject_id=learner.id, details={"unit": ref})  # fmt: skip
    return waived


def unwaive(admin, email: str, ref: str, reason: str) -> events.LearningEvent:
    """Take back the waiver of the cmi5 AU ``ref`` for the learner signing in with ``email``,
    with ``reason``: the ``waived`` statement is voided, and so are the ``satisfied`` statements
    that stood on it (the AU's, unless its own ``moveOn`` is met, and those of the blocks and the
    course around it); the path is replanned and the audit trail told. Raises ``NotFound`` (no
    such learner, an AU not on their path) and ``Invalid`` (no reason, not waived)."""
    learner = _learner(admin, email)
    reason = _reason(reason)
    block = _cmi5_block(learner, ref)
    waiver = _waived(learner.id, ref)
    if waiver is None:
        raise Invalid(_l("This unit is not waived for the learner."), field="unit")
    voided = events.void(actor_id=learner.id, event_id=waiver.id, reason=reason)
    if not _move_on_met(block, runtime.current_attempt(learner.id, ref)):
        keys = [ref, *(block_key(block, b["id"]) for b in block.item.content.get("blocks") or []), course_key(block)]
        for key in keys:
            standing = _generations(learner.id, key, "satisfied")[0]
            if standing is not None:
                events.void(actor_id=learner.id, event_id=standing, reason=reason)
    paths.refresh_plan(block.journey, f"the waiver of {ref} taken back")
    audit.record("package_unit_unwaived", organisation_id=admin.organisation_id, actor_id=admin.id,
                 subject_type="user", subject_id=learner.id, details={"unit": ref})  # fmt: skip
    return voided
