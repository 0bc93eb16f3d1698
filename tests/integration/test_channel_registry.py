"""The outbox dispatches through the channel registry: it reads only a channel's traits
(``reachable``, ``remote``, ``falls_back_to_inbox``), never its name. What each real channel does (e-mail
to a real SMTP server, Web Push decrypted, the fallback of a push subscription that is gone to
the inbox) is proven in test_email_channel.py, test_webpush*.py and test_outbox_*.py."""

from pathlib import Path

from lxp.channels import CHANNELS


def test_every_channel_is_registered_with_its_traits():
    assert set(CHANNELS) == {"in_app", "email", "webpush"}
    assert CHANNELS["webpush"].falls_back_to_inbox and CHANNELS["email"].remote and not CHANNELS["in_app"].remote


def test_delivery_names_no_channel():
    source = (Path(__file__).resolve().parents[2] / "lxp/nudges/delivery.py").read_text()
    assert not any(f'"{name}"' in source for name in ("email", "webpush", "in_app"))
