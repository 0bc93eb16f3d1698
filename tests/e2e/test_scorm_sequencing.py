"""SCORM 2004 packages beyond one page, in the real browser with the vendored runtime: a package
of two SCOs plays as one step and flows from the lesson to the check by the SCO's own
``adl.nav.request`` (and by lxp's bar), with ``adl.nav.request_valid`` from lxp's sequencing;
a SCO whose content sits in an inner frame finds the API from there."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from lxp.events import LearningEvent
from lxp.packages.models import PackageAttempt
from tests.e2e.test_scorm_phone import _course, _sign_in_and_choose, _wait_for
from tests.package_builder import scorm_zip, sequenced_manifest

# In each SCO: what lxp offers it, and a "Next" that asks for the next SCO as real units do.
NAVIGATION = """<p id="nav"></p><button id="next" type="button">Next</button>
<script>
window.addEventListener("DOMContentLoaded", function () {
  var api = window.API_1484_11;
  document.getElementById("nav").textContent = "continue=" + api.GetValue("adl.nav.request_valid.continue") +
    " previous=" + api.GetValue("adl.nav.request_valid.previous") + " part=" + (location.search || "lesson");
  document.getElementById("next").onclick = function () {
    api.SetValue("cmi.completion_status", "completed"); api.SetValue("cmi.exit", "normal");
    api.SetValue("adl.nav.request", "continue"); api.Terminate("");
  };
});
</script>"""


def test_a_two_sco_package_flows_from_the_lesson_to_the_check_and_rolls_up(app, phone, make_user):
    ref = _course(app, make_user, scorm_zip("2004 4th Edition", manifest=sequenced_manifest(), extra_html=NAVIGATION))[
        0
    ]
    _sign_in_and_choose(phone, first=True)
    phone.goto(f"/learn/{ref}")
    unit = phone.frame_locator("iframe.package-frame")
    expect(unit.locator("#nav")).to_have_text("continue=true previous=false part=lesson")
    bar = phone.get_by_role("navigation", name="Parts of this unit")
    expect(bar.get_by_role("button", name="Previous part")).to_be_disabled()
    unit.locator("#next").click()  # the lesson asks for the next SCO itself
    expect(unit.locator("#nav")).to_have_text("continue=true previous=false part=?part=check")
    expect(bar.get_by_role("button", name="Listening drill", exact=True)).to_be_disabled()  # forward only
    unit.locator("#pass").click()
    expect(unit.locator("#state")).to_have_text("passed")
    attempts = _wait_for(app, select(PackageAttempt), lambda rows: rows and rows[0].success)
    assert attempts[0].completed and attempts[0].score == 0.9
    assert set(attempts[0].cmi["scos"]) == {"item-1", "item-2"}
    bar.get_by_role("button", name="Next part").click()  # past the last SCO: the package is done
    expect(phone.get_by_text("Finished. Your result is saved.")).to_be_visible()
    events = _wait_for(app, select(LearningEvent).where(LearningEvent.verb == "mastered"), bool)
    assert events and _wait_for(app, select(PackageAttempt), lambda rows: rows[0].ended)[0].ended


INNER = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Inner</title>
<script>
function findAPI(win) {  // as ADL's sample and authoring tools look: this window, then up the parents
  for (var n = 0; win && n < 7; n += 1) {
    try { if (win.API_1484_11) return win.API_1484_11; } catch (e) { /* a frame of another origin */ }
    if (win.parent === win) break;
    win = win.parent;
  }
  return null;
}
window.addEventListener("DOMContentLoaded", function () {
  var api = findAPI(window) || (window.opener && findAPI(window.opener));
  var out = document.getElementById("inner");
  if (!api) { out.textContent = "no API"; return; }
  api.Initialize("");
  out.textContent = "inner started, name=" + api.GetValue("cmi.learner_name");
  document.getElementById("done").onclick = function () {
    api.SetValue("cmi.completion_status", "completed"); api.SetValue("cmi.success_status", "passed");
    api.SetValue("cmi.score.scaled", "0.8"); api.SetValue("cmi.suspend_data", "from the inner frame");
    api.Commit(""); api.Terminate(""); out.textContent = "inner done";
  };
});
</script></head><body><p id="inner"></p><button id="done" type="button">Done</button></body></html>"""


def test_a_sco_that_calls_the_api_from_an_inner_frame_finds_it(app, phone, make_user):
    shell = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Shell</title></head><body>' \
            '<iframe id="content" src="inner.html" title="content"></iframe></body></html>'  # fmt: skip
    data = scorm_zip("2004 4th Edition", href="unit/shell.html",
                     extra_files={"unit/shell.html": shell.encode(), "unit/inner.html": INNER.encode()})  # fmt: skip
    ref = _course(app, make_user, data)[0]
    _sign_in_and_choose(phone, first=True)
    phone.goto(f"/learn/{ref}")
    inner = phone.frame_locator("iframe.package-frame").frame_locator("#content")
    expect(inner.locator("#inner")).to_have_text("inner started, name=Lena")
    inner.locator("#done").click()
    expect(inner.locator("#inner")).to_have_text("inner done")
    attempts = _wait_for(app, select(PackageAttempt), lambda rows: rows and rows[0].success)
    assert attempts[0].cmi["cmi"]["suspend_data"] == "from the inner frame" and attempts[0].score == 0.8
    expect(phone.get_by_text("Finished. Your result is saved.")).to_be_visible()
    assert re.search(r"/learn/", phone.url)


def test_the_demo_walkthrough_moves_from_its_steps_to_its_check_and_back(app, phone, make_user):
    from lxp.demo.complaint_walkthrough import FILES
    from lxp.demo.package_files import zip_folder

    ref = _course(app, make_user, zip_folder(FILES))[0]
    _sign_in_and_choose(phone, first=True)
    phone.goto(f"/learn/{ref}")
    unit = phone.frame_locator("iframe.package-frame")
    unit.get_by_role("button", name="On to the check").click()
    expect(unit.get_by_role("heading", name="Put them in order")).to_be_visible()
    unit.get_by_role("button", name="Read the steps again").click()  # back is allowed here
    expect(unit.get_by_role("heading", name="From complaint to trust")).to_be_visible()
    expect(unit.get_by_role("button", name="On to the check")).to_be_enabled()
    by_choice = phone.get_by_role("navigation", name="Parts of this unit").get_by_role(
        "button", name="Put them in order"
    )
    expect(by_choice).to_be_enabled()
    # Or by lxp's bar, by choice, from the keyboard: a tap here may land in the unit's frame, which
    # Chromium scrolls back into view after the emulated phone has aimed (seen in this test only).
    by_choice.press("Enter")
    expect(unit.get_by_role("heading", name="Put them in order")).to_be_visible()
    steps = ["Let them finish", "Name what it cost them", "Say what you will do, and by when", "Close the loop"]
    for place, step in enumerate(steps):
        unit.get_by_role("group", name=f"Step {place + 1}").get_by_role("button", name=step).click()
    expect(unit.get_by_role("status")).to_contain_text("4 of 4 in the right place")
    expect(phone.get_by_text("Finished. Your result is saved.")).to_be_visible()
    attempt = _wait_for(app, select(PackageAttempt), lambda rows: rows and rows[0].success)[0]
    assert attempt.completed and attempt.score == 1.0 and set(attempt.cmi["scos"]) == {"steps", "order"}
