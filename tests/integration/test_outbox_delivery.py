"""Delivery of the outbox when things go wrong: the mail server down, a push service in
trouble, a delivery run that died after claiming; dead letters on the admins' outbox page."""

from collections import Counter
from datetime import timedelta

from sqlalchemy import select, update

from lxp.channels import email as email_channel
from lxp.channels.in_app import InAppMessage
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges import delivery
from lxp.nudges import services as nudges
from lxp.nudges.models import NotificationPreferences, OutboxMessage
from tests.conftest import committing, sign_in, submit
from tests.integration.outbox_fixtures import add_due_messages, add_learners, counts


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_mail_server_down_messages_are_retried_with_back_off_and_arrive_once_when_it_is_back(ctx, mail_server):
    learners = add_learners(5)
    now = utcnow()
    add_due_messages(learners, now)
    mail_server.stop()
    assert nudges.deliver_outbox(now) == 0
    rows = _rows()
    assert {(r.status, r.attempts) for r in rows} == {("pending", 1)}
    assert all("SMTP delivery failed" in r.last_error for r in rows)
    assert {r.due_at for r in rows} == {now + timedelta(minutes=1)}
    assert counts()["in_app"] == 5  # the inbox has them at once, whatever the mail server does
    assert nudges.deliver_outbox(now + timedelta(seconds=30)) == 0  # not due again yet: nothing tried
    assert {r.attempts for r in _rows()} == {1}
    assert nudges.deliver_outbox(now + timedelta(minutes=1)) == 0  # still down: the wait doubles
    assert {(r.attempts, r.due_at) for r in _rows()} == {(2, now + timedelta(minutes=3))}
    mail_server.start()
    assert nudges.deliver_outbox(now + timedelta(minutes=3)) == 5
    assert {(r.status, r.channel, r.attempts) for r in _rows()} == {("sent", "email", 3)}
    assert sorted(m["X-Envelope-To"] for m in mail_server.mailbox.messages) == sorted(
        f"learner{n}@example.com" for n in range(5))  # fmt: skip
    assert counts()["in_app"] == counts()["in_app_distinct"] == 5


def test_a_run_sends_its_mails_over_few_connections_and_opens_another_when_the_server_dropped_one(ctx, mail_server):
    learners = add_learners(email_channel.MAILS_PER_CONNECTION + 5)
    now = utcnow()
    add_due_messages(learners[:-1], now)
    assert nudges.deliver_outbox(now) == len(learners) - 1
    connections = Counter(m.peer for m in mail_server.mailbox.messages)
    assert sorted(connections.values()) == [4, email_channel.MAILS_PER_CONNECTION]  # not one handshake a mail
    mail_server.stop()
    mail_server.start()  # a restarted relay has closed the connection the run kept
    add_due_messages(learners[-1:], now)
    assert nudges.deliver_outbox(now) == 1
    assert mail_server.mailbox.to(f"learner{len(learners) - 1}@example.com")
    assert len({m.peer for m in mail_server.mailbox.messages}) == 3
    assert counts()["in_app"] == len(learners)


def test_after_the_last_try_a_message_is_a_dead_letter(ctx, mail_server):
    [learner] = add_learners(1)
    now = utcnow()
    add_due_messages([learner], now)
    mail_server.stop()
    moment = now
    for attempt in range(1, ctx.config["OUTBOX_MAX_ATTEMPTS"] + 1):
        assert nudges.deliver_outbox(moment) == 0
        [row] = _rows()
        assert row.attempts == attempt
        moment = row.due_at
    assert row.status == "failed" and "SMTP delivery failed" in row.last_error
    assert delivery.retry_delay(5) == timedelta(minutes=16) and delivery.retry_delay(12) == timedelta(hours=1)
    assert nudges.deliver_outbox(moment + timedelta(days=1)) == 0  # a dead letter is not tried again by itself


def test_an_address_the_mail_server_refuses_is_a_dead_letter_at_once_and_the_others_still_go(ctx, mail_server):
    learners = add_learners(3)
    mail_server.mailbox.unknown.add("learner1@example.com")
    now = utcnow()
    add_due_messages(learners, now)
    assert nudges.deliver_outbox(now) == 2
    outcome = {r.user_id: (r.status, r.attempts) for r in _rows()}
    assert outcome == {learners[0]: ("sent", 1), learners[1]: ("failed", 1), learners[2]: ("sent", 1)}
    [dead] = [r for r in _rows() if r.status == "failed"]
    assert "recipient refused" in dead.last_error
    assert counts()["in_app"] == 3  # the inbox has it even so


def test_a_push_to_a_phone_that_is_gone_leaves_the_message_in_the_inbox_and_the_subscription_removed(
    ctx, push_service, vapid
):
    from lxp.push.models import PushSubscription
    from tests.integration.test_webpush import Subscriber, _subscribe

    [learner] = add_learners(1)
    db.session.execute(update(NotificationPreferences).values(channels={"nudge": ["in_app", "webpush"]}))
    _subscribe(learner, Subscriber.new(), push_service.url("/push/old-phone"))
    db.session.commit()
    push_service.answers["/push/old-phone"] = 410
    now = utcnow()
    add_due_messages([learner], now)
    assert nudges.deliver_outbox(now) == 1
    [row] = _rows()
    assert (row.status, row.channel) == ("sent", "in_app") and "gone" in row.last_error
    assert db.session.execute(select(PushSubscription)).first() is None
    assert counts()["in_app"] == 1


def test_a_run_that_died_after_claiming_leaves_its_messages_to_the_next_run_and_the_inbox_shows_each_once(
    ctx, mail_server
):
    learners = add_learners(3)
    now = utcnow()
    add_due_messages(learners, now)
    claimed = delivery.claim_due(now, 10)  # ... and the process was killed before it recorded anything
    assert len(claimed) == 3
    first = db.session.get(OutboxMessage, claimed[0])
    delivery._post_in_app(first)  # it had got as far as the first inbox copy
    db.session.commit()
    assert nudges.deliver_outbox(now + timedelta(seconds=10)) == 0  # its claim still holds
    assert {r.status for r in _rows()} == {"sending"}
    lease = timedelta(seconds=ctx.config["OUTBOX_CLAIM_SECONDS"])
    assert nudges.deliver_outbox(now + lease + timedelta(seconds=1)) == 3
    assert {r.status for r in _rows()} == {"sent"}
    assert len(mail_server.mailbox.messages) == 3
    assert counts()["in_app"] == counts()["in_app_distinct"] == 3


def test_push_service_trouble_is_retried_and_a_push_lives_only_as_long_as_its_message(ctx, push_service, vapid):
    from tests.integration.test_webpush import Subscriber, _subscribe

    [learner] = add_learners(1)
    db.session.execute(update(NotificationPreferences).values(channels={"nudge": ["in_app", "webpush"]}))
    phone = Subscriber.new()
    _subscribe(learner, phone, push_service.url("/push/phone"))
    db.session.commit()
    now = utcnow()
    add_due_messages([learner], now, expires_at=now + timedelta(hours=2))
    push_service.answers["/push/phone"] = 503
    assert nudges.deliver_outbox(now) == 0
    [row] = _rows()
    assert row.status == "pending" and row.attempts == 1 and "answered 503" in row.last_error
    push_service.answers.clear()
    assert nudges.deliver_outbox(row.due_at) == 1
    [row] = _rows()
    assert row.status == "sent" and row.channel == "webpush"
    first, second = push_service.received
    assert int(first.headers["ttl"]) == 7200 and 0 < int(second.headers["ttl"]) <= 7200 - 60
    assert phone.decrypt(second.body)["title"] == "Five minutes for your path?"
    assert db.session.execute(select(InAppMessage)).scalars().one().subject == "Five minutes for your path?"


def test_dead_letters_are_listed_for_admins_who_can_send_them_again(app, client, login_as, make_user, mail_server):
    login_as("admin")
    with committing(app):
        learners = add_learners(2)
        now = utcnow()
        add_due_messages(learners, now - timedelta(minutes=1))
        add_due_messages(learners[:1], now, occurrence="silence-since:other", status="failed", attempts=6,
                         last_error="SMTP delivery failed: connection refused")  # fmt: skip
        add_due_messages(learners[1:], now + timedelta(minutes=3), occurrence="silence-since:retry", attempts=2,
                         last_error="SMTP delivery failed: 421 try later")  # fmt: skip
    page = client.get("/admin/outbox")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'href="/admin/outbox"' in html  # in the admin navigation
    assert "Not delivered (1)" in html and "connection refused" in html and "learner0@example.com" in html
    assert "Being tried again (1)" in html and "421 try later" in html
    with committing(app):
        dead = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.status == "failed"))
    assert client.post(f"/admin/outbox/{dead}/retry").status_code == 400  # no CSRF token: nothing changes
    response = submit(client, f"/admin/outbox/{dead}/retry", {}, form_page="/admin/outbox", follow_redirects=True)
    assert "goes out with the next delivery run" in response.get_data(as_text=True)
    again = submit(client, f"/admin/outbox/{dead}/retry", {}, form_page="/admin/outbox", follow_redirects=True)
    assert "no longer waiting to be sent again" in again.get_data(as_text=True)
    with committing(app):
        assert nudges.deliver_outbox(utcnow()) == 3  # the two due ones and the one sent again
        row = db.session.get(OutboxMessage, dead)
        assert row.status == "sent" and row.attempts == 1
    for role in ("learner", "trainer"):
        other = app.test_client()
        assert sign_in(other, f"{role}@example.com" if make_user((role,), email=f"{role}@example.com") else "")
        assert other.get("/admin/outbox").status_code == 403
        assert submit(other, "/admin/outbox/retry-all", {}, form_page="/profile").status_code == 403


def test_send_all_again_takes_every_dead_letter_of_the_organisation(app, client, login_as, mail_server):
    login_as("admin")
    with committing(app):
        learners = add_learners(3)
        add_due_messages(learners, utcnow(), status="failed", attempts=6, last_error="SMTP delivery failed")
        add_due_messages(learners[:1], utcnow() - timedelta(days=4), occurrence="stale", status="failed", attempts=6,
                         last_error="SMTP delivery failed")  # fmt: skip
    response = submit(client, "/admin/outbox/retry-all", {}, form_page="/admin/outbox", follow_redirects=True)
    assert "3 messages go out with the next delivery run." in response.get_data(as_text=True)
    assert "Not delivered (1)" in response.get_data(as_text=True) and "Too late to send" in response.get_data(
        as_text=True)  # expired: a reminder of what is over would only confuse  # fmt: skip
    with committing(app):
        assert nudges.deliver_outbox(utcnow()) == 3
    assert len(mail_server.mailbox.messages) == 3
