"""Asking for feedback on practice (issue #21): after sharing their work, a learner asks the space,
and colleagues by name, a short question; the colleagues asked hear of it and the asker hears of
each answer through the touchpoints, with "fewer like this" and quiet hours as everywhere; only
the sharer asks, only people of the space can be named; the API does the same."""

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.extensions import db
from lxp.nudges import services as nudges
from lxp.social.models import SpacePost, SpaceThread
from lxp.workplace import services as workplace
from tests.conftest import committing, submit
from tests.integration.api.conftest import ApiClient, make_token
from tests.integration.social_fixtures import _client, next_noon_utc, plan_and_deliver
from tests.integration.test_social_sharing import _cohort
from tests.integration.test_workplace_fixtures import (  # noqa: F401  (fixtures)
    on_path,
    task_course_fixture,
    upload_dir_fixture,
)


def _shared_work(app, make_user, task_course):
    people = {
        "lena": make_user(("learner",), email="lena@example.com", name="Lena Learner"),
        "mia": make_user(("learner",), email="mia@example.com", name="Mia Maier"),
        "sam": make_user(("learner",), email="sam@example.com", name="Sam Second"),
        "ben": make_user(("learner",), email="ben@example.com", name="Ben Other"),  # another cohort
    }
    _cohort(app, people["lena"], people["mia"], people["sam"])
    _cohort(app, people["ben"], name="Other team")
    on_path(app, people["lena"], task_course["goal"])
    ref = task_course["task"]
    with committing(app):
        workplace.save_evidence(db.session.get(User, people["lena"]), ref, "I named the feeling first.", "", [],
                                submit=True)  # fmt: skip
    lena = _client(app, "lena@example.com")
    submit(lena, f"/spaces/share/evidence/{ref}", {"space": ""}, form_page=f"/learn/{ref}")
    with committing(app):
        thread_id = db.session.scalar(select(SpaceThread.id).where(SpaceThread.kind == "shared"))
    return people, lena, thread_id


def test_the_sharer_asks_named_colleagues_who_hear_of_it_and_the_sharer_hears_of_the_answer(
    app, make_user, task_course
):
    people, lena, thread_id = _shared_work(app, make_user, task_course)
    page = f"/spaces/threads/{thread_id}"
    form = lena.get(page).get_data(as_text=True)
    assert 'id="ask-feedback"' in form and "Mia Maier" in form and "Sam Second" in form and "Ben Other" not in form

    refused = submit(lena, f"{page}/feedback-requests", {"question": "Too slow?", "people": [str(people["ben"])]},
                     form_page=page)  # fmt: skip
    assert refused.status_code == 400 and "Choose people of this space." in refused.get_data(as_text=True)
    empty = submit(lena, f"{page}/feedback-requests", {"question": "  "}, form_page=page)
    assert empty.status_code == 400
    with committing(app):
        assert db.session.scalar(select(SpacePost.id).where(SpacePost.asks_feedback_at.is_not(None))) is None

    asked = submit(lena, f"{page}/feedback-requests", {"question": "Was my first question the right one?",
                   "people": [str(people["mia"])]}, form_page=page)  # fmt: skip
    assert asked.status_code == 302
    mia = _client(app, "mia@example.com")
    shown = mia.get(page).get_data(as_text=True)
    assert "Lena Learner asks: Was my first question the right one?" in shown and 'id="ask-feedback"' not in shown
    assert plan_and_deliver(app, next_noon_utc(), "feedback_asked") == {
        (people["mia"], "sent", None)
    }  # Sam was not named
    assert "Lena Learner asks for your feedback" in mia.get("/inbox").get_data(as_text=True)
    assert plan_and_deliver(app, next_noon_utc(), "mentioned") == set()  # not also a plain mention

    submit(mia, f"{page}/feedback", {"worked": "Naming it", "suggestion": "Summarise the need"}, form_page=page)
    assert plan_and_deliver(app, next_noon_utc(), "feedback_given") == {(people["lena"], "sent", None)}
    assert "Mia Maier gave you feedback" in lena.get("/inbox").get_data(as_text=True)

    # "Fewer like this" holds: Lena mutes the rule, and Sam's answer waits no more in her inbox.
    with committing(app):
        nudges.mute_rule(db.session.get(User, people["lena"]), "feedback_given")
    submit(_client(app, "sam@example.com"), f"{page}/feedback", {"worked": "Calm", "suggestion": "Slower"},
           form_page=page)  # fmt: skip
    assert (people["lena"], "skipped", "rule_muted") in plan_and_deliver(app, next_noon_utc(), "feedback_given")


def test_only_the_sharer_asks_and_quiet_hours_hold(app, make_user, task_course, other_organisation):
    people, lena, thread_id = _shared_work(app, make_user, task_course)
    page = f"/spaces/threads/{thread_id}"
    mia = _client(app, "mia@example.com")
    assert submit(mia, f"{page}/feedback-requests", {"question": "Mine?"}, form_page=page).status_code == 404
    make_user(("learner",), email="far@other.example", organisation_id=other_organisation)
    make_user(("admin",), email="faradmin@other.example", organisation_id=other_organisation)
    for outsider in ("ben@example.com", "far@other.example", "faradmin@other.example"):  # another cohort, organisation
        client = _client(app, outsider)
        for action, data in (
            ("feedback-requests", {"question": "x"}),
            ("feedback", {"worked": "a", "suggestion": "b"}),
        ):
            assert submit(client, f"{page}/{action}", data, form_page="/me").status_code in (403, 404), outsider
        assert client.get(page).status_code == 404
    with committing(app):
        assert db.session.scalar(select(SpacePost.id).where(SpacePost.body.in_(("x", "a")))) is None
    submit(lena, f"{page}/feedback-requests", {"question": "Clear enough?", "people": [str(people["sam"])]},
           form_page=page)  # fmt: skip
    night = next_noon_utc().replace(hour=23)  # Sam's quiet hours (21:00-07:30 UTC by default)
    assert plan_and_deliver(app, night, "feedback_asked") == {(people["sam"], "pending", "quiet_hours")}
    with committing(app):
        assert len(db.session.scalars(select(SpacePost).where(SpacePost.asks_feedback_at.is_not(None))).all()) == 1


def test_the_api_shares_work_asks_for_feedback_and_gives_it(app, make_user, task_course):
    people, web, thread_id = _shared_work(app, make_user, task_course)
    ref = task_course["task"]
    submit(web, f"/spaces/share/evidence/{ref}", {"stop": "yes"}, form_page=f"/learn/{ref}")  # private again
    lena = ApiClient(app, make_token(app, people["lena"], ("read", "write")), people["lena"])
    mia = ApiClient(app, make_token(app, people["mia"], ("read", "write")), people["mia"])
    ben = ApiClient(app, make_token(app, people["ben"], ("read", "write")), people["ben"])
    assert lena.post("/api/v1/spaces/shared-work", json={"source": "evidence", "item_ref": ref,
                                                          "space": "cohort:999999"}).status_code == 400  # fmt: skip
    assert ben.post("/api/v1/spaces/shared-work", json={"source": "evidence", "item_ref": ref}).status_code == 400
    shared = lena.post("/api/v1/spaces/shared-work", json={"source": "evidence", "item_ref": ref})
    assert shared.status_code == 201 and shared.get_json()["kind"] == "shared"
    thread_id = shared.get_json()["id"]
    assert mia.get(f"/api/v1/space-threads/{thread_id}").get_json()["posts"][0]["body"] == "I named the feeling first."
    url = f"/api/v1/space-threads/{thread_id}/feedback-requests"
    made = lena.post(url, json={"question": "Too long?", "people": [people["mia"]]})
    assert made.status_code == 201 and made.get_json()["asks_feedback"] is True
    assert mia.post(url, json={"question": "Mine?"}).status_code == 403  # not her work
    assert lena.post(url, json={"question": "x", "people": [people["ben"]]}).status_code == 400
    assert ben.post(url, json={"question": "x"}).status_code == 404
    given = mia.post(f"/api/v1/space-threads/{thread_id}/feedback", json={"worked": "Short", "suggestion": "Pause"})
    assert given.status_code == 201 and "Pause" in given.get_json()["body"]
    assert (
        ben.post(f"/api/v1/space-threads/{thread_id}/feedback", json={"worked": "a", "suggestion": "b"}).status_code
        == 404
    )
    assert (
        lena.post(f"/api/v1/space-threads/{thread_id}/feedback", json={"worked": "a", "suggestion": "b"}).status_code
        == 400
    )
    assert lena.delete(f"/api/v1/spaces/shared-work?source=evidence&item_ref={ref}").status_code == 204
    assert mia.get(f"/api/v1/space-threads/{thread_id}").status_code == 404
