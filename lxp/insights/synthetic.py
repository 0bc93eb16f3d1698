"""A synthetic population with realistic behaviour, for benchmarks and demos.

``generate`` adds learners to an organisation, each with a journey on one published course,
and lets them walk its stations in path order: the longer a block, the likelier they stop
for good; hard quizzes are failed more, take longer and dip the mood; learners live in
different time zones and learn in their own daytime; some fail a check and ask for help,
most requests are resolved hours later, and some who asked for none write to their coach
instead; on-the-job tasks are reviewed hours or days after they are sent (those sent since wait
on their coach's desk); some say how likely they are to recommend it; touchpoints go out (a
welcome, after five quiet days, after a failed check), and some are opened, a few refused.

Rows go in with bulk inserts (a million events through ``events.record`` would take hours;
on PostgreSQL ``COPY``, ``lxp.core.bulk``); they are the same rows ``events.record`` writes.
The same seed gives the same population.
"""

from __future__ import annotations

import math
import random
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from lxp.accounts.models import Organisation, User, UserRole
from lxp.authoring import kinds
from lxp.authoring.models import Course, Package, goal_courses
from lxp.authoring.services import current_published
from lxp.coaching.models import CoachingMessage, CoachingThread, HelpRequest, ThreadReadMark
from lxp.cohorts.models import Cohort, cohort_members
from lxp.core import bulk, table_statistics
from lxp.core.errors import Invalid, NotFound
from lxp.core.time import utcnow
from lxp.events import LearningEvent, fill_completions
from lxp.extensions import db
from lxp.insights import rollups
from lxp.nudges.models import OutboxMessage
from lxp.paths.models import Journey, JourneyCourse, journey_goals
from lxp.workplace.models import TaskSubmission

EMAIL = "synthetic-{n:06d}@{org}.example"
LOCALES = (("en", 0.6, ("Europe/London", "America/New_York", "America/Chicago", "Asia/Kolkata", "Asia/Tokyo")),
           ("de", 0.25, ("Europe/Berlin", "Europe/Vienna", "Europe/Zurich")),
           ("ru", 0.15, ("Europe/Moscow", "Asia/Yekaterinburg")))  # fmt: skip
FIRST = ("Alex", "Sam", "Kim", "Noor", "Lea", "Ivan", "Mia", "Omar", "Yuki", "Ravi", "Ines", "Tom", "Zoe", "Emil")
LAST = ("Meyer", "Khan", "Novak", "Santos", "Ito", "Brown", "Rossi", "Kowalski", "Haddad", "Larsen", "Singh", "Ortiz")
COMMENTS = {
    1: ("Too long, I lost the thread.", "The quiz felt like a trick.", "I did not see why this matters for my job."),
    2: ("Hard to fit into a shift.", "Some questions were unclear.", "The video did not load on my phone."),
    3: ("Fine, but a bit slow.", "OK. More examples from our stores would help."),
    4: ("Useful, I tried it the same day.", "Short and to the point.", "Good examples."),
    5: ("Loved it, my customer noticed!", "Best block so far.", "Exactly what I needed before my shift."),
}
CONVERSATION_OPENERS = ("I failed the check and I am not sure which part I got wrong. Could we look at it?",
                        "The check did not go well. Is there an example from our stores I could read first?",
                        "I keep mixing up the steps in the check. What would you practise first?")  # fmt: skip
TASK_ACCOUNTS = ("I tried it at the counter this morning: the customer calmed down once I named what went wrong.",
                 "Two calls today. The first went well, in the second I forgot to say what happens next.",
                 "I went through the steps with a colleague watching; her notes are below.")  # fmt: skip
INACTIVE_DAYS = 5
OPEN_RATE = {"in_app": 0.55, "email": 0.3, "webpush": 0.4}
NUDGE_SUBJECTS = {"welcome": "Welcome! Your first step is ready", "inactive": "Your next step is waiting",
                  "failed_check": "Another go at the check?"}  # fmt: skip
NUDGE_WHY = {"welcome": "You chose a goal yesterday.", "inactive": "Nothing from you for 5 days.",
             "failed_check": "The check did not work out yesterday."}  # fmt: skip
MAX_MINUTES = 240  # a block longer than this counts as this long for the risk of stopping
# Ids and e-mails are read back in parts: PostgreSQL takes at most 65,535 parameters a
# statement, and a population of 100,000 learners would name more in one IN list.
READ_BACK_PART = 10_000


def _parts(values: list) -> list[list]:
    return [values[start : start + READ_BACK_PART] for start in range(0, len(values), READ_BACK_PART)]


@dataclass(frozen=True)
class Report:
    learners: int
    events: int
    help_requests: int
    course: str


def _course(organisation: Organisation, slug: str | None) -> tuple[Course, object]:
    query = select(Course).where(Course.organisation_id == organisation.id).order_by(Course.id)
    if slug:
        query = query.where(Course.slug == slug)
    for course in db.session.execute(query).scalars():
        version = current_published(course)
        if version is not None:
            return course, version
    raise NotFound(
        f"no published course {slug!r} in {organisation.slug}"
        if slug
        else f"no published course in {organisation.slug}"
    )


def _local(rng: random.Random, day: date, zone: str) -> datetime:
    """A moment of the learner's own daytime (08:00-21:00 where they live), in UTC."""
    minutes = rng.randint(8 * 60, 21 * 60)
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


def _writes_to_coach(learner: int, ref: str) -> bool:
    """Whether a learner who failed a check and asked for no help writes to their coach about it
    instead (one in four, the same for the same learner and step)."""
    return zlib.crc32(f"{learner}:{ref}".encode()) % 4 == 0


class _Walk:
    """The learners of one ``generate`` walking the course's stations in path order: the events
    they leave (each handed to ``put_event``), the touchpoints they were sent
    and the help they asked for. Every choice comes from ``rng`` in a fixed order, so the same
    seed gives the same walk."""

    def __init__(self, rng: random.Random, now: datetime, course: Course, version, items: list,
                 difficulty: dict[str, float], missed: dict[str, list[str]], tasks: dict[str, dict], progress_every: int,
                 put_event: Callable[[dict], None]) -> None:  # fmt: skip
        self.rng, self.now, self.course, self.version, self.items = rng, now, course, version, items
        self.progress_every, self.put_event = progress_every, put_event
        self.alternatives = {a.id for i in items for a in i.alternatives}
        self.difficulty, self.missed = difficulty, missed  # per marked item: share failing, what a failure names
        self.tasks = tasks  # per on-the-job task: what a try stores from its item
        self.helps: list[tuple] = []  # (learner, ref, title, asked, resolved)
        self.tries: list[dict] = []  # on-the-job tasks sent and waiting for review
        self.conversations: list[tuple] = []  # (learner, journey, ref, title, written): to their coach
        self.nudges: list[dict] = []
        self.written = 0
        self.actors: set[int] = set()

    def nudge(self, learner: int, rule: str, occurrence: str, when: datetime, zone: str) -> None:
        """A touchpoint sent at ``when`` (the learner's daytime); opened or not, rarely refused."""
        rng, now = self.rng, self.now
        sent = _local(rng, when.date(), zone)
        if sent >= now:
            return
        channel = rng.choices(("in_app", "email", "webpush"), (5, 3, 2))[0]
        opened = sent + timedelta(minutes=rng.lognormvariate(3.5, 1.2)) if rng.random() < OPEN_RATE[channel] else None
        opened = opened if opened is not None and opened < now else None
        refused = (opened or sent) + timedelta(minutes=2) if rng.random() < 0.03 else None
        self.nudges.append({"user_id": learner, "rule": rule, "occurrence": occurrence, "category": "nudge", "asked_for": False,
                            "subject": NUDGE_SUBJECTS[rule], "body": "", "why": NUDGE_WHY[rule], "due_at": sent,
                            "status": "sent", "channel": channel, "attempts": 1, "created_at": sent, "sent_at": sent,
                            "course_id": self.course.id, "opened_at": opened, "opened_via": channel if opened else None,
                            "opted_out_at": refused if refused is not None and refused < now else None})  # fmt: skip

    def event(self, learner, verb, object_type, object_id, at, result=None, context=None) -> None:
        self.actors.add(learner)
        self.written += 1
        self.put_event({"id": uuid.UUID(int=self.rng.getrandbits(128), version=4), "actor_id": learner, "verb": verb,
                        "object_type": object_type, "object_id": str(object_id), "result": result, "context": context,
                        "occurred_at": at, "recorded_at": at})  # fmt: skip

    def learner(self, learner: int, zone: str, journey: int, day: date) -> None:
        """One learner from the day they started: station after station until they stop for
        good, give up after a failed check or reach today."""
        rng, now, event = self.rng, self.now, self.event
        persistence = rng.uniform(0.6, 1.4)
        moods: list[int] = []
        self.nudge(learner, "welcome", "goal", datetime.combine(day + timedelta(days=1), time(12), tzinfo=UTC), zone)
        for item in self.items:
            if item.id in self.alternatives and rng.random() < 0.7:
                continue  # most take the live session, not its self-study stand-in
            gap = min(int(rng.expovariate(1 / 1.6)), 20)
            if gap > INACTIVE_DAYS:  # quiet for a while: the "inactive" touchpoint went out
                quiet = day + timedelta(days=INACTIVE_DAYS)
                self.nudge(learner, "inactive", quiet.isoformat(), datetime.combine(quiet, time(12), tzinfo=UTC), zone)
            day += timedelta(days=gap)
            at = _local(rng, day, zone)
            if at > now - timedelta(minutes=5):
                return  # still on their way: the rest lies in the future
            ref = f"{self.course.id}:{item.key}"
            context = {"journey": journey, "version": self.version.id}
            event(learner, "launched", "item", ref, at, context=context)
            # The risk of stopping for good grows with the length of the block.
            if rng.random() < (0.012 + 0.0022 * min(item.minutes, MAX_MINUTES)) / persistence:
                return
            hard = self.difficulty.get(item.key, 0.0)
            seconds = int(item.minutes * 60 * math.exp(rng.gauss(0.05 + hard * 0.8, 0.35)))
            kind = kinds.get(item.kind)
            if self.progress_every and kind.self_completed:
                for step in range(1, max(seconds // self.progress_every, 1) + 1):
                    share = min(step * self.progress_every / max(seconds, 1), 1.0)
                    event(learner, "progressed", "item", ref, at + timedelta(seconds=step * self.progress_every),
                          result={"extensions": {"progress": round(share, 2)}})  # fmt: skip
            done_at = at + timedelta(seconds=seconds)
            failed = kind.marked and rng.random() < hard
            if kind.marked:
                if failed:
                    done_at = self._failed_check(learner, item, ref, context, done_at, seconds, persistence, zone)
                    if done_at is None:
                        return
                event(learner, "passed", "item", ref, done_at, result={"score": {"scaled": 0.9, "raw": 90, "min": 0, "max": 100}, "success": True, "completion": True, "duration": f"PT{seconds}S"}, context=context)  # fmt: skip
            elif kind.attended:
                event(learner, "attended", "item", ref, done_at, result={"completion": True, "extensions": {"attendance": "present"}})  # fmt: skip
            elif kind.reviewed:
                event(learner, "attempted", "item", ref, done_at, result={"completion": False}, context=context)
                reviewed_at = done_at + timedelta(hours=rng.randint(2, 48))
                if reviewed_at < now:
                    event(learner, "passed", "item", ref, reviewed_at, result={"success": True, "completion": True, "duration": f"PT{seconds}S"}, context=context)  # fmt: skip
                else:  # not reviewed yet: the try waits on their coach's desk
                    self.tries.append(self._try(learner, journey, item.key, ref, done_at))
            else:
                event(learner, "completed", "item", ref, done_at, result={"completion": True, "duration": f"PT{seconds}S"}, context=context)  # fmt: skip
            self._pulse_and_nps(learner, item, ref, journey, done_at, hard, failed, moods)

    def _try(self, learner: int, journey: int, key: str, ref: str, sent: datetime) -> dict:
        """A task submission sent at ``sent``, as the learner's task page stores it."""
        return {**self.tasks[key], "learner_id": learner, "journey_id": journey, "item_ref": ref, "number": 1,
                "status": "submitted", "account": TASK_ACCOUNTS[learner % len(TASK_ACCOUNTS)], "links": [],
                "created_at": sent, "updated_at": sent, "submitted_at": sent}  # fmt: skip

    def _failed_check(self, learner, item, ref, context, done_at, seconds, persistence, zone) -> datetime | None:
        """A check failed at ``done_at``: the touchpoint, maybe a help request, and when the
        learner passed it after all (None: they gave up, or have not passed it yet)."""
        rng, now = self.rng, self.now
        self.nudge(learner, "failed_check", ref, done_at + timedelta(days=1), zone)
        self.event(learner, "failed", "item", ref, done_at, result={"score": {"scaled": 0.4, "raw": 40, "min": 0, "max": 100}, "success": False, "completion": True, "duration": f"PT{seconds}S", "extensions": {"failed_competencies": self.missed[item.key]}}, context=context)  # fmt: skip
        if rng.random() < 0.3:
            asked = done_at + timedelta(minutes=rng.randint(1, 30))
            resolved = asked + timedelta(hours=rng.lognormvariate(1.6, 0.9)) if rng.random() < 0.85 else None
            if resolved is not None and resolved > now:
                resolved = None
            if asked < now:
                self.helps.append((learner, ref, item.title, asked, resolved))
        elif _writes_to_coach(learner, ref) and done_at + timedelta(minutes=20) < now:
            # Not from ``rng``: the same seed gives the same population it gave before these existed.
            self.conversations.append((learner, context["journey"], ref, item.title, done_at + timedelta(minutes=20)))
        if rng.random() < 0.25 / persistence:
            return None  # gave up after failing
        done_at += timedelta(minutes=rng.randint(10, 60 * 24))
        return None if done_at > now else done_at

    def _pulse_and_nps(self, learner, item, ref, journey, done_at, hard, failed, moods: list[int]) -> None:
        """How the station felt (most say), and halfway and at the end how likely they are to
        recommend the course."""
        rng, now = self.rng, self.now
        mood = max(1, min(5, round(rng.gauss(4.1 - hard * 3 - (1.0 if failed else 0) - item.minutes / 60, 0.8))))
        moods.append(mood)
        if rng.random() < 0.6 and done_at + timedelta(minutes=1) < now:
            comment = rng.choice(COMMENTS[mood]) if rng.random() < 0.1 else None
            self.event(learner, "responded", "item", ref, done_at + timedelta(minutes=1),
                       result={"response": comment, "extensions": {"mood": mood, "effort": max(1, min(5, round(rng.gauss(2 + item.minutes / 30 + hard * 3, 0.8)))), "useful": mood >= 3}},
                       context={"journey": journey, "pulse": True})  # fmt: skip
        halfway, end = len(self.items) // 2, len(self.items) - len(self.alternatives)
        if len(moods) in (halfway, end) and rng.random() < 0.7 and done_at + timedelta(minutes=2) < now:
            score = max(0, min(10, round(rng.gauss(sum(moods) / len(moods) * 2.2 - 1, 1.6))))
            self.event(learner, "responded", "journey", journey, done_at + timedelta(minutes=2),
                       result={"score": {"raw": score, "min": 0, "max": 10}},
                       context={"milestone": "halfway" if len(moods) == halfway else "end", "nps": True})  # fmt: skip


def generate(organisation: Organisation, learners: int, *, course_slug: str | None = None,
             cohort_names: tuple[str, ...] = (), seed: int = 1, now: datetime | None = None,
             progress_every: int = 0, rebuild_indexes: bool = False) -> Report:  # fmt: skip
    """Add ``learners`` synthetic learners on one published course and their events (in the caller's transaction).

    ``progress_every`` (seconds) adds a ``progressed`` event per that many seconds on a
    self-paced block, as an xAPI player sends them (the benchmark uses it for volume).
    ``rebuild_indexes`` drops the event log's secondary indexes for the load and builds them once
    after it (``bulk.writer``): much quicker from about 10,000 learners (a million events), but
    the event log is locked until the caller commits, so only for a database nobody uses yet.
    Raises ``Invalid`` for a count below 1 and ``NotFound`` without a published course.
    """
    if learners < 1:
        raise Invalid("give at least one learner")
    rng = random.Random(seed)
    now = now or utcnow()
    course, version = _course(organisation, course_slug)
    goal_id = db.session.execute(select(goal_courses.c.goal_id).where(goal_courses.c.course_id == course.id)).scalar()
    packages = (
        list(db.session.execute(select(Package.id).where(Package.goal_id == goal_id)).scalars()) if goal_id else []
    )
    items = sorted(version.items, key=lambda i: (i.module.position, i.position, i.id))
    marked = {i.key for i in items if kinds.get(i.kind).marked}
    difficulty = {i.key: rng.choice((0.1, 0.2, 0.45)) for i in items if i.key in marked}  # share failing a quiz
    # What a failed check names as not yet shown, as the quiz player records it (the path adds a retry).
    missed = {i.key: sorted(c.code for c in (i.assesses or i.teaches)) for i in items if i.key in marked}
    # What a try of each on-the-job task stores from its item, read now: nothing may be read
    # while the events stream in (PostgreSQL's COPY holds the connection).
    tasks = {i.key: {"organisation_id": organisation.id, "item_id": i.id, "item_title": i.title,
                     "rubric": list((i.content or {}).get("rubric") or []), "competencies": [c.code for c in i.assesses]}
             for i in items if kinds.get(i.kind).reviewed}  # fmt: skip

    cohorts = []
    for name in cohort_names:
        cohort = db.session.execute(
            select(Cohort).where(Cohort.organisation_id == organisation.id, Cohort.name == name)
        ).scalar_one_or_none()
        if cohort is None:
            cohort = Cohort(organisation_id=organisation.id, name=name)
            db.session.add(cohort)
            db.session.flush()
        cohorts.append(cohort.id)

    taken = db.session.scalar(select(func.count()).select_from(User).where(User.email.like("synthetic-%")))
    people = []
    for n in range(taken, taken + learners):
        roll, locale, zones = rng.random(), "en", LOCALES[0][2]
        for code, share, options in LOCALES:
            if roll < share:
                locale, zones = code, options
                break
            roll -= share
        people.append({"organisation_id": organisation.id, "email": EMAIL.format(n=n, org=organisation.slug),
                       "display_name": f"{rng.choice(FIRST)} {rng.choice(LAST)} ({n})", "password_hash": None,
                       "locale": locale, "timezone": rng.choice(zones), "active": True, "auth_version": 1,
                       "created_at": now - timedelta(days=150)})  # fmt: skip
    bulk.insert_many(User.__table__, people)
    emails = [p["email"] for p in people]
    users = {email: (uid, zone) for part in _parts(emails) for uid, email, zone in db.session.execute(
        select(User.id, User.email, User.timezone).where(User.email.in_(part))).all()}  # fmt: skip
    ids = [users[e][0] for e in emails]
    zone_of = dict(users.values())
    bulk.insert_many(UserRole.__table__, [{"user_id": i, "role": "learner"} for i in ids])
    if cohorts:
        bulk.insert_many(
            cohort_members, [{"cohort_id": cohorts[n % len(cohorts)], "user_id": i} for n, i in enumerate(ids)]
        )

    today = now.date()
    starts = {i: today - timedelta(days=rng.randint(3, 120)) for i in ids}
    bulk.insert_many(Journey.__table__, [
        {"learner_id": i, "status": "active", "start_date": starts[i], "weekly_minutes": rng.choice((30, 60, 90, 120)),
         "target_date": starts[i] + timedelta(days=rng.randint(21, 90)), "modalities": ["self_paced", "live", "coaching", "on_the_job"],
         "choices": {}, "package_id": rng.choice(packages) if packages and rng.random() < 0.6 else None, "created_at": now}
        for i in ids
    ])  # fmt: skip
    journey_of = {learner: journey for part in _parts(ids) for learner, journey in db.session.execute(
        select(Journey.learner_id, Journey.id).where(Journey.learner_id.in_(part))).all()}  # fmt: skip
    bulk.insert_many(
        JourneyCourse.__table__,
        [{"journey_id": j, "course_id": course.id, "version_id": version.id} for j in journey_of.values()],
    )
    if goal_id:
        bulk.insert_many(journey_goals, [{"journey_id": j, "goal_id": goal_id} for j in journey_of.values()])

    # Streamed: PostgreSQL stores the events while the next learners' are made.
    with bulk.writer(LearningEvent.__table__, rebuild_indexes=rebuild_indexes) as put_event:
        walk = _Walk(rng, now, course, version, items, difficulty, missed, tasks, progress_every, put_event)
        for learner in ids:
            walk.learner(learner, zone_of[learner], journey_of[learner], starts[learner])
    helps, nudges, written, actors = walk.helps, walk.nudges, walk.written, walk.actors

    bulk.insert_many(OutboxMessage.__table__, nudges)
    bulk.insert_many(TaskSubmission.__table__, walk.tries)
    # One statement for every request, their ids back in the order given (the "asked" events name them).
    requests = [{"organisation_id": organisation.id, "learner_id": learner, "item_ref": ref, "item_title": title,
                 "note": "I failed the check and do not see why.", "context": {}, "created_at": asked,
                 "status": "resolved" if resolved else "open", "answer": "Let us look at it together." if resolved else None,
                 "answered_at": resolved, "resolved_at": resolved}
                for learner, ref, title, asked, resolved in helps]  # fmt: skip
    request_ids = (
        db.session.scalars(insert(HelpRequest).returning(HelpRequest.id, sort_by_parameter_order=True), requests).all()
        if requests
        else []
    )
    written += bulk.insert_many(LearningEvent.__table__, [
        {"id": uuid.UUID(int=rng.getrandbits(128), version=4), "actor_id": learner, "verb": "asked",
         "object_type": "help_request", "object_id": str(request_id), "result": None, "context": {"item": ref},
         "occurred_at": asked, "recorded_at": asked}
        for (learner, ref, _, asked, _), request_id in zip(helps, request_ids, strict=True)
    ])  # fmt: skip
    written += _conversations(organisation.id, walk.conversations, rng)  # after the requests: their ids stay
    db.session.flush()
    # A bulk insert leaves PostgreSQL's statistics stale until autovacuum notices (issue 20).
    table_statistics.refresh("users", "user_roles", "cohort_members", "journeys", "journey_courses", "learning_events",
                       "outbox_messages", "help_requests", "task_submissions", "coaching_threads",
                       "coaching_messages", "coaching_read_marks")  # fmt: skip
    fill_completions(sorted(actors))  # inserted past ``events.record``: their progress too
    rollups.rebuild()  # the events are stored in the past, behind the rollups' mark
    return Report(learners, written, len(helps), course.slug)


def _conversations(organisation_id: int, written: list[tuple], rng: random.Random) -> int:
    """The learners' messages to their coach about a check they failed, each in its own thread,
    as ``coaching.threads.post_message`` stores them (the thread, the message, its ``commented``
    event, the writer's read mark); none answered yet. Returns how many events it added."""
    if not written:
        return 0
    thread_ids = db.session.scalars(insert(CoachingThread).returning(CoachingThread.id, sort_by_parameter_order=True), [
        {"organisation_id": organisation_id, "learner_id": learner, "journey_id": journey, "item_ref": ref,
         "item_title": title, "created_at": at, "last_message_at": at, "last_author_id": learner}
        for learner, journey, ref, title, at in written]).all()  # fmt: skip
    message_ids = db.session.scalars(insert(CoachingMessage).returning(CoachingMessage.id, sort_by_parameter_order=True), [
        {"thread_id": thread, "author_id": learner, "body": CONVERSATION_OPENERS[thread % len(CONVERSATION_OPENERS)],
         "created_at": at} for thread, (learner, _journey, _ref, _title, at) in zip(thread_ids, written, strict=True)
    ]).all()  # fmt: skip
    bulk.insert_many(ThreadReadMark.__table__, [
        {"thread_id": thread, "user_id": learner, "read_at": at}
        for thread, (learner, _journey, _ref, _title, at) in zip(thread_ids, written, strict=True)])  # fmt: skip
    return bulk.insert_many(LearningEvent.__table__, [
        {"id": uuid.UUID(int=rng.getrandbits(128), version=4), "actor_id": learner, "verb": "commented",
         "object_type": "coaching_message", "object_id": str(message), "result": None,
         "context": {"thread": thread, "item": ref, "learner": learner}, "occurred_at": at, "recorded_at": at}
        for thread, message, (learner, _journey, ref, _title, at) in zip(thread_ids, message_ids, written, strict=True)
    ])  # fmt: skip
