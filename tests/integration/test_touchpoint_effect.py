"""The measured effect of touchpoints: opens through e-mail, push and the inbox, learners who
came back within 48 hours, opt-outs, the holdout comparison, and the admins' page with its
chart, tables and CSV."""

import csv
import io
import itertools
import re
from datetime import timedelta

from sqlalchemy import select

from lxp import events
from lxp.accounts.models import User
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges import effect
from lxp.nudges import services as nudges
from lxp.nudges.models import NotificationPreferences, OutboxMessage
from tests.conftest import committing, csrf_from, sign_in

_occurrences = itertools.count(1)


def _message(user_id, at, *, rule="inactive", status="sent", channel="email", category="nudge", course_id=None):
    """An outbox row as delivery (``sent``) or planning (``held_out``) leaves it; returns its id."""
    row = OutboxMessage(user_id=user_id, rule=rule, occurrence=f"quiet:{next(_occurrences)}", category=category,
                        subject="Five minutes for your path?", body="Pick up where you left off.", link="/today",
                        why="You have had no learning activity on your path for 5 days.", due_at=at, status=status,
                        channel=channel if status == "sent" else None, sent_at=at if status == "sent" else None,
                        course_id=course_id)  # fmt: skip
    db.session.add(row)
    db.session.flush()
    return row.id


def _learned(user_id, at):
    events.record(actor_id=user_id, verb="completed", object_type="item", object_id="course:lesson", occurred_at=at)


def _outbox_row(app, message_id):
    with committing(app):
        row = db.session.get(OutboxMessage, message_id)
        db.session.expunge(row)
        return row


def _due_now(app, user_id, **by_email):
    """A nudge due now for a learner without quiet hours (the test runs at any hour); e-mail
    for the categories given True."""
    with committing(app):
        user = db.session.get(User, user_id)
        nudges.save_preferences(user, {}, {c: ["email"] for c, on in by_email.items() if on}, None, None, 5)
        message_id = _message(user_id, utcnow(), status="pending", channel=None)
        db.session.commit()
        assert nudges.deliver_outbox(utcnow()) == 1
        return message_id


def test_a_click_in_the_real_email_counts_as_opened_by_email_once_and_the_unsubscribe_as_opting_out(
    app, client, make_user, mailbox
):
    learner = make_user(("learner",), email="lena@example.com")
    message_id = _due_now(app, learner, nudge=True)
    [mail] = mailbox.to("lena@example.com")
    link = mailbox.link_in(mail)
    assert link.startswith("/t/")
    assert _outbox_row(app, message_id).opened_at is None  # delivering is not opening

    # Signed out, as from a mail program: the open counts, then the app asks for a login.
    response = app.test_client().get(link)
    assert response.status_code == 302 and response.headers["Location"] == "/today"
    assert app.test_client().get("/today").headers["Location"].startswith("/login")
    opened = _outbox_row(app, message_id)
    assert opened.opened_via == "email" and opened.opened_at is not None

    # Later opens, by the link again or in the inbox, keep the first.
    app.test_client().get(link)
    sign_in(client, "lena@example.com")
    inbox = client.get("/inbox").get_data(as_text=True)
    opened_path = re.search(r'action="(/inbox/\d+/open)"', inbox).group(1)
    client.post(opened_path, data={"csrf_token": csrf_from(inbox)})
    again = _outbox_row(app, message_id)
    assert (again.opened_via, again.opened_at) == ("email", opened.opened_at)

    unsubscribe = mail["List-Unsubscribe"].strip("<>").replace("http://lxp.test", "")
    assert app.test_client().post(unsubscribe).status_code == 200
    assert _outbox_row(app, message_id).opted_out_at is not None


def test_a_tampered_or_foreign_token_is_refused_and_records_nothing(app, make_user, mailbox):
    learner = make_user(("learner",), email="lena@example.com")
    message_id = _due_now(app, learner, nudge=True)
    link = mailbox.link_in(mailbox.to("lena@example.com")[0])
    tampered = link[:-2] + ("AA" if not link.endswith("AA") else "BB")
    assert app.test_client().get(tampered).status_code == 404
    with committing(app):  # a genuine lxp token made for something else is no open link either
        unsubscribe_token = nudges.unsubscribe_token(db.session.get(User, learner), "nudge")
    assert app.test_client().get(f"/t/{unsubscribe_token}").status_code == 404
    assert _outbox_row(app, message_id).opened_at is None


def test_tapping_the_push_notification_counts_as_opened_by_push(app, ctx, make_user, push_service, vapid):
    from tests.integration.test_webpush import Subscriber, _subscribe

    learner = make_user(("learner",))
    db.session.add(NotificationPreferences(user_id=learner, off=[], channels={"nudge": ["in_app", "webpush"]},
                                           quiet_start=None, quiet_end=None, weekly_cap=5, muted_rules=[]))  # fmt: skip
    phone = Subscriber.new()
    _subscribe(learner, phone, push_service.url("/push/phone"))
    message_id = _message(learner, utcnow(), status="pending", channel=None)
    db.session.commit()
    assert nudges.deliver_outbox(utcnow()) == 1
    [received] = push_service.received
    link = phone.decrypt(received.body)["link"]
    assert link.startswith("/t/")  # a path: the service worker opens it on lxp's own origin
    response = app.test_client().get(link)
    assert response.status_code == 302 and response.headers["Location"] == "/today"
    db.session.expire_all()
    row = db.session.get(OutboxMessage, message_id)
    assert row.channel == "webpush" and row.opened_via == "webpush"


def test_opening_the_message_in_the_inbox_counts_as_opened_in_app(app, client, login_as):
    learner = login_as("learner")
    message_id = _due_now(app, learner.id)
    assert _outbox_row(app, message_id).channel == "in_app"
    client.get("/inbox")  # the list is not opening a message
    assert _outbox_row(app, message_id).opened_at is None
    inbox = client.get("/inbox").get_data(as_text=True)
    message_path = re.search(r'action="(/inbox/\d+)/open"', inbox).group(1)
    assert "Five minutes for your path?" in client.get(message_path).get_data(as_text=True)
    assert _outbox_row(app, message_id).opened_at is None  # showing the page writes nothing
    page = client.post(message_path + "/open", data={"csrf_token": csrf_from(inbox)}, follow_redirects=True)
    assert "Five minutes for your path?" in page.get_data(as_text=True)
    row = _outbox_row(app, message_id)
    assert row.opened_via == "in_app" and row.opened_at is not None


def _csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_admin_sees_what_each_touchpoint_does_against_its_holdout(
    app, client, login_as, make_user, other_organisation
):
    now = utcnow()
    sent_at = now - timedelta(days=10)
    with committing(app):
        learners = [make_user(("learner",)) for _ in range(7)]
        held = [make_user(("learner",)) for _ in range(5)]
        stranger = make_user(("learner",), organisation_id=other_organisation)
        ids = {u: _message(u, sent_at) for u in learners[:6]}
        _message(learners[6], now - timedelta(hours=1))  # sent, but its 48 hours are not over
        _message(stranger, sent_at)  # another organisation's: never counted here
        for u in held:
            _message(u, sent_at, status="held_out")
        # Came back within 48 hours: three; 49 hours later, or before the message, is not coming back.
        _learned(learners[0], sent_at + timedelta(hours=1))
        _learned(learners[1], sent_at + timedelta(hours=47))
        _learned(learners[2], sent_at + timedelta(hours=47, minutes=59))
        _learned(learners[3], sent_at + timedelta(hours=49))
        _learned(learners[4], sent_at - timedelta(hours=1))
        _learned(stranger, sent_at + timedelta(hours=1))
        _learned(held[0], sent_at + timedelta(hours=2))  # one of five held out came back anyway
        db.session.get(OutboxMessage, ids[learners[0]]).opened_at = sent_at + timedelta(minutes=5)
        db.session.get(OutboxMessage, ids[learners[0]]).opened_via = "email"
        for u in learners[:4]:  # a rule sent to four learners only
            _message(u, sent_at, rule="failed_check", channel="in_app")
        db.session.commit()
        nudges.mute_rule(db.session.get(User, learners[3]), "inactive")  # "fewer like this"
        effect.note_inbox_open(
            learners[1], f"nudge:inactive:{db.session.get(OutboxMessage, ids[learners[1]]).occurrence}"
        )

    login_as("admin")
    response = client.get("/admin/touchpoints/effect")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 of 6 came back (50%)" in page and "7 messages, 7 learners" in page
    assert "1 of 5 came back (20%)" in page and "5 messages, 5 learners" in page
    assert "+30 points" in page
    assert "3 of 6 (50%)" in page and "2 (29%)" in page and "1 (14%)" in page  # came back, opened, opted out
    assert "too few to show" in page  # the rule sent to four learners
    assert "<svg" in page and 'style="' not in page.split("<svg", 1)[1].split("</svg>")[0]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert 'href="/admin/touchpoints/effect"' in client.get("/insights/").get_data(as_text=True)  # a tab of Insights
    assert 'href="/insights/" aria-current="page"' in page  # where the admin is, in the main navigation

    [failed, inactive] = sorted(_csv(client.get("/admin/touchpoints/effect?format=csv&table=channels")),
                                key=lambda r: r["Rule key"])  # fmt: skip
    assert (failed["Rule key"], failed["Channel"], failed["Sent"], failed["Opened"]) == (
        "failed_check",
        "Inbox only",
        "",
        "",
    )
    assert (inactive["Channel"], inactive["Sent"], inactive["Learners"], inactive["Opened"], inactive["Older than 48 hours"],
            inactive["Came back within 48 hours"], inactive["Came-back rate"], inactive["Opted out"]) == (
        "E-mail", "7", "7", "2", "6", "3", "0.5", "1")  # fmt: skip
    holdout = {r["Rule key"]: r for r in _csv(client.get("/admin/touchpoints/effect?format=csv&table=holdout"))}
    assert (holdout["inactive"]["Sent: came-back rate"], holdout["inactive"]["Held out: came-back rate"],
            holdout["inactive"]["Held out: learners"], holdout["inactive"]["Difference"]) == ("0.5", "0.2", "5", "0.3")  # fmt: skip
    assert (
        float(holdout["inactive"]["Interval (95 percent): low"])
        < 0
        < 0.3
        < float(holdout["inactive"]["Interval (95 percent): high"])
    )
    assert holdout["failed_check"]["Sent: messages"] == ""  # hidden in the CSV as on the page


def test_a_course_and_a_period_narrow_what_is_counted_and_a_bad_period_is_refused(
    app, client, login_as, make_user, published
):
    sent_at = utcnow() - timedelta(days=10)
    with committing(app):
        learners = [make_user(("learner",)) for _ in range(5)]
        for u in learners:
            _message(u, sent_at, course_id=published["course"])
            _message(u, sent_at - timedelta(days=30), rule="step_due", category="reminder")
        db.session.commit()
    login_as("admin")
    everything = client.get("/admin/touchpoints/effect").get_data(as_text=True)
    assert "A step falling due in a couple of days" in everything and "Nudges after a few quiet days" in everything
    course = client.get(f"/admin/touchpoints/effect?course={published['course']}").get_data(as_text=True)
    assert "Nudges after a few quiet days" in course and "A step falling due in a couple of days" not in course
    start = (sent_at - timedelta(days=1)).date().isoformat()
    recent = client.get(f"/admin/touchpoints/effect?start={start}").get_data(as_text=True)
    assert "Nudges after a few quiet days" in recent and "A step falling due in a couple of days" not in recent

    backwards = client.get(f"/admin/touchpoints/effect?start={start}&end=2020-01-01")
    assert backwards.status_code == 400
    assert "The end of the period is before its start." in backwards.get_data(as_text=True)
    assert client.get("/admin/touchpoints/effect?course=99999").status_code == 400
    assert client.get("/admin/touchpoints/effect?start=yesterday").status_code == 400
    assert client.get("/admin/touchpoints/effect?format=csv&table=nonsense").status_code == 404


def test_learners_and_trainers_may_not_see_the_page(app, make_user):
    for role in ("learner", "trainer"):
        browser = app.test_client()
        make_user((role,), email=f"{role}@example.com")
        assert sign_in(browser, f"{role}@example.com").status_code == 302
        assert browser.get("/admin/touchpoints/effect").status_code == 403
        assert browser.get("/admin/touchpoints/effect?format=csv&table=channels").status_code == 403
    assert "/admin/touchpoints/effect" not in browser.get("/insights/").get_data(as_text=True)  # no tab for the trainer


def test_the_report_costs_the_same_few_statements_for_ten_messages_or_a_hundred(app, make_user, organisation):
    from sqlalchemy import event

    statements = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):  # not SQLite's BEGIN
            statements.append(statement)

    sent_at = utcnow() - timedelta(days=5)
    with committing(app):
        admin = db.session.get(User, make_user(("admin",)))
        learners = [make_user(("learner",)) for _ in range(10)]
        cost = []
        for round_ in range(2):
            for u in learners:
                for _ in range(1 if round_ == 0 else 9):
                    _message(u, sent_at)
                _learned(u, sent_at + timedelta(hours=round_ + 1))
            db.session.commit()
            assert admin.organisation_id and admin.roles  # loaded again before counting
            statements.clear()
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                report = effect.effect_report(admin, effect.Filters())
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            cost.append(len(statements))
        assert report.channels[0].sent == 100 and report.channels[0].came_back == 100
    # sent per rule and channel, sent per rule, held out per rule, adaptive rules' sent per timing
    assert cost == [4, 4]


def test_a_holdout_kept_by_the_rule_shows_what_the_nudge_changes(app, make_user, published, ctx):
    import time_machine

    from lxp.nudges import rules
    from lxp.nudges.models import TouchpointRule
    from lxp.paths import services as paths
    from lxp.paths.models import Journey

    db.session.add(TouchpointRule(course_id=published["course"], key="inactive", enabled=True, params={"days": 5},
                                  priority=30, channels=[], templates={}, holdout_percent=50))  # fmt: skip
    rule = rules.configure(rules.RULES_BY_KEY["inactive"], holdout_percent=50)
    got, held = [], []
    while len(got) < 5 or len(held) < 5:  # quiet for nine days, without quiet hours (any hour will do)
        learner = db.session.get(User, make_user(("learner",)))
        paths.start_journey(learner, paths.JourneyChoice((published["goal"],), None, None, 60, ("self_paced",)))
        long_ago = utcnow() - timedelta(days=9)
        db.session.execute(select(Journey).where(Journey.learner_id == learner.id)).scalar_one().created_at = long_ago
        for row in db.session.execute(
            select(events.LearningEvent).where(events.LearningEvent.actor_id == learner.id)
        ).scalars():
            row.occurred_at = long_ago
        db.session.add(NotificationPreferences(user_id=learner.id, off=[], channels={}, quiet_start=None, quiet_end=None,
                                               weekly_cap=5, muted_rules=[]))  # fmt: skip
        (held if rules.in_holdout(rule, learner.id) else got).append(learner.id)
    db.session.commit()
    planned = utcnow()
    nudges.plan_touchpoints(planned)
    nudges.deliver_outbox(planned)
    statuses = dict(db.session.execute(select(OutboxMessage.user_id, OutboxMessage.status)
                                       .where(OutboxMessage.rule == "inactive")).all())  # fmt: skip
    assert statuses == {**{u: "sent" for u in got}, **{u: "held_out" for u in held}}

    with time_machine.travel(planned + timedelta(days=3), tick=False):
        for u in [*got[:4], held[0]]:  # four who got it came back the same day, one held out did too
            _learned(u, planned + timedelta(hours=5))
        db.session.commit()
        make_user(("admin",), email="boss@example.com")
        db.session.commit()  # SQLite: the test's read transaction would keep the sign-in from writing
        admin = app.test_client()
        sign_in(admin, "boss@example.com")
        page = admin.get(f"/admin/touchpoints/effect?course={published['course']}").get_data(as_text=True)
    n, m = len(got), len(held)
    assert f"4 of {n} came back ({round(400 / n)}%)" in page and f"1 of {m} came back ({round(100 / m)}%)" in page
    assert f"{round(400 / n - 100 / m):+d} points" in page


def test_reading_the_message_through_the_api_counts_as_opened_in_app(app, make_user):
    from tests.integration.api.conftest import ApiClient, make_token

    learner = make_user(("learner",))
    message_id = _due_now(app, learner)
    api = ApiClient(app, make_token(app, learner), learner)
    [note] = api.get("/api/v1/inbox").get_json()["items"]
    assert _outbox_row(app, message_id).opened_at is None  # listing is not reading
    assert api.get(f"/api/v1/inbox/{note['id']}").status_code == 200
    assert _outbox_row(app, message_id).opened_at is None  # a GET never writes
    assert api.post(f"/api/v1/inbox/{note['id']}/read").status_code == 200  # the app has shown it
    assert _outbox_row(app, message_id).opened_via == "in_app"
