"""lxp as the LMS of a cmi5 AU: the launch, the one-time auth token, ``LMS.LaunchData`` and the
statements an AU sends, checked against the cmi5 rules and turned into lxp's events.

One attempt (``PackageAttempt``) is one cmi5 registration (its ``public_id``); each launch starts
a session (``cmi["session"]``) whose auth token can be fetched once. The AU's LRS requests carry
that token; nothing else reaches the attempt. Statements are checked as cmi5 asks: the launch's
actor, registration, session and activity; ``initialized`` first in a session and nothing after
``terminated``; ``completed`` once, no ``passed``/``failed`` after a pass, a pass at or above the
mastery score; the LMS-only verbs (``launched``, ``abandoned``, ``waived``, ``satisfied``) refused.
What counts for lxp (completion, success, score, time) goes through ``runtime`` like SCORM's.
"""

from __future__ import annotations

import base64
import json
import uuid

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from lxp.core.errors import Conflict, Invalid, NotAllowed, NotFound
from lxp.lrs import statements as xapi
from lxp.packages import cmi
from lxp.packages.models import PackageAttempt
from lxp.paths.access import Block

CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
SESSION_ID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {ADL + name: name for name in ("initialized", "completed", "passed", "failed", "terminated")}
LMS_ONLY = {ADL + "launched", ADL + "abandoned", ADL + "waived", "https://w3id.org/xapi/adl/verbs/satisfied"}
STATE_LIMIT = 64_000  # characters of an AU's own state document


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="lxp.packages.cmi5-auth")


def start_session(attempt: PackageAttempt) -> str:
    """Start a new session of the attempt (a launch): a fresh session id whose token is not
    fetched yet. Returns the session id."""
    session = str(uuid.uuid4())
    attempt.cmi = {**(attempt.cmi or {}), "session": session, "fetched": False, "initialized": False,
                   "terminated": False}  # fmt: skip
    return session


def launch_query(attempt: PackageAttempt, block: Block, base_url: str, endpoint: str, fetch: str) -> dict:
    """The query the AU is launched with (cmi5 8.1)."""
    return {"endpoint": endpoint, "fetch": fetch, "registration": str(attempt.public_id),
            "activityId": block.item.content["unit"],
            "actor": json.dumps(xapi.agent(base_url, attempt.learner_id), separators=(",", ":"))}  # fmt: skip


def fetch_token(attempt: PackageAttempt) -> str:
    """The session's auth token, once (cmi5 8.2). Raises ``Conflict`` when it was fetched."""
    if (attempt.cmi or {}).get("fetched"):
        raise Conflict(_l("The token of this launch was already fetched."))
    attempt.cmi = {**attempt.cmi, "fetched": True}
    signed = _serializer().dumps({"a": str(attempt.public_id), "s": attempt.cmi.get("session")})
    return base64.b64encode(f"lxp:{signed}".encode()).decode()


def authorised(attempt: PackageAttempt, header: str | None) -> None:
    """Check the ``Authorization: Basic <auth token>`` of an AU's request against the attempt's
    current session. Raises ``NotAllowed``."""
    try:
        scheme, _, value = (header or "").partition(" ")
        user, _, signed = base64.b64decode(value).decode().partition(":")
        data = _serializer().loads(signed)
    except (ValueError, UnicodeDecodeError, BadSignature):
        raise NotAllowed(_l("This launch's token is missing or wrong.")) from None
    if scheme.lower() != "basic" or data != {"a": str(attempt.public_id), "s": (attempt.cmi or {}).get("session")}:
        raise NotAllowed(_l("This launch's token is missing or wrong."))


def launch_data(attempt: PackageAttempt, block: Block) -> dict:
    """The ``LMS.LaunchData`` state document (cmi5 10.2)."""
    content = block.item.content
    data = {
        "contextTemplate": {"contextActivities": {"grouping": [{"id": content["unit"]}]},
                            "extensions": {SESSION_ID: attempt.cmi.get("session")}},
        "launchMode": "Normal", "launchMethod": "AnyWindow", "moveOn": content.get("move_on") or "NotApplicable",
    }  # fmt: skip
    if content.get("pass_mark"):
        data["masteryScore"] = content["pass_mark"] / 100
    return data


def _categories(statement: dict) -> list[str]:
    context = statement.get("context") if isinstance(statement.get("context"), dict) else {}
    activities = context.get("contextActivities") if isinstance(context.get("contextActivities"), dict) else {}
    return [c.get("id") for c in activities.get("category") or [] if isinstance(c, dict)]


def check_statement(attempt: PackageAttempt, block: Block, base_url: str, statement) -> str | None:
    """The cmi5 verb of ``statement`` (None for another statement the AU may send), after
    checking it (see the module). Raises ``Invalid`` for a statement cmi5 does not allow."""
    if not isinstance(statement, dict) or not isinstance(statement.get("verb"), dict):
        raise Invalid(_l("A statement needs an actor, a verb and an object."))
    state = attempt.cmi or {}
    if statement.get("actor") != xapi.agent(base_url, attempt.learner_id):
        raise Invalid(_l("The statement's actor is not the learner this AU was launched for."))
    context = statement.get("context") if isinstance(statement.get("context"), dict) else {}
    if context.get("registration") != str(attempt.public_id):
        raise Invalid(_l("The statement's registration is not this launch's."))
    if (context.get("extensions") or {}).get(SESSION_ID) != state.get("session"):
        raise Invalid(_l("The statement's session is not this launch's."))
    verb_id = statement["verb"].get("id")
    if verb_id in LMS_ONLY:
        raise Invalid(_l("Only the LMS sends this statement."))
    if state.get("terminated"):
        raise Invalid(_l("The session has ended: nothing may follow terminated."))
    if state.get("abandoned"):
        raise Invalid(_l("The session was abandoned: it was silent for too long."))
    verb = VERBS.get(verb_id) if CMI5_CATEGORY in _categories(statement) else None
    if verb is None:
        if not state.get("initialized"):
            raise Invalid(_l("The first statement of a session is initialized."))
        return None
    if (statement.get("object") or {}).get("id") != block.item.content["unit"]:
        raise Invalid(_l("The statement's activity is not this AU."))
    if (verb == "initialized") == bool(state.get("initialized")):
        raise Invalid(_l("The first statement of a session is initialized, and only the first."))
    if verb == "completed" and state.get("completed"):
        raise Invalid(_l("The AU was already completed in this registration."))
    if verb in ("passed", "failed") and state.get("passed"):
        raise Invalid(_l("The AU was already passed in this registration."))
    scaled = ((statement.get("result") or {}).get("score") or {}).get("scaled")
    mark = block.item.content.get("pass_mark")
    agrees = not (mark and isinstance(scaled, int | float)) or (scaled * 100 >= mark) == (verb == "passed")
    if verb in ("passed", "failed") and not agrees:
        raise Invalid(_l("The score does not agree with the mastery score."))
    return verb


def apply(attempt: PackageAttempt, verb: str | None, statement: dict) -> cmi.Reading | None:
    """Keep what a checked statement changes in the attempt; the reading lxp records, if any."""
    if verb is None:
        return None
    state = dict(attempt.cmi or {})
    state[verb] = True
    result = statement.get("result") if isinstance(statement.get("result"), dict) else {}
    seconds = cmi.seconds_of(result.get("duration")) if verb == "terminated" else None
    attempt.cmi = state
    if verb == "terminated":
        attempt.total_seconds += seconds or 0
        attempt.sessions += 1
        return None
    if verb == "initialized":
        return None
    score = (result.get("score") or {}).get("scaled")
    score = float(score) if isinstance(score, int | float) else None
    attempt.completed = attempt.completed or verb == "completed"
    success = {"passed": True, "failed": False}.get(verb)
    attempt.success = success if success is not None else attempt.success
    attempt.score = score if score is not None else attempt.score
    return cmi.Reading(verb == "completed" or attempt.completed, success, attempt.score, None, None, "", "")


def move_on_met(move_on: str, completed: bool, passed: bool) -> bool:
    """Whether an AU's ``moveOn`` criterion is met by what its statements said (cmi5 13.1.4)."""
    return {
        "Passed": passed, "Completed": completed, "CompletedAndPassed": completed and passed,
        "CompletedOrPassed": completed or passed, "NotApplicable": True,
    }.get(move_on, False)  # fmt: skip


def not_found() -> NotFound:
    return NotFound(_l("This launch does not exist or has ended."))
