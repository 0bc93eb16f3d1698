"""The group mappings of company sign-in, walked with Hypothesis: over any sequence of sign-ins
with any groups, a person holds a mapped role or cohort exactly while in a group that gives it,
keeps what an admin gave by hand, and is never left without a role."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lxp.accounts.models import Organisation, User, UserRole
from lxp.cohorts.models import Cohort, cohort_members
from lxp.extensions import db
from lxp.sso.models import CompanyDomain, CompanySignIn
from lxp.sso.provisioning import ProvidedPerson, provision

GROUPS = ("g-trainers", "g-admins", "g-north", "g-south", "g-other")
ROLE_MAPPING = [["g-trainers", "trainer"], ["g-admins", "admin"]]


@settings(max_examples=15)
@given(sign_ins=st.lists(st.sets(st.sampled_from(GROUPS)), min_size=1, max_size=5), by_hand=st.booleans())
def test_mapped_roles_and_cohorts_follow_the_groups_and_nothing_else(app, sign_ins, by_hand):
    with app.app_context():
        savepoint = db.session.begin_nested()
        try:
            organisation = Organisation(slug="mapped", name="Mapped Ltd")
            db.session.add(organisation)
            db.session.flush()
            north, south, own = (Cohort(organisation_id=organisation.id, name=n) for n in ("North", "South", "Own"))
            db.session.add_all([north, south, own])
            db.session.flush()
            company = CompanySignIn(organisation_id=organisation.id, enabled=True, issuer="https://idp.example",
                                    client_id="lxp", role_mapping=ROLE_MAPPING,
                                    cohort_mapping=[["g-north", north.id], ["g-south", south.id]],
                                    domain_rows=[CompanyDomain(domain="mapped.example")])  # fmt: skip
            db.session.add(company)
            db.session.flush()
            person = ProvidedPerson(issuer="https://idp.example", subject="s-1", email="pat@mapped.example")
            user = provision(company, person)
            if by_hand:  # what an admin gives by hand stays
                user.role_rows.append(UserRole(role="reviewer"))
                db.session.execute(cohort_members.insert().values(cohort_id=own.id, user_id=user.id))
                db.session.flush()
            for groups in sign_ins:
                user = provision(company, ProvidedPerson(**{**person.__dict__, "groups": tuple(groups)}))
                db.session.refresh(user)
                cohorts = set(db.session.scalars(
                    select(Cohort.name).join(cohort_members).where(cohort_members.c.user_id == user.id)))  # fmt: skip
                assert ("trainer" in user.roles) == ("g-trainers" in groups)
                assert ("admin" in user.roles) == ("g-admins" in groups)
                assert "learner" in user.roles  # the default role stays: no group manages it
                assert ("reviewer" in user.roles) == by_hand
                assert cohorts == {n for g, n in (("g-north", "North"), ("g-south", "South")) if g in groups} | (
                    {"Own"} if by_hand else set()
                )
            assert (
                db.session.scalar(select(db.func.count()).select_from(User).where(User.email == "pat@mapped.example"))
                == 1
            )
        finally:
            savepoint.rollback()
