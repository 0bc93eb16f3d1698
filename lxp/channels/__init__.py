"""Delivery channels behind one small interface and a registry.

A channel is one module that subclasses ``Channel`` and registers itself with ``@register``.
It takes one message type (``message_type``): ``compose`` builds that message from a
``Touchpoint`` (a planned message as any channel sees it), ``send`` delivers it and raises
``DeliveryFailed``, ``deliver`` does the same and returns an ``Outcome``. The nudge outbox
dispatches through the registry and reads each channel's delivery traits (``remote``,
``fallback``, ``reachable``) instead of naming channels; the account mails use a channel
module's own ``send``.
"""

from __future__ import annotations

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
    # Leaves lxp (SMTP, a push service): sent after the batch's commit, one at a time, and may
    # fail. A channel that is not remote is delivered in the database transaction itself.
    remote: ClassVar[bool] = True
    # On a permanent failure the message counts as sent on this channel instead (push to
    # someone whose browsers are all gone: the inbox copy is the message). None: a dead letter.
    fallback: ClassVar[str | None] = None

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


def register(channel_class: type[Channel]) -> type[Channel]:
    """Class decorator: make the channel available under its ``name``."""
    if channel_class.name in CHANNELS:
        raise ValueError(f"channel {channel_class.name!r} is registered twice")
    CHANNELS[channel_class.name] = channel_class
    return channel_class


def get(name: str) -> Channel:
    """A channel instance by name. Raises ``KeyError`` for an unknown channel."""
    return CHANNELS[name]()


def load_all() -> None:
    """Import the channel modules, so that each has registered itself."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


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
