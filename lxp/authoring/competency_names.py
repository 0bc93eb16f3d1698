"""An organisation's competency names in each language, kept per process.

Today and the path page show reasons in words ("teaches Active listening") on every visit, so
the names are read once per process and organisation. The key includes the organisation's
``competency_stamp``, which every change to one of its competencies sets afresh (a listener on
the session, so no write path can forget it): the next page of any worker, in any process, reads
a new stamp with the signed-in person and the names again. The stamp is random rather than a
counter, so two admins saving at once never leave the same stamp on different names.
"""

from __future__ import annotations

import uuid

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lxp.accounts.models import Organisation
from lxp.authoring.models import Competency
from lxp.extensions import db

# organisation id -> (stamp, rows of code, name, translations); emptied when it reaches
# _LIMIT organisations, so a process serving many organisations holds a bounded amount.
_LIMIT = 200
_names: dict[int, tuple[str | None, tuple[tuple[str, str, dict], ...]]] = {}


def new_stamp() -> str:
    """A stamp no organisation had before."""
    return uuid.uuid4().hex


def forget() -> None:
    """Empty the per-process cache (organisation ids start again in an emptied database)."""
    _names.clear()


def names_in(organisation_id: int, locale: str | None = None) -> dict[str, str]:
    """Competency code -> name in ``locale`` where translated, else the organisation's own.
    Costs no statement when the organisation is already in the session (the signed-in person
    brings theirs) and its names are cached under its current stamp."""
    organisation = db.session.get(Organisation, organisation_id)
    stamp = organisation.competency_stamp if organisation is not None else None
    cached = _names.get(organisation_id)
    if cached is None or cached[0] != stamp or stamp is None:
        rows = tuple(tuple(row) for row in db.session.execute(
            select(Competency.code, Competency.name, Competency.translations)
            .where(Competency.organisation_id == organisation_id)
        ).all())  # fmt: skip
        cached = (stamp, rows)
        if stamp is not None:
            if len(_names) >= _LIMIT:
                _names.clear()
            _names[organisation_id] = cached
    return {
        code: ((translations or {}).get(locale or "", {}).get("name") or name) for code, name, translations in cached[1]
    }


@event.listens_for(Session, "before_flush")
def _stamp_changed_competencies(session, _flush_context, _instances) -> None:
    """A competency added, changed or removed gives its organisation a new stamp in the same flush."""
    changed = {c.organisation_id for c in (*session.new, *session.deleted) if isinstance(c, Competency)}
    changed |= {c.organisation_id for c in session.dirty if isinstance(c, Competency) and session.is_modified(c)}
    for organisation_id in changed - {None}:
        organisation = session.get(Organisation, organisation_id)
        if organisation is not None:
            organisation.competency_stamp = new_stamp()
