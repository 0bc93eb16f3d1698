"""Coaches by cohort or by person, conversations with read state, "did it help", coaching
checkpoints as due conversations, and feedback on a competency as evidence."""

import json
import re

from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.authoring import publishing, transfer
from lxp.authoring.models import Goal, Package
from lxp.coaching.models import CoachAssignment, CoachFeedback, CoachingMessage
from lxp.events import LearningEvent
from lxp.extensions import db
from tests.conftest import committing, csrf_from, page_cost, sign_in, submit
from tests.integration.conftest import MINI, start_path


def _client(app, email):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def _events(app, verb, object_type):
    with committing(app):
        return db.session.scalar(
            select(func.count())
            .select_from(LearningEvent)
            .where(LearningEvent.verb == verb, LearningEvent.object_type == object_type)
        )


def _with_checkpoint(app, make_user):
    """The example course with a coaching checkpoint in its package; returns ids."""
    document = json.loads(MINI)
    document["course"]["modules"][0]["items"].append(
        {"key": "talk", "kind": "coaching_checkpoint", "title": "Talk it through with your coach", "minutes": 20,
         "teaches": ["active-listening"], "content": {"agenda": "- One call that went well", "due_after_weeks": 0}}
    )  # fmt: skip
    document["goals"][0]["packages"][0]["items"].append(
        {"course": "listening-basics", "item": "talk", "mandatory": True}
    )
    author = make_user(("admin", "reviewer"), email="author@example.com")
    with committing(app):
        admin = db.session.get(User, author)
        version = transfer.import_document(admin, json.dumps(document))
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        goal = db.session.execute(select(Goal)).scalar_one()
        package = db.session.execute(select(Package)).scalar_one()
        return {"goal": goal.id, "package": package.id, "course": version.course_id,
                "talk": f"{version.course_id}:talk", "lesson": f"{version.course_id}:listen-lesson"}  # fmt: skip


def test_an_admin_makes_a_cohort_whose_coach_coaches_members_without_their_own(app, client, login_as, make_user):
    cohort_coach = make_user(("trainer",), email="cohort-coach@example.com", name="Carla Cohort")
    own_coach = make_user(("trainer",), email="own-coach@example.com", name="Otto Own")
    lena = make_user(("learner",), email="lena@example.com", name="Lena")
    max_ = make_user(("learner",), email="max@example.com", name="Max")
    with committing(app):
        db.session.add(CoachAssignment(learner_id=max_, coach_id=own_coach))
        db.session.commit()
    login_as("admin")
    response = submit(client, "/admin/cohorts", {"name": "Spring 2027", "coach": str(cohort_coach),
                                                 "members": [str(lena), str(max_)]}, follow_redirects=True)  # fmt: skip
    assert "The cohort \u201cSpring 2027\u201d is created." in response.get_data(as_text=True)
    duplicate = submit(client, "/admin/cohorts", {"name": "Spring  2027", "coach": ""})
    assert duplicate.status_code == 400 and "There is a cohort of that name already." in duplicate.get_data(
        as_text=True
    )
    not_a_learner = submit(client, "/admin/cohorts", {"name": "Other", "members": [str(own_coach)]})
    assert not_a_learner.status_code == 400 and "Choose learners of your organisation." in not_a_learner.get_data(
        as_text=True
    )

    from lxp.coaching.services import coach_of

    with committing(app):
        assert coach_of(lena).id == cohort_coach  # from the cohort
        assert coach_of(max_).id == own_coach  # chosen for him, which wins
    carla = _client(app, "cohort-coach@example.com")
    start = carla.get("/desk").get_data(as_text=True)
    assert "Conversations" in start
    lena_client = _client(app, "lena@example.com")
    assert "Carla Cohort coaches you." in lena_client.get("/coaching").get_data(as_text=True)


def test_a_conversation_between_learner_and_coach_with_read_state_and_did_it_help(
    app, client, login_as, make_user, published, mailbox
):
    coach_id = make_user(("trainer",), email="coach@example.com", name="Clara Coach")
    other_coach = make_user(("trainer",), email="other-coach@example.com")
    make_user(("learner",), email="other@example.com")
    learner = login_as("learner", name="Lena")
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner.id, coach_id=coach_id))
        db.session.commit()
    start_path(client, published)
    response = submit(client, "/coaching/start", {}, form_page="/coaching")
    thread_url = response.headers["Location"].split("#")[0]
    thread_id = int(thread_url.rsplit("/", 1)[1])
    submit(client, f"/coaching/{thread_id}/messages", {"body": "How do I start a hard call?"}, form_page=thread_url)
    [mail] = mailbox.to("coach@example.com")
    assert "How do I start a hard call?" in mailbox.text_of(mail)

    coach = _client(app, "coach@example.com")
    desk = coach.get("/desk").get_data(as_text=True)
    assert "Lena" in desk and "waiting since" in desk
    page = coach.get(f"/desk/coaching/{thread_id}").get_data(as_text=True)
    assert "How do I start a hard call?" in page
    submit(coach, f"/coaching/{thread_id}/messages", {"body": "Name the **feeling** first."},
           form_page=f"/desk/coaching/{thread_id}")  # fmt: skip
    assert "answered" in coach.get("/desk").get_data(as_text=True)

    assert "Clara Coach wrote to you" in client.get("/today").get_data(as_text=True)
    listing = client.get("/coaching").get_data(as_text=True)
    assert "Unread:" in listing
    page = client.get(thread_url).get_data(as_text=True)
    assert "<strong>feeling</strong>" in page and "Did it help?" in page
    assert "Unread:" in client.get("/coaching").get_data(as_text=True)  # showing the page wrote nothing
    # The page's "Mark as read" (sent by its script on load, a button without one) marks it read.
    assert "There is something new here." in page and f'action="/coaching/{thread_id}/read"' in page
    marked = client.post(f"/coaching/{thread_id}/read", data={"csrf_token": csrf_from(page)})
    assert marked.status_code == 302 and marked.location.endswith(thread_url)
    assert "There is something new here." not in client.get(thread_url).get_data(as_text=True)
    assert "Unread:" not in client.get("/coaching").get_data(as_text=True)
    assert "Clara Coach wrote to you" not in client.get("/today").get_data(as_text=True)
    with committing(app):
        reply = db.session.execute(select(CoachingMessage).where(CoachingMessage.author_id == coach_id)).scalar_one()
    submit(client, f"/coaching/messages/{reply.id}/reaction", {"helped": "yes", "mood": "5"}, form_page=thread_url)
    assert "You said it helped." in client.get(thread_url).get_data(as_text=True)
    assert "said it helped" in coach.get(f"/desk/coaching/{thread_id}").get_data(as_text=True)
    assert _events(app, "commented", "coaching_message") == 2 and _events(app, "responded", "coaching_message") == 1

    # Nobody else reads or writes in it.
    other = _client(app, "other@example.com")
    assert other.get(thread_url).status_code == 404
    token = csrf_from(other.get("/coaching").get_data(as_text=True))
    assert other.post(f"/coaching/{thread_id}/messages", data={"csrf_token": token, "body": "hi"}).status_code == 404
    assert (
        other.post(f"/coaching/messages/{reply.id}/reaction", data={"csrf_token": token, "helped": "no"}).status_code
        == 404
    )
    stranger = _client(app, "other-coach@example.com")
    assert stranger.get(f"/desk/coaching/{thread_id}").status_code == 404
    assert other_coach and "Lena" not in stranger.get("/desk").get_data(as_text=True)
    assert coach.get(thread_url).status_code == 403  # the learner's page is for learners
    assert app.test_client().get(thread_url).status_code == 302  # anonymous: sign in first
    # Bad input changes nothing.
    empty = submit(client, f"/coaching/{thread_id}/messages", {"body": "   "}, form_page=thread_url)
    assert empty.status_code == 400
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(CoachingMessage)) == 2


def test_markdown_in_messages_is_rendered_harmless(app, client, login_as, make_user, published):
    coach_id = make_user(("trainer",), email="coach@example.com")
    learner = login_as("learner")
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner.id, coach_id=coach_id))
        db.session.commit()
    start_path(client, published)
    thread_url = submit(client, "/coaching/start", {}, form_page="/coaching").headers["Location"].split("#")[0]
    body = '<script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror="alert(3)">'
    submit(client, f"{thread_url}/messages", {"body": body}, form_page=thread_url)
    page = client.get(thread_url).get_data(as_text=True)
    assert "<script>alert(1)" not in page and 'href="javascript:' not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as the text it is


def test_without_a_coach_a_learner_is_told_so(app, client, login_as, published):
    login_as("learner")
    start_path(client, published)
    assert "You have no coach yet." in client.get("/coaching").get_data(as_text=True)
    response = submit(client, "/coaching/start", {}, form_page="/coaching", follow_redirects=True)
    assert "You have no coach yet." in response.get_data(as_text=True)


def test_a_checkpoint_is_a_due_conversation_with_its_agenda_and_the_coach_marks_it_held(
    app, client, login_as, make_user
):
    ids = _with_checkpoint(app, make_user)
    coach_id = make_user(("trainer",), email="coach@example.com")
    learner = login_as("learner", name="Lena")
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner.id, coach_id=coach_id))
        db.session.commit()
    start_path(client, ids, package=str(ids["package"]))
    coach = _client(app, "coach@example.com")
    desk = coach.get("/desk").get_data(as_text=True)
    assert "Coaching conversations due" in desk and "Talk it through with your coach" in desk
    assert "One call that went well" in desk  # the agenda
    opened = submit(coach, f"/desk/learners/{learner.id}/conversation", {"item": ids["talk"]}, form_page="/desk")
    thread_url = opened.headers["Location"].split("#")[0]
    page = coach.get(thread_url).get_data(as_text=True)
    assert "We have had this conversation" in page
    submit(coach, thread_url + "/held", {}, form_page=thread_url)
    path = client.get("/path").get_data(as_text=True)
    station = re.search(r'class="station done[^"]*">.*?Talk it through with your coach', path, re.S)
    assert station is not None, "the checkpoint is done on the learner's path"
    assert "Coaching conversations due" not in coach.get("/desk").get_data(as_text=True)


def test_feedback_on_a_competency_counts_as_evidence_and_shows_on_the_path(app, client, login_as, make_user, published):
    coach_id = make_user(("trainer",), email="coach@example.com", name="Clara Coach")
    make_user(("trainer",), email="not-the-coach@example.com")
    learner = login_as("learner")
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner.id, coach_id=coach_id))
        db.session.commit()
    start_path(client, published)
    coach = _client(app, "coach@example.com")
    url = f"/desk/learners/{learner.id}/feedback"
    bad = submit(coach, url, {"competency": "negotiation", "rating": "4"})
    assert bad.status_code == 400 and "Choose a competency of the learner's goals." in bad.get_data(as_text=True)
    submit(coach, url, {"competency": "active-listening", "rating": "2", "comment": "Still interrupts."})
    assert _events(app, "mastered", "competency") == 0
    path = client.get("/path").get_data(as_text=True)
    assert "Feedback from your coach" in path and "Getting there" in path and "Still interrupts." in path
    submit(coach, url, {"competency": "active-listening", "rating": "3", "comment": "Let the customer finish."})
    assert _events(app, "mastered", "competency") == 1
    path = client.get("/path").get_data(as_text=True)
    assert "Can do it" in path
    assert "You have shown Active listening already" in path  # the path stops teaching it
    not_coach = _client(app, "not-the-coach@example.com")
    assert not_coach.get(url).status_code == 404
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(CoachFeedback)) == 2


def test_a_learner_opens_a_conversation_about_a_step_from_the_step(app, client, login_as, make_user, published):
    coach_id = make_user(("trainer",), email="coach@example.com")
    learner = login_as("learner")
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner.id, coach_id=coach_id))
        db.session.commit()
    start_path(client, published)
    block = f"/learn/{published['lesson']}"
    assert "Or talk this step through with your coach" in client.get(block).get_data(as_text=True)
    first = submit(client, "/coaching/start", {"item": published["lesson"]}, form_page=block)
    again = submit(client, "/coaching/start", {"item": published["lesson"]}, form_page=block)
    assert first.headers["Location"] == again.headers["Location"]  # one thread per step
    page = client.get(first.headers["Location"].split("#")[0]).get_data(as_text=True)
    assert "What active listening sounds like" in page
    foreign = submit(client, "/coaching/start", {"item": f"{published['course']}:nope"}, form_page=block)
    assert foreign.status_code == 404


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_a_photo_in_a_message_is_shown_to_the_two_of_them_only(app, client, login_as, make_user, published):
    import io

    coach_id = make_user(("trainer",), email="coach@example.com")
    other_coach = make_user(("trainer",), email="other-coach@example.com")
    other_learner = make_user(("learner",), email="other@example.com")
    learner = login_as("learner")
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner.id, coach_id=coach_id))
        db.session.add(CoachAssignment(learner_id=other_learner, coach_id=other_coach))
        db.session.commit()
    start_path(client, published)
    thread_url = submit(client, "/coaching/start", {}, form_page="/coaching").headers["Location"].split("#")[0]
    token = csrf_from(client.get(thread_url).get_data(as_text=True))

    def send(body, name, data):
        return client.post(f"{thread_url}/messages", data={"csrf_token": token, "body": body,
                           "files": (io.BytesIO(data), name)}, content_type="multipart/form-data")  # fmt: skip

    disguised = send("see this", "whiteboard.jpg", b"MZ\x90\x00" + b"\x00" * 200)  # an executable renamed
    assert disguised.status_code == 400 and "cannot be added" in disguised.get_data(as_text=True)
    too_big = send("", "huge.png", _png() + b"\x00" * (10 * 1024 * 1024))
    too_big.request.environ["wsgi.input"].close()  # the test client spooled the big body to a file
    assert too_big.status_code == 400 and "too large" in too_big.get_data(as_text=True)
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(CoachingMessage)) == 0
    assert send("", "whiteboard.png", _png()).status_code == 302  # a photo alone is a message
    page = client.get(thread_url).get_data(as_text=True)
    src = re.search(r'<img class="attachment" src="(/files/[^"]+)"', page).group(1)
    with client.get(src) as response:
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    coach = _client(app, "coach@example.com")
    assert src in coach.get(thread_url.replace("/coaching/", "/desk/coaching/")).get_data(as_text=True)
    with coach.get(src) as response:
        assert response.status_code == 200
    for email in ("other@example.com", "other-coach@example.com"):
        with _client(app, email).get(src) as response:
            assert response.status_code == 404, email
    with app.test_client().get(src) as response:  # signed out
        assert response.status_code == 404


def test_a_learners_image_reaches_the_coachs_mail_as_a_link_never_as_a_remote_image(
    app, client, login_as, make_user, published, mailbox
):
    """A tracking pixel in a message would tell its sender when and where the coach read it."""
    coach_id = make_user(("trainer",), email="coach@example.com")
    learner = login_as("learner")
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner.id, coach_id=coach_id))
        db.session.commit()
    start_path(client, published)
    thread_url = submit(client, "/coaching/start", {}, form_page="/coaching").headers["Location"].split("#")[0]
    body = "See ![my chart](https://tracker.example/pixel.gif?coach=1) and ![](http://tracker.example/p2.png)"
    submit(client, f"{thread_url}/messages", {"body": body}, form_page=thread_url)
    [mail] = mailbox.to("coach@example.com")
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "<img" not in html and "my chart" in html
    assert '<a href="https://tracker.example/pixel.gif?coach=1"' in html
    # On the page, where lxp's own policy decides what loads, the message reads as written.
    assert "<img" in client.get(thread_url).get_data(as_text=True)


def test_the_desk_names_every_learner_in_as_many_statements_for_three_as_for_one(app, make_user):
    """The coach's desk lists help requests, conversations and due checkpoints with each
    learner's name, reading the learners together: three learners with one of each take as many
    statements as one."""
    from lxp.coaching import services as coaching
    from lxp.coaching import threads

    ids = _with_checkpoint(app, make_user)
    coach_id = make_user(("trainer",), email="coach@example.com")
    coach = _client(app, "coach@example.com")

    def learner_with_everything(n: int) -> str:
        name = f"Learner {n}"
        learner_id = make_user(("learner",), email=f"l{n}@example.com", name=name)
        with committing(app):
            db.session.add(CoachAssignment(learner_id=learner_id, coach_id=coach_id))
        start_path(_client(app, f"l{n}@example.com"), ids, package=str(ids["package"]))
        with committing(app):
            learner = db.session.get(User, learner_id)
            coaching.ask_for_help(learner, ids["lesson"], "The second half lost me.")
            threads.post_message(learner, threads.open_thread(learner), "Can we talk on Friday?")
        return name

    first = learner_with_everything(0)
    one, page = page_cost(app, coach, "/desk")
    assert page.count(first) >= 3  # a help request, a conversation, a checkpoint due
    names = [learner_with_everything(n) for n in (1, 2)]
    three, page = page_cost(app, coach, "/desk")
    assert all(page.count(name) >= 3 for name in names)
    assert three == one
