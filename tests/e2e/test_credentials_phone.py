"""A learner on a phone finds the credential they earned, downloads its picture and its signed
file, and opens its share page, which says it is genuine; after the admin revokes it, the same
page says it is revoked, and so does the check page given only the picture."""

import re
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring import publishing, transfer
from lxp.authoring.models import Goal
from lxp.core import unit_of_work
from lxp.credentials import services as credentials
from lxp.credentials.models import Credential
from lxp.extensions import db
from lxp.learning import services as learning
from lxp.paths import services as paths
from tests.conftest import PASSWORD, committing

MINI = (Path(__file__).resolve().parents[1] / "data/mini-course.json").read_text()


def _earned(app, make_user) -> tuple[str, int]:
    author = make_user(("admin", "reviewer"), email="author@example.com")
    learner_id = make_user(("learner",), email="lena@example.com", name="Lena Fischer")
    with committing(app):
        admin = db.session.get(User, author)
        version = transfer.import_document(admin, MINI)
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        goal = db.session.execute(select(Goal)).scalar_one()
        learner = db.session.get(User, learner_id)
        paths.start_journey(learner, paths.JourneyChoice((goal.id,), None, None, 60, ("self_paced",)))
        learning.answer_quiz(learner, f"{version.course_id}:listen-check", {"q1": [0]})
        issued = credentials.issue_earned(learner)
        assert len(issued) == 1
        unit_of_work.commit()
        credential_id = issued[0].id
        db.session.remove()
    return credential_id, author


def test_a_learner_downloads_and_shares_a_credential_on_a_phone(app, phone, make_user, tmp_path):
    credential_id, admin_id = _earned(app, make_user)
    page = phone
    page.goto("/login")
    page.get_by_label("E-mail").fill("lena@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Credentials").click()
    expect(page.get_by_role("heading", name="My credentials")).to_be_visible()
    page.get_by_role("link", name="Handle a complaint so the customer stays").click()
    expect(page.locator(".credential-learner")).to_have_text("Lena Fischer")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]

    with page.expect_download() as picture:
        page.get_by_role("link", name="Picture (PNG)").click()
    saved = tmp_path / picture.value.suggested_filename
    picture.value.save_as(saved)
    assert saved.suffix == ".png" and saved.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with page.expect_download() as signed:
        page.get_by_role("link", name="Signed file (.jwt)").click()
    token = Path(signed.value.path()).read_text()
    with committing(app):
        assert token == db.session.get(Credential, credential_id).jwt
        db.session.remove()

    share = page.locator(".share-link").input_value()
    assert share.endswith(f"/verify/{credential_id}")
    page.get_by_role("link", name="Open the public page").click()
    expect(page).to_have_url(re.compile(rf"/verify/{credential_id}$"))
    expect(page.locator("[data-verdict]")).to_contain_text("Genuine and valid")
    expect(page.locator(".credential-learner")).to_have_text("Lena Fischer")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]

    # a stranger's phone, signed out, opens the same link
    stranger = page.context.browser.new_context(viewport=page.viewport_size, base_url=share.split("/verify/")[0])
    other = stranger.new_page()
    other.goto(share)
    expect(other.locator("[data-verdict]")).to_contain_text("Genuine and valid")

    with committing(app):
        admin = db.session.get(User, admin_id)
        credentials.revoke(admin, db.session.get(Credential, credential_id), "Issued to the wrong person")
        unit_of_work.commit()
        db.session.remove()
    other.reload()
    expect(other.locator("[data-verdict]")).to_contain_text("Revoked")
    expect(other.get_by_text("Issued to the wrong person")).to_have_count(0)

    # someone handed only the picture checks it: the page reads the credential baked inside
    other.goto("/verify")
    other.get_by_label("Or its picture (PNG) or certificate (PDF)").set_input_files(str(saved))
    other.get_by_role("button", name="Check", exact=True).click()
    expect(other.locator("[data-verdict]")).to_contain_text("Revoked")
    assert other.evaluate("document.documentElement.scrollWidth") <= other.viewport_size["width"]
    stranger.close()
