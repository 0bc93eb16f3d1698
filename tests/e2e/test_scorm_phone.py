"""SCORM units in the real browser: the vendored scorm-again runtime inside the sandboxed frame,
driven by small packages of both editions. A learner saves half way on one phone, resumes on
another, passes; a unit that tries to reach lxp's own pages, cookies (it sees an empty jar of its own) or API gets nothing."""

import re
import time

from playwright.sync_api import expect
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring import publishing, transfer
from lxp.authoring.models import Competency, Goal
from lxp.core import unit_of_work
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.packages import services as packages
from lxp.packages.models import PackageAttempt
from tests.conftest import PASSWORD, committing
from tests.integration.conftest import MINI
from tests.package_builder import scorm_zip

ESCAPE = """<p id="escape"></p><script>
window.addEventListener("load", function () {
  var out = [];
  try { out.push("parent:" + window.parent.document.title); } catch (e) { out.push("parent:blocked"); }
  try { out.push("cookie:" + document.cookie.length); } catch (e) { out.push("cookie:blocked"); }
  try { window.top.location.href = "/admin"; out.push("top:moved"); } catch (e) { out.push("top:blocked"); }
  fetch("/api/v1/me", {credentials: "include"}).then(function (r) { return r.text(); })
    .then(function (t) { out.push("api:" + t.slice(0, 40)); }, function () { out.push("api:blocked"); })
    .then(function () { document.getElementById("escape").textContent = out.join(" "); });
});
</script>"""


def _course(app, make_user, data: bytes) -> list[str]:
    author = make_user(("admin", "reviewer"), email="author@example.com")
    make_user(("learner",), email="lena@example.com", name="Lena")
    with committing(app):
        admin = db.session.get(User, author)
        version = transfer.import_document(admin, MINI)
        listening = db.session.execute(select(Competency)).scalar_one()
        items = packages.import_package(admin, version.modules[0], data, assesses=[listening.id])
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        refs = [f"{version.course_id}:{item.key}" for item in items]
        unit_of_work.commit()
        db.session.remove()
    return refs


def _sign_in_and_choose(page, first: bool) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill("lena@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if first:
        page.get_by_role("link", name="Choose a goal").click()
        page.get_by_role("checkbox", name="Handle a complaint so the customer stays").check()
        page.get_by_role("button", name="Show my path").click()
        expect(page).to_have_url(re.compile(r"/path$"))


def _wait_for(app, query, predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            found = db.session.execute(query).scalars().all()
            db.session.remove()
        if predicate(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_a_learner_leaves_half_way_resumes_on_another_phone_and_passes(app, browser, live_server, phone, make_user):
    from tests.e2e.conftest import PHONE

    ref = _course(app, make_user, scorm_zip("2004 4th Edition"))[0]
    _sign_in_and_choose(phone, first=True)
    phone.goto(f"/learn/{ref}")
    unit = phone.frame_locator("iframe.package-frame")
    expect(unit.locator("#state")).to_have_text("started")
    expect(unit.locator("#resumed")).to_have_text("entry= data= at= name=Lena")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # full width, no sideways scrolling
    frame_width = phone.locator("iframe.package-frame").bounding_box()["width"]
    assert frame_width >= phone.locator("main").bounding_box()["width"] - 2 * 16 - 2
    unit.locator("#half").click()
    expect(unit.locator("#state")).to_have_text("saved half")
    unit.locator("#leave").click()
    expect(unit.locator("#state")).to_have_text("left")
    attempts = _wait_for(app, select(PackageAttempt), lambda rows: rows and rows[0].sessions == 1)
    assert attempts[0].cmi["cmi"]["suspend_data"] == "page=3;answers=ab" and attempts[0].total_seconds == 60

    other = browser.new_context(**PHONE, base_url=live_server, locale="en-GB")  # another phone
    try:
        page = other.new_page()
        _sign_in_and_choose(page, first=False)
        page.goto(f"/learn/{ref}")
        unit = page.frame_locator("iframe.package-frame")
        expect(unit.locator("#resumed")).to_have_text("entry=resume data=page=3;answers=ab at=page-3 name=Lena")
        unit.locator("#pass").click()
        expect(unit.locator("#state")).to_have_text("passed")
        expect(page.get_by_text("Finished. Your result is saved.")).to_be_visible()
    finally:
        other.close()
    events = _wait_for(app, select(LearningEvent).where(LearningEvent.object_id.in_((ref, "active-listening"))),
                       lambda rows: any(e.verb == "mastered" for e in rows))  # fmt: skip
    verbs = {e.verb: e for e in events}
    assert set(verbs) == {"launched", "suspended", "resumed", "passed", "mastered"}
    assert verbs["suspended"].result["extensions"] == {"location": "page-3"}
    assert verbs["passed"].result["score"]["scaled"] == 0.9 and verbs["passed"].result["duration"] == "PT185S"


def test_a_scorm_12_unit_that_fails_is_recorded_and_cannot_reach_lxp(app, phone, make_user):
    ref = _course(app, make_user, scorm_zip("1.2", mastery="80", extra_html=ESCAPE))[0]
    _sign_in_and_choose(phone, first=True)
    phone.goto(f"/learn/{ref}")
    unit = phone.frame_locator("iframe.package-frame")
    expect(unit.locator("#state")).to_have_text("started")
    expect(unit.locator("#escape")).to_have_text("parent:blocked cookie:0 top:blocked api:blocked")
    expect(phone).to_have_url(re.compile(f"/learn/{re.escape(ref)}$"))  # still on lxp's page
    unit.locator("#fail").click()
    expect(unit.locator("#state")).to_have_text("failed")
    events = _wait_for(app, select(LearningEvent).where(LearningEvent.verb == "failed"), bool)
    assert events[0].result["extensions"]["failed_competencies"] == ["active-listening"]
    assert events[0].result["score"]["raw"] == 40.0
    with committing(app):
        assert db.session.execute(select(Goal)).scalar_one()  # nothing of lxp's changed hands


def test_a_commit_lost_to_a_dropped_connection_is_sent_again_before_the_unit_reloads(app, phone, make_user):
    ref = _course(app, make_user, scorm_zip("2004 3rd Edition"))[0]
    _sign_in_and_choose(phone, first=True)
    phone.route("**/package/commit", lambda route: route.abort("internetdisconnected"))
    phone.goto(f"/learn/{ref}")
    unit = phone.frame_locator("iframe.package-frame")
    expect(unit.locator("#state")).to_have_text("started")
    unit.locator("#half").click()
    expect(phone.get_by_text("You are offline. Your progress is kept on this device")).to_be_visible()
    assert _wait_for(app, select(PackageAttempt), lambda rows: False, timeout=1)[0].seq == 0  # nothing arrived
    phone.unroute("**/package/commit")
    phone.reload()  # the learner comes back: what waited is sent before the unit starts again
    unit = phone.frame_locator("iframe.package-frame")
    expect(unit.locator("#resumed")).to_have_text("entry= data=page=3;answers=ab at=page-3 name=Lena")
    attempts = _wait_for(app, select(PackageAttempt), lambda rows: rows and rows[0].seq > 0)
    assert len(attempts) == 1 and attempts[0].cmi["cmi"]["location"] == "page-3"
    assert phone.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('lxp-package-commits')).map(k => localStorage.getItem(k))"
    ) == ["[]"]
