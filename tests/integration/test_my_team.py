"""A manager's My team: their direct reports' assigned work and tasks at work, confirming
practice seen at work, a word of encouragement. Nothing private is ever shown to them, and
nobody else's team is reachable."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from lxp import demo, events
from lxp.accounts.models import User
from lxp.channels.in_app import InAppMessage
from lxp.coaching.models import CoachingMessage, CoachingThread, HelpRequest
from lxp.demo.assignments import MANAGER, TEAM, seed_assignments
from lxp.demo.journeys import seed_journeys
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.managers import services as managers
from lxp.paths import services as paths
from tests.conftest import committing, csrf_from, page_cost, sign_in, submit
from tests.integration.api.conftest import ApiClient, make_token

SECRETS = ("SECRET-reflection-7f3a", "SECRET-pulse-comment-19bd", "SECRET-help-request-55c1",
           "SECRET-coaching-message-a0e2")  # fmt: skip


def _demo(app):
    with committing(app):
        demo.seed()
        demo.seed_courses()
        seed_journeys()
        seed_assignments()


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _private_texts_of_the_team(app) -> set[str]:
    """Write one private text of each kind for every team member; return them, and every
    private text the demo already holds for them."""
    with committing(app):
        found = set()
        for email, _since, _due in TEAM:
            person = _user(email)
            journey = paths.open_journey(person)
            step = paths.current_plan(journey).steps[0]
            tag = person.email.split("@")[0]
            reflection, pulse, help_note, message = (f"{secret}-{tag}" for secret in SECRETS)
            events.record(actor_id=person.id, verb="responded", object_type="item", object_id=step.ref,
                          result={"response": reflection}, context={"journey": journey.id})  # fmt: skip
            events.record(actor_id=person.id, verb="responded", object_type="item", object_id=step.ref,
                          result={"response": pulse, "extensions": {"mood": 2}},
                          context={"journey": journey.id, "pulse": True})  # fmt: skip
            db.session.add(HelpRequest(organisation_id=person.organisation_id, learner_id=person.id, item_ref=step.ref,
                                       item_title=step.title, note=help_note))  # fmt: skip
            thread = CoachingThread(organisation_id=person.organisation_id, learner_id=person.id, journey_id=journey.id)
            db.session.add(thread)
            db.session.flush()
            db.session.add(CoachingMessage(thread_id=thread.id, author_id=person.id, body=message))
            found |= {reflection, pulse, help_note, message}
        team = [_user(email).id for email, *_ in TEAM]
        found |= {r["response"] for r in db.session.execute(
            select(LearningEvent.result).where(LearningEvent.actor_id.in_(team), LearningEvent.verb == "responded")
        ).scalars() if r and isinstance(r.get("response"), str) and len(r["response"]) > 12}  # fmt: skip
        found |= {n for n in db.session.execute(select(HelpRequest.note).where(HelpRequest.learner_id.in_(team))).scalars()
                  if len(n) > 12}  # fmt: skip
        found |= {b for b in db.session.execute(select(CoachingMessage.body).join(CoachingThread)
                                                .where(CoachingThread.learner_id.in_(team))).scalars() if len(b) > 12}  # fmt: skip
        return found


def test_the_demo_manager_sees_one_at_risk_one_overdue_one_done(app, client):
    _demo(app)
    sign_in(client, MANAGER, demo.DEMO_PASSWORD)
    page = client.get("/team").get_data(as_text=True)
    states = dict(
        re.findall(r'data-member="\d+" data-worst="(\w+)" aria-labelledby="[^"]+">\s*<h2[^>]*>([^<]+)<', page)
    )
    assert {name: state for state, name in states.items()} == {
        "Jana Koch": "at_risk", "Felix Braun": "overdue", "Tobias Wagner": "done"}  # fmt: skip
    assert page.index("Felix Braun") < page.index("Jana Koch") < page.index("Tobias Wagner")  # overdue first


def test_every_page_a_manager_can_reach_keeps_the_teams_private_texts_private(app, client):
    _demo(app)
    secrets = _private_texts_of_the_team(app)
    assert len(secrets) >= 12
    sign_in(client, MANAGER, demo.DEMO_PASSWORD)
    seen, todo, opened = set(), ["/", "/team", "/me", "/inbox", "/api/v1/me", "/api/v1/team"], 0
    while todo and opened < 80:
        address = todo.pop(0)
        if address in seen:
            continue
        seen.add(address)
        response = client.get(address, follow_redirects=True)
        opened += 1
        body = response.get_data(as_text=True)
        for secret in secrets:
            assert secret not in body, f"{address} shows a private text: {secret[:40]}"
        if response.mimetype == "text/html":
            for link in re.findall(r'href="(/[^"#]*)"', body):
                path = urlsplit(link).path
                if not path.startswith(("/static", "/logout")) and path not in seen:
                    todo.append(path)
    assert opened >= 5


def test_confirming_practice_counts_as_evidence_and_moves_the_path(app, client):
    _demo(app)
    with app.app_context():
        jana = _user(TEAM[0][0])
        task = managers.member_view(jana).tasks[0]
    sign_in(client, MANAGER, demo.DEMO_PASSWORD)
    page = client.get("/team").get_data(as_text=True)
    response = submit(client, f"/team/{jana.id}/confirm", {"ref": task.ref, "note": "Saw it at the till."},
                      form_page="/team")  # fmt: skip
    assert response.status_code == 302
    assert "Bestätigt" in client.get("/team").get_data(as_text=True)  # Katrin reads German
    with app.app_context():
        passed = db.session.scalar(select(LearningEvent).where(
            LearningEvent.actor_id == jana.id, LearningEvent.verb == "passed", LearningEvent.object_id == task.ref))  # fmt: skip
        assert passed.context["observed_by_manager"] == _user(MANAGER).id
        assert task.ref not in [t.ref for t in managers.member_view(_user(TEAM[0][0])).tasks]
        note = db.session.scalar(select(InAppMessage).where(InAppMessage.user_id == jana.id,
                                                            InAppMessage.key.like("observed:%")))  # fmt: skip
        assert "Katrin Vogel" in note.subject and "Praxis" in note.subject  # in her German
    assert page  # the form was on the page


def test_encouragement_arrives_once_a_day_and_never_for_someone_elses_report(app, client, make_user):
    _demo(app)
    with app.app_context():
        jana = _user(TEAM[0][0])
        stranger = _user("marcus.johnson@northwind.example")
    sign_in(client, MANAGER, demo.DEMO_PASSWORD)
    client.get("/team")
    token = csrf_from(client.get("/team").get_data(as_text=True))
    first = client.post(f"/team/{jana.id}/encourage", data={"csrf_token": token, "message": "Weiter so!"})
    again = client.post(f"/team/{jana.id}/encourage", data={"csrf_token": token, "message": "Noch mal!"})
    assert first.status_code == again.status_code == 302
    assert client.post(f"/team/{stranger.id}/encourage", data={"csrf_token": token, "message": "Hi"}).status_code == 404
    assert client.post(f"/team/{stranger.id}/confirm", data={"csrf_token": token, "ref": "1:x"}).status_code == 404
    with app.app_context():
        words = db.session.scalars(select(InAppMessage.body).where(InAppMessage.key.like("encourage:%"))).all()
        assert words == ["Weiter so!"]


def test_learners_and_trainers_have_no_team_page(app, client, login_as):
    login_as("learner", "trainer")
    assert client.get("/team").status_code == 403


def test_reporting_lines_from_a_csv_upload_are_all_or_nothing(app, client, login_as, make_user):
    import io

    make_user(("learner",), email="ann@example.com")
    make_user(("learner",), email="bo@example.com", name="Bo Boss")
    login_as("admin")
    page = client.get("/admin/reporting-lines").get_data(as_text=True)
    bad = b"email,manager_email,unit\nann@example.com,bo@example.com,Shop\nnobody@example.com,bo@example.com,\n"
    client.post("/admin/reporting-lines/upload", data={"csrf_token": csrf_from(page),
                "file": (io.BytesIO(bad), "lines.csv")}, content_type="multipart/form-data")  # fmt: skip
    with app.app_context():
        assert managers.manager_of(_user("ann@example.com").id) is None
    good = b"email,manager_email,unit\nann@example.com,bo@example.com,Shop\n"
    response = client.post("/admin/reporting-lines/upload", data={"csrf_token": csrf_from(page),
                           "file": (io.BytesIO(good), "lines.csv")}, content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        boss = managers.manager_of(_user("ann@example.com").id)
        assert boss.display_name == "Bo Boss" and boss.has_role("manager")


def test_the_api_gives_a_manager_their_team_and_nobody_else_it(app, client, login_as):
    _demo(app)
    sign_in(client, MANAGER, demo.DEMO_PASSWORD)
    team = client.get("/api/v1/team").get_json()
    assert {m["display_name"]: m["state"] for m in team} == {
        "Jana Koch": "at_risk", "Felix Braun": "overdue", "Tobias Wagner": "done"}  # fmt: skip
    assert all(set(m) == {"user_id", "display_name", "state", "assignments", "tasks", "may_need_support"} for m in team)
    learner = app.test_client()
    sign_in(learner, "lena.fischer@northwind.example", demo.DEMO_PASSWORD)
    response = learner.get("/api/v1/team")
    assert response.status_code == 403 and response.mimetype == "application/problem+json"


def _outbox():
    from lxp.nudges.models import OutboxMessage

    return {(m.user_id, m.rule): m for m in db.session.scalars(select(OutboxMessage)).all()}


def test_soon_due_and_overdue_work_reach_the_learner_and_the_manager_only_when_allowed(app):
    from lxp.assignments.models import ReportingLine
    from lxp.nudges.planning import plan_touchpoints

    _demo(app)
    with committing(app):
        jana, felix, manager = _user(TEAM[0][0]), _user(TEAM[1][0]), _user(MANAGER)
        plan_touchpoints()
        outbox = _outbox()
        assert (jana.id, "assignment_due") in outbox and (felix.id, "assignment_overdue") in outbox
        overdue = outbox[(felix.id, "assignment_overdue")]
        assert overdue.subject.startswith("Noch offen") and "Kundschaft bleibt" in overdue.subject  # in Felix's German
        assert "Organisation" in overdue.why  # why it came: the organisation asked for it by a date
        assert (manager.id, "assignment_manager") not in outbox  # Felix did not allow it
        db.session.get(ReportingLine, felix.id).share_progress = True
    with committing(app):
        plan_touchpoints()
        plan_touchpoints()  # a second tick adds nothing
        outbox = _outbox()
        told = [key for key in outbox if key == (manager.id, "assignment_manager")]
        assert len(told) == 1 and "Felix Braun" in outbox[told[0]].subject
        assert "which you asked for" not in outbox[told[0]].why  # the organisation asked, not the manager
        assert (jana.id, "assignment_overdue") not in outbox  # not overdue


def test_a_manager_hears_of_overdue_work_they_asked_for_as_their_own_request(app, client, make_user, published):
    from datetime import date, timedelta

    from lxp.assignments.models import AssignedWork, ReportingLine
    from lxp.nudges.planning import plan_touchpoints

    manager, ann, _bo = _team_with_manager(app, make_user)
    sign_in(client, "mia@example.com")
    page = client.get("/team").get_data(as_text=True)
    response = client.post("/team/assign", data={"csrf_token": csrf_from(page), "goal": published["goal"],
                           "people": [ann], "due_date": (date.today() + timedelta(days=1)).isoformat()})  # fmt: skip
    assert response.status_code == 302
    with committing(app):
        db.session.scalar(select(AssignedWork).where(AssignedWork.learner_id == ann)).due_on = date.today() - timedelta(
            days=10)  # fmt: skip
        db.session.get(ReportingLine, ann).share_progress = True
    with committing(app):
        plan_touchpoints()
        told = _outbox()[(manager, "assignment_manager")]
        assert "Ann" in told.subject
        assert "which you asked for" in told.why and "organisation" not in told.why


def _team_with_manager(app, make_user):
    """A manager (Mia) with one report (Ann), and Bo who reports to nobody: their ids."""
    manager = make_user(("learner",), email="mia@example.com", name="Mia Manager")
    ann = make_user(("learner",), email="ann@example.com", name="Ann Report")
    bo = make_user(("learner",), email="bo@example.com", name="Bo Elsewhere")
    with committing(app):
        managers.set_line(db.session.get(User, ann), db.session.get(User, manager))
    return manager, ann, bo


def test_a_manager_assigns_learning_to_their_report_who_finds_it_on_the_path_and_is_reminded(app, client, make_user,
                                                                                              published):  # fmt: skip
    from datetime import date, timedelta

    from lxp.assignments.models import AssignedWork
    from lxp.nudges.models import OutboxMessage
    from lxp.nudges.planning import plan_touchpoints

    manager, ann, _bo = _team_with_manager(app, make_user)
    sign_in(client, "mia@example.com")
    page = client.get("/team").get_data(as_text=True)
    assert "Assign learning to your team" in page and "Bo Elsewhere" not in page
    assert f'<option value="{published["package"]}">' in page  # a package of the goal, not only the whole goal
    due = date.today() + timedelta(days=2)
    response = client.post("/team/assign", data={"csrf_token": csrf_from(page), "goal": published["goal"],
                           "package": published["package"], "people": [ann], "due_date": due.isoformat(),
                           "reason": "Before the new till arrives."})  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        work = db.session.scalar(select(AssignedWork).where(AssignedWork.learner_id == ann))
        assert work.due_on == due and work.assignment.created_by_id == manager
        assert work.assignment.package_id == published["package"]
        package_title = work.assignment.package.title
    learner = app.test_client()
    sign_in(learner, "ann@example.com")
    path = learner.get("/path").get_data(as_text=True)
    assert "Before the new till arrives." in path and package_title in path
    assert "asked by your manager Mia Manager" in path and "Asked by your organisation" not in path
    assert f"Asked by your manager Mia Manager: \u201c{package_title}\u201d, due" in path  # on the package's steps
    today = learner.get("/today").get_data(as_text=True)  # Today says the same of the next step
    assert f"Asked by your manager Mia Manager: \u201c{package_title}\u201d, due" in today
    ann_api = ApiClient(app, make_token(app, ann), ann)
    next_step = ann_api.get("/api/v1/today").json["next_step"]
    assert any(r["text"].startswith("Asked by your manager Mia Manager") for r in next_step["reasons"])
    steps = ann_api.get("/api/v1/path").json["steps"]
    assert any(r["text"].startswith("Asked by your manager Mia Manager") for s in steps for r in s["reasons"])
    with committing(app):
        plan_touchpoints()
        told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == ann,
                                                              OutboxMessage.rule == "assignment_due")).all()  # fmt: skip
        assert len(told) == 1 and told[0].occurrence == f"assignment-due:{work.id}"
        assert told[0].body.startswith(f"Your manager Mia Manager asked you for \u201c{package_title}\u201d by ")
        assert told[0].why.startswith("Your manager Mia Manager asked you for") and "organisation" not in told[0].why
        db.session.get(User, ann).locale = "de"
    german = learner.get("/path").get_data(as_text=True)  # and in the learner's language
    assert "von Ihrer Führungskraft Mia Manager gewünscht" in german and "Von Ihnen gewünscht" in german


def test_a_manager_cannot_assign_learning_to_someone_who_does_not_report_to_them(app, client, make_user, login_as,
                                                                                  published):  # fmt: skip
    from datetime import date, timedelta

    import pytest

    from lxp.assignments import services as assignments
    from lxp.assignments.models import Assignment
    from lxp.core.errors import Invalid, NotAllowed

    manager, ann, bo = _team_with_manager(app, make_user)
    sign_in(client, "mia@example.com")
    page = client.get("/team").get_data(as_text=True)
    due = (date.today() + timedelta(days=20)).isoformat()
    refused = client.post("/team/assign", data={"csrf_token": csrf_from(page), "goal": published["goal"],
                                                "people": [ann, bo], "due_date": due})  # fmt: skip
    assert refused.status_code == 403
    refused = client.post("/team/assign", data={"csrf_token": csrf_from(page), "goal": published["goal"],
                                                "package": published["package"], "people": [bo], "due_date": due})  # fmt: skip
    assert refused.status_code == 403  # a package of the goal, for someone else's report: refused the same
    assert "only to people who report to you" in refused.get_data(as_text=True)
    no_date = client.post("/team/assign", data={"csrf_token": csrf_from(page), "goal": published["goal"],
                                                "people": [ann]})  # fmt: skip
    assert no_date.status_code == 400 and "Give a due date" in no_date.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Assignment)).all() == []
        data = assignments.AssignmentInput(goal_id=published["goal"], package_id=None, reason="", audience="role",
                                           role="learner", due_within_days=5)  # fmt: skip
        with pytest.raises(Invalid):  # a manager asks named people of their team, never a whole role
            assignments.create_team_assignment(db.session.get(User, manager), data)
        with pytest.raises(NotAllowed):  # Ann manages nobody
            assignments.create_team_assignment(db.session.get(User, ann), data)
    other = app.test_client()
    sign_in(other, "ann@example.com")
    assert other.post("/team/assign", data={"goal": published["goal"], "people": [bo]}).status_code in (400, 403)


def test_a_manager_assigns_a_package_through_the_api_only_to_their_own_reports(app, make_user, published):
    from datetime import date, timedelta

    from lxp.assignments.models import AssignedWork, Assignment
    from tests.integration.api.conftest import ApiClient, make_token

    manager, ann, bo = _team_with_manager(app, make_user)
    client = ApiClient(app, make_token(app, manager), manager)
    due = (date.today() + timedelta(days=10)).isoformat()
    body = {"goal_id": published["goal"], "package_id": published["package"], "people": [ann], "due_date": due,
            "reason": "Before the new till arrives."}  # fmt: skip
    refused = client.post("/api/v1/team/assignments", json={**body, "people": [ann, bo]})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert client.post("/api/v1/team/assignments", json={**body, "due_date": None}).status_code == 400
    with app.app_context():
        assert db.session.scalars(select(Assignment)).all() == []  # nothing made by the refusals
    made = client.post("/api/v1/team/assignments", json=body)
    assert made.status_code == 201, made.get_json()
    assert (made.get_json()["package_id"], made.get_json()["audience"]) == (published["package"], "people")
    with app.app_context():
        work = db.session.scalar(select(AssignedWork).where(AssignedWork.learner_id == ann))
        assert work.assignment.by_manager and work.assignment.package_id == published["package"]
    learner = ApiClient(app, make_token(app, ann), ann)
    assert learner.post("/api/v1/team/assignments", json={**body, "people": [bo]}).status_code == 403
    assert (
        ApiClient(app, make_token(app, manager, scopes=("read",)), manager)
        .post("/api/v1/team/assignments", json=body)
        .status_code
        == 403
    )  # a read-only token writes nothing


def test_the_demo_manager_has_asked_a_report_for_more_herself(app, client):
    from lxp.assignments.models import AssignedWork, Assignment
    from lxp.demo.assignments import MANAGERS_REASON

    _demo(app)
    with app.app_context():
        katrin = _user(MANAGER)
        mine = db.session.scalar(select(Assignment).where(Assignment.created_by_id == katrin.id))
        assert mine.reason == MANAGERS_REASON and [p.email for p in mine.people] == [TEAM[1][0]]
        assert mine.by_manager and mine.package.slug == "essentials"  # a package of the goal
        assert db.session.scalar(select(AssignedWork).where(AssignedWork.assignment_id == mine.id)).due_on
    sign_in(client, TEAM[1][0], demo.DEMO_PASSWORD)  # Felix reads German: his path names who asked
    assert "von Ihrer Führungskraft Katrin Vogel gewünscht" in client.get("/path").get_data(as_text=True)


def test_my_team_reads_the_whole_team_together(app, client):
    """The team page reads its reports' journeys and assigned work for everyone at once (and
    the goals to assign with their courses and packages together): as many statements for a
    team of three as for a team of one."""
    from sqlalchemy import delete

    from lxp.assignments.models import ReportingLine

    _demo(app)
    sign_in(client, MANAGER, demo.DEMO_PASSWORD)
    three, page = page_cost(app, client, "/team")
    with committing(app):
        team = [_user(email) for email, *_ in TEAM]
        assert len(team) == 3 and all(person.display_name in page for person in team)
        db.session.execute(delete(ReportingLine).where(ReportingLine.user_id.in_([p.id for p in team[1:]])))
    one, page = page_cost(app, client, "/team")
    assert team[0].display_name in page and team[1].display_name not in page
    assert one == three
