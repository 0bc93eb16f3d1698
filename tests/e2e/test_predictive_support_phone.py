"""On a phone: a coach sees a learner who has gone quiet, with the reasons in words, and sends
them a message from the desk; the learner turns predictive support off on their profile."""

from playwright.sync_api import expect
from sqlalchemy import select

from lxp.accounts.models import Organisation
from lxp.coaching.models import CoachingMessage
from lxp.extensions import db
from lxp.risk import services
from lxp.risk.models import RiskOptOut
from tests.conftest import PASSWORD, committing
from tests.integration.conftest import published  # noqa: F401  (fixture)
from tests.integration.test_live_fixtures import live_course_fixture, trainer_fixture  # noqa: F401  (fixtures)
from tests.integration.test_predictive_support import _quiet_learner_with_a_coach


def _sign_in(page, email):
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _learner_reads(page, sender: str, text: str) -> None:
    """Lena signs in, opens the message from ``sender`` in her inbox and reads ``text`` and why she got it."""
    page.context.clear_cookies()
    _sign_in(page, "lena@example.com")
    page.goto("/inbox")
    page.get_by_role("button", name=sender).click()
    expect(page.get_by_text(text).first).to_be_visible()
    expect(page.get_by_text("You can turn this support off on your profile.").first).to_be_visible()


def test_a_coach_on_a_phone_messages_a_quiet_learner_who_then_turns_the_support_off(app, phone, make_user, published):  # noqa: F811
    learner, _, _ = _quiet_learner_with_a_coach(app, published, make_user)
    with committing(app):
        services.raise_flags(db.session.execute(select(Organisation)).scalars().first())

    _sign_in(phone, "coach@example.com")
    phone.goto("/desk")
    flagged = phone.locator("[data-risk-flag]", has_text="Lena Learner")
    expect(flagged).to_be_visible()
    expect(flagged).to_contain_text("no activity for 9 days")
    expect(flagged).to_contain_text("2 failed checks on")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    flagged.get_by_role("button", name="Send a message").click()
    phone.get_by_label("Your message").fill("I saw the check was tough. Shall we look at it together on Thursday?")
    phone.get_by_role("button", name="Send", exact=True).click()
    expect(phone.get_by_text("Shall we look at it together on Thursday?")).to_be_visible()
    with committing(app):
        assert db.session.execute(select(CoachingMessage.body)).scalar_one().startswith("I saw the check")
    phone.goto("/desk")
    expect(phone.locator("[data-risk-flag]", has_text="Lena Learner")).to_have_count(0)

    phone.context.clear_cookies()
    _sign_in(phone, "lena@example.com")
    phone.goto("/me")
    support = phone.locator("#predictive-support")
    expect(support).to_contain_text("your coach")
    support.get_by_role("button", name="Turn it off").click()
    expect(phone.get_by_text("Predictive support is off.")).to_be_visible()
    expect(phone.locator("#predictive-support")).to_contain_text("Off: nothing about you is computed for it.")
    with committing(app):
        assert db.session.get(RiskOptOut, learner) is not None


def test_a_coach_on_a_phone_offers_a_session_and_the_learner_reads_why_in_their_inbox(  # noqa: F811
    app, phone, make_user, live_course, trainer
):
    from datetime import timedelta

    from lxp.coaching.models import CoachAssignment
    from lxp.core.time import utcnow
    from lxp.events import record
    from lxp.risk.models import RiskFlag
    from tests.conftest import sign_in
    from tests.integration.test_live_fixtures import schedule, soon, start_path

    learner = make_user(("learner",), email="lena@example.com", name="Lena Learner")
    client = app.test_client()
    sign_in(client, "lena@example.com")
    start_path(client, live_course)
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner, coach_id=trainer))
        record(actor_id=learner, verb="launched", object_type="item", object_id=live_course["alt"],
               occurred_at=utcnow() - timedelta(days=12))  # fmt: skip
        services.raise_flags(db.session.execute(select(Organisation)).scalars().first())
    schedule(app, trainer, live_course["live"], soon(days=5))

    _sign_in(phone, "trainer@example.com")
    phone.goto("/desk")
    flagged = phone.locator("[data-risk-flag]", has_text="Lena Learner")
    expect(flagged.get_by_label("Session to offer")).to_contain_text("Role-play lab")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    flagged.get_by_role("button", name="Offer a session").click()
    expect(phone.get_by_text("Session offered.")).to_be_visible()
    expect(phone.get_by_text("a live session that may help: Role-play lab")).to_be_visible()
    with committing(app):
        assert db.session.execute(select(RiskFlag.action)).scalar_one() == "offer_session"

    _learner_reads(phone, "Tess Trainer wrote to you", "a live session that may help")


def test_an_admin_who_coaches_nobody_messages_a_flagged_learner_who_reads_it_in_their_inbox(
    app,
    desktop,
    make_user,
    published,  # noqa: F811
):
    from lxp.risk.models import RiskFlag

    _quiet_learner_with_a_coach(app, published, make_user)
    make_user(("admin",), email="ada@example.com", name="Ada Admin")
    with committing(app):
        services.raise_flags(db.session.execute(select(Organisation)).scalars().first())

    _sign_in(desktop, "ada@example.com")
    desktop.goto("/insights/")
    desktop.get_by_role("link", name="May need support").click()
    flagged = desktop.locator("[data-risk-flag]", has_text="Lena Learner")
    expect(flagged).to_contain_text("Coach: Carla Coach")
    expect(flagged).to_contain_text("no activity for 9 days")
    flagged.get_by_role("button", name="Send a message").click()
    expect(desktop.get_by_role("alert")).to_contain_text("Write a message first.")
    flagged = desktop.locator("[data-risk-flag]", has_text="Lena Learner")
    flagged.get_by_label("Your message to Lena Learner").fill("Would a lighter week help? Tell Carla or me.")
    flagged.get_by_role("button", name="Send a message").click()
    expect(desktop.get_by_text("Message sent.")).to_be_visible()
    expect(desktop.locator("[data-risk-flag]", has_text="Lena Learner")).to_have_count(0)
    with committing(app):
        assert db.session.execute(select(RiskFlag.action)).scalar_one() == "message"

    _learner_reads(
        desktop, "Ada Admin from your organisation's learning team wrote to you", "Would a lighter week help?"
    )
