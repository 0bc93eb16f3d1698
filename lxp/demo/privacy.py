"""Demo privacy: a retention policy for the demo organisation and a few audit-trail entries
(the admin's sign-in, invitations, a role change, a learner's data download), so the audit
trail and the retention page have something to show.

Idempotent: an organisation that already has a policy or audit entries is left alone.
"""

from __future__ import annotations

from sqlalchemy import func, select

from lxp.accounts.models import Organisation, User
from lxp.audit import services as audit
from lxp.audit.models import AuditEntry
from lxp.demo import DEMO_ORGANISATION
from lxp.extensions import db
from lxp.privacy.models import RetentionPolicy

ADMIN = "admin@northwind.example"
LEARNER = "marcus.johnson@northwind.example"


def seed_privacy() -> tuple[bool, int]:
    """Set the demo retention policy and write the demo audit entries that are missing;
    returns (policy set now, entries written)."""
    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == DEMO_ORGANISATION[0]))
    if organisation is None:
        return False, 0
    policy_added = db.session.get(RetentionPolicy, organisation.id) is None
    if policy_added:
        db.session.add(RetentionPolicy(organisation_id=organisation.id, inactive_months=24, event_months=36))
    written = 0
    # Its own entries, not any: other demo steps (the cmi5 waiver) write to the trail before this one.
    existing = db.session.scalar(select(func.count()).where(AuditEntry.organisation_id == organisation.id,
                                                           AuditEntry.action == "invitation_sent"))  # fmt: skip
    admin = db.session.scalar(select(User).where(User.email == ADMIN))
    learner = db.session.scalar(select(User).where(User.email == LEARNER))
    if not existing and admin is not None and learner is not None:
        people = db.session.scalars(select(User).where(User.organisation_id == organisation.id, User.id != admin.id)
                                    .order_by(User.id).limit(3)).all()  # fmt: skip
        for person in people:
            audit.record("invitation_sent", organisation_id=organisation.id, actor_id=admin.id, subject_type="user",
                         subject_id=person.id, details={"roles": sorted(person.roles)})  # fmt: skip
        audit.record(
            "sign_in", organisation_id=organisation.id, actor_id=admin.id, subject_type="user", subject_id=admin.id
        )
        audit.record("retention_policy_changed", organisation_id=organisation.id, actor_id=admin.id,
                     subject_type="organisation", subject_id=organisation.id,
                     details={"before": {"inactive_months": None, "event_months": None},
                              "after": {"inactive_months": 24, "event_months": 36}})  # fmt: skip
        audit.record("data_exported", organisation_id=organisation.id, actor_id=learner.id, subject_type="user",
                     subject_id=learner.id, details={"events": 0, "files": 0})  # fmt: skip
        written = len(people) + 3
    db.session.flush()
    return policy_added, written
