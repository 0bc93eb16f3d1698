"""The outbox dispatches through the channel registry: whatever is registered under a name
composes its own message, sends it and says how it went; the outbox reads only the channel's
traits (``reachable``, ``remote``, ``fallback``), never its name."""

from pathlib import Path

import pytest
from sqlalchemy import select

from lxp.channels import CHANNELS, Channel, DeliveryFailed, Outcome, Touchpoint
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges import services as nudges
from lxp.nudges.models import OutboxMessage
from tests.integration.outbox_fixtures import add_due_messages, add_learners, counts


class Recorder(Channel):
    """A stand-in registered under the e-mail channel's name for one test."""

    name = "email"
    message_type = tuple
    sent: list = []
    failure: DeliveryFailed | None = None
    reach_nobody = False

    @classmethod
    def reachable(cls, users):
        return set() if cls.reach_nobody else {user.id for user in users}

    def compose(self, touchpoint: Touchpoint) -> tuple:
        return (touchpoint.user.id, touchpoint.subject, touchpoint.tracked_link(self.name))

    def send(self, message: tuple) -> None:
        if self.failure is not None:
            raise self.failure
        self.sent.append(message)


@pytest.fixture
def recorder(monkeypatch):
    monkeypatch.setattr(Recorder, "sent", [])
    monkeypatch.setitem(CHANNELS, "email", Recorder)
    return Recorder


def _rows():
    db.session.expire_all()
    return db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_the_outbox_sends_through_whatever_channel_is_registered(ctx, recorder):
    learners = add_learners(2)
    add_due_messages(learners, utcnow())
    assert nudges.deliver_outbox(utcnow()) == 2
    assert sorted(user_id for user_id, _subject, _link in recorder.sent) == sorted(learners)
    assert all(link.startswith("http") for *_rest, link in recorder.sent)  # its own tracked link
    assert {(r.status, r.channel) for r in _rows()} == {("sent", "email")}
    assert counts()["in_app"] == 2  # the inbox copy, as for every send


def test_a_permanent_failure_falls_back_where_the_channel_says_and_is_a_dead_letter_otherwise(
    ctx, recorder, monkeypatch
):
    learners = add_learners(2)
    add_due_messages(learners[:1], utcnow())
    monkeypatch.setattr(Recorder, "failure", DeliveryFailed("gone for good", permanent=True))
    assert nudges.deliver_outbox(utcnow()) == 0
    assert [(r.status, r.channel, r.last_error) for r in _rows()] == [("failed", "email", "gone for good")]
    monkeypatch.setattr(Recorder, "fallback", "in_app")
    add_due_messages(learners[1:], utcnow())
    assert nudges.deliver_outbox(utcnow()) == 1
    assert [(r.status, r.channel) for r in _rows()][1] == ("sent", "in_app")


def test_a_channel_that_reaches_nobody_is_not_chosen(ctx, recorder, monkeypatch):
    monkeypatch.setattr(Recorder, "reach_nobody", True)
    add_due_messages(add_learners(1), utcnow())
    assert nudges.deliver_outbox(utcnow()) == 1
    assert recorder.sent == [] and [(r.status, r.channel) for r in _rows()] == [("sent", "in_app")]


def test_deliver_turns_a_failure_into_an_outcome():
    class Flaky(Recorder):
        failure = DeliveryFailed("SMTP down")

    assert Flaky().deliver((1, "hi", "/")) == Outcome(False, "SMTP down", permanent=False)
    assert Recorder().deliver((1, "hi", "/")) == Outcome(True)


def test_delivery_names_no_channel():
    source = (Path(__file__).resolve().parents[2] / "lxp/nudges/delivery.py").read_text()
    assert not any(f'"{name}"' in source for name in ("email", "webpush", "in_app"))
