"""``core.tenancy.get_in_organisation``: the one rule for "a row of this organisation, or
NotFound", which every feature's look-up by id uses."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring import services as authoring
from lxp.authoring.models import Course, Item
from lxp.core.errors import NotFound
from lxp.core.tenancy import get_in_organisation
from lxp.extensions import db


def test_a_row_of_another_organisation_is_not_found_like_a_missing_one(app, published, make_user, other_organisation):
    stranger = make_user(("admin",), organisation_id=other_organisation)
    with app.test_request_context():
        author = db.session.execute(select(User).where(User.email == "author@example.com")).scalar_one()
        course = get_in_organisation(Course, published["course"], author.organisation_id, "No such course.")
        assert course.id == published["course"]
        refusals = []
        for ident, organisation_id in ((published["course"], other_organisation), (course.id + 10_000, author.organisation_id), (None, author.organisation_id)):  # fmt: skip
            with pytest.raises(NotFound) as refused:
                get_in_organisation(Course, ident, organisation_id, "No such course.", field="course")
            refusals.append((str(refused.value.message), refused.value.field))
        assert refusals == [("No such course.", "course")] * 3  # the same answer: nothing leaks

        # A row that holds no organisation of its own is read through its owner.
        item = db.session.execute(select(Item).where(Item.version_id == course.versions[0].id)).scalars().first()
        owner = get_in_organisation(Item, item.id, author.organisation_id, "No such item.",
                                    organisation_of=lambda row: row.version.course.organisation_id)  # fmt: skip
        assert owner is item
        with pytest.raises(NotFound):
            authoring.get_item(db.session.get(User, stranger), item.id)
        with pytest.raises(NotFound):
            authoring.get_course(db.session.get(User, stranger), course.id)
