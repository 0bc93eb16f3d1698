"""Everything lxp holds about one person, as a zip: ``data.json`` plus their files.

The JSON's keys are documented in ``docs/privacy.md`` and stay stable: each section is a list
of rows with the table's own column names, secrets left out (password hash, token hashes,
push keys). Sections only ever select rows by the person's own id, or rows of their own
threads and submissions, so nobody else's data can ride along.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select

from lxp.accounts.api_tokens import ApiToken
from lxp.accounts.models import User, UserSession
from lxp.assignments.models import AssignedWork, Assignment, ReportingLine, UnitMember, assignment_people
from lxp.audit import services as audit
from lxp.authoring.models import AuthoringChange, Course, CourseVersion
from lxp.channels.in_app import InAppMessage
from lxp.coaching.models import (
    CoachAssignment,
    CoachFeedback,
    CoachingMessage,
    CoachingThread,
    HelpRequest,
    ThreadReadMark,
)
from lxp.coaching.threads import ATTACHMENTS
from lxp.cohorts.models import Cohort, cohort_members
from lxp.completions import Completion
from lxp.credentials.models import Credential
from lxp.events import FINISH_VERBS, LearningEvent
from lxp.extensions import db
from lxp.files import services as files
from lxp.files import storage
from lxp.files.models import StoredFile
from lxp.live.models import CalendarFeed, LiveSession, Registration, live_session_trainers
from lxp.nudges.models import NotificationPreferences, OutboxMessage, ReviewCard, TouchpointRule
from lxp.packages.models import ContentPackage, LearnerPreferences, PackageAttempt, PackageStatement
from lxp.paths.models import Journey
from lxp.privacy.models import RetentionWarning
from lxp.push.models import PushSubscription
from lxp.risk.models import RiskFlag, RiskOptOut
from lxp.scim.models import ScimGroup, ScimUser, scim_group_members
from lxp.social.models import CourseSpaceSetting, SpacePost, SpaceReport, SpaceSetting, SpaceThread
from lxp.sso.models import CompanySignIn, ProviderIdentity
from lxp.workplace.models import TaskReview, TaskSubmission

FORMAT_VERSION = 1
# Columns never exported: secrets, or a secret's stand-in.
SECRET_COLUMNS = {
    "password_hash",
    "auth_version",
    "token_hash",
    "p256dh",
    "auth",
    "totp_secret",
    "totp_last_step",
    "code_hash",
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _row(obj, only: tuple[str, ...] | None = None) -> dict[str, Any]:
    columns = obj.__table__.columns
    return {c.key: _plain(getattr(obj, c.key)) for c in columns
            if c.key not in SECRET_COLUMNS and (only is None or c.key in only)}  # fmt: skip


def _rows(statement, only=None) -> list[dict[str, Any]]:
    return [_row(obj, only) for obj in db.session.scalars(statement)]


def collect(user: User) -> dict[str, Any]:
    """The person's data as plain JSON-ready values, one key per section (see the module doc)."""
    uid = user.id
    events = _rows(
        select(LearningEvent).where(LearningEvent.actor_id == uid).order_by(LearningEvent.occurred_at, LearningEvent.id)
    )
    journeys = list(db.session.scalars(select(Journey).where(Journey.learner_id == uid).order_by(Journey.id)))
    threads = list(
        db.session.scalars(select(CoachingThread).where(CoachingThread.learner_id == uid).order_by(CoachingThread.id))
    )
    thread_ids = [t.id for t in threads]
    messages = list(db.session.scalars(select(CoachingMessage).where(CoachingMessage.thread_id.in_(thread_ids))
                                       .order_by(CoachingMessage.created_at, CoachingMessage.id))) if thread_ids else []  # fmt: skip
    submissions = list(
        db.session.scalars(select(TaskSubmission).where(TaskSubmission.learner_id == uid).order_by(TaskSubmission.id))
    )
    reviews = {r.submission_id: r for r in db.session.scalars(
        select(TaskReview).where(TaskReview.submission_id.in_([s.id for s in submissions])))} if submissions else {}  # fmt: skip
    files = files_of(uid, [m.id for m in messages])
    coach = db.session.get(CoachAssignment, uid)
    return {
        "format": "lxp personal data export",
        "format_version": FORMAT_VERSION,
        "exported_at": _plain(datetime.now().astimezone()),
        "profile": {**_row(user), "roles": sorted(user.roles), "organisation": user.organisation.name},
        "goals": [{"journey_id": j.id, "goal_id": g.id, "title": g.title} for j in journeys for g in j.goals],
        "journeys": [_row(j) for j in journeys],
        "events": events,
        "completions": [e for e in events if e["verb"] in FINISH_VERBS],
        # What they finished, checked or showed, kept when retention deletes the old events.
        "progress": _rows(
            select(Completion)
            .where(Completion.learner_id == uid)
            .order_by(Completion.first_at, Completion.object_type, Completion.object_id)
        ),  # fmt: skip
        "quiz_answers": [
            e
            for e in events
            if e["verb"] in ("answered", "passed", "failed") and e["object_type"] in ("item", "question", "placement")
        ],  # fmt: skip
        "pulse_feedback": [e for e in events if e["verb"] == "responded"],
        "cohorts": [
            {"id": c.id, "name": c.name}
            for c in db.session.scalars(
                select(Cohort)
                .join(cohort_members, cohort_members.c.cohort_id == Cohort.id)
                .where(cohort_members.c.user_id == uid)
                .order_by(Cohort.id)
            )
        ],  # fmt: skip
        "cohorts_coached": [
            {"id": c.id, "name": c.name} for c in db.session.scalars(select(Cohort).where(Cohort.coach_id == uid))
        ],
        "coach": _coach(coach),
        "coached_learners": [
            {"learner_id": a.learner_id, "assigned_at": _plain(a.assigned_at)}
            for a in db.session.scalars(select(CoachAssignment).where(CoachAssignment.coach_id == uid))
        ],  # fmt: skip
        "help_requests": _rows(select(HelpRequest).where(HelpRequest.learner_id == uid).order_by(HelpRequest.id)),
        "help_requests_handled": [
            {"id": h.id, "status": h.status, "answered_at": _plain(h.answered_at)}
            for h in db.session.scalars(
                select(HelpRequest).where(
                    or_(HelpRequest.assignee_id == uid, HelpRequest.answered_by_id == uid),
                    HelpRequest.learner_id != uid,
                )
            )
        ],  # fmt: skip
        "coaching_threads": [
            {
                **_row(t),
                "messages": [_message(m, uid) for m in messages if m.thread_id == t.id],
                "read_at": _plain(
                    db.session.scalar(
                        select(ThreadReadMark.read_at).where(
                            ThreadReadMark.thread_id == t.id, ThreadReadMark.user_id == uid
                        )
                    )
                ),
            }
            for t in threads
        ],  # fmt: skip
        # Messages they wrote in other people's conversations: their own words only.
        "coaching_messages_written": _rows(
            select(CoachingMessage)
            .where(CoachingMessage.author_id == uid, CoachingMessage.thread_id.not_in(thread_ids or [-1]))
            .order_by(CoachingMessage.id)
        ),  # fmt: skip
        "space_threads": _rows(select(SpaceThread).where(SpaceThread.author_id == uid).order_by(SpaceThread.id)),
        "space_posts": _rows(select(SpacePost).where(SpacePost.author_id == uid).order_by(SpacePost.id)),
        "space_endorsements": _rows(
            select(SpacePost).where(SpacePost.endorsed_by_id == uid).order_by(SpacePost.id),
            only=("id", "thread_id", "endorsed_at"),
        ),  # fmt: skip
        "space_reports": _rows(select(SpaceReport).where(SpaceReport.reporter_id == uid).order_by(SpaceReport.id)),
        "space_moderation": [
            *_rows(
                select(SpaceReport).where(SpaceReport.resolved_by_id == uid).order_by(SpaceReport.id),
                only=("id", "post_id", "outcome", "resolved_at"),
            ),
            *_rows(
                select(SpaceSetting).where(SpaceSetting.changed_by_id == uid),
                only=("cohort_id", "enabled", "changed_at"),
            ),
            *_rows(
                select(CourseSpaceSetting).where(CourseSpaceSetting.changed_by_id == uid),
                only=("course_id", "enabled", "changed_at"),
            ),
        ],  # fmt: skip
        "coach_feedback": _rows(
            select(CoachFeedback).where(CoachFeedback.learner_id == uid).order_by(CoachFeedback.id)
        ),
        "coach_feedback_given": _rows(
            select(CoachFeedback).where(CoachFeedback.coach_id == uid).order_by(CoachFeedback.id),
            only=("id", "competency", "rating", "comment", "created_at"),
        ),  # fmt: skip
        "task_evidence": [
            {
                **_row(s),
                "review": _row(reviews[s.id]) if s.id in reviews else None,
                "files": [_zip_name(f) for f in files if f.kind == "evidence" and f.attached_id == s.id],
            }  # fmt: skip
            for s in submissions
        ],
        "task_reviews_given": _rows(
            select(TaskReview).where(TaskReview.reviewer_id == uid).order_by(TaskReview.id),
            only=("id", "outcome", "ratings", "comment", "created_at"),
        ),  # fmt: skip
        "files": [
            {
                **_row(
                    f, ("id", "kind", "attached_id", "original_name", "content_type", "size", "sha256", "created_at")
                ),
                "path": _zip_name(f),
            }
            for f in files
        ],  # fmt: skip
        "credentials": [
            _row(c, ("id", "achievement_name", "learner_name", "issued_at", "valid_until", "revoked_at", "jwt"))
            for c in db.session.scalars(
                select(Credential).where(Credential.learner_id == uid).order_by(Credential.issued_at)
            )
        ],  # fmt: skip
        "credentials_revoked": [
            _row(c, ("id", "achievement_name", "revoked_at", "revoke_reason"))
            for c in db.session.scalars(
                select(Credential).where(Credential.revoked_by_id == uid).order_by(Credential.revoked_at)
            )
        ],  # fmt: skip
        "registrations": [
            {**_row(r), "session": _session(r.session_id)}
            for r in db.session.scalars(
                select(Registration).where(Registration.learner_id == uid).order_by(Registration.id)
            )
        ],  # fmt: skip
        "sessions_taught": [
            _session(s)
            for s in sorted(
                set(
                    db.session.scalars(
                        select(live_session_trainers.c.session_id).where(live_session_trainers.c.user_id == uid)
                    )
                )
                | set(db.session.scalars(select(LiveSession.id).where(LiveSession.created_by_id == uid)))
            )
        ],  # fmt: skip
        "calendar_feed": _rows(select(CalendarFeed).where(CalendarFeed.user_id == uid)),
        "touchpoints_sent": _rows(
            select(OutboxMessage).where(OutboxMessage.user_id == uid).order_by(OutboxMessage.id),
            only=(
                "id",
                "rule",
                "category",
                "subject",
                "body",
                "link",
                "why",
                "due_at",
                "status",
                "channel",
                "sent_at",
                "opened_at",
                "opted_out_at",
            ),
        ),  # fmt: skip
        "assigned_work": [
            {
                **_row(w, ("id", "cycle", "assigned_at", "due_on", "completed_at", "expires_on")),
                "reason": w.assignment.reason,
                "goal": w.assignment.goal.title,
            }
            for w in db.session.scalars(
                select(AssignedWork).where(AssignedWork.learner_id == uid).order_by(AssignedWork.id)
            )
        ],  # fmt: skip
        "assigned_by_name": list(
            db.session.scalars(select(assignment_people.c.assignment_id).where(assignment_people.c.user_id == uid))
        ),
        "assignments_created": list(db.session.scalars(select(Assignment.id).where(Assignment.created_by_id == uid))),
        "organisation_unit": [
            m.unit.name for m in db.session.scalars(select(UnitMember).where(UnitMember.user_id == uid))
        ],
        "reporting_line": [
            {
                "manager": line.manager.display_name,
                "share_progress": line.share_progress,
                "share_support": line.share_support,
            }
            for line in db.session.scalars(select(ReportingLine).where(ReportingLine.user_id == uid))
        ],
        "team_managed": list(db.session.scalars(select(ReportingLine.user_id).where(ReportingLine.manager_id == uid))),
        "package_attempts": _rows(
            select(PackageAttempt).where(PackageAttempt.learner_id == uid).order_by(PackageAttempt.id),
            only=(
                "item_ref",
                "number",
                "standard",
                "cmi",
                "completed",
                "success",
                "score",
                "location",
                "total_seconds",
                "started_at",
                "updated_at",
            ),
        ),  # fmt: skip
        "package_statements": [
            kept.body
            for kept in db.session.scalars(
                select(PackageStatement)
                .join(PackageAttempt, PackageAttempt.id == PackageStatement.attempt_id)
                .where(PackageAttempt.learner_id == uid)
                .order_by(PackageStatement.id)
            )
        ],
        "cmi5_learner_preferences": _rows(
            select(LearnerPreferences).where(LearnerPreferences.learner_id == uid), only=("document", "updated_at")
        ),
        "packages_uploaded": list(
            db.session.scalars(select(ContentPackage.id).where(ContentPackage.uploaded_by_id == uid))
        ),
        "inbox": _rows(select(InAppMessage).where(InAppMessage.user_id == uid).order_by(InAppMessage.id)),
        "notification_preferences": _rows(
            select(NotificationPreferences).where(NotificationPreferences.user_id == uid)
        ),
        "review_cards": _rows(select(ReviewCard).where(ReviewCard.user_id == uid).order_by(ReviewCard.id)),
        "push_subscriptions": _rows(
            select(PushSubscription).where(PushSubscription.user_id == uid).order_by(PushSubscription.id),
            only=("id", "endpoint", "created_at"),
        ),  # fmt: skip
        "sessions": _rows(  # never the id: it is what a cookie names
            select(UserSession).where(UserSession.user_id == uid).order_by(UserSession.created_at),
            only=("user_agent", "created_at", "last_seen_at", "remembered", "ended_at"),
        ),  # fmt: skip
        "api_tokens": _rows(
            select(ApiToken).where(ApiToken.user_id == uid).order_by(ApiToken.id),
            only=("id", "name", "scopes", "created_at", "last_used_at", "revoked_at"),
        ),  # fmt: skip
        "authored": {
            "courses": list(db.session.scalars(select(Course.id).where(Course.created_by_id == uid))),
            "course_versions": list(
                db.session.scalars(
                    select(CourseVersion.id).where(
                        or_(
                            CourseVersion.created_by_id == uid,
                            CourseVersion.submitted_by_id == uid,
                            CourseVersion.reviewed_by_id == uid,
                        )
                    )
                )
            ),
            "changes": len(db.session.scalars(select(AuthoringChange.id).where(AuthoringChange.actor_id == uid)).all()),
            "touchpoint_rules": list(
                db.session.scalars(select(TouchpointRule.id).where(TouchpointRule.updated_by_id == uid))
            ),
        },  # fmt: skip
        "audit_trail": [
            _row(e, ("at", "action", "subject_type", "subject_id", "details")) for e in audit.entries_about(uid)
        ],
        "retention": _rows(select(RetentionWarning).where(RetentionWarning.user_id == uid)),
        "predictive_support": {
            "on": db.session.get(RiskOptOut, uid) is None,
            "flags": _rows(
                select(RiskFlag).where(RiskFlag.learner_id == uid).order_by(RiskFlag.id),
                only=(
                    "raised_at",
                    "source",
                    "reasons",
                    "suggested",
                    "held_out",
                    "acted_at",
                    "action",
                    "offered_session_id",
                    "minutes_before",
                    "minutes_after",
                    "came_back_at",
                    "closed_at",
                ),
            ),
        },  # fmt: skip
        "predictive_support_acted_on": _rows(
            select(RiskFlag).where(RiskFlag.acted_by_id == uid).order_by(RiskFlag.id),
            only=("learner_id", "acted_at", "action"),
        ),
        "company_sign_in": {
            "identities": _rows(
                select(ProviderIdentity).where(ProviderIdentity.user_id == uid).order_by(ProviderIdentity.id),
                only=("issuer", "subject", "created_at", "last_seen_at"),
            ),
            "break_glass_admin": bool(
                db.session.scalar(select(CompanySignIn.organisation_id).where(CompanySignIn.break_glass_user_id == uid))
            ),
        },  # fmt: skip
        "provisioning": {
            "directory": _rows(
                select(ScimUser).where(ScimUser.user_id == uid),
                only=(
                    "user_name",
                    "external_id",
                    "given_name",
                    "family_name",
                    "employee_number",
                    "department",
                    "provisioned",
                    "created_at",
                    "updated_at",
                    "deleted_at",
                ),
            ),
            "groups": list(
                db.session.scalars(
                    select(ScimGroup.display_name)
                    .join(scim_group_members)
                    .where(scim_group_members.c.user_id == uid)
                    .order_by(ScimGroup.id)
                )
            ),
        },  # fmt: skip
    }


def files_of(uid: int, thread_message_ids: list[int]) -> list[StoredFile]:
    """The files they uploaded, and those attached to messages in their own conversations."""
    return list(db.session.scalars(select(StoredFile).where(or_(
        StoredFile.owner_id == uid,
        and_(StoredFile.kind == ATTACHMENTS, StoredFile.attached_id.in_(thread_message_ids or [-1])))
    ).order_by(StoredFile.id)))  # fmt: skip


def _zip_name(stored: StoredFile) -> str:
    return f"files/{stored.id}-{files.safe_name(stored.original_name)}"


def _coach(assignment: CoachAssignment | None) -> dict | None:
    if assignment is None:
        return None
    coach = db.session.get(User, assignment.coach_id)
    return {"coach_id": assignment.coach_id, "name": coach.display_name if coach else None,
            "assigned_at": _plain(assignment.assigned_at)}  # fmt: skip


def _message(message: CoachingMessage, uid: int) -> dict:
    row = _row(message)
    row["mine"] = message.author_id == uid
    return row


def _session(session_id: int) -> dict | None:
    session = db.session.get(LiveSession, session_id)
    if session is None:
        return None
    return _row(
        session, ("id", "course_id", "item_key", "status", "starts_at", "ends_at", "timezone", "place", "video_url")
    )


def build_zip(user: User) -> bytes:
    """The zip: ``data.json`` (``collect``), ``README.txt`` and ``files/<id>-<name>``. Notes the
    export in the audit trail (in the caller's unit of work)."""
    data = collect(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True, default=str))
        archive.writestr("README.txt", _README.format(base=current_app.config["BASE_URL"]))
        for stored in db.session.scalars(
            select(StoredFile).where(StoredFile.id.in_([f["id"] for f in data["files"]] or [-1]))
        ):
            path = storage.path_of(stored.token)
            if path.is_file():
                archive.write(path, _zip_name(stored))
    audit.record("data_exported", organisation_id=user.organisation_id, actor_id=user.id, subject_type="user",
                 subject_id=user.id, details={"events": len(data["events"]), "files": len(data["files"])})  # fmt: skip
    return buffer.getvalue()


_README = """Your data on lxp ({base})

data.json holds everything lxp keeps about you, one section per kind of record; the sections
and their fields are described in docs/privacy.md of lxp. files/ holds the files you uploaded.
"""
