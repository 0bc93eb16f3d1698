"""The Web Push channel against a push service on 127.0.0.1: what it receives is decrypted
here with the subscriber's own private key and auth secret, so the RFC 8291 encryption and the
VAPID signature are proven, not assumed."""

from __future__ import annotations

import json
import os
import re
import stat
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from sqlalchemy import select

from lxp import create_app
from lxp.channels import CHANNELS, DeliveryFailed, get
from lxp.channels.webpush import PushNote, has_subscriptions
from lxp.extensions import db
from lxp.push import services
from lxp.push.keys import b64url, b64url_decode, vapid_keys
from lxp.push.models import PushSubscription
from tests.conftest import committing


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    """A stand-in push service: records every request; answers 201, or what ``answers`` says
    for a path."""

    origin: str = ""
    received: list[Received] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.origin + path


@pytest.fixture
def push_service():
    service = PushService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            service.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(service.answers.get(self.path, 201))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.origin = f"http://127.0.0.1:{server.server_port}"
    # A short poll interval: shutdown() waits up to one interval (0.5 s by default) per test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@dataclass
class Subscriber:
    """A browser's side of a subscription: its P-256 key pair and auth secret."""

    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @classmethod
    def new(cls) -> Subscriber:
        return cls(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    def subscription(self, endpoint: str) -> dict:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth_secret)},
        }

    def decrypt(self, body: bytes) -> dict:
        return json.loads(
            http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm")
        )


@pytest.fixture
def vapid(ctx):
    """A configured VAPID key for the test app, so nothing is written into the repository's instance/."""
    key = ec.generate_private_key(ec.SECP256R1())
    saved = ctx.config.get("VAPID_PRIVATE_KEY"), ctx.config.get("VAPID_SUBJECT")
    ctx.config["VAPID_PRIVATE_KEY"] = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    ctx.config["VAPID_SUBJECT"] = "mailto:push-admin@lxp.example"
    ctx.extensions.pop("lxp_vapid", None)
    yield key
    ctx.config["VAPID_PRIVATE_KEY"], ctx.config["VAPID_SUBJECT"] = saved
    ctx.extensions.pop("lxp_vapid", None)


def _subscribe(user_id: int, subscriber: Subscriber, endpoint: str) -> None:
    from lxp.accounts.models import User

    services.subscribe(db.session.get(User, user_id), subscriber.subscription(endpoint), "Test phone")


def _jwt_claims(authorization: str) -> dict:
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    parts = dict(part.strip().split("=", 1) for part in params.split(","))
    token, key = parts["t"], parts["k"]
    assert Vapid.verify(authorization), "the VAPID signature does not verify with its own key"
    header, claims, _signature = token.split(".")
    assert json.loads(b64url_decode(header)) == {"typ": "JWT", "alg": "ES256"}
    return json.loads(b64url_decode(claims)) | {"k": key}


def test_webpush_is_registered_as_a_channel():
    assert CHANNELS["webpush"].name == "webpush"


def test_a_push_arrives_encrypted_for_the_subscriber_and_signed_with_vapid(ctx, vapid, push_service, make_user):
    learner = make_user()
    phone = Subscriber.new()
    _subscribe(learner, phone, push_service.url("/push/phone-1"))

    get("webpush").send(
        PushNote(learner, "Live session in 1 hour", "Giving feedback — Room 2", "/live/7", "live-7", ttl=3600)
    )
    db.session.commit()

    [request] = push_service.received
    assert request.path == "/push/phone-1"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert request.headers["ttl"] == "3600"
    assert request.headers["topic"] == "live-7"
    assert b"Giving feedback" not in request.body
    assert phone.decrypt(request.body) == {
        "title": "Live session in 1 hour", "body": "Giving feedback — Room 2", "link": "/live/7", "tag": "live-7"}  # fmt: skip
    claims = _jwt_claims(request.headers["authorization"])
    assert claims["aud"] == push_service.origin
    assert claims["sub"] == "mailto:push-admin@lxp.example"
    assert claims["k"] == vapid_keys().public_key
    public = vapid.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert claims["k"] == b64url(public)
    [stored] = services.subscriptions_of(learner)
    assert stored.last_success_at is not None


def test_a_touchpoint_tag_with_a_colon_still_sends_a_valid_topic(ctx, vapid, push_service, make_user):
    """A touchpoint's tag is ``rule:occurrence``; RFC 8030 allows only base64url characters in
    a Topic, so lxp sends a topic derived from the tag: the same for the same tag, another for
    another, and the decrypted message still carries the tag itself."""
    learner = make_user()
    phone = Subscriber.new()
    _subscribe(learner, phone, push_service.url("/push/phone"))
    tags = ["inactivity:2026-W48", "inactivity:2026-W48", "inactivity:2026-W49", "weekly-digest:" + "x" * 60]
    for tag in tags:
        get("webpush").send(PushNote(learner, "Ten minutes today?", link="/today", tag=tag))
    topics = [request.headers.get("topic") for request in push_service.received]
    assert all(topic and re.fullmatch(r"[A-Za-z0-9_-]{1,32}", topic) for topic in topics), topics
    assert topics[0] == topics[1] and len({topics[0], topics[2], topics[3]}) == 3
    assert [phone.decrypt(request.body)["tag"] for request in push_service.received] == tags


def test_every_phone_of_the_person_gets_it_and_nobody_else(ctx, vapid, push_service, make_user):
    learner, other = make_user(), make_user()
    phone, tablet, stranger = Subscriber.new(), Subscriber.new(), Subscriber.new()
    _subscribe(learner, phone, push_service.url("/p/phone"))
    _subscribe(learner, tablet, push_service.url("/p/tablet"))
    _subscribe(other, stranger, push_service.url("/p/stranger"))

    get("webpush").send(PushNote(learner, "Halfway there", link="/path"))

    by_path = {r.path: r for r in push_service.received}
    assert set(by_path) == {"/p/phone", "/p/tablet"}
    assert phone.decrypt(by_path["/p/phone"].body)["title"] == "Halfway there"
    assert tablet.decrypt(by_path["/p/tablet"].body)["link"] == "/path"
    assert "topic" not in by_path["/p/phone"].headers
    assert int(by_path["/p/phone"].headers["ttl"]) > 0  # always an explicit TTL


def test_a_subscription_the_push_service_calls_gone_is_removed(ctx, vapid, push_service, make_user):
    learner = make_user()
    _subscribe(learner, Subscriber.new(), push_service.url("/p/old-phone"))
    _subscribe(learner, Subscriber.new(), push_service.url("/p/new-phone"))
    push_service.answers["/p/old-phone"] = 410

    get("webpush").send(PushNote(learner, "Your coach replied", link="/coach"))
    db.session.commit()

    assert [s.endpoint for s in services.subscriptions_of(learner)] == [push_service.url("/p/new-phone")]
    assert has_subscriptions(learner)


def test_when_the_last_subscription_is_gone_the_failure_is_permanent(ctx, vapid, push_service, make_user):
    learner = make_user()
    _subscribe(learner, Subscriber.new(), push_service.url("/p/only"))
    push_service.answers["/p/only"] = 404

    with pytest.raises(DeliveryFailed) as failure:
        get("webpush").send(PushNote(learner, "Reminder"))
    db.session.commit()

    assert failure.value.permanent
    assert not has_subscriptions(learner)


def test_nobody_subscribed_is_a_permanent_failure(ctx, vapid, make_user):
    with pytest.raises(DeliveryFailed) as failure:
        get("webpush").send(PushNote(make_user(), "Reminder"))
    assert failure.value.permanent


def test_push_service_trouble_is_retried_and_keeps_the_subscription(ctx, vapid, push_service, make_user):
    learner = make_user()
    _subscribe(learner, Subscriber.new(), push_service.url("/p/busy"))
    push_service.answers["/p/busy"] = 503

    with pytest.raises(DeliveryFailed) as failure:
        get("webpush").send(PushNote(learner, "Reminder"))
    db.session.commit()

    assert not failure.value.permanent
    assert "503" in str(failure.value)
    assert has_subscriptions(learner)


def test_an_unreachable_push_service_is_a_retryable_failure(ctx, vapid, make_user):
    from socket import socket

    with socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    learner = make_user()
    _subscribe(learner, Subscriber.new(), f"http://127.0.0.1:{port}/p/nobody-home")

    with pytest.raises(DeliveryFailed) as failure:
        get("webpush").send(PushNote(learner, "Reminder"))
    assert not failure.value.permanent
    assert has_subscriptions(learner)


def test_a_redirecting_endpoint_is_not_followed(ctx, vapid, push_service, make_user):
    learner = make_user()
    _subscribe(learner, Subscriber.new(), push_service.url("/p/moved"))
    push_service.answers["/p/moved"] = 307  # no Location either way: the request must stop here

    with pytest.raises(DeliveryFailed):
        get("webpush").send(PushNote(learner, "Reminder"))
    assert [r.path for r in push_service.received] == ["/p/moved"]


def _tmp_app(tmp_path, **settings):
    return create_app({
        "TESTING": True, "LXP_ENV": "testing", "SECRET_KEY": "x" * 32, "INSTANCE_PATH": str(tmp_path),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.db'}", **settings})  # fmt: skip


def _dispose(app):
    with committing(app):
        db.engine.dispose()


def test_keys_are_generated_once_into_the_instance_folder_and_reused(tmp_path):
    first = _tmp_app(tmp_path)
    with first.app_context():
        generated = vapid_keys()
    key_file = tmp_path / "vapid.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    stored = json.loads(key_file.read_text())
    assert stored["public_key"] == generated.public_key
    assert len(b64url_decode(generated.public_key)) == 65
    assert generated.subject == "mailto:no-reply@lxp.localhost"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".vapid-")] == []

    second = _tmp_app(tmp_path)  # a restart, or another worker
    with second.app_context():
        assert vapid_keys().public_key == generated.public_key
    assert json.loads(key_file.read_text()) == stored
    _dispose(first)
    _dispose(second)


def test_configured_keys_are_used_and_nothing_is_written(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    private = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    public = b64url(
        key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    app = _tmp_app(tmp_path, VAPID_PRIVATE_KEY=private, VAPID_PUBLIC_KEY=public, VAPID_SUBJECT="https://lxp.example")
    with committing(app):
        keys = vapid_keys()
    assert keys.public_key == public and keys.subject == "https://lxp.example"
    assert not (tmp_path / "vapid.json").exists()
    _dispose(app)

    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    app = _tmp_app(tmp_path, VAPID_PRIVATE_KEY=pem.decode())
    with committing(app):
        assert vapid_keys().public_key == public
    _dispose(app)


def test_a_public_key_that_does_not_match_is_refused(tmp_path):
    private = b64url(ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big"))
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    wrong = b64url(other.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
    app = _tmp_app(tmp_path, VAPID_PRIVATE_KEY=private, VAPID_PUBLIC_KEY=wrong)
    with app.app_context(), pytest.raises(ValueError, match="does not belong"):
        vapid_keys()
    _dispose(app)


def test_vapid_settings_are_read_from_the_environment():
    from config import Config

    settings = Config.from_env(
        {"LXP_VAPID_PRIVATE_KEY": "priv", "LXP_VAPID_PUBLIC_KEY": "pub", "LXP_VAPID_SUBJECT": "mailto:a@b.example"}
    )
    assert (settings["VAPID_PRIVATE_KEY"], settings["VAPID_PUBLIC_KEY"], settings["VAPID_SUBJECT"]) == (
        "priv", "pub", "mailto:a@b.example")  # fmt: skip


def test_deleting_the_person_deletes_their_subscriptions(ctx, make_user):
    from lxp.accounts.models import User

    learner = make_user()
    _subscribe(learner, Subscriber.new(), "https://push.example.net/p/1")
    db.session.delete(db.session.get(User, learner))
    db.session.commit()
    assert db.session.execute(select(PushSubscription)).all() == []
