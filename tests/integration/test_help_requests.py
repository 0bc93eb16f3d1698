""" "I'm stuck": a learner asks for help on a step, their coach (or any trainer) answers,
hands it over or resolves it, and the learner says whether it helped."""

import re

from sqlalchemy import func, select

from lxp.coaching.models import CoachAssignment, HelpRequest
from lxp.events import LearningEvent
from lxp.extensions import db
from tests.conftest import committing, csrf_from, sign_in, submit
from tests.integration.conftest import start_path


def _client_for(app, email):
    other = app.test_client()
    assert sign_in(other, email).status_code == 302
    return other


def _fail_quiz(client, ref):
    page = client.get(f"/learn/{ref}").get_data(as_text=True)
    event_id = re.search(r'name="event_id" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        f"/learn/{ref}", data={"csrf_token": csrf_from(page), "event_id": event_id, "started_at": "0", "q1": "1"}
    )


def _stuck(client, ref, note=""):
    return submit(client, f"/learn/{ref}/stuck", {"note": note}, form_page=f"/learn/{ref}", follow_redirects=True)


def _requests(app):
    with committing(app):
        return db.session.execute(select(HelpRequest).order_by(HelpRequest.id)).scalars().all()


def _count(app, verb):
    with committing(app):
        return db.session.scalar(
            select(func.count())
            .select_from(LearningEvent)
            .where(LearningEvent.verb == verb, LearningEvent.object_type == "help_request")
        )


def _assign(app, learner_id, coach_id):
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner_id, coach_id=coach_id))
        db.session.commit()


def test_a_stuck_learner_reaches_their_coach_with_context_and_hears_back(
    app, client, login_as, make_user, published, mailbox
):
    coach_id = make_user(("trainer",), email="coach@example.com", name="Clara Coach")
    learner = login_as("learner", name="Lena Learner")
    _assign(app, learner.id, coach_id)
    start_path(client, published)
    _fail_quiz(client, published["quiz"])

    page = _stuck(client, published["quiz"], "Which option names the feeling?").get_data(as_text=True)
    assert "Clara Coach has your request and will answer soon." in page
    assert "Your request for help" in page and "Clara Coach will answer soon." in page
    _stuck(client, published["quiz"])  # a second tap makes no second request
    [request] = _requests(app)
    assert request.assignee_id == coach_id and request.status == "open"
    assert request.context["attempt"]["score"] == 0
    assert request.context["attempt"]["questions"][0]["correct"] is False
    assert _count(app, "asked") == 1
    [mail] = mailbox.to("coach@example.com")
    assert "Lena Learner is stuck on" in mail["Subject"]
    assert "Which option names the feeling?" in mailbox.text_of(mail)

    coach = _client_for(app, "coach@example.com")
    desk = coach.get("/desk").get_data(as_text=True)
    assert "Lena Learner" in desk and "Check: listening" in desk and "waiting since" in desk
    request_page = coach.get(mailbox.link_in(mail)).get_data(as_text=True)
    assert "Which option names the feeling?" in request_page
    assert "Step 2 of 2; 0 done" in request_page  # the retry after the lesson to look at again
    assert "(wrong)" in request_page  # their last answer, marked
    response = submit(coach, f"/desk/help/{request.id}/answer", {"answer": "Look for the **feeling** word.",
                      "resolve": "y"}, form_page=f"/desk/help/{request.id}")  # fmt: skip
    assert response.status_code == 302
    assert "Nobody is stuck right now." in coach.get("/desk").get_data(as_text=True)  # resolved: off the queue
    [answer_mail] = mailbox.to(learner.email)
    assert "Clara Coach answered your question" in answer_mail["Subject"]

    mine = client.get(mailbox.link_in(answer_mail)).get_data(as_text=True)
    assert "<strong>feeling</strong>" in mine and "Resolved" in mine and "Did it help?" in mine
    submit(client, f"/help/{request.id}/helped", {"helped": "yes", "mood": "4"}, form_page="/help")
    assert "You said it helped. Thank you." in client.get("/help").get_data(as_text=True)
    [request] = _requests(app)
    assert (request.status, request.helped, request.mood) == ("resolved", True, 4)
    assert _count(app, "answered") == 1 and _count(app, "completed") == 1 and _count(app, "responded") == 1
    # Answering again differently is refused; the first answer stays.
    again = submit(client, f"/help/{request.id}/helped", {"helped": "no"}, form_page="/help", follow_redirects=True)
    assert "You have already said whether it helped." in again.get_data(as_text=True)
    assert _requests(app)[0].helped is True


def test_without_a_coach_every_trainer_sees_it_until_one_takes_it(app, client, login_as, make_user, published, mailbox):
    make_user(("trainer",), email="ann@example.com", name="Ann")
    make_user(("trainer",), email="ben@example.com", name="Ben")
    login_as("learner", name="Lena Learner")
    start_path(client, published)
    page = _stuck(client, published["lesson"], "The example is unclear").get_data(as_text=True)
    assert "Your trainers have your request" in page
    assert {m["X-Envelope-To"] for m in mailbox.messages} == {"ann@example.com", "ben@example.com"}
    [request] = _requests(app)
    ann, ben = _client_for(app, "ann@example.com"), _client_for(app, "ben@example.com")
    assert "not taken yet" in ann.get("/desk").get_data(as_text=True)
    assert "not taken yet" in ben.get("/desk").get_data(as_text=True)

    submit(ann, f"/desk/help/{request.id}/answer", {"answer": "Read the second line again."},
           form_page=f"/desk/help/{request.id}")  # fmt: skip
    [request] = _requests(app)
    assert request.status == "answered" and request.assignee_id is not None  # answered, not resolved
    assert "Lena Learner" not in ben.get("/desk").get_data(as_text=True)
    assert ben.get(f"/desk/help/{request.id}").status_code == 404

    # Still stuck: the learner adds to it and it waits again; then they say it is solved.
    block = _stuck(client, published["lesson"], "Still unclear, sorry").get_data(as_text=True)
    assert "Your request is waiting for an answer" in block
    assert _requests(app)[0].status == "open" and "Still unclear" in _requests(app)[0].note
    submit(client, f"/help/{request.id}/solved", {}, form_page="/help")
    assert _requests(app)[0].status == "resolved"


def test_a_trainer_hands_a_request_to_another_who_is_told(app, client, login_as, make_user, published, mailbox):
    coach_id = make_user(("trainer",), email="coach@example.com", name="Clara Coach")
    make_user(("trainer",), email="expert@example.com", name="Eva Expert")
    learner = login_as("learner", name="Lena Learner")
    _assign(app, learner.id, coach_id)
    start_path(client, published)
    _stuck(client, published["lesson"])
    [request] = _requests(app)
    coach = _client_for(app, "coach@example.com")
    page = coach.get(f"/desk/help/{request.id}").get_data(as_text=True)
    expert_id = re.search(r'<option value="(\d+)">Eva Expert</option>', page).group(1)
    mailbox.messages.clear()
    response = submit(coach, f"/desk/help/{request.id}/hand-over", {"trainer": expert_id, "note": "You know this one"},
                      form_page=f"/desk/help/{request.id}", follow_redirects=True)  # fmt: skip
    assert "Eva Expert has the request now." in response.get_data(as_text=True)
    [mail] = mailbox.to("expert@example.com")
    assert mail["Subject"] == "Clara Coach handed you a help request from Lena Learner"
    assert "You know this one" in mailbox.text_of(mail)
    assert coach.get(f"/desk/help/{request.id}").status_code == 404
    expert = _client_for(app, "expert@example.com")
    assert expert.get(mailbox.link_in(mail)).status_code == 200
    assert _count(app, "shared") == 1


def test_nobody_else_can_see_or_touch_a_request(app, client, login_as, make_user, published, other_organisation):
    coach_id = make_user(("trainer",), email="coach@example.com")
    make_user(("learner",), email="other-learner@example.com")
    make_user(("trainer",), email="stranger@example.com", organisation_id=other_organisation)
    make_user(("learner", "trainer"), email="both@example.com")
    learner = login_as("learner")
    _assign(app, learner.id, coach_id)
    start_path(client, published)
    _stuck(client, published["lesson"], "private words")
    [request] = _requests(app)

    other_learner = _client_for(app, "other-learner@example.com")
    assert "private words" not in other_learner.get("/help").get_data(as_text=True)
    form = other_learner.get("/help").get_data(as_text=True)
    for action in ("solved", "helped"):
        response = other_learner.post(
            f"/help/{request.id}/{action}", data={"csrf_token": csrf_from(form), "helped": "no"}
        )
        assert response.status_code == 404
    assert other_learner.get(f"/desk/help/{request.id}").status_code == 403
    stranger = _client_for(app, "stranger@example.com")
    assert stranger.get(f"/desk/help/{request.id}").status_code == 404
    assert "private words" not in stranger.get("/desk").get_data(as_text=True)
    another_trainer = _client_for(app, "both@example.com")  # a trainer, but not this learner's coach
    assert another_trainer.get(f"/desk/help/{request.id}").status_code == 404
    page = another_trainer.get("/desk").get_data(as_text=True)
    response = another_trainer.post(
        f"/desk/help/{request.id}/answer", data={"csrf_token": csrf_from(page), "answer": "x"}
    )
    assert response.status_code == 404
    [request] = _requests(app)
    assert request.status == "open" and request.answer is None


def test_bad_requests_change_nothing(app, client, login_as, make_user, published):
    coach_id = make_user(("trainer",), email="coach@example.com")
    learner = login_as("learner")
    _assign(app, learner.id, coach_id)
    start_path(client, published)
    page = client.get(f"/learn/{published['lesson']}").get_data(as_text=True)
    token = csrf_from(page)
    assert client.post(f"/learn/{published['course']}:nope/stuck", data={"csrf_token": token}).status_code == 404
    assert client.post("/learn/999:listen-lesson/stuck", data={"csrf_token": token}).status_code == 404
    long = client.post(f"/learn/{published['lesson']}/stuck", data={"csrf_token": token, "note": "x" * 2001},
                       follow_redirects=True)  # fmt: skip
    assert "Your note is too long" in long.get_data(as_text=True)
    assert client.post(f"/learn/{published['lesson']}/stuck", data={"note": "no token"}).status_code == 400
    assert _requests(app) == []

    _stuck(client, published["lesson"])
    [request] = _requests(app)
    early = submit(client, f"/help/{request.id}/helped", {"helped": "yes"}, form_page="/help", follow_redirects=True)
    assert "once the request is resolved" in early.get_data(as_text=True)
    coach = _client_for(app, "coach@example.com")
    empty = submit(coach, f"/desk/help/{request.id}/answer", {"answer": "  "}, form_page=f"/desk/help/{request.id}")
    assert empty.status_code == 400 and "This field is required." in empty.get_data(as_text=True)
    [request] = _requests(app)
    assert (request.status, request.answer, request.helped) == ("open", None, None)
    assert _count(app, "answered") == 0 and _count(app, "responded") == 0


def test_an_admin_chooses_a_coach_and_waiting_requests_follow(app, client, login_as, make_user, published):
    trainer_id = make_user(("trainer",), email="coach@example.com", name="Clara Coach")
    learner_id = make_user(("learner",), email="lena@example.com")
    lena = _client_for(app, "lena@example.com")
    start_path(lena, published)
    _stuck(lena, published["lesson"])
    assert _requests(app)[0].assignee_id is None

    login_as("admin")
    page = client.get(f"/admin/users/{learner_id}").get_data(as_text=True)
    assert "No coach yet: any trainer answers" in page
    response = submit(client, f"/admin/users/{learner_id}/coach", {"coach": str(trainer_id)},
                      form_page=f"/admin/users/{learner_id}", follow_redirects=True)  # fmt: skip
    assert "The coach is saved." in response.get_data(as_text=True)
    assert re.search(rf'<option value="{trainer_id}" selected>Clara Coach</option>', response.get_data(as_text=True))
    assert _requests(app)[0].assignee_id == trainer_id

    # A learner is no coach: refused, and the coach stays.
    refused = submit(client, f"/admin/users/{learner_id}/coach", {"coach": str(learner_id)},
                     form_page=f"/admin/users/{learner_id}", follow_redirects=True)  # fmt: skip
    assert "Choose an active trainer of your organisation." in refused.get_data(as_text=True)
    with committing(app):
        assert db.session.get(CoachAssignment, learner_id).coach_id == trainer_id


def test_the_answer_stays_on_the_step_where_the_learner_asked_also_once_solved(
    app, client, login_as, make_user, published
):
    coach_id = make_user(("trainer",), email="coach@example.com", name="Clara Coach")
    learner = login_as("learner", name="Lena Learner")
    _assign(app, learner.id, coach_id)
    start_path(client, published)
    _fail_quiz(client, published["quiz"])
    _stuck(client, published["quiz"], "Which option names the feeling?")
    [request] = _requests(app)
    coach = _client_for(app, "coach@example.com")
    # "This solves it" is ticked by default, so the request is resolved as it is answered.
    submit(coach, f"/desk/help/{request.id}/answer", {"answer": "Look for the **feeling** word.", "resolve": "y"},
           form_page=f"/desk/help/{request.id}")  # fmt: skip
    assert _requests(app)[0].status == "resolved"

    step = client.get(f"/learn/{published['quiz']}").get_data(as_text=True)
    assert "Clara Coach answered" in step and "Look for the <strong>feeling</strong> word." in step
    assert f'id="answer-{request.id}" open' in step  # shown open until they say whether it helped
    assert "Which option names the feeling?" in step and "I'm stuck</summary>" in step  # and they can ask again

    submit(client, f"/help/{request.id}/helped", {"helped": "yes", "mood": "4"}, form_page="/help")
    step = client.get(f"/learn/{published['quiz']}").get_data(as_text=True)
    assert "Look for the <strong>feeling</strong> word." in step  # still there, collapsed
    assert f'id="answer-{request.id}" open' not in step


def test_an_answer_the_learner_marks_solved_stays_on_the_step(app, client, login_as, make_user, published):
    make_user(("trainer",), email="trainer@example.com", name="Theo Trainer")
    login_as("learner")
    start_path(client, published)
    _stuck(client, published["lesson"], "What does paraphrase mean?")
    [request] = _requests(app)
    trainer = _client_for(app, "trainer@example.com")
    submit(trainer, f"/desk/help/{request.id}/answer", {"answer": "Say it back in your own words."},
           form_page=f"/desk/help/{request.id}")  # fmt: skip
    step = client.get(f"/learn/{published['lesson']}").get_data(as_text=True)
    assert "Say it back in your own words." in step and "That solved it" in step
    submit(client, f"/help/{request.id}/solved", {}, form_page=f"/learn/{published['lesson']}")
    assert _requests(app)[0].status == "resolved"
    step = client.get(f"/learn/{published['lesson']}").get_data(as_text=True)
    assert "Theo Trainer answered" in step and "Say it back in your own words." in step


def test_today_previews_a_coach_reply_as_plain_words_not_markdown(app, client, login_as, make_user, published):
    coach_id = make_user(("trainer",), email="coach@example.com", name="Clara Coach")
    learner = login_as("learner")
    _assign(app, learner.id, coach_id)
    start_path(client, published)
    _stuck(client, published["lesson"], "Help")
    [request] = _requests(app)
    answer = "Look for the **feeling** word & _name_ it:\n\n- listen\n- [paraphrase](https://example.com)\n\n" + (
        "Then check you got it right. " * 10
    )
    submit(_client_for(app, "coach@example.com"), f"/desk/help/{request.id}/answer", {"answer": answer, "resolve": "y"},
           form_page=f"/desk/help/{request.id}")  # fmt: skip
    today = client.get("/today").get_data(as_text=True)
    assert "Look for the feeling word &amp; name it: listen paraphrase Then check" in today
    assert "**" not in today and "&amp;amp;" not in today and "https://example.com" not in today
    preview = re.search(r"<span>(Look for the feeling word.*?)</span>", today).group(1)
    assert preview.endswith(" got it\u2026")  # cut after a whole word
    assert len(preview.replace("&amp;", "&")) <= 140
