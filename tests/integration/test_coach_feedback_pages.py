"""The feedback a learner's coaches gave: the path page shows the newest 20 and links to the
whole list, which pages 20 at a time, newest first (older feedback was out of reach)."""

import re
from datetime import timedelta

from sqlalchemy import insert

from lxp.accounts.models import User
from lxp.coaching.models import CoachFeedback
from lxp.core.time import utcnow
from lxp.extensions import db
from tests.conftest import committing, sign_in
from tests.integration.conftest import start_path


def _given(app, learner_id: int, coach_id: int, count: int, start: int = 0) -> None:
    """Ratings ``start`` to ``start + count``, a day apart, the comment numbering them from the oldest."""
    moment = utcnow() - timedelta(days=60)
    with committing(app):
        organisation_id = db.session.get(User, learner_id).organisation_id
        db.session.execute(insert(CoachFeedback), [
            {"organisation_id": organisation_id, "learner_id": learner_id, "coach_id": coach_id, "competency": "listen",
             "rating": 1 + n % 4, "comment": f"Note {n:02d}", "created_at": moment + timedelta(days=n)}
            for n in range(start, start + count)])  # fmt: skip


def _notes(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<p class="note">Note (\d{2})</p>', html)]


def test_the_path_shows_the_newest_feedback_and_links_to_all_of_it(app, published, make_user):
    learner = make_user(("learner",), email="lena@example.com")
    coach = make_user(("trainer",), email="tara@example.com", name="Tara Trainer")
    client = app.test_client()
    sign_in(client, "lena@example.com")
    start_path(client, published)
    empty = client.get("/path/feedback").get_data(as_text=True)
    assert "No feedback yet." in empty and "All feedback from your coach" not in client.get("/path").get_data(
        as_text=True
    )

    _given(app, learner, coach, 20)
    path = client.get("/path").get_data(as_text=True)
    assert _notes(path) == list(range(19, -1, -1)) and "All feedback from your coach" not in path  # all of it shown

    _given(app, learner, coach, 25, start=20)  # 45 in all
    path = client.get("/path").get_data(as_text=True)
    assert len(_notes(path)) == 20 and 'href="/path/feedback"' in path
    pages = [client.get(f"/path/feedback?page={n}").get_data(as_text=True) for n in (1, 2, 3)]
    listed = [n for page in pages for n in _notes(page)]
    assert listed == list(range(44, -1, -1)) and "Page 1 of 3" in pages[0]  # every one, the newest first
    stamps = re.findall(r"· Tara Trainer · ([^<]+)</span>", "".join(pages))
    assert len(stamps) == 45
    assert _notes(client.get("/path/feedback?page=8").get_data(as_text=True)) == listed[40:]  # past the end: the last

    other = app.test_client()
    make_user(("trainer",), email="otto@example.com")
    sign_in(other, "otto@example.com")
    assert other.get("/path/feedback").status_code == 403  # a learner's own page
