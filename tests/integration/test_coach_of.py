"""Who coaches a learner is one rule, ``coaching.services.coach_of``: the coach chosen for them,
else the coach of the first of their cohorts by name whose coach is active. The set-wise form
that the touchpoint planner's escalation and the coach's desk use (``coaches``) must give the
same answer, including where the encodings they replaced did not (the lowest coach id among the
cohorts; every cohort's coach at once)."""

from __future__ import annotations

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.coaching import threads
from lxp.coaching.models import CoachAssignment
from lxp.coaching.services import coach_of, coaches
from lxp.cohorts.models import Cohort
from lxp.extensions import db


def _cohort(name: str, coach_id: int, members: list[int]) -> None:
    coach = db.session.get(User, coach_id)
    cohort = Cohort(organisation_id=coach.organisation_id, name=name, coach_id=coach_id)
    cohort.members = [db.session.get(User, i) for i in members]
    db.session.add(cohort)


def test_coach_of_and_its_set_wise_form_name_the_same_coach(app, make_user):
    first_coach = make_user(("trainer",), name="Coach with the lower id")
    second_coach = make_user(("trainer",), name="Coach with the higher id")
    left = make_user(("trainer",), name="Coach who left", active=False)
    chosen_coach = make_user(("trainer",), name="Chosen coach")
    in_two_cohorts, behind_a_leaver, chosen, on_their_own = make_user(), make_user(), make_user(), make_user()
    with app.test_request_context():
        _cohort("A team", second_coach, [in_two_cohorts, chosen])
        _cohort("B team", first_coach, [in_two_cohorts, behind_a_leaver])
        _cohort("0 team", left, [behind_a_leaver])
        db.session.add(CoachAssignment(learner_id=chosen, coach_id=chosen_coach))
        db.session.commit()
        expected = {in_two_cohorts: second_coach, behind_a_leaver: first_coach, chosen: chosen_coach}

        learners = [in_two_cohorts, behind_a_leaver, chosen, on_their_own]
        assert {learner: getattr(coach_of(learner), "id", None) for learner in learners} == {
            **expected,
            on_their_own: None,
        }
        pairs = coaches()
        assert dict(db.session.execute(select(pairs.c.learner_id, pairs.c.coach_id)).all()) == expected
        for trainer_id in (first_coach, second_coach, left, chosen_coach):
            trainer = db.session.get(User, trainer_id)
            sees = {learner for learner in learners if threads.is_coach_of(trainer, learner)}
            assert sees == {learner for learner, coach in expected.items() if coach == trainer_id}, trainer.display_name
