"""SCIM Users: an HR system creates, finds, changes, deactivates and reactivates people of its own
organisation, never anyone else's, and every refusal is a SCIM error that changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from lxp.accounts import api_tokens
from lxp.accounts.models import User
from lxp.assignments import services as assignments
from lxp.audit.models import AuditEntry
from lxp.extensions import db
from lxp.push.models import PushSubscription
from lxp.sso.models import CompanySignIn
from tests.conftest import committing, sign_in, submit
from tests.integration.api.conftest import ApiClient, make_token
from tests.integration.scim_fixtures import ENTERPRISE, MEDIA, Scim, a_user, scim_token


def _scim(app, make_user) -> Scim:
    return Scim(app, scim_token(app, make_user(("admin",), email="hr-admin@example.com")))


def test_a_directory_without_a_valid_token_is_refused(app, make_user):
    scim = _scim(app, make_user)
    assert scim.get("/Users").status_code == 200
    for secret in ("", "lxp_scim_nope", scim.secret + "x"):
        response = Scim(app, secret).get("/Users")
        assert response.status_code == 401
        assert response.get_json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_create_find_change_and_read_back_a_person(app, make_user):
    scim = _scim(app, make_user)
    body = a_user("Pat.Lee@Example.com", externalId="E-1", displayName="Pat Lee", preferredLanguage="de-AT",
                  timezone="Europe/Berlin", **{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                                               ENTERPRISE: {"employeeNumber": "701", "department": "Sales"}})  # fmt: skip
    created = scim.post("/Users", body)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.content_type == MEDIA
    person = created.get_json()
    assert created.headers["Location"].endswith(f"/scim/v2/Users/{person['id']}")
    assert created.headers["ETag"] == person["meta"]["version"]
    assert person["userName"] == "Pat.Lee@Example.com" and person[ENTERPRISE]["department"] == "Sales"
    with app.app_context():
        user = db.session.get(User, int(person["id"]))
        assert (user.email, user.display_name, user.locale, user.timezone) == (
            "pat.lee@example.com", "Pat Lee", "de", "Europe/Berlin")  # fmt: skip
        assert user.roles == {"learner"}
        assert assignments.unit_of(user.id).name == "Sales"  # the enterprise department is their unit
    found = scim.get('/Users?filter=userName eq "pat.lee@example.com"').get_json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == person["id"]
    changed = scim.patch(f"/Users/{person['id']}", [{"op": "replace", "path": "displayName", "value": "Pat Li"},
                                                   {"op": "add", "path": f"{ENTERPRISE}:department", "value": "Ops"}])  # fmt: skip
    assert changed.status_code == 200
    assert changed.get_json()["displayName"] == "Pat Li" and changed.get_json()[ENTERPRISE]["department"] == "Ops"
    assert changed.get_json()["meta"]["version"] != person["meta"]["version"]
    with app.app_context():
        assert assignments.unit_of(int(person["id"])).name == "Ops"  # and moves with it
    stale = scim.put(f"/Users/{person['id']}", body, headers={"If-Match": person["meta"]["version"]})
    assert stale.status_code == 412
    assert scim.get(f"/Users/{person['id']}").get_json()["displayName"] == "Pat Li"


def test_uniqueness_and_bad_input_are_scim_errors_that_change_nothing(app, make_user):
    scim = _scim(app, make_user)
    assert scim.post("/Users", a_user("one@example.com", externalId="X")).status_code == 201
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(User))
    for body, status, kind in (
        (a_user("ONE@example.com"), 409, "uniqueness"),
        (a_user("hr-admin@example.com"), 409, "uniqueness"),
        (a_user("two@example.com", externalId="X"), 409, "uniqueness"),
        ({"schemas": [], "emails": []}, 400, "invalidValue"),
        (a_user("not an address", emails=[]), 400, "invalidValue"),
        (a_user("three@example.com", active="maybe"), 400, "invalidValue"),
    ):
        response = scim.post("/Users", body)
        assert response.status_code == status, body
        error = response.get_json()
        assert error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert error["status"] == str(status) and error["scimType"] == kind
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == before
    assert scim.get("/Users/999999").status_code == 404
    assert scim.get("/Users?filter=userName eq").get_json()["scimType"] == "invalidFilter"
    assert scim.get('/Users?filter=title eq "x"').get_json()["scimType"] == "invalidFilter"
    assert scim.get("/Users?filter=active gt true").status_code == 400


def test_paging_and_sorting(app, make_user):
    scim = _scim(app, make_user)
    for n in range(5):
        assert scim.post("/Users", a_user(f"p{n}@example.com", displayName=f"Person {4 - n}")).status_code == 201
    page = scim.get('/Users?filter=userName sw "p"&startIndex=2&count=2&sortBy=displayName').get_json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [r["displayName"] for r in page["Resources"]] == ["Person 1", "Person 2"]
    assert scim.get("/Users?count=0").get_json()["Resources"] == []


def test_deactivation_by_patch_ends_sessions_tokens_and_push_and_reactivation_lets_them_back(app, make_user):
    scim = _scim(app, make_user)
    person = make_user(email="leaver@example.com")
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, "leaver@example.com")
    sign_in(laptop, "leaver@example.com", remember=True)
    api = ApiClient(app, make_token(app, person), person)
    with committing(app):
        db.session.add(
            PushSubscription(user_id=person, endpoint="https://push.example/l", p256dh="k" * 87, auth="a" * 22)
        )
    assert phone.get("/today").status_code == 200 and api.get("/api/v1/me").status_code == 200

    # Entra ID's spelling: capitalised op, no path, the boolean as text
    response = scim.patch(f"/Users/{person}", [{"op": "Replace", "value": {"active": "False"}}])
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert phone.get("/today").headers["Location"].startswith("/login")
    assert laptop.get("/today").headers["Location"].startswith("/login")
    assert api.get("/api/v1/me").status_code == 401
    with app.app_context():
        assert db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == person)).all() == []
        assert all(not token.active for token in api_tokens.tokens_of(db.session.get(User, person)))
        # The deactivation is on the trail, and so is the refused call with the old token after it.
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == str(person))
                                     .order_by(AuditEntry.id)).all()  # fmt: skip
        assert actions[-2:] == ["account_deactivated", "sign_in_failed"]
    assert sign_in(app.test_client(), "leaver@example.com").status_code == 200  # refused: the form again
    assert scim.get("/Users?filter=active eq false").get_json()["totalResults"] == 1

    assert scim.patch(f"/Users/{person}", [{"op": "replace", "path": "active", "value": True}]).status_code == 200
    assert sign_in(app.test_client(), "leaver@example.com").status_code == 302


def test_delete_deactivates_hides_and_a_new_post_brings_the_person_back(app, make_user):
    scim = _scim(app, make_user)
    person = scim.post("/Users", a_user("gone@example.com")).get_json()
    session = make_token(app, int(person["id"]))
    api = ApiClient(app, session, int(person["id"]))
    assert scim.delete(f"/Users/{person['id']}").status_code == 204
    assert scim.get(f"/Users/{person['id']}").status_code == 404
    assert api.get("/api/v1/me").status_code == 401
    with app.app_context():
        assert db.session.get(User, int(person["id"])).active is False  # the account and its history stay
    again = scim.post("/Users", a_user("gone@example.com"))
    assert again.status_code == 201 and again.get_json()["id"] == person["id"]
    assert again.get_json()["active"] is True


def test_another_organisations_people_are_never_seen_nor_touched(app, make_user, other_organisation):
    scim = _scim(app, make_user)
    stranger = make_user(email="stranger@other.example", organisation_id=other_organisation)
    theirs = Scim(
        app, scim_token(app, make_user(("admin",), email="boss@other.example", organisation_id=other_organisation))
    )
    assert scim.get('/Users?filter=userName eq "stranger@other.example"').get_json()["totalResults"] == 0
    assert scim.get(f"/Users/{stranger}").status_code == 404
    assert scim.patch(f"/Users/{stranger}", [{"op": "replace", "path": "active", "value": False}]).status_code == 404
    assert scim.delete(f"/Users/{stranger}").status_code == 404
    assert scim.post("/Users", a_user("stranger@other.example")).status_code == 409
    with app.app_context():
        assert db.session.get(User, stranger).active is True
    listed = {r["userName"] for r in theirs.get("/Users").get_json()["Resources"]}
    assert listed == {"stranger@other.example", "boss@other.example"}


def test_the_admin_makes_a_token_seen_once_and_revokes_it(app, client, login_as):
    login_as("admin")
    page = submit(client, "/admin/provisioning/tokens", {"name": "Entra ID"}, form_page="/admin/provisioning")
    assert page.status_code == 201 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    secret = html.split("data-token-secret>")[1].split("<")[0]
    assert Scim(app, secret).get("/ServiceProviderConfig").status_code == 200
    assert secret not in client.get("/admin/provisioning").get_data(as_text=True)
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert "scim_token_created" in actions
        token_id = int(html.split('data-scim-token="')[1].split('"')[0])
    submit(client, f"/admin/provisioning/tokens/{token_id}/revoke", {}, form_page="/admin/provisioning")
    assert Scim(app, secret).get("/Users").status_code == 401


def test_the_break_glass_admin_cannot_be_deactivated_nor_deleted_by_the_directory(app, make_user):
    scim = _scim(app, make_user)
    keeper = make_user(("admin",), email="keeper@example.com")
    with committing(app):
        settings = CompanySignIn(organisation_id=db.session.get(User, keeper).organisation_id, enabled=True,
                                 sso_only=True, break_glass_user_id=keeper)  # fmt: skip
        db.session.add(settings)
    for response in (
        scim.patch(f"/Users/{keeper}", [{"op": "replace", "path": "active", "value": False}]),
        scim.patch(f"/Users/{keeper}", [{"op": "Replace", "value": {"active": "False"}}]),
        scim.put(f"/Users/{keeper}", a_user("keeper@example.com", active=False)),
        scim.delete(f"/Users/{keeper}"),
    ):
        assert response.status_code == 403
        error = response.get_json()
        assert error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert "break-glass admin" in error["detail"]
    assert sign_in(app.test_client(), "keeper@example.com").status_code == 302
    assert scim.get(f"/Users/{keeper}").get_json()["active"] is True
    # Anyone else still goes: the refusal is about that one person.
    other = make_user(email="other@example.com")
    assert scim.patch(f"/Users/{other}", [{"op": "replace", "path": "active", "value": False}]).status_code == 200
