"""A learning event as an xAPI 1.0.3 statement. Pure: plain values in, a dict out.

Actors are identified by an account on this lxp (``homePage`` = our base URL, ``name`` = the
user id), never by e-mail, so an external LRS learns no address. Activities get IRIs under
our base URL, with an activity type IRI each; verbs carry the IRIs of ``lxp.events.VERBS``.
What a learner wrote privately (a reflection) is left out. Extensions are keyed by IRIs under
``EXTENSIONS``.
"""

from __future__ import annotations

import json
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
}
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


def statement(*, event_id, actor_id: int, actor_name: str | None, verb: str, object_type: str, object_id: str,
              result: dict | None, context: dict | None, occurred_at: datetime, recorded_at: datetime,
              base_url: str) -> dict[str, Any]:  # fmt: skip
    """The xAPI statement for one stored event (see the module docstring)."""
    base = base_url.rstrip("/")
    actor: dict[str, Any] = {"objectType": "Agent", "account": {"homePage": base, "name": str(actor_id)}}
    if actor_name:
        actor["name"] = actor_name
    known = VERBS.get(verb)
    verb_iri = known.iri if known else f"https://w3id.org/xapi/lxp/verbs/{quote(verb)}"
    if object_type == "event":  # ``voided``: xAPI names the voided statement by reference
        obj: dict[str, Any] = {"objectType": "StatementRef", "id": str(object_id)}
    else:
        obj = {"objectType": "Activity",
               "id": f"{base}/xapi/activities/{quote(object_type)}/{quote(str(object_id), safe='')}",
               "definition": {"type": ACTIVITY_TYPES.get(object_type, OTHER_ACTIVITY)}}  # fmt: skip
    out: dict[str, Any] = {
        "id": str(event_id),
        "actor": actor,
        "verb": {"id": verb_iri, "display": {"en-US": verb}},
        "object": obj,
        "timestamp": timestamp(occurred_at),
        "stored": timestamp(recorded_at),
        "version": XAPI_VERSION,
    }
    context = dict(context or {})
    private = bool(context.pop("private", False))
    shaped = _result(result, private)
    if shaped:
        out["result"] = shaped
    extensions = _extensions(context)
    shaped_context = {"platform": "lxp"} if obj["objectType"] == "Activity" else {}  # xAPI: Activities only
    if extensions:
        shaped_context["extensions"] = extensions
    if shaped_context:
        out["context"] = shaped_context
    return out
