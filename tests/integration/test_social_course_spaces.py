"""Course spaces (issue #21): everyone on a course talks in its space whatever their cohort,
with the same membership rules and moderation as a cohort's space; an admin switches it off;
the API has the same resources; nobody off the course, or of another organisation, reaches it."""

import re

from sqlalchemy import func, select

from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.social.models import CourseSpaceSetting, SpacePost, SpaceReport, SpaceThread
from tests.conftest import committing, csrf_from, submit
from tests.integration.api.conftest import ApiClient, make_token
from tests.integration.conftest import start_path
from tests.integration.social_fixtures import _client, digest_of, world_fixture  # noqa: F401  (fixtures)

COURSE = "Listening so customers feel heard"


def _on_course(app, world, *emails):
    clients = {}
    for email in emails:
        clients[email] = _client(app, email)
        assert start_path(clients[email], world).status_code == 302
    return clients


def _thread(app, world, client, title="Calming phrases", body="Which sentence calms a caller? @Ben Other?"):
    page = f"/spaces/courses/{world['course']}"
    response = submit(client, f"{page}/threads", {"title": title, "body": body}, form_page=page)
    assert response.status_code == 302, response.get_data(as_text=True)
    with committing(app):
        return db.session.scalar(select(SpaceThread.id).where(SpaceThread.title == title))


def test_learners_of_different_cohorts_on_one_course_talk_in_its_space(app, world):
    clients = _on_course(app, world, "lena@example.com", "ben@example.com")
    lena, ben = clients["lena@example.com"], clients["ben@example.com"]
    assert COURSE in lena.get("/spaces").get_data(as_text=True)
    thread_id = _thread(app, world, lena)
    page = ben.get(f"/spaces/courses/{world['course']}").get_data(as_text=True)
    assert "Calming phrases" in page and "everyone on this course" in page
    assert 'id="weekly"' not in page  # only trainers and admins post the weekly question
    reply = submit(ben, f"/spaces/threads/{thread_id}/replies", {"body": "Using their name, @Tara Trainer?"},
                   form_page=f"/spaces/threads/{thread_id}")  # fmt: skip
    assert reply.status_code == 302
    thread_page = lena.get(f"/spaces/threads/{thread_id}").get_data(as_text=True)
    assert "Using their name" in thread_page and f"← {COURSE}" in thread_page
    with committing(app):
        mentions = {e.context["person"]: e.context for e in db.session.scalars(
            select(LearningEvent).where(LearningEvent.verb == "mentioned"))}  # fmt: skip
    assert set(mentions) == {world["ben"], world["trainer"]}  # a course member of another cohort, the trainer
    assert mentions[world["ben"]]["course_space"] == world["course"]

    mia = _client(app, "mia@example.com")  # in Lena's cohort, but not on the course
    assert mia.get(f"/spaces/courses/{world['course']}").status_code == 404
    assert mia.get(f"/spaces/threads/{thread_id}").status_code == 404
    assert COURSE not in mia.get("/spaces").get_data(as_text=True)
    assert "Calming phrases" in _client(app, "tara@example.com").get(f"/spaces/courses/{world['course']}").get_data(
        as_text=True
    )


def _course_weekly(client, world, title, station=None):
    page = f"/spaces/courses/{world['course']}"
    return submit(client, f"{page}/threads", {"title": title, "body": "One story, please.", "weekly": "y",
                                               "station": station or world["quiz"]}, form_page=page)  # fmt: skip


def test_a_trainer_posts_the_weekly_question_in_a_course_space_and_its_learners_see_it_on_today(app, world):
    clients = _on_course(app, world, "lena@example.com", "ben@example.com")
    lena, ben = clients["lena@example.com"], clients["ben@example.com"]
    tara = _client(app, "tara@example.com")
    form = tara.get(f"/spaces/courses/{world['course']}").get_data(as_text=True)
    assert 'id="weekly"' in form and world["quiz"] in form  # the course's steps to tie it to
    refused = _course_weekly(tara, world, "Q0", station="999:elsewhere")
    assert refused.status_code == 400 and "Choose a step of this course." in refused.get_data(as_text=True)
    assert _course_weekly(tara, world, "Last week's").status_code == 302
    assert _course_weekly(tara, world, "Your hardest complaint").status_code == 302
    with committing(app):
        threads = {t.title: t for t in db.session.scalars(select(SpaceThread).where(SpaceThread.kind == "weekly"))}
        assert threads["Your hardest complaint"].course_id == world["course"]
        assert threads["Your hardest complaint"].item_ref == world["quiz"]
        assert threads["Last week's"].open_until <= threads["Your hardest complaint"].created_at  # closed
        assert "Q0" not in threads
    thread_id = threads["Your hardest complaint"].id

    # Lena's cohort has no weekly question: Today shows the course's, quietly, as for a cohort.
    today = lena.get("/today").get_data(as_text=True)
    assert f"This week in {COURSE}: Your hardest complaint" in today and f"/spaces/threads/{thread_id}" in today
    mia = _client(app, "mia@example.com")  # Lena's cohort, but not on the course
    assert "Your hardest complaint" not in mia.get("/today").get_data(as_text=True)
    assert 'id="weekly"' not in lena.get(f"/spaces/courses/{world['course']}").get_data(as_text=True)  # staff only

    # Ben (another cohort, on the course) answers; Lena's weekly digest says so in its one line.
    submit(ben, f"/spaces/threads/{thread_id}/replies", {"body": "A lost parcel."},
           form_page=f"/spaces/threads/{thread_id}")  # fmt: skip
    digest = digest_of(app, world["lena"])
    assert "1 colleague answered this week's question in your spaces." in digest.body
    assert "Your hardest complaint" in ben.get("/today").get_data(as_text=True).replace("&#39;", "'")
    assert "you replied" in ben.get("/today").get_data(as_text=True)


def test_moderation_and_the_admins_switch_work_in_a_course_space(app, world, make_user):
    clients = _on_course(app, world, "lena@example.com", "ben@example.com")
    thread_id = _thread(app, world, clients["lena@example.com"], body="Shift swap anyone?")
    with committing(app):
        post_id = db.session.scalar(select(SpacePost.id).where(SpacePost.thread_id == thread_id))
    ben = clients["ben@example.com"]
    submit(ben, f"/spaces/posts/{post_id}/report", {"reason": "Off topic"}, form_page=f"/spaces/threads/{thread_id}")
    tara = _client(app, "tara@example.com")
    queue = tara.get("/spaces/moderation").get_data(as_text=True)
    assert "Off topic" in queue and COURSE in queue
    submit(tara, f"/spaces/posts/{post_id}/hide", {}, form_page="/spaces/moderation")
    assert ben.get(f"/spaces/threads/{thread_id}").status_code == 404  # an opening post hides its thread

    make_user(("admin",), email="admin@example.com")
    admin = _client(app, "admin@example.com")
    page = f"/spaces/courses/{world['course']}"
    assert submit(admin, f"{page}/switch", {"enabled": "off"}, form_page=page).status_code == 302
    assert ben.get(page).status_code == 404 and COURSE not in ben.get("/spaces").get_data(as_text=True)
    assert "This space is switched off" in admin.get(page).get_data(as_text=True)
    submit(admin, f"{page}/switch", {"enabled": "on"}, form_page=page)
    assert ben.get(page).status_code == 200
    with committing(app):
        assert db.session.get(CourseSpaceSetting, world["course"]).enabled is True


def _fill(rule: str, ids: dict) -> str:
    return re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule)


def test_nobody_off_the_course_reaches_a_course_thread_by_any_route(app, world, make_user):
    lena = _on_course(app, world, "lena@example.com")["lena@example.com"]
    thread_id = _thread(app, world, lena, body="Hello course")
    with committing(app):
        post_id = db.session.scalar(select(SpacePost.id).where(SpacePost.thread_id == thread_id))
    ids = {"cohort_id": world["b"], "course_id": world["course"], "thread_id": thread_id, "post_id": post_id,
           "ref": world["quiz"]}  # fmt: skip
    for who in ("mia@example.com", "far@other.example", "out@other.example"):
        client = _client(app, who)
        token = csrf_from(client.get("/me").get_data(as_text=True))
        with committing(app):
            before = tuple(db.session.scalar(select(func.count()).select_from(m))
                           for m in (SpaceThread, SpacePost, SpaceReport, CourseSpaceSetting))  # fmt: skip
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("social.") or "<" not in rule.rule or "cohort_id" in rule.rule:
                continue
            if rule.endpoint == "social.share":
                continue  # one's own work only
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                data = {"csrf_token": token, "body": "x", "title": "x", "enabled": "off", "reason": "x"}
                response = client.open(_fill(rule.rule, ids), method=method, data=data if method == "POST" else None)
                if rule.endpoint == "social.ask_with_cohort":
                    continue  # about the learner's own step, never this thread
                assert response.status_code in (403, 404), (who, rule.endpoint, method, response.status_code)
        with committing(app):
            after = tuple(db.session.scalar(select(func.count()).select_from(m))
                          for m in (SpaceThread, SpacePost, SpaceReport, CourseSpaceSetting))  # fmt: skip
        assert after == before, who


def test_the_api_lists_course_spaces_and_their_threads(app, world):
    _on_course(app, world, "lena@example.com")
    lena = ApiClient(app, make_token(app, world["lena"], ("read", "write")), world["lena"])
    mia = ApiClient(app, make_token(app, world["mia"], ("read", "write")), world["mia"])
    assert lena.get("/api/v1/course-spaces").get_json() == [{"id": world["course"], "name": COURSE, "enabled": True}]
    assert mia.get("/api/v1/course-spaces").get_json() == []
    url = f"/api/v1/course-spaces/{world['course']}/threads"
    made = lena.post(url, json={"title": "From the phone", "body": "Hi all"})
    assert made.status_code == 201
    assert (made.get_json()["course_id"], made.get_json()["cohort_id"]) == (world["course"], None)
    assert [t["title"] for t in lena.get(url).get_json()["items"]] == ["From the phone"]
    assert mia.get(url).status_code == 404 and mia.post(url, json={"title": "x", "body": "y"}).status_code == 404
    assert mia.get(f"/api/v1/space-threads/{made.get_json()['id']}").status_code == 404
    weekly = lena.post(url, json={"title": "Q", "body": "y", "weekly": True, "item_ref": world["quiz"]})
    assert weekly.status_code == 403  # a learner never posts the weekly question
