"""Every place lxp keeps a reference to a person, and what export and erasure do with it.

``tests/integration/test_privacy_inventory.py`` walks the tables and fails for any column
referring to ``users.id`` that is not listed here: a new model that holds something about a
person must say how a download shows it and what erasure does with it.
"""

from __future__ import annotations

from dataclasses import dataclass

# What erasure does with the rows a column points at the person from:
DELETE = "delete"  # the rows go (with their files)
SCRUB = "scrub"  # the rows stay for the organisation's figures, their personal content goes
KEEP = "keep"  # the rows stay pointing at the pseudonymous account (someone else's record, or
# the organisation's content the person wrote or changed)


@dataclass(frozen=True)
class Holding:
    table: str
    column: str
    export: str  # the key of the download's JSON that shows it
    erasure: str  # DELETE, SCRUB or KEEP
    why: str


HOLDINGS: tuple[Holding, ...] = (
    Holding("users", "id", "profile", SCRUB, "name, e-mail, password, language cleared; the row is the pseudonym"),
    Holding("user_roles", "user_id", "profile", KEEP, "roles keep the organisation's figures by role right"),
    Holding(
        "learning_events", "actor_id", "events", SCRUB, "kept for aggregates under the pseudonym; free text removed"
    ),
    Holding(
        "journeys",
        "learner_id",
        "journeys",
        SCRUB,
        "goals and choices removed; dates and plan kept for the journey map",
    ),
    Holding(
        "insight_learner_ends",
        "learner_id",
        "events",
        KEEP,
        "the journey map's rollup of their latest moment: derived from the kept events, no content",
    ),  # fmt: skip
    Holding("completions", "learner_id", "progress", KEEP,
            "what they finished and when, kept when old events are deleted: derived, no content"),
    Holding("insight_first_moments", "learner_id", "events", KEEP,
            "the journey map's rollup of their first moment per station: derived from the events, no content"),
    Holding("cohort_members", "user_id", "cohorts", KEEP, "the pseudonym stays a member, so cohort figures stay right"),
    Holding("cohorts", "coach_id", "cohorts_coached", KEEP, "a cohort's coach is the organisation's record"),
    Holding("coach_assignments", "learner_id", "coach", DELETE, "who coached them"),
    Holding("coach_assignments", "coach_id", "coached_learners", DELETE, "whom they coached"),
    Holding("coach_assignments", "assigned_by_id", "coach", KEEP, "set to nobody by the database when the row goes"),
    Holding(
        "help_requests",
        "learner_id",
        "help_requests",
        SCRUB,
        "question and answer text removed; kept for the help figures",
    ),
    Holding("help_requests", "assignee_id", "help_requests_handled", KEEP, "someone else's question"),
    Holding("help_requests", "answered_by_id", "help_requests_handled", KEEP, "someone else's question"),
    Holding("coaching_threads", "learner_id", "coaching_threads", DELETE, "their conversations, with every message"),
    Holding("coaching_threads", "last_author_id", "coaching_threads", KEEP, "a pointer only"),
    Holding("coaching_messages", "author_id", "coaching_messages_written", DELETE, "what they wrote"),
    Holding("coaching_read_marks", "user_id", "coaching_threads", DELETE, "when they read a conversation"),
    Holding("coach_feedback", "learner_id", "coach_feedback", DELETE, "feedback they received"),
    Holding("coach_feedback", "coach_id", "coach_feedback_given", KEEP, "feedback about someone else"),
    Holding("task_submissions", "learner_id", "task_evidence", DELETE, "their evidence, its files and its review"),
    Holding("task_reviews", "reviewer_id", "task_reviews_given", KEEP, "a review of someone else's evidence"),
    Holding("stored_files", "owner_id", "files", DELETE, "the bytes are removed from disk after the commit"),
    Holding("live_registrations", "learner_id", "registrations", DELETE, "attendance stays in the events"),
    Holding("live_calendar_feeds", "user_id", "calendar_feed", DELETE, "the private feed address"),
    Holding("live_session_trainers", "user_id", "sessions_taught", KEEP, "the organisation's schedule"),
    Holding("live_sessions", "created_by_id", "sessions_taught", KEEP, "the organisation's schedule"),
    Holding(
        "outbox_messages", "user_id", "touchpoints_sent", SCRUB, "text removed; kept for the touchpoint effect figures"
    ),
    Holding("in_app_messages", "user_id", "inbox", DELETE, "their inbox"),
    Holding("notification_preferences", "user_id", "notification_preferences", DELETE, "their settings"),
    Holding("review_cards", "user_id", "review_cards", DELETE, "their spaced-review schedule"),
    Holding("push_subscriptions", "user_id", "push_subscriptions", DELETE, "their phones' push addresses"),
    Holding("api_tokens", "user_id", "api_tokens", DELETE, "their access tokens"),
    Holding(
        "recovery_codes",
        "user_id",
        "profile",
        DELETE,
        "hashes of their two-step recovery codes (never exported; the profile says whether two-step sign-in is on)",
    ),
    Holding("user_sessions", "user_id", "sessions", DELETE, "their signed-in browsers (browser name, times)"),
    Holding("audit_entries", "actor_id", "audit_trail", KEEP, "the trail keeps what happened; its details (their e-mail, where failed sign-ins came from) are removed"),
    Holding("courses", "created_by_id", "authored", KEEP, "the organisation's content"),
    Holding("course_versions", "created_by_id", "authored", KEEP, "the organisation's content"),
    Holding("course_versions", "submitted_by_id", "authored", KEEP, "the organisation's content"),
    Holding("course_versions", "reviewed_by_id", "authored", KEEP, "the organisation's content"),
    Holding("authoring_changes", "actor_id", "authored", KEEP, "the organisation's content history"),
    Holding("touchpoint_rules", "updated_by_id", "authored", KEEP, "the organisation's settings"),
    Holding("retention_warnings", "user_id", "retention", DELETE, "when they were warned"),
    Holding("provider_identities", "user_id", "company_sign_in", DELETE, "which company account signs them in"),
    Holding("company_sign_in", "break_glass_user_id", "company_sign_in", KEEP, "the organisation's setting"),
    Holding(
        "scim_users",
        "user_id",
        "provisioning",
        DELETE,
        "what their organisation's directory says of them (login name, external id, employee number, department)",
    ),
    Holding("scim_group_members", "user_id", "provisioning", DELETE, "the directory groups they are in"),
    Holding(
        "credentials", "learner_id", "credentials", DELETE, "their credentials name them; share links stop working"
    ),
    Holding("credentials", "revoked_by_id", "credentials_revoked", KEEP, "the organisation's record of a revocation"),
    Holding(
        "risk_flags",
        "learner_id",
        "predictive_support",
        DELETE,
        "flags raised about them, the reasons, what a coach did",
    ),
    Holding(
        "risk_flags",
        "acted_by_id",
        "predictive_support_acted_on",
        KEEP,
        "another learner's flag they acted on as a coach",
    ),
    Holding("risk_opt_outs", "user_id", "predictive_support", DELETE, "that they turned predictive support off"),
    Holding("assigned_work", "learner_id", "assigned_work", DELETE, "work the organisation asked of them, due and done"),
    Holding("assignment_people", "user_id", "assigned_by_name", DELETE, "assignments that name them"),
    Holding("assignments", "created_by_id", "assignments_created", KEEP, "the organisation's assignment they made"),
    Holding("org_unit_members", "user_id", "organisation_unit", DELETE, "the organisation unit they belong to"),
    Holding("reporting_lines", "user_id", "reporting_line", DELETE,
            "who their manager is, and whether the manager hears of overdue work or sees they may need support"),
    Holding("reporting_lines", "manager_id", "team_managed", DELETE, "who reports to them"),
    Holding("package_attempts", "learner_id", "package_attempts", DELETE, "their attempts at packaged units (CMI data)"),
    Holding("package_learner_preferences", "learner_id", "cmi5_learner_preferences", DELETE,
            "the language and audio preferences a cmi5 unit kept for them"),
    Holding("content_packages", "uploaded_by_id", "packages_uploaded", KEEP, "the organisation's package they uploaded"),
    Holding("scim_tokens", "created_by_id", "provisioning", KEEP, "the organisation's provisioning token they made"),
    Holding("space_threads", "author_id", "space_threads", SCRUB,
            "the threads they started in cohort spaces: title and opening text removed, replies of others kept"),
    Holding("space_posts", "author_id", "space_posts", SCRUB, "what they wrote in cohort spaces: text removed"),
    Holding("space_posts", "endorsed_by_id", "space_endorsements", KEEP, "a trainer's endorsement of someone's answer"),
    Holding("space_reports", "reporter_id", "space_reports", DELETE, "the posts they reported and why"),
    Holding("space_reports", "resolved_by_id", "space_moderation", KEEP, "a moderator's decision on someone's post"),
    Holding("space_settings", "changed_by_id", "space_moderation", KEEP, "the organisation's setting"),
    Holding("course_space_settings", "changed_by_id", "space_moderation", KEEP, "the organisation's setting"),
)  # fmt: skip
