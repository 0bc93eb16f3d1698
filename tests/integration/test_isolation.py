"""The test harness keeps tests apart (tests/conftest.py): a service's commit inside a test
releases a savepoint on the test's one connection, every request of the test sees it, and
the next test sees none of it, whether the first one was rolled back or committed for real.
The tests run in file order: each pair writes, then looks."""

import pytest
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.extensions import db
from tests.conftest import committing, sign_in


def _emails(app) -> list[str]:
    with committing(app):
        return list(db.session.scalars(select(User.email).order_by(User.email)))


def test_a_commit_in_a_test_is_a_savepoint_that_its_requests_and_other_contexts_see(app, client, make_user):
    make_user(email="kept@example.com")  # committed in its own app context
    with committing(app):
        connection = db.session.connection()
        assert connection.in_transaction() and connection.in_nested_transaction()
        assert db.session.scalar(select(User.id).where(User.email == "kept@example.com")) is not None
    assert sign_in(client, "kept@example.com").status_code == 302  # the request finds the user
    assert _emails(app) == ["kept@example.com"]


def test_the_next_test_sees_nothing_of_what_the_last_one_committed(app, clean_db):
    assert _emails(app) == []


@pytest.mark.real_commits
def test_a_test_that_commits_for_real_starts_from_empty_tables_and_leaves_its_data(app, make_user):
    assert _emails(app) == []
    make_user(email="left-behind@example.com")
    with committing(app):
        assert not db.session.connection().in_nested_transaction()  # a real transaction, no savepoint


def test_after_real_commits_the_next_test_starts_from_empty_tables(app, clean_db):
    assert _emails(app) == []
