"""Demo coaching: every demo learner has a coach, and the learner stuck on a quiz has asked
for help, so a trainer's desk is not empty on first run."""

from __future__ import annotations

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.coaching import services as coaching
from lxp.coaching import threads
from lxp.coaching.models import CoachAssignment, CoachingThread, HelpRequest
from lxp.cohorts.models import Cohort
from lxp.demo import DEMO_ORGANISATION, PEOPLE
from lxp.extensions import db
from lxp.paths import services as paths

COACHES = {"de": "trainer.berlin@northwind.example"}
DEFAULT_COACH = "trainer.newyork@northwind.example"
STUCK = ("aarav.sharma@northwind.example", "I keep picking the apology first. Isn't saying sorry the polite thing?")


def _user(email: str) -> User | None:
    return db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


COHORT = ("Customer desk, autumn 2026", "trainer.newyork@northwind.example")
CONVERSATION = (
    "kenji.watanabe@northwind.example",
    "Yesterday a customer was angry about a late refund. I let her finish and named the frustration. "
    "It calmed down fast, but I didn't know what to promise next.",
    "That was the hard part done well. Next time, promise only what you control: **when you will call back**, "
    "and then call back a little earlier.",
)


def seed_coaching() -> tuple[int, bool]:
    """Give coaches to demo learners (the English-speaking ones through a cohort, the others
    one by one), start one conversation and raise the stuck learner's help request; returns
    (coaches assigned one by one, help request raised). Safe to run again."""
    assigned = 0
    cohort_coach = _user(COHORT[1])
    cohort = db.session.execute(select(Cohort).where(Cohort.name == COHORT[0])).scalar_one_or_none()
    if cohort is None and cohort_coach is not None:
        cohort = Cohort(organisation_id=cohort_coach.organisation_id, name=COHORT[0], coach_id=cohort_coach.id)
        db.session.add(cohort)
    for person in PEOPLE:
        if "learner" not in person.roles or "trainer" in person.roles:
            continue
        learner = _user(person.email)
        if learner is None:
            continue
        if person.locale == "en" and cohort is not None:
            if learner not in cohort.members:
                cohort.members.append(learner)
            continue
        coach = _user(COACHES.get(person.locale, DEFAULT_COACH))
        if coach is None or db.session.get(CoachAssignment, learner.id) is not None:
            continue
        db.session.add(CoachAssignment(learner_id=learner.id, coach_id=coach.id))
        assigned += 1
    db.session.flush()
    _seed_conversation()

    learner = _user(STUCK[0])
    journey = paths.open_journey(learner) if learner is not None else None
    if journey is None or learner.organisation.slug != DEMO_ORGANISATION[0]:
        return assigned, False
    if db.session.execute(select(HelpRequest.id).where(HelpRequest.learner_id == learner.id)).first():
        return assigned, False
    quiz = next((s for s in paths.current_plan(journey).open_steps if s.kind == "quiz"), None)
    if quiz is None:
        return assigned, False
    coaching.ask_for_help(learner, quiz.ref, STUCK[1])
    return assigned, True


def _seed_conversation() -> None:
    learner = _user(CONVERSATION[0])
    if learner is None or paths.open_journey(learner) is None:
        return
    if db.session.execute(select(CoachingThread.id).where(CoachingThread.learner_id == learner.id)).first():
        return
    coach = coaching.coach_of(learner.id)
    if coach is None:
        return
    thread = threads.open_thread(learner)
    threads.post_message(learner, thread, CONVERSATION[1])
    threads.post_message(coach, thread, CONVERSATION[2])
