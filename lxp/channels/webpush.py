"""The Web Push channel: a notification on each phone or browser the person subscribed.

The payload is JSON (``title``, ``body``, ``link``, ``tag``), encrypted for each browser as
RFC 8291 requires (aes128gcm, done by pywebpush) and signed with the app's VAPID key
(RFC 8292). The push service keeps it for ``ttl`` seconds while the phone is offline.
Subscriptions the push service calls gone (404, 410) are removed.

Changes to subscriptions (removed, ``last_success_at``) are made in the current session;
the caller commits, also after ``DeliveryFailed``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lxp.channels import Channel, DeliveryFailed, Touchpoint, register
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.push import services
from lxp.push.keys import vapid_keys

if TYPE_CHECKING:
    import requests
from lxp.push.models import PushSubscription

log = logging.getLogger("lxp.push")

TIMEOUT_SECONDS = 10
PUSH_TTL = timedelta(hours=24)  # how long a push service keeps a message for a phone that is off
GONE = (404, 410)
# A Topic header lets the push service replace a message still waiting with a newer one of
# the same tag (RFC 8030 §5.4); it allows at most 32 base64url characters.
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def topic_of(tag: str | None) -> str | None:
    """The Topic header for a tag: the tag itself when it is already a valid topic, otherwise
    the first 32 characters of its SHA-256 in base64url, so equal tags keep one topic and
    different ones (``rule:occurrence``, with its colon) do not collide."""
    if not tag:
        return None
    if _TOPIC.match(tag):
        return tag
    return base64.urlsafe_b64encode(hashlib.sha256(tag.encode()).digest()).decode()[:32]


@dataclass(frozen=True)
class PushNote:
    user_id: int
    title: str
    body: str = ""
    link: str | None = None  # a path on lxp, opened when the notification is tapped
    tag: str | None = None  # a newer notification with the same tag replaces the older one
    ttl: int = 24 * 3600  # seconds the push service keeps it for a phone that is offline


def payload_of(message: PushNote) -> str:
    """The JSON the service worker shows (see ``static/sw.js``)."""
    return json.dumps(
        {"title": message.title, "body": message.body, "link": message.link or "/", "tag": message.tag},
        ensure_ascii=False,
    )


def _origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def _session() -> requests.Session:
    import requests  # lazy: only a process that sends pushes needs it (see send)

    session = requests.Session()
    # A push service answers; it does not redirect. Following one would let a crafted
    # endpoint bounce lxp's requests elsewhere.
    session.max_redirects = 0
    return session


def has_subscriptions(user_id: int) -> bool:
    """Whether the person has any browser that receives push messages."""
    return services.has_subscriptions(user_id)


@register
class WebPushChannel(Channel):
    name, label, sent_label, order = "webpush", _l("Phone notification"), _l("Push"), 30
    message_type = PushNote
    falls_back_to_inbox = True  # every browser of theirs is gone: the inbox copy is the message
    tracks_opens = True

    @classmethod
    def reachable(cls, users) -> set[int]:
        """Those with at least one subscribed browser (one query for all)."""
        ids = {user.id for user in users}
        return set(db.session.execute(
            select(PushSubscription.user_id).where(PushSubscription.user_id.in_(ids)).distinct()).scalars())  # fmt: skip

    def compose(self, touchpoint: Touchpoint) -> PushNote:
        """A notification kept by the push service no longer than a day, nor past the message's
        expiry (a reminder of a session that began is not worth showing)."""
        keep = PUSH_TTL if touchpoint.expires_at is None else min(PUSH_TTL, touchpoint.expires_at - touchpoint.now)
        return PushNote(user_id=touchpoint.user.id, title=touchpoint.subject, body=touchpoint.body,
                        link=touchpoint.tracked_link(self.name), tag=touchpoint.tag,
                        ttl=max(int(keep.total_seconds()), 0))  # fmt: skip

    @staticmethod
    def has_subscriptions(user_id: int) -> bool:
        """Whether the person has any browser that receives push messages."""
        return services.has_subscriptions(user_id)

    def send(self, message: PushNote) -> None:
        """Push ``message`` to every browser the person subscribed. Delivered when at least one
        push service accepted it (a retry would show it twice on the others). Raises
        ``DeliveryFailed``: permanent when the person has no subscription (left), otherwise
        when no push service accepted it."""
        subscriptions = services.subscriptions_of(message.user_id)
        if not subscriptions:
            raise DeliveryFailed("no push subscription", permanent=True)
        # Imported here: pywebpush brings aiohttp (about 22 MB resident), which only the
        # processes that send pushes (the scheduler, mostly) need to pay for.
        import requests
        from pywebpush import WebPushException, webpush

        keys = vapid_keys()
        data = payload_of(message)
        headers = {"Urgency": "normal"}
        topic = topic_of(message.tag)
        if topic:
            headers["Topic"] = topic
        delivered, failures, permanent = 0, [], True
        with _session() as session:
            for subscription in subscriptions:
                try:
                    webpush(
                        {
                            "endpoint": subscription.endpoint,
                            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                        },
                        data=data,
                        vapid_private_key=keys.vapid,
                        vapid_claims={"sub": keys.subject, "aud": _origin(subscription.endpoint)},
                        content_encoding="aes128gcm",
                        ttl=max(int(message.ttl), 0),
                        timeout=TIMEOUT_SECONDS,
                        headers=headers,
                        requests_session=session,
                    )
                except WebPushException as exc:
                    status = exc.status_code
                    if status in GONE:
                        log.info("push subscription %s is gone (%s); removed", subscription.id, status)
                        db.session.delete(subscription)
                        continue
                    failures.append(f"{_origin(subscription.endpoint)} answered {status}")
                    # Too many requests and the push service's own trouble pass; 400, 403 (a
                    # key the subscription was not made with) and 413 will not.
                    permanent = permanent and status is not None and status < 500 and status != 429
                except requests.RequestException as exc:
                    failures.append(f"{_origin(subscription.endpoint)} unreachable: {type(exc).__name__}")
                    permanent = False
                else:
                    subscription.last_success_at = utcnow()
                    delivered += 1
        if delivered:
            if failures:
                log.warning("push to user %s reached %s browsers; failed: %s", message.user_id, delivered, failures)
            return
        if not failures:
            raise DeliveryFailed("every push subscription is gone", permanent=True)
        raise DeliveryFailed("push failed: " + "; ".join(failures), permanent=permanent)


def send(message: PushNote) -> None:
    """Push one message now. Raises ``DeliveryFailed``."""
    WebPushChannel().send(message)
