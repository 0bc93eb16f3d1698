"""Touchpoints end to end: rules plan into the outbox once, delivery follows the learner's
control, e-mails carry a working one-click unsubscribe, and "fewer like this" is heard."""

import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from lxp import events
from lxp.accounts.models import User
from lxp.channels.in_app import InAppMessage
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges import services as nudges
from lxp.nudges.models import OutboxMessage
from lxp.paths.models import Journey
from tests.conftest import committing, submit
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    live_course_fixture,
    person_fixture,
    register,
    schedule,
    soon,
    start_path,
    trainer_fixture,
)


def _outbox(app, rule=None):
    with committing(app):
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if rule:
            query = query.where(OutboxMessage.rule == rule)
        rows = db.session.execute(query).scalars().all()
        db.session.expunge_all()
        return rows


def _inbox(app, user_id):
    with committing(app):
        return [m.subject for m in db.session.execute(
            select(InAppMessage).where(InAppMessage.user_id == user_id).order_by(InAppMessage.id)).scalars()]  # fmt: skip


def _at_noon_in(zone_offset_hours: int, days: int = 0) -> datetime:
    """A moment that is 12:00 for a learner ``zone_offset_hours`` east of UTC, ``days`` from now."""
    day = (utcnow() + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC) - timedelta(hours=zone_offset_hours)


def test_a_registered_session_is_reminded_the_day_before_once_with_why_and_a_one_click_unsubscribe(
    app, live_course, trainer, person, mailbox
):
    (session_id,) = schedule(app, trainer, live_course["live"], soon(1, hour=15), zone="UTC")
    client, learner = person(email="lena@example.com", timezone="UTC")
    start_path(client, live_course)
    register(client, session_id)
    mailbox.messages.clear()  # the confirmation of the seat
    with committing(app):
        starts = db.session.get(
            __import__("lxp.live.models", fromlist=["LiveSession"]).LiveSession, session_id
        ).starts_at
        user = db.session.get(User, learner)
        nudges.save_preferences(user, {}, {"reminder": ["email"]}, None, None, 5)
        moment = starts - timedelta(hours=23)
        nudges.plan_touchpoints(moment)
        assert len(_outbox(app, "session_tomorrow")) == 1
        assert nudges.plan_touchpoints(moment) == 0  # a second run (or scheduler) plans nothing twice
        nudges.deliver_outbox(moment)
    [row] = _outbox(app, "session_tomorrow")
    assert row.status == "sent" and row.channel == "email"
    assert row.why.startswith("You registered for \u201cRole-play lab\u201d, which starts within 24 hours: ")
    assert "Tomorrow: Role-play lab" in _inbox(app, learner)  # the inbox always has it
    # Other reminders may fall due before that moment (the next steps, by the hour it runs at).
    [mail] = [m for m in mailbox.to("lena@example.com") if "Role-play lab" in m["Subject"]]
    assert mail["Subject"] == "Tomorrow: Role-play lab"
    assert "Why you got this: You registered for" in mailbox.text_of(mail)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = mail["List-Unsubscribe"].strip("<>").replace("http://lxp.test", "")
    # The mail client's one-click POST (RFC 8058): no session, no CSRF token; a second one
    # (clients retry) finds it done and says so again.
    for _ in range(2):
        response = app.test_client().post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200 and "no more e-mails with reminders" in response.get_data(as_text=True)
    assert app.test_client().post(unsubscribe[:-3] + "xyz").status_code == 404  # a forged link
    with committing(app):
        assert "email" not in nudges.preferences_of(db.session.get(User, learner)).channels_for("reminder")
        nudges.plan_touchpoints(starts - timedelta(minutes=50))  # the hour-before reminder
        nudges.deliver_outbox(starts - timedelta(minutes=50))
    assert [r.channel for r in _outbox(app, "session_soon")] == ["in_app"]
    assert [m["Subject"] for m in mailbox.to("lena@example.com") if "Role-play lab" in m["Subject"]] == [
        "Tomorrow: Role-play lab"
    ]


def test_quiet_days_bring_one_nudge_held_through_quiet_hours_and_fewer_like_this_is_heard(
    app, client, login_as, published
):
    from tests.integration.conftest import start_path as start

    learner = login_as("learner", timezone="Europe/Berlin")
    start(client, published)
    with committing(app):
        journey = db.session.execute(select(Journey)).scalar_one()
        journey.created_at = utcnow() - timedelta(days=9)
        db.session.commit()
        late = _at_noon_in(1) + timedelta(hours=10, minutes=30)  # 22:30 in Berlin
        nudges.plan_touchpoints(late)
        assert len(_outbox(app, "inactive")) == 1
        nudges.plan_touchpoints(late + timedelta(hours=1))
        assert len(_outbox(app, "inactive")) == 1  # the same silence: once
        assert nudges.deliver_outbox(late) == 0
        [row] = _outbox(app, "inactive")
        assert row.status == "pending" and row.outcome == "quiet_hours"
        assert row.due_at.astimezone(UTC).hour == 6 and row.due_at.minute == 30  # 07:30 in Berlin
        assert nudges.deliver_outbox(row.due_at) >= 1
    assert "Five minutes for your path?" in _inbox(app, learner.id)
    page = client.get("/inbox").get_data(as_text=True)
    message_url = re.search(r'action="/inbox/(\d+)/open">(?:(?!</form>).)*?Five minutes', page, re.S).group(1)
    message = client.get(f"/inbox/{message_url}").get_data(as_text=True)
    assert re.search(
        r"Why you got this: You have had no learning activity on your path for \d+ days\. "
        r"This reminder comes after 5 days without any\.",
        message,
    )
    submit(client, "/notifications/fewer", {"rule": "inactive", "back": "/inbox"}, form_page=f"/inbox/{message_url}")
    settings = client.get("/profile/notifications").get_data(as_text=True)
    assert "Nudges after a few quiet days" in settings and "Turn back on" in settings
    later = late + timedelta(days=8)
    with app.app_context(), time_machine.travel(later, tick=False):  # back once, then quiet again
        events.record(actor_id=learner.id, verb="completed", object_type="item", object_id=published["lesson"],
                      occurred_at=late + timedelta(days=1))  # fmt: skip
        db.session.commit()
        nudges.plan_touchpoints(later)
        nudges.deliver_outbox(later)
    assert [(r.status, r.outcome) for r in _outbox(app, "inactive")][-1] == ("skipped", "rule_muted")  # as asked


def test_recent_activity_holds_a_nudge_and_the_weekly_cap_folds_one(app, client, login_as, published):
    from lxp import events
    from tests.integration.conftest import start_path as start

    learner = login_as("learner", timezone="UTC")
    start(client, published)
    with committing(app):
        user = db.session.get(User, learner.id)
        nudges.save_preferences(user, {}, {}, None, None, 5)  # no quiet hours: the test holds at any hour
        noon = utcnow()  # events may not lie in the future, so the clock is the real one
        events.record(actor_id=user.id, verb="failed", object_type="item", object_id=published["quiz"],
                      occurred_at=noon - timedelta(hours=25), result={"success": False})  # fmt: skip
        events.record(actor_id=user.id, verb="completed", object_type="item", object_id=published["lesson"],
                      occurred_at=noon - timedelta(minutes=10))  # fmt: skip
        db.session.commit()
        # A task sent back by the coach is no failed check: the coach's review told them already.
        events.record(actor_id=user.id, verb="failed", object_type="item", object_id=f"{published['course']}:task",
                      occurred_at=noon - timedelta(hours=25), context={"reviewer": 1})  # fmt: skip
        assert nudges.plan_touchpoints(noon) >= 1
        nudges.deliver_outbox(noon)
        [failed] = _outbox(app, "failed_check")
        assert failed.status == "pending" and failed.outcome == "recently_active"
        assert failed.subject == "Another look at \u201cCheck: listening\u201d"
        nudges.save_preferences(user, {}, {}, None, None, 0)  # no room this week
        nudges.deliver_outbox(noon + timedelta(hours=2))  # the hour of grace is over
    assert [(r.rule, r.status, r.outcome) for r in _outbox(app) if r.rule == "failed_check"] == [
        ("failed_check", "folded", "weekly_cap")
    ]


def test_bad_settings_are_refused_and_change_nothing(app, client, login_as):
    login_as("learner")
    response = submit(client, "/profile/notifications", {"quiet_start": "22:00", "quiet_end": "", "weekly_cap": "5"})
    assert response.status_code == 400 and "Give both ends of your quiet hours, or neither." in response.get_data(
        as_text=True
    )
    assert submit(client, "/profile/notifications", {"weekly_cap": "99"}).status_code == 400
    with committing(app):
        from lxp.nudges.models import NotificationPreferences

        assert db.session.execute(select(NotificationPreferences)).first() is None
    saved = submit(client, "/profile/notifications", {"nudge": "y", "reminder": "y", "weekly_cap": "3",
                                                      "quiet_start": "20:00", "quiet_end": "08:00"},
                   follow_redirects=True)  # fmt: skip
    assert "Saved." in saved.get_data(as_text=True)


def test_a_learner_who_chose_push_gets_the_nudge_on_their_phone_encrypted(make_user, published, push_service, ctx,
                                                                             vapid):  # fmt: skip
    from lxp.nudges.models import NotificationPreferences
    from lxp.paths import services as paths
    from tests.integration.test_webpush import Subscriber, _subscribe

    learner_id = make_user(("learner",), timezone="UTC")
    learner = db.session.get(User, learner_id)
    paths.start_journey(learner, paths.JourneyChoice((published["goal"],), None, None, 60, ("self_paced",)))
    journey = db.session.execute(select(Journey)).scalar_one()
    journey.created_at = utcnow() - timedelta(days=7)
    db.session.add(NotificationPreferences(user_id=learner_id, off=[], channels={"nudge": ["in_app", "webpush"]},
                                           quiet_start=None, quiet_end=None, weekly_cap=5, muted_rules=[]))  # fmt: skip
    db.session.commit()
    phone = Subscriber.new()
    _subscribe(learner_id, phone, push_service.url("/push/phone"))
    db.session.commit()
    noon = _at_noon_in(0)
    nudges.plan_touchpoints(noon)
    nudges.deliver_outbox(noon)
    [received] = push_service.received
    payload = phone.decrypt(received.body)
    assert payload["title"] == "Five minutes for your path?"
    # Tapping it counts the open, then opens Today (test_touchpoint_effect.py).
    assert ctx.test_client().get(payload["link"]).headers["Location"] == "/today"
    [row] = db.session.execute(select(OutboxMessage).where(OutboxMessage.rule == "inactive")).scalars().all()
    assert row.channel == "webpush"
