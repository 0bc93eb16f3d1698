"""What admins read about assignments: how far each is, and completion by unit and due window.

These are aggregates, so the insights rule holds: a number describing fewer than ``MIN_GROUP``
people is not shown (None), and a CSV leaves it empty, so nobody is singled out.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.assignments.models import AssignedWork, Assignment, OrgUnit, UnitMember
from lxp.assignments.services import assignments_of, title_of
from lxp.extensions import db

MIN_GROUP = 5  # the same threshold as lxp.insights.maths.MIN_GROUP (insights builds on this layer)
WINDOWS = ("past", "week", "month", "later", "none")


@dataclass(frozen=True)
class Counts:
    people: int
    done: int | None
    overdue: int | None
    open: int | None


def _counts(rows: list[AssignedWork], today: date) -> Counts:
    people = len(rows)
    if people < MIN_GROUP:
        return Counts(people, None, None, None)
    done = sum(1 for w in rows if w.completed_at is not None)
    overdue = sum(1 for w in rows if w.completed_at is None and w.due_on is not None and w.due_on < today)
    return Counts(people, done, overdue, people - done - overdue)


def _latest_work(organisation_id: int) -> list[AssignedWork]:
    """Each person's latest cycle of each assignment in force (active people only)."""
    rows = db.session.execute(
        select(AssignedWork).join(Assignment, Assignment.id == AssignedWork.assignment_id)
        .join(User, User.id == AssignedWork.learner_id)
        .where(Assignment.organisation_id == organisation_id, Assignment.withdrawn_at.is_(None), User.active)
        .order_by(AssignedWork.assignment_id, AssignedWork.learner_id, AssignedWork.cycle)
    ).scalars()  # fmt: skip
    latest: dict[tuple[int, int], AssignedWork] = {}
    for work in rows:
        latest[(work.assignment_id, work.learner_id)] = work
    return list(latest.values())


def overview(organisation_id: int, today: date | None = None) -> list[tuple[Assignment, str, Counts]]:
    """Each assignment in force, its title and its people's counts (hidden under ``MIN_GROUP``)."""
    today = today or date.today()
    per: dict[int, list[AssignedWork]] = {}
    for work in _latest_work(organisation_id):
        per.setdefault(work.assignment_id, []).append(work)
    return [(a, title_of(a), _counts(per.get(a.id, []), today)) for a in assignments_of(organisation_id)]


def window(due_on: date | None, today: date) -> str:
    """Which due window a date falls in: past, within a week, within a month, later, or none."""
    if due_on is None:
        return "none"
    if due_on < today:
        return "past"
    if due_on <= today + timedelta(days=7):
        return "week"
    if due_on <= today + timedelta(days=30):
        return "month"
    return "later"


def window_label(name: str) -> str:
    return {"past": _("Due date passed"), "week": _("Due within 7 days"), "month": _("Due within 30 days"),
            "later": _("Due later"), "none": _("No due date")}[name]  # fmt: skip


@dataclass(frozen=True)
class Row:
    unit: str
    window: str
    counts: Counts


def completion(organisation_id: int, today: date | None = None) -> list[Row]:
    """People's assigned work grouped by their unit and its due window, each group's counts
    hidden when it holds fewer than ``MIN_GROUP`` shares."""
    today = today or date.today()
    units = dict(db.session.execute(
        select(UnitMember.user_id, OrgUnit.name).join(OrgUnit, OrgUnit.id == UnitMember.unit_id)
        .where(OrgUnit.organisation_id == organisation_id)
    ).all())  # fmt: skip
    groups: dict[tuple[str, str], list[AssignedWork]] = {}
    for work in _latest_work(organisation_id):
        key = (units.get(work.learner_id, ""), window(work.due_on, today))
        groups.setdefault(key, []).append(work)
    order = {name: n for n, name in enumerate(WINDOWS)}
    return [Row(unit, win, _counts(rows, today))
            for (unit, win), rows in sorted(groups.items(), key=lambda kv: (kv[0][0], order[kv[0][1]]))]  # fmt: skip


def completion_csv(organisation_id: int, today: date | None = None) -> str:
    """``completion`` as CSV: unit, due window, people, done, overdue, open (empty when hidden)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["unit", "due_window", "people", "done", "overdue", "open"])
    for row in completion(organisation_id, today):
        c = row.counts
        writer.writerow([_safe(row.unit), row.window, c.people if c.done is not None else "",
                         *("" if v is None else v for v in (c.done, c.overdue, c.open))])  # fmt: skip
    return out.getvalue()


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def unit_sizes(organisation_id: int) -> dict[int, int]:
    rows = db.session.execute(
        select(UnitMember.unit_id, func.count()).join(OrgUnit, OrgUnit.id == UnitMember.unit_id)
        .where(OrgUnit.organisation_id == organisation_id).group_by(UnitMember.unit_id)
    ).all()  # fmt: skip
    return dict(rows)
