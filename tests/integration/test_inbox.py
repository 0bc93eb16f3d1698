"""The in-app inbox: messages say why they came, are stored once per key, are read by their
owner only, and Today shows the unread ones."""

import re

from sqlalchemy import func, select

from lxp.channels import in_app
from lxp.channels.in_app import InAppMessage, InAppNote
from lxp.coaching.models import CoachAssignment
from lxp.extensions import db
from tests.conftest import committing, csrf_from, sign_in, submit
from tests.integration.conftest import start_path


def _post(app, user_id, **fields):
    with committing(app):
        in_app.post(InAppNote(user_id=user_id, **{"category": "celebration", "subject": "Halfway there", **fields}))
        db.session.commit()


def _count(app):
    with committing(app):
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
    message_id = re.search(r'action="/inbox/(\d+)/open"', today).group(1)
    # Showing the message changes nothing; it offers "Mark as read"
    page = client.get(f"/inbox/{message_id}").get_data(as_text=True)
    assert "<strong>half</strong>" in page and "Why you got this: You reached the middle of your path." in page
    assert 'href="/path"' in page and "Mark as read" in page
    assert "1 unread message" in client.get("/today").get_data(as_text=True)
    # Opening it from Today (a POST) marks it read and shows it.
    opened = client.post(f"/inbox/{message_id}/open", data={"csrf_token": csrf_from(today)})
    assert opened.status_code == 302 and opened.location.endswith(f"/inbox/{message_id}")
    assert "Mark as read" not in client.get(opened.location).get_data(as_text=True)
    assert "unread message" not in client.get("/today").get_data(as_text=True)


def test_opening_a_message_that_leads_somewhere_goes_there_and_the_page_there_offers_mark_as_read(
    app, client, login_as, published
):
    learner = login_as("learner")
    start_path(client, published)
    _post(app, learner.id, key="feedback:1", subject="Feedback on your path", link="/path")
    _post(app, learner.id, key="feedback:2", subject="More feedback", link="/path#feedback")
    path = client.get("/path").get_data(as_text=True)
    assert "2 new messages about your path." in path and "data-mark-read-on-load" in path
    assert "2 unread messages" in client.get("/today").get_data(as_text=True)  # showing /path wrote nothing
    marked = client.post("/inbox/read-at", data={"csrf_token": csrf_from(path), "path": "/path"},
                         headers={"X-Requested-With": "fetch"})  # fmt: skip
    assert marked.status_code == 204  # what the page's script sends on load
    assert "new messages about your path" not in client.get("/path").get_data(as_text=True)
    assert "unread message" not in client.get("/today").get_data(as_text=True)
    _post(app, learner.id, key="feedback:3", subject="Once more", link="/path")
    inbox = client.get("/inbox").get_data(as_text=True)
    message_id = re.search(r'action="/inbox/(\d+)/open"', inbox).group(1)
    opened = client.post(f"/inbox/{message_id}/open", data={"csrf_token": csrf_from(inbox), "to": "link"})
    assert opened.status_code == 302 and opened.location.endswith("/path")
    assert "unread message" not in client.get("/today").get_data(as_text=True)
    assert (
        client.post(
            "/inbox/read-at", data={"csrf_token": csrf_from(inbox), "path": "https://evil.example/"}
        ).status_code
        == 400
    )


def test_mark_all_read_and_nobody_else_reads_them(app, client, login_as, make_user, published):
    other_id = make_user(("learner",), email="other@example.com")
    learner = login_as("learner")
    _post(app, learner.id, subject="First")
    _post(app, learner.id, subject="Second")
    _post(app, other_id, subject="Not yours")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "First" in inbox and "Second" in inbox and "Not yours" not in inbox
    with committing(app):
        foreign = db.session.execute(select(InAppMessage.id).where(InAppMessage.subject == "Not yours")).scalar_one()
    assert client.get(f"/inbox/{foreign}").status_code == 404
    submit(client, "/inbox/read", {}, form_page="/inbox")
    assert "Mark all as read" not in client.get("/inbox").get_data(as_text=True)
    with committing(app):
        unread = db.session.scalar(select(func.count()).select_from(InAppMessage).where(InAppMessage.read_at.is_(None)))
        assert unread == 1  # the other person's
    assert client.post("/inbox/read", data={}).status_code == 400  # no CSRF token


def test_a_coachs_answer_lands_in_the_inbox_with_its_reason(app, client, login_as, make_user, published):
    coach_id = make_user(("trainer",), email="coach@example.com", name="Clara Coach", locale="de")
    learner = login_as("learner", locale="de")
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner.id, coach_id=coach_id))
        db.session.commit()
    start_path(client, published)
    submit(client, f"/learn/{published['lesson']}/stuck", {"note": ""}, form_page=f"/learn/{published['lesson']}")
    coach = app.test_client()
    sign_in(coach, "coach@example.com")
    request_id = re.search(r"/desk/help/(\d+)", coach.get("/desk").get_data(as_text=True)).group(1)
    page = coach.get(f"/desk/help/{request_id}").get_data(as_text=True)
    coach.post(f"/desk/help/{request_id}/answer", data={"csrf_token": csrf_from(page), "answer": "Hören Sie zu."})
    with committing(app):
        message = db.session.execute(select(InAppMessage)).scalar_one()
        assert message.category == "reply" and message.user_id == learner.id
        assert message.subject.startswith("Clara Coach hat Ihre Frage")  # in the learner's language
        assert message.link == f"/help#request-{request_id}"


def test_a_year_of_messages_reads_fifty_a_page_newest_first_none_out_of_reach(app, client, login_as):
    from datetime import timedelta

    from lxp.core.time import utcnow

    learner = login_as("learner")
    start = utcnow() - timedelta(days=365)
    with committing(app):
        for n in range(120):
            in_app.post(InAppNote(user_id=learner.id, category="reminder", key=f"week:{n}", subject=f"Week {n:03d}"))
        for message in db.session.scalars(select(InAppMessage).where(InAppMessage.user_id == learner.id)):
            message.created_at = start + timedelta(days=3 * int(message.subject[5:]))

    def subjects(url: str) -> list[str]:
        return re.findall(r"(Week \d{3})</strong>", client.get(url).get_data(as_text=True))

    assert subjects("/inbox") == [f"Week {n:03d}" for n in range(119, 69, -1)]
    assert "Page 1 of 3" in client.get("/inbox").get_data(as_text=True)
    assert subjects("/inbox?page=3") == [f"Week {n:03d}" for n in range(19, -1, -1)]  # the oldest, still there
    assert subjects("/inbox?page=8") == subjects("/inbox?page=3")
