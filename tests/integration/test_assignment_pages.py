"""The admin's assignment pages and the learner's say over what their manager hears."""

from datetime import date, timedelta

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.assignments import services as assignments
from lxp.assignments.models import AssignedWork, ReportingLine
from lxp.extensions import db
from lxp.managers import services as managers
from tests.conftest import committing, csrf_from, submit


def test_an_admin_assigns_a_goal_to_named_people_from_the_page(app, client, login_as, make_user, published):
    learner = make_user(("learner",), name="Nina New")
    login_as("admin")
    page = client.get("/admin/assignments").get_data(as_text=True)
    assert "Nothing assigned yet" in page
    due = (date.today() + timedelta(days=21)).isoformat()
    response = submit(client, "/admin/assignments", {"goal": str(published["goal"]), "package": "", "reason": "Für alle.",
                      "audience": "people", "people": [str(learner)], "due_date": due}, form_page="/admin/assignments")  # fmt: skip
    assert response.status_code == 302
    page = client.get("/admin/assignments").get_data(as_text=True)
    assert "Für alle." in page and "fewer than 5" in page  # one person: no figures
    with app.app_context():
        work = db.session.execute(select(AssignedWork)).scalar_one()
        assert work.learner_id == learner and work.due_on.isoformat() == due


def test_a_bad_assignment_form_shows_again_with_the_error_and_nothing_is_kept(app, client, login_as, published):
    admin = login_as("admin")
    past = (date.today() - timedelta(days=1)).isoformat()
    response = submit(client, "/admin/assignments", {"goal": str(published["goal"]), "package": "", "reason": "",
                      "audience": "role", "role": "learner", "due_date": past}, form_page="/admin/assignments")  # fmt: skip
    assert response.status_code == 400 and "Choose a due date in the future." in response.get_data(as_text=True)
    with app.app_context():
        assert assignments.assignments_of(admin.organisation_id) == []


def test_the_learner_decides_whether_the_manager_hears_of_overdue_work(app, client, login_as, make_user, published):
    boss = make_user(("manager",), name="Bea Boss")
    learner = login_as("learner")
    with committing(app):
        managers.set_line(db.session.get(User, learner.id), db.session.get(User, boss))
    admin_id = make_user(("admin",))
    with committing(app):
        assignments.create_assignment(db.session.get(User, admin_id), assignments.AssignmentInput(
            goal_id=published["goal"], package_id=None, reason="", audience="people", people=(learner.id,),
            due_within_days=10))  # fmt: skip
    page = client.get("/path").get_data(as_text=True)
    assert 'data-sharing="off"' in page and "Bea Boss does not hear" in page
    client.post("/path/manager-sharing", data={"csrf_token": csrf_from(page), "allow": "1"})
    with app.app_context():
        assert db.session.get(ReportingLine, learner.id).share_progress is True
    page = client.get("/path").get_data(as_text=True)
    assert 'data-sharing="on"' in page
    client.post("/path/manager-sharing", data={"csrf_token": csrf_from(page)})
    with app.app_context():
        assert db.session.get(ReportingLine, learner.id).share_progress is False


def test_a_manager_of_another_organisation_is_refused(app, make_user, other_organisation):
    import pytest

    from lxp.core.errors import Invalid

    person = make_user(("learner",))
    stranger = make_user(("manager",), organisation_id=other_organisation)
    with app.app_context():
        with pytest.raises(Invalid):
            managers.set_line(db.session.get(User, person), db.session.get(User, stranger))


def test_the_scheduler_reaches_people_the_word_missed_and_reopens_recertifications(app, make_user, published):
    from datetime import UTC, datetime

    from lxp.assignments.models import UnitMember

    admin = make_user(("admin",))
    with committing(app):
        owner = db.session.get(User, admin)
        unit = assignments.add_unit(owner, "Depot", None)
        assignment = assignments.create_assignment(owner, assignments.AssignmentInput(
            goal_id=published["goal"], package_id=None, reason="", audience="unit", unit_id=unit.id,
            due_within_days=7, recertify_months=12))  # fmt: skip
        unit_id, assignment_id = unit.id, assignment.id
    late = make_user(("learner",))
    with committing(app):  # put in the unit behind the services' back, as an import script might
        db.session.add(UnitMember(user_id=late, unit_id=unit_id))
    with committing(app):
        assert assignments.sync_all() == 1
        assert assignments.sync_all() == 0
        work = db.session.scalar(select(AssignedWork).where(AssignedWork.learner_id == late))
        work.completed_at = datetime(2025, 1, 1, tzinfo=UTC)
        work.expires_on = date.today() + timedelta(days=10)
    with committing(app):
        assert assignments.sync_all() == 1  # a second cycle, due when the first expires
        cycles = db.session.scalars(select(AssignedWork).where(AssignedWork.learner_id == late)
                                    .order_by(AssignedWork.cycle)).all()  # fmt: skip
        assert [c.cycle for c in cycles] == [1, 2] and cycles[1].due_on == date.today() + timedelta(days=10)
        assert cycles[1].assignment_id == assignment_id
        states = assignments.states_of(db.session.get(User, late))
        assert [s.state for s in states] == ["on_track"] and states[0].open_steps > 0  # its steps are open again
