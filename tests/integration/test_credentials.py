"""Credentials a learner earns by showing a goal's competencies: signed Open Badges 3.0
credentials that another JOSE library (PyJWT) verifies with the published keys, a public page
that tells genuine from changed, revoked and expired ones, and privacy between learners."""

import base64
import gzip
import json
import uuid
import warnings
from datetime import timedelta

import jwt as pyjwt
import pytest
from joserfc import jwt as joserfc_jwt
from joserfc.jwk import OKPKey
from sqlalchemy import select

from lxp import events
from lxp.accounts.models import User
from lxp.authoring.models import Goal
from lxp.core.time import utcnow
from lxp.credentials import jobs
from lxp.credentials import services as credentials
from lxp.credentials.models import Credential
from lxp.extensions import db
from lxp.learning import services as learning
from lxp.paths import services as paths
from tests.conftest import committing, sign_in, submit


def _learner_who_passed(app, make_user, published, email="ada@example.com", name="Ada Lovelace") -> int:
    """A learner who chose the example goal and passed its check (mastering its competency)."""
    with committing(app):
        learner = db.session.get(User, make_user(("learner",), email=email, name=name))
        paths.start_journey(learner, paths.JourneyChoice((published["goal"],), None, None, 60, ("self_paced",)))
        learning.answer_quiz(learner, published["quiz"], {"q1": [0]})
        return learner.id


def _sweep(app) -> int:
    with committing(app):
        return jobs.issue_earned()


def _credential_of(app, learner_id) -> Credential:
    with committing(app):
        rows = db.session.scalars(select(Credential).where(Credential.learner_id == learner_id)).all()
        assert len(rows) == 1
        db.session.expunge_all()
        return rows[0]


def _pyjwt_verify(client, token: str, slug: str = "acme", required=("iss", "sub", "jti", "nbf")) -> dict:
    """Verify ``token`` as an outside verifier would: the issuer's JWK set fetched over HTTP,
    the signature and dates checked by PyJWT (not joserfc, which signed it)."""
    jwks = client.get(f"/issuers/{slug}/jwks.json")
    assert jwks.status_code == 200 and jwks.mimetype == "application/jwk-set+json"
    kid = pyjwt.get_unverified_header(token)["kid"]
    key = pyjwt.PyJWKSet.from_dict(jwks.get_json())[kid]
    return pyjwt.decode(token, key=key.key, algorithms=["EdDSA"], options={"require": list(required)})


def test_showing_the_goals_competencies_earns_one_credential_that_pyjwt_verifies(app, client, make_user, published):
    learner_id = _learner_who_passed(app, make_user, published)
    assert _sweep(app) == 1
    assert _sweep(app) == 0  # idempotent: the same achievement is issued once
    credential = _credential_of(app, learner_id)

    claims = _pyjwt_verify(client, credential.jwt)
    vc = claims["vc"]
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["jti"] == vc["id"] == f"urn:uuid:{credential.id}"
    assert claims["iss"] == vc["issuer"]["id"] and vc["issuer"]["name"] == "Acme Learning"
    subject = vc["credentialSubject"]
    assert subject["name"] == "Ada Lovelace" and claims["sub"] == subject["id"]
    achievement = subject["achievement"]
    assert achievement["name"] == "Handle a complaint so the customer stays"
    # the criteria are the course concept's outcomes
    assert "I can summarise a customer's concern in my own words" in achievement["criteria"]["narrative"]
    assert "validUntil" not in vc and "exp" not in claims
    # what was issued passes 1EdTech's Open Badges 3.0 JSON Schema
    from tests.unit.test_credential_document import VALIDATOR

    assert not [error.message for error in VALIDATOR.iter_errors(vc)]
    # the issuer's profile is where the claims say, and names the key set
    profile = client.get(claims["iss"].removeprefix("http://127.0.0.1:5000"))
    assert profile.status_code == 200 and profile.get_json()["name"] == "Acme Learning"


def test_no_credential_without_every_competency_or_for_a_goal_not_chosen(app, client, make_user, published):
    with committing(app):
        chose = db.session.get(User, make_user(("learner",), email="chose@example.com"))
        paths.start_journey(chose, paths.JourneyChoice((published["goal"],), None, None, 60, ("self_paced",)))
        never = db.session.get(User, make_user(("learner",), email="never@example.com"))
        events.record(actor_id=never.id, verb="mastered", object_type="competency", object_id="active-listening")
    assert _sweep(app) == 0
    sign_in(client, "chose@example.com")
    page = client.get("/credentials")
    assert page.status_code == 200 and "No credentials yet" in page.get_data(as_text=True)


def test_the_learner_downloads_the_signed_file_the_json_and_a_picture(app, client, make_user, published):
    learner_id = _learner_who_passed(app, make_user, published)
    _sweep(app)
    credential = _credential_of(app, learner_id)
    sign_in(client, "ada@example.com")
    page = client.get("/credentials")
    assert "Handle a complaint so the customer stays" in page.get_data(as_text=True)
    detail = client.get(f"/credentials/{credential.id}").get_data(as_text=True)
    assert f"/verify/{credential.id}" in detail

    signed = client.get(f"/credentials/{credential.id}/credential.jwt")
    assert signed.mimetype == "application/vc+jwt" and signed.get_data(as_text=True) == credential.jwt
    assert "attachment" in signed.headers["Content-Disposition"]
    document = client.get(f"/credentials/{credential.id}/credential.json").get_json()
    assert document["jwt"] == credential.jwt
    assert document["credential"] == _pyjwt_verify(client, credential.jwt)["vc"]

    from io import BytesIO

    from PIL import Image

    picture = client.get(f"/credentials/{credential.id}/credential.png")
    assert picture.mimetype == "image/png"
    image = Image.open(BytesIO(picture.data))
    assert image.format == "PNG" and image.size == (1200, 850)


def _verdict(client, credential_id) -> str:
    page = client.get(f"/verify/{credential_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return html.split('data-verdict="', 1)[1].split('"', 1)[0], html


def _store_jwt(app, credential_id, token):
    with committing(app):
        db.session.get(Credential, credential_id).jwt = token


def _tampered(token: str, change) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    change(claims)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{body}.{signature}"


def _sign(claims, key, kid) -> str:
    with warnings.catch_warnings():  # joserfc calls EdDSA deprecated (RFC 9864); wallets still use it
        warnings.simplefilter("ignore")
        return joserfc_jwt.encode({"alg": "EdDSA", "kid": kid}, claims, key, algorithms=["EdDSA"])


def test_the_public_page_tells_genuine_from_changed_and_foreign_signed_credentials(app, make_user, published):
    learner_id = _learner_who_passed(app, make_user, published)
    _sweep(app)
    credential = _credential_of(app, learner_id)
    anonymous = app.test_client()

    verdict, html = _verdict(anonymous, credential.id)
    assert verdict == "valid" and "Genuine and valid" in html and "Ada Lovelace" in html
    assert "ada@example.com" not in html  # only what the credential itself says

    def rename(claims):
        claims["vc"]["credentialSubject"]["name"] = "Mallory"

    _store_jwt(app, credential.id, _tampered(credential.jwt, rename))
    verdict, html = _verdict(anonymous, credential.id)
    assert verdict == "bad_signature" and "Not genuine" in html and "Mallory" not in html

    # the same claims signed by another key that claims the issuer's key id
    intruder = OKPKey.generate_key("Ed25519")
    claims = _pyjwt_verify(anonymous, credential.jwt)
    forged = _sign(claims, intruder, credential.kid)
    _store_jwt(app, credential.id, forged)
    assert _verdict(anonymous, credential.id)[0] == "bad_signature"
    # ... and under a key id nobody publishes
    forged = _sign(claims, intruder, "someone-else")
    _store_jwt(app, credential.id, forged)
    assert _verdict(anonymous, credential.id)[0] == "unknown_issuer"
    _store_jwt(app, credential.id, "not a jwt")
    assert _verdict(anonymous, credential.id)[0] == "malformed"
    assert anonymous.get(f"/verify/{uuid.uuid4()}").status_code == 404


def test_revoking_makes_the_public_page_and_the_status_list_say_so(app, client, login_as, make_user, published):
    learner_id = _learner_who_passed(app, make_user, published)
    _sweep(app)
    credential = _credential_of(app, learner_id)
    anonymous = app.test_client()
    assert anonymous.get("/issuers/acme/status/revocation").status_code == 200

    login_as("admin")
    listing = client.get("/admin/credentials").get_data(as_text=True)
    assert "Ada Lovelace" in listing and "Valid" in listing
    refused = submit(client, f"/admin/credentials/{credential.id}", {"reason": ""})
    assert refused.status_code == 400
    assert _verdict(anonymous, credential.id)[0] == "valid"
    done = submit(client, f"/admin/credentials/{credential.id}", {"reason": "Issued by mistake"})
    assert done.status_code == 302

    verdict, html = _verdict(anonymous, credential.id)
    assert verdict == "revoked" and "Revoked" in html and "Issued by mistake" not in html
    # an outside verifier reads the signed status list and finds the credential's bit set
    status = _pyjwt_verify(anonymous, credential.jwt)["vc"]["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    path = status["statusListCredential"].removeprefix("http://127.0.0.1:5000")
    listed = anonymous.get(path)
    assert listed.mimetype == "application/vc+jwt"
    status_vc = _pyjwt_verify(anonymous, listed.get_data(as_text=True), required=("iss", "jti", "nbf"))["vc"]
    assert status_vc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    encoded = status_vc["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    index = int(status["statusListIndex"])
    assert len(bits) * 8 >= 131_072 and bits[index // 8] & (0x80 >> (index % 8))
    assert sum(bin(byte).count("1") for byte in bits) == 1
    # the learner's own page says so too, and the sweep does not issue it again
    assert _sweep(app) == 0
    client.post("/logout", data={})
    sign_in(app.test_client(), "ada@example.com")


def test_a_recertifiable_credential_expires_and_is_issued_again_after_showing_it_again(app, make_user, published,
                                                                                     time_machine):  # fmt: skip
    learner_id = _learner_who_passed(app, make_user, published)
    with committing(app):
        learner, goal = db.session.get(User, learner_id), db.session.get(Goal, published["goal"])
        first = credentials.issue_for_goal(learner, goal, valid_until=utcnow() + timedelta(days=30),
                                           reason="assignment")  # fmt: skip
        again = credentials.issue_for_goal(learner, goal, valid_until=utcnow() + timedelta(days=30))
        assert again.id == first.id
        first_id = first.id
    anonymous = app.test_client()
    assert _verdict(anonymous, first_id)[0] == "valid"

    time_machine.move_to(utcnow() + timedelta(days=31))
    verdict, html = _verdict(anonymous, first_id)
    assert verdict == "expired" and "Expired" in html
    assert _sweep(app) == 0  # nothing shown since: no new credential
    with committing(app):
        events.record(actor_id=learner_id, verb="mastered", object_type="competency", object_id="active-listening")
    assert _sweep(app) == 1
    with committing(app):
        rows = db.session.scalars(select(Credential).where(Credential.learner_id == learner_id)
                                  .order_by(Credential.sequence)).all()  # fmt: skip
        assert [r.sequence for r in rows] == [1, 2]
        assert rows[1].valid_until - rows[1].issued_at == rows[0].valid_until - rows[0].issued_at
        renewed = rows[1].id
    assert _verdict(anonymous, renewed)[0] == "valid"


def test_a_learner_never_sees_another_learners_credential_except_through_its_share_link(
    app, client, make_user, published, other_organisation
):
    learner_id = _learner_who_passed(app, make_user, published)
    _sweep(app)
    credential = _credential_of(app, learner_id)
    make_user(("learner",), email="bob@example.com")
    sign_in(client, "bob@example.com")
    for path in ("", "/credential.jwt", "/credential.json", "/credential.png"):
        assert client.get(f"/credentials/{credential.id}{path}").status_code == 404, path
    assert client.get(f"/api/v1/me/credentials/{credential.id}").status_code == 404
    assert client.get("/api/v1/me/credentials").get_json()["items"] == []
    assert "Ada" not in client.get("/credentials").get_data(as_text=True)
    assert _verdict(client, credential.id)[0] == "valid"  # the share link works for anyone

    other_admin = app.test_client()
    make_user(("admin",), email="boss@other.example", organisation_id=other_organisation)
    sign_in(other_admin, "boss@other.example")
    assert other_admin.get(f"/admin/credentials/{credential.id}").status_code == 404
    assert "Ada" not in other_admin.get("/admin/credentials").get_data(as_text=True)
    assert other_admin.get(f"/api/v1/admin/credentials/{credential.id}").status_code == 404


def test_the_api_lists_and_revokes(app, client, make_user, published):
    learner_id = _learner_who_passed(app, make_user, published)
    _sweep(app)
    credential = _credential_of(app, learner_id)
    sign_in(client, "ada@example.com")
    mine = client.get("/api/v1/me/credentials").get_json()["items"]
    assert [c["id"] for c in mine] == [str(credential.id)] and mine[0]["state"] == "active"
    one = client.get(f"/api/v1/me/credentials/{credential.id}").get_json()
    assert one["jwt"] == credential.jwt and one["credential"]["name"] == "Handle a complaint so the customer stays"

    from tests.integration.api.conftest import ApiClient, make_token

    admin_id = make_user(("admin",), email="admin@example.com")
    api = ApiClient(app, make_token(app, admin_id, ("read", "write", "admin")), admin_id)
    listed = api.client.get("/api/v1/admin/credentials", headers=api.headers()).get_json()["items"]
    assert [c["learner_id"] for c in listed] == [learner_id]
    empty = api.client.post(f"/api/v1/admin/credentials/{credential.id}/revocation", headers=api.headers(),
                            json={"reason": ""})  # fmt: skip
    assert empty.status_code == 422 and empty.mimetype == "application/problem+json"
    revoked = api.client.post(f"/api/v1/admin/credentials/{credential.id}/revocation", headers=api.headers(),
                              json={"reason": "Left before the check was reviewed"})  # fmt: skip
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"
    assert client.get(f"/api/v1/me/credentials/{credential.id}").get_json()["state"] == "revoked"
    assert _verdict(app.test_client(), credential.id)[0] == "revoked"


@pytest.mark.parametrize("bad", ["", "a.b.c", "eyJhbGciOiJFZERTQSJ9.e30.AAAA"])
def test_verifying_garbage_never_raises(ctx, bad):
    assert credentials.verify(bad).verdict in ("malformed", "unknown_issuer")


def test_erasing_a_person_revokes_their_credentials_and_closes_the_share_link(app, make_user, published):
    from lxp.privacy import erasure

    learner_id = _learner_who_passed(app, make_user, published)
    _sweep(app)
    credential = _credential_of(app, learner_id)
    admin_id = make_user(("admin",), email="admin@example.com")
    with committing(app):
        erasure.erase(db.session.get(User, learner_id), actor_id=admin_id, reason="asked to be forgotten")
    anonymous = app.test_client()
    assert anonymous.get(f"/verify/{credential.id}").status_code == 404
    with committing(app):
        # a copy the person kept no longer verifies: it is revoked in the status list
        assert credentials.verify(credential.jwt).verdict == "revoked"
        assert db.session.get(Credential, credential.id).learner_name != "Ada Lovelace"
    assert _sweep(app) == 0
