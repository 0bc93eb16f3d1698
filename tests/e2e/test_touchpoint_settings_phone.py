"""On a phone: a learner sets quiet hours and keeps nudges out of their e-mail; a due nudge
lands in the inbox with its reason, and "fewer like this" is heard."""

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.core import unit_of_work
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges import services as nudges
from lxp.nudges.models import OutboxMessage
from lxp.paths import services as paths
from lxp.paths.models import Journey
from tests.conftest import PASSWORD, committing
from tests.integration.conftest import published  # noqa: F401, F811  (fixture)


def test_quiet_hours_no_email_for_nudges_and_fewer_like_this_on_a_phone(app, phone, make_user, published):  # noqa: F811
    with committing(app):
        learner = db.session.get(User, make_user(("learner",), email="mira@example.com", timezone="UTC"))
        paths.start_journey(learner, paths.JourneyChoice((published["goal"],), None, None, 60, ("self_paced",)))
        journey = db.session.execute(select(Journey)).scalar_one()
        journey.created_at = utcnow() - timedelta(days=8)
        db.session.commit()
        unit_of_work.commit()  # services never commit: the set-up does
        db.session.remove()
    phone.goto("/login")
    phone.get_by_label("E-mail").fill("mira@example.com")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("button", name="Sign out")).to_be_visible()

    phone.goto("/inbox")
    phone.get_by_role("link", name="Notification settings").click()
    quiet_from = (utcnow() + timedelta(hours=3)).strftime("%H:00")  # quiet later today, not now
    quiet_until = (utcnow() + timedelta(hours=5)).strftime("%H:00")
    phone.get_by_label("Quiet from").fill(quiet_from)
    phone.get_by_label("Quiet until").fill(quiet_until)
    nudge_mail = phone.locator("input[name=nudge_email]")
    nudge_mail.check()
    nudge_mail.uncheck()  # nudges: the inbox only, never e-mail
    phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_text("Saved. Messages follow your choices from now on.")).to_be_visible()
    expect(phone.get_by_label("Quiet from")).to_have_value(quiet_from)
    expect(phone.locator("input[name=nudge_email]")).not_to_be_checked()

    with committing(app):
        nudges.plan_touchpoints(utcnow())
        nudges.deliver_outbox(utcnow())
        [nudge] = db.session.execute(select(OutboxMessage).where(OutboxMessage.rule == "inactive")).scalars().all()
        assert (nudge.status, nudge.channel) == ("sent", "in_app")  # not by e-mail, as chosen
        unit_of_work.commit()  # services never commit: the set-up does
        db.session.remove()

    phone.goto("/inbox")
    # Unread, it is a button: opening it marks it read (a POST; showing a page never writes).
    phone.get_by_role("button", name=re.compile("Five minutes for your path")).click()
    expect(
        phone.get_by_text(
            "Why you got this: You have had no learning activity on your path for 8 days. "
            "This reminder comes after 5 days without any."
        )
    ).to_be_visible()
    phone.get_by_role("button", name="Fewer like this").click()
    expect(phone.get_by_text("You will get no more messages like this one.")).to_be_visible()
    phone.goto("/profile/notifications")
    expect(phone.get_by_role("heading", name="You asked for fewer of these")).to_be_visible()
    expect(phone.get_by_text("Nudges after a few quiet days")).to_be_visible()
