"""In the browser: the admin's touchpoints page compares messages sent at the learner's own time
with those kept at the fixed time (the random fixed-time holdout), and shows when the
organisation's learners learn, the rhythm adaptive timing leans on."""

import uuid
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import insert, update

from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.nudges.models import OutboxMessage
from lxp.risk import services as risk
from tests.conftest import PASSWORD, committing
from tests.integration.outbox_fixtures import add_due_messages, add_learners


def test_the_admin_compares_the_learners_own_time_with_the_fixed_time_and_reads_the_rhythm(app, desktop, make_user):
    make_user(("admin",), email="ada@example.com", name="Ada Admin")
    sent = utcnow().replace(microsecond=0) - timedelta(days=3)
    with committing(app):
        chosen = add_learners(8, prefix="chosen")
        fixed = add_learners(6, prefix="fixed")
        add_due_messages(chosen, sent, status="sent", sent_at=sent, channel="in_app", timing="adaptive")
        add_due_messages(fixed, sent, status="sent", sent_at=sent, channel="in_app", timing="fixed")
        db.session.execute(update(OutboxMessage).where(OutboxMessage.user_id.in_(chosen[:6]))
                           .values(opened_at=sent + timedelta(hours=1)))  # fmt: skip
        # Six of the eight came back the next day, at 19:00 on its weekday; one of the six kept at the fixed time.
        back = (sent + timedelta(days=1)).replace(hour=19, minute=0, second=0)
        db.session.execute(insert(LearningEvent), [
            {"id": uuid.uuid4(), "actor_id": i, "verb": "completed", "object_type": "item", "object_id": "1:x",
             "result": None, "context": None, "occurred_at": back, "recorded_at": back}
            for i in (*chosen[:6], fixed[0])
        ])  # fmt: skip
        risk.refresh(utcnow())

    desktop.goto("/login")
    desktop.get_by_label("E-mail").fill("ada@example.com")
    desktop.get_by_label("Password").fill(PASSWORD)
    desktop.get_by_role("button", name="Sign in").click()
    desktop.goto("/insights/")
    desktop.get_by_role("link", name="Touchpoints").click()
    timing = desktop.locator(
        "section", has=desktop.get_by_role("heading", name="At the learner's own time and at the fixed time")
    )
    row = timing.get_by_role("row").nth(1)
    expect(row.locator("td").nth(1)).to_contain_text("6 of 8 came back")
    expect(row.locator("td").nth(1)).to_contain_text("6 of 8 opened")
    expect(row.locator("td").nth(2)).to_contain_text("1 of 6 came back")
    expect(row.locator("td").nth(3)).to_contain_text("points")
    rhythm = desktop.locator("[data-organisation-rhythm]")
    expect(rhythm).to_contain_text("When your learners learn")
    expect(rhythm.get_by_role("listitem").first).to_contain_text(f"{back:%A} 19:00–20:00")
    expect(rhythm).to_contain_text("Learnt from 7 learners")
