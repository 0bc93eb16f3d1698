"""A learner playing a package: attempts, the play token, commits, and the events they become.

- ``launch`` finds the learner's open attempt at an item or starts one (``launched`` event).
  An attempt stays open until a session ends without suspending; the next launch then starts a
  new attempt, as SCORM's ``exit`` asks.
- The frame that plays the unit is sandboxed (an opaque origin, no cookies), so its files are
  reached with a signed ``play token`` naming the attempt, never with the session.
- ``record_commit`` keeps the unit's CMI snapshot. Commits are ordered by ``seq``; one at or below the
  stored ``seq`` is a replay (or overtaken) and changes nothing, so a phone may resend a commit
  until it is acknowledged. Completion, success, score and time become ``completed``,
  ``passed``/``failed`` and ``mastered`` events through ``lxp.events``, each once per attempt
  (ids derived from the attempt), and the path is replanned: a failed unit names the
  competencies it assesses, which adds remediation like a failed quiz.
"""

from __future__ import annotations

import json
import uuid

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lxp import events
from lxp.accounts.models import User
from lxp.core.errors import Invalid, NotFound
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.packages import cmi, sequencing, services
from lxp.packages.models import PackageAttempt
from lxp.paths import services as paths
from lxp.paths.access import Block, open_block

TOKEN_MAX_AGE = 24 * 3600  # a unit left open on a phone for a day still commits


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lxp.packages.play")


def open_package_block(learner, ref: str) -> Block:
    """The item ``ref`` on the learner's path when it plays a package. Raises ``NotFound``."""
    block = open_block(learner, ref)
    if not block.kind.plays_package:
        raise NotFound(_l("This step is not a package."))
    return block


def current_attempt(learner_id: int, ref: str) -> PackageAttempt | None:
    return db.session.execute(
        select(PackageAttempt).where(PackageAttempt.learner_id == learner_id, PackageAttempt.item_ref == ref)
        .order_by(PackageAttempt.number.desc()).limit(1)
    ).scalar_one_or_none()  # fmt: skip


def launch(learner, ref: str) -> PackageAttempt:
    """The attempt the learner plays ``ref`` in: the open one, or a new one (recorded as
    ``launched``). Raises ``NotFound`` (not on the path, not a package, package not stored)."""
    block = open_package_block(learner, ref)
    package = services.package_of(block.item.version.course.organisation_id, block.item.content)
    attempt = current_attempt(learner.id, ref)
    if attempt is not None and not attempt.ended and attempt.package_sha256 == package.sha256:
        # Coming back to a suspended attempt, once per session (a reload, or the next SCO of a
        # sequenced package, is no news).
        if attempt.sessions and (attempt.cmi or {}).get("suspended", True):
            _once(learner, block, attempt, "resumed", f"resumed-{attempt.sessions}")
        return attempt
    attempt = PackageAttempt(learner_id=learner.id, item_ref=ref, number=(attempt.number + 1) if attempt else 1,
                             package_sha256=package.sha256, standard=package.standard, cmi={}, seq=0,
                             public_id=uuid.uuid4(), started_at=utcnow(), updated_at=utcnow())  # fmt: skip
    try:
        with db.session.begin_nested():  # two tabs launching at once: the second takes the first's attempt
            db.session.add(attempt)
    except IntegrityError:
        return current_attempt(learner.id, ref)
    _once(learner, block, attempt, "launched", "launched")
    return attempt


def _once(learner, block: Block, attempt: PackageAttempt, verb: str, name: str, result: dict | None = None) -> bool:
    """Record ``verb`` on the item once per attempt and ``name`` (the id derives from both).
    True when it was recorded now, False when it had been."""
    event_id = uuid.uuid5(attempt.public_id, name)
    if db.session.get(events.LearningEvent, event_id) is not None:
        return False
    events.record(actor_id=learner.id, verb=verb, object_type="item", object_id=block.ref, result=result,
                  context={"journey": block.journey.id, "version": block.item.version_id,
                           "attempt": str(attempt.public_id)},
                  event_id=event_id)  # fmt: skip
    return True


def play_token(attempt: PackageAttempt, sco: str | None = None) -> str:
    """The signed name of the attempt (and, in a sequenced package, of the SCO it plays)."""
    data = {"a": str(attempt.public_id), "p": attempt.package_sha256}
    return _serializer().dumps(data | {"s": sco} if sco else data)


def sco_of_token(token: str) -> str | None:
    """The SCO a (checked) play token names, or None."""
    try:
        return _serializer().loads(token, max_age=None).get("s")
    except (BadSignature, AttributeError):
        return None


def is_sequenced(content: dict) -> bool:
    return bool(content.get("scos"))


def tree(content: dict) -> sequencing.Tree:
    return sequencing.tree_of(content["scos"], content.get("sequencing") or {})


def navigate(learner, ref: str, request: str | None) -> tuple[PackageAttempt, sequencing.Outcome]:
    """Launch a sequenced package's item and carry out the navigation ``request`` (None: start,
    or resume where the learner was). The SCO to deliver becomes the attempt's current one; an
    ``end`` closes the attempt. Raises ``Invalid`` for a request the package's controls refuse
    (nothing changes) and what ``launch`` raises."""
    block = open_package_block(learner, ref)
    attempt = launch(learner, ref)
    current = (attempt.cmi or {}).get("current")
    outcome = sequencing.navigate(tree(block.item.content), current, request or ("resume" if current else "start"))
    if outcome.action == "invalid":
        raise Invalid(_l("This package does not allow that step from here."), field="nav")
    if outcome.action == "deliver":
        attempt.cmi = {**(attempt.cmi or {}), "current": outcome.target}
    elif outcome.action == "end":
        attempt.ended = True
    db.session.flush()
    return attempt, outcome


def _progress(content: dict, attempt: PackageAttempt, standard: str) -> dict[str, sequencing.Progress]:
    readings = {}
    for sco in content["scos"]:
        snapshot = (attempt.cmi.get("scos") or {}).get(sco["identifier"])
        if snapshot:
            reading = cmi.read(standard, snapshot, sco.get("pass_mark"))
            readings[sco["identifier"]] = reading
    return readings


def attempt_for_token(token: str, max_age: int | None = TOKEN_MAX_AGE, lock: bool = False) -> PackageAttempt:
    """The attempt a play token names (locked for update with ``lock``). Raises ``NotFound`` for
    a token that is forged, older than ``max_age`` seconds (None: any age) or names no attempt."""
    try:
        data = _serializer().loads(token, max_age=max_age)
        public_id = uuid.UUID(str(data["a"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        raise NotFound(_l("This package link has expired. Open the step again.")) from None
    query = select(PackageAttempt).where(PackageAttempt.public_id == public_id)
    attempt = db.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if attempt is None or attempt.package_sha256 != data.get("p"):
        raise NotFound(_l("This package link has expired. Open the step again."))
    return attempt


def session_start(attempt: PackageAttempt, sco: str | None = None) -> dict:
    """What the runtime in the frame starts a session with: the standard, the stored snapshot
    to resume from (without the last session's own fields), ``entry``, the learner, the total
    time so far and the last ``seq``; for a SCO of a sequenced package, that SCO's own data,
    its pass mark and ``nav``: the ``adl.nav.request_valid`` values from where it stands."""
    learner = db.session.get(User, attempt.learner_id)
    stored, total, extra = attempt.cmi, attempt.total_seconds, {}
    content = open_package_block(learner, attempt.item_ref).item.content if sco is not None else {}
    if is_sequenced(content):
        stored = (attempt.cmi.get("scos") or {}).get(sco) or {}
        total = int((attempt.cmi.get("seconds") or {}).get(sco) or 0)
        extra = {"sco": sco, "nav": sequencing.valid_requests(tree(content), sco),
                 "pass_mark": next((s.get("pass_mark") for s in content["scos"] if s["identifier"] == sco), None)}  # fmt: skip
    snapshot, entry = cmi.resume_state(attempt.standard, stored, total)
    return {
        "standard": attempt.standard, "seq": attempt.seq, "snapshot": snapshot, "entry": entry,
        "learner_id": str(learner.id), "learner_name": learner.display_name,
        "total_time": cmi.format_total(attempt.standard, total),
    } | extra  # fmt: skip


def _duration(seconds: int) -> str:
    return f"PT{max(seconds, 0)}S"


def record_commit(
    learner, ref: str, token: str, seq, snapshot, terminated: bool = False, seconds=None
) -> PackageAttempt:
    """Keep a commit of the unit the learner plays at ``ref`` (see the module). Raises
    ``NotFound`` (not the learner's attempt at that step), ``Invalid`` (a malformed commit)."""
    block = open_package_block(learner, ref)
    # The learner's session is the credential here; the token only names the attempt, so a
    # commit kept on a phone for longer than a play token lives still counts. Locked: two
    # commits at once are ordered by ``seq``, not by which write lands last.
    attempt = attempt_for_token(token, max_age=None, lock=True)
    if attempt.learner_id != learner.id or attempt.item_ref != ref:
        raise NotFound(_l("This package link has expired. Open the step again."))
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 < seq < 2**62:
        raise Invalid(_l("A commit needs a positive sequence number."), field="seq")
    if not isinstance(snapshot, dict) or len(json.dumps(snapshot)) > cmi.SNAPSHOT_LIMIT:
        raise Invalid(_l("The package sent run-time data lxp cannot keep."), field="cmi")
    if seq <= attempt.seq:
        return attempt  # sent again, or overtaken by a later commit: nothing changes
    if is_sequenced(block.item.content):
        reading = _keep_sco(block.item.content, attempt, sco_of_token(token), snapshot, terminated)
    else:
        reading = cmi.read(attempt.standard, snapshot, block.item.content.get("pass_mark"))
        attempt.cmi = snapshot
    attempt.seq, attempt.updated_at = seq, utcnow()
    attempt.completed = attempt.completed or reading.completed
    attempt.success = reading.success if reading.success is not None else attempt.success
    attempt.score = reading.score if reading.score is not None else attempt.score
    attempt.location = reading.location[:1000]
    if terminated:
        measured = reading.session_seconds
        if measured is None and isinstance(seconds, int) and not isinstance(seconds, bool):
            measured = min(max(seconds, 0), 12 * 3600)
        attempt.total_seconds += measured or 0
        attempt.sessions += 1
        # A sequenced package's attempt ends by navigation (``navigate``), not with one SCO.
        attempt.ended = reading.exit != "suspend" and not is_sequenced(block.item.content)
        if reading.exit == "suspend":  # where the learner left the unit: the journey map's drop-off
            _once(
                learner,
                block,
                attempt,
                "suspended",
                f"suspended-{attempt.sessions}",
                {"duration": _duration(measured or 0), "extensions": {"location": reading.location[:200]}},
            )
    # Time so far: the sessions ended before, and this one as far as the unit has reported it.
    elapsed = attempt.total_seconds + (0 if terminated else (reading.session_seconds or 0))
    if record_result(learner, block, attempt, reading, elapsed):
        paths.refresh_plan(block.journey, f"the package unit {ref}")
    db.session.flush()
    return attempt


def _keep_sco(content: dict, attempt: PackageAttempt, sco: str | None, snapshot: dict, terminated: bool) -> cmi.Reading:
    """Keep ``snapshot`` as the SCO's own data in the attempt and read the package as a whole:
    completion and success rolled up over the SCOs, the mean score of those that report one,
    this SCO's session time, exit and location."""
    if sco not in {s["identifier"] for s in content["scos"]}:
        raise NotFound(_l("This package link has expired. Open the step again."))
    state = dict(attempt.cmi or {})
    state["scos"] = {**(state.get("scos") or {}), sco: snapshot}
    own = cmi.read(
        attempt.standard, snapshot, next(s.get("pass_mark") for s in content["scos"] if s["identifier"] == sco)
    )
    if terminated:
        state["suspended"] = own.exit == "suspend"
    if terminated and own.session_seconds:
        seconds = dict(state.get("seconds") or {})
        seconds[sco] = int(seconds.get(sco) or 0) + own.session_seconds
        state["seconds"] = seconds
    attempt.cmi = state
    readings = _progress(content, attempt, attempt.standard)
    whole = sequencing.rollup(
        tree(content), {k: sequencing.Progress(r.completed, r.success) for k, r in readings.items()}
    )
    scores = [r.score for r in readings.values() if r.score is not None]
    return cmi.Reading(whole.completed, whole.success, sum(scores) / len(scores) if scores else None, own.raw,
                       own.session_seconds, own.exit, f"{sco}: {own.location}" if own.location else sco)  # fmt: skip


def record_result(learner, block: Block, attempt: PackageAttempt, reading: cmi.Reading, elapsed: int) -> bool:
    """Record what ``reading`` newly says about the attempt (``elapsed`` seconds so far), once per
    attempt and verb, with ``mastered`` on a pass. True when something was recorded."""
    if reading.success is not None:
        verb = "passed" if reading.success else "failed"
    elif reading.completed:
        verb = "completed"
    else:
        return False
    event_id = uuid.uuid5(attempt.public_id, verb)
    if db.session.get(events.LearningEvent, event_id) is not None:
        return False
    assessed = [c.code for c in block.item.assesses]
    result = {"completion": reading.completed or verb != "completed", "duration": _duration(elapsed)}
    if reading.success is not None:
        result["success"] = reading.success
        result["extensions"] = {"failed_competencies": [] if reading.success else assessed}
    if attempt.score is not None:
        result["score"] = {
            "scaled": round(attempt.score, 4),
            "raw": round(attempt.score * 100, 2),
            "min": 0,
            "max": 100,
        }
    recorded = events.record(actor_id=learner.id, verb=verb, object_type="item", object_id=block.ref, result=result,
                             context={"journey": block.journey.id, "version": block.item.version_id,
                                      "attempt": str(attempt.public_id)},
                             event_id=event_id)  # fmt: skip
    if verb == "passed":
        for code in assessed:
            events.record(actor_id=learner.id, verb="mastered", object_type="competency", object_id=code,
                          context={"check": block.ref}, occurred_at=recorded.occurred_at,
                          event_id=uuid.uuid5(recorded.id, code))  # fmt: skip
    return True
