"""Shared set-up of the integration tests: empty tables, and a published example course."""

from pathlib import Path

import pytest
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring import publishing, transfer
from lxp.authoring.models import Goal
from lxp.extensions import db
from tests.conftest import committing

MINI = (Path(__file__).resolve().parents[1] / "data/mini-course.json").read_text()


@pytest.fixture(autouse=True)
def _fresh_database(clean_db):
    """Every integration test starts from a database that looks empty: its work is rolled
    back at its end, or it commits on emptied tables (``real_commits``; see tests/conftest.py)."""


@pytest.fixture
def published(app, make_user):
    """The example course, published, with its goal and package; returns ids."""
    author = make_user(("admin", "reviewer"), email="author@example.com")
    with committing(app):
        admin = db.session.get(User, author)
        version = transfer.import_document(admin, MINI)
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        goal = db.session.execute(select(Goal)).scalar_one()
        return {"course": version.course_id, "goal": goal.id, "package": goal.packages[0].id,
                "lesson": f"{version.course_id}:listen-lesson", "quiz": f"{version.course_id}:listen-check"}  # fmt: skip


def start_path(client, published, **fields):
    """Choose the example goal on /path/goals (all modalities, 60 minutes a week)."""
    from tests.conftest import submit

    data = {"goals": [str(published["goal"])], "package": "", "weekly_minutes": "60",
            "modalities": ["self_paced", "live", "coaching", "on_the_job"], **fields}  # fmt: skip
    return submit(client, "/path/goals", data)


# Fixtures many tests share: a local push service and a configured VAPID key (for anything that
# sends a push), a real SMTP server a test can stop and start again (the delivery tests), and an
# app on an empty database of its own (what an operator starts from), and a real OpenID provider.
from tests.integration.fresh_install import empty_database_url, fresh_app  # noqa: E402, F401
from tests.integration.oidc_fixtures import openid_provider  # noqa: E402, F401
from tests.integration.outbox_fixtures import mail_server  # noqa: E402, F401
from tests.integration.privacy_fixtures import privacy_uploads, world  # noqa: E402, F401
from tests.integration.test_webpush import push_service, vapid  # noqa: E402, F401
