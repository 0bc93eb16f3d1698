"""Checking a credential someone was handed (pasted text, the PNG with the credential baked
in, or the PDF certificate with it attached) on the public page, rotating an organisation's signing key from the command line while
old credentials keep verifying, and the credential API lists paged in SQL."""

import re
from datetime import timedelta
from io import BytesIO

from PIL import Image
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring.models import Goal
from lxp.core import crypto
from lxp.core.time import utcnow
from lxp.credentials import picture
from lxp.credentials import services as credentials
from lxp.credentials.models import Credential, SigningKey
from lxp.extensions import db
from tests.conftest import committing, csrf_from, sign_in, submit
from tests.integration.test_credentials import (
    _credential_of,
    _learner_who_passed,
    _pyjwt_verify,
    _sweep,
    _tampered,
)


def _check(client, **data):
    """Post the public check form as a stranger would; returns (status, verdict or None, html)."""
    token = csrf_from(client.get("/verify").get_data(as_text=True))
    files = {}
    if "picture" in data:
        files["picture"] = (BytesIO(data.pop("picture")), "credential.png")
    response = client.post("/verify", data={"csrf_token": token, **data, **files}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    verdict = html.split('data-verdict="', 1)[1].split('"', 1)[0] if 'data-verdict="' in html else None
    return response.status_code, verdict, html


def _png(colour="white", **text) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_itxt(key, value)
    buffer = BytesIO()
    Image.new("RGB", (20, 20), colour).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def test_a_stranger_pastes_a_credential_or_uploads_its_picture_and_learns_who_issued_it(app, client, make_user,
                                                                                         published, login_as):  # fmt: skip
    learner_id = _learner_who_passed(app, make_user, published)
    _sweep(app)
    credential = _credential_of(app, learner_id)
    ada = app.test_client()
    sign_in(ada, "ada@example.com")
    downloaded_png = ada.get(f"/credentials/{credential.id}/credential.png").data
    downloaded_json = ada.get(f"/credentials/{credential.id}/credential.json").get_data(as_text=True)
    assert picture.baked_credential(downloaded_png) == credential.jwt  # the picture carries the signed file

    stranger = app.test_client()
    page = stranger.get("/verify")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    for given in ({"token": credential.jwt}, {"token": f"  {credential.jwt}\n"}, {"token": downloaded_json},
                  {"picture": downloaded_png}):  # fmt: skip
        status, verdict, html = _check(stranger, **given)
        assert (status, verdict) == (200, "valid"), given.keys()
        assert "Acme Learning signed this credential" in html and "Ada Lovelace" in html

    changed = _tampered(credential.jwt, lambda claims: claims["vc"]["credentialSubject"].update(name="Mallory"))
    status, verdict, html = _check(stranger, token=changed)
    assert (status, verdict) == (200, "bad_signature") and "Mallory" not in html
    assert _check(stranger, token="not a credential at all")[1] == "malformed"

    login_as("admin", email="boss@example.com")
    submit(client, f"/admin/credentials/{credential.id}", {"reason": "Issued by mistake"})
    status, verdict, html = _check(stranger, picture=downloaded_png)
    assert verdict == "revoked" and "Acme Learning signed this credential but has since revoked it" in html


def test_the_learner_downloads_a_pdf_certificate_that_carries_the_credential_and_verifies_on_the_check_page(
        app, make_user, published, login_as, client):  # fmt: skip
    from pypdf import PdfReader

    learner_id = _learner_who_passed(app, make_user, published)
    _sweep(app)
    credential = _credential_of(app, learner_id)
    ada = app.test_client()
    sign_in(ada, "ada@example.com")
    assert f"/credentials/{credential.id}/credential.pdf" in ada.get(f"/credentials/{credential.id}").get_data(
        as_text=True
    )
    response = ada.get(f"/credentials/{credential.id}/credential.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="credential-{credential.id}.pdf"'
    reader = PdfReader(BytesIO(response.data))
    page = reader.pages[0]
    text = " ".join(page.extract_text().split())
    verify_url = f"http://localhost/verify/{credential.id}"
    for shown in (
        "Ada Lovelace",
        credential.achievement_name,
        "Acme Learning",
        "has shown the achievement",
        verify_url,
    ):
        assert shown in text, shown
    assert re.search(r"Issued [A-Z][a-z]{2} \d{1,2}, \d{4}", text)  # the date, as the viewer reads dates
    links = [a.get_object()["/A"]["/URI"] for a in page.get("/Annots", []) if a.get_object().get("/A")]
    assert verify_url in links  # the QR code and the address both lead to the public page
    assert any(x.get_object()["/Subtype"] == "/Image" for x in page["/Resources"]["/XObject"].values())  # the QR code
    assert reader.attachments["credential.jwt"] == [credential.jwt.encode()]  # the signed file travels inside
    assert reader.metadata.title == f"Ada Lovelace: {credential.achievement_name}"
    assert ada.get(f"/credentials/{credential.id}/credential.pdf").data == response.data  # the same file each time

    stranger = app.test_client()
    assert stranger.get(f"/credentials/{credential.id}/credential.pdf").status_code in (302, 401, 404)
    status, verdict, html = _check(stranger, picture=response.data)
    assert (status, verdict) == (200, "valid") and "Acme Learning signed this credential" in html
    login_as("admin", email="boss@example.com")
    submit(client, f"/admin/credentials/{credential.id}", {"reason": "Issued by mistake"})
    status, verdict, html = _check(stranger, picture=response.data)
    assert verdict == "revoked" and "has since revoked it" in html
    emptied = response.data.replace(b"credential.jwt", b"credential.txt")  # a PDF without our attachment
    status, verdict, html = _check(stranger, picture=emptied)
    assert (status, verdict) == (400, None) and "This file carries no credential." in html


def test_bad_input_on_the_check_page_gets_a_clear_message(app, published, make_user):
    stranger = app.test_client()
    status, verdict, html = _check(stranger, token="   ")
    assert (status, verdict) == (400, None) and "text or choose its picture." in html
    status, verdict, html = _check(stranger, picture=_png())
    assert (status, verdict) == (400, None) and "This file carries no credential." in html
    status, _verdict, html = _check(stranger, picture=b"%PDF-1.7 not a picture")
    assert status == 400 and "This file carries no credential." in html
    status, _verdict, html = _check(stranger, token="eyJ.x.y", picture=_png(openbadgecredential="eyJ.x.y"))
    assert status == 400 and "not both" in html
    status, _verdict, html = _check(stranger, token="x" * (credentials.MAX_PASTED + 1))
    assert status == 400 and "far longer than a credential" in html
    assert _check(stranger, picture=_png(openbadgecredential="garbage"))[1] == "malformed"


def test_an_expired_credential_is_called_expired_by_whoever_pastes_it(app, make_user, published):
    learner_id = make_user(("learner",), email="eve@example.com")
    with committing(app):
        credential = credentials.issue_for_goal(db.session.get(User, learner_id), db.session.get(Goal, published["goal"]),
                                                valid_until=utcnow() + timedelta(days=30), reason="assignment")  # fmt: skip
        token = credential.jwt
    with app.app_context():
        assert credentials.verify_pasted(token).verdict == "valid"
        later = credentials.verify_pasted(token, now=utcnow() + timedelta(days=31))
        assert later.verdict == "expired" and later.issuer.name == "Acme Learning"


def _rotate(app, *args):
    return app.test_cli_runner().invoke(args=["lxp", "credentials", "rotate-key", *args])


def test_rotating_the_signing_key_keeps_old_credentials_verifying_and_signs_new_ones_with_the_new_key(
    app, client, make_user, published
):
    first = _learner_who_passed(app, make_user, published)
    _sweep(app)
    old = _credential_of(app, first)
    result = _rotate(app, "--org", "acme")
    assert result.exit_code == 0, result.output
    assert "signing with the new key" in result.output
    with app.app_context():
        kids = db.session.scalars(select(SigningKey.kid).where(SigningKey.retired_at.is_(None))).all()
        assert len(kids) == 1 and kids[0] != old.kid
        new_kid = kids[0]
    jwks = client.get("/issuers/acme/jwks.json").get_json()
    assert {k["kid"] for k in jwks["keys"]} == {old.kid, new_kid}
    assert _pyjwt_verify(client, old.jwt)["jti"] == f"urn:uuid:{old.id}"  # still checks with the published key
    second = _learner_who_passed(app, make_user, published, email="grace@example.com", name="Grace Hopper")
    _sweep(app)
    new = _credential_of(app, second)
    assert new.kid == new_kid and _pyjwt_verify(client, new.jwt)["vc"]["credentialSubject"]["name"] == "Grace Hopper"
    status_list = client.get("/issuers/acme/status/revocation").get_data(as_text=True)
    assert _pyjwt_verify(client, status_list, required=("iss", "jti", "nbf"))
    with app.app_context():
        assert credentials.verify(old.jwt).verdict == "valid" and credentials.verify(new.jwt).verdict == "valid"


def test_rotating_a_key_fails_with_one_readable_line(app, published):
    unknown = _rotate(app, "--org", "nowhere")
    assert unknown.exit_code != 0 and unknown.output.strip() == "Error: no organisation with the slug 'nowhere'"
    missing = _rotate(app)
    assert missing.exit_code != 0 and "--org" in missing.output
    keys = app.extensions[crypto._KEYS]
    app.extensions[crypto._KEYS] = []  # production without LXP_ENCRYPTION_KEY
    try:
        refused = _rotate(app, "--org", "acme")
    finally:
        app.extensions[crypto._KEYS] = keys
    assert refused.exit_code != 0
    assert len(refused.output.strip().splitlines()) == 1 and refused.output.startswith("Error: cannot store a new key")
    with app.app_context():
        assert db.session.scalars(select(SigningKey)).all() == []


def test_the_credential_lists_of_the_api_page_through_every_credential_once(app, make_user, published):
    from tests.integration.api.conftest import ApiClient, make_token

    learners = [make_user(("learner",), email=f"l{n}@example.com") for n in range(5)]
    with committing(app):
        goal = db.session.get(Goal, published["goal"])
        for learner_id in learners:
            credentials.issue_for_goal(db.session.get(User, learner_id), goal, reason="assignment")
        same_moment = utcnow()
        for row in db.session.scalars(select(Credential)).all()[:3]:
            row.issued_at = same_moment  # ties are broken by id, so no page repeats or skips one
    admin_id = make_user(("admin",), email="admin@example.com")
    api = ApiClient(app, make_token(app, admin_id, ("read", "write", "admin")), admin_id)
    seen, token, pages = [], None, 0
    while True:
        query = f"?limit=2&page_token={token}" if token else "?limit=2"
        body = api.client.get(f"/api/v1/admin/credentials{query}", headers=api.headers()).get_json()
        seen += [c["id"] for c in body["items"]]
        pages += 1
        token = body["next_page_token"]
        if token is None:
            break
    with app.app_context():
        expected = [str(c.id) for c in credentials.credentials_in(db.session.get(User, admin_id))]
    assert pages == 3 and seen == expected
    forged = api.client.get("/api/v1/admin/credentials?page_token=nonsense", headers=api.headers())
    assert forged.status_code == 400 and forged.mimetype == "application/problem+json"
