"""Help from peers (issue #21): a stuck learner asks their coach and their cohort, a peer
answers, the asker marks what helped, a trainer endorses it, and the next learner on that
step finds it; the coach sees the peer answers beside the request; coach only stays the default."""

import re

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.coaching.models import HelpRequest
from lxp.cohorts.models import Cohort
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.social.models import SpacePost, SpaceThread
from tests.conftest import committing, page_cost, submit
from tests.integration.conftest import start_path
from tests.integration.social_fixtures import _client, world_fixture  # noqa: F401  (fixtures)


def _ask(client, ref, note, with_cohort=True):
    path = f"/learn/{ref}/stuck/cohort" if with_cohort else f"/learn/{ref}/stuck"
    return submit(client, path, {"note": note}, form_page=f"/learn/{ref}")


def _help_thread(app):
    with committing(app):
        return db.session.scalar(select(SpaceThread).where(SpaceThread.kind == "help"))


def test_a_stuck_request_shared_with_the_cohort_is_answered_marked_endorsed_and_found_later(app, world):
    lena = _client(app, "lena@example.com")
    start_path(lena, world)
    block = lena.get(f"/learn/{world['quiz']}").get_data(as_text=True)
    assert "Ask my coach and Cohort A" in block
    response = _ask(lena, world["quiz"], "Which feeling do I name first?")
    assert response.status_code == 302
    thread = _help_thread(app)
    assert response.headers["Location"].endswith(f"/spaces/threads/{thread.id}")
    with committing(app):
        request = db.session.scalar(select(HelpRequest))
        assert request.assignee_id == world["trainer"]  # the cohort's coach has it as before
        assert thread.help_request_id == request.id and thread.item_ref == world["quiz"]

    mia = _client(app, "mia@example.com")
    submit(mia, f"/spaces/threads/{thread.id}/replies", {"body": "Name the frustration before you fix anything."},
           form_page=f"/spaces/threads/{thread.id}")  # fmt: skip
    with committing(app):
        answer = db.session.scalar(select(SpacePost).where(SpacePost.author_id == world["mia"]))
    page = mia.get(f"/spaces/threads/{thread.id}").get_data(as_text=True)
    assert "This helped me" not in page  # only the asker says what helped
    submit(mia, f"/spaces/posts/{answer.id}/helped", {}, form_page=f"/spaces/threads/{thread.id}")

    page = lena.get(f"/spaces/threads/{thread.id}").get_data(as_text=True)
    assert "This helped me" in page and "Endorse this answer" not in page
    submit(lena, f"/spaces/posts/{answer.id}/helped", {}, form_page=f"/spaces/threads/{thread.id}")
    trainer = _client(app, "tara@example.com")
    desk = trainer.get(f"/desk/help/{request.id}").get_data(as_text=True)
    assert "Shared with the cohort Cohort A" in desk and "Name the frustration" in desk and "helped" in desk
    submit(trainer, f"/spaces/posts/{answer.id}/endorse", {}, form_page=f"/spaces/threads/{thread.id}")
    page = trainer.get(f"/spaces/threads/{thread.id}").get_data(as_text=True)
    assert "Lena Learner said this helped." in page and "Endorsed by Tara Trainer." in page

    with committing(app):
        verbs = {(e.verb, e.actor_id) for e in db.session.scalars(
            select(LearningEvent).where(LearningEvent.verb.in_(("helped", "endorsed"))))}  # fmt: skip
    assert verbs == {("helped", world["mia"]), ("endorsed", world["trainer"])}

    ben = _client(app, "ben@example.com")  # another cohort, the same course, later
    start_path(ben, world)
    block = ben.get(f"/learn/{world['quiz']}").get_data(as_text=True)
    assert "Others asked here" in block and "Name the frustration before you fix anything." in block
    assert "Lena Learner" not in block and "Mia Maier" not in block  # no names leave the cohort


def test_coach_only_is_the_default_and_shares_nothing(app, world):
    lena = _client(app, "lena@example.com")
    start_path(lena, world)
    assert _ask(lena, world["quiz"], "Just for my coach", with_cohort=False).status_code == 302
    assert _help_thread(app) is None
    assert "Just for my coach" not in _client(app, "mia@example.com").get(f"/spaces/{world['a']}").get_data(
        as_text=True
    )


def test_asking_twice_makes_one_request_and_one_thread_and_no_cohort_no_sharing(app, world, make_user):
    lena = _client(app, "lena@example.com")
    start_path(lena, world)
    _ask(lena, world["quiz"], "First")
    _ask(lena, world["quiz"], "Second")
    with committing(app):
        assert len(db.session.scalars(select(SpaceThread)).all()) == 1
        assert len(db.session.scalars(select(HelpRequest)).all()) == 1


def test_a_learner_in_no_cohort_asks_the_course_space_and_nowhere_when_it_is_off(app, world, make_user):
    make_user(("learner",), email="alone@example.com")
    alone = _client(app, "alone@example.com")
    start_path(alone, world)
    block = alone.get(f"/learn/{world['quiz']}").get_data(as_text=True)
    assert "Ask my coach and Listening so customers feel heard" in block  # the default without a cohort
    response = _ask(alone, world["quiz"], "Anyone on the course?")
    thread = _help_thread(app)
    assert response.headers["Location"].endswith(f"/spaces/threads/{thread.id}")
    assert (thread.course_id, thread.cohort_id) == (world["course"], None)
    ben = _client(app, "ben@example.com")  # another cohort, on the course
    start_path(ben, world)
    assert "Anyone on the course?" in ben.get(f"/spaces/threads/{thread.id}").get_data(as_text=True)
    assert _client(app, "mia@example.com").get(f"/spaces/threads/{thread.id}").status_code == 404  # not on it

    make_user(("admin",), email="admin@example.com")
    admin = _client(app, "admin@example.com")
    page = f"/spaces/courses/{world['course']}"
    submit(admin, f"{page}/switch", {"enabled": "off"}, form_page=page)
    make_user(("learner",), email="alone2@example.com")
    alone2 = _client(app, "alone2@example.com")
    start_path(alone2, world)
    assert "Ask my coach and" not in alone2.get(f"/learn/{world['quiz']}").get_data(as_text=True)
    _ask(alone2, world["quiz"], "Nowhere to share")
    with committing(app):
        assert len(db.session.scalars(select(SpaceThread)).all()) == 1  # nothing shared, nothing asked
        assert len(db.session.scalars(select(HelpRequest)).all()) == 1


def test_a_learner_in_two_cohorts_chooses_where_to_ask(app, world, make_user):
    make_user(("learner",), email="carl@example.com", name="Carl Second")
    with committing(app):
        lena = db.session.get(User, world["lena"])
        second = Cohort(organisation_id=lena.organisation_id, name="Cohort C",
                        members=[lena, db.session.scalar(select(User).where(User.email == "carl@example.com"))])  # fmt: skip
        db.session.add(second)
        db.session.flush()
        second_id = second.id
    lena = _client(app, "lena@example.com")
    start_path(lena, world)
    block = lena.get(f"/learn/{world['quiz']}").get_data(as_text=True)
    buttons = re.findall(r'name="space" value="([^"]+)"[^>]*>Ask my coach and ([^<]+)<', block)
    assert buttons == [(f"cohort:{world['a']}", "Cohort A"), (f"cohort:{second_id}", "Cohort C"),
                       (f"course:{world['course']}", "Listening so customers feel heard")]  # fmt: skip

    refused = submit(lena, f"/learn/{world['quiz']}/stuck/cohort", {"note": "Help", "space": f"cohort:{world['b']}"},
                     form_page=f"/learn/{world['quiz']}", follow_redirects=True)  # not her cohort  # fmt: skip
    assert "Choose one of your spaces." in refused.get_data(as_text=True)
    with committing(app):
        assert db.session.scalar(select(SpaceThread.id)) is None and db.session.scalar(select(HelpRequest.id)) is None

    response = submit(lena, f"/learn/{world['quiz']}/stuck/cohort", {"note": "Which question first?",
                      "space": f"cohort:{second_id}"}, form_page=f"/learn/{world['quiz']}")  # fmt: skip
    thread = _help_thread(app)
    assert response.headers["Location"].endswith(f"/spaces/threads/{thread.id}") and thread.cohort_id == second_id
    carl, mia = _client(app, "carl@example.com"), _client(app, "mia@example.com")
    assert f"/spaces/threads/{thread.id}" in carl.get(f"/spaces/{second_id}").get_data(as_text=True)
    assert "Which question first?" in carl.get(f"/spaces/threads/{thread.id}").get_data(as_text=True)
    assert f"/spaces/threads/{thread.id}" not in mia.get(f"/spaces/{world['a']}").get_data(as_text=True)
    assert mia.get(f"/spaces/threads/{thread.id}").status_code == 404
    with committing(app):
        posted = db.session.scalar(select(LearningEvent).where(LearningEvent.verb == "posted"))
        assert posted.context["cohort"] == second_id


def test_a_step_not_on_the_path_and_posts_of_other_cohorts_are_not_found(app, world):
    lena = _client(app, "lena@example.com")
    start_path(lena, world)
    _ask(lena, world["quiz"], "Help")
    with committing(app):
        opening = db.session.scalar(select(SpacePost.id).join(SpaceThread).where(SpaceThread.kind == "help"))
    ben = _client(app, "ben@example.com")
    start_path(ben, world)
    assert _ask(ben, "999:nowhere", "x").status_code == 404
    form_page = f"/learn/{world['quiz']}"
    assert submit(ben, f"/spaces/posts/{opening}/helped", {}, form_page=form_page).status_code == 404
    assert submit(ben, f"/spaces/posts/{opening}/endorse", {}, form_page=form_page).status_code == 404
    outsider = _client(app, "out@other.example")
    assert submit(outsider, f"/spaces/posts/{opening}/endorse", {}, form_page="/me").status_code == 404
    with committing(app):
        assert db.session.scalar(select(LearningEvent.id).where(LearningEvent.verb.in_(("helped", "endorsed")))) is None


def test_the_coachs_view_of_a_shared_request_costs_the_same_with_one_answer_or_three(app, world, make_user):
    colleagues = [make_user(("learner",), email=f"peer{n}@example.com", name=f"Peer {n}") for n in range(2)]
    with committing(app):
        cohort = db.session.get(Cohort, world["a"])
        cohort.members.extend([db.session.get(User, person) for person in colleagues])
    lena = _client(app, "lena@example.com")
    start_path(lena, world)
    _ask(lena, world["quiz"], "Which feeling do I name first?")
    thread = _help_thread(app)
    address = f"/spaces/threads/{thread.id}"
    submit(_client(app, "mia@example.com"), f"{address}/replies", {"body": "Name it first."}, form_page=address)
    with committing(app):
        request_id = db.session.scalar(select(HelpRequest.id))
    trainer = _client(app, "tara@example.com")
    one, _page = page_cost(app, trainer, f"/desk/help/{request_id}")
    for n, body in enumerate(("And then ask.", "Thank you both.")):  # colleagues the desk names nowhere else
        submit(_client(app, f"peer{n}@example.com"), f"{address}/replies", {"body": body}, form_page=address)
    three, desk = page_cost(app, trainer, f"/desk/help/{request_id}")
    assert "Name it first." in desk and "Thank you both." in desk and "Peer 1" in desk
    assert three == one
