"""A cmi5 AU written with the independent ``@xapi/cmi5`` client (npm, tests/peers/cmi5) plays on a
phone: it fetches its token once, reads LMS.LaunchData, sends initialized, passed, completed and
terminated to lxp's LRS resources for that launch, and lxp records the result."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lxp.events import LearningEvent
from tests.e2e.test_scorm_phone import _course, _sign_in_and_choose, _wait_for
from tests.package_builder import cmi5_blocks_zip, cmi5_zip

CLIENT = Path(__file__).resolve().parents[1] / "peers/cmi5/node_modules/@xapi/cmi5/dist/Cmi5.umd.js"


@pytest.fixture
def client_js():
    if not CLIENT.exists():
        pytest.skip("the cmi5 peer is not installed: (cd tests/peers/cmi5 && npm ci)")
    return CLIENT.read_bytes()


def test_a_cmi5_au_fetches_its_token_once_reports_and_passes(app, phone, make_user, client_js):
    ref = _course(app, make_user, cmi5_zip(client_js))[0]
    _sign_in_and_choose(phone, first=True)
    phone.goto(f"/learn/{ref}")
    au = phone.frame_locator("iframe.package-frame")
    # The AU reads its launch data and the learner's preferences (their language in lxp).
    expect(au.locator("#state")).to_have_text("initialized moveOn=CompletedAndPassed language=en")
    au.locator("#again").click()  # the token of a launch is fetched once
    expect(au.locator("#state")).to_have_text(re.compile(r"^refused"))
    au.locator("#pass").click()
    expect(au.locator("#state")).to_have_text("passed")
    events = _wait_for(app, select(LearningEvent), lambda rows: any(e.verb == "completed" for e in rows))
    verbs = {e.verb: e for e in events}
    assert {"launched", "passed", "mastered", "completed"} <= set(verbs)
    assert verbs["passed"].result["score"]["scaled"] == 0.9
    # lxp as the LMS: the AU's moveOn (completed and passed) is met, and the package's only AU
    # makes the course satisfied too; the session terminated, so nothing was abandoned.
    satisfied = _wait_for(
        app, select(LearningEvent).where(LearningEvent.verb == "satisfied"), lambda rows: len(rows) == 2
    )
    assert sorted(e.object_type for e in satisfied) == ["cmi5_course", "item"]
    phone.goto(f"/learn/{ref}")
    expect(au.locator("#state")).to_have_text(re.compile(r"^initialized"))
    assert "abandoned" not in {e.verb for e in _wait_for(app, select(LearningEvent), lambda rows: True)}


def test_a_cmi5_session_left_without_terminating_is_abandoned_on_the_next_launch(app, phone, make_user, client_js):
    ref = _course(app, make_user, cmi5_zip(client_js))[0]
    _sign_in_and_choose(phone, first=True)
    phone.goto(f"/learn/{ref}")
    au = phone.frame_locator("iframe.package-frame")
    expect(au.locator("#state")).to_have_text(re.compile(r"^initialized"))
    phone.reload()  # the learner leaves the unit without it sending terminated, and opens it again
    expect(au.locator("#state")).to_have_text(re.compile(r"^initialized"))
    abandoned = _wait_for(app, select(LearningEvent).where(LearningEvent.verb == "abandoned"), lambda rows: rows)
    assert [e.object_id for e in abandoned] == [ref]


def test_a_cmi5_au_in_nested_blocks_reads_its_registration_back_and_keeps_preferences(app, phone, make_user, client_js):
    refs = _course(app, make_user, cmi5_blocks_zip(client_js))
    listening = refs[0]  # the first AU: in "Part one" › "Warm-up"
    _sign_in_and_choose(phone, first=True)
    phone.goto(f"/learn/{listening}")
    expect(phone.locator(".cmi5-blocks")).to_have_text(re.compile(r"Part one.*Warm-up", re.S))
    au = phone.frame_locator("iframe.package-frame")
    expect(au.locator("#state")).to_have_text("initialized moveOn=Completed language=en")
    au.locator("#pass").click()
    expect(au.locator("#state")).to_have_text("passed")
    # The inner block holds only this AU: satisfied with it; the outer one waits for the summary.
    satisfied = _wait_for(
        app, select(LearningEvent).where(LearningEvent.verb == "satisfied"), lambda rows: len(rows) == 2
    )
    assert sorted(e.object_type for e in satisfied) == ["cmi5_block", "item"]
    # The client's own xAPI calls: the registration read back holds what the AU sent, as sent,
    # and the LMS's statements; the preferences it writes are what the next launch reads.
    au.locator("#read").click()
    expect(au.locator("#state")).to_have_text(
        "read launched,initialized,passed,completed,satisfied,satisfied,terminated"
    )
    au.locator("#prefs").click()
    expect(au.locator("#state")).to_have_text("preferences kept")
    phone.goto(f"/learn/{listening}")
    expect(au.locator("#state")).to_have_text("initialized moveOn=Completed language=de")
