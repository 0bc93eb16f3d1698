"""How a course's version of a touchpoint rule reads for one learner, before an admin saves it.

It stands on both the course's rules (``course_rules``) and the planning that finds what is due
(``planning``), so it lives above them rather than inside either.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.core.errors import Invalid, NotFound
from lxp.extensions import db
from lxp.nudges import texts
from lxp.nudges.course_rules import course_titles, journey_of
from lxp.nudges.planning import occurrences_for, values_for
from lxp.nudges.rules import TemplateError


@dataclass(frozen=True)
class Preview:
    learner: User
    subject: str
    body: str
    why: str
    due_now: bool  # False: nothing is due for them now, this is how it would read with example values


EXAMPLE_VALUES = {
    "title": _l("Handling objections"), "when": _l("tomorrow, 10:00"), "days": 5, "step": _l("Listening first"),
    "goal": _l("Keep customers"), "competency": _l("Active listening"), "learner": "Alex", "due": _l("Friday"),
    "steps": _l("2 steps, about 15 minutes"), "minutes": 15, "missed": "", "question": _l("What comes first?"),
    "done": 3, "total": 6,
}  # fmt: skip


def preview_for(admin: User, course_id: int, key: str, learner_email: str) -> Preview:
    """How the course's version of the rule reads for one learner, in their language: with
    what is due for them now if anything is, else with example values. Raises ``Invalid`` for
    an unknown learner (of this organisation) or stored words that cannot be read, ``NotFound``,
    ``NotAllowed``."""
    course, rows = journey_of(admin, course_id)
    rule = next((r.rule for r in rows if r.rule.key == key), None)
    if rule is None:
        raise NotFound(_l("There is no such touchpoint."))
    learner = db.session.execute(
        select(User).where(User.email == (learner_email or "").strip().lower(),
                           User.organisation_id == admin.organisation_id)
    ).scalar_one_or_none()  # fmt: skip
    if learner is None:
        raise Invalid(_l("No one in your organisation has that e-mail address."), field="learner")
    mine = [o for o in occurrences_for(rule, learner.id) if o.course_id in (course.id, None)]
    locale = learner.locale or current_app.config["DEFAULT_LOCALE"]
    with force_locale(locale):
        values = (
            values_for(rule, learner, mine[0], course_titles().get(course.id, ""))
            if mine
            else {
                **{k: str(v) for k, v in EXAMPLE_VALUES.items()},
                "name": learner.display_name,
                "course": course_titles().get(course.id, ""),
            }
        )
        try:
            subject, body, why = texts.words(rule, locale, values)
        except TemplateError as error:  # stored before templates were checked as they are now
            raise Invalid(_l("These words cannot be read: %(error)s. Save them again.", error=str(error)),
                          field="learner") from None  # fmt: skip
    return Preview(learner, subject, body, why, bool(mine))
