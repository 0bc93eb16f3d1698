"""A learning event as an xAPI 1.0.3 statement. Pure: plain values in, a dict out.

A statement is immutable once recorded, so everything in it is derived from the stored event
and nothing that can change later: actors (and a live session's trainer, ``context.instructor``)
are an account on this lxp (``homePage`` = our base URL, ``name`` = the user id) and carry no
display name, which a person can change; never an e-mail, so an external LRS learns no address.
Building the statement of one event twice gives the same bytes (``canonical_json``), so an LRS
sees an at-least-once re-send as the statement it already has. Activities get IRIs under
our base URL, with an activity type IRI each; verbs carry the IRIs of ``lxp.events.VERBS``.
What a learner wrote privately (a reflection) is left out. Extensions are keyed by IRIs under
``EXTENSIONS``.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from lxp.events import VERBS

XAPI_VERSION = "1.0.3"
EXTENSIONS = "https://w3id.org/xapi/lxp/extensions/"
_ADL = "http://adlnet.gov/expapi/activities/"
ACTIVITY_TYPES = {
    "item": _ADL + "module",
    "question": _ADL + "cmi.interaction",
    "goal": _ADL + "objective",
    "competency": _ADL + "objective",
    "journey": _ADL + "course",
    "live_session": _ADL + "meeting",
    "placement": _ADL + "assessment",
    "coaching_message": "http://id.tincanapi.com/activitytype/chat-message",
    "help_request": "https://w3id.org/xapi/lxp/activity-types/help-request",
    "site": "https://w3id.org/xapi/lxp/activity-types/site",
    # The LMS's own ids of a cmi5 block and course, objects of its ``satisfied`` (cmi5 9.3.9).
    "cmi5_block": "https://w3id.org/xapi/cmi5/activitytype/block",
    "cmi5_course": "https://w3id.org/xapi/cmi5/activitytype/course",
}
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
CMI5_MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
CMI5_SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
OTHER_ACTIVITY = "https://w3id.org/xapi/lxp/activity-types/other"
SCORE_KEYS = ("scaled", "raw", "min", "max")


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the microsecond as stored, so a ``stored`` value read
    back as ``since`` or ``until`` bounds exactly the statements it should."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _extensions(values: dict[str, Any] | None) -> dict[str, Any]:
    return {EXTENSIONS + quote(str(key)): value for key, value in (values or {}).items() if value is not None}


def _result(result: dict | None, private: bool) -> dict | None:
    if not result:
        return None
    out: dict[str, Any] = {}
    score = result.get("score")
    if isinstance(score, dict):
        kept = {k: score[k] for k in SCORE_KEYS if isinstance(score.get(k), int | float)}
        if "scaled" in kept and not -1 <= kept["scaled"] <= 1:
            kept.pop("scaled")
        if kept:
            out["score"] = kept
    for key in ("success", "completion"):
        if isinstance(result.get(key), bool):
            out[key] = result[key]
    if isinstance(result.get("duration"), str):
        out["duration"] = result["duration"]
    response = result.get("response")
    if response is not None and not private:  # a private reflection stays on lxp
        out["response"] = response if isinstance(response, str) else json.dumps(response, sort_keys=True)
    extensions = _extensions(result.get("extensions"))
    if extensions:
        out["extensions"] = extensions
    return out or None


def agent(base_url: str, user_id: int | str) -> dict[str, Any]:
    """The Agent of a person: their account on this lxp, the only identifier (IFI) lxp gives."""
    return {"objectType": "Agent", "account": {"homePage": base_url.rstrip("/"), "name": str(user_id)}}


def activity_id(base_url: str, object_type: str, object_id: str | int) -> str:
    """The IRI of an activity: ``<base>/xapi/activities/<type>/<id>``."""
    return f"{base_url.rstrip('/')}/xapi/activities/{quote(object_type)}/{quote(str(object_id), safe='')}"


def registration(base_url: str, journey_id: int | str) -> str:
    """The xAPI ``registration`` of a journey (a learner's enrolment): a UUID derived from it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base_url.rstrip('/')}/xapi/registrations/journey/{journey_id}"))


def verb_iri(verb: str) -> str:
    known = VERBS.get(verb)
    return known.iri if known else f"https://w3id.org/xapi/lxp/verbs/{quote(verb)}"


def _activity(base: str, object_type: str, object_id: str | int) -> dict[str, Any]:
    return {"objectType": "Activity", "id": activity_id(base, object_type, object_id),
            "definition": {"type": ACTIVITY_TYPES.get(object_type, OTHER_ACTIVITY)}}  # fmt: skip


def _context_activities(base: str, object_type: str, object_id: str, context: dict) -> dict[str, list]:
    """The live session an attendance belongs to (``parent``), and the course of an item (``grouping``)."""
    found: dict[str, list] = {}
    if isinstance(context.get("session"), int):
        found["parent"] = [_activity(base, "live_session", context["session"])]
    course, sep, _key = str(object_id).partition(":")
    if object_type == "item" and sep and course.isdigit():
        found["grouping"] = [_activity(base, "course", course)]
    return found


def _cmi5_context(shaped: dict[str, Any], extensions: dict[str, Any], cmi5: dict) -> None:
    """An LMS statement of a cmi5 course (``lxp.packages.lms``), shaped as cmi5 9.6 asks: the
    launch's registration (the journey's when there is none), the cmi5 category (and ``moveon``
    for a result with success or completion), the publisher's ids in ``grouping``, the session."""
    if cmi5.get("registration"):
        shaped["registration"] = cmi5["registration"]
    activities = shaped.setdefault("contextActivities", {})
    activities["category"] = [{"id": CMI5_CATEGORY}, *([{"id": CMI5_MOVEON}] if cmi5.get("moveon") else [])]
    grouping = [{"id": g} for g in cmi5.get("grouping") or [] if isinstance(g, str)]
    if grouping:
        activities["grouping"] = [*activities.get("grouping", []), *grouping]
    if cmi5.get("session"):
        extensions[CMI5_SESSION] = cmi5["session"]


def canonical_json(statement_: dict[str, Any]) -> str:
    """The bytes lxp sends for a statement: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(statement_, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def statement(*, event_id, actor_id: int, verb: str, object_type: str, object_id: str, result: dict | None,
              context: dict | None, occurred_at: datetime, recorded_at: datetime, base_url: str) -> dict[str, Any]:  # fmt: skip
    """The xAPI statement for one stored event (see the module docstring)."""
    base = base_url.rstrip("/")
    if object_type == "event":  # ``voided``: xAPI names the voided statement by reference
        obj: dict[str, Any] = {"objectType": "StatementRef", "id": str(object_id)}
    else:
        obj = _activity(base, object_type, object_id)
    out: dict[str, Any] = {
        "id": str(event_id),
        "actor": agent(base, actor_id),
        "verb": {"id": verb_iri(verb), "display": {"en-US": verb}},
        "object": obj,
        "timestamp": timestamp(occurred_at),
        "stored": timestamp(recorded_at),
        "version": XAPI_VERSION,
    }
    context = dict(context or {})
    private = bool(context.pop("private", False))
    cmi5 = context.pop("cmi5", None)
    if isinstance(cmi5, dict) and cmi5.get("object"):  # an AU: the publisher's id, as the AU says it
        obj = out["object"] = {"objectType": "Activity", "id": cmi5["object"]}
    shaped = _result(result, private)
    if shaped:
        out["result"] = shaped
    shaped_context: dict[str, Any] = {}
    if obj["objectType"] == "Activity":  # xAPI: platform only about an Activity
        shaped_context["platform"] = "lxp"
        activities = _context_activities(base, object_type, str(object_id), context)
        if activities:
            shaped_context["contextActivities"] = activities
    if isinstance(context.get("instructor"), int):  # who took the attendance of a live session
        shaped_context["instructor"] = agent(base, context.pop("instructor"))
    if isinstance(context.get("journey"), int):
        shaped_context["registration"] = registration(base, context["journey"])
    extensions = _extensions(context)
    if isinstance(cmi5, dict):
        _cmi5_context(shaped_context, extensions, cmi5)
    if extensions:
        shaped_context["extensions"] = extensions
    if shaped_context:
        out["context"] = shaped_context
    return out
