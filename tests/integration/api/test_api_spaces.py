"""Cohort spaces over the API (issue #21): the same resources as the pages, the same access
rules (another cohort's or organisation's space is a 404 problem), bad input a 4xx problem."""

import re

from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.cohorts.models import Cohort
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.social import services as social
from lxp.social.models import SpacePost, SpaceReport, SpaceThread
from tests.conftest import committing
from tests.integration.api.conftest import ApiClient, is_problem, make_token
from tests.integration.social_fixtures import world_fixture  # noqa: F401  (fixtures)
from tests.integration.test_workplace_fixtures import on_path


def _api(app, user_id):
    return ApiClient(app, make_token(app, user_id), user_id)


def test_the_weekly_question_replies_and_peer_help_over_the_api(app, world):
    tara, lena, mia, ben = (_api(app, world[k]) for k in ("trainer", "lena", "mia", "ben"))
    assert [s["name"] for s in lena.get("/api/v1/spaces").get_json()] == ["Cohort A"]
    made = tara.post(f"/api/v1/spaces/{world['a']}/threads",
                     json={"title": "This week", "body": "One story", "weekly": True, "item_ref": world["quiz"]})  # fmt: skip
    assert made.status_code == 201 and made.get_json()["kind"] == "weekly"
    thread_id = made.get_json()["id"]
    reply = lena.post(f"/api/v1/space-threads/{thread_id}/posts", json={"body": "Mine, @Mia Maier"})
    assert reply.status_code == 201
    page = mia.get(f"/api/v1/spaces/{world['a']}/threads").get_json()
    assert page["items"][0]["id"] == thread_id and page["items"][0]["replies"] == 1
    posts = mia.get(f"/api/v1/space-threads/{thread_id}").get_json()["posts"]
    assert [p["body"] for p in posts] == ["One story", "Mine, @Mia Maier"]

    is_problem(ben.get(f"/api/v1/space-threads/{thread_id}"), 404)
    is_problem(ben.get(f"/api/v1/spaces/{world['a']}/threads"), 404)
    is_problem(ben.post(f"/api/v1/space-threads/{thread_id}/posts", json={"body": "x"}), 404)
    is_problem(lena.post(f"/api/v1/spaces/{world['a']}/threads", json={"title": "t", "body": "b", "weekly": True}), 403)
    is_problem(lena.post(f"/api/v1/space-threads/{thread_id}/posts", json={"body": ""}), 422)
    far = _api(app, world["outsider"])
    is_problem(far.get(f"/api/v1/space-threads/{thread_id}"), 404)
    is_problem(far.post(f"/api/v1/space-posts/{reply.get_json()['id']}/hidden"), 404)


def test_sharing_a_stuck_request_marking_endorsing_reporting_and_deleting(app, world):
    for learner in ("lena", "mia"):
        on_path(app, world[learner], world["goal"])
    tara, lena, mia = (_api(app, world[k]) for k in ("trainer", "lena", "mia"))
    shared = lena.post("/api/v1/spaces/help-requests", json={"item_ref": world["quiz"], "note": "Stuck here"})
    assert shared.status_code == 201 and shared.get_json()["kind"] == "help"
    thread_id = shared.get_json()["id"]
    answer = mia.post(f"/api/v1/space-threads/{thread_id}/posts", json={"body": "Try naming it"}).get_json()
    is_problem(mia.post(f"/api/v1/space-posts/{answer['id']}/helped"), 403)
    assert lena.post(f"/api/v1/space-posts/{answer['id']}/helped").get_json()["helped"] is True
    is_problem(lena.post(f"/api/v1/space-posts/{answer['id']}/endorsement"), 403)
    assert tara.post(f"/api/v1/space-posts/{answer['id']}/endorsement").get_json()["endorsed"] is True

    report = lena.post(f"/api/v1/space-posts/{answer['id']}/report", json={"reason": "check"})
    assert report.status_code == 201
    is_problem(lena.get("/api/v1/space-reports"), 403)
    assert [r["post_id"] for r in tara.get("/api/v1/space-reports").get_json()] == [answer["id"]]
    assert tara.post(f"/api/v1/space-posts/{answer['id']}/hidden").get_json()["state"] == "hidden"
    assert lena.get(f"/api/v1/space-threads/{thread_id}").get_json()["posts"][1]["body"] == ""
    assert tara.delete(f"/api/v1/space-posts/{answer['id']}/hidden").get_json()["state"] == "visible"

    assert mia.put(f"/api/v1/space-posts/{answer['id']}", json={"body": "Try naming the feeling"}).status_code == 200
    is_problem(lena.put(f"/api/v1/space-posts/{answer['id']}", json={"body": "mine now"}), 403)
    assert mia.delete(f"/api/v1/space-posts/{answer['id']}").status_code == 204
    posts = lena.get(f"/api/v1/space-threads/{thread_id}").get_json()["posts"]
    assert posts[1]["state"] == "deleted" and posts[1]["body"] == ""


def _filled(rule: str, ids: dict) -> str:
    return re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule)


def _body(rule: str, method: str) -> dict | None:
    """A valid body for each route, so that the answer is about access, never about input."""
    if method == "PUT":
        return {"body": "x"}
    return {"threads": {"title": "x", "body": "x"}, "posts": {"body": "x"}, "feedback-requests": {"question": "x"},
            "feedback": {"worked": "a", "suggestion": "b"}, "report": {"reason": "x"}}.get(rule.rsplit("/", 1)[-1])  # fmt: skip


def _counts(app) -> tuple:
    with committing(app):
        return tuple(db.session.scalar(select(func.count()).select_from(m))
                     for m in (SpaceThread, SpacePost, SpaceReport, LearningEvent))  # fmt: skip


def test_nobody_outside_the_space_reaches_it_by_any_api_route(app, world, make_user, other_organisation):
    """Every API route about a space, a thread or a post, with the real ids of shared work in cohort
    A's space (and the course's space), by a learner of another cohort and a learner, trainer and
    admin of another organisation: 403 or 404 each, nothing written. New routes join on their own."""
    with committing(app):
        lena, mia = db.session.get(User, world["lena"]), db.session.get(User, world["mia"])
        shared = social.new_thread(lena, db.session.get(Cohort, world["a"]), "shared", "My call", "I listened first.",
                                   shared_source="evidence", item_ref=world["quiz"], item_title="Check")  # fmt: skip
        post = social.reply(mia, shared, "Good start")
        ids = {"cohort_id": world["a"], "course_id": world["course"], "thread_id": shared.id, "post_id": post.id}
    far_admin = make_user(("admin",), email="faradmin@other.example", organisation_id=other_organisation)
    people = [world["ben"], world["far"], world["outsider"], far_admin]
    clients = [_api(app, person) for person in people]
    before = _counts(app)
    walked = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api_spaces.") or "<" not in rule.rule:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for person, client in zip(people, clients, strict=True):
                response = client.client.open(
                    _filled(rule.rule, ids), method=method, json=_body(rule.rule, method), headers=client.headers()
                )
                assert response.status_code in (403, 404), (person, rule.endpoint, method, response.status_code)
            walked.add(rule.endpoint)
    assert {"api_spaces.ask_for_feedback", "api_spaces.give_feedback", "api_spaces.start_course_thread"} <= walked
    assert len(walked) >= 15
    assert _counts(app) == before


def _every_page(client, address: str) -> list[list[dict]]:
    """The items of each page of a list, following its tokens to the end."""
    pages, token = [], None
    while True:
        page = client.get(address + (f"&page_token={token}" if token else ""))
        assert page.status_code == 200, page.get_json()
        pages.append(page.get_json()["items"])
        token = page.get_json()["next_page_token"]
        if token is None:
            return pages


def test_a_busy_spaces_threads_page_through_the_api_each_once_in_order(app, world):
    """65 threads, 25 a page: every thread once, the open weekly question first, then by latest
    post (two threads posted to at the same moment by id); a token of another shape is a 400."""
    from datetime import timedelta

    from lxp.core.time import utcnow

    tara, lena = _api(app, world["trainer"]), _api(app, world["lena"])
    made = tara.post(
        f"/api/v1/spaces/{world['a']}/threads",
        json={"title": "Open question", "body": "b", "weekly": True, "item_ref": world["quiz"]},
    )
    assert made.status_code == 201, made.get_json()
    moment = utcnow()
    with committing(app):
        mia, cohort = db.session.get(User, world["mia"]), db.session.get(Cohort, world["a"])
        for n in range(64):
            thread = social.start_thread(mia, cohort, f"Thread {n:02d}", "x")
            thread.last_post_at = moment + timedelta(minutes=n // 2)  # pairs at the same moment
    pages = _every_page(lena, f"/api/v1/spaces/{world['a']}/threads?limit=25")
    titles = [thread["title"] for page in pages for thread in page]
    assert len(pages) == 3
    assert titles == ["Open question"] + [f"Thread {n:02d}" for n in range(63, -1, -1)]
    forged = lena.get(f"/api/v1/spaces/{world['a']}/threads?page_token=abc")
    is_problem(forged, 400)


def test_a_long_threads_posts_page_through_the_api_each_once_the_opening_post_first(app, world):
    """60 replies, 25 posts a page: the opening post first even where replies carry earlier
    times (imported), then oldest first (two at the same moment by id), each once; a token of
    another list is a 400."""
    from datetime import timedelta

    from lxp.core.time import utcnow

    lena = _api(app, world["lena"])
    moment = utcnow() - timedelta(days=1)
    with committing(app):
        author, cohort = db.session.get(User, world["mia"]), db.session.get(Cohort, world["a"])
        thread = social.start_thread(author, cohort, "Openers", "Which opener works?")
        for n in range(60):
            social.reply(author, thread, f"Answer {n:02d}").created_at = moment + timedelta(minutes=n // 2)
        thread_id = thread.id
        social.start_thread(author, cohort, "Closers", "And how to end?")
    pages = _every_page(lena, f"/api/v1/space-threads/{thread_id}/posts?limit=25")
    bodies = [post["body"] for page in pages for post in page]
    assert len(pages) == 3
    assert bodies == ["Which opener works?"] + [f"Answer {n:02d}" for n in range(60)]
    threads_token = lena.get(f"/api/v1/spaces/{world['a']}/threads?limit=1").get_json()["next_page_token"]
    assert threads_token
    is_problem(lena.get(f"/api/v1/space-threads/{thread_id}/posts?page_token={threads_token}"), 400)
    is_problem(lena.get(f"/api/v1/space-threads/{thread_id}/posts?page_token=abc"), 400)
