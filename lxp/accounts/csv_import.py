"""Reading a CSV of people to invite: every bad row is reported by its line, nothing is
written unless the whole file is good.

Columns (header row required, any order): ``email``, ``name``, ``roles`` (several separated
by ``;`` or ``|``), ``locale`` (en, de, ru; optional), ``timezone`` (optional). Commas and
semicolons both work as separators, since spreadsheets in German locales write semicolons.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.accounts.services import Invitee, check_invitee
from lxp.core.errors import ServiceError
from lxp.extensions import db

REQUIRED_COLUMNS = ("email", "name", "roles")
OPTIONAL_COLUMNS = ("locale", "timezone")
TEMPLATE = "email,name,roles,locale,timezone\nmaria.lopez@example.com,María López,learner,de,Europe/Berlin\n"


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


class CsvRejected(Exception):
    """The file has errors; ``errors`` lists each with its line number (1 = header)."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvRejected(
            [RowError(1, str(_l("The file is not UTF-8 text. Save it as CSV (UTF-8) and try again.")))]
        ) from None


def read_invitees(data: bytes) -> list[Invitee]:
    """Parse and check the whole file. Raises ``CsvRejected`` with every error found."""
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CsvRejected(
            [
                RowError(
                    1,
                    str(_l("These columns are missing from the header row: %(columns)s.", columns=", ".join(missing))),
                )
            ]
        )
    reader.fieldnames = header

    errors: list[RowError] = []
    invitees: list[Invitee] = []
    first_line_of: dict[str, int] = {}
    limit = current_app.config["CSV_IMPORT_MAX_ROWS"]
    for row in reader:
        line = reader.line_num
        if len(invitees) + len(errors) >= limit:
            errors.append(
                RowError(
                    line,
                    ngettext(
                        "The file has more than %(num)d row; split it.",
                        "The file has more than %(num)d rows; split it.",
                        limit,
                    ),
                )
            )
            break
        if None in row:
            errors.append(RowError(line, str(_l("This row has more cells than the header."))))
            continue
        if not any((value or "").strip() for value in row.values()):
            continue  # blank line
        roles = (row.get("roles") or "").replace("|", ";").split(";")
        try:
            invitee = check_invitee(
                row.get("email") or "", row.get("name") or "", roles, row.get("locale"), row.get("timezone")
            )
        except ServiceError as error:
            errors.append(RowError(line, f"{error.field}: {error.message}" if error.field else str(error.message)))
            continue
        if invitee.email in first_line_of:
            errors.append(
                RowError(
                    line,
                    str(
                        _l(
                            "%(email)s is already on line %(line)d.",
                            email=invitee.email,
                            line=first_line_of[invitee.email],
                        )
                    ),
                )
            )
            continue
        first_line_of[invitee.email] = line
        invitees.append(invitee)

    if first_line_of:
        taken = set(db.session.execute(select(User.email).where(User.email.in_(list(first_line_of)))).scalars())
        errors.extend(
            RowError(first_line_of[email], str(_l("%(email)s already has an account.", email=email)))
            for email in sorted(taken, key=first_line_of.get)
        )
    if not errors and not invitees:
        errors.append(RowError(1, str(_l("The file has no people in it."))))
    if errors:
        raise CsvRejected(sorted(errors, key=lambda e: e.line))
    return invitees
