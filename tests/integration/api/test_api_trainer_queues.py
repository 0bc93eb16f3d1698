"""The API's trainer queues (help requests, evidence waiting for review, conversations) page in
SQL after their cursor: every row once, in order, each page at the same cost however deep (issue 20: a coach of
hundreds); a token of another list is refused."""

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.coaching.models import CoachingThread
from lxp.cohorts.models import Cohort
from lxp.core.time import utcnow
from lxp.extensions import db
from tests.conftest import committing, statements_sent
from tests.integration.api.conftest import is_problem
from tests.integration.test_desk_queues import _conversations, _learners_with_evidence, _stuck_learners


def _every_page(app, client, address: str) -> tuple[list[dict], list[int]]:
    """Every item of the list following its tokens, and the statements each page sent."""
    items, costs, token = [], [], None
    while True:
        with statements_sent(app) as sent:
            page = client.get(address + (f"&page_token={token}" if token else ""))
        assert page.status_code == 200, page.get_json()
        items += page.get_json()["items"]
        costs.append(len(sent))
        token = page.get_json()["next_page_token"]
        if token is None:
            return items, costs


def test_the_trainers_help_requests_and_reviews_page_through_the_api_each_once(app, api_as):
    coach = api_as("trainer")
    with committing(app):
        organisation_id = db.session.get(User, coach.user_id).organisation_id
        cohort = Cohort(organisation_id=organisation_id, name="Coached", coach_id=coach.user_id)
        db.session.add(cohort)
        db.session.flush()
        cohort_id = cohort.id
    _stuck_learners(app, organisation_id, 45)
    _learners_with_evidence(app, organisation_id, cohort_id, 32, start=0)

    asked, asked_costs = _every_page(app, coach, "/api/v1/trainer/help-requests?limit=10")
    assert [r["learner_id"] for r in asked] == sorted(r["learner_id"] for r in asked)  # asked in that order
    assert len(asked) == len({r["id"] for r in asked}) == 45 and len(asked_costs) == 5
    assert len(set(asked_costs[1:-1])) == 1  # the fourth page costs what the second does (the first signs in)

    sent, sent_costs = _every_page(app, coach, "/api/v1/trainer/reviews?limit=10")
    assert len(sent) == len({s["id"] for s in sent}) == 32 and len(sent_costs) == 4
    assert [s["submitted_at"] for s in sent] == sorted(s["submitted_at"] for s in sent)
    assert all(s["status"] == "submitted" and s["review"] is None for s in sent)
    assert len(set(sent_costs[1:-1])) == 1

    first = coach.get("/api/v1/trainer/help-requests?limit=10").get_json()["next_page_token"]
    is_problem(coach.get(f"/api/v1/trainer/reviews?page_token={first}"), 400)  # another list's token


def test_a_coachs_conversations_page_through_the_api_latest_first_with_their_own(app, api_as):
    """A trainer who also learns: the conversations of the learners they coach that have a
    message, and their own (even before anyone wrote), the latest first, each once."""
    coach = api_as("trainer", "learner")
    with committing(app):
        me = db.session.get(User, coach.user_id)
        cohort = Cohort(organisation_id=me.organisation_id, name="Coached", coach_id=me.id)
        db.session.add(cohort)
        db.session.flush()
        cohort_id, organisation_id = cohort.id, me.organisation_id
    _conversations(app, organisation_id, cohort_id, coach.user_id, 31, start=0)
    with committing(app):  # a coached learner's conversation nobody wrote in yet is not the coach's
        quiet = db.session.scalar(select(User).where(User.email == "talker0@example.com"))
        db.session.add(CoachingThread(organisation_id=organisation_id, learner_id=quiet.id, created_at=utcnow()))
        db.session.add(CoachingThread(organisation_id=organisation_id, learner_id=coach.user_id, created_at=utcnow()))

    listed, costs = _every_page(app, coach, "/api/v1/coaching/threads?limit=10")
    assert len(listed) == len({t["id"] for t in listed}) == 32 and len(costs) == 4
    assert listed[0]["learner_id"] == coach.user_id and listed[0]["last_message_at"] is None  # opened just now
    moved = [t["last_message_at"] or t["created_at"] for t in listed]
    assert moved == sorted(moved, reverse=True)
    assert len(set(costs[1:-1])) == 1
