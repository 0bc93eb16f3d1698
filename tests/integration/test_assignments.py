"""Assigned learning: an admin asks a cohort, a unit, a role or named people for a goal by a due
date; everyone reached (and whoever joins later) finds it on their path, marked as the
organisation's, with its reason and due date."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lxp.accounts import joining
from lxp.accounts.models import User
from lxp.assignments import services as assignments
from lxp.assignments.models import AssignedWork
from lxp.cohorts import services as cohorts
from lxp.core import crypto
from lxp.core.errors import Invalid, NotFound
from lxp.credentials.models import Credential
from lxp.extensions import db
from lxp.paths import services as paths
from tests.conftest import committing
from tests.integration.conftest import start_path


def _assign(app, admin_id, published, **fields):
    with committing(app):
        admin = db.session.get(User, admin_id)
        data = assignments.AssignmentInput(goal_id=published["goal"], package_id=None,
                                           reason=fields.pop("reason", "Everyone new learns to handle complaints."),
                                           audience=fields.pop("audience", "people"), **fields)  # fmt: skip
        return assignments.create_assignment(admin, data).id


def test_a_cohort_assignment_within_14_days_reaches_members_and_later_joiners(app, client, login_as, make_user,
                                                                              published):  # fmt: skip
    admin = make_user(("admin",))
    first = make_user(("learner",), email="first@example.com")
    with committing(app):
        cohort = cohorts.create_cohort(db.session.get(User, admin), "Autumn starters", None, [first]).id
    _assign(app, admin, published, audience="cohort", cohort_id=cohort, due_within_days=14)
    with app.app_context():
        work = db.session.execute(select(AssignedWork)).scalar_one()
        assert work.learner_id == first and work.due_on == date.today() + timedelta(days=14)
    later = make_user(("learner",), email="later@example.com")
    with committing(app):
        owner = db.session.get(User, admin)
        cohort_row = cohorts.cohort_in(owner, cohort)
        assert cohorts.add_members(owner, cohort_row, [first, later]) == 1  # the first is in already
    with app.app_context():
        assert {w.learner_id for w in db.session.execute(select(AssignedWork)).scalars()} == {first, later}

    login_as("learner", email="someone@example.com")  # a stranger to the cohort sees nothing assigned
    assert "Asked by your organisation" not in client.get("/path").get_data(as_text=True)


def test_the_assigned_steps_say_so_with_the_due_date_and_come_before_the_learners_own(app, client, login_as,
                                                                                      make_user, published):  # fmt: skip
    admin = make_user(("admin",))
    learner = login_as("learner")
    start_path(client, published)
    due = date.today() + timedelta(days=20)
    _assign(app, admin, published, people=(learner.id,), due_date=due, reason="Required for the service desk.")
    page = client.get("/path").get_data(as_text=True)
    assert "Asked by your organisation" in page
    assert "Required for the service desk." in page
    with app.app_context():
        journey = paths.open_journey(db.session.get(User, learner.id))
        plan = paths.current_plan(journey)
        assert all(step.assigned_due == due for step in plan.open_steps if not step.optional)
        states = assignments.states_of(db.session.get(User, learner.id))
        assert [s.state for s in states] == ["on_track"]


def test_a_learner_without_a_path_gets_one_with_the_assigned_work(app, client, login_as, make_user, published):
    admin = make_user(("admin",))
    login_as("learner")
    _assign(app, admin, published, audience="role", role="learner", due_within_days=30)
    page = client.get("/path").get_data(as_text=True)
    assert "Asked by your organisation" in page
    assert "What active listening sounds like" in page


def test_a_newly_provisioned_person_of_a_unit_gets_its_assignment_through_the_directory(app, make_user, published):
    admin = make_user(("admin",))
    with committing(app):
        unit = assignments.add_unit(db.session.get(User, admin), "Customer service", None).id
    _assign(app, admin, published, audience="unit", unit_id=unit, due_within_days=14)
    newcomer = make_user(("learner",), email="new@example.com")
    with committing(app):
        joining.person_changed(db.session.get(User, newcomer), department="Customer service")
    with app.app_context():
        work = db.session.execute(select(AssignedWork).where(AssignedWork.learner_id == newcomer)).scalar_one()
        assert work.due_on == date.today() + timedelta(days=14)


def test_finishing_the_work_completes_it_and_a_recertification_sets_its_expiry(app, client, login_as, make_user,
                                                                               published):  # fmt: skip
    from tests.integration.test_learner_journey import _answer

    admin = make_user(("admin",))
    learner = login_as("learner")
    _assign(app, admin, published, people=(learner.id,), due_within_days=30, recertify_months=12)
    with app.app_context():
        journey = paths.open_journey(db.session.get(User, learner.id))
        refs = [s.ref for s in paths.current_plan(journey).open_steps if not s.optional]
    assert published["quiz"] in refs
    with app.app_context():
        assert [s.state for s in assignments.states_of(db.session.get(User, learner.id))] == ["on_track"]
    assert "Passed" in _answer(client, published["quiz"], 0).get_data(as_text=True)
    with app.app_context():
        states = assignments.states_of(db.session.get(User, learner.id))
    assert [s.state for s in states] == ["done"], states
    assert states[0].expires_on == assignments.add_months(date.today(), 12)
    # The completion earns the goal's credential, which expires with the recertification.
    with app.app_context():
        held = db.session.scalars(select(Credential).where(Credential.learner_id == learner.id)).all()
        assert [(c.reason, c.valid_until.date()) for c in held] == [("assignment", states[0].expires_on)]
        assert assignments.issue_missing_credentials() == 0  # nothing left to retry


def test_a_credential_that_could_not_be_signed_is_issued_by_the_next_scheduler_run(app, client, login_as, make_user,
                                                                                   published):  # fmt: skip
    from tests.integration.test_learner_journey import _answer

    admin = make_user(("admin",))
    learner = login_as("learner")
    _assign(app, admin, published, people=(learner.id,), due_within_days=30)
    with app.app_context():
        paths.current_plan(paths.open_journey(db.session.get(User, learner.id)))
    # A production installation without LXP_ENCRYPTION_KEY cannot open or make a signing key.
    keys = app.extensions[crypto._KEYS]
    app.extensions[crypto._KEYS] = []
    try:
        assert "Passed" in _answer(client, published["quiz"], 0).get_data(as_text=True)
        with app.app_context():
            assert [s.state for s in assignments.states_of(db.session.get(User, learner.id))] == ["done"]
            assert db.session.scalars(select(Credential).where(Credential.learner_id == learner.id)).all() == []
    finally:
        app.extensions[crypto._KEYS] = keys
    with committing(app):
        assert assignments.issue_missing_credentials() == 1
    with app.app_context():
        held = db.session.scalars(select(Credential).where(Credential.learner_id == learner.id)).all()
        assert [(c.reason, c.valid_until) for c in held] == [("assignment", None)]


@pytest.mark.parametrize("fields, field", [
    ({"audience": "people", "people": ()}, "people"),
    ({"audience": "role", "role": "wizard"}, "role"),
    ({"audience": "people", "people": (-1,), "due_within_days": 0}, "people"),
])  # fmt: skip
def test_bad_assignments_are_refused_naming_the_field(app, make_user, published, fields, field):
    admin = make_user(("admin",))
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            assignments.create_assignment(db.session.get(User, admin), assignments.AssignmentInput(
                goal_id=published["goal"], package_id=None, reason="", **fields))  # fmt: skip
        assert refused.value.field == field


def test_a_goal_of_another_organisation_cannot_be_assigned(app, make_user, published, other_organisation):
    stranger = make_user(("admin",), organisation_id=other_organisation)
    with app.app_context():
        with pytest.raises(NotFound):
            assignments.create_assignment(db.session.get(User, stranger), assignments.AssignmentInput(
                goal_id=published["goal"], package_id=None, reason="", audience="role", role="learner"))  # fmt: skip


def test_the_completion_report_hides_groups_under_five_and_exports_the_same(app, client, login_as, make_user,
                                                                           published):  # fmt: skip
    admin = login_as("admin")
    shop = [make_user(("learner",)) for _ in range(5)]
    office = [make_user(("learner",)) for _ in range(2)]
    with committing(app):
        owner = db.session.get(User, admin.id)
        for unit_name, people in (("Shop", shop), ("Office", office)):
            unit = assignments.add_unit(owner, unit_name, None)
            for person in people:
                assignments.place_in_unit(db.session.get(User, person), unit)
    _assign(app, admin.id, published, audience="role", role="learner", due_within_days=5)
    page = client.get("/admin/assignments/report").get_data(as_text=True)
    assert "Shop" in page and "Office" in page and "fewer than 5" in page
    rows = client.get("/admin/assignments/report.csv").get_data(as_text=True).splitlines()
    assert rows[0] == "unit,due_window,people,done,overdue,open"
    assert "Office,week,,,," in rows and "Shop,week,5,0,0,5" in rows
    api = {(r["unit"], r["window"]): r["counts"] for r in client.get("/api/v1/admin/assignments/report").get_json()}
    assert api[("Office", "week")]["done"] is None and api[("Shop", "week")]["open"] == 5
