"""Today gathers what is the learner's across the modalities: the next step, the live
sessions they hold a seat on (in their own time, with the way in), and coaching answers."""

import re

import pytest

from lxp.accounts.models import User
from lxp.coaching.models import CoachAssignment
from lxp.core import unit_of_work
from lxp.extensions import db
from lxp.learning import services as learning
from tests.conftest import committing, csrf_from, sign_in, submit
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    live_course_fixture,
    person_fixture,
    register,
    schedule,
    soon,
    start_path,
    trainer_fixture,
)
from tests.integration.test_workplace_fixtures import (  # noqa: F401  (fixtures)
    on_path,
    task_course_fixture,
    upload_dir_fixture,
)
from tests.integration.test_workplace_tasks import send_evidence


def test_today_lists_the_sessions_the_learner_holds_a_seat_on_in_their_own_time(app, live_course, trainer, person):
    (online,) = schedule(
        app, trainer, live_course["live"], soon(3, hour=18), place="", video_url="https://meet.example/lab"
    )
    (later,) = schedule(app, trainer, live_course["live"], soon(10, hour=9))
    client, _learner = person(timezone="America/New_York")
    start_path(client, live_course)
    assert "Live sessions coming up" not in client.get("/today").get_data(as_text=True)
    register(client, online)
    register(client, later)
    page = client.get("/today").get_data(as_text=True)
    section = page[page.index("Live sessions coming up") :]
    assert section.index(f"/sessions/{online}") < section.index(f"/sessions/{later}")  # soonest first
    assert "12:00" in section and "18:00" not in section  # 18:00 in Berlin is noon in New York
    assert 'href="https://meet.example/lab"' in section and "Join online" in section
    assert "Room 1" in section
    # The live step leads to its dates from the path and from the step itself.
    assert f'href="/sessions/item/{live_course["live"]}"' in client.get("/path").get_data(as_text=True)
    assert "Choose a date" in client.get(f"/learn/{live_course['live']}").get_data(as_text=True)


def test_today_shows_a_coachs_answer_until_the_learner_has_read_it(app, live_course, make_user, person):
    coach_id = make_user(("trainer",), email="coach@example.com", name="Clara Coach")
    client, learner_id = person()
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner_id, coach_id=coach_id))
        db.session.commit()
    start_path(client, live_course)
    lesson = f"{live_course['course']}:listen-lesson"
    submit(client, f"/learn/{lesson}/stuck", {"note": "lost"}, form_page=f"/learn/{lesson}")
    assert "From your coach" not in client.get("/today").get_data(as_text=True)

    coach = app.test_client()
    from tests.conftest import sign_in

    sign_in(coach, "coach@example.com")
    request_id = re.search(r"/desk/help/(\d+)", coach.get("/desk").get_data(as_text=True)).group(1)
    submit(coach, f"/desk/help/{request_id}/answer", {"answer": "Start with their words.", "resolve": "y"},
           form_page=f"/desk/help/{request_id}")  # fmt: skip
    page = client.get("/today").get_data(as_text=True)
    assert "From your coach" in page and "Clara Coach answered your question" in page
    assert "Start with their words." in page
    message_id = re.search(r'action="/inbox/(\d+)/open">\s*<input[^>]*>\s*<input type="hidden" name="to" value="link">',
                           page).group(1)  # fmt: skip
    help_page = client.get("/help").get_data(as_text=True)  # showing it writes nothing; it offers "Mark as read"
    assert "1 new answer." in help_page and "From your coach" in client.get("/today").get_data(as_text=True)
    # Tapping the answer on Today opens it where it leads, read.
    opened = client.post(f"/inbox/{message_id}/open", data={"csrf_token": csrf_from(page), "to": "link"})
    assert opened.status_code == 302 and opened.location.endswith(f"/help#request-{request_id}")
    assert "From your coach" not in client.get("/today").get_data(as_text=True)
    assert "new answer" not in client.get("/help").get_data(as_text=True)


def test_today_and_the_path_show_where_an_on_the_job_task_stands(app, client, make_user, task_course):
    coach_id = make_user(("trainer",), email="coach@example.com")
    learner_id = make_user(("learner",), email="lena@example.com")
    on_path(app, learner_id, task_course["goal"], coach_id)
    sign_in(client, "lena@example.com")
    assert "sent to your coach" not in client.get("/path").get_data(as_text=True)
    assert send_evidence(client, task_course["task"], account="I ran the call as practised.").status_code == 302
    assert "sent to your coach" in client.get("/path").get_data(as_text=True)
    today = client.get("/today").get_data(as_text=True)
    card = re.search(rf'href="/learn/{task_course["task"]}">\s*<span class="step-meta">([^<]*<strong>[^<]*)', today)
    assert card and "On the job" in card.group(1) and "sent to your coach" in card.group(1)


@pytest.mark.parametrize(("locale", "because"), [
    ("en", "Back because the check \u201cCheck: listening\u201d showed a gap in Active listening"),
    ("de", "Wieder da, weil die Lernkontrolle \u201eCheck: listening\u201c eine Lücke bei Active listening gezeigt hat"),
])  # fmt: skip
def test_a_step_done_before_and_back_after_a_failed_check_says_why_on_today(
    app, client, login_as, published, locale, because
):
    from tests.integration.conftest import start_path as start_on_example

    learner = login_as("learner", locale=locale)
    start_on_example(client, published)
    with committing(app):
        person = db.session.get(User, learner.id)
        learning.complete_block(person, published["lesson"])
        unit_of_work.commit()  # the request shares this context's session, and a GET rolls back
        assert because not in client.get("/today").get_data(as_text=True)
        result = learning.answer_quiz(person, published["quiz"], {"q1": [1]})
        assert not result.passed
    page = client.get("/today").get_data(as_text=True)
    next_step = page[page.index('id="next-step"') :]
    card = re.search(r'<a class="step-card primary" href="([^"]+)">.*?<span class="step-why">([^<]*)</span>', next_step,
                     re.S)  # fmt: skip
    assert card.group(1) == f"/learn/{published['lesson']}"  # the lesson done before, first again
    assert card.group(2) == because
