"""Every route of the cohort spaces, opened with the real ids of cohort A's space by people
who must not see it: a learner of another cohort, and a learner, trainer and admin of another
organisation. Each gets a 404 (or a 403 where the route is not for their role), never the
space, and nothing is written. New routes join the walk on their own."""

import re

import pytest
from sqlalchemy import func, select

from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.social.models import SpacePost, SpaceReport, SpaceSetting, SpaceThread
from tests.conftest import committing, csrf_from, submit
from tests.integration.conftest import start_path
from tests.integration.social_fixtures import _client, world_fixture  # noqa: F401  (fixtures)


def _social_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("social."):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, rule.rule


def _fill(rule: str, ids: dict) -> str:
    return re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule)


# Routes that act only on the signed-in person's own work, never on a space by its id.
OWN_WORK_ONLY = {"social.share": "shares one's own reflection or evidence (test_social_sharing.py)"}


def _counts(app):
    with committing(app):
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (SpaceThread, SpacePost, SpaceReport, SpaceSetting, LearningEvent))  # fmt: skip


@pytest.mark.parametrize("who", ["ben@example.com", "far@other.example", "out@other.example", "faradmin@other.example"])
def test_nobody_outside_the_cohort_reaches_its_space_by_any_route(app, world, make_user, who):
    make_user(("admin",), email="faradmin@other.example", organisation_id=db_org(app, world["far"]))
    lena = _client(app, "lena@example.com")
    start_path(lena, world)
    submit(lena, f"/learn/{world['quiz']}/stuck/cohort", {"note": "stuck"}, form_page=f"/learn/{world['quiz']}")
    mia = _client(app, "mia@example.com")
    with committing(app):
        thread_id = db.session.scalar(select(SpaceThread.id))
    submit(mia, f"/spaces/threads/{thread_id}/replies", {"body": "try this"}, form_page=f"/spaces/threads/{thread_id}")
    with committing(app):
        post_id = db.session.scalar(select(SpacePost.id).where(SpacePost.author_id == world["mia"]))
    ids = {
        "cohort_id": world["a"],
        "course_id": world["course"],
        "thread_id": thread_id,
        "post_id": post_id,
        "ref": world["quiz"],
    }
    client = _client(app, who)
    token = csrf_from(client.get("/me").get_data(as_text=True))
    before = _counts(app)  # after signing in, which is an event of its own
    walked = 0
    for endpoint, method, rule in _social_routes(app):
        if "<" not in rule or endpoint in OWN_WORK_ONLY:
            continue  # lists of one's own spaces and the queue: checked below
        data = {"csrf_token": token, "body": "x", "title": "x", "note": "x", "enabled": "off", "reason": "x"}
        response = client.open(_fill(rule, ids), method=method, data=data if method == "POST" else None)
        assert response.status_code in (403, 404), (who, endpoint, method, response.status_code)
        walked += 1
    assert walked >= 12
    assert _counts(app) == before
    assert "Cohort A" not in client.get("/spaces").get_data(as_text=True)
    queue = client.get("/spaces/moderation")
    assert queue.status_code == 403 or "try this" not in queue.get_data(as_text=True)
    assert "try this" not in client.get(f"/learn/{world['quiz']}").get_data(as_text=True)


def db_org(app, user_id):
    from lxp.accounts.models import User

    with committing(app):
        return db.session.get(User, user_id).organisation_id
