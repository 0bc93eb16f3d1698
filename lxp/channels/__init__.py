"""Delivery channels behind one small interface and a registry.

A channel is one module that subclasses ``Channel`` and registers itself with ``@register``;
the nudge outbox and the account mails look channels up by name. E-mail is the first; in-app
and Web Push join with the touchpoints work.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

CHANNELS: dict[str, type[Channel]] = {}


class DeliveryFailed(Exception):
    """Sending did not work. ``permanent`` failures are not retried (bad address, gone)."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.permanent = permanent


class Channel(ABC):
    """One way of reaching a person."""

    name: str

    @abstractmethod
    def send(self, message: Any) -> None:
        """Deliver ``message`` or raise ``DeliveryFailed``."""


def register(channel_class: type[Channel]) -> type[Channel]:
    """Class decorator: make the channel available under its ``name``."""
    if channel_class.name in CHANNELS:
        raise ValueError(f"channel {channel_class.name!r} is registered twice")
    CHANNELS[channel_class.name] = channel_class
    return channel_class


def get(name: str) -> Channel:
    """A channel instance by name. Raises ``KeyError`` for an unknown channel."""
    return CHANNELS[name]()


def path_for(endpoint: str, **values) -> str:
    """A path on lxp for a message's link; unlike ``url_for`` it works outside a request too
    (the scheduler's jobs)."""
    from flask import current_app

    return current_app.url_map.bind("lxp").build(endpoint, values)
