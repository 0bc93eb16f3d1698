"""The trainer's desk shows the first ten of each queue and how many more wait; each queue's own
page lists it whole, twenty a page, in the desk's order (issue 20: a coach of hundreds)."""

import re
from datetime import timedelta

from sqlalchemy import insert

from lxp.accounts.models import User, UserRole
from lxp.coaching.models import HelpRequest
from lxp.core.time import utcnow
from lxp.extensions import db
from tests.conftest import committing, page_cost, sign_in


def _stuck_learners(app, organisation_id: int, count: int, start: int = 0) -> None:
    """``count`` learners, each with an open help request, the first asked longest ago."""
    moment = utcnow() - timedelta(days=2)
    with committing(app):
        ids = list(db.session.execute(insert(User).returning(User.id), [
            {"organisation_id": organisation_id, "email": f"stuck{n}@example.com", "display_name": f"Stuck {n:02d}",
             "timezone": "UTC", "active": True} for n in range(start, start + count)]).scalars())  # fmt: skip
        db.session.execute(insert(UserRole), [{"user_id": i, "role": "learner"} for i in ids])
        db.session.execute(insert(HelpRequest), [
            {"organisation_id": organisation_id, "learner_id": i, "item_ref": "step", "item_title": "A step",
             "status": "open", "created_at": moment + timedelta(minutes=start + n)} for n, i in enumerate(ids)])  # fmt: skip


def _names(html: str) -> list[str]:
    return re.findall(r"<strong>(Stuck \d{2})</strong>", html.split('id="help-queue"', 1)[1].split("</section>", 1)[0])


def test_the_desk_shows_ten_of_a_queue_and_its_page_shows_it_all(app, make_user):
    trainer = make_user(("trainer",), email="tara@example.com", name="Tara Trainer")
    with committing(app):
        organisation_id = db.session.get(User, trainer).organisation_id
    _stuck_learners(app, organisation_id, 12)
    client = app.test_client()
    sign_in(client, "tara@example.com")
    few, desk = page_cost(app, client, "/desk")
    assert _names(desk) == [f"Stuck {n:02d}" for n in range(10)]
    assert "2 more waiting: see the whole list" in desk and 'href="/desk/help"' in desk

    _stuck_learners(app, organisation_id, 33, start=12)
    many, desk = page_cost(app, client, "/desk")
    assert _names(desk) == [f"Stuck {n:02d}" for n in range(10)] and "35 more waiting" in desk
    assert many == few and len(desk) < 60_000

    first = client.get("/desk/help").get_data(as_text=True)
    assert _names(first) == [f"Stuck {n:02d}" for n in range(20)]
    assert "45 in this list, in the desk's order." in first and "Page 1 of 3" in first
    assert _names(client.get("/desk/help?page=3").get_data(as_text=True)) == [f"Stuck {n:02d}" for n in range(40, 45)]
    for queue in ("at-risk", "evidence", "conversations", "checkpoints"):
        assert client.get(f"/desk/{queue}").status_code == 200, queue
    assert client.get("/desk/elsewhere").status_code == 404

    learner = app.test_client()
    make_user(("learner",), email="lena@example.com")
    sign_in(learner, "lena@example.com")
    assert learner.get("/desk/help").status_code == 403
