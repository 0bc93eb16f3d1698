"""The services behind a cmi5 AU's requests (``lrs_views``): which attempt and step a request is
for, the token fetch, the state documents and the statements, recorded like SCORM's results."""

from __future__ import annotations

import json
import uuid

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lxp import events
from lxp.accounts.models import User
from lxp.core.errors import Invalid, NotFound
from lxp.extensions import db
from lxp.lrs import statements as xapi
from lxp.packages import cmi5, lms, runtime
from lxp.packages.models import PackageAttempt
from lxp.paths import services as paths
from lxp.paths.access import Block

LAUNCH_DATA = "LMS.LaunchData"
PREFERENCES = "cmi5LearnerPreferences"


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


def statement(token: str, authorization: str | None, sent, base_url: str) -> str:
    """Check and keep one statement of the AU; returns its id. Raises ``NotAllowed``,
    ``NotFound`` and ``Invalid`` (see ``cmi5.check_statement``)."""
    attempt, block = launched(token, lock=True)
    cmi5.authorised(attempt, authorization)
    verb = cmi5.check_statement(attempt, block, base_url, sent)
    statement_id = str(sent.get("id") or uuid.uuid4())
    reading = cmi5.apply(attempt, verb, sent)
    lms.seen(attempt)
    if reading is not None:
        learner = db.session.get(User, attempt.learner_id)
        seconds = attempt.total_seconds
        recorded = runtime.record_result(learner, block, attempt, reading, seconds)
        if lms.satisfy(learner, block, attempt) or recorded:
            paths.refresh_plan(block.journey, f"the package unit {block.ref}")
    db.session.flush()
    return statement_id


def preferences(token: str, authorization: str | None, profile_id: str) -> dict:
    """The agent profile ``cmi5LearnerPreferences`` (cmi5 11.0): the learner's language in lxp
    and audio on. Raises ``NotAllowed`` (token), ``NotFound`` (another profile)."""
    attempt, _block = launched(token)
    cmi5.authorised(attempt, authorization)
    if profile_id != PREFERENCES:
        raise NotFound(_l("No such profile."))
    learner = db.session.get(User, attempt.learner_id)
    language = learner.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    return {"languagePreference": language.replace("_", "-"), "audioPreference": "on"}


def registration_statements(token: str, authorization: str | None, base_url: str, statement_id: str | None = None,
                            verb: str | None = None) -> dict | list[dict]:  # fmt: skip
    """What lxp keeps of the launch's registration as xAPI statements, oldest first: its events
    on the AU (launched, completed, passed, failed, abandoned, satisfied ...), with the AU as their
    object and the registration in their context. One statement for ``statement_id``; only those
    with the verb IRI ``verb``. Raises ``NotAllowed`` (token), ``NotFound`` (no such statement)."""
    attempt, block = launched(token)
    cmi5.authorised(attempt, authorization)
    kept = db.session.scalars(
        select(events.LearningEvent).where(events.LearningEvent.actor_id == attempt.learner_id,
                                           events.LearningEvent.object_type == "item",
                                           events.LearningEvent.object_id == block.ref)
        .order_by(events.LearningEvent.recorded_at, events.LearningEvent.id)
    ).all()  # fmt: skip
    found = []
    for event in kept:
        if (event.context or {}).get("attempt") != str(attempt.public_id):
            continue
        shaped = xapi.statement(event_id=event.id, actor_id=event.actor_id, verb=event.verb, object_type="item",
                                object_id=event.object_id, result=event.result, context=None,
                                occurred_at=event.occurred_at, recorded_at=event.recorded_at, base_url=base_url)  # fmt: skip
        shaped["object"] = {"objectType": "Activity", "id": block.item.content["unit"]}
        shaped["context"] = {"registration": str(attempt.public_id),
                             "contextActivities": {"category": [{"id": cmi5.CMI5_CATEGORY}]}}  # fmt: skip
        if verb is None or shaped["verb"]["id"] == verb:
            found.append(shaped)
    if statement_id is not None:
        one = next((s for s in found if s["id"] == statement_id), None)
        if one is None:
            raise NotFound(_l("No such statement."))
        return one
    return found
