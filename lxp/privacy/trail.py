"""The audit trail as the admin reads it: filters by person e-mail, names beside ids, CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lxp.accounts import services as accounts
from lxp.accounts.models import User
from lxp.audit import services as audit
from lxp.audit.models import AuditEntry
from lxp.core.errors import Invalid
from lxp.core.timezones import in_zone
from lxp.extensions import db

_FORMULA = re.compile(r"^[=+\-@\t\r]")  # a spreadsheet runs such a cell as a formula


def build_filter(
    admin: User, action: str | None, person: str | None, start: date | None, end: date | None
) -> audit.TrailFilter:
    """The trail filter from the page's fields. Raises ``Invalid`` for an unknown action, an
    e-mail nobody in the organisation has, or a range that ends before it starts."""
    person_id = None
    if person and person.strip():
        user = accounts.find_user_by_email(person)
        if user is None or user.organisation_id != admin.organisation_id:
            raise Invalid(_l("Nobody in your organisation has this e-mail."), field="person")
        person_id = user.id
    trail_filter = audit.TrailFilter(action=action or None, person_id=person_id, start=start, end=end)
    audit.check_filter(trail_filter)
    return trail_filter


def names_of(entries: Iterable[AuditEntry]) -> dict[int, str]:
    """Display names of the people the entries name as actor or subject (erased people show
    as the pseudonym their account became)."""
    ids = {e.actor_id for e in entries if e.actor_id} | {
        int(e.subject_id) for e in entries if e.subject_type == "user" and (e.subject_id or "").isdigit()
    }
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if _FORMULA.match(text) else text


def csv_lines(admin: User, trail_filter: audit.TrailFilter) -> Iterator[str]:
    """The filtered trail as CSV lines, newest first: time in UTC and in the admin's zone,
    action, who acted, on what, details (JSON), request id."""
    out = io.StringIO()
    writer = csv.writer(out)

    def flush() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    writer.writerow(["at_utc", "at_local", "action", "actor_id", "actor", "subject_type", "subject_id", "subject",
                     "details", "request_id"])  # fmt: skip
    yield flush()
    chunk: list[AuditEntry] = []
    for entry in audit.trail_rows(admin.organisation_id, trail_filter, admin.timezone):
        chunk.append(entry)
        if len(chunk) >= 500:
            _write(chunk, writer, admin.timezone)
            yield flush()
            chunk = []
    if chunk:
        _write(chunk, writer, admin.timezone)
        yield flush()


def _write(entries: list[AuditEntry], writer, zone_name: str) -> None:
    names = names_of(entries)
    for e in entries:
        subject = names.get(int(e.subject_id)) if e.subject_type == "user" and (e.subject_id or "").isdigit() else None
        writer.writerow([_cell(v) for v in (
            e.at.isoformat(), in_zone(e.at, zone_name).isoformat(), e.action, e.actor_id, names.get(e.actor_id),
            e.subject_type, e.subject_id, subject, _details(e.details), e.request_id)])  # fmt: skip


def _details(details) -> str:
    return json.dumps(details, sort_keys=True, ensure_ascii=False) if details else ""
