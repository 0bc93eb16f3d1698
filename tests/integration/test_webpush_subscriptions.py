"""Turning notifications on and off for a browser: the JSON endpoints behind the profile's
"Notifications on this phone", and what they refuse."""

from __future__ import annotations

import os
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from lxp.extensions import db
from lxp.push.keys import b64url, b64url_decode
from lxp.push.models import PushSubscription
from tests.conftest import committing, csrf_from, sign_in

ENDPOINT = "https://fcm.googleapis.example/wp/abc123"
NOT_ON_THE_CURVE = b64url(b"\x04" + b"\x01" * 64)  # the right length, but no P-256 point


@pytest.fixture
def vapid(app):
    key = ec.generate_private_key(ec.SECP256R1())
    saved = app.config.get("VAPID_PRIVATE_KEY")
    app.config["VAPID_PRIVATE_KEY"] = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    app.extensions.pop("lxp_vapid", None)
    yield key
    app.config["VAPID_PRIVATE_KEY"] = saved
    app.extensions.pop("lxp_vapid", None)


def _subscription(endpoint: str = ENDPOINT, **keys) -> dict:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {"endpoint": endpoint, "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16)), **keys}}  # fmt: skip


def _token(client) -> str:
    return csrf_from(client.get("/me").get_data(as_text=True))


def _send(client, method: str, body, token: str | None = None):
    headers = {"X-CSRFToken": token if token is not None else _token(client)}
    return client.open("/push/subscriptions", method=method, json=body, headers=headers)


def _stored(app) -> list[tuple[int, str]]:
    with committing(app):
        return [(s.user_id, s.endpoint) for s in db.session.execute(select(PushSubscription)).scalars()]


def test_the_profile_offers_notifications_for_this_phone(client, login_as):
    login_as("learner")
    html = client.get("/me").get_data(as_text=True)
    assert "Notifications on this phone" in html
    assert 'data-push data-key-url="/push/key"' in html
    assert re.search(r'src="/static/js/push\.[0-9a-f]{12}\.js"', html)


def test_the_public_key_is_the_application_server_key(client, login_as, vapid):
    login_as("learner")
    key = client.get("/push/key").get_json()["public_key"]
    expected = vapid.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert b64url_decode(key) == expected and "=" not in key


def test_subscribing_stores_the_browser_once(app, client, login_as):
    learner = login_as("learner")
    subscription = _subscription()

    first = _send(client, "POST", subscription)
    again = _send(client, "POST", subscription)

    assert (first.status_code, again.status_code) == (201, 200)
    assert _stored(app) == [(learner.id, ENDPOINT)]
    with committing(app):
        stored = db.session.execute(select(PushSubscription)).scalar_one()
        assert stored.p256dh == subscription["keys"]["p256dh"] and stored.auth == subscription["keys"]["auth"]
        assert stored.user_agent.startswith("Werkzeug")


def test_subscribing_needs_the_csrf_token(app, client, login_as):
    login_as("learner")
    response = _send(client, "POST", _subscription(), token="")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "expired" in response.get_json()["title"]
    assert _stored(app) == []


@pytest.mark.parametrize(
    "change, field",
    [
        ({"endpoint": "http://push.example.net/wp/1"}, "endpoint"),
        ({"endpoint": "https://10.0.0.7/wp/1"}, "endpoint"),
        ({"endpoint": "https://localhost/wp/1"}, "endpoint"),
        ({"endpoint": "https://user:pw@push.example.net/wp/1"}, "endpoint"),
        ({"endpoint": "https://push.example.net/" + "x" * 1000}, "endpoint"),
        ({"endpoint": "javascript:alert(1)"}, "endpoint"),
        ({"endpoint": None}, "endpoint"),
        ({"keys": {"p256dh": "not base64 !!", "auth": b64url(os.urandom(16))}}, "keys"),
        ({"keys": {"p256dh": NOT_ON_THE_CURVE, "auth": b64url(os.urandom(16))}}, "keys"),
        ({"keys": {"auth": b64url(os.urandom(16))}}, "keys"),
        ({"keys": "p256dh"}, "keys"),
    ],
)
def test_a_malformed_subscription_is_refused_and_nothing_stored(app, client, login_as, change, field):
    login_as("learner")
    response = _send(client, "POST", {**_subscription(), **change})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["field"] == field
    assert _stored(app) == []


def test_a_short_auth_secret_is_refused(app, client, login_as):
    login_as("learner")
    response = _send(client, "POST", _subscription(auth=b64url(os.urandom(8))))
    assert response.status_code == 422 and response.get_json()["field"] == "keys"
    assert _stored(app) == []


def test_not_json_is_refused(app, client, login_as):
    login_as("learner")
    response = client.post("/push/subscriptions", data="endpoint=x", headers={"X-CSRFToken": _token(client)})
    assert response.status_code == 422
    assert _stored(app) == []


def test_plain_http_is_allowed_only_for_127_0_0_1_in_a_testing_app(app, client, login_as):
    """The tests' stand-in push service; ``app.testing`` is False in every real deployment."""
    login_as("learner")
    assert _send(client, "POST", _subscription("http://127.0.0.1:8999/wp/1")).status_code == 201
    app.testing = False
    try:
        refused = _send(client, "POST", _subscription("http://127.0.0.1:8999/wp/2"))
    finally:
        app.testing = True
    assert refused.status_code == 422


def test_unsubscribing_forgets_this_browser(app, client, login_as):
    login_as("learner")
    _send(client, "POST", _subscription())
    _send(client, "POST", _subscription("https://push.example.net/wp/tablet"))

    response = _send(client, "DELETE", {"endpoint": ENDPOINT})

    assert response.status_code == 200 and response.get_json() == {"subscribed": False}
    assert [endpoint for _user, endpoint in _stored(app)] == ["https://push.example.net/wp/tablet"]
    assert _send(client, "DELETE", {"endpoint": ENDPOINT}).status_code == 404


def test_unsubscribing_needs_the_csrf_token(app, client, login_as):
    login_as("learner")
    _send(client, "POST", _subscription())
    assert _send(client, "DELETE", {"endpoint": ENDPOINT}, token="").status_code == 400
    assert len(_stored(app)) == 1


def test_another_persons_subscription_cannot_be_deleted(app, client, login_as, make_user):
    owner = login_as("learner")
    _send(client, "POST", _subscription())
    client.post("/logout", data={"csrf_token": _token(client)})
    with committing(app):
        from lxp.accounts.models import User

        intruder_email = db.session.get(User, make_user(("trainer",))).email
    sign_in(client, intruder_email)

    response = _send(client, "DELETE", {"endpoint": ENDPOINT})

    assert response.status_code == 404
    assert _stored(app) == [(owner.id, ENDPOINT)]


def test_the_same_browser_subscribed_by_another_person_becomes_theirs(app, client, login_as, make_user):
    """A shared phone: notifications follow whoever turned them on last on this browser."""
    login_as("learner")
    subscription = _subscription()
    _send(client, "POST", subscription)
    client.post("/logout", data={"csrf_token": _token(client)})
    with committing(app):
        from lxp.accounts.models import User

        second_id = make_user()
        email = db.session.get(User, second_id).email
    sign_in(client, email)

    assert _send(client, "POST", subscription).status_code == 201
    assert _stored(app) == [(second_id, ENDPOINT)]


def test_signed_out_visitors_cannot_subscribe(app, client):
    response = client.post("/push/subscriptions", json=_subscription())
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/push/key").status_code == 302
    assert _stored(app) == []
