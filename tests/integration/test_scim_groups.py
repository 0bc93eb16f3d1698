"""SCIM Groups: each directory group fills a cohort (made, renamed, members added and removed
through PATCH), or, when the organisation's company sign-in maps the group, gives exactly what
the mapping gives, so SCIM and sign-in agree; nobody of another organisation joins."""

from __future__ import annotations

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.cohorts.models import Cohort, cohort_members
from lxp.extensions import db
from lxp.sso.models import CompanyDomain, CompanySignIn
from lxp.sso.provisioning import ProvidedPerson, provision
from tests.conftest import committing
from tests.integration.scim_fixtures import GROUP, Scim, a_user, scim_token


def _scim(app, make_user) -> tuple[Scim, int]:
    admin = make_user(("admin",), email="hr-admin@example.com")
    return Scim(app, scim_token(app, admin)), admin


def _cohorts_of(app, user_id: int) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(
            select(Cohort.name).join(cohort_members).where(cohort_members.c.user_id == user_id)))  # fmt: skip


def test_a_group_is_a_cohort_that_follows_its_name_and_members(app, make_user):
    scim, _admin = _scim(app, make_user)
    ann, bob = (int(scim.post("/Users", a_user(f"{n}@example.com")).get_json()["id"]) for n in ("ann", "bob"))
    made = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Sales North", "externalId": "g-1",
                                 "members": [{"value": str(ann)}]})  # fmt: skip
    assert made.status_code == 201, made.get_data(as_text=True)
    group = made.get_json()
    assert [m["value"] for m in group["members"]] == [str(ann)]
    assert _cohorts_of(app, ann) == {"Sales North"} and _cohorts_of(app, bob) == set()

    path = f"/Groups/{group['id']}"
    assert scim.patch(path, [{"op": "add", "path": "members", "value": [{"value": str(bob)}]}]).status_code == 200
    assert _cohorts_of(app, bob) == {"Sales North"}
    removed = scim.patch(path, [{"op": "remove", "path": f'members[value eq "{ann}"]'},
                                {"op": "replace", "path": "displayName", "value": "Sales Nord"}])  # fmt: skip
    assert removed.status_code == 200
    assert [m["value"] for m in removed.get_json()["members"]] == [str(bob)]
    assert _cohorts_of(app, ann) == set() and _cohorts_of(app, bob) == {"Sales Nord"}
    assert scim.get(f"/Users/{bob}").get_json()["groups"][0]["display"] == "Sales Nord"
    assert scim.get(f'/Groups?filter=members.value eq "{bob}"').get_json()["totalResults"] == 1
    assert scim.get('/Groups?filter=displayName co "nord"').get_json()["totalResults"] == 1
    assert scim.post("/Groups", {"schemas": [GROUP], "displayName": "sales nord"}).status_code == 409

    assert scim.patch(path, [{"op": "remove", "path": "members"}]).status_code == 200
    assert _cohorts_of(app, bob) == set()
    assert scim.delete(path).status_code == 204
    assert scim.get(path).status_code == 404
    with app.app_context():  # the cohort stays for the admin
        assert db.session.scalar(select(Cohort.name)) == "Sales Nord"


def test_a_group_company_sign_in_maps_gives_what_the_mapping_gives(app, make_user, organisation):
    scim, _admin = _scim(app, make_user)
    with committing(app):
        north = Cohort(organisation_id=organisation, name="North")
        db.session.add(north)
        db.session.flush()
        db.session.add(CompanySignIn(organisation_id=organisation, enabled=True, issuer="https://idp.example",
                                     client_id="lxp", role_mapping=[["g-trainers", "trainer"]],
                                     cohort_mapping=[["g-north", north.id]],
                                     domain_rows=[CompanyDomain(domain="example.com")]))  # fmt: skip
    pat = int(scim.post("/Users", a_user("pat@example.com")).get_json()["id"])
    trainers = scim.post("/Groups", {"schemas": [GROUP], "displayName": "g-trainers", "members": [{"value": str(pat)}]})
    northern = scim.post("/Groups", {"schemas": [GROUP], "displayName": "g-north", "members": [{"value": str(pat)}]})
    assert trainers.status_code == northern.status_code == 201
    with app.app_context():
        user = db.session.get(User, pat)
        assert user.roles == {"learner", "trainer"}
        assert (
            db.session.scalar(select(Cohort).where(Cohort.name == "g-trainers")) is None
        )  # mapped: no cohort of its own
    assert _cohorts_of(app, pat) == {"North"}
    # sign-in with the same groups says the same
    with committing(app):
        settings = db.session.get(CompanySignIn, organisation)
        provision(settings, ProvidedPerson(issuer="https://idp.example", subject="pat", email="pat@example.com",
                                           groups=("g-trainers", "g-north")))  # fmt: skip
    assert _cohorts_of(app, pat) == {"North"}
    with app.app_context():
        assert db.session.get(User, pat).roles == {"learner", "trainer"}
    assert scim.delete(f"/Groups/{trainers.get_json()['id']}").status_code == 204
    with app.app_context():
        assert db.session.get(User, pat).roles == {"learner"}
    assert scim.patch(f"/Groups/{northern.get_json()['id']}", [{"op": "remove", "path": "members"}]).status_code == 200
    assert _cohorts_of(app, pat) == set()


def test_nobody_of_another_organisation_joins_a_group(app, make_user, other_organisation):
    scim, _admin = _scim(app, make_user)
    stranger = make_user(email="stranger@other.example", organisation_id=other_organisation)
    response = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Mixed", "members": [{"value": str(stranger)}]})
    assert response.status_code == 400 and response.get_json()["scimType"] == "invalidValue"
    group = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Mine"}).get_json()
    patched = scim.patch(
        f"/Groups/{group['id']}", [{"op": "add", "path": "members", "value": [{"value": str(stranger)}]}]
    )
    assert patched.status_code == 400
    assert _cohorts_of(app, stranger) == set()
    assert scim.get(f"/Groups/{group['id']}").get_json()["members"] == []
    theirs = Scim(
        app, scim_token(app, make_user(("admin",), email="boss@other.example", organisation_id=other_organisation))
    )
    assert theirs.get(f"/Groups/{group['id']}").status_code == 404
    assert theirs.delete(f"/Groups/{group['id']}").status_code == 404


def test_entra_ids_spellings_of_member_removal_and_a_new_work_email(app, make_user):
    scim, _admin = _scim(app, make_user)
    ann, bob = (int(scim.post("/Users", a_user(f"{n}@example.com")).get_json()["id"]) for n in ("ann", "bob"))
    group = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Both",
                                  "members": [{"value": str(ann)}, {"value": str(bob)}]}).get_json()  # fmt: skip
    # Entra ID removes one member with a value list, not a filter: the other stays
    removed = scim.patch(
        f"/Groups/{group['id']}", [{"op": "Remove", "path": "members", "value": [{"value": str(ann)}]}]
    )
    assert [m["value"] for m in removed.get_json()["members"]] == [str(bob)]
    assert _cohorts_of(app, ann) == set() and _cohorts_of(app, bob) == {"Both"}
    # a person whose e-mails carry no "work" one gets it from a filtered path
    other = scim.post(
        "/Users", a_user("cy@example.com", emails=[{"value": "cy@example.com", "type": "home"}])
    ).get_json()
    changed = scim.patch(f"/Users/{other['id']}", [{"op": "replace", "path": 'emails[type eq "work"].value',
                                                     "value": "cy.new@example.com"}])  # fmt: skip
    assert changed.status_code == 200, changed.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, int(other["id"])).email == "cy@example.com"  # the primary-less first stays
    primary = scim.patch(f"/Users/{other['id']}", [{"op": "replace", "path": "emails",
                                                     "value": [{"value": "cy.new@example.com", "primary": True}]}])  # fmt: skip
    assert primary.status_code == 200
    with app.app_context():
        assert db.session.get(User, int(other["id"])).email == "cy.new@example.com"
