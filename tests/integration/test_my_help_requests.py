"""A learner's own help requests read a page at a time: the page lists them 20 a page, waiting
ones first, newest first, and an action on one returns to the page it is on now; the API lists
them newest first after its cursor. Before, the page showed the newest 50 unresolved-first and
the API the newest 200: older requests were out of reach."""

import re
from datetime import timedelta

from sqlalchemy import insert, select

from lxp.accounts.models import User
from lxp.coaching.models import HelpRequest
from lxp.core.time import utcnow
from lxp.extensions import db
from tests.conftest import committing, csrf_from, page_cost, sign_in
from tests.integration.api.conftest import ApiClient, make_token


def _asked(app, learner_id: int, trainer_id: int, count: int, start: int = 0) -> None:
    """Requests ``start`` to ``start + count``, a day apart, the first asked longest ago: every
    fifth still open, the others resolved."""
    moment = utcnow() - timedelta(days=100)
    with committing(app):
        organisation_id = db.session.get(User, learner_id).organisation_id
        db.session.execute(insert(HelpRequest), [
            {"organisation_id": organisation_id, "learner_id": learner_id, "item_ref": "1:step",
             "item_title": f"Step {n:02d}", "status": "open" if n % 5 == 0 else "resolved",
             "answer": None if n % 5 == 0 else "Try it this way.", "answered_by_id": None if n % 5 == 0 else trainer_id,
             "answered_at": None if n % 5 == 0 else moment + timedelta(days=n, hours=2),
             "resolved_at": None if n % 5 == 0 else moment + timedelta(days=n, hours=3),
             "created_at": moment + timedelta(days=n)} for n in range(start, start + count)])  # fmt: skip


def _steps(html: str) -> list[int]:
    return [int(n) for n in re.findall(r">Step (\d{2})</a></h2>", html)]


def test_a_learners_help_requests_page_and_an_action_returns_to_its_page(app, make_user):
    learner = make_user(("learner",), email="lena@example.com")
    trainer = make_user(("trainer",), email="tara@example.com", name="Tara Trainer")
    _asked(app, learner, trainer, 9)
    client = app.test_client()
    sign_in(client, "lena@example.com")
    few, _page = page_cost(app, client, "/help")
    _asked(app, learner, trainer, 36, start=9)  # 45 in all
    many, first = page_cost(app, client, "/help")
    assert many == few  # who answered is read together, not per request

    waiting = [n for n in range(45) if n % 5 == 0][::-1]
    listed = _steps(first) + _steps(client.get("/help?page=2").get_data(as_text=True))
    listed += _steps(client.get("/help?page=3").get_data(as_text=True))
    resolved = [n for n in range(45) if n % 5][::-1]
    assert listed == waiting + resolved  # the waiting ones first, then the rest; newest first
    assert "Page 1 of 3" in first and _steps(client.get("/help?page=9").get_data(as_text=True)) == listed[40:]

    with committing(app):
        oldest = db.session.scalar(select(HelpRequest).where(HelpRequest.item_title == "Step 01"))
    assert listed[-1] == 1  # the oldest resolved one is last, on page 3
    rated = client.post(
        f"/help/{oldest.id}/helped", data={"csrf_token": csrf_from(first), "helped": "yes", "mood": "4"}
    )
    assert rated.headers["Location"] == f"/help?page=3#request-{oldest.id}"
    assert "You said it helped." in client.get("/help?page=3").get_data(as_text=True)


def test_the_api_lists_a_learners_help_requests_newest_first_each_once(app, make_user):
    learner = make_user(("learner",), email="lena@example.com")
    trainer = make_user(("trainer",), email="tara@example.com")
    _asked(app, learner, trainer, 60)
    api = ApiClient(app, make_token(app, learner), learner)
    seen, token = [], None
    while True:
        page = api.get("/api/v1/help-requests?limit=25" + (f"&page_token={token}" if token else "")).get_json()
        seen += [r["item_title"] for r in page["items"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert seen == [f"Step {n:02d}" for n in range(59, -1, -1)]
