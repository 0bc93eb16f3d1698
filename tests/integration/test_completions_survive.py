"""What a learner did is the primary write: when the work derived from it (replanning the
path) fails, the completion stands, the learner sees the step done, the failure is logged
with the learner and the cause, and the plan is rebuilt on the next read or scheduler tick.

The failure is real, not simulated in our code: a database trigger refuses every change of
a stored plan, as a broken disk, a lock time-out or a schema drift would.
"""

import logging
import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from lxp import scheduler
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.paths.models import Journey
from tests.conftest import committing, csrf_from
from tests.integration.conftest import start_path
from tests.integration.test_live_fixtures import live_course_fixture, person_fixture  # noqa: F401  (fixtures)
from tests.integration.test_live_fixtures import start_path as start_live_path

REFUSAL = "replanning refused by the test"


class Replanning:
    """Breaks and repairs the storing of plans: while broken, the database refuses to change
    any journey's stored plan."""

    def __init__(self, app):
        self.app = app

    def _run(self, *statements: str) -> None:
        with self.app.app_context():  # the test's connection: rolled back with the test
            for statement in statements:
                db.session.execute(text(statement))
            db.session.commit()

    def breaks(self) -> None:
        with self.app.app_context():
            postgres = db.engine.dialect.name == "postgresql"
        if postgres:
            self._run("CREATE OR REPLACE FUNCTION refuse_replanning() RETURNS trigger AS "
                      f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$ LANGUAGE plpgsql",
                      "CREATE TRIGGER refuse_replanning BEFORE UPDATE OF plan ON journeys "
                      "FOR EACH ROW EXECUTE FUNCTION refuse_replanning()")  # fmt: skip
        else:
            self._run("CREATE TRIGGER refuse_replanning BEFORE UPDATE OF plan ON journeys "
                      f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")  # fmt: skip

    def repair(self) -> None:
        with self.app.app_context():
            postgres = db.engine.dialect.name == "postgresql"
        if postgres:
            self._run("DROP TRIGGER IF EXISTS refuse_replanning ON journeys",
                      "DROP FUNCTION IF EXISTS refuse_replanning()")  # fmt: skip
        else:
            self._run("DROP TRIGGER IF EXISTS refuse_replanning")


@pytest.fixture
def replanning(app, clean_db):
    controller = Replanning(app)
    yield controller
    controller.repair()


def _journey(app, learner_id) -> Journey:
    with committing(app):
        journey = db.session.execute(select(Journey).where(Journey.learner_id == learner_id)).scalar_one()
        db.session.expunge(journey)
        return journey


def _completions(app, learner_id, ref) -> int:
    with committing(app):
        return db.session.scalar(
            select(func.count()).select_from(LearningEvent).where(
                LearningEvent.actor_id == learner_id, LearningEvent.object_id == ref,
                LearningEvent.verb.in_(("completed", "passed", "failed")))
        )  # fmt: skip


def _station(path_page: str, title: str) -> str:
    """The path page's station (list item) of the step with this title."""
    for station in re.findall(r'<li class="station[^"]*">.*?</li>', path_page, flags=re.S):
        if title in station:
            return station
    raise AssertionError(f"no station {title!r} on the path page")


def test_a_completion_stands_when_replanning_fails_and_the_plan_heals(app, client, login_as, published,
                                                                     replanning, caplog):  # fmt: skip
    learner = login_as("learner")
    start_path(client, published)
    lesson = published["lesson"]
    page = client.get(f"/learn/{lesson}").get_data(as_text=True)
    event_id = re.search(r'name="event_id" type="hidden" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_from(page), "event_id": event_id, "started_at": "0"}

    replanning.breaks()
    with caplog.at_level(logging.ERROR, logger="lxp.paths"):
        response = client.post(f"/learn/{lesson}", data=data)
    assert response.status_code == 302  # the learner goes on as after any completion
    assert _completions(app, learner.id, lesson) == 1
    failure = next(r for r in caplog.records if r.name == "lxp.paths")
    assert f"learner {learner.id}" in failure.getMessage() and f"completing {lesson}" in failure.getMessage()
    assert REFUSAL in failure.exc_text
    assert _journey(app, learner.id).plan_stale_since is not None

    # The plan cannot be stored yet, but the learner sees what they did, and a double tap counts once.
    station = _station(client.get("/path").get_data(as_text=True), "What active listening sounds like")
    assert "done" in station and "\u2713" in station
    today = client.get("/today").get_data(as_text=True)
    assert "Check: listening" in today[today.index("Your next step") :][:800]
    assert client.post(f"/learn/{lesson}", data=data).status_code == 302
    assert _completions(app, learner.id, lesson) == 1

    replanning.repair()  # the database is healthy again: the scheduler's next tick rebuilds the plan
    scheduler.run_job(app, "lxp.paths.jobs:rebuild_stale_plans")
    healed = _journey(app, learner.id)
    assert healed.plan_stale_since is None
    stored = {step["ref"]: step["done"] for step in healed.plan["steps"]}
    assert stored[lesson] is True


def test_a_quiz_answer_stands_when_replanning_fails_and_the_next_read_heals_it(app, client, login_as, published,
                                                                              replanning):  # fmt: skip
    learner = login_as("learner")
    start_path(client, published)
    quiz = published["quiz"]
    page = client.get(f"/learn/{quiz}").get_data(as_text=True)
    event_id = re.search(r'name="event_id" type="hidden" value="([^"]+)"', page).group(1)
    replanning.breaks()
    response = client.post(f"/learn/{quiz}", data={"csrf_token": csrf_from(page), "event_id": event_id,
                                                   "started_at": "0", "q1": "0"})  # fmt: skip
    assert "Passed with 100 %." in response.get_data(as_text=True)
    assert _completions(app, learner.id, quiz) == 1
    with committing(app):
        mastered = db.session.scalars(select(LearningEvent.object_id).where(LearningEvent.verb == "mastered")).all()
    assert mastered == ["active-listening"]

    replanning.repair()
    assert client.get("/path").status_code == 200  # the next look plans afresh in memory; reads never write
    assert _journey(app, learner.id).plan_stale_since is not None
    scheduler.run_job(app, "lxp.paths.jobs:rebuild_stale_plans")  # the job (or the next write) stores it
    journey = _journey(app, learner.id)
    assert journey.plan_stale_since is None
    assert {step["ref"]: step["done"] for step in journey.plan["steps"]}[quiz] is True


def test_an_offline_completion_replayed_when_replanning_fails_counts_once(app, client, login_as, published, replanning):
    learner = login_as("learner")
    start_path(client, published)
    token = csrf_from(client.get("/today").get_data(as_text=True))
    body = {"event_id": str(uuid.uuid4()), "seconds": 90}
    replanning.breaks()
    response = client.post(f"/learn/{published['lesson']}/done", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _completions(app, learner.id, published["lesson"]) == 1
    again = client.post(f"/learn/{published['lesson']}/done", json=body, headers={"X-CSRFToken": token})
    assert again.status_code == response.status_code
    assert _completions(app, learner.id, published["lesson"]) == 1


def test_a_trainer_schedules_a_date_while_a_learners_plan_cannot_be_rebuilt(app, live_course, person, replanning):
    learner_client, learner_id = person(("learner",))
    start_live_path(learner_client, live_course)
    trainer_client, _trainer_id = person(("trainer",), timezone="Europe/Berlin")
    form = trainer_client.get("/trainer/sessions/new").get_data(as_text=True)
    day = (date.today() + timedelta(days=9)).isoformat()
    replanning.breaks()
    response = trainer_client.post("/trainer/sessions/new", data={
        "csrf_token": csrf_from(form), "item": live_course["live"], "day": day, "start_time": "09:00",
        "timezone": "Europe/Berlin", "duration_minutes": "90", "place": "Room 4", "video_url": "", "capacity": "8",
        "deadline_hours": "2", "promotion": "immediate", "claim_hours": "24"})  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "Room 4" in trainer_client.get("/trainer/sessions").get_data(as_text=True)
    assert _journey(app, learner_id).plan_stale_since is not None

    replanning.repair()
    assert "Dates and seats" in learner_client.get("/path").get_data(as_text=True)  # the next look shows it
    assert _journey(app, learner_id).plan_stale_since is not None  # without writing
    scheduler.run_job(app, "lxp.paths.jobs:rebuild_stale_plans")
    journey = _journey(app, learner_id)
    assert journey.plan_stale_since is None
    live_step = next(s for s in journey.plan["steps"] if s["ref"] == live_course["live"])
    assert live_step["live_date"] == day  # the plan now holds the trainer's new date
