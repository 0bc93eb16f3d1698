"""Demo learners at different points of their journeys, with the events that got them there.

Idempotent: a learner who already has a path is left alone.
"""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from lxp import events
from lxp.accounts.models import User
from lxp.authoring.kinds import KINDS
from lxp.authoring.models import Goal
from lxp.core import unit_of_work
from lxp.demo import availability_check
from lxp.extensions import db
from lxp.paths import services as paths

DEMO_NAMESPACE = uuid.UUID("6f1d3f1e-5a3c-4c55-9d43-2d6f0a7f1c11")


@dataclass(frozen=True)
class DemoJourney:
    email: str
    goal: str
    package: str | None  # package slug
    weekly_minutes: int
    target_in_days: int | None  # below zero: the target date has passed; None: no target date
    story: str  # see STORIES
    began_days_ago: int = 14


# How much of the path each story has done; "paused" learners stopped a third of the way in.
STORIES = {"onboarded": 0, "on_track": 0.3, "behind": 0.1, "stuck": 0.0, "halfway": 0.5, "finished": 1.0,
           "finished_late": 1.0, "past_target": 0.4, "paused": 0.3}  # fmt: skip


JOURNEYS = (
    DemoJourney("lena.fischer@northwind.example", "kunden-halten", "grundlagen", 60, 21, "onboarded"),
    DemoJourney("marcus.johnson@northwind.example", "keep-customers", "essentials", 90, 14, "on_track"),
    DemoJourney("sofia.garcia@northwind.example", "first-hybrid-meeting", None, 30, 6, "behind"),
    DemoJourney("aarav.sharma@northwind.example", "keep-customers", None, 60, 35, "stuck"),
    DemoJourney("kenji.watanabe@northwind.example", "lead-at-a-distance", "essentials", 90, 21, "halfway"),
    DemoJourney("meera.nair@northwind.example", "first-hybrid-meeting", "essentials", 120, 7, "finished"),
    # Finished everything, but only after the target date had passed.
    DemoJourney("tobias.wagner@northwind.example", "kunden-halten", "grundlagen", 60, -16, "finished_late", 42),
    # The target date has passed and part of the path is still open.
    DemoJourney("lucas.silva@northwind.example", "keep-customers", None, 30, -3, "past_target", 35),
    DemoJourney("claire.dubois@northwind.example", "lead-at-a-distance", None, 60, 28, "paused"),
    # Learning at her own pace, without a target date.
    DemoJourney("olga.petrova@northwind.example", "keep-customers", "essentials", 45, None, "on_track"),
)


def seed_journeys() -> list[tuple[str, str, bool]]:
    """Create the demo journeys that are missing; return (email, story, created)."""
    report = []
    for spec in JOURNEYS:
        learner = db.session.execute(select(User).where(User.email == spec.email)).scalar_one_or_none()
        goal = db.session.execute(select(Goal).where(Goal.slug == spec.goal)).scalar_one_or_none()
        if learner is None or goal is None:
            continue
        if paths.open_journey(learner) is not None:
            report.append((spec.email, spec.story, False))
            continue
        package = next((p for p in goal.packages if p.slug == spec.package), None)
        target = None if spec.target_in_days is None else date.today() + timedelta(days=spec.target_in_days)
        choice = paths.JourneyChoice((goal.id,), package.id if package else None,
                                     target and max(target, date.today() + timedelta(days=1)), spec.weekly_minutes,
                                     ("self_paced", "live", "coaching", "on_the_job"))  # fmt: skip
        with unit_of_work.boundary(f"demo: journey of {spec.email}"):
            journey = paths.start_journey(learner, choice)
            if spec.story != "onboarded":
                journey.start_date = date.today() - timedelta(days=spec.began_days_ago)  # began before its events
            journey.target_date = target  # a learner cannot choose a past date, but time passes
            _live_the_story(learner, journey, spec.story)
            paths.replan(journey)
        if spec.story == "paused":
            paths.set_paused(learner, journey, True)
        if spec.email == availability_check.WAIVED_FOR:
            with unit_of_work.boundary(f"demo: a cmi5 unit waived for {spec.email}"):
                availability_check.waive_for_demo()
        report.append((spec.email, spec.story, True))
    return report


def _live_the_story(learner: User, journey, story: str) -> None:
    plan = paths.current_plan(journey)
    # Finishing late, the learner did the optional steps too: nothing is left open on the path.
    steps = [s for s in plan.steps if not s.optional or story == "finished_late"]
    done = steps[: round(len(steps) * STORIES[story])]
    moment = datetime.combine(date.today() - timedelta(days=13), time(8, 30), tzinfo=UTC)
    mastered: set[str] = set()
    for n, step in enumerate(done):
        moment += timedelta(hours=20 + 3 * (n % 3))
        _do(learner, journey, step, moment, mastered)
    following = steps[len(done)] if len(done) < len(steps) else None
    if following is not None and story in ("behind", "past_target", "paused") and KINDS[following.kind].plays_package:
        # Opened the next unit, a package, and left it half way: the journey map's drop-off inside it.
        moment += timedelta(hours=20)
        _record(learner, "launched", "item", following.ref, moment, 0)
        _record(learner, "suspended", "item", following.ref, moment + timedelta(minutes=4), 0,
                result={"duration": "PT240S"})  # fmt: skip
    if story == "stuck":  # the first check of the path, failed twice
        check = next((s for s in steps if s.kind == "quiz"), None)
        if check is not None:
            for attempt in range(2):
                moment += timedelta(days=1)
                _record(learner, "failed", "item", check.ref, moment, attempt,
                        result={"score": {"scaled": 0.33, "raw": 33, "min": 0, "max": 100}, "success": False,
                                "completion": True,
                                "extensions": {"failed_competencies": sorted(_competencies(check, journey))}})  # fmt: skip


def _competencies(step, journey) -> set[str]:
    item = next(i for i in paths.catalogue(journey) if i.ref == step.ref)
    return set(item.assesses) or set(item.teaches)


def _do(learner: User, journey, step, moment: datetime, mastered: set[str]) -> None:
    """Do the step at ``moment``; a competency two checks assess is mastered once, at the first."""
    if step.kind == "quiz":
        _record(learner, "passed", "item", step.ref, moment, 0,
                result={"score": {"scaled": 1.0, "raw": 100, "min": 0, "max": 100}, "success": True, "completion": True,
                        "extensions": {"failed_competencies": []}})  # fmt: skip
        for competency in sorted(_competencies(step, journey) - mastered):
            mastered.add(competency)
            _record(learner, "mastered", "competency", competency, moment, 0, context={"check": step.ref})
    else:
        if KINDS[step.kind].plays_package:  # launched first: the journey map counts drop-off inside packages
            _record(learner, "launched", "item", step.ref, moment - timedelta(minutes=step.minutes), 0)
        verb = "attended" if step.modality == "live" else "completed"
        _record(learner, verb, "item", step.ref, moment, 0,
                result={"completion": True, "duration": f"PT{step.minutes * 60}S"})  # fmt: skip
    mood = 4 + (zlib.crc32(step.ref.encode()) % 2) if step.kind != "quiz" else 3  # stable across runs
    _record(learner, "responded", "item", step.ref, moment + timedelta(minutes=1), 0,
            result={"extensions": {"mood": mood, "effort": 2, "useful": True}}, context={"pulse": True})  # fmt: skip


def _record(learner, verb, object_type, object_id, moment, attempt, result=None, context=None) -> None:
    # Stable ids, so the demo never records the same thing twice.
    event_id = uuid.uuid5(DEMO_NAMESPACE, f"{learner.email}|{verb}|{object_type}|{object_id}|{attempt}")
    events.record(actor_id=learner.id, verb=verb, object_type=object_type, object_id=object_id, result=result,
                  context=context, occurred_at=moment, event_id=event_id)  # fmt: skip
