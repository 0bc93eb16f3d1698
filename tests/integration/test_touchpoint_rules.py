"""Admins shape a course's touchpoints: their words per language (checked for unknown
variables when saved), switching one off, and a preview of how one reads for a learner."""

from datetime import timedelta

from sqlalchemy import func, select

from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges import services as nudges
from lxp.nudges.models import OutboxMessage, TouchpointRule
from lxp.paths.models import Journey
from tests.conftest import committing, sign_in, submit
from tests.integration.conftest import start_path


def _quiet_learner(app, published, make_user, **fields):
    """A learner who started the course's path nine days ago and has not been back."""
    learner_id = make_user(("learner",), **fields)
    client = app.test_client()
    with committing(app):
        from lxp.accounts.models import User

        email = db.session.get(User, learner_id).email
    sign_in(client, email)
    start_path(client, published)
    with committing(app):
        journey = db.session.execute(select(Journey).where(Journey.learner_id == learner_id)).scalar_one()
        journey.created_at = utcnow() - timedelta(days=9)
        db.session.commit()
    return learner_id, email


def _rule_form(client, course, key, **changes):
    page = client.get(f"/admin/courses/{course}/touchpoints/{key}").get_data(as_text=True)
    assert "Preview for a learner" in page
    data = {"enabled": "y", "priority": "30", "days": "5", "holdout_percent": "0", "channel_1": "", "channel_2": "",
            "channel_3": "", "en_subject": "", "en_body": "", "de_subject": "", "de_body": "", "ru_subject": "",
            "ru_body": ""}  # fmt: skip
    data.update(changes)
    return submit(
        client, f"/admin/courses/{course}/touchpoints/{key}", {k: v for k, v in data.items() if v is not None}
    )


def _rows(app, rule):
    with committing(app):
        rows = (
            db.session.execute(select(OutboxMessage).where(OutboxMessage.rule == rule).order_by(OutboxMessage.id))
            .scalars()
            .all()
        )
        db.session.expunge_all()
        return rows


def test_an_admins_german_words_reach_a_german_learner_with_the_reason_still_ours(
    app, client, login_as, make_user, published
):
    admin = login_as("admin")
    assert "Touchpoints" in client.get(f"/admin/courses/{published['course']}").get_data(as_text=True)
    journey = client.get(f"/admin/courses/{published['course']}/touchpoints").get_data(as_text=True)
    assert "Nudges after a few quiet days" in journey and "after 5 quiet days" in journey
    learner_id, _email = _quiet_learner(app, published, make_user, locale="de", name="Jana Berg")
    response = _rule_form(client, published["course"], "inactive", days="7",
                          de_subject="{name}, fünf Minuten für {course}?",
                          de_body="Weiter geht es mit \u201e{step}\u201c.")  # fmt: skip
    assert response.status_code == 302
    with committing(app):
        stored = db.session.execute(select(TouchpointRule)).scalar_one()
        assert stored.updated_by_id == admin.id and set(stored.templates) == {"de"}  # only what was changed
        nudges.plan_touchpoints(utcnow())
    [row] = _rows(app, "inactive")
    assert row.subject == "Jana Berg, fünf Minuten für Listening so customers feel heard?"
    assert row.body.startswith("Weiter geht es mit \u201e") and row.body != "Weiter geht es mit \u201e\u201c."
    # The reason is always ours, with the course's own number of quiet days.
    assert row.why == (
        "Sie haben seit 9 Tagen keine Lernaktivität auf Ihrem Lernpfad. Diese Erinnerung kommt nach "
        "7 Tagen ohne Lernaktivität."
    )
    assert row.course_id == published["course"]


def test_a_template_with_an_unknown_variable_is_refused_naming_it_and_nothing_is_stored(
    app, client, login_as, published
):
    login_as("admin")
    response = _rule_form(client, published["course"], "inactive", en_subject="Hello {first_name}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Unknown variable {first_name}." in page and "{name}" in page
    response = _rule_form(client, published["course"], "inactive", en_subject="Hello {name")
    assert response.status_code == 400 and "Write variables in braces" in response.get_data(as_text=True)
    assert _rule_form(client, published["course"], "inactive", days="1").status_code == 400  # below the range
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(TouchpointRule)) == 0


def test_a_rule_switched_off_for_the_course_plans_nothing_until_it_is_reset(
    app, client, login_as, make_user, published
):
    login_as("admin")
    _quiet_learner(app, published, make_user)
    assert _rule_form(client, published["course"], "inactive", enabled=None).status_code == 302
    assert "changed for this course" in client.get(f"/admin/courses/{published['course']}/touchpoints").get_data(
        as_text=True
    )
    with committing(app):
        nudges.plan_touchpoints(utcnow())
    assert _rows(app, "inactive") == []
    submit(client, f"/admin/courses/{published['course']}/touchpoints/inactive/reset", {},
           form_page=f"/admin/courses/{published['course']}/touchpoints/inactive")  # fmt: skip
    with committing(app):
        nudges.plan_touchpoints(utcnow())
    assert len(_rows(app, "inactive")) == 1


def test_the_preview_shows_what_is_due_for_a_learner_or_example_values(app, client, login_as, make_user, published):
    login_as("admin")
    _learner_id, quiet = _quiet_learner(app, published, make_user)
    url = f"/admin/courses/{published['course']}/touchpoints/inactive"
    page = client.get(url, query_string={"learner": quiet}).get_data(as_text=True)
    assert "Why you got this: You have had no learning activity on your path for 9 days." in page
    assert "This reminder comes after 5 days without any." in page
    assert "with example values" not in page
    busy = make_user(("learner",), email="busy@example.com")
    assert busy
    page = client.get(url, query_string={"learner": "busy@example.com"}).get_data(as_text=True)
    assert "Nothing of this kind is due for" in page and "with example values" in page
    response = client.get(url, query_string={"learner": "nobody@example.com"})
    assert response.status_code == 400
    assert "No one in your organisation has that e-mail address." in response.get_data(as_text=True)
    assert _rows(app, "inactive") == []  # a preview plans nothing


def test_only_admins_of_the_courses_organisation_see_its_touchpoints(app, make_user, published, other_organisation):
    url = f"/admin/courses/{published['course']}/touchpoints"

    for n, (roles, fields, status) in enumerate([
        (("learner",), {}, 403), (("trainer",), {}, 403), (("admin",), {"organisation_id": other_organisation}, 404),
    ]):  # fmt: skip
        make_user(roles, email=f"who{n}@example.com", **fields)
        client = app.test_client()
        sign_in(client, f"who{n}@example.com")
        assert client.get(url).status_code == status
        assert client.get(f"{url}/inactive").status_code == status
        assert client.post(f"{url}/inactive/reset").status_code == 400  # no token, no change either way
    make_user(("admin",), email="admin@example.com")
    client = app.test_client()
    sign_in(client, "admin@example.com")
    assert client.get(f"{url}/no-such-rule").status_code == 404


def test_delivery_follows_the_courses_channels_and_spends_the_weekly_cap_on_the_higher_priority(
    app, client, login_as, make_user, published, mailbox
):
    login_as("admin")
    learner_id, email = _quiet_learner(app, published, make_user)
    with committing(app):
        from lxp.accounts.models import User

        learner = db.session.get(User, learner_id)
        nudges.save_preferences(learner, {}, {"nudge": ["email"]}, None, None, 1)  # e-mail for nudges; one a week
    # The course keeps its quiet-days nudge in the inbox, and puts a failed check first.
    assert _rule_form(client, published["course"], "inactive", channel_1="in_app").status_code == 302
    assert _rule_form(client, published["course"], "failed_check", days=None, delay_hours="24", priority="90",
                      channel_1="email").status_code == 302  # fmt: skip
    with committing(app):
        from lxp import events

        events.record(actor_id=learner_id, verb="failed", object_type="item", object_id=published["quiz"],
                      occurred_at=utcnow() - timedelta(days=8))  # fmt: skip
        db.session.commit()
        later = utcnow() + timedelta(hours=1)
        nudges.plan_touchpoints(later - timedelta(days=7) + timedelta(hours=1))  # the check's nudge, a week ago
        nudges.plan_touchpoints(later)
        [failed] = _rows(app, "failed_check")
        [quiet] = _rows(app, "inactive")
        db.session.execute(
            OutboxMessage.__table__.update().values(due_at=later - timedelta(minutes=1), status="pending",
                                                    expires_at=later + timedelta(hours=1))
        )  # fmt: skip
        db.session.commit()
        nudges.deliver_outbox(later)
    failed, quiet = _rows(app, "failed_check")[0], _rows(app, "inactive")[0]
    assert (failed.status, failed.channel) == ("sent", "email")  # priority 90 took the one message a week
    assert (quiet.status, quiet.outcome) == ("folded", "weekly_cap")
    assert [m["Subject"] for m in mailbox.to(email)] == [failed.subject]


def test_a_course_that_keeps_a_nudge_in_the_inbox_sends_no_mail_even_to_a_learner_who_allows_it(
    app, client, login_as, make_user, published, mailbox
):
    login_as("admin")
    learner_id, email = _quiet_learner(app, published, make_user)
    with committing(app):
        from lxp.accounts.models import User

        nudges.save_preferences(db.session.get(User, learner_id), {}, {"nudge": ["email"]}, None, None, 5)
    assert _rule_form(client, published["course"], "inactive", channel_1="in_app").status_code == 302
    with committing(app):
        nudges.plan_touchpoints(utcnow())
        nudges.deliver_outbox(utcnow())
    [quiet] = _rows(app, "inactive")
    assert (quiet.status, quiet.channel) == ("sent", "in_app") and mailbox.to(email) == []


def test_a_template_with_a_format_spec_or_conversion_is_refused_naming_the_placeholder(
    app, client, login_as, published
):
    login_as("admin")
    for placeholder in ("{name:d}", "{name!r}", "{name:>30000000}", "{name!s:>5}"):
        response = _rule_form(client, published["course"], "inactive", en_subject=f"Hello {placeholder}")
        page = response.get_data(as_text=True)
        assert response.status_code == 400, placeholder
        assert f"Write {placeholder} as {{name}}" in page.replace("&gt;", ">")
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(TouchpointRule)) == 0


def test_a_stored_template_with_format_specs_renders_plainly_and_never_pads(
    app, client, login_as, make_user, published
):
    """Templates stored before specs were refused: the preview and the planning ignore the spec."""
    login_as("admin")
    _learner_id, quiet = _quiet_learner(app, published, make_user, name="Jana Berg")
    with committing(app):
        db.session.add(TouchpointRule(course_id=published["course"], key="inactive", params={"days": 5},
                                      templates={"en": {"subject": "Hi {name:>30000000}", "body": "{name!r} {days:d}"}}))  # fmt: skip
        db.session.commit()
    page = client.get(f"/admin/courses/{published['course']}/touchpoints/inactive", query_string={"learner": quiet})
    assert page.status_code == 200 and len(page.get_data()) < 1_000_000
    assert "Hi Jana Berg" in page.get_data(as_text=True)
    with committing(app):
        nudges.plan_touchpoints(utcnow())
    [row] = _rows(app, "inactive")
    assert (row.subject, row.body) == ("Hi Jana Berg", "Jana Berg 9")


def _published_in(app, make_user, organisation_id):
    """The example course published in another organisation; its ids as ``published`` gives them."""
    from lxp.accounts.models import User
    from lxp.authoring import publishing, transfer
    from lxp.authoring.models import Goal
    from tests.integration.conftest import MINI

    author = make_user(("admin", "reviewer"), organisation_id=organisation_id)
    with committing(app):
        admin = db.session.get(User, author)
        version = transfer.import_document(admin, MINI)
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        goal = db.session.execute(select(Goal).where(Goal.organisation_id == organisation_id)).scalar_one()
        return {"course": version.course_id, "goal": goal.id}


def test_one_courses_broken_rule_stops_no_other_and_its_page_says_why(
    app, client, login_as, make_user, published, other_organisation
):
    """A template no one can read (stored before it was checked) fails its own course's rule;
    the rule still plans for another organisation's course, and the admin sees the failure."""
    login_as("admin")
    other = _published_in(app, make_user, other_organisation)
    _quiet_learner(app, published, make_user)
    _quiet_learner(app, other, make_user, organisation_id=other_organisation)
    with committing(app):
        db.session.add(TouchpointRule(course_id=published["course"], key="inactive", params={"days": 5},
                                      templates={"en": {"subject": "Hi {name", "body": ""}}))  # fmt: skip
        db.session.commit()
        nudges.plan_touchpoints(utcnow())
    rows = _rows(app, "inactive")
    assert [r.course_id for r in rows] == [other["course"]]
    page = client.get(f"/admin/courses/{published['course']}/touchpoints").get_data(as_text=True)
    assert "Failed at its last run" in page and "expected &#39;}&#39; before end of string" in page
    page = client.get(f"/admin/courses/{published['course']}/touchpoints/inactive").get_data(as_text=True)
    assert "Failed at its last run" in page
    api = client.get(f"/api/v1/admin/courses/{published['course']}/touchpoints/inactive").get_json()
    assert api["last_error"] == "expected '}' before end of string" and api["last_error_at"]
    # Mended, the next run plans it and the failure note goes.
    assert _rule_form(client, published["course"], "inactive", en_subject="Hi {name}").status_code == 302
    with committing(app):
        nudges.plan_touchpoints(utcnow())
    assert len(_rows(app, "inactive")) == 2
    page = client.get(f"/admin/courses/{published['course']}/touchpoints").get_data(as_text=True)
    assert "Failed at its last run" not in page
