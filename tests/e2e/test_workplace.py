"""A learner on a phone sends a photo from the workplace as evidence; their coach on a desktop
asks for another try with a comment; the learner sends it again and the coach accepts it.
Both see the whole history."""

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.integration.test_workplace_fixtures import (  # noqa: F401  (fixtures)
    on_path,
    plan_of,
    png,
    task_course_fixture,
    upload_dir_fixture,
)


def _sign_in(page, email):
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _review(desktop, rating, outcome, comment):
    desktop.get_by_role("link", name="Lena Learner").first.click()
    for legend in ("Names the feeling", "Summarises the need"):
        desktop.locator("fieldset", has_text=legend).get_by_label(rating).check()
    desktop.get_by_label(outcome).check()
    desktop.get_by_label("Comment for the learner").fill(comment)
    desktop.get_by_role("button", name="Send the review").click()


def test_evidence_from_a_phone_is_sent_back_once_then_accepted(app, phone, desktop, make_user, task_course):
    coach_id = make_user(("trainer",), email="clara@example.com", name="Clara Coach")
    learner_id = make_user(("learner",), email="lena@example.com", name="Lena Learner")
    on_path(app, learner_id, task_course["goal"], coach_id)
    ref = task_course["task"]

    _sign_in(phone, "lena@example.com")
    phone.goto(f"/learn/{ref}")
    expect(phone.get_by_role("heading", name="Your evidence")).to_be_visible()
    photos = phone.get_by_label("Photos", exact=True)
    assert photos.get_attribute("capture") == "environment" and photos.get_attribute("accept") == "image/*"
    phone.get_by_label("What you did and how it went").fill("I named the *frustration* first.")
    photos.set_input_files([{"name": "call.png", "mimeType": "image/png", "buffer": png(40, 30)}])
    phone.get_by_role("button", name="Send to my coach").click()
    expect(phone.get_by_text("Sent. Your coach will look at it")).to_be_visible()
    expect(phone.locator("#evidence img[alt='call.png']")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    _sign_in(desktop, "clara@example.com")
    expect(desktop.get_by_role("heading", name="Evidence to review")).to_be_visible()
    _review(desktop, "Not yet", "Needs another try", "Good start. **Summarise the need** before you offer a fix.")
    expect(desktop.get_by_text("Lena Learner is asked for another try, with your comments.")).to_be_visible()
    assert desktop.locator("img[alt='call.png']").evaluate("img => img.naturalWidth") == 40  # served to the coach

    phone.reload()
    expect(phone.get_by_text("Your coach asks for another try")).to_be_visible()
    expect(phone.locator("#try-1")).to_contain_text("Summarise the need")
    expect(phone.get_by_label("What you did and how it went")).to_have_value("I named the *frustration* first.")
    phone.get_by_label("What you did and how it went").fill("I named it, then summarised: *so you need it by Friday*.")
    phone.get_by_label("Photos", exact=True).set_input_files(
        [{"name": "second.png", "mimeType": "image/png", "buffer": png()}]
    )
    phone.get_by_role("button", name="Send to my coach").click()
    expect(phone.get_by_text("Sent. Your coach will look at it")).to_be_visible()

    desktop.goto("/desk")
    _review(desktop, "Does it well", "Accepted", "Exactly that.")
    expect(desktop.get_by_text("Accepted. Lena Learner is told.")).to_be_visible()
    expect(desktop.locator("#try-1")).to_contain_text("Clara Coach asks for another try")
    expect(desktop.locator("#try-2")).to_contain_text("Accepted by Clara Coach")

    phone.reload()
    expect(phone.get_by_text("Your coach has accepted your evidence.")).to_be_visible()
    expect(phone.locator("#try-2")).to_contain_text("Exactly that.")
    expect(phone.locator("#try-1")).to_contain_text("Summarise the need")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert next(s for s in plan_of(app, learner_id).steps if s.ref == ref).done
