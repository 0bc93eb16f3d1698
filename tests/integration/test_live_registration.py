"""Learners register for live sessions: seats, the waitlist and its order, claim windows,
refusals that change nothing, clash warnings, and the last seat taken twice at once."""

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event

from lxp.accounts.models import User
from lxp.core.errors import Conflict
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.live import registration, scheduling
from tests.conftest import committing, csrf_from
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    count_events,
    live_course_fixture,
    person_fixture,
    post_on,
    register,
    schedule,
    session_row,
    soon,
    start_path,
    statuses,
    trainer_fixture,
)


def test_a_learner_sees_the_dates_of_their_live_step_and_registers_in_one_tap(app, live_course, trainer, person):
    first, second = schedule(app, trainer, live_course["live"], soon(7), capacity=2, extra_days=[soon(14).date()])
    client, learner = person(timezone="America/New_York")
    start_path(client, live_course)
    page = client.get("/sessions").get_data(as_text=True)
    assert page.count("Role-play lab") == 2 and "2 seats left" in page
    assert "In Europe/Berlin: " in page  # the viewer's own time first, the session's zone beside it
    response = register(client, first, data={"back": "list"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "You are registered. See you there!" in page
    assert "1 seat left" in page and "Cancel my seat" in page
    assert statuses(app, first) == {learner: "registered"}
    assert count_events(app, "registered") >= 2  # the goal and the seat
    item_page = client.get(f"/sessions/item/{live_course['live']}").get_data(as_text=True)
    assert "You are registered." in item_page and item_page.count("Register</button>") == 1


def test_a_full_session_offers_the_waitlist_and_promotes_in_order(app, live_course, trainer, person, mailbox):
    (session_id,) = schedule(app, trainer, live_course["live"], soon(), capacity=2)
    people = [person(email=f"learner{n}@example.com") for n in range(4)]
    for client, _id in people:
        register(client, session_id)
    ids = [user_id for _client, user_id in people]
    assert statuses(app, session_id) == {ids[0]: "registered", ids[1]: "registered", ids[2]: "waitlisted",
                                         ids[3]: "waitlisted"}  # fmt: skip
    page = people[3][0].get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Full" in page and "2 waiting" in page and "You are on the waitlist." in page
    # Seats are confirmed by e-mail (with the calendar invitation); waitlist places are not.
    assert sorted(m["X-Envelope-To"] for m in mailbox.messages) == ["learner0@example.com", "learner1@example.com"]
    mailbox.messages.clear()

    response = post_on(people[0][0], f"/sessions/{session_id}", f"/sessions/{session_id}/cancel-registration",
                       follow_redirects=True)  # fmt: skip
    assert "Your place is given up." in response.get_data(as_text=True)
    assert statuses(app, session_id) == {ids[0]: "cancelled", ids[1]: "registered", ids[2]: "registered",
                                         ids[3]: "waitlisted"}  # fmt: skip
    (gone,) = mailbox.to("learner0@example.com")  # takes it out of their calendar
    assert gone["Subject"] == "Seat given up: Role-play lab"
    (mail,) = mailbox.to("learner2@example.com")
    assert mail["To"].endswith("<learner2@example.com>") and mail["Subject"] == "You have a seat: Role-play lab"
    assert "it is yours" in mailbox.text_of(mail)


def test_with_a_claim_window_the_promoted_learner_confirms_or_the_seat_moves_on(app, live_course, trainer, person,
                                                                                mailbox):  # fmt: skip
    (session_id,) = schedule(app, trainer, live_course["live"], soon(), capacity=1, claim_hours=4)
    (first, a), (second, b), (third, c) = (person(email=f"p{n}@example.com") for n in range(3))
    for client in (first, second, third):
        register(client, session_id)
    post_on(first, f"/sessions/{session_id}", f"/sessions/{session_id}/cancel-registration")
    assert statuses(app, session_id)[b] == "offered"
    assert mailbox.messages[-1]["Subject"] == "A seat is free for you: Role-play lab"
    assert "Confirm my seat" in second.get(f"/sessions/{session_id}").get_data(as_text=True)
    # The third person cannot jump the queue: the offered seat is held for the second.
    assert "You are on the waitlist." in third.get(f"/sessions/{session_id}").get_data(as_text=True)

    with committing(app):
        assert registration.expire_claims(utcnow() + timedelta(hours=3)) == 0  # still inside the window
        assert registration.expire_claims(utcnow() + timedelta(hours=5)) == 1
    assert statuses(app, session_id) == {a: "cancelled", b: "expired", c: "offered"}
    subjects = [m["Subject"] for m in mailbox.messages]
    assert "The seat offered to you has gone: Role-play lab" in subjects
    response = post_on(second, f"/sessions/{session_id}", f"/sessions/{session_id}/claim", follow_redirects=True)
    assert "The time to confirm this seat has passed." in response.get_data(
        as_text=True
    ) or "There is no seat waiting for you" in response.get_data(as_text=True)
    response = post_on(third, f"/sessions/{session_id}", f"/sessions/{session_id}/claim", follow_redirects=True)
    assert "The seat is yours." in response.get_data(as_text=True)
    assert statuses(app, session_id)[c] == "registered"


def test_refused_registrations_say_why_and_change_nothing(app, live_course, trainer, person):
    # Registration closes 48 hours before a session that starts in 24 hours.
    (closed,) = schedule(app, trainer, live_course["live"], soon(1), deadline_hours=48)
    (cancelled,) = schedule(app, trainer, live_course["live"], soon(3))
    (open_,) = schedule(app, trainer, live_course["live"], soon(5))
    with committing(app):
        scheduling.cancel_session(db.session.get(User, trainer), cancelled)
    client, learner = person()
    register(client, open_)
    before = count_events(app)

    def refused(session_id, message):
        response = register(client, session_id, follow_redirects=True)
        assert message in response.get_data(as_text=True)

    refused(closed, "Registration closed on ")
    refused(cancelled, "This session has been cancelled.")
    refused(open_, "You are already registered for this session.")
    assert count_events(app) == before
    assert (
        statuses(app, closed) == {}
        and statuses(app, cancelled) == {}
        and statuses(app, open_) == {learner: "registered"}
    )
    # A session that has started (the clock moved on) is refused too.
    with committing(app):
        learner_user = db.session.get(User, learner)
        with pytest.raises(Conflict, match="already started"):
            registration.register_for_session(learner_user, closed, now=utcnow() + timedelta(days=2))
    # Another organisation's session does not exist for this learner.
    assert register(client, 999_999).status_code == 404


def test_registering_for_two_sessions_at_the_same_time_asks_to_confirm_naming_the_other(
    app, live_course, trainer, person
):
    (first,) = schedule(app, trainer, live_course["live"], soon(6), place="Room 1")
    (second,) = schedule(app, trainer, live_course["live"], soon(6).replace(hour=18, minute=30), place="Room 2")
    client, learner = person(timezone="Europe/Berlin")
    register(client, first)
    page = client.get(f"/sessions/{second}").get_data(as_text=True)
    assert "Clashes with \u201cRole-play lab\u201d" in page  # seen before the tap, too

    asked = register(client, second, data={"back": "list"})
    assert asked.status_code == 409
    page = asked.get_data(as_text=True)
    assert "Register for an overlapping session?" in page
    other = r"Role-play lab</a> · [A-Z][a-z]{2} \d{1,2}, \d{4}, 6:00\u202fPM \u2013 7:00\u202fPM · Room 1"
    assert re.search(other, page)  # the other session named, with its time and place
    assert statuses(app, second) == {}  # nothing taken yet
    assert 'name="confirm_overlap" value="yes"' in page and 'name="back" value="list"' in page

    token = csrf_from(page)
    confirmed = client.post(f"/sessions/{second}/register", follow_redirects=True,
                            data={"csrf_token": token, "back": "list", "confirm_overlap": "yes"})  # fmt: skip
    assert "You are registered. See you there!" in confirmed.get_data(as_text=True)
    assert statuses(app, second) == {learner: "registered"} and statuses(app, first) == {learner: "registered"}


def test_a_session_that_only_touches_another_or_a_cancelled_one_needs_no_confirmation(
    app, live_course, trainer, person
):
    (first,) = schedule(app, trainer, live_course["live"], soon(6))  # 18:00-19:00
    (after,) = schedule(app, trainer, live_course["live"], soon(6).replace(hour=19), place="Room 2")
    client, learner = person()
    register(client, first)
    assert register(client, after).status_code == 302  # back to back is not an overlap
    (same_time,) = schedule(app, trainer, live_course["live"], soon(6), place="Room 3")
    with committing(app):
        scheduling.cancel_session(db.session.get(User, trainer), first)
    assert register(client, same_time).status_code == 302
    assert statuses(app, same_time) == {learner: "registered"}


def test_a_learner_cannot_see_or_change_another_learners_registration(app, live_course, trainer, person):
    (session_id,) = schedule(app, trainer, live_course["live"], soon())
    alice, alice_id = person()
    bob, _bob_id = person()
    register(alice, session_id)
    assert "You are registered." not in bob.get(f"/sessions/{session_id}").get_data(as_text=True)
    response = post_on(bob, f"/sessions/{session_id}", f"/sessions/{session_id}/cancel-registration",
                       follow_redirects=True)  # fmt: skip
    assert "You are not registered for this session." in response.get_data(as_text=True)
    assert statuses(app, session_id) == {alice_id: "registered"}


def test_upcoming_for_learner_lists_the_next_seats_in_one_query(app, live_course, trainer, person):
    ids = schedule(app, trainer, live_course["live"], soon(2), extra_days=[soon(4).date(), soon(9).date(),
                                                                            soon(12).date()])  # fmt: skip
    client, learner = person()
    for session_id in ids[1:]:
        register(client, session_id)
    statements = []

    def count(conn, cursor, statement, *args):
        # SQLite's BEGIN IMMEDIATE is not a query, nor are the test harness's savepoints
        if not statement.startswith(("BEGIN", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            statements.append(statement)

    with committing(app):
        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            upcoming = registration.upcoming_for_learner(learner, utcnow(), limit=2)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert [u.session_id for u in upcoming] == ids[1:3]
    first = upcoming[0]
    assert first.title == "Role-play lab" and first.timezone == "Europe/Berlin" and first.place == "Room 1"
    assert first.item_ref == live_course["live"] and first.starts_at < first.ends_at


@pytest.mark.real_commits  # two threads, two connections: the row lock is what is tested
def test_two_people_taking_the_last_seat_at_once_get_one_seat_and_one_waitlist_place(app, live_course, trainer,
                                                                                     person):  # fmt: skip
    with committing(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL: SQLite serialises writers (BEGIN IMMEDIATE), so there is no race to test")
    (session_id,) = schedule(app, trainer, live_course["live"], soon(), capacity=1)
    pages = [person(email=f"racer{n}@example.com") for n in range(2)]
    tokens = []
    from tests.conftest import csrf_from

    for client, _id in pages:
        tokens.append(csrf_from(client.get(f"/sessions/{session_id}").get_data(as_text=True)))
    # Both requests hold their transaction open on the seat count; the row lock makes one wait.
    barrier = threading.Barrier(2)
    results = []

    def take(n):
        client, _id = pages[n]
        barrier.wait()
        results.append(client.post(f"/sessions/{session_id}/register", data={"csrf_token": tokens[n]}).status_code)

    threads = [threading.Thread(target=take, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [302, 302]
    assert sorted(statuses(app, session_id).values()) == ["registered", "waitlisted"]
    assert session_row(app, session_id).capacity == 1
