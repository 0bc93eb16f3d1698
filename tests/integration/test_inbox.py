"""The in-app inbox: messages say why they came, are stored once per key, are read by their
owner only, and Today shows the unread ones."""

import re

from sqlalchemy import func, select

from lxp.channels import in_app
from lxp.channels.in_app import InAppMessage, InAppNote
from lxp.coaching.models import CoachAssignment
from lxp.extensions import db
from tests.conftest import csrf_from, sign_in, submit
from tests.integration.conftest import start_path


def _post(app, user_id, **fields):
    with app.app_context():
        in_app.post(InAppNote(user_id=user_id, **{"category": "celebration", "subject": "Halfway there", **fields}))
        db.session.commit()


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(InAppMessage))


def test_a_message_is_stored_once_per_key_shown_on_today_and_read_by_opening_it(app, client, login_as, published):
    learner = login_as("learner")
    start_path(client, published)
    for _ in range(2):
        _post(app, learner.id, key="milestone:halfway", body="You did **half** of it.", link="/path",
              why="You reached the middle of your path.")  # fmt: skip
    assert _count(app) == 1
    today = client.get("/today").get_data(as_text=True)
    assert "1 unread message" in today and "Halfway there" in today
    message_id = re.search(r'href="/inbox/(\d+)"', today).group(1)
    page = client.get(f"/inbox/{message_id}").get_data(as_text=True)
    assert "<strong>half</strong>" in page and "Why you got this: You reached the middle of your path." in page
    assert 'href="/path"' in page
    assert "unread message" not in client.get("/today").get_data(as_text=True)


def test_mark_all_read_and_nobody_else_reads_them(app, client, login_as, make_user, published):
    other_id = make_user(("learner",), email="other@example.com")
    learner = login_as("learner")
    _post(app, learner.id, subject="First")
    _post(app, learner.id, subject="Second")
    _post(app, other_id, subject="Not yours")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "First" in inbox and "Second" in inbox and "Not yours" not in inbox
    with app.app_context():
        foreign = db.session.execute(select(InAppMessage.id).where(InAppMessage.subject == "Not yours")).scalar_one()
    assert client.get(f"/inbox/{foreign}").status_code == 404
    submit(client, "/inbox/read", {}, form_page="/inbox")
    assert "Mark all as read" not in client.get("/inbox").get_data(as_text=True)
    with app.app_context():
        unread = db.session.scalar(select(func.count()).select_from(InAppMessage).where(InAppMessage.read_at.is_(None)))
        assert unread == 1  # the other person's
    assert client.post("/inbox/read", data={}).status_code == 400  # no CSRF token


def test_a_coachs_answer_lands_in_the_inbox_with_its_reason(app, client, login_as, make_user, published):
    coach_id = make_user(("trainer",), email="coach@example.com", name="Clara Coach", locale="de")
    learner = login_as("learner", locale="de")
    with app.app_context():
        db.session.add(CoachAssignment(learner_id=learner.id, coach_id=coach_id))
        db.session.commit()
    start_path(client, published)
    submit(client, f"/learn/{published['lesson']}/stuck", {"note": ""}, form_page=f"/learn/{published['lesson']}")
    coach = app.test_client()
    sign_in(coach, "coach@example.com")
    request_id = re.search(r"/desk/help/(\d+)", coach.get("/desk").get_data(as_text=True)).group(1)
    page = coach.get(f"/desk/help/{request_id}").get_data(as_text=True)
    coach.post(f"/desk/help/{request_id}/answer", data={"csrf_token": csrf_from(page), "answer": "Hören Sie zu."})
    with app.app_context():
        message = db.session.execute(select(InAppMessage)).scalar_one()
        assert message.category == "reply" and message.user_id == learner.id
        assert message.subject.startswith("Clara Coach hat Ihre Frage")  # in the learner's language
        assert message.link == f"/help#request-{request_id}"
