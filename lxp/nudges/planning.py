"""Planning: for every rule, in every course's version of it, find who it applies to now
(``triggers``, set-wise SQL) and add one outbox row per new occurrence, written in the
learner's language with why it was sent.

The number of statements per tick depends on the rules and the courses that changed them,
not on the number of learners: occurrences are found per rule, the people they go to are
read in one statement, and the new rows go in with one multi-row insert that skips keys
already there (``ON CONFLICT DO NOTHING`` on the unique ``(user, rule, occurrence)``), so a
second run, or a second scheduler process, plans nothing twice.

Two things happen here rather than at delivery: the rule's holdout group gets a row marked
``held_out`` (never sent; the effect page compares it), and a nudge the learner has ignored
several times in a row pauses itself for them, with a message that says so.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from babel.dates import format_date, format_time, get_day_names
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from lxp.accounts.models import User
from lxp.authoring.models import Course
from lxp.channels import in_app, path_for
from lxp.core import unit_of_work
from lxp.core.inserts import dialect_insert
from lxp.core.time import utcnow
from lxp.core.timezones import format_in_zone
from lxp.events import LEARNING_VERBS, LearningEvent
from lxp.extensions import db
from lxp.nudges import course_rules, review, rules, texts
from lxp.nudges.models import NotificationPreferences, OutboxMessage, TouchpointRule
from lxp.nudges.preferences import new_row
from lxp.nudges.rules import Rule
from lxp.nudges.triggers import TRIGGERS as _FINDERS
from lxp.nudges.triggers import Occurrence, open_tick, situations

__all__ = ["occurrences_for", "plan_touchpoints", "values_for"]

logger = logging.getLogger(__name__)
TRIGGERS = {**_FINDERS, "review": review.due_reviews}
IGNORED_BEFORE_PAUSE = 3  # nudges of one rule left unopened in a row before the rule pauses itself
_SIGNATURE_FIELDS = ("trigger", "hours", "days", "delay_hours", "verb", "object_type", "context_has",
                     "context_lacks", "recipient", "milestone", "expires_hours", "unless_learned", "link_to_next_step")  # fmt: skip


def _signature(rule: Rule) -> tuple:
    """What decides whom a rule's trigger finds: versions that share it run one query."""
    return tuple(getattr(rule, name) for name in _SIGNATURE_FIELDS)


def plan_touchpoints(now: datetime | None = None) -> int:
    """Add the messages that fell due since the last run to the outbox; returns how many
    (held-out rows included). Each rule's messages are committed in a boundary of their own."""
    now = now or utcnow()
    with open_tick():
        return _plan_all(now)


def _plan_all(now: datetime) -> int:
    courses = course_rules.course_titles()
    organisations = _organisations_of_courses()
    planned = 0
    for key, versions in course_rules.variants().items():
        found: list[tuple[Rule, Occurrence]] = []
        failed: set[int | None] = set()  # courses whose version of the rule failed (None: the default)
        by_signature: dict[tuple, list] = {}
        for version in versions:
            by_signature.setdefault(_signature(version.rule), []).append(version)
        for group in by_signature.values():
            if not any(v.rule.enabled for v in group):
                continue
            try:
                with db.session.begin_nested():
                    occurrences = list(TRIGGERS[group[0].rule.trigger](group[0].rule, now))
            except Exception as error:  # one rule's failure must not stop the others
                courses_of_group = {c for v in group for c in (v.courses or {None})}
                _failed(key, courses_of_group, None, error, now)
                failed |= courses_of_group
                continue
            for occurrence in occurrences:
                rule = course_rules.rule_for(versions, occurrence.course_id)
                if rule.enabled and _signature(rule) == _signature(group[0].rule):
                    found.append((rule, occurrence))
        found = _fitting(found)
        with unit_of_work.boundary(f"planning: rule {key}"):
            # Each course's own version of the rule, and each organisation, in a savepoint of its
            # own: words that cannot be rendered for one course plan nothing there, and only there.
            parts: dict[tuple[int | None, int | None], list[tuple[Rule, Occurrence]]] = {}
            for rule, occurrence in found:
                own = _own_version(versions, occurrence.course_id)
                parts.setdefault((own, organisations.get(occurrence.course_id)), []).append((rule, occurrence))
            for (own, organisation), part in parts.items():
                try:
                    with db.session.begin_nested():
                        planned += _add(key, part, now, courses)
                except Exception as error:
                    _failed(key, {own}, organisation, error, now)
                    failed.add(own)
            mended = {c for v in versions[1:] if v.failing for c in v.courses} - failed
            if mended:
                db.session.execute(
                    update(TouchpointRule).where(TouchpointRule.key == key, TouchpointRule.course_id.in_(mended))
                    .values(last_error=None, last_error_at=None)
                )  # fmt: skip
    return planned


def _organisations_of_courses() -> dict[int, int]:
    return dict(db.session.execute(select(Course.id, Course.organisation_id)).all())


def _own_version(versions: list[course_rules.Variant], course_id: int | None) -> int | None:
    """The course whose own version of the rule applies, or None for the default rule."""
    return course_id if any(course_id in v.courses for v in versions[1:]) else None


def _failed(key: str, courses: set[int | None], organisation: int | None, error: Exception, now: datetime) -> None:
    """Log a rule that failed for these courses (None: the default rule) and note it on the
    courses' own versions, where their admins see it."""
    logger.exception("touchpoint rule %s failed for course(s) %s of organisation %s; the other rules go on",
                     key, sorted(courses, key=str), "any" if organisation is None else organisation,
                     exc_info=error)  # fmt: skip
    why = f"{error}" if isinstance(error, rules.TemplateError) else f"internal error ({type(error).__name__})"
    own = {c for c in courses if c is not None}
    if own:
        db.session.execute(
            update(TouchpointRule).where(TouchpointRule.key == key, TouchpointRule.course_id.in_(own))
            .values(last_error=why[:300], last_error_at=now)
        )  # fmt: skip


def _fitting(found: list[tuple[Rule, Occurrence]]) -> list[tuple[Rule, Occurrence]]:
    """Leave out what no longer fits where the learner stands: a paused path hears only what
    they asked for, a finished one nothing that leads to a step still to do (``rules.goes_to``)."""
    if not found or all(r.asked_for and not r.needs_open_step for r, _o in found):
        return found  # nothing to read for these
    where = situations()
    return [(r, o) for r, o in found
            if rules.goes_to(r, paused=o.learner_id in where.paused, finished=o.learner_id in where.finished)]  # fmt: skip


def occurrences_for(rule: Rule, user_id: int, now: datetime | None = None) -> list[Occurrence]:
    """What the rule finds due for one person now (the admin's preview)."""
    found = [(rule, o) for o in TRIGGERS[rule.trigger](rule, now or utcnow()) if o.user_id == user_id]
    return [o for _r, o in _fitting(found)]


def _people(user_ids: set[int]) -> dict[int, User]:
    """The recipients, in one statement (all active people when there are many: an IN list of
    100,000 ids is slower than reading the table, and SQLite limits its parameters)."""
    query = select(User).where(User.active)
    if len(user_ids) <= 5000:
        query = query.where(User.id.in_(user_ids))
    return {u.id: u for u in db.session.execute(query).scalars() if u.id in user_ids}


def values_for(rule: Rule, user: User, occurrence: Occurrence, course_title: str) -> dict:
    """The template variables of one message (call under the recipient's locale)."""
    values = {**occurrence.values, "name": user.display_name, "course": course_title}
    locale = user.locale or current_app.config["DEFAULT_LOCALE"]
    if values.get("starts_at") is not None:
        values["when"] = format_in_zone(values["starts_at"], user.timezone or "UTC", locale, "short")
    if values.get("due_day") is not None:
        values["due"] = format_date(values["due_day"], "EEEE, d MMMM", locale=locale)
    if values.get("digest_weekday") is not None and values.get("digest_hour") is not None:
        values["weekday"] = get_day_names("wide", locale=locale)[values["digest_weekday"]]
        values["time"] = format_time(time(values["digest_hour"]), "short", locale=locale)
    if rule.trigger == "digest":
        ahead = values.get("ahead") or []
        values["steps"] = "\n".join(
            [_("This week on your path (about %(minutes)d minutes):", minutes=values.get("minutes", 0))]
            + [f"\u2022 {title} ({minutes}\u00a0min)" for title, minutes in ahead]
        ) if ahead else _("Nothing is planned for the coming days; a good week to catch up or rest.")  # fmt: skip
        if values.get("colleagues_answered"):  # one line, never a ranking: the cohort's week
            values["steps"] += "\n\n" + ngettext("%(num)d colleague answered this week's question in your spaces.",
                                                "%(num)d colleagues answered this week's question in your spaces.",
                                                values["colleagues_answered"])  # fmt: skip
        missed = values.get("missed_subjects") or []
        values["missed"] = "\n".join([_("Messages you did not get, to keep your inbox calm:")]
                                     + [f"\u2022 {s}" for s in missed]) if missed else ""  # fmt: skip
    return values


def _tired_of(rule: Rule, user_ids: set[int]) -> set[int]:
    """The learners who left this rule's latest messages unopened, ``IGNORED_BEFORE_PAUSE``
    in a row, and have not learned since the first of them: the messages are not helping."""
    ranked = (
        select(OutboxMessage.user_id, OutboxMessage.opened_at, OutboxMessage.sent_at,
               func.row_number().over(partition_by=OutboxMessage.user_id,
                                      order_by=OutboxMessage.sent_at.desc()).label("n"))
        .where(OutboxMessage.rule == rule.key, OutboxMessage.status == "sent")
    )  # fmt: skip
    if len(user_ids) <= 5000:  # SQLite's limit of bound parameters
        ranked = ranked.where(OutboxMessage.user_id.in_(user_ids))
    ranked = ranked.subquery()
    latest: dict[int, list[tuple[bool, datetime]]] = {}
    for user_id, opened_at, sent_at, _n in db.session.execute(
        select(ranked).where(ranked.c.n <= IGNORED_BEFORE_PAUSE).order_by(ranked.c.user_id, ranked.c.n)
    ).all():
        if user_id in user_ids:
            latest.setdefault(user_id, []).append((opened_at is not None, sent_at))
    unopened = {
        user_id: rows[-1][1] for user_id, rows in latest.items()
        if rules.ignored_in_a_row([opened for opened, _sent in rows]) >= IGNORED_BEFORE_PAUSE
    }  # fmt: skip
    if not unopened:
        return set()
    last = select(LearningEvent.actor_id, func.max(LearningEvent.occurred_at)).where(
        LearningEvent.verb.in_(LEARNING_VERBS))  # fmt: skip
    if len(unopened) <= 5000:
        last = last.where(LearningEvent.actor_id.in_(unopened))
    learned = dict(db.session.execute(last.group_by(LearningEvent.actor_id)).all())
    return {u for u, first_sent in unopened.items() if learned.get(u) is None or learned[u] < first_sent}


def _preferences_rows(user_ids: set[int]) -> dict[int, NotificationPreferences]:
    query = select(NotificationPreferences)
    if len(user_ids) <= 5000:  # SQLite's limit of bound parameters
        query = query.where(NotificationPreferences.user_id.in_(user_ids))
    return {r.user_id: r for r in db.session.execute(query).scalars() if r.user_id in user_ids}


def _pause_for_being_ignored(rule: Rule, users: list[User], now: datetime) -> None:
    """The rule stops for these learners, and each is told so and where to turn it back on."""
    rows = _preferences_rows({u.id for u in users})
    notes = []
    for user in users:
        row = rows.get(user.id) or new_row(user)
        row.auto_paused_rules = sorted({*(row.auto_paused_rules or ()), rule.key})
        row.updated_at = now
        with force_locale(user.locale or current_app.config["DEFAULT_LOCALE"]):
            notes.append(in_app.InAppNote(
                user_id=user.id, category="nudge", key=f"paused:{rule.key}:{now.date().isoformat()}",
                subject=_("We stopped a kind of reminder for you"),
                body=_("These reminders don't seem to help, so we stopped them. You can turn them back on in your "
                       "notification settings."),
                link=path_for("nudges.notifications"),
                why=_("You left the last %(num)d of them unopened and had no learning activity since the first.",
                      num=IGNORED_BEFORE_PAUSE)))  # fmt: skip
    for start in range(0, len(notes), 5000):
        in_app.post_many(notes[start : start + 5000])


def _add(key: str, found: list[tuple[Rule, Occurrence]], now: datetime, courses: dict[int, str]) -> int:
    people = _people({o.user_id for _r, o in found})
    found = [(r, o) for r, o in found if o.user_id in people]
    if not found:
        return 0
    if found[0][0].category == "nudge":
        # A rule that paused itself for a learner plans nothing for them until they turn it on.
        paused = {u for u, r in _preferences_rows({o.user_id for _r, o in found}).items()
                  if key in (r.auto_paused_rules or ())}  # fmt: skip
        found = [(r, o) for r, o in found if o.user_id not in paused]
        tired = _tired_of(found[0][0], {o.user_id for _r, o in found}) if found else set()
        if tired:
            _pause_for_being_ignored(found[0][0], [people[u] for u in sorted(tired)], now)
            found = [(r, o) for r, o in found if o.user_id not in tired]
    by_locale: dict[str, list[tuple[Rule, Occurrence]]] = {}
    for rule, occurrence in found:
        locale = people[occurrence.user_id].locale or current_app.config["DEFAULT_LOCALE"]
        by_locale.setdefault(locale, []).append((rule, occurrence))
    rows = []
    for locale, group in by_locale.items():
        with force_locale(locale):
            for rule, occurrence in group:
                user = people[occurrence.user_id]
                values = values_for(rule, user, occurrence, courses.get(occurrence.course_id, ""))
                subject, body, why = texts.words(rule, locale, values)
                rows.append({
                    "user_id": user.id, "rule": rule.key, "occurrence": occurrence.key[:120],
                    "category": rule.category, "asked_for": rule.asked_for, "subject": subject[:200], "body": body,
                    "link": occurrence.values.get("link"), "why": why[:300], "due_at": occurrence.due_at,
                    "expires_at": occurrence.expires_at or occurrence.due_at + timedelta(hours=rule.expires_hours),
                    "status": "held_out" if rules.in_holdout(rule, user.id) else "pending",
                    "course_id": occurrence.course_id, "attempts": 0, "created_at": now,
                })  # fmt: skip
    added = _insert_new(rows)
    if key == "weekly_digest" and added:
        _mark_digested(rows)
    return added


def _insert_new(rows: list[dict]) -> int:
    """One multi-row insert; keys already planned (by an earlier run or another process) are
    skipped by the database, so the count is what this run added."""
    added = 0
    for start in range(0, len(rows), 2000):  # within SQLite's limit of bound parameters
        chunk = rows[start : start + 2000]
        statement = (
            dialect_insert(OutboxMessage)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=["user_id", "rule", "occurrence"])
            .returning(OutboxMessage.id)  # rowcount is not reliable for multi-row inserts on every driver
        )
        added += len(db.session.execute(statement).all())
    return added


def _mark_digested(rows: list[dict]) -> None:
    """The folded messages a digest listed are done: they wait no longer."""
    digest = OutboxMessage.__table__.alias("digest")
    weeks = {r["occurrence"] for r in rows}
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "folded", OutboxMessage.digested_in_id.is_(None),
               OutboxMessage.user_id.in_(select(digest.c.user_id).where(digest.c.rule == "weekly_digest",
                                                                         digest.c.occurrence.in_(weeks))))
        .values(digested_in_id=select(digest.c.id).where(
            digest.c.user_id == OutboxMessage.user_id, digest.c.rule == "weekly_digest",
            digest.c.occurrence.in_(weeks)).scalar_subquery())
        .execution_options(synchronize_session=False)
    )  # fmt: skip
