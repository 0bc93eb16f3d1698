"""Issue #22's "Done when", end to end in the real browser: an admin uploads a SCORM 2004
package of two SCOs (with sequencing) and a cmi5 course to a course's draft; once published,
a learner plays both on a phone, leaves the SCORM package half way, resumes it on another
browser, flows to its check and passes, and passes the cmi5 AU; the path, Today, the journey
map and the xAPI statements show it, and the course document's round trip keeps the packages."""

import json
import re

from playwright.sync_api import expect
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring import publishing, transfer
from lxp.authoring.models import Course, CourseVersion, Item
from lxp.core import unit_of_work
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.lrs.statements import statement
from tests.conftest import PASSWORD, committing
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_cmi5_phone import client_js  # noqa: F401  (the fixture)
from tests.e2e.test_scorm_phone import _sign_in_and_choose, _wait_for
from tests.e2e.test_scorm_sequencing import NAVIGATION
from tests.integration.conftest import MINI
from tests.package_builder import cmi5_zip, scorm_zip, sequenced_manifest


def _course_without_items() -> str:
    """The example course with its own lesson and check taken out: the packages teach and assess."""
    document = json.loads(MINI)
    document["course"]["modules"][0]["items"] = []
    document["goals"][0]["packages"] = []
    return json.dumps(document)


def _upload(page, course_id: int, data: bytes, name: str, role: str) -> None:
    page.goto(f"/admin/courses/{course_id}/packages/new")
    page.get_by_label("Package (a SCORM or cmi5 zip)").set_input_files(
        {"name": name, "mimeType": "application/zip", "buffer": data}
    )
    page.get_by_role("group", name=role).get_by_role("checkbox").first.check()
    page.get_by_role("button", name="Import the package").click()
    expect(page.get_by_text("Package imported: 1 items added.")).to_be_visible()


def test_an_admin_s_scorm_2004_and_cmi5_packages_played_on_a_phone_resumed_elsewhere_and_passed(
    app,
    browser,
    live_server,
    make_user,
    client_js,  # noqa: F811
):
    author = make_user(("admin", "reviewer"), email="author@example.com")
    make_user(("learner",), email="lena@example.com", name="Lena")
    with committing(app):
        course_id = transfer.import_document(db.session.get(User, author), _course_without_items()).course_id
    scorm = scorm_zip("2004 4th Edition", manifest=sequenced_manifest(), extra_html=NAVIGATION)

    admin = browser.new_context(**DESKTOP, base_url=live_server, locale="en-GB")
    admin_page = admin.new_page()
    admin_page.goto("/login")
    admin_page.get_by_label("E-mail").fill("author@example.com")
    admin_page.get_by_label("Password").fill(PASSWORD)
    admin_page.get_by_role("button", name="Sign in").click()
    _upload(admin_page, course_id, scorm, "listening.zip", "Teaches")  # the lesson and its practice
    _upload(admin_page, course_id, cmi5_zip(client_js), "check.zip", "Assesses")  # the check
    with committing(app):
        version = db.session.execute(select(CourseVersion).where(CourseVersion.course_id == course_id)).scalar_one()
        publishing.submit_for_review(db.session.get(User, author), version)
        publishing.approve(db.session.get(User, author), version)
        version_id = version.id
        units = {i.content["standard"]: f"{course_id}:{i.key}" for i in version.items if i.kind in ("scorm", "cmi5_au")}
        unit_of_work.commit()
    scorm_ref, cmi5_ref = units["scorm_2004_4"], units["cmi5"]

    phone_context = browser.new_context(**PHONE, base_url=live_server, locale="en-GB")
    other_context = browser.new_context(**PHONE, base_url=live_server, locale="en-GB")
    try:
        phone = phone_context.new_page()
        _sign_in_and_choose(phone, first=True)  # the packages are on the learner's path
        for title in ("Listening drill", "Listening check"):
            expect(phone.locator(".station", has_text=title)).to_be_visible()
        phone.goto(f"/learn/{scorm_ref}")
        unit = phone.frame_locator("iframe.package-frame")
        expect(unit.locator("#state")).to_have_text("started")
        unit.locator("#half").click()
        expect(unit.locator("#state")).to_have_text("saved half")
        unit.locator("#leave").click()  # half way through the lesson, the learner leaves
        expect(unit.locator("#state")).to_have_text("left")
        _wait_for(app, select(LearningEvent).where(LearningEvent.verb == "suspended"), bool)

        other = other_context.new_page()  # another browser
        _sign_in_and_choose(other, first=False)
        other.goto(f"/learn/{scorm_ref}")
        unit = other.frame_locator("iframe.package-frame")
        expect(unit.locator("#resumed")).to_have_text("entry=resume data=page=3;answers=ab at=page-3 name=Lena")
        unit.locator("#next").click()  # on to the check, by the package's own flow
        expect(unit.locator("#nav")).to_have_text("continue=true previous=false part=?part=check")
        unit.locator("#pass").click()
        expect(other.get_by_text("Finished. Your result is saved.")).to_be_visible()

        other.goto(f"/learn/{cmi5_ref}")
        au = other.frame_locator("iframe.package-frame")
        expect(au.locator("#state")).to_have_text(re.compile(r"^initialized"))
        au.locator("#pass").click()
        expect(au.locator("#state")).to_have_text("passed")
        passed = _wait_for(
            app, select(LearningEvent).where(LearningEvent.verb == "passed"), lambda rows: len(rows) == 2
        )
        assert {e.object_id for e in passed} == {scorm_ref, cmi5_ref}

        other.goto("/path")  # the path shows both done
        for title in ("Listening drill", "Listening check"):
            expect(other.locator(".station.done", has_text=title)).to_be_visible()
        other.goto("/today")  # both were the whole path: Today says so
        expect(other.get_by_role("heading", name="You have done every step of your path.")).to_be_visible()
    finally:
        phone_context.close()
        other_context.close()

    admin_page.goto(f"/insights/courses/{course_id}")  # the journey map: where the learner left the package
    table = admin_page.locator(".package-units-table")
    expect(table).to_contain_text("Listening drill")
    admin.close()

    with app.app_context():
        passed = db.session.scalars(select(LearningEvent).where(LearningEvent.verb == "passed")).all()
        shaped = {e.object_id: statement(event_id=e.id, actor_id=e.actor_id, verb=e.verb, object_type=e.object_type,
                                         object_id=e.object_id, result=e.result, context=e.context,
                                         occurred_at=e.occurred_at, recorded_at=e.recorded_at,
                                         base_url="https://lxp.example") for e in passed}  # fmt: skip
        assert shaped[scorm_ref]["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed"
        assert shaped[scorm_ref]["result"]["score"]["scaled"] == 0.9 and shaped[scorm_ref]["result"]["success"]
        assert shaped[cmi5_ref]["result"]["success"] is True
        db.session.remove()

    with committing(app):  # the course document names both packages; its import plays them again
        document = json.loads(transfer.export_document(db.session.get(Course, course_id)))
        copy = json.dumps({**document, "course": {**document["course"], "slug": "listening-copy"}, "goals": []})
        again = transfer.import_document(db.session.get(User, author), copy)
        kept = {i.kind: i.content for i in again.items if i.kind in ("scorm", "cmi5_au")}
        original = {i.kind: i.content for i in db.session.scalars(select(Item).where(Item.version_id == version_id))}
        assert kept["scorm"]["package"] == original["scorm"]["package"] and len(kept["scorm"]["scos"]) == 2
        assert kept["cmi5_au"]["package"] == original["cmi5_au"]["package"]
