"""A session scheduled for one cohort: its members see it and register; nobody else sees it,
and the planner offers it only to them."""

from lxp.accounts.models import User
from lxp.cohorts import services as cohorts
from lxp.extensions import db
from tests.conftest import committing
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    live_course_fixture,
    person_fixture,
    plan_of,
    post_on,
    register,
    schedule,
    soon,
    start_path,
    statuses,
    trainer_fixture,
)


def test_a_session_for_a_cohort_is_theirs_alone(app, live_course, trainer, person, make_user):
    member_client, member = person(email="member@example.com")
    outsider_client, outsider = person(email="outsider@example.com")
    for client in (member_client, outsider_client):
        start_path(client, live_course)
    admin_id = make_user(("admin",), email="admin@example.com")
    with committing(app):
        cohort = cohorts.create_cohort(db.session.get(User, admin_id), "Spring 2027", member_ids=[member])
        cohort_id = cohort.id
    trainer_client, _ = person(("trainer",), email="second-trainer@example.com")
    page = trainer_client.get("/trainer/sessions/new").get_data(as_text=True)
    assert "The cohort \u201cSpring 2027\u201d only" in page

    (session_id,) = schedule(app, trainer, live_course["live"], soon(6), cohort_id=cohort_id)
    assert f"/sessions/{session_id}" in member_client.get("/sessions").get_data(as_text=True)
    assert f"/sessions/{session_id}" not in outsider_client.get("/sessions").get_data(as_text=True)
    assert f"/sessions/{session_id}" not in outsider_client.get(f"/sessions/item/{live_course['live']}").get_data(
        as_text=True
    )
    assert outsider_client.get(f"/sessions/{session_id}").status_code == 404
    token_page = "/sessions"
    refused = post_on(outsider_client, token_page, f"/sessions/{session_id}/register")
    assert refused.status_code == 404
    register(member_client, session_id)
    assert statuses(app, session_id) == {member: "registered"}
    # Only the member's path is planned on that date; the outsider's uses the self-paced way.
    member_steps = {step.ref for step in plan_of(app, member).steps}
    outsider_steps = {step.ref for step in plan_of(app, outsider).steps}
    assert live_course["live"] in member_steps and live_course["live"] not in outsider_steps
    assert live_course["alt"] in outsider_steps
