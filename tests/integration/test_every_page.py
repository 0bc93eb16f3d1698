"""Every page works for every learner (issue #13): a walk over the URL map as every demo person
and a sample of synthetic learners at every stage of a journey, opening every page and every
GET of the API they may use, with the ids they can really see.

Each answer must be sensible: 200 with a page that has a main heading (or JSON, or a non-empty
file), a redirect only where ``EXPECTED`` says where to, a 404 only where it says why; never a
5xx. New endpoints join the walk on their own; one with an id in its address needs a line in
``ADDRESSES`` (where its ids come from) or in ``SKIPPED`` (why it is not walked). Then every
link on the pages opened is followed once: it must answer 200 or redirect, never 4xx or 5xx.

The demo is seeded once for the module (seeding per test would take minutes), then the tests
only read (GET pages may mark messages read or re-plan a stale path, as for a real visitor);
the autouse ``_fresh_database`` of the integration tests is overridden below. A failure lists
every wrong answer of that person: the address, the status, their stage and what the page said.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode, urlsplit

import pytest
from flask import url_for
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from lxp.accounts.models import User, UserRole
from lxp.authoring.models import STATUSES
from lxp.core import unit_of_work
from lxp.core.auth import ROLES, required_roles
from lxp.core.security import EXPIRES_AT
from lxp.demo import PEOPLE
from lxp.extensions import db, limiter
from tests.conftest import committing, empty_all_tables, statements_sent
from tests.seeded_demo import seeded_demo

# The stages of a journey the walk must see, each at least once among the demo people.
STAGES = ("not_started", "just_started", "on_track", "behind", "stuck", "halfway", "finished", "finished_late",
          "past_target", "paused")  # fmt: skip
DEMO_STORY_STAGE = {"onboarded": "just_started"}  # a demo story named otherwise is its stage
SYNTHETIC_PER_STAGE = 1  # and the two who swap a step (see _swap_a_step)
# Stages the synthetic population (lxp/insights/synthetic.py, seed 2026) may have nobody in; the
# demo people cover them.
SYNTHETIC_ABSENT = {
    "not_started": "every synthetic learner has a journey",
    "finished_late": "few synthetic learners finish after their target date, and whether any does depends on the course",
    "paused": "the generator pauses nobody",
}

# People who joined the demo organisation today, with no language chosen: a trainer with
# nobody to coach and no sessions yet, a learner who has not seen anything yet.
NEWCOMERS = (("new.trainer@northwind.example", ("trainer",)), ("new.learner@northwind.example", ("learner",)))

# Endpoints the walk does not open, each with the reason. Adding one is a decision for review.
SKIPPED = {
    "static": "the app's CSS, JS and images, not pages",
    "live.feed": "a calendar app's feed, opened signed out by a secret token stored hashed (test_live_calendars.py)",
    "packages.play": "a package's files for the sandboxed player frame, behind a signed token of one learner's "
    "attempt (test_packages.py, test_scorm_phone.py)",
    **{
        f"package_lrs.{name}": "a cmi5 AU's LRS resources, behind its launch's one-time auth token "
        "(test_packages_cmi5.py, test_cmi5_phone.py)"
        for name in ("state", "agent_profile", "statements")
    },
    "accounts.accept_invitation": "signed-out page behind a signed invitation token (test_invitations.py)",
    "accounts.reset_password": "signed-out page behind a signed reset token (test_passwords.py)",
    "effect.open_link": "a touchpoint's tracked link behind a signed token; opening it counts an open",
    "sso.start": "sends the browser to an organisation's identity provider (test_company_sign_in.py)",
    "sso.callback": "the identity provider's answer, refused without a sign-in pending (test_company_sign_in.py)",
    "sso_saml.metadata": "lxp's SAML SP metadata, an XML document, not a page (test_saml_sign_in.py)",
    **{
        f"scim.{name}": "SCIM for a directory with a bearer token, not a page (test_scim_*.py, scim2-tester)"
        for name in (
            "service_provider_config",
            "resource_types",
            "resource_type",
            "schemas",
            "schema",
            "unknown",
            "list_users",
            "get_user",
            "list_groups",
            "get_group",
        )
    },
    "ops.scrape": "Prometheus' metrics, for a bearer token or internal addresses only, not a page (test_metrics.py)",
}


@dataclass
class Visit:
    """One address to open and what a sensible answer is: a 200 unless ``redirect`` names the
    path it must lead to, or ``missing`` why it does not exist for this person (a 404)."""

    values: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    redirect: str | None = None
    missing: str | None = None


@dataclass
class Person:
    key: str
    user_id: int
    email: str
    roles: frozenset[str]
    stage: str  # "staff" for a trainer or admin who is no learner


@dataclass
class Seen:
    """What one signed-in person can really see, read through the services the pages use."""

    user: User
    journey: object = None
    plan: object = None
    refs: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    swaps: list[tuple[str, str]] = field(default_factory=list)
    swapped: list[str] = field(default_factory=list)
    moves: list[tuple[str, str]] = field(default_factory=list)
    threads: list[int] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)
    sessions: list[int] = field(default_factory=list)
    live_refs: list[str] = field(default_factory=list)
    cards: list[int] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    unsubscribe: list[str] = field(default_factory=list)
    spaces: list[int] = field(default_factory=list)  # cohort spaces, their threads, one's own posts
    course_spaces: list[int] = field(default_factory=list)
    space_threads: list[int] = field(default_factory=list)
    own_posts: list[int] = field(default_factory=list)
    posts_seen: list[tuple[int, int, int]] = field(default_factory=list)  # (post, its thread, its page)
    credentials: list = field(default_factory=list)  # their own
    issuer: list[str] = field(default_factory=list)  # their organisation's slug
    # trainers
    desk_threads: list[int] = field(default_factory=list)
    help_requests: list[int] = field(default_factory=list)
    submissions: list[int] = field(default_factory=list)
    taught: list[int] = field(default_factory=list)
    coached: list[int] = field(default_factory=list)
    insight_courses: list[int] = field(default_factory=list)
    # admins
    courses: list[int] = field(default_factory=list)
    drafts: set[int] = field(default_factory=set)  # courses whose newest version is a draft
    items: list[tuple[int, int]] = field(default_factory=list)
    modules: list[tuple[int, int]] = field(default_factory=list)
    outcomes: list[tuple[int, int]] = field(default_factory=list)
    competencies: list[int] = field(default_factory=list)
    goals: list[int] = field(default_factory=list)
    packages: list[int] = field(default_factory=list)
    cohorts: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    rule_keys: list[str] = field(default_factory=list)
    learner_emails: list[str] = field(default_factory=list)
    issued: list = field(default_factory=list)  # credentials the organisation issued
    live_items: list[str] = field(default_factory=list)


# --- what each person can see -----------------------------------------------------------------


def _learner_view(seen: Seen) -> None:
    from lxp.channels import in_app
    from lxp.coaching import threads
    from lxp.live import registration
    from lxp.nudges.models import ReviewCard
    from lxp.paths import services as paths

    learner = seen.user
    seen.journey = paths.open_journey(learner)
    if seen.journey is not None:
        seen.plan = paths.current_plan(seen.journey)
        seen.refs = [s.ref for s in seen.plan.steps]
        seen.kinds = {s.ref: s.kind for s in seen.plan.steps}
        alternatives = paths.alternatives_of(seen.journey)
        seen.swaps = [(s.ref, a.ref) for s in seen.plan.open_steps for a in alternatives.get(s.ref, ())[:1]]
        seen.swapped = list((seen.journey.choices or {}).get("swaps") or {})
        seen.moves = [(ref, target) for ref, targets in paths.move_targets(seen.plan).items()
                      for target in targets.values()]  # fmt: skip
    seen.threads = [row.thread.id for row in threads.threads_of_learner(learner)]
    seen.messages = [m.id for m in in_app.messages_page(learner.id, 1).items[:3]]
    seen.sessions = [s.session.id for s in registration.sessions_for_learner(learner)]
    seen.live_refs = registration.path_live_refs(learner)
    seen.cards = list(db.session.scalars(select(ReviewCard.id).where(ReviewCard.user_id == learner.id).limit(2)))


def _trainer_view(seen: Seen) -> None:
    from lxp.coaching import services as coaching
    from lxp.coaching import threads
    from lxp.insights import services as insights
    from lxp.live import scheduling
    from lxp.workplace import services as workplace
    from lxp.workplace.models import TaskReview

    trainer = seen.user
    seen.desk_threads = [t.id for t in db.session.scalars(threads.coach_inbox_query(trainer))]
    seen.help_requests = [r.id for r in db.session.scalars(coaching.help_queue_query(trainer))]
    reviewed = db.session.scalars(select(TaskReview.submission_id).where(TaskReview.reviewer_id == trainer.id))
    seen.submissions = sorted(
        {s.id for s in db.session.scalars(workplace.reviews_waiting_query(trainer))} | set(reviewed)
    )
    weeks, _clashes = scheduling.trainer_schedule(trainer)
    seen.taught = [row.session.id for week in weeks for row in week.rows]
    seen.coached = sorted(db.session.scalars(select(threads.coached_learner_ids(trainer))))
    seen.insight_courses = [course.id for course, _version in insights.courses_for(trainer)]
    seen.cohorts = [c.id for c in insights.cohorts_for(trainer)]
    seen.live_items = [item.ref for item in scheduling.live_items(trainer.organisation_id)]


def _admin_view(seen: Seen) -> None:
    from lxp.authoring.models import Competency, Course, Goal, Package
    from lxp.cohorts.models import Cohort
    from lxp.insights import services as insights
    from lxp.nudges.rules import DEFAULT_RULES

    organisation = seen.user.organisation_id
    courses = db.session.scalars(select(Course).where(Course.organisation_id == organisation).order_by(Course.id))
    for course in courses:
        seen.courses.append(course.id)
        version = course.versions[-1]
        if version.editable:
            seen.drafts.add(course.id)
        seen.items += [(course.id, item.id) for item in version.items]
        seen.modules += [(course.id, module.id) for module in version.modules]
        seen.outcomes += [(course.id, outcome.id) for outcome in version.outcomes]
    seen.competencies = list(
        db.session.scalars(select(Competency.id).where(Competency.organisation_id == organisation))
    )
    seen.goals = list(db.session.scalars(select(Goal.id).where(Goal.organisation_id == organisation)))
    seen.packages = list(db.session.scalars(select(Package.id).join(Goal).where(Goal.organisation_id == organisation)))
    seen.cohorts = list(db.session.scalars(select(Cohort.id).where(Cohort.organisation_id == organisation)))
    people = db.session.scalars(select(User).where(User.organisation_id == organisation).order_by(User.id))
    one_per_roles = {}
    for person in people:
        one_per_roles.setdefault(tuple(sorted(person.roles)), person.id)
    seen.users = sorted(one_per_roles.values())
    seen.rule_keys = [rule.key for rule in DEFAULT_RULES]
    seen.learner_emails = ["lena.fischer@northwind.example"]
    from lxp.credentials import services as credentials

    seen.issued = [c.id for c in credentials.credentials_in(seen.user)]
    seen.insight_courses = [course.id for course, _version in insights.courses_for(seen.user)]


def _files_and_links(seen: Seen) -> None:
    from lxp.files import services as files
    from lxp.files.models import StoredFile
    from lxp.nudges import policy, preferences

    stored = db.session.scalars(select(StoredFile).where(StoredFile.organisation_id == seen.user.organisation_id))
    seen.files = [f.token for f in stored if files.may_see(seen.user, f)][:3]
    seen.unsubscribe = [preferences.unsubscribe_token(seen.user, policy.CATEGORIES[0])]
    from lxp.credentials import services as credentials

    seen.credentials = [c.id for c in credentials.credentials_of(seen.user)]
    seen.issuer = [seen.user.organisation.slug]


def _social_view(seen: Seen) -> None:
    from lxp.social import access
    from lxp.social import services as social

    seen.spaces = [cohort.id for cohort in access.spaces_for(seen.user)]
    seen.course_spaces = [space.id for space in access.course_spaces_for(seen.user)]
    for cohort in [*access.spaces_for(seen.user), *access.course_spaces_for(seen.user)]:
        for row in social.threads_of(seen.user, cohort):
            seen.space_threads.append(row.thread.id)
            seen.own_posts += [p.id for p in row.thread.posts if p.author_id == seen.user.id and p.deleted_at is None]
            posts = row.thread.posts  # the opening post on every page, then the replies by time
            seen.posts_seen += [(p.id, row.thread.id, max(n - 1, 0) // social.REPLIES_PER_PAGE + 1)
                                for n, p in enumerate(posts) if n >= len(posts) - 2 or n in (1, 50, 51)]  # fmt: skip


def what_they_see(user: User) -> Seen:
    seen = Seen(user)
    _files_and_links(seen)
    _social_view(seen)
    if user.has_role("learner"):
        _learner_view(seen)
    if user.has_role("trainer"):
        _trainer_view(seen)
    if user.has_role("admin"):
        _admin_view(seen)
    return seen


# --- where each endpoint's ids come from --------------------------------------------------------


def _each(values: Iterable, name: str | tuple[str, ...]) -> list[Visit]:
    names = (name,) if isinstance(name, str) else name
    return [Visit(dict(zip(names, v if isinstance(v, tuple) else (v,), strict=True))) for v in values]


def _refs(seen: Seen, kind: str | None = None) -> list[str]:
    return [ref for ref in seen.refs if kind is None or seen.kinds[ref] == kind]


def _steps(seen: Seen) -> list[str]:
    """One step of the path per kind and state (done, open, optional): the block player shows
    each kind in each state the same way, and the walk stays fast."""
    picked: dict[tuple, str] = {}
    for step in seen.plan.steps if seen.plan else ():
        picked.setdefault((step.kind, step.done, step.optional), step.ref)
    return list(picked.values())


def _first_course(seen: Seen) -> list[int]:
    return seen.courses[:1]


def _editor(seen: Seen, pairs: Iterable, names: tuple[str, ...] = ("course_id",)) -> list[Visit]:
    """An editor of a course's newest version: a draft opens, a published version leads back
    to the course page (start a draft to change it)."""
    visits = _each(pairs, names)
    for visit in visits:
        course_id = visit.values["course_id"]
        if course_id not in seen.drafts:
            visit.redirect = url_for("authoring.course", course_id=course_id)
    return visits


ADDRESSES: dict[str, Callable[[Seen], list[Visit]]] = {
    # everyone: the files they may see (evidence, coaching attachments), their unsubscribe links
    "files.download": lambda s: _each(s.files, "token"),
    "nudges.unsubscribe": lambda s: _each(s.unsubscribe, "token"),
    # everyone: the cohort spaces they may open, their threads, their own posts' edit page
    "social.space": lambda s: _each(s.spaces, "cohort_id"),
    "social.thread": lambda s: _each(s.space_threads, "thread_id"),
    "social.edit_post": lambda s: _each(s.own_posts, "post_id"),
    # A post's lasting address leads to its page of the thread, at the post (the demo's
    # introductions run to a second page: its last reply on page 1 and its first on page 2).
    "social.open_post": lambda s: [
        Visit(
            {"post_id": post_id},
            redirect=url_for("social.thread", thread_id=thread_id, **({"page": page} if page > 1 else {}))
            + f"#post-{post_id}",
        )
        for post_id, thread_id, page in s.posts_seen
    ],  # fmt: skip
    "api_spaces.list_threads": lambda s: _each(s.spaces, "cohort_id"),
    "social.course_space": lambda s: _each(s.course_spaces, "course_id"),
    "api_spaces.list_course_threads": lambda s: _each(s.course_spaces, "course_id"),
    "api_spaces.get_thread": lambda s: _each(s.space_threads, "thread_id"),
    "api_spaces.list_posts": lambda s: _each(s.space_threads, "thread_id"),
    # everyone: their own credentials, the share pages of those and of the ones an admin issued,
    # and their organisation's issuer documents
    **{
        f"credentials.{name}": (lambda s: _each(s.credentials, "credential_id"))
        for name in ("show", "download_jwt", "download_json", "download_png", "download_pdf")
    },
    "api_credentials.get_mine": lambda s: _each(s.credentials, "credential_id"),
    "credentials.verify_shared": lambda s: _each([*s.credentials, *s.issued], "credential_id"),
    "credentials.issuer_profile": lambda s: _each(s.issuer, "slug"),
    "credentials.issuer_keys": lambda s: _each(s.issuer, "slug"),
    "credentials.status_list": lambda s: _each(s.issuer, "slug"),
    "credentials_admin.revoke": lambda s: _each(s.issued, "credential_id"),
    "api_issued_credentials.get_issued": lambda s: _each(s.issued, "credential_id"),
    # the trainer's desk, one queue at a time
    "learning.desk_queue": lambda s: _each(("help", "at-risk", "evidence", "conversations", "checkpoints"), "queue"),
    # learners
    "learning.block": lambda s: _each(_steps(s), "ref"),
    "learning.pulse": lambda s: _each(_steps(s), "ref"),
    "api_blocks.get_item": lambda s: _each(_steps(s), "ref"),
    "api_tasks.get_task": lambda s: _each(_refs(s, "workplace_task"), "ref"),
    "live.item_dates": lambda s: _each(s.live_refs, "ref"),
    "coaching.thread": lambda s: _each(s.threads, "thread_id"),
    "learning.inbox_message": lambda s: _each(s.messages, "message_id"),
    "api_inbox.get_message": lambda s: _each(s.messages, "message_id"),
    "review.recall": lambda s: _each(s.cards, "card_id"),
    "api_live.get_session": lambda s: _each(s.sessions, "session_id"),
    # learners and trainers
    "live.session": lambda s: _each(s.sessions + s.taught, "session_id"),
    "live.session_ics": lambda s: _each(s.sessions + s.taught, "session_id"),
    "api_coaching.get_thread": lambda s: _each(s.threads + s.desk_threads, "thread_id"),
    # trainers
    "coaching.desk_thread": lambda s: _each(s.desk_threads, "thread_id"),
    "coaching.help_request_desk": lambda s: _each(s.help_requests, "request_id"),
    "workplace.review_page": lambda s: _each(s.submissions, "submission_id"),
    "api_trainer.get_submission": lambda s: _each(s.submissions, "submission_id"),
    "coaching.give_feedback": lambda s: _each(s.coached[:12], "learner_id"),
    "live.attendance": lambda s: _each(s.taught, "session_id"),
    "live.edit_session": lambda s: _each(s.taught, "session_id"),
    "api_trainer.get_attendance": lambda s: _each(s.taught, "session_id"),
    # trainers and admins
    "insights.journey": lambda s: _each(s.insight_courses, "course_id"),
    "insights.modalities": lambda s: _each(s.insight_courses, "course_id"),
    "insights.satisfaction": lambda s: _each(s.insight_courses, "course_id"),
    "api_insights.journey_map": lambda s: _each(s.insight_courses, "course_id"),
    "api_insights.modalities": lambda s: _each(s.insight_courses, "course_id"),
    "api_insights.satisfaction": lambda s: _each(s.insight_courses, "course_id"),
    # admins
    "cohorts.edit_cohort": lambda s: _each(s.cohorts, "cohort_id"),
    "catalogue.edit_competency": lambda s: _each(s.competencies, "competency_id"),
    "catalogue.edit_goal": lambda s: _each(s.goals, "goal_id"),
    "catalogue.new_package": lambda s: _each(s.goals, "goal_id"),
    "catalogue.edit_package": lambda s: _each(s.packages, "package_id"),
    "authoring.course": lambda s: _each(s.courses, "course_id"),
    "authoring.edit_concept": lambda s: _editor(s, s.courses),
    "package_admin.upload": lambda s: _editor(s, s.courses),
    "package_admin.waive": lambda s: _each(s.courses, ("course_id",)),
    "authoring.coverage": lambda s: _each(s.courses, "course_id"),
    "authoring.export_course": lambda s: _each(s.courses, "course_id"),
    "authoring.history": lambda s: _each(s.courses, "course_id"),
    "course_structure.edit_item": lambda s: _editor(s, s.items, ("course_id", "item_id")) + _editor(s, s.courses),
    "course_structure.preview_item": lambda s: _each(s.items, ("course_id", "item_id")),
    "course_structure.edit_module": lambda s: _editor(s, s.modules, ("course_id", "module_id")) + _editor(s, s.courses),
    "course_structure.edit_outcome": lambda s: (
        _editor(s, s.outcomes, ("course_id", "outcome_id")) + _editor(s, s.courses)
    ),
    "touchpoint_rules.journey": lambda s: _each(s.courses, "course_id"),
    "touchpoint_rules.edit": lambda s: _each(
        [(c, k) for c in _first_course(s) for k in s.rule_keys], ("course_id", "key")
    ),
    "admin_users.edit_user": lambda s: _each(s.users, "user_id"),
    "privacy.erase_person": lambda s: _each(s.users, "user_id"),
    "api_admin.export_course": lambda s: _each(s.courses, "course_id"),
    "api_admin.get_user": lambda s: _each(s.users, "user_id"),
    "api_admin.get_coach": lambda s: _each(s.users, "user_id"),
    "api_competencies.get_competency": lambda s: _each(s.competencies, "competency_id"),
    "api_touchpoints.list_rules": lambda s: _each(s.courses, "course_id"),
    "api_touchpoints.get_rule": lambda s: _each(
        [(c, k) for c in _first_course(s) for k in s.rule_keys], ("course_id", "key")
    ),
    "api_touchpoints.preview_rule": lambda s: [
        Visit({"course_id": c, "key": k}, {"learner": e})
        for c in _first_course(s)
        for k in s.rule_keys
        for e in s.learner_emails
    ],
}


def _insights(seen: Seen, tables: tuple[str, ...]) -> list[Visit]:
    """A course's insights page filtered by each cohort the person sees and by the last month,
    and its CSV tables, as the page's filter form and download links ask for them."""
    month = {"start": (date.today() - timedelta(days=30)).isoformat(), "end": date.today().isoformat()}
    visits = []
    for course_id in seen.insight_courses:
        visits += [Visit({"course_id": course_id}, {"cohort": c}) for c in seen.cohorts]
        visits += [Visit({"course_id": course_id}, month)]
        visits += [Visit({"course_id": course_id}, {"format": "csv", "table": t}) for t in tables]
    return visits


def _new_items(seen: Seen) -> list[Visit]:
    from lxp.authoring.kinds import KINDS

    return [Visit({"course_id": c}, {"kind": kind}) for c in sorted(seen.drafts) for kind in KINDS]


# Addresses with a query a page links to (filters, searches, CSV downloads), opened on top of
# the plain address; each must answer 200.
QUERIES: dict[str, Callable[[Seen], list[Visit]]] = {
    "learning.job_aids": lambda s: [Visit(query={"q": q}) for q in ("customer", "Kunde", "zzz")],
    "insights.journey": lambda s: _insights(s, ("stations",)),
    "insights.modalities": lambda s: _insights(s, ("modalities",)),
    "insights.satisfaction": lambda s: _insights(s, ("nps", "pulses", "comments")),
    "insights.people": lambda s: [Visit(query={"cohort": c}) for c in s.cohorts] + [Visit(query={"format": "csv"})],
    "effect.report": lambda s: (
        [Visit(query={"course": c}) for c in s.courses]
        + [Visit(query={"format": "csv", "table": t}) for t in ("channels", "holdout")]
    ),
    "touchpoint_rules.edit": lambda s: [
        Visit({"course_id": c, "key": k}, {"learner": e})
        for c in _first_course(s)
        for k in s.rule_keys
        for e in s.learner_emails
    ],
    "authoring.course": lambda s: [Visit({"course_id": c}, {"version": 1}) for c in sorted(s.drafts)],
    "course_structure.edit_item": _new_items,
    "live.new_session": lambda s: [Visit(query={"item": ref}) for ref in s.live_items],
    "admin_users.list_users": lambda s: (
        [Visit(query={"role": r}) for r in ROLES] + [Visit(query={"q": "an"}), Visit(query={"page": 2})]
    ),
    "catalogue.list_competencies": lambda s: [Visit(query={"q": "listen"}), Visit(query={"page": 2})],
    "authoring.list_courses": lambda s: (
        [Visit(query={"status": st}) for st in STATUSES] + [Visit(query={"q": "customer"})]
    ),
}


def _no_journey(seen: Seen) -> Visit | None:
    return Visit(missing="no path yet: choose a goal first") if seen.journey is None else None


# Addresses without ids whose sensible answer is not a plain 200, or that need a query.
EXPECTED: dict[str, Callable[[Seen], list[Visit]]] = {
    "core.home": lambda s: [Visit(redirect=_start_page(s.user))],
    "accounts.login": lambda s: [Visit(redirect=url_for("core.home"))],
    # the code after the password: without a sign-in waiting for it, back to the password
    "two_step.sign_in_code": lambda s: [Visit(redirect=url_for("accounts.login"))],
    "learning.placement": lambda s: [_placement(s)],
    "api_learning.get_journey": lambda s: [_no_journey(s) or Visit()],
    "api_learning.get_path": lambda s: [_no_journey(s) or Visit()],
    "api_path_changes.options": lambda s: [_no_journey(s) or Visit()],
    "api_path_changes.get_placement": lambda s: [_no_journey(s) or Visit()],
    "learning.swap_step": lambda s: [Visit(query={"step": a, "to": b}) for a, b in s.swaps],
    "learning.undo_swap": lambda s: [Visit(query={"step": a}) for a in s.swapped],
    "learning.move_step": lambda s: [Visit(query={"step": a, "before": b}) for a, b in s.moves],
    "api_path_changes.preview_swap": lambda s: [Visit(query={"step": a, "alternative": b}) for a, b in s.swaps],
    "api_path_changes.preview_undo_swap": lambda s: [Visit(query={"step": a}) for a in s.swapped],
    "api_path_changes.preview_move": lambda s: [Visit(query={"step": a, "before": b}) for a, b in s.moves],
}


def _start_page(user: User) -> str:
    from lxp.core.views import start_page_for

    return start_page_for(user)


def _placement(seen: Seen) -> Visit:
    from lxp.learning import placement

    if seen.journey is None:
        return Visit(redirect=url_for("learning.choose_goals"))
    if placement.taken(seen.user):
        return Visit(redirect=url_for("learning.path"))
    return Visit()


# --- the walk -----------------------------------------------------------------------------------

LINKS_PER_ENDPOINT = 2
HREF = re.compile(r'href="([^"#]+)')
MAIN = re.compile(r'<main id="main"[^>]*>(.*?)</main>', re.S)
TAGS = re.compile(r"<[^>]+>")


def _get_endpoints(app) -> dict[str, list]:
    found: dict[str, list] = {}
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods:
            found.setdefault(rule.endpoint, []).append(rule)
    return found


def _may_open(app, endpoint: str, roles: frozenset[str]) -> bool:
    allowed = required_roles(app, endpoint)
    return allowed is None or bool(allowed & roles)


def _visits(app, endpoint: str, rules: list, seen: Seen) -> list[Visit]:
    extra = QUERIES[endpoint](seen) if endpoint in QUERIES else []
    if endpoint in ADDRESSES:
        return ADDRESSES[endpoint](seen) + extra
    if endpoint in EXPECTED:
        return EXPECTED[endpoint](seen) + extra
    if any(rule.arguments for rule in rules):
        raise AssertionError(f"{endpoint} has ids in its address: say in ADDRESSES where they come from, or skip it")
    return [Visit()] + extra


def _sensible(response, visit: Visit, endpoint: str) -> str | None:
    """What is wrong with the answer, or None."""
    status = response.status_code
    if visit.redirect is not None:
        if status != 302 or response.headers.get("Location") != visit.redirect:
            return f"expected a redirect to {visit.redirect}, got {status} {response.headers.get('Location')}"
        return None
    if visit.missing is not None:
        return None if status == 404 else f"expected 404 ({visit.missing}), got {status}"
    if status != 200:
        where = f" to {response.headers.get('Location')}" if 300 <= status < 400 else ""
        return f"status {status}{where}"
    if response.mimetype == "text/html":
        html = response.get_data(as_text=True)
        main = MAIN.search(html)
        if main is None or "<h1" not in main.group(1) or not TAGS.sub("", main.group(1)).strip():
            return "a page without a main heading"
    elif response.mimetype in ("application/json", "application/problem+json"):
        if response.get_json(silent=True) is None:
            return "JSON that does not parse"
    elif not response.get_data():
        return f"an empty {response.mimetype} answer"
    return None


def _excerpt(response) -> str:
    text = TAGS.sub(" ", response.get_data(as_text=True))
    return " ".join(text.split())[:160]


@dataclass
class Walked:
    requests: int = 0
    endpoints: set[str] = field(default_factory=set)
    public: set[tuple[str, str]] = field(default_factory=set)
    links: int = 0
    seconds: float = 0.0
    people: set[str] = field(default_factory=set)
    statements: dict[str, tuple[int, str]] = field(default_factory=dict)  # endpoint: the most any GET sent, where


WALKED = Walked()


def _walked_in_this_language(app, endpoint: str, locale: str | None) -> bool:
    """A public page without ids is the same for everyone who reads it in one language: walked
    once per language."""
    if not getattr(app.view_functions[endpoint], "lxp_public", False) or endpoint in EXPECTED or endpoint in ADDRESSES:
        return False
    seen = (endpoint, locale or "en") in WALKED.public
    WALKED.public.add((endpoint, locale or "en"))
    return seen


def _endpoint_of(app, href: str) -> str:
    try:
        return app.url_map.bind("lxp.test").match(urlsplit(href).path, method="GET")[0]
    except HTTPException:  # not found, or a redirect: followed, so the walk reports it
        return href


def signed_in(app, person: Person):
    """A test client signed in as the login form would sign them in (synthetic learners have
    no password to type)."""
    client = app.test_client()
    with committing(app):
        user = db.session.get(User, person.user_id)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session[EXPIRES_AT] = time.time() + 3600
    return client


def walk(app, person: Person) -> list[str]:
    """Open every GET address this person may use; returns what went wrong, one line each."""
    limiter.reset()  # the API allows 600 calls a minute per address; the walk makes more
    client = signed_in(app, person)
    WALKED.people.add(person.key)
    with app.test_request_context():
        user = db.session.get(User, person.user_id)
        seen = what_they_see(user)
        addresses = [
            (endpoint, url_for(endpoint, **v.values) + (f"?{urlencode(v.query)}" if v.query else ""), v)
            for endpoint, rules in sorted(_get_endpoints(app).items())
            if endpoint not in SKIPPED
            and _may_open(app, endpoint, person.roles)
            and not _walked_in_this_language(app, endpoint, user.locale)
            for v in _visits(app, endpoint, rules, seen)
        ]
        db.session.remove()
    problems = []
    started = time.perf_counter()
    links = {}
    for endpoint, address, visit in addresses:
        with statements_sent(app) as sent:
            response = client.get(address)
        WALKED.requests += 1
        if len(sent) > WALKED.statements.get(endpoint, (0, ""))[0]:
            WALKED.statements[endpoint] = (len(sent), f"{person.key}: {address}")
        wrong = _sensible(response, visit, endpoint)
        if response.status_code == 200 and response.mimetype == "text/html":
            for href in HREF.findall(response.get_data(as_text=True)):
                links.setdefault(html.unescape(href), address)
        response.close()
        if wrong is None:
            WALKED.endpoints.add(endpoint)
        else:
            problems.append(f"{person.key} ({person.stage}): GET {address} -> {wrong}: {_excerpt(response)}")
    # Then the links on those pages to addresses not opened yet, a few per endpoint (a path
    # links every step; the block player is the same for each): each must lead somewhere.
    opened = {address for _endpoint, address, _visit in addresses}
    per_endpoint: dict[str, int] = {}
    for href, page in sorted(links.items()):
        if not href.startswith("/") or href.startswith(("/static/", "//")) or href in opened:
            continue
        endpoint = _endpoint_of(app, href)
        per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
        if per_endpoint[endpoint] > LINKS_PER_ENDPOINT:
            continue
        with statements_sent(app) as sent:
            response = client.get(href)
        WALKED.links += 1
        if len(sent) > WALKED.statements.get(endpoint, (0, ""))[0]:
            WALKED.statements[endpoint] = (len(sent), f"{person.key}: {href}")
        if response.status_code not in (200, 302, 303):
            problems.append(f"{person.key} ({person.stage}): {page} links to {href} -> status {response.status_code}: "
                            f"{_excerpt(response)}")  # fmt: skip
        response.close()
    WALKED.seconds += time.perf_counter() - started
    return problems


# --- who walks ----------------------------------------------------------------------------------


def stage_of(user: User) -> str:
    """Where the learner is on their journey, read from their path and events (see STAGES)."""
    from lxp.events import LearningEvent
    from lxp.paths import services as paths

    journey = paths.open_journey(user)
    if journey is None:
        return "not_started"
    if journey.status == "paused":
        return "paused"
    plan = paths.current_plan(journey)
    required = [s for s in plan.steps if not s.optional]
    done = [s for s in required if s.done]
    if required and len(done) == len(required):
        last = db.session.scalar(
            select(func.max(LearningEvent.occurred_at)).where(
                LearningEvent.actor_id == user.id, LearningEvent.object_type == "item",
                LearningEvent.verb.in_(("completed", "passed", "attended")))
        )  # fmt: skip
        late = journey.target_date is not None and last is not None and last.date() > journey.target_date
        return "finished_late" if late else "finished"
    if journey.target_date is not None and journey.target_date < date.today():
        return "past_target"
    if any(r.code == "retry" for s in plan.open_steps for r in s.reasons):
        return "stuck"
    if not plan.feasibility.reachable:
        return "behind"
    if not done:
        return "just_started"
    return "halfway" if 2 * len(done) >= len(required) else "on_track"


@dataclass
class Demo:
    people: dict[str, Person]
    synthetic: dict[str, list[Person]]
    seconds: float


def _person(key: str, user: User, stage: str) -> Person:
    return Person(key, user.id, user.email, frozenset(user.roles), stage)


def _swap_a_step() -> tuple[int, int]:
    """Of the first two synthetic learners who could do a step another way, the first does so:
    the walk opens "go back" as that one and "do it another way" as the other; returns their ids."""
    from lxp.paths import services as paths

    found = []
    for user in db.session.scalars(select(User).where(User.email.like("synthetic-%")).order_by(User.id)):
        journey = paths.open_journey(user)
        alternatives = paths.alternatives_of(journey)
        step = next((s for s in paths.current_plan(journey).open_steps if alternatives.get(s.ref)), None)
        if step is not None and not found:
            paths.swap_step(user, journey, step.ref, alternatives[step.ref][0].ref)
        if step is not None:
            found.append(user.id)
        if len(found) == 2:
            return found[0], found[1]
    raise AssertionError("fewer than two synthetic learners have a step they could do another way")


def _user(email: str) -> User:
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def _a_week_of_live_sessions() -> None:
    """What a week does to the demo's live sessions: one date cancelled, one full with a
    waitlist, one held in the past with attendance taken."""
    from lxp.live import registration, scheduling
    from lxp.live.models import LiveSession

    def dates(language_trainer: str, item_key: str) -> list[LiveSession]:
        trainer = _user(language_trainer)
        weeks, _clashes = scheduling.trainer_schedule(trainer)
        rows = [row.session for week in weeks for row in week.rows if row.session.item_key == item_key]
        assert len(rows) == 2, (language_trainer, item_key, rows)
        return rows

    berlin, newyork = "trainer.berlin@northwind.example", "trainer.newyork@northwind.example"
    scheduling.cancel_session(_user(berlin), dates(berlin, "recovery-live")[1].id)

    full = dates(newyork, "recovery-live")[0]
    fillers = db.session.scalars(select(User).where(User.email.like("synthetic-%")).order_by(User.id)).all()
    waiting = [_user("sofia.garcia@northwind.example"), _user("lucas.silva@northwind.example")]
    for learner in [*fillers[: full.capacity - registration._seats_taken(full.id)], *waiting]:
        registration.register_for_session(learner, full.id)
    assert {registration.registration_of(w.id, full.id).status for w in waiting} == {"waitlisted"}

    held = dates(newyork, "meeting-live")[0]
    came = [_user("kenji.watanabe@northwind.example"), _user("meera.nair@northwind.example")]
    seats = [registration.register_for_session(learner, held.id) for learner in came]
    length = held.ends_at - held.starts_at
    held.starts_at = held.registration_deadline = datetime.now(UTC) - timedelta(days=2)
    held.ends_at = held.starts_at + length
    db.session.commit()
    scheduling.mark_attendance(_user(newyork), held.id, {seats[0].id: "present", seats[1].id: "absent"})


@pytest.fixture(scope="module")
def demo(app, smtp_server) -> Demo:
    """The demo organisation as ``flask lxp seed-demo`` loads it, a minute of the scheduler
    later (touchpoints in the inbox), with spaced review switched on for one course."""
    from lxp.demo.journeys import JOURNEYS
    from lxp.nudges import course_rules
    from lxp.nudges.rules import RULES_BY_KEY

    started = time.perf_counter()
    seeded_demo(app, smtp_server)
    limiter.reset()
    runner = app.test_cli_runner()
    with app.test_request_context():
        admin = db.session.execute(select(User).where(User.email == PEOPLE[0].email)).scalar_one()
        from lxp.authoring.models import Course

        course = db.session.execute(select(Course).where(Course.slug == "customer-conversations")).scalar_one()
        review = RULES_BY_KEY["review"]
        course_rules.save_rule(admin, course.id, "review", course_rules.RuleChange(
            enabled=True, params={}, priority=review.priority, channels=review.channels, holdout_percent=0,
            templates={}))  # fmt: skip
        # An admin is working on the next version of one course, so its editors open.
        from lxp.authoring import services as authoring

        authoring.draft_for_editing(admin, db.session.execute(
            select(Course).where(Course.slug == "leading-hybrid-team")).scalar_one())  # fmt: skip
        db.session.commit()
    with app.test_request_context():
        _a_week_of_live_sessions()
        unit_of_work.commit()  # services never commit: the set-up commits what they did
    ticked = runner.invoke(args=["lxp", "scheduler", "--once"])
    assert ticked.exit_code == 0, f"{ticked.output}\n{ticked.exception!r}"
    with app.test_request_context():
        swappers = _swap_a_step()
        unit_of_work.commit()
    stories = {j.email: DEMO_STORY_STAGE.get(j.story, j.story) for j in JOURNEYS}
    people, synthetic = {}, {}
    with app.test_request_context():
        for demo_person in PEOPLE:
            user = db.session.execute(select(User).where(User.email == demo_person.email)).scalar_one()
            stage = stage_of(user) if user.has_role("learner") else "staff"
            # The demo tells each story on purpose: the path must read as the story says.
            assert stage == stories.get(user.email, stage), (user.email, stage, stories.get(user.email))
            people[demo_person.email] = _person(demo_person.email, user, stage)
        for email, roles in NEWCOMERS:
            user = User(organisation_id=_user(PEOPLE[0].email).organisation_id, email=email, display_name=email,
                        password_hash=None, locale=None, timezone="UTC", role_rows=[UserRole(role=r) for r in roles])  # fmt: skip
            db.session.add(user)
            db.session.commit()
            people[email] = _person(email, user, "not_started" if "learner" in roles else "staff")
        everyone = db.session.scalars(select(User).where(User.email.like("synthetic-%")).order_by(User.id))
        for user in everyone:
            stage = stage_of(user)
            found = synthetic.setdefault(stage, [])
            if len(found) < SYNTHETIC_PER_STAGE or user.id in swappers:
                found.append(_person(f"{user.email}", user, stage))
        db.session.remove()
    yield Demo(people, synthetic, time.perf_counter() - started)
    with committing(app):
        empty_all_tables()


@pytest.fixture(autouse=True)
def _fresh_database(demo):
    """Overrides the integration tests' emptying of every table: the walk only reads the demo."""


# --- the tests ----------------------------------------------------------------------------------


def test_the_demo_has_a_learner_at_every_stage(demo):
    stages = {person.stage for person in demo.people.values()}
    assert set(STAGES) <= stages, f"no demo learner who is {sorted(set(STAGES) - stages)}"


@pytest.mark.parametrize("email", [p.email for p in PEOPLE] + [email for email, _roles in NEWCOMERS])
def test_every_page_works_for_everyone_in_the_demo(app, demo, email):
    problems = walk(app, demo.people[email])
    assert not problems, "\n".join(problems)


def test_a_learner_past_their_target_date_is_asked_to_move_it_not_promised_to_make_it(app, demo):
    path = signed_in(app, demo.people["lucas.silva@northwind.example"]).get("/path").get_data(as_text=True)
    assert "has passed; at your pace you finish on" in path and "Choose a new target date." in path
    assert "minutes a week" not in path  # no number of minutes makes a date that has passed


def test_the_synthetic_sample_has_every_stage_it_can_have(demo):
    # At least these; a stage listed in SYNTHETIC_ABSENT may turn up too when the demo course changes.
    assert set(STAGES) - set(SYNTHETIC_ABSENT) <= set(demo.synthetic)


@pytest.mark.parametrize("stage", STAGES)
def test_every_page_works_for_synthetic_learners_at_each_stage(app, demo, stage):
    people = demo.synthetic.get(stage, [])
    if not people and stage in SYNTHETIC_ABSENT:
        pytest.skip(f"no synthetic learner is {stage}: {SYNTHETIC_ABSENT[stage]} (demo people cover it)")
    assert people, f"the synthetic population has nobody who is {stage}"
    problems = [problem for person in people for problem in walk(app, person)]
    assert not problems, "\n".join(problems)


def _learners_walked(demo) -> list[Person]:
    walked = [*demo.people.values(), *(p for people in demo.synthetic.values() for p in people)]
    return [person for person in walked if "learner" in person.roles]


def _linked_steps(page: str, section: str) -> list[str]:
    """The block addresses the step cards of one Today section link to, in order."""
    found = re.search(rf'<section aria-labelledby="{section}">(.*?)</section>', page, re.S)
    return re.findall(r'class="step-card[^"]*" href="([^"]+)"', found.group(1)) if found else []


def test_today_is_the_same_on_the_page_and_in_the_api_for_every_learner(app, demo):
    """Today is composed once (``learning.today``): for every demo learner and the synthetic
    sample, ``/today`` and ``/api/v1/today`` show the same next step and the same steps this week."""
    from lxp.learning import services as learning

    learners, differences, with_more_this_week = _learners_walked(demo), [], 0
    assert any(p.stage == "on_track" for p in learners) and any(p.stage == "paused" for p in learners)
    for person in learners:
        client = signed_in(app, person)
        api, page = client.get("/api/v1/today").get_json(), client.get("/today").get_data(as_text=True)
        with app.test_request_context():
            shown = learning.today(db.session.get(User, person.user_id))
            next_ref = shown.next_step.ref if shown.next_step else None
            week = [step.ref for step in shown.this_week]
            page_next = [url_for("learning.block", ref=next_ref)] if next_ref else []
            page_also = [url_for("learning.block", ref=s.ref) for s in shown.also_this_week]
        seen = {
            "api next step": (api["next_step"] or {}).get("ref"), "api this week": [s["ref"] for s in api["this_week"]],
            "page next step": _linked_steps(page, "next-step"), "page also this week": _linked_steps(page, "this-week"),
        }  # fmt: skip
        wanted = {"api next step": next_ref, "api this week": week, "page next step": page_next,
                  "page also this week": page_also}  # fmt: skip
        if seen != wanted:
            differences.append(f"{person.email} ({person.stage}): {seen} != {wanted}")
        with_more_this_week += bool(page_also)
    assert not differences, "\n".join(differences)
    assert with_more_this_week, "nobody had more than one step this week: the comparison proved little"


def test_coach_of_and_its_set_wise_form_agree_for_everyone_in_the_demo(app, demo):
    """The touchpoint planner's escalation and the coach's desk read the coach set-wise
    (``coaching.services.coaches``); it must name the coach ``coach_of`` names, for everyone."""
    from lxp.coaching.services import coach_of, coaches

    with app.test_request_context():
        pairs = coaches()
        set_wise = dict(db.session.execute(select(pairs.c.learner_id, pairs.c.coach_id)).all())
        one_by_one = {}
        for user_id in db.session.scalars(select(User.id)):
            coach = coach_of(user_id)
            if coach is not None:
                one_by_one[user_id] = coach.id
    assert len({demo.people[p.email].user_id for p in PEOPLE} & set(one_by_one)) >= 3, "the demo has coached learners"
    assert set_wise == one_by_one


def test_the_walk_reached_every_page(app, demo):
    """Every GET endpoint not skipped answered sensibly at least once (run with the whole module)."""
    stale = (set(ADDRESSES) | set(EXPECTED) | set(QUERIES) | set(SKIPPED)) - set(_get_endpoints(app))
    assert not stale, f"the walk names endpoints that no longer exist: {sorted(stale)}"
    walkers = {*demo.people, *(p.key for people in demo.synthetic.values() for p in people)}
    if WALKED.people != walkers:
        pytest.skip(f"only {len(WALKED.people)} of {len(walkers)} people walked: run the whole module to check this")
    missed = sorted(set(_get_endpoints(app)) - set(SKIPPED) - WALKED.endpoints)
    print(
        f"\nwalk: {WALKED.requests} requests and {WALKED.links} links in {WALKED.seconds:.1f} s; seeding {demo.seconds:.1f} s"
    )
    assert not missed, f"never opened with a sensible answer: {missed}"


# The most SQL statements one GET of the walk may send. A page that reads each row's links one row
# at a time passes a test with a row or two and grows with the organisation: the trainer's desk
# once sent 166 for the demo, a course's export 96. Over this, read the rows' links together (a
# batch ``*_of(ids)`` read or an eager load; README "Lists read together"), or name the page in
# ``HEAVIER`` with its figure and why it must read more.
STATEMENT_CEILING = 40
HEAVIER: dict[str, tuple[int, str]] = {}


def test_no_page_of_the_walk_reads_its_rows_one_at_a_time(app, demo):
    """Every page and link the walk opened sent at most ``STATEMENT_CEILING`` statements (run
    with the whole module: the demo's largest lists are those of a few people)."""
    walkers = {*demo.people, *(p.key for people in demo.synthetic.values() for p in people)}
    if WALKED.people != walkers:
        pytest.skip(f"only {len(WALKED.people)} of {len(walkers)} people walked: run the whole module to check this")
    assert set(HEAVIER) <= set(_get_endpoints(app)), "HEAVIER names endpoints that no longer exist"
    over = sorted(
        (count, endpoint, where)
        for endpoint, (count, where) in WALKED.statements.items()
        if count > HEAVIER.get(endpoint, (STATEMENT_CEILING, ""))[0]
    )
    assert not over, "pages sending more statements than allowed:\n" + "\n".join(
        f"{count} {endpoint} ({where})" for count, endpoint, where in reversed(over)
    )
