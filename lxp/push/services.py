"""Subscribing a browser to a person's notifications, and unsubscribing it."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError

from lxp.core.errors import Invalid
from lxp.extensions import db
from lxp.push.keys import b64url_decode
from lxp.push.models import MAX_ENDPOINT_LENGTH, PushSubscription


@dataclass(frozen=True)
class SubscriptionInfo:
    """What ``PushSubscription.toJSON()`` gives the page: the endpoint and the two keys."""

    endpoint: str
    p256dh: str
    auth: str


def _is_test_push_service(parts) -> bool:
    # Tests stand a push service up on plain HTTP at 127.0.0.1; only a testing app allows it.
    return current_app.testing and parts.scheme == "http" and parts.hostname == "127.0.0.1"


def _check_endpoint(endpoint) -> str:
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise Invalid(_("This browser sent no usable push address."), field="endpoint")
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise Invalid(_("This browser sent no usable push address."), field="endpoint") from None
    if _is_test_push_service(parts):
        return endpoint
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise Invalid(_("Push addresses must be https:// addresses of a push service."), field="endpoint")
    # The server posts to this address: never to an address literal or a local name, so a
    # crafted subscription cannot point lxp at its own network.
    host = parts.hostname
    try:
        ipaddress.ip_address(host)
        is_address = True
    except ValueError:
        is_address = False
    if is_address or "." not in host or host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        raise Invalid(_("Push addresses must be https:// addresses of a push service."), field="endpoint")
    return endpoint


def _check_keys(p256dh, auth) -> tuple[str, str]:
    """The browser's P-256 public key (65 bytes, a point on the curve) and 16-byte auth secret."""
    from cryptography.hazmat.primitives.asymmetric import ec  # only here: workers seldom need it (issue 20)

    refused = Invalid(_("This browser sent push keys that cannot be used."), field="keys")
    if not isinstance(p256dh, str) or not isinstance(auth, str) or len(p256dh) > 100 or len(auth) > 50:
        raise refused
    try:
        point = b64url_decode(p256dh)
        secret = b64url_decode(auth)
        if len(point) != 65 or len(secret) != 16:
            raise ValueError("wrong length")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise refused from None
    return p256dh.rstrip("="), auth.rstrip("=")


def read_subscription(data) -> SubscriptionInfo:
    """Check what the page sent (``{"endpoint", "keys": {"p256dh", "auth"}}``).
    Raises ``Invalid`` naming the part that is wrong."""
    if not isinstance(data, dict):
        raise Invalid(_("This browser sent no usable push address."), field="endpoint")
    endpoint = _check_endpoint(data.get("endpoint"))
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise Invalid(_("This browser sent push keys that cannot be used."), field="keys")
    p256dh, auth = _check_keys(keys.get("p256dh"), keys.get("auth"))
    return SubscriptionInfo(endpoint, p256dh, auth)


def subscribe(user, data, user_agent: str = "") -> bool:
    """Keep this browser's subscription for ``user``; True when it is new to them. Sending it
    again changes nothing but the keys. An endpoint another person subscribed on this browser becomes ``user``'s: the
    browser has one subscription, and it follows whoever turned notifications on last.
    Raises ``Invalid`` for a malformed subscription (nothing is stored)."""
    info = read_subscription(data)
    for attempt in (1, 2):
        try:
            # A savepoint: the same subscription sent twice at once fails on the unique endpoint
            # here, and only this attempt is undone (the other request stored it first).
            with db.session.begin_nested():
                subscription = db.session.execute(
                    select(PushSubscription).where(PushSubscription.endpoint == info.endpoint)
                ).scalar_one_or_none()
                if subscription is None:
                    subscription = PushSubscription(endpoint=info.endpoint)
                    db.session.add(subscription)
                new_to_user = subscription.user_id != user.id
                subscription.user_id = user.id
                subscription.p256dh = info.p256dh
                subscription.auth = info.auth
                subscription.user_agent = (user_agent or "")[:300]
        except IntegrityError:
            if attempt == 2:
                raise
        else:
            return new_to_user
    raise AssertionError("unreachable")


def unsubscribe(user, endpoint) -> bool:
    """Forget ``user``'s subscription at ``endpoint``; True when there was one. Another
    person's subscription is left alone (and reported as absent)."""
    if not isinstance(endpoint, str):
        return False
    result = db.session.execute(
        delete(PushSubscription).where(PushSubscription.endpoint == endpoint, PushSubscription.user_id == user.id)
    )
    db.session.flush()
    return result.rowcount > 0


def remove_all(user_id: int) -> int:
    """Forget every browser subscribed to the person's notifications (they were deactivated);
    returns how many."""
    result = db.session.execute(delete(PushSubscription).where(PushSubscription.user_id == user_id))
    db.session.flush()
    return result.rowcount


def subscriptions_of(user_id: int) -> list[PushSubscription]:
    """The person's subscriptions, oldest first."""
    return list(
        db.session.execute(
            select(PushSubscription).where(PushSubscription.user_id == user_id).order_by(PushSubscription.id)
        ).scalars()
    )


def has_subscriptions(user_id: int) -> bool:
    """Whether any browser of the person receives push messages."""
    return bool(db.session.execute(select(exists().where(PushSubscription.user_id == user_id))).scalar())
