"""Admins over the API: a course's touchpoint rules listed, read, changed (words with an unknown
variable refused, naming the field and the variable, nothing stored), reset, and previewed
for a learner. Only the admin role, and with a token only the admin scope."""

from sqlalchemy import func, select

from lxp.extensions import db
from lxp.nudges.models import TouchpointRule
from tests.conftest import committing
from tests.integration.api.conftest import is_problem

ADMIN = ("read", "write", "admin")


def _stored(app) -> int:
    with committing(app):
        return db.session.scalar(select(func.count()).select_from(TouchpointRule))


def test_an_admin_reads_a_courses_touchpoints_in_journey_order(app, published, api_as):
    admin = api_as("admin", scopes=ADMIN)
    journey = admin.get(f"/api/v1/admin/courses/{published['course']}/touchpoints")
    assert journey.status_code == 200, journey.get_data(as_text=True)
    body = journey.get_json()
    assert body["course_id"] == published["course"] and body["title"]
    welcome = body["items"][0]
    assert welcome["key"] == "welcome" and welcome["customised"] is False and welcome["enabled"] is True
    assert welcome["label"] == "A nudge to take the first step, a day after starting"
    assert welcome["params"] == {"delay_hours": 24} and welcome["editable"]["delay_hours"]["max"] == 24 * 14
    assert welcome["templates"]["en"]["subject"] == "Your first step is waiting, {name}"
    assert welcome["templates"]["de"]["subject"] != welcome["templates"]["en"]["subject"]
    assert "name" in welcome["variables"] and "step" in welcome["variables"]
    one = admin.get(f"/api/v1/admin/courses/{published['course']}/touchpoints/welcome").get_json()
    assert one == welcome
    is_problem(admin.get(f"/api/v1/admin/courses/{published['course']}/touchpoints/no-such-rule"), 404)
    is_problem(admin.get("/api/v1/admin/courses/999999/touchpoints"), 404)


def test_an_admin_changes_a_rule_for_a_course_and_resets_it(app, published, api_as):
    admin = api_as("admin", scopes=ADMIN)
    url = f"/api/v1/admin/courses/{published['course']}/touchpoints/welcome"
    changed = admin.patch(url, json={"params": {"delay_hours": 48}, "priority": 70, "channels": ["email", "in_app"],
                                     "templates": {"en": {"subject": "Ready when you are, {name}"}}})  # fmt: skip
    assert changed.status_code == 200, changed.get_data(as_text=True)
    body = changed.get_json()
    assert body["customised"] is True and body["params"] == {"delay_hours": 48} and body["priority"] == 70
    assert body["channels"] == ["email", "in_app"] and body["when"] == "48 hours after it happened"
    assert body["templates"]["en"]["subject"] == "Ready when you are, {name}"
    assert body["templates"]["en"]["body"].startswith("It is \u201c{step}\u201d")  # the body left as it was
    assert admin.get(url).get_json() == body
    reset = admin.post(url + "/reset")
    assert reset.status_code == 200 and reset.get_json()["customised"] is False
    assert reset.get_json()["templates"]["en"]["subject"] == "Your first step is waiting, {name}"
    assert admin.post(url + "/reset").status_code == 200  # twice is the same
    assert _stored(app) == 0


def test_words_with_an_unknown_variable_are_refused_naming_it_and_nothing_is_stored(app, published, api_as):
    admin = api_as("admin", scopes=ADMIN)
    url = f"/api/v1/admin/courses/{published['course']}/touchpoints/welcome"
    body = is_problem(admin.patch(url, json={"priority": 80, "templates": {"de": {"body": "Hallo {nickname}"}}}), 422)
    assert body["errors"][0]["field"] == "templates.de.body"
    assert "{nickname}" in body["errors"][0]["message"] and "{name}" in body["errors"][0]["message"]
    body = is_problem(admin.patch(url, json={"params": {"days": 3}}), 422)
    assert body["errors"][0]["field"] == "params.days"
    body = is_problem(admin.patch(url, json={"params": {"delay_hours": 9999}}), 422)
    assert body["errors"][0]["field"] == "params.delay_hours"
    for bad, field in (({"priority": "high"}, "priority"), ({"channels": ["pigeon"]}, "channels.0"),
                       ({"templates": {"fr": {"subject": "Salut"}}}, "templates.fr"),
                       ({"colour": "red"}, "colour"), ({"channels": ["email", "email"]}, "channels")):  # fmt: skip
        body = is_problem(admin.patch(url, json=bad), 422)
        assert field in [e["field"] for e in body["errors"]], (bad, body)
    assert _stored(app) == 0
    assert admin.get(url).get_json()["priority"] != 80


def test_words_with_a_format_spec_are_refused_naming_the_placeholder(app, published, api_as):
    admin = api_as("admin", scopes=ADMIN)
    url = f"/api/v1/admin/courses/{published['course']}/touchpoints/welcome"
    for placeholder in ("{name:>30000000}", "{name!r}", "{step:d}"):
        body = is_problem(admin.patch(url, json={"templates": {"en": {"subject": f"Hi {placeholder}"}}}), 422)
        assert body["errors"][0]["field"] == "templates.en.subject"
        assert f"Write {placeholder} as {{" in body["errors"][0]["message"]
    assert _stored(app) == 0


def test_a_preview_reads_the_rule_for_one_learner(app, published, api_as, make_user):
    admin = api_as("admin", scopes=ADMIN)
    make_user(("learner",), email="lena@example.com", name="Lena", locale="de")
    url = f"/api/v1/admin/courses/{published['course']}/touchpoints/welcome"
    admin.patch(url, json={"templates": {"de": {"subject": "Los geht's, {name}"}}})
    shown = admin.get(url + "/preview?learner=lena@example.com")
    assert shown.status_code == 200, shown.get_data(as_text=True)
    assert shown.get_json()["subject"] == "Los geht's, Lena" and shown.get_json()["due_now"] is False
    body = is_problem(admin.get(url + "/preview?learner=nobody@example.com"), 400)
    assert body["errors"][0]["field"] == "learner"
    is_problem(admin.get(url + "/preview"), 422)


def test_touchpoints_need_the_admin_role_and_the_admin_scope(app, published, api_as):
    url = f"/api/v1/admin/courses/{published['course']}/touchpoints"
    body = is_problem(api_as("admin", scopes=("read", "write")).get(url), 403)
    assert "admin" in body["detail"]
    for role in ("learner", "trainer", "reviewer"):
        someone = api_as(role)
        is_problem(someone.get(url), 403)
        is_problem(someone.patch(url + "/welcome", json={"priority": 1}), 403)
        is_problem(someone.post(url + "/welcome/reset"), 403)
    assert _stored(app) == 0
