"""Reading a SCORM run-time snapshot (the CMI data a package commits) into what lxp keeps.

Pure: a nested dict as the vendored runtime renders it (``{"cmi": {"core": {...}}}`` for 1.2,
``{"cmi": {"completion_status": ...}}`` for 2004) in, plain values out. The same snapshot always
reads the same, so a commit sent twice is read the same way twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxp.packages.manifest import SCORM_12

SNAPSHOT_LIMIT = 1_000_000  # characters of JSON: 2004's suspend data alone may hold 64 000
_ISO_DURATION = re.compile(
    r"^P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<mi>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_HMS = re.compile(r"^(?P<h>\d{2,4}):(?P<m>\d{2}):(?P<s>\d{2}(?:\.\d{1,2})?)$")


@dataclass(frozen=True)
class Reading:
    completed: bool  # the learner finished the unit (a 1.2 "failed" is finished too)
    success: bool | None  # passed, failed, or the unit does not say
    score: float | None  # scaled, 0..1
    raw: float | None
    session_seconds: int | None
    exit: str  # "suspend" to come back to the same attempt
    location: str


def value(snapshot: dict, path: str):
    """The value at a dotted ``path`` ("cmi.core.lesson_status"), or None."""
    node = snapshot
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _number(raw) -> float | None:
    try:
        return float(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


def seconds_of(duration) -> int | None:
    """Seconds in a SCORM 1.2 ``HHHH:MM:SS.SS`` or 2004 ISO 8601 duration; None if unreadable."""
    text = str(duration or "").strip()
    match = _HMS.match(text)
    if match:
        return round(int(match["h"]) * 3600 + int(match["m"]) * 60 + float(match["s"]))
    match = _ISO_DURATION.match(text)
    if match and text not in ("P", "PT"):
        parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
        days = parts["y"] * 365 + parts["mo"] * 30 + parts["d"]
        return round(days * 86400 + parts["h"] * 3600 + parts["mi"] * 60 + parts["s"])
    return None


def read(standard: str, snapshot: dict, pass_mark: int | None = None) -> Reading:
    """What ``snapshot`` says. ``pass_mark`` (percent, from the manifest) decides success from
    the score where the unit reports a score and a finished status but no success of its own."""
    if standard == SCORM_12:
        status = str(value(snapshot, "cmi.core.lesson_status") or "").lower()
        raw = _number(value(snapshot, "cmi.core.score.raw"))
        top = _number(value(snapshot, "cmi.core.score.max")) or 100.0
        score = None if raw is None else max(0.0, min(1.0, raw / top))
        completed = status in ("passed", "completed", "failed")
        success = {"passed": True, "failed": False}.get(status)
        session = value(snapshot, "cmi.core.session_time")
        exit_, location = value(snapshot, "cmi.core.exit"), value(snapshot, "cmi.core.lesson_location")
    else:
        completed = str(value(snapshot, "cmi.completion_status") or "").lower() == "completed"
        success = {"passed": True, "failed": False}.get(str(value(snapshot, "cmi.success_status") or "").lower())
        raw = _number(value(snapshot, "cmi.score.raw"))
        score = _number(value(snapshot, "cmi.score.scaled"))
        if score is None and raw is not None:
            top = _number(value(snapshot, "cmi.score.max")) or 100.0
            score = raw / top
        score = None if score is None else max(0.0, min(1.0, score))
        session = value(snapshot, "cmi.session_time")
        exit_, location = value(snapshot, "cmi.exit"), value(snapshot, "cmi.location")
    if success is None and completed and pass_mark is not None and score is not None:
        success = score * 100 >= pass_mark
    return Reading(completed or success is not None, success, score, raw, seconds_of(session),
                   str(exit_ or "").lower(), str(location or ""))  # fmt: skip


def format_total(standard: str, seconds: int) -> str:
    """Total time as the standard writes it: ``HHHH:MM:SS`` (1.2) or ``PT#H#M#S`` (2004)."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    if standard == SCORM_12:
        return f"{hours:04d}:{minutes:02d}:{secs:02d}"
    return f"PT{hours}H{minutes}M{secs}S"


# What a new session must not inherit from the last one: the runtime sets these itself.
_SESSION_ONLY = {SCORM_12: ("cmi.core.session_time", "cmi.core.exit", "cmi.core.entry", "cmi.core.total_time"),
                 "2004": ("cmi.session_time", "cmi.exit", "cmi.entry", "cmi.total_time")}  # fmt: skip


def resume_state(standard: str, snapshot: dict | None, total_seconds: int) -> tuple[dict, str]:
    """The stored snapshot to load into a new session, without what only the last session had,
    and the ``entry`` value for it: ``resume`` when the last session was suspended, else ``""``."""
    snapshot = _copy(snapshot or {})
    key = SCORM_12 if standard == SCORM_12 else "2004"
    exit_path = _SESSION_ONLY[key][1]
    entry = "resume" if str(value(snapshot, exit_path) or "").lower() == "suspend" else ""
    for path in _SESSION_ONLY[key]:
        _drop(snapshot, path)
    return snapshot, entry


def _copy(node):
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def _drop(snapshot: dict, path: str) -> None:
    *parents, last = path.split(".")
    node = snapshot
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(last, None)
