"""Delivery channels behind one small interface and a registry.

A channel is one module that subclasses ``Channel`` and registers itself with ``@register``.
It takes one message type (``message_type``): ``compose`` builds that message from a
``Touchpoint`` (a planned message as any channel sees it), ``send`` delivers it and raises
``DeliveryFailed``, ``deliver`` does the same and returns an ``Outcome``. The nudge outbox
dispatches through the registry and reads each channel's delivery traits (``remote``,
``falls_back_to_inbox``, ``reachable``) instead of naming channels; the learner's choices, the
admin's rule form, open tracking and the effect table read its other traits (``order``,
``label``, ``inbox``, ``default_for``, ``chosen_per_category``, ``unsubscribe_link``,
``tracks_opens``, ``absolute_links``) through ``ordered``, ``names``, ``where``, ``inbox`` and
``default_channels``. The account mails use a channel module's own ``send``. Nothing outside a
channel's own module and templates names it: ``tests/integration/test_kind_and_channel_names.py``
fails when a channel's name turns up anywhere else.

Adding a channel, say SMS, is one module here::

    @dataclass(frozen=True)
    class TextMessage:
        number: str
        text: str

    @register
    class SmsChannel(Channel):
        name, label, sent_label, order = "sms", _l("Text message"), _l("Text message"), 40
        message_type = TextMessage

        @classmethod
        def reachable(cls, users):
            return {user.id for user in users if user.phone}

        def compose(self, touchpoint):
            return TextMessage(touchpoint.user.phone, f"{touchpoint.subject} {touchpoint.tracked_link(self.name)}")

        def send(self, message):
            ...  # call the SMS gateway; raise DeliveryFailed(reason, permanent=...) when it refuses

with ``tracks_opens = True`` if its links should record opens, ``default_for`` the categories
it carries for a learner who never chose, and ``chosen_per_category`` if learners switch it on
per category on their notification settings (then ``choice_label`` is the box's label). Run
``make messages`` for its labels.
"""

from __future__ import annotations

import importlib
import pkgutil
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

CHANNELS: dict[str, type[Channel]] = {}


class DeliveryFailed(Exception):
    """Sending did not work. ``permanent`` failures are not retried (bad address, gone)."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.permanent = permanent


@dataclass(frozen=True)
class Outcome:
    """What became of one send: delivered, or failed for a ``reason`` that may pass or not."""

    delivered: bool
    reason: str = ""
    permanent: bool = False

    @classmethod
    def failed(cls, failure: DeliveryFailed) -> Outcome:
        return cls(False, str(failure), failure.permanent)


@dataclass(frozen=True)
class Touchpoint:
    """A planned message (an outbox row) as every channel sees it; each channel composes its
    own message type from it."""

    user: Any  # lxp.accounts.models.User
    category: str
    subject: str
    body: str
    why: str
    link: str | None  # the message's own link on lxp
    tag: str  # the same tag replaces an older notification still shown
    now: datetime
    expires_at: datetime | None
    unsubscribe_url: str  # stops this category of message (e-mail's List-Unsubscribe)
    tracked_link: Callable[[str], str]  # channel name -> a link that records the open, then leads on


class Channel(ABC):
    """One way of reaching a person, taking one type of message."""

    name: ClassVar[str]
    message_type: ClassVar[type]
    label: ClassVar[Any]  # a lazy translated string: the channel in the admin's choice of channels
    # The channel in the effect table, where a message's channel is the one it took besides the inbox.
    sent_label: ClassVar[Any]
    order: ClassVar[int] = 100  # place in lists of channels
    # Leaves lxp (SMTP, a push service): sent after the batch's commit, one at a time, and may
    # fail. A channel that is not remote is delivered in the database transaction itself.
    remote: ClassVar[bool] = True
    # On a permanent failure the message counts as sent to the inbox instead (push to someone
    # whose browsers are all gone: the inbox copy is the message). False: a dead letter.
    falls_back_to_inbox: ClassVar[bool] = False
    # Every message lands here too, and a learner cannot turn it off. Exactly one channel is.
    inbox: ClassVar[bool] = False
    # Categories it carries, besides the inbox, for a learner who has not chosen.
    default_for: ClassVar[frozenset[str]] = frozenset()
    # The learner switches it on or off per category on their notification settings.
    chosen_per_category: ClassVar[bool] = False
    choice_label: ClassVar[Any] = None  # that switch's label, for a channel chosen per category
    # Its messages carry a one-click unsubscribe link that stops it for their category.
    unsubscribe_link: ClassVar[bool] = False
    # Its messages link through ``Touchpoint.tracked_link``: following one records the open.
    tracks_opens: ClassVar[bool] = False
    # Its links are opened outside lxp's pages (a mail client): absolute, not paths on lxp.
    absolute_links: ClassVar[bool] = False

    @classmethod
    def reachable(cls, users: Iterable[Any]) -> set[int]:
        """The ids of ``users`` this channel can reach (read for a whole batch at once)."""
        return {user.id for user in users}

    def compose(self, touchpoint: Touchpoint) -> Any:
        """This channel's message for a planned touchpoint. Channels the outbox does not send
        through on their own (``remote`` False) need not implement it."""
        raise NotImplementedError(f"channel {self.name!r} does not compose touchpoints")

    @abstractmethod
    def send(self, message: Any) -> None:
        """Deliver ``message`` (a ``message_type``) or raise ``DeliveryFailed``."""

    def deliver(self, message: Any) -> Outcome:
        """Send ``message`` and say how it went, never raising ``DeliveryFailed``."""
        try:
            self.send(message)
        except DeliveryFailed as failure:
            return Outcome.failed(failure)
        return Outcome(True)

    @classmethod  # noqa: B027  (a hook: nothing to do unless a channel keeps something)
    def release(cls) -> None:
        """Let go of what sending kept open for the app context (a connection); called when
        the context ends. Most channels keep nothing."""


def register(channel_class: type[Channel]) -> type[Channel]:
    """Class decorator: make the channel available under its ``name``."""
    if channel_class.name in CHANNELS:
        raise ValueError(f"channel {channel_class.name!r} is registered twice")
    CHANNELS[channel_class.name] = channel_class
    return channel_class


def get(name: str) -> Channel:
    """A channel instance by name. Raises ``KeyError`` for an unknown channel."""
    return CHANNELS[name]()


def init_app(app) -> None:
    """A channel may keep a connection open for the length of an app context (a delivery run
    sends its batch of mails over one SMTP connection); it is let go when the context ends."""

    @app.teardown_appcontext
    def _release_channels(_error: BaseException | None) -> None:
        for channel in CHANNELS.values():
            channel.release()


_loaded = False


def load_all() -> None:
    """Import the channel modules, so that each has registered itself (once)."""
    global _loaded
    if not _loaded:
        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
        _loaded = True


def ordered() -> list[type[Channel]]:
    """Every channel, in ``order``."""
    load_all()
    return sorted(CHANNELS.values(), key=lambda channel: (channel.order, channel.name))


def names() -> tuple[str, ...]:
    """The names of every channel, in ``order``."""
    return tuple(channel.name for channel in ordered())


def where(trait: str) -> tuple[str, ...]:
    """The names of the channels whose ``trait`` is true, in ``order``."""
    return tuple(channel.name for channel in ordered() if getattr(channel, trait))


def inbox() -> str:
    """The name of the channel every message lands in. Raises ``LookupError`` unless exactly
    one channel is the inbox."""
    found = where("inbox")
    if len(found) != 1:
        raise LookupError(f"exactly one channel must be the inbox, not {found}")
    return found[0]


def default_channels(categories: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Category -> the channels, in order, of a learner who has not chosen: the inbox and those
    whose ``default_for`` has the category."""
    return {
        category: tuple(c.name for c in ordered() if c.inbox or category in c.default_for) for category in categories
    }


def path_for(endpoint: str, **values) -> str:
    """A path on lxp for a message's link; unlike ``url_for`` it works outside a request too
    (the scheduler's jobs)."""
    from flask import current_app

    return current_app.url_map.bind("lxp").build(endpoint, values)


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a mail, under ``LXP_BASE_URL``; works outside a request too (the
    scheduler's jobs), where ``url_for`` would need a server name."""
    from flask import current_app

    return current_app.config["BASE_URL"].rstrip("/") + path_for(endpoint, **values)
