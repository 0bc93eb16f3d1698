"""The services behind a cmi5 AU's requests (``lrs_views``): which attempt and step a request is
for, the token fetch, the state documents, the learner's preferences and the statements,
recorded like SCORM's results.

What is kept: every statement an AU sends that passes the cmi5 rules, as it was sent
(``PackageStatement``, up to ``STATEMENT_LIMIT`` per registration), for as long as the attempt is
kept (a learner's erasure deletes both); the ``cmi5LearnerPreferences`` an AU writes, per learner,
until the learner is erased. A statement the rules refuse is not kept."""

from __future__ import annotations

import json
import re
import uuid

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from lxp import events
from lxp.accounts.models import User
from lxp.core.errors import Conflict, Invalid, NotFound
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.lrs import statements as xapi
from lxp.packages import cmi5, lms, runtime
from lxp.packages.models import LearnerPreferences, PackageAttempt, PackageStatement
from lxp.paths import services as paths
from lxp.paths.access import Block

LAUNCH_DATA = "LMS.LaunchData"
PREFERENCES = "cmi5LearnerPreferences"
LMS_VERBS = ("launched", "abandoned", "waived", "satisfied")
STATEMENT_LIMIT = 5_000  # statements kept per registration
LANGUAGES = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*(,[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*){0,19}")


def launched(token: str, lock: bool = False) -> tuple[PackageAttempt, Block]:
    """The attempt a launch token names and the step it plays, while still on the learner's
    path. Raises ``NotFound``."""
    attempt = runtime.attempt_for_token(token, max_age=None, lock=lock)
    learner = db.session.get(User, attempt.learner_id)
    block = runtime.open_package_block(learner, attempt.item_ref)
    if "session" not in (attempt.cmi or {}):
        raise cmi5.not_found()
    return attempt, block


def fetch(token: str) -> str:
    """The launch's auth token, once. Raises ``NotFound``, ``Conflict``."""
    attempt, _block = launched(token, lock=True)
    return cmi5.fetch_token(attempt)


def read_state(token: str, authorization: str | None, state_id: str, base_url: str) -> dict:
    """A state document of the launch: ``LMS.LaunchData`` or one the AU stored. Raises
    ``NotAllowed`` (token), ``NotFound``."""
    attempt, block = launched(token)
    cmi5.authorised(attempt, authorization)
    if state_id == LAUNCH_DATA:
        return cmi5.launch_data(attempt, block)
    stored = (attempt.cmi.get("state") or {}).get(state_id)
    if stored is None:
        raise NotFound(_l("No such state document."))
    return stored


def write_state(token: str, authorization: str | None, state_id: str, document) -> None:
    """Keep a state document of the AU's own. Raises ``NotAllowed`` (token, or LMS.LaunchData,
    which only the LMS writes), ``Invalid`` (too large)."""
    attempt, _block = launched(token, lock=True)
    cmi5.authorised(attempt, authorization)
    if state_id == LAUNCH_DATA:
        raise cmi5.NotAllowed(_l("Only the LMS writes LMS.LaunchData."))
    if len(json.dumps(document)) > cmi5.STATE_LIMIT:
        raise Invalid(_l("The state document is too large."))
    attempt.cmi = {**attempt.cmi, "state": {**(attempt.cmi.get("state") or {}), state_id[:200]: document}}


def _statement_id(sent) -> uuid.UUID:
    try:
        return uuid.UUID(str(sent.get("id"))) if isinstance(sent, dict) and sent.get("id") else uuid.uuid4()
    except ValueError:
        raise Invalid(_l("A statement's id is a UUID.")) from None


def statement(token: str, authorization: str | None, sent, base_url: str) -> str:
    """Check and keep one statement of the AU as it was sent; returns its id. The same statement
    again (same id, same content) is a replay and changes nothing. Raises ``NotAllowed``,
    ``NotFound``, ``Invalid`` (see ``cmi5.check_statement``; too large, too many) and ``Conflict``
    (an id the AU used for another statement)."""
    attempt, block = launched(token, lock=True)
    cmi5.authorised(attempt, authorization)
    statement_id = _statement_id(sent)
    kept = db.session.execute(
        select(PackageStatement).where(PackageStatement.attempt_id == attempt.id,
                                       PackageStatement.statement_id == statement_id)
    ).scalar_one_or_none()  # fmt: skip
    if kept is not None:
        if kept.body != {**sent, "id": str(statement_id)}:
            raise Conflict(_l("This statement id was already used for another statement."))
        return str(statement_id)
    verb = cmi5.check_statement(attempt, block, base_url, sent)
    body = {**sent, "id": str(statement_id)}
    if len(json.dumps(body)) > cmi5.STATE_LIMIT:
        raise Invalid(_l("The statement is too large."))
    count = db.session.scalar(select(func.count()).where(PackageStatement.attempt_id == attempt.id))
    if count >= STATEMENT_LIMIT:
        raise Invalid(_l("This registration holds as many statements as lxp keeps."))
    db.session.add(PackageStatement(attempt_id=attempt.id, statement_id=statement_id,
                                    verb=str(sent["verb"].get("id", ""))[:500], body=body, stored_at=utcnow()))  # fmt: skip
    reading = cmi5.apply(attempt, verb, sent)
    lms.seen(attempt)
    if reading is not None:
        learner = db.session.get(User, attempt.learner_id)
        seconds = attempt.total_seconds
        recorded = runtime.record_result(learner, block, attempt, reading, seconds)
        if lms.satisfy(learner, block, attempt) or recorded:
            paths.refresh_plan(block.journey, f"the package unit {block.ref}")
    db.session.flush()
    return str(statement_id)


def preferences(token: str, authorization: str | None, profile_id: str) -> dict:
    """The agent profile ``cmi5LearnerPreferences`` (cmi5 11.0): what an AU last wrote for the
    learner, else the learner's language in lxp and audio on. Raises ``NotAllowed`` (token),
    ``NotFound`` (another profile)."""
    attempt, _block = launched(token)
    cmi5.authorised(attempt, authorization)
    if profile_id != PREFERENCES:
        raise NotFound(_l("No such profile."))
    stored = db.session.get(LearnerPreferences, attempt.learner_id)
    if stored is not None:
        return stored.document
    learner = db.session.get(User, attempt.learner_id)
    language = learner.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    return {"languagePreference": language.replace("_", "-"), "audioPreference": "on"}


def write_preferences(token: str, authorization: str | None, profile_id: str, document, merge: bool) -> None:
    """Keep the learner's ``cmi5LearnerPreferences`` as the AU writes it (``merge``: POST merges
    into what is kept, PUT replaces it); every later launch reads it. Raises ``NotAllowed``
    (token, another profile) and ``Invalid`` (not the two preferences cmi5 defines)."""
    attempt, _block = launched(token, lock=True)
    cmi5.authorised(attempt, authorization)
    if profile_id != PREFERENCES:
        raise cmi5.NotAllowed(_l("lxp keeps only the cmi5LearnerPreferences profile."))
    if not isinstance(document, dict) or not document or set(document) - {"languagePreference", "audioPreference"}:
        raise Invalid(_l("The preferences hold languagePreference and audioPreference only."))
    language = document.get("languagePreference")
    if language is not None and not (isinstance(language, str) and LANGUAGES.fullmatch(language)):
        raise Invalid(_l("languagePreference is a comma-separated list of language codes."))
    if document.get("audioPreference", "on") not in ("on", "off"):
        raise Invalid(_l("audioPreference is on or off."))
    stored = db.session.get(LearnerPreferences, attempt.learner_id)
    if stored is None:
        db.session.add(LearnerPreferences(learner_id=attempt.learner_id, document=document, updated_at=utcnow()))
    else:
        stored.document = {**stored.document, **document} if merge else document
        stored.updated_at = utcnow()
    db.session.flush()


def _au_statement(kept: PackageStatement) -> dict:
    stored = xapi.timestamp(kept.stored_at)
    return {**kept.body, "stored": stored, "timestamp": kept.body.get("timestamp") or stored}


def _lms_statements(attempt: PackageAttempt, block: Block, base_url: str) -> list[dict]:
    """The LMS's statements about the registration: launched, abandoned, waived and satisfied
    about the AU, and satisfied about its blocks and course when this registration triggered it."""
    rows = db.session.scalars(
        select(events.LearningEvent).where(
            events.LearningEvent.actor_id == attempt.learner_id,
            or_(and_(events.LearningEvent.object_type == "item", events.LearningEvent.object_id == block.ref,
                     events.LearningEvent.verb.in_(LMS_VERBS)),
                events.LearningEvent.object_type.in_(("cmi5_block", "cmi5_course"))))
    ).all()  # fmt: skip
    voided = set(db.session.scalars(
        select(events.LearningEvent.object_id).where(events.LearningEvent.actor_id == attempt.learner_id,
                                                     events.LearningEvent.verb == "voided")
    ))  # fmt: skip
    registration = str(attempt.public_id)
    found = []
    for event in rows:
        context = event.context or {}
        ours = context.get("attempt") == registration or (context.get("cmi5") or {}).get("registration") == registration
        if not ours or str(event.id) in voided:
            continue
        shaped = xapi.statement(event_id=event.id, actor_id=event.actor_id, verb=event.verb,
                                object_type=event.object_type, object_id=event.object_id, result=event.result,
                                context=context, occurred_at=event.occurred_at, recorded_at=event.recorded_at,
                                base_url=base_url)  # fmt: skip
        if "cmi5" not in context:  # recorded before lxp kept the cmi5 context with the event
            shaped["object"] = {"objectType": "Activity", "id": block.item.content["unit"]}
            shaped["context"] = {"registration": registration,
                                 "contextActivities": {"category": [{"id": cmi5.CMI5_CATEGORY}]}}  # fmt: skip
        found.append(shaped)
    return found


def registration_statements(token: str, authorization: str | None, base_url: str, statement_id: str | None = None,
                            verb: str | None = None) -> dict | list[dict]:  # fmt: skip
    """The launch's registration as xAPI statements, oldest first by ``stored``: every statement
    the AU sent in it, as it sent it, and the LMS's own (see ``_lms_statements``; lxp's events
    derived from the AU's statements are not repeated). One statement for ``statement_id``; only
    those with the verb IRI ``verb``. Raises ``NotAllowed`` (token), ``NotFound`` (no such
    statement)."""
    attempt, block = launched(token)
    cmi5.authorised(attempt, authorization)
    sent = db.session.scalars(select(PackageStatement).where(PackageStatement.attempt_id == attempt.id)).all()
    found = [_au_statement(kept) for kept in sent] + _lms_statements(attempt, block, base_url)
    found.sort(key=lambda s: s["stored"])
    found = [s for s in found if verb is None or (s.get("verb") or {}).get("id") == verb]
    if statement_id is not None:
        one = next((s for s in found if s["id"] == statement_id), None)
        if one is None:
            raise NotFound(_l("No such statement."))
        return one
    return found
