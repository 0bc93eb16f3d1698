"""Writing the audit trail and the security log, and reading the trail back.

``record`` adds an ``AuditEntry`` to the caller's unit of work (so it commits or rolls back
with the action it describes) and writes one JSON line to the ``lxp.security`` logger. Neither
ever carries a secret: detail keys that name a password, token secret, hash, cookie or
authorization are dropped before anything is written.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from lxp.audit.models import AuditEntry
from lxp.core.errors import Invalid
from lxp.core.paging import paginate
from lxp.core.time import utcnow
from lxp.core.timezones import zone
from lxp.extensions import db

security_log = logging.getLogger("lxp.security")

# What the trail records, with the words the admin page shows for each.
ACTIONS: dict[str, Any] = {
    "sign_in": _l("Signed in"),
    "sign_in_failed": _l("Failed sign-in"),
    "failed_sign_ins_told": _l("Told of failed sign-ins"),
    "sign_out": _l("Signed out"),
    "password_changed": _l("Password changed"),
    "password_reset": _l("Password reset"),
    "roles_changed": _l("Roles changed"),
    "reporting_line_set": _l("Reporting line set"),
    "account_deactivated": _l("Account deactivated"),
    "account_reactivated": _l("Account reactivated"),
    "invitation_sent": _l("Invitation sent"),
    "invitation_accepted": _l("Invitation accepted"),
    "api_token_created": _l("API token created"),
    "api_token_revoked": _l("API token revoked"),
    "data_exported": _l("Personal data exported"),
    "person_erased": _l("Person erased"),
    "retention_warning": _l("Retention warning sent"),
    "retention_purge": _l("Retention purge"),
    "retention_policy_changed": _l("Retention policy changed"),
    "company_sign_in_changed": _l("Company sign-in changed"),
    "scim_token_created": _l("Provisioning token created"),
    "scim_token_revoked": _l("Provisioning token revoked"),
    "two_step_enabled": _l("Two-step sign-in turned on"),
    "two_step_disabled": _l("Two-step sign-in turned off"),
    "two_step_code_failed": _l("Wrong two-step code"),
    "recovery_code_used": _l("Recovery code used"),
    "recovery_codes_renewed": _l("Recovery codes renewed"),
    "two_step_requirement_changed": _l("Two-step requirement changed"),
    "access_refused": _l("Access refused"),
    "credential_revoked": _l("Credential revoked"),
    "credential_key_rotated": _l("Credential signing key rotated"),
    "package_unit_waived": _l("cmi5 unit waived"),
    "package_unit_unwaived": _l("cmi5 waiver taken back"),
}
_SECRET_KEY = re.compile(r"password|secret|hash|cookie|authori[sz]ation|credential|^token$|^link$", re.IGNORECASE)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def scrub(value: Any) -> Any:
    """``value`` without any key that names a secret (recursively)."""
    if isinstance(value, dict):
        return {str(k): scrub(v) for k, v in value.items() if not _SECRET_KEY.search(str(k))}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def current_request_id() -> str | None:
    """The request's id, when one was given (``g.request_id`` or the ``X-Request-ID`` header)."""
    if not has_request_context():
        return None
    candidate = g.get("request_id") or request.headers.get("X-Request-ID")
    return candidate if isinstance(candidate, str) and _REQUEST_ID.fullmatch(candidate) else None


def record(action: str, *, organisation_id: int | None, actor_id: int | None = None, subject_type: str | None = None,
           subject_id: Any = None, details: dict[str, Any] | None = None) -> AuditEntry:  # fmt: skip
    """Add one entry to the trail in the current transaction and log it on ``lxp.security``.

    Raises ``ValueError`` for an action not in ``ACTIONS`` (a programming error)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    clean = json.loads(json.dumps(scrub(details), default=str)) if details else None  # plain JSON values only
    entry = AuditEntry(organisation_id=organisation_id, actor_id=actor_id, action=action, subject_type=subject_type,
                       subject_id=None if subject_id is None else str(subject_id), at=utcnow(), details=clean or None,
                       request_id=current_request_id())  # fmt: skip
    db.session.add(entry)
    line = {
        "event": action,
        "at": entry.at.isoformat(),
        "organisation_id": organisation_id,
        "actor_id": actor_id,
        "subject_type": subject_type,
        "subject_id": entry.subject_id,
        "details": clean or {},
        "request_id": entry.request_id,
        "ip": request.remote_addr if has_request_context() else None,
    }
    security_log.info(json.dumps(line, sort_keys=True, default=str))
    return entry


# --- reading the trail ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrailFilter:
    action: str | None = None
    person_id: int | None = None  # as actor or as subject
    start: date | None = None  # the viewer's local days, inclusive
    end: date | None = None


def check_filter(trail_filter: TrailFilter) -> None:
    """Raises ``Invalid`` for an unknown action or a range that ends before it starts."""
    if trail_filter.action and trail_filter.action not in ACTIONS:
        raise Invalid(_l("Choose one of the listed actions."), field="action")
    if trail_filter.start and trail_filter.end and trail_filter.end < trail_filter.start:
        raise Invalid(_l("The end date is before the start date."), field="end")


def _utc_bounds(trail_filter: TrailFilter, zone_name: str) -> tuple[datetime | None, datetime | None]:
    tz = zone(zone_name)
    start = datetime.combine(trail_filter.start, time.min, tz) if trail_filter.start else None
    end = datetime.combine(trail_filter.end + timedelta(days=1), time.min, tz) if trail_filter.end else None
    return start, end


def _query(organisation_id: int, trail_filter: TrailFilter, zone_name: str) -> Select:
    query = select(AuditEntry).where(AuditEntry.organisation_id == organisation_id)
    if trail_filter.action:
        query = query.where(AuditEntry.action == trail_filter.action)
    if trail_filter.person_id is not None:
        query = query.where(
            (AuditEntry.actor_id == trail_filter.person_id)
            | ((AuditEntry.subject_type == "user") & (AuditEntry.subject_id == str(trail_filter.person_id)))
        )
    start, end = _utc_bounds(trail_filter, zone_name)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def trail_page(organisation_id: int, trail_filter: TrailFilter, zone_name: str, page: int = 1, per_page: int = 50):
    """One page of the organisation's trail, newest first. Call ``check_filter`` first."""
    return paginate(_query(organisation_id, trail_filter, zone_name), page, per_page)


def trail_rows(organisation_id: int, trail_filter: TrailFilter, zone_name: str) -> Iterator[AuditEntry]:
    """Every entry the filter chooses, newest first, read in chunks (for the CSV export)."""
    yield from db.session.scalars(_query(organisation_id, trail_filter, zone_name).execution_options(yield_per=500))


def entries_about(user_id: int) -> list[AuditEntry]:
    """Entries where the person acted or was acted upon, oldest first (for their data export)."""
    return list(db.session.scalars(
        select(AuditEntry)
        .where((AuditEntry.actor_id == user_id) | ((AuditEntry.subject_type == "user") & (AuditEntry.subject_id == str(user_id))))
        .order_by(AuditEntry.at, AuditEntry.id)
    ))  # fmt: skip


def forget_person(user_id: int, email: str) -> None:
    """Clear the details of every entry by or about an erased person, and of failed sign-ins
    with their e-mail: the entries stay (what happened, when, to which pseudonym), what they
    said about the person goes."""
    about = (AuditEntry.actor_id == user_id) | (
        (AuditEntry.subject_type == "user") & (AuditEntry.subject_id == str(user_id))
    )
    for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.details.is_not(None))
                                    .where(about | (AuditEntry.action == "sign_in_failed"))):  # fmt: skip
        if entry.action != "sign_in_failed" or email in json.dumps(entry.details):
            entry.details = None
