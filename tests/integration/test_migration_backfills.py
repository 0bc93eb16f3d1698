"""Upgrading a database that already holds learning events fills the completions (0044) and the
rollups' first moments (0045) from the log, so nothing a learner did is forgotten on the day
retention starts deleting old events."""

import uuid
from datetime import date, timedelta

from sqlalchemy import JSON, Uuid, column, insert, select, table

from lxp.accounts.models import Organisation, User
from lxp.completions import Completion
from lxp.core.time import UTCDateTime, utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.insights.models import FirstMoment
from lxp.paths import services as paths
from lxp.paths.models import Journey
from tests.conftest import committing
from tests.integration.fresh_install import migrate


def _event(actor, verb, object_type, object_id, at, result=None, context=None, event_id=None):
    return {"id": event_id or uuid.uuid4(), "actor_id": actor, "verb": verb, "object_type": object_type,
            "object_id": object_id, "result": result, "context": context, "occurred_at": at, "recorded_at": at}  # fmt: skip


def test_an_upgrade_fills_completions_and_first_moments_from_the_events_already_held(fresh_app):
    migrate(fresh_app, "0043")
    now = utcnow()
    day = timedelta(days=1)
    with committing(fresh_app):
        organisation = Organisation(slug="acme", name="Acme")
        db.session.add(organisation)
        db.session.flush()
        ada, bob = (
            User(organisation_id=organisation.id, email=f"{n}@example.com", display_name=n) for n in ("ada", "bob")
        )
        db.session.add_all([ada, bob])
        db.session.flush()
        mistaken = uuid.uuid4()
        rows = [
            _event(ada.id, "launched", "item", "1:lesson", now - 40 * day),
            _event(ada.id, "completed", "item", "1:lesson", now - 40 * day),
            _event(ada.id, "completed", "item", "1:lesson", now - 3 * day),  # again, later
            _event(ada.id, "passed", "item", "1:quiz", now - 30 * day, {"score": {"scaled": 0.9}}),
            _event(ada.id, "failed", "item", "1:quiz", now - 20 * day,
                   {"score": {"scaled": 0.3}, "extensions": {"failed_competencies": ["listen", "ask"]}}),
            _event(ada.id, "mastered", "competency", "listen", now - 50 * day, context={"placement": True}),
            _event(ada.id, "mastered", "competency", "ask", now - 10 * day),
            _event(bob.id, "attended", "item", "1:live", now - 5 * day, event_id=mistaken),
            _event(bob.id, "voided", "event", str(mistaken), now - 4 * day),  # the trainer's mistake
            _event(bob.id, "responded", "item", "1:lesson", now - 2 * day, {"extensions": {"mood": 4}}),
        ]  # fmt: skip
        db.session.execute(insert(LearningEvent), rows)
        # The journey map had rolled up everything but Bob's pulse.
        # The mark's table as it was at 0043 (the model has grown since).
        marks = table("insight_rollup_marks", column("name"), column("until_at", UTCDateTime), column("until_id", Uuid))
        db.session.execute(insert(marks).values(name="journey_map", until_at=rows[-2]["recorded_at"],
                                                until_id=rows[-2]["id"]))  # fmt: skip
        ids = ada.id, bob.id
    migrate(fresh_app)
    with fresh_app.app_context():
        stored = {(c.learner_id, c.object_type, c.object_id): c for c in db.session.scalars(select(Completion))}
        assert set(stored) == {(ids[0], "item", "1:lesson"), (ids[0], "item", "1:quiz"),
                               (ids[0], "competency", "listen"), (ids[0], "competency", "ask")}  # fmt: skip
        lesson = stored[(ids[0], "item", "1:lesson")]
        assert (lesson.first_at, lesson.finished_at, lesson.last_finished_at) == (
            now - 40 * day,
            now - 40 * day,
            now - 3 * day,
        )
        quiz = stored[(ids[0], "item", "1:quiz")]
        assert (quiz.first_at, quiz.check_verb, quiz.score, quiz.checks) == (now - 30 * day, "failed", 0.3, 2)
        assert quiz.finished_at == now - 30 * day  # passed then; the later failure is no finish
        assert (
            stored[(ids[0], "competency", "listen")].placement and not stored[(ids[0], "competency", "ask")].placement
        )
        state = paths.learner_state(ids[0])
        assert state.completed == {"1:lesson", "1:quiz"} and state.mastered == {"listen", "ask"}
        assert state.shown_in_placement == {"listen"}
        assert [(c.item, c.competencies) for c in state.failed_checks] == [("1:quiz", frozenset({"listen", "ask"}))]
        assert paths.learner_state(ids[1]).completed == frozenset()  # his voided attendance is not done

        firsts = {(m.learner_id, m.ref, m.flag): m.first_at for m in db.session.scalars(select(FirstMoment))}
        assert firsts[(ids[0], "1:lesson", "reached")] == now - 40 * day
        assert firsts[(ids[0], "1:quiz", "checked")] == now - 30 * day
        assert firsts[(ids[0], "1:quiz", "failed")] == now - 20 * day
        assert (ids[1], "1:lesson", "pulsed") not in firsts  # past the mark: the next roll-up adds it
        assert (ids[1], "1:live", "finished") in firsts  # the rollups count attendance, voided or not


def _journeys_with_plans(fresh_app, plans: list[dict | None]) -> list[int]:
    """A learner with a journey for each of ``plans``, stored as a migration before the journey's
    newer columns would find it; the learners' ids in that order."""
    journeys = table("journeys", column("id"), column("learner_id"), column("status"), column("start_date"),
                     column("weekly_minutes"), column("modalities", JSON), column("choices", JSON), column("plan", JSON),
                     column("created_at", UTCDateTime))  # fmt: skip
    with committing(fresh_app):
        organisation = Organisation(slug="acme", name="Acme")
        db.session.add(organisation)
        db.session.flush()
        people = [User(organisation_id=organisation.id, email=f"{n}@example.com", display_name=str(n))
                  for n in range(len(plans))]  # fmt: skip
        db.session.add_all(people)
        db.session.flush()
        for person, plan in zip(people, plans, strict=True):
            db.session.execute(insert(journeys).values(
                learner_id=person.id, status="active", start_date=utcnow().date(), weekly_minutes=60, modalities=[],
                choices={}, plan=plan, created_at=utcnow()))  # fmt: skip
        return [p.id for p in people]


def test_an_upgrade_counts_the_steps_of_every_plan_already_stored(fresh_app):
    """0047: the insights' people page reads each journey's step count from a column written
    with the plan; plans stored before it are counted by the upgrade (none where none is stored)."""
    migrate(fresh_app, "0046")
    plans = [{"steps": [{"ref": f"1:{n}"} for n in range(3)], "skipped": []}, {"steps": [], "skipped": []}, None]
    ids = _journeys_with_plans(fresh_app, plans)
    migrate(fresh_app)
    with fresh_app.app_context():
        counted = dict(db.session.execute(select(Journey.learner_id, Journey.plan_steps)).all())
    assert [counted[i] for i in ids] == [3, 0, None]


def test_an_upgrade_finds_the_first_conversation_due_of_every_plan_already_stored(fresh_app):
    """0048: a coach's desk reads only the journeys whose stored plan has an open coaching
    checkpoint due, from a column written with the plan; plans stored before it are read by the
    upgrade (the earliest open checkpoint's date; none where none is open or dated)."""
    migrate(fresh_app, "0047")

    def step(kind, due, done=False):
        return {"ref": f"1:{kind}-{due}", "kind": kind, "due": due, "done": done}

    plans = [
        {"steps": [step("text", "2026-12-01"), step("coaching_checkpoint", "2026-12-20"),
                   step("coaching_checkpoint", "2026-12-09"), step("coaching_checkpoint", "2026-12-02", done=True)]},
        {"steps": [step("coaching_checkpoint", None), step("task", "2026-12-03")]},
        {"steps": []},
        None,
    ]  # fmt: skip
    ids = _journeys_with_plans(fresh_app, plans)
    migrate(fresh_app)
    with fresh_app.app_context():
        due = dict(db.session.execute(select(Journey.learner_id, Journey.coached_due_on)).all())
    assert [due[i] for i in ids] == [date(2026, 12, 9), None, None, None]
