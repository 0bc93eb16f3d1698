"""Which items a learner can open: the one rule that learning, the API, coaching, workplace and
nudges share.

An item is reachable only through the learner's own open journey, on the course version that
journey is on; anything else is ``NotFound`` (the same answer whether the item does not exist or
belongs to someone else's path, so nothing leaks).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from lxp.authoring.kinds import KINDS, ItemKind
from lxp.authoring.models import Item
from lxp.core.errors import NotFound
from lxp.core.statements import one_of, prepared
from lxp.extensions import db
from lxp.paths.models import Journey, JourneyCourse
from lxp.paths.services import OPEN


@dataclass(frozen=True)
class Block:
    """An item the learner can open, with the journey it is reached through."""

    journey: Journey
    item: Item
    ref: str

    @property
    def kind(self) -> ItemKind:
        return KINDS[self.item.kind]


def journey_item(journey: Journey, ref: str) -> Item | None:
    """The item ``ref`` (``"<course id>:<item key>"``) on the course version the journey is on,
    or None when the journey has no such item."""
    course_id, _, key = (ref or "").partition(":")
    if not course_id.isdigit():
        return None
    for journey_course in journey.courses:
        if journey_course.course_id == int(course_id):
            return next((i for i in journey_course.version.items if i.key == key), None)
    return None


@prepared
def _open_item():
    """The learner's newest open journey beside the item ``:key`` of course ``:course_id`` on
    the version that journey is on (None when it has none): one statement, where reaching the
    item through the journey's courses and version loads three more."""
    course = (JourneyCourse.journey_id == Journey.id) & (JourneyCourse.course_id == bindparam("course_id"))
    return (
        select(Journey, Item)
        .outerjoin(JourneyCourse, course)
        .outerjoin(Item, (Item.version_id == JourneyCourse.version_id) & (Item.key == bindparam("key")))
        .where(Journey.learner_id == bindparam("learner_id"), one_of(Journey.status, OPEN))
        .order_by(Journey.id.desc())
        .limit(1)
    )


def open_block(learner, ref: str) -> Block:
    """The item ``ref`` of the learner's open journey. Raises ``NotFound``."""
    course_id, _, key = (ref or "").partition(":")
    found = None
    if course_id.isdigit():
        wanted = {"learner_id": learner.id, "course_id": int(course_id), "key": key}
        found = db.session.execute(_open_item(), wanted).first()
    if found is None or found.Item is None:
        raise NotFound(_l("This step is not on your path."))
    return Block(found.Journey, found.Item, ref)
