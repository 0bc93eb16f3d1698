"""The xAPI 1.0.3 statement rules the tests hold lxp's statements to (Data, section 2.4):
required properties, no unknown ones, one inverse functional identifier per agent, IRIs where
IRIs belong, UUID ids, ISO 8601 timestamps with a zone, result and context shapes."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from urllib.parse import urlsplit

TOP_LEVEL = {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version",
             "attachments"}  # fmt: skip
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
DURATION = re.compile(r"^P(?!$)(\d+(?:\.\d+)?Y)?(\d+(?:\.\d+)?M)?(\d+(?:\.\d+)?W)?(\d+(?:\.\d+)?D)?"
                      r"(T(?=\d)(\d+(?:\.\d+)?H)?(\d+(?:\.\d+)?M)?(\d+(?:\.\d+)?S)?)?$")  # fmt: skip
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


def is_iri(value) -> bool:
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


def is_uuid(value) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except (TypeError, ValueError, AttributeError):
        return False


def is_timestamp(value) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def problems_of(statement: dict) -> list[str]:
    """Every rule ``statement`` breaks (empty when it is valid)."""
    found = []

    def need(condition, message):
        if not condition:
            found.append(message)

    need(set(statement) <= TOP_LEVEL, f"unknown properties {set(statement) - TOP_LEVEL}")
    for key in ("id", "actor", "verb", "object"):
        need(key in statement, f"{key} missing")
    need(is_uuid(statement.get("id")), "id is not a UUID")
    actor = statement.get("actor", {})
    need(actor.get("objectType", "Agent") == "Agent", "actor is not an Agent")
    need(sum(key in actor for key in IFIS) == 1, "actor needs exactly one identifier")
    if "account" in actor:
        need(is_iri(actor["account"].get("homePage")) and isinstance(actor["account"].get("name"), str),
             "account needs homePage (IRL) and name")  # fmt: skip
    verb = statement.get("verb", {})
    need(is_iri(verb.get("id")), "verb id is not an IRI")
    need(all(LANGUAGE_TAG.match(k) for k in verb.get("display", {})), "verb display is not a language map")
    obj = statement.get("object", {})
    if obj.get("objectType", "Activity") == "Activity":
        need(is_iri(obj.get("id")), "activity id is not an IRI")
        definition = obj.get("definition", {})
        need("type" not in definition or is_iri(definition["type"]), "activity type is not an IRI")
    elif obj["objectType"] == "StatementRef":
        need(is_uuid(obj.get("id")), "StatementRef id is not a UUID")
        need("platform" not in statement.get("context", {}), "platform only with an Activity")
    else:
        found.append(f"unexpected object type {obj['objectType']}")
    result = statement.get("result")
    if result is not None:
        need(set(result) <= {"score", "success", "completion", "response", "duration", "extensions"},
             "unknown result properties")  # fmt: skip
        score = result.get("score", {})
        if "scaled" in score:
            need(-1 <= score["scaled"] <= 1, "scaled score out of -1..1")
        if {"min", "max"} <= set(score):
            need(score["min"] < score["max"], "min not below max")
        if "raw" in score:
            need(score.get("min", score["raw"]) <= score["raw"] <= score.get("max", score["raw"]), "raw out of range")
        for key in ("success", "completion"):
            need(key not in result or isinstance(result[key], bool), f"{key} is not a boolean")
        need("response" not in result or isinstance(result["response"], str), "response is not a string")
        need("duration" not in result or DURATION.match(result["duration"]), "duration is not ISO 8601")
        need(all(is_iri(k) for k in result.get("extensions", {})), "result extension keys must be IRIs")
    context = statement.get("context")
    if context is not None:
        need(all(is_iri(k) for k in context.get("extensions", {})), "context extension keys must be IRIs")
        need("registration" not in context or is_uuid(context["registration"]), "registration is not a UUID")
    for key in ("timestamp", "stored"):
        need(key not in statement or is_timestamp(statement[key]), f"{key} is not an ISO 8601 time with a zone")
    need(str(statement.get("version", "1.0.3")).startswith("1.0."), "version is not 1.0.x")
    return found
