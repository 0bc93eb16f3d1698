"""A SCORM unit on a phone that loses its connection mid-attempt: what the unit commits while
offline is kept on the phone and sent when the phone is back online, in order, and lxp keeps
it exactly once, even when an answer was lost after lxp had stored the commit."""

from playwright.sync_api import expect
from sqlalchemy import select

from lxp.events import LearningEvent
from lxp.packages.models import PackageAttempt
from tests.e2e.test_scorm_phone import _course, _sign_in_and_choose, _wait_for
from tests.package_builder import scorm_zip


def test_commits_made_offline_arrive_once_and_in_order_when_the_phone_is_back(app, phone, make_user):
    ref = _course(app, make_user, scorm_zip("2004 4th Edition"))[0]
    _sign_in_and_choose(phone, first=True)
    lost = []

    def store_then_lose_the_answer(route):  # lxp stores the commit; the phone never hears back
        route.fetch()
        lost.append(route.request.post_data_json["seq"])
        route.abort("internetdisconnected")

    phone.route("**/package/commit", store_then_lose_the_answer)
    phone.goto(f"/learn/{ref}")
    unit = phone.frame_locator("iframe.package-frame")
    expect(unit.locator("#state")).to_have_text("started")
    unit.locator("#half").click()
    expect(phone.get_by_text("You are offline. Your progress is kept on this device")).to_be_visible()
    stored = _wait_for(app, select(PackageAttempt), lambda rows: rows and rows[0].seq > 0)[0]
    assert lost and stored.seq == lost[0] and stored.cmi["cmi"]["location"] == "page-3"
    phone.unroute("**/package/commit")

    phone.context.set_offline(True)  # the train enters a tunnel
    unit.locator("#pass").click()  # the unit commits its result and ends the session, offline
    expect(unit.locator("#state")).to_have_text("passed")
    phone.wait_for_timeout(500)
    attempt = _wait_for(app, select(PackageAttempt), lambda rows: False, timeout=0.5)[0]
    assert attempt.seq == stored.seq and not attempt.success  # nothing arrived while offline
    waiting = phone.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('lxp-package-commits'))"
        ".map(k => JSON.parse(localStorage.getItem(k)))[0]"
    )
    assert [entry["seq"] for entry in waiting] == sorted(entry["seq"] for entry in waiting)
    assert waiting[-1]["terminated"] and waiting[-1]["cmi"]["cmi"]["success_status"] == "passed"

    phone.context.set_offline(False)  # out of the tunnel: what waited is sent on its own
    attempt = _wait_for(app, select(PackageAttempt), lambda rows: rows and rows[0].sessions)[0]
    assert attempt.seq == waiting[-1]["seq"] and attempt.sessions == 1 and attempt.score == 0.9
    assert attempt.cmi["cmi"]["suspend_data"] == "page=3;answers=ab"  # the half-way data came along
    expect(phone.get_by_text("Finished. Your result is saved.")).to_be_visible()
    events = _wait_for(app, select(LearningEvent).where(LearningEvent.object_id == ref),
                       lambda rows: any(e.verb == "passed" for e in rows))  # fmt: skip
    assert sorted(e.verb for e in events) == ["launched", "passed"]  # each once
    assert phone.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('lxp-package-commits')).map(k => localStorage.getItem(k))"
    ) == ["[]"]
