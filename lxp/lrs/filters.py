"""The xAPI 1.0.3 statement filters (Communication 2.1.3), applied to statements. Pure: plain
statements in, decisions out.

``StatementFilter`` holds what a ``GET statements`` asked for; ``matches`` tells whether a
statement meets it, the way an LRS decides: ``agent`` by inverse functional identifier (the
actor, or with ``related_agents`` also the instructor, team, authority and an Agent object),
``activity`` as the object (with ``related_activities`` also the context's activities),
``verb`` and ``registration`` exactly; a statement whose object is a ``StatementRef`` (a
voiding statement) meets the non-time filters when the statement it targets does. Time and
order (``since``, ``until``, ``ascending``, ``limit``) are the query's, not decided here.
``shaped`` gives a statement in the asked ``format``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
FORMATS = ("exact", "ids", "canonical")


def ifi(agent: dict[str, Any] | None) -> tuple | None:
    """The inverse functional identifier of an Agent (or identified Group): its one key and
    value, comparable across statements; None when it has none."""
    if not isinstance(agent, dict):
        return None
    for key in IFIS:
        if key in agent:
            value = agent[key]
            if key == "account":
                if not isinstance(value, dict):
                    return None
                return ("account", str(value.get("homePage", "")).rstrip("/"), str(value.get("name", "")))
            return (key, value)
    return None


@dataclass(frozen=True)
class StatementFilter:
    """What to match; None (or False) means "any"."""

    agent: tuple | None = None  # an IFI, see ``ifi``
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False

    @property
    def is_empty(self) -> bool:
        return self.agent is None and self.verb is None and self.activity is None and self.registration is None


def _agents_of(statement: dict, related: bool) -> list[dict]:
    found = [statement.get("actor")]
    obj = statement.get("object") or {}
    if obj.get("objectType") in ("Agent", "Group"):
        found.append(obj)
    if related:
        context = statement.get("context") or {}
        found += [context.get("instructor"), context.get("team"), statement.get("authority")]
    groups = [a for a in found if isinstance(a, dict) and a.get("objectType") == "Group"]
    if related:
        for group in groups:
            found += list(group.get("member") or [])
    return [a for a in found if isinstance(a, dict)]


def _activities_of(statement: dict, related: bool) -> list[str]:
    obj = statement.get("object") or {}
    found = [obj.get("id")] if obj.get("objectType", "Activity") == "Activity" else []
    if related:
        for activities in ((statement.get("context") or {}).get("contextActivities") or {}).values():
            found += [a.get("id") for a in activities if isinstance(a, dict)]
    return [a for a in found if a]


def _own_match(statement: dict, wanted: StatementFilter) -> bool:
    if wanted.verb is not None and (statement.get("verb") or {}).get("id") != wanted.verb:
        return False
    if wanted.registration is not None and (statement.get("context") or {}).get("registration") != wanted.registration:
        return False
    if wanted.agent is not None and wanted.agent not in {ifi(a) for a in _agents_of(statement, wanted.related_agents)}:
        return False
    return wanted.activity is None or wanted.activity in _activities_of(statement, wanted.related_activities)


def matches(statement: dict, wanted: StatementFilter, target: Callable[[str], dict | None] = lambda _id: None) -> bool:
    """Whether ``statement`` meets ``wanted``; ``target(id)`` gives the statement a
    ``StatementRef`` names (None when unknown), which then decides instead."""
    if wanted.is_empty or _own_match(statement, wanted):
        return True
    obj = statement.get("object") or {}
    if obj.get("objectType") == "StatementRef":
        referenced = target(obj.get("id"))
        return referenced is not None and _own_match(referenced, wanted)
    return False


def _ids_only(agent: dict) -> dict:
    kept = {key: agent[key] for key in ("objectType", *IFIS) if key in agent}
    if "member" in agent:
        kept["member"] = [_ids_only(m) for m in agent["member"]]
    return kept


def _activity_ids(activity: dict) -> dict:
    return {key: activity[key] for key in ("objectType", "id") if key in activity}


def _canonical_map(language_map: dict, languages: list[str]) -> dict:
    """One entry of a language map: the first of ``languages`` it has, else its first one."""
    for language in languages:
        for tag, text in language_map.items():
            if tag.lower() == language.lower() or tag.lower().split("-")[0] == language.lower():
                return {tag: text}
    first = next(iter(language_map.items()), None)
    return dict([first]) if first else {}


def shaped(statement: dict, format_: str, languages: list[str] | None = None) -> dict:
    """``statement`` in the xAPI ``format``: ``exact`` as stored, ``ids`` with only what
    identifies agents, verbs and activities, ``canonical`` with each language map cut to the
    reader's language (``languages``, best first)."""
    if format_ == "exact":
        return statement
    out = copy.deepcopy(statement)
    context = out.get("context") or {}
    if format_ == "ids":
        out["actor"] = _ids_only(out["actor"])
        out["verb"] = {"id": out["verb"]["id"]}
        if out["object"].get("objectType", "Activity") == "Activity":
            out["object"] = _activity_ids(out["object"])
        elif out["object"].get("objectType") in ("Agent", "Group"):
            out["object"] = _ids_only(out["object"])
        for key in ("instructor", "team"):
            if key in context:
                context[key] = _ids_only(context[key])
        for kind, activities in (context.get("contextActivities") or {}).items():
            context["contextActivities"][kind] = [_activity_ids(a) for a in activities]
        return out
    languages = languages or []
    if "display" in out["verb"]:
        out["verb"]["display"] = _canonical_map(out["verb"]["display"], languages)
    activities = [out["object"]] + [a for group in (context.get("contextActivities") or {}).values() for a in group]
    for activity in activities:
        definition = activity.get("definition") or {}
        for key in ("name", "description"):
            if isinstance(definition.get(key), dict):
                definition[key] = _canonical_map(definition[key], languages)
    return out
