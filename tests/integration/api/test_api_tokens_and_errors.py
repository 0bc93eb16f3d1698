"""Personal access tokens (made on the profile, shown once, stored hashed, scoped, revocable,
last used), the session's CSRF rule for writes, and errors as problem+json that change nothing."""

import hashlib
import re

from sqlalchemy import select

from lxp.accounts.api_tokens import ApiToken
from lxp.accounts.models import User
from lxp.extensions import db
from tests.conftest import committing, csrf_from, submit
from tests.integration.api.conftest import ApiClient, is_problem, make_token


def test_a_token_made_on_the_profile_is_shown_once_and_stored_only_hashed(app, client, login_as):
    login_as("learner", name="Lena")
    assert "Manage access tokens" in client.get("/me").get_data(as_text=True)
    response = submit(client, "/me/tokens", {"name": "My phone", "scopes": ["read", "write"]})
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    secret = re.search(r"<code data-token-secret>([^<]+)</code>", response.get_data(as_text=True)).group(1)
    assert secret.startswith("lxp_pat_")
    again = client.get("/me/tokens").get_data(as_text=True)
    assert secret not in again and "My phone" in again and "never used" in again
    with committing(app):
        token = db.session.execute(select(ApiToken)).scalar_one()
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in (token.token_hash, token.prefix) and token.scopes == ["read", "write"]

    api = ApiClient(app, secret, token.user_id)
    me = api.get("/api/v1/me")
    assert me.status_code == 200 and me.get_json()["display_name"] == "Lena"
    assert "Set-Cookie" not in me.headers  # a token call opens no session
    assert api.get("/today").status_code == 302  # and a token is no key to the pages
    assert "last used" in client.get("/me/tokens").get_data(as_text=True)


def test_a_new_tokens_secret_is_in_no_cookie(app, client, login_as):
    """The session cookie is signed, not encrypted: anything in it can be read by whoever holds
    it. No cookie set while making a token, or on the page after, carries the secret."""
    login_as("learner")
    made = submit(client, "/me/tokens", {"name": "Script", "scopes": ["read"]})
    after = client.get("/me/tokens")
    shown = made if made.status_code != 302 else after
    secret = re.search(r"<code data-token-secret>([^<]+)</code>", shown.get_data(as_text=True)).group(1)
    serializer = app.session_interface.get_signing_serializer(app)
    cookies = [c for r in (made, after) for c in r.headers.getlist("Set-Cookie")]
    cookies.append(f"session={client.get_cookie('session').value}")
    for header in cookies:
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        assert secret not in value
        if name == "session" and value:
            assert secret not in str(serializer.loads(value))  # itsdangerous reads what is inside
    assert shown is made and secret not in after.get_data(as_text=True)


def test_a_revoked_token_stops_working_at_once(app, client, login_as):
    user = login_as("learner")
    secret = make_token(app, user.id)
    api = ApiClient(app, secret, user.id)
    assert api.get("/api/v1/me").status_code == 200
    with committing(app):
        token_id = db.session.execute(select(ApiToken.id)).scalar_one()
    page = client.get("/me/tokens")
    response = client.post(f"/me/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302
    assert "revoked" in client.get("/me/tokens").get_data(as_text=True)
    body = is_problem(api.get("/api/v1/me"), 401)
    assert "Bearer" in body["detail"]
    assert api.get("/api/v1/me").headers["WWW-Authenticate"].startswith("Bearer")


def test_someone_elses_token_cannot_be_revoked(app, client, login_as, make_user):
    other = make_user(("learner",), email="other@example.com")
    secret = make_token(app, other)
    login_as("learner")
    with committing(app):
        token_id = db.session.execute(select(ApiToken.id)).scalar_one()
    page = client.get("/me/tokens")
    client.post(f"/me/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert ApiClient(app, secret, other).get("/api/v1/me").status_code == 200


def test_only_admins_can_make_admin_tokens_and_bad_forms_change_nothing(app, client, login_as):
    login_as("learner")
    assert "Admin:" not in client.get("/me/tokens").get_data(as_text=True)
    response = submit(client, "/me/tokens", {"name": "sneaky", "scopes": ["admin"]})
    assert response.status_code == 400
    response = submit(client, "/me/tokens", {"name": "", "scopes": ["read"]})
    assert response.status_code == 400
    with committing(app):
        assert db.session.execute(select(ApiToken)).first() is None


def test_a_token_does_only_what_its_scopes_allow(app, api_as):
    reader = api_as("learner", scopes=("read",))
    assert reader.get("/api/v1/me").status_code == 200
    body = is_problem(reader.patch("/api/v1/me", json={"display_name": "Changed"}), 403)
    assert "write" in body["detail"]
    with committing(app):
        assert db.session.get(User, reader.user_id).display_name != "Changed"
    writer = api_as("learner", scopes=("write",))
    assert is_problem(writer.get("/api/v1/me"), 403)
    assert writer.patch("/api/v1/me", json={"display_name": "Changed"}).status_code == 200


def test_a_made_up_token_and_no_token_get_401(app, api_as):
    is_problem(ApiClient(app, "lxp_pat_made-up", 0).get("/api/v1/me"), 401)
    is_problem(ApiClient(app, None, 0).get("/api/v1/today"), 401)


def test_wrong_types_and_unknown_fields_are_named_and_change_nothing(app, api_as):
    api = api_as("learner", name="Original")
    body = is_problem(api.patch("/api/v1/me", json={"display_name": 42, "shoe_size": 44}), 422)
    fields = {(e["location"], e["field"]) for e in body["errors"]}
    assert ("json", "display_name") in fields and ("json", "shoe_size") in fields
    body = is_problem(api.patch("/api/v1/me", json={"timezone": "Mars/Olympus"}), 400)
    assert body["errors"][0]["field"] == "timezone"
    with committing(app):
        user = db.session.get(User, api.user_id)
        assert (user.display_name, user.timezone) == ("Original", "UTC")


def test_a_wrong_method_is_405_with_allow(app, api_as):
    response = api_as("learner").delete("/api/v1/me")
    is_problem(response, 405)
    assert {"GET", "PATCH"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_the_browser_session_may_read_but_writes_need_the_csrf_header(app, client, login_as):
    login_as("learner", name="Sam")
    assert client.get("/api/v1/me").get_json()["display_name"] == "Sam"
    is_problem(client.patch("/api/v1/me", json={"display_name": "Forged"}), 400)
    token = csrf_from(client.get("/me").get_data(as_text=True))
    response = client.patch("/api/v1/me", json={"display_name": "Sam B"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["display_name"] == "Sam B"


def test_the_api_document_and_its_reference_page(app, client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and "/api/v1/today" in spec["paths"]
    assert set(spec["components"]["securitySchemes"]) == {"bearerAuth", "sessionCookie"}
    default = spec["components"]["responses"]["DEFAULT_ERROR"]
    assert "application/problem+json" in default["content"]
    documented = {(re.sub(r"\{(\w+)\}", r"<\1>", path), method.upper())
                  for path, item in spec["paths"].items() for method in item if method != "parameters"}  # fmt: skip
    routed = {(re.sub(r"<(?:[^:>]+:)?(\w+)>", r"<\1>", rule.rule), method)
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}  # fmt: skip
    assert documented == routed  # every endpoint is in the document, and nothing else
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method != "parameters":
                assert {"401", "403", "default"} <= set(operation["responses"]), operation
    page = client.get("/api/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "GET /api/v1/today" in html and "bearerAuth" in html
    assert "<script" not in html.replace('<script src="/static/', "") and "https://" not in html
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_a_runaway_script_gets_429_as_a_problem(app, api_as, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    api = api_as("learner")
    assert [api.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    body = is_problem(api.get("/api/v1/me"), 429)
    assert "wait" in body["detail"]
    assert api_as("learner").get("/api/v1/me").status_code == 200  # another token has its own budget


def test_the_inbox_carries_an_etag_a_phone_can_poll_with(app, api_as):
    api = api_as("learner")
    first = api.get("/api/v1/inbox")
    assert api.get("/api/v1/inbox", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
