"""The trainer's desk shows the first ten of each queue and how many more wait; each queue's own
page lists it whole, twenty a page, in the desk's order (issue 20: a coach of hundreds)."""

import re
from datetime import timedelta

from sqlalchemy import insert

from lxp.accounts.models import User, UserRole
from lxp.coaching.models import CoachingThread, HelpRequest
from lxp.cohorts.models import Cohort, cohort_members
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.workplace.models import TaskSubmission
from tests.conftest import committing, page_cost, sign_in


def _learners(organisation_id: int, name: str, count: int, start: int, cohort_id: int | None = None) -> list[int]:
    """``count`` learners called ``name`` and a number from ``start`` (of the cohort, if given);
    their ids in that order. Inside a ``committing`` block."""
    ids = list(db.session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), [
        {"organisation_id": organisation_id, "email": f"{name.lower()}{n}@example.com", "display_name": f"{name} {n:02d}",
         "timezone": "UTC", "active": True} for n in range(start, start + count)]).scalars())  # fmt: skip
    db.session.execute(insert(UserRole), [{"user_id": i, "role": "learner"} for i in ids])
    if cohort_id is not None:
        db.session.execute(insert(cohort_members), [{"cohort_id": cohort_id, "user_id": i} for i in ids])
    return ids


def _stuck_learners(app, organisation_id: int, count: int, start: int = 0) -> None:
    """``count`` learners, each with an open help request, the first asked longest ago."""
    moment = utcnow() - timedelta(days=2)
    with committing(app):
        ids = _learners(organisation_id, "Stuck", count, start)
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


def _learners_with_evidence(app, organisation_id: int, cohort_id: int, count: int, start: int) -> None:
    """``count`` learners of the cohort, each with a try submitted for review, the first longest ago."""
    moment = utcnow() - timedelta(days=3)
    with committing(app):
        ids = _learners(organisation_id, "Doer", count, start, cohort_id)
        db.session.execute(insert(TaskSubmission), [
            {"organisation_id": organisation_id, "learner_id": i, "item_ref": "1:task", "item_title": "A task",
             "status": "submitted", "submitted_at": moment + timedelta(minutes=start + n), "rubric": [],
             "competencies": [], "links": []} for n, i in enumerate(ids)])  # fmt: skip


def _doers(html: str) -> list[str]:
    return re.findall(r"Doer \d{2}", html.split('id="evidence-queue"', 1)[1].split("</section>", 1)[0])


def test_evidence_on_the_desk_is_the_coachs_own_and_costs_the_same_for_any_number_of_learners(app, make_user):
    """The desk asked who coaches each learner with a try waiting, one statement per learner of
    the organisation; now the queue is read with its coach in one statement, ten at a time."""
    trainer = make_user(("trainer",), email="tara@example.com", name="Tara Trainer")
    other = make_user(("trainer",), email="otto@example.com", name="Otto Trainer")
    with committing(app):
        organisation_id = db.session.get(User, trainer).organisation_id
        mine, theirs = Cohort(organisation_id=organisation_id, name="Mine", coach_id=trainer), Cohort(
            organisation_id=organisation_id, name="Theirs", coach_id=other)  # fmt: skip
        db.session.add_all([mine, theirs])
        db.session.flush()
        mine_id, theirs_id = mine.id, theirs.id
    _learners_with_evidence(app, organisation_id, mine_id, 3, start=0)
    _learners_with_evidence(app, organisation_id, theirs_id, 3, start=50)
    client = app.test_client()
    sign_in(client, "tara@example.com")
    few, desk = page_cost(app, client, "/desk")
    assert _doers(desk) == ["Doer 00", "Doer 01", "Doer 02"]

    _learners_with_evidence(app, organisation_id, mine_id, 12, start=3)
    _learners_with_evidence(app, organisation_id, theirs_id, 12, start=53)
    many, desk = page_cost(app, client, "/desk")
    assert _doers(desk) == [f"Doer {n:02d}" for n in range(10)] and "5 more waiting" in desk
    assert many == few
    last = client.get("/desk/evidence?page=9").get_data(as_text=True)  # past the end: the last page
    assert "Page 1 of 1" not in last and _doers(last) == [f"Doer {n:02d}" for n in range(15)]


def _conversations(app, organisation_id: int, cohort_id: int, coach_id: int, count: int, start: int) -> None:
    """``count`` learners of the cohort with a conversation each: every third answered by the
    coach (at a later hour each), the others waiting since an hour that comes earlier each time."""
    now = utcnow()
    with committing(app):
        ids = _learners(organisation_id, "Talker", count, start, cohort_id)
        db.session.execute(insert(CoachingThread), [
            {"organisation_id": organisation_id, "learner_id": i, "created_at": now - timedelta(days=30),
             "last_author_id": coach_id if (start + n) % 3 == 0 else i,
             "last_message_at": now - timedelta(hours=start + n if (start + n) % 3 == 0 else 100 + start + n)}
            for n, i in enumerate(ids)])  # fmt: skip


def _talkers(html: str) -> list[str]:
    return re.findall(r"Talker (\d{2})", html.split('id="conversations"', 1)[1].split("</section>", 1)[0])


def test_conversations_on_the_desk_wait_longest_first_then_the_latest_answered(app, make_user):
    """The desk's conversations, ordered by the database a page at a time: those waiting for an
    answer first (the longest waiting first), then the answered ones (the latest first)."""
    trainer = make_user(("trainer",), email="tara@example.com", name="Tara Trainer")
    with committing(app):
        organisation_id = db.session.get(User, trainer).organisation_id
        cohort = Cohort(organisation_id=organisation_id, name="Mine", coach_id=trainer)
        db.session.add(cohort)
        db.session.flush()
        cohort_id = cohort.id
    _conversations(app, organisation_id, cohort_id, trainer, 12, start=0)
    client = app.test_client()
    sign_in(client, "tara@example.com")
    few, desk = page_cost(app, client, "/desk")
    waiting = [n for n in range(12) if n % 3][::-1]  # the later the number, the longer it waits
    answered = [n for n in range(12) if n % 3 == 0]  # the lower the number, the later the answer
    assert [int(n) for n in _talkers(desk)] == (waiting + answered)[:10] and "2 more waiting" in desk

    _conversations(app, organisation_id, cohort_id, trainer, 30, start=12)
    many, desk = page_cost(app, client, "/desk")
    assert many == few
    waiting = [n for n in range(42) if n % 3][::-1]
    answered = [n for n in range(42) if n % 3 == 0]
    listed = []
    for page in (1, 2, 3):
        listed += [int(n) for n in _talkers(client.get(f"/desk/conversations?page={page}").get_data(as_text=True))]
    assert listed == waiting + answered
