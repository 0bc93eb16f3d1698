"""Issue 15's "done when": on an empty database an operator migrates and runs `flask lxp init`
through the CLI; the admin opens the printed link, chooses a password, imports a course,
publishes it and invites a learner, who accepts and finds the course on Today. No demo data."""

import re

from sqlalchemy import select

from lxp.accounts.models import Organisation, User
from lxp.authoring.models import Course
from lxp.extensions import db
from tests.conftest import submit
from tests.integration.fresh_install import migrate, sign_in_link


def test_a_new_organisation_goes_from_an_empty_database_to_a_learner_on_the_course(fresh_app, mailbox):
    cli = fresh_app.test_cli_runner()
    migrate(fresh_app)  # flask db upgrade
    init = cli.invoke(args=["lxp", "init", "--organisation", "hansa", "--name", "Hansa Logistics",
                            "--admin", "anna.admin@hansa.example", "--admin-name", "Anna Admin"])  # fmt: skip
    assert init.exit_code == 0, init.output

    admin = fresh_app.test_client()
    link = sign_in_link(init.output)
    chosen = submit(admin, link, {"password": "harbour cranes 2027", "confirm": "harbour cranes 2027"})
    assert chosen.headers["Location"] == "/admin/users"

    imported = cli.invoke(args=["lxp", "course", "import", "tests/data/mini-course.json"])
    assert imported.exit_code == 0, imported.output
    assert imported.output == "imported 'listening-basics' as version 1 (draft)\n"
    courses = admin.get("/admin/courses").get_data(as_text=True)
    course_path = re.search(r'href="(/admin/courses/\d+)"', courses).group(1)
    assert "Listening so customers feel heard" in courses

    # The first admin also reviews: alone, they can publish their own course.
    assert submit(admin, f"{course_path}/submit", {}, form_page=course_path).status_code == 302
    assert submit(admin, f"{course_path}/approve", {}, form_page=course_path).status_code == 302
    assert "Published." in admin.get(course_path).get_data(as_text=True)

    invited = submit(admin, "/admin/users/invite", {"email": "lars.learner@hansa.example",
                     "display_name": "Lars Learner", "roles": ["learner"], "locale": "en", "timezone": "Europe/Berlin"})  # fmt: skip
    assert invited.status_code == 302
    [mail] = mailbox.to("lars.learner@hansa.example")
    assert "Hansa Logistics" in mailbox.text_of(mail)

    learner = fresh_app.test_client()
    invitation = mailbox.link_in(mail)
    accepted = submit(learner, invitation, {"password": "forklift safety 1", "confirm": "forklift safety 1"})
    assert accepted.headers["Location"] == "/today"
    assert "Choose a goal" in learner.get("/today").get_data(as_text=True)
    goals = learner.get("/path/goals").get_data(as_text=True)
    assert "Handle a complaint so the customer stays" in goals
    goal_id = re.search(r'name="goals" type="checkbox" value="(\d+)"', goals).group(1)
    chose = submit(learner, "/path/goals", {"goals": [goal_id], "package": "", "weekly_minutes": "60",
                   "modalities": ["self_paced", "live", "coaching", "on_the_job"]})  # fmt: skip
    assert chose.headers["Location"] == "/path"
    today = learner.get("/today").get_data(as_text=True)
    assert "What active listening sounds like" in today[today.index("Your next step") :]

    with fresh_app.app_context():  # nothing but what the operator and the admin made
        assert db.session.execute(select(Organisation.slug)).scalars().all() == ["hansa"]
        assert sorted(db.session.execute(select(User.email)).scalars()) == [
            "anna.admin@hansa.example", "lars.learner@hansa.example"]  # fmt: skip
        assert db.session.execute(select(Course.slug)).scalars().all() == ["listening-basics"]
