"""Demo spaces: in the English cohort's, the weekly question with replies, a stuck request shared
with the cohort and answered by a peer (marked helpful and endorsed), and a report in the
trainers' queue; in the space of a course, learners of different cohorts talking, one of them
naming the trainer, who answers, the course's own weekly question, and on-the-job evidence a
learner chose to share there, with his request for feedback and a colleague's answer. Once the
synthetic learners have joined the English cohort, its introductions thread from the cohort's first
days, long enough to read on two pages."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select, update

from lxp.accounts.models import User
from lxp.cohorts.models import Cohort
from lxp.core.time import utcnow
from lxp.demo.coaching import COHORT
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.paths import services as paths
from lxp.social import access, moderation, peer_help, sharing
from lxp.social import services as social
from lxp.social.models import SpacePost, SpaceThread
from lxp.workplace.models import TaskSubmission

QUESTION = ("This week: your hardest complaint so far",
            "Think of one call or visit this week that was hard. What did the customer need, and what did you say "
            "first? A few lines are enough; nobody has to answer everything at once.")  # fmt: skip
REPLIES = (
    ("sofia.garcia@northwind.example", "A customer whose parcel went missing twice. I named the frustration first "
                                       "and it changed the whole call."),
    ("lucas.silva@northwind.example", "@Sofía García that is what I try too. What did you promise next?"),
)  # fmt: skip
SHARED = ("marcus.johnson@northwind.example", "I never know which question to ask first. Any tip?",
          "claire.dubois@northwind.example", "Start with what they want to happen, not with what went wrong. "
                                             "It keeps both of you looking forward.")  # fmt: skip
COURSE_TALK = ("marcus.johnson@northwind.example", "Phrases that calm a caller down",
               "Which sentence do you use when a caller is angry before you even said hello? "
               "Mine is \u201cLet me make sure I understand what happened.\u201d",
               "olga.petrova@northwind.example", "I ask for their name first and use it once. "
                                                 "{trainer}, is that too personal?",
               "That is a good habit in every language, {learner}: use the name once at the start and once "
               "when you summarise.")  # fmt: skip
REPORTED = ("kenji.watanabe@northwind.example", "Anyone want to swap shifts next Friday? Message me.",
            "lucas.silva@northwind.example", "Off topic for this space.")  # fmt: skip


def _user(email: str) -> User | None:
    return db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def _open_step(learner: User | None) -> str | None:
    """The learner's next open step, a quiz where one is open."""
    journey = paths.open_journey(learner) if learner is not None else None
    if journey is None:
        return None
    steps = paths.current_plan(journey).open_steps
    return next((s.ref for s in steps if s.kind == "quiz"), steps[0].ref if steps else None)


COURSE_QUESTION = ("This week on the course: the first sentence you say",
                   "When a customer comes to you upset, what is the very first sentence you say? Share it; "
                   "someone on the course may borrow it.")  # fmt: skip
COURSE_ANSWER = "\u201cThank you for telling me straight away.\u201d It buys me a breath to listen."
FEEDBACK_ASK = ("Did I promise too much by giving a day? I was not sure the part would come in time.",
                "You set a day and kept it, and the text message was her choice.",
                "Say what you will do if the part is late, so the promise stays safe.")  # fmt: skip


def seed_social() -> bool:
    """Fill the English cohort's space and a course's space once; returns whether anything was
    added. Safe to run again."""
    cohort_added = _seed_cohort_space()
    course_added = _seed_course_space()
    practice_added = _seed_course_practice()
    return course_added or cohort_added or practice_added


def _seed_course_practice() -> bool:
    """In the space of the course on Marcus's path: the trainer's weekly question (tied to a step
    of the course) with Olga's answer; Marcus shares his on-the-job evidence there rather than in
    his cohort, asks for feedback naming Olga, and Olga answers with the structured form."""
    marcus, olga, trainer = _user(COURSE_TALK[0]), _user(COURSE_TALK[3]), _user(COHORT[1])
    journey = paths.open_journey(marcus) if marcus is not None else None
    if journey is None or olga is None or trainer is None or not journey.courses:
        return False
    space = access.course_space_for(trainer, journey.courses[0].course_id)
    if db.session.execute(select(SpaceThread.id).where(SpaceThread.course_id == space.id,
                                                       SpaceThread.kind.in_(("weekly", "shared")))).first():  # fmt: skip
        return False
    step = next(iter(social.stations_of(space.organisation_id, space)), None)
    if step is not None:
        question = social.start_thread(trainer, space, *COURSE_QUESTION, weekly=True, station=step.ref)
        if access.is_course_member(olga.id, space.id):
            social.reply(olga, question, COURSE_ANSWER)
    task = db.session.execute(
        select(TaskSubmission.item_ref).where(TaskSubmission.learner_id == marcus.id, TaskSubmission.status != "draft")
    ).scalars().first()  # fmt: skip
    if task is not None and access.space_key(space) in {
        access.space_key(s) for s in access.share_targets(marcus, task)
    }:
        shared = sharing.share(marcus, sharing.EVIDENCE, task, access.space_key(space))
        named = [olga.id] if olga.id in sharing.who_may_be_asked(marcus, shared) else []
        sharing.ask_for_feedback(marcus, shared.id, FEEDBACK_ASK[0], named)
        if named:
            sharing.give_feedback(olga, shared.id, FEEDBACK_ASK[1], FEEDBACK_ASK[2])
    db.session.flush()
    return True


def _seed_course_space() -> bool:
    """A thread in the space of the course on Marcus's path: Olga (on the course, in none of
    his cohorts) answers and names the trainer, who replies."""
    starter, peer, trainer = _user(COURSE_TALK[0]), _user(COURSE_TALK[3]), _user(COHORT[1])
    journey = paths.open_journey(starter) if starter is not None else None
    if journey is None or peer is None or trainer is None or not journey.courses:
        return False
    space = access.course_space_for(trainer, journey.courses[0].course_id)
    if db.session.execute(select(SpaceThread.id).where(SpaceThread.course_id == space.id)).first():
        return False
    thread = social.start_thread(starter, space, COURSE_TALK[1], COURSE_TALK[2])
    if access.is_course_member(peer.id, space.id):
        social.reply(peer, thread, COURSE_TALK[4].format(trainer="@" + trainer.display_name))
        social.reply(trainer, thread, COURSE_TALK[5].format(learner="@" + peer.display_name))
    db.session.flush()
    return True


def _seed_cohort_space() -> bool:
    """Fill the English cohort's space once (the seeding of coaching made the cohort)."""
    cohort = db.session.execute(select(Cohort).where(Cohort.name == COHORT[0])).scalar_one_or_none()
    trainer = _user(COHORT[1])
    if cohort is None or trainer is None:
        return False
    if db.session.execute(select(SpaceThread.id).where(SpaceThread.cohort_id == cohort.id)).first():
        return False
    asker = _user(SHARED[0])
    station = _open_step(asker) or next((s.ref for s in social.stations_of(cohort.organisation_id)), None)
    if station is None:
        return False
    question = social.start_thread(trainer, cohort, QUESTION[0], QUESTION[1], weekly=True, station=station)
    for email, text in REPLIES:
        if (author := _user(email)) is not None:
            social.reply(author, question, text)
    if asker is not None and _open_step(asker) is not None:
        _request, shared = peer_help.ask_coach_and_peers(asker, _open_step(asker), SHARED[1])
        if (peer := _user(SHARED[2])) is not None:
            answer = social.reply(peer, shared, SHARED[3])
            peer_help.mark_helpful(asker, answer.id)
            peer_help.endorse(trainer, answer.id)
    author, reporter = _user(REPORTED[0]), _user(REPORTED[2])
    if author is not None and reporter is not None:
        off_topic = social.reply(author, question, REPORTED[1])
        moderation.report_post(reporter, off_topic.id, REPORTED[3])
    db.session.flush()
    return db.session.execute(select(SpacePost.id).where(SpacePost.thread_id == question.id)).first() is not None


INTRODUCTIONS = ("Introduce yourself: where you work and one moment you want to handle better",
                 "Welcome to the cohort! Tell us your first name, where you work and one customer moment you "
                 "want to handle better by the end of the course. Then answer someone whose moment sounds "
                 "like yours.")  # fmt: skip
WHERE = ("at the returns desk", "on the phone line", "in the Berlin store", "in online chat support",
         "at the service counter", "in the warehouse office, with customers calling in", "on the weekend shift",
         "in a small branch where I do everything")  # fmt: skip
MOMENTS = ("a customer who has already been passed on three times", "telling someone their refund is late",
           "a caller who shouts before I can say hello", "saying no to a discount without losing the customer",
           "a complaint about a colleague", "promising a date I cannot control",
           "a customer who writes long angry e-mails", "ending a call that goes round in circles")  # fmt: skip
ANSWERS = ("Same here: I never know how to start.", "I had that last week. Naming the feeling helped a bit.",
           "Let's compare notes after the role-play session.",
           "What worked for me: say what you will do next, then do it.")  # fmt: skip
WELCOMES = ("Welcome! That moment is exactly what the second module is about.",
            "Good choice: bring a real example to the live session and we will practise it.",
            "Several of you named this one. We will come back to it in week two.")  # fmt: skip
INTRODUCTIONS_BEGAN = timedelta(days=38)  # the cohort's first days, well before this week's question
INTRODUCTIONS_SPACING = timedelta(hours=5)


def seed_introductions() -> int:
    """The English cohort's introductions thread, written in its first days: every member says
    where they work and what they want to handle better, the trainer welcomes some, peers answer
    others quoting them. Long enough to read on two pages. Runs after the synthetic learners joined
    the cohort; returns how many replies it added (0 when the thread is there already)."""
    cohort = db.session.execute(select(Cohort).where(Cohort.name == COHORT[0])).scalar_one_or_none()
    trainer = _user(COHORT[1])
    if cohort is None or trainer is None or not access.space_enabled(cohort.id):
        return 0
    if db.session.execute(select(SpaceThread.id).where(SpaceThread.cohort_id == cohort.id,
                                                       SpaceThread.title == INTRODUCTIONS[0])).first():  # fmt: skip
        return 0
    members = [m for m in sorted(cohort.members, key=lambda u: u.id) if m.id != trainer.id]
    thread = social.start_thread(trainer, cohort, *INTRODUCTIONS)
    rng = random.Random(2026)  # the same thread on every machine
    posts = []
    for n, member in enumerate(members):
        first_name = member.display_name.split()[0]
        text = f"Hi, I'm {first_name}, {rng.choice(WHERE)}. I want to get better at {rng.choice(MOMENTS)}."
        own = social.reply(member, thread, text)
        posts.append(own)
        if n % 6 == 5:
            posts.append(social.reply(trainer, thread, WELCOMES[n // 6 % len(WELCOMES)], quote_id=own.id))
        if n % 3 == 1 and (answerer := members[(n + 7) % len(members)]) is not member:
            posts.append(social.reply(answerer, thread, rng.choice(ANSWERS), quote_id=own.id))
    _date_back(thread, posts, utcnow() - INTRODUCTIONS_BEGAN)
    return len(posts)


def _date_back(thread: SpaceThread, posts: list[SpacePost], began) -> None:
    """Move a thread written just now to the days it was written in, a reply every few hours:
    its posts, its last activity and the events that recorded them."""
    opening = db.session.get(SpacePost, social.opening_post_id(thread.id))
    moments = {opening.id: began}
    for n, post in enumerate(posts, start=1):
        moments[post.id] = began + n * INTRODUCTIONS_SPACING
    for post in (opening, *posts):
        post.created_at = moments[post.id]
    thread.created_at, thread.last_post_at = began, moments[posts[-1].id] if posts else began
    db.session.execute(update(LearningEvent).where(LearningEvent.object_type == "space_thread",
                                                   LearningEvent.object_id == str(thread.id)).values(occurred_at=began))  # fmt: skip
    for post_id, moment in moments.items():
        db.session.execute(update(LearningEvent).where(LearningEvent.object_type == "space_post",
                                                       LearningEvent.object_id == str(post_id)).values(occurred_at=moment))  # fmt: skip
    db.session.flush()
