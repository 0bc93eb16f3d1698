"""Two requests writing the same thing at the same moment (two tabs, a phone replaying its queue
while the first send is still under way): the database settles the duplicate
(``INSERT … ON CONFLICT DO NOTHING``, ``lxp/core/inserts.py``) and nothing is stored twice or lost.

PostgreSQL only: SQLite lets one writer in at a time (``BEGIN IMMEDIATE``), so there is no race.
The race is made certain, not hoped for: a third connection locks the table both requests are
about to insert into, the test waits until both wait for that lock, then lets them go at once.
"""

import threading
import time
import uuid

import pytest
from sqlalchemy import func, select, text

from lxp.completions import Completion
from lxp.events import LearningEvent
from lxp.extensions import db
from tests.conftest import committing, csrf_from, sign_in
from tests.integration.conftest import start_path

pytestmark = pytest.mark.real_commits  # two requests on two connections, and a third holding the lock


def _two_devices(app, client, login_as, published):
    """The learner signed in on two devices, on the example path; (learner id, clients, CSRF tokens)."""
    with committing(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL: SQLite lets one writer in at a time, so nothing races")
    learner = login_as("learner")
    start_path(client, published)
    other = app.test_client()
    assert sign_in(other, learner.email).status_code == 302
    clients = [client, other]
    return learner.id, clients, [csrf_from(c.get("/today").get_data(as_text=True)) for c in clients]


def _at_once(app, table: str, posts) -> list[int]:
    """Run ``posts`` (callables answering a response) in threads while ``table`` is locked against
    inserts; release the lock once every one of them waits for it. Their status codes, sorted."""
    with app.app_context():
        locker = db.engine.connect()
    lock = locker.begin()
    locker.execute(text(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))  # reads pass, inserts wait
    answers: list[int] = []

    def send(post):
        answers.append(post().status_code)

    threads = [threading.Thread(target=send, args=(post,)) for post in posts]
    for thread in threads:
        thread.start()
    waiting = f"SELECT count(*) FROM pg_locks WHERE relation = '{table}'::regclass AND NOT granted"
    deadline = time.monotonic() + 30
    while locker.execute(text(waiting)).scalar() < len(posts):
        assert time.monotonic() < deadline, "the requests never reached the insert"
        time.sleep(0.02)
    lock.commit()  # both go on now; one inserts first, the other meets its row
    locker.close()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(answers)


def _stored(app, learner_id: int, ref: str) -> tuple[int, list[Completion]]:
    with committing(app):
        events = db.session.scalar(select(func.count()).select_from(LearningEvent).where(
            LearningEvent.actor_id == learner_id, LearningEvent.object_id == ref, LearningEvent.verb == "completed"))  # fmt: skip
        rows = db.session.scalars(select(Completion).where(Completion.learner_id == learner_id,
                                                           Completion.object_id == ref)).all()  # fmt: skip
        return events, rows


def test_a_step_finished_in_two_tabs_at_once_is_done_once_with_both_events(app, client, login_as, published):
    learner_id, clients, tokens = _two_devices(app, client, login_as, published)
    lesson = published["lesson"]

    def finish(n):
        body = {"event_id": str(uuid.uuid4()), "seconds": 60 + n}
        return lambda: clients[n].post(f"/learn/{lesson}/done", json=body, headers={"X-CSRFToken": tokens[n]})

    assert _at_once(app, "completions", [finish(0), finish(1)]) == [200, 200]
    events, rows = _stored(app, learner_id, lesson)
    assert events == 2  # each tab's tap is in the log
    assert len(rows) == 1  # the step is done once
    assert rows[0].finished_at is not None and rows[0].last_finished_at >= rows[0].finished_at
    for page in (c.get("/path").get_data(as_text=True) for c in clients):
        assert "What active listening sounds like" in page


def test_a_replay_racing_its_first_send_is_stored_once(app, client, login_as, published):
    learner_id, clients, tokens = _two_devices(app, client, login_as, published)
    lesson = published["lesson"]
    body = {"event_id": str(uuid.uuid4()), "seconds": 90}  # the same tap, sent twice

    def send(n):
        headers = {"X-CSRFToken": tokens[n], **({"X-LXP-Replay": "1"} if n else {})}
        return lambda: clients[n].post(f"/learn/{lesson}/done", json=body, headers=headers)

    answers = _at_once(app, "learning_events", [send(0), send(1)])
    # One is stored; the other meets it. Sent a moment later it would be a replay, answered 200; at
    # the same moment its timestamp differs from the stored one's: 409, which the phone's queue
    # drops quietly (static/js/offline.js), as the first send was stored.
    assert answers[0] == 200 and answers[1] in (200, 409), answers
    events, rows = _stored(app, learner_id, lesson)
    assert events == 1
    assert len(rows) == 1
    again = clients[1].post(f"/learn/{lesson}/done", json=body, headers={"X-CSRFToken": tokens[1], "X-LXP-Replay": "1"})
    assert again.status_code == 200  # a later replay is the same action, counted once
    assert _stored(app, learner_id, lesson)[0] == 1
