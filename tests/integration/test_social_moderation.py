"""Moderation of cohort spaces (issue #21): report a post, the trainers' queue (hide, restore,
warn), authors edit and delete (deleting voids the statements), admins switch a space off."""

from sqlalchemy import func, select

from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.social.models import SpacePost, SpaceReport, SpaceThread
from tests.conftest import committing, submit
from tests.integration.social_fixtures import _client, world_fixture  # noqa: F401  (fixtures)


def _thread_with_reply(app, world):
    """Tara's thread in cohort A and Lena's reply naming Mia; returns (thread id, reply id)."""
    tara = _client(app, "tara@example.com")
    submit(tara, f"/spaces/{world['a']}/threads", {"title": "Hard calls", "body": "Share one."},
           form_page=f"/spaces/{world['a']}")  # fmt: skip
    with committing(app):
        thread_id = db.session.scalar(select(SpaceThread.id).where(SpaceThread.title == "Hard calls"))
    lena = _client(app, "lena@example.com")
    submit(lena, f"/spaces/threads/{thread_id}/replies", {"body": "Rude words here, @Mia Maier"},
           form_page=f"/spaces/threads/{thread_id}")  # fmt: skip
    with committing(app):
        reply_id = db.session.scalar(select(SpacePost.id).where(SpacePost.author_id == world["lena"]))
    return thread_id, reply_id


def test_a_report_reaches_the_queue_and_the_trainer_hides_restores_and_warns(app, world):
    thread_id, reply_id = _thread_with_reply(app, world)
    mia = _client(app, "mia@example.com")
    page = f"/spaces/threads/{thread_id}"
    assert submit(mia, f"/spaces/posts/{reply_id}/report", {"reason": "Not kind"}, form_page=page).status_code == 302
    submit(mia, f"/spaces/posts/{reply_id}/report", {"reason": "Not kind"}, form_page=page)  # a double tap
    assert mia.get("/spaces/moderation").status_code == 403

    tara = _client(app, "tara@example.com")
    queue = tara.get("/spaces/moderation").get_data(as_text=True)
    assert "Mia Maier reported a post by Lena Learner" in queue and "Not kind" in queue
    assert queue.count('id="report-') == 1
    submit(tara, f"/spaces/posts/{reply_id}/hide", {}, form_page="/spaces/moderation")
    assert "Nothing reported" in tara.get("/spaces/moderation").get_data(as_text=True)
    seen = mia.get(page).get_data(as_text=True)
    assert "A moderator hid this post." in seen and "Rude words" not in seen
    assert "Rude words" in tara.get(page).get_data(as_text=True)  # staff still read it

    submit(tara, f"/spaces/posts/{reply_id}/restore", {}, form_page=page)
    assert "Rude words" in mia.get(page).get_data(as_text=True)
    submit(mia, f"/spaces/posts/{reply_id}/report", {}, form_page=page)
    submit(tara, f"/spaces/posts/{reply_id}/warn", {}, form_page="/spaces/moderation")
    inbox = _client(app, "lena@example.com").get("/inbox").get_data(as_text=True)
    assert "A word about your post in \u201cHard calls\u201d" in inbox
    with committing(app):
        outcomes = sorted(db.session.scalars(select(SpaceReport.outcome)))
    assert outcomes == ["hidden", "warned"]


def test_learners_cannot_moderate_and_nobody_reports_their_own_post(app, world):
    thread_id, reply_id = _thread_with_reply(app, world)
    page = f"/spaces/threads/{thread_id}"
    mia = _client(app, "mia@example.com")
    for action in ("hide", "restore", "warn"):
        assert submit(mia, f"/spaces/posts/{reply_id}/{action}", {}, form_page=page).status_code == 403
    lena = _client(app, "lena@example.com")
    submit(lena, f"/spaces/posts/{reply_id}/report", {}, form_page=page)
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(SpaceReport)) == 0


def test_an_author_edits_and_deletes_and_deleting_voids_the_statements(app, world):
    thread_id, reply_id = _thread_with_reply(app, world)
    lena = _client(app, "lena@example.com")
    mia = _client(app, "mia@example.com")
    assert mia.get(f"/spaces/posts/{reply_id}/edit").status_code == 404  # not hers
    assert (
        submit(mia, f"/spaces/posts/{reply_id}/delete", {}, form_page=f"/spaces/threads/{thread_id}").status_code == 404
    )
    response = submit(lena, f"/spaces/posts/{reply_id}/edit", {"body": ""})
    assert response.status_code == 400
    submit(lena, f"/spaces/posts/{reply_id}/edit", {"body": "Kinder words"})
    page = mia.get(f"/spaces/threads/{thread_id}").get_data(as_text=True)
    assert "Kinder words" in page and "edited" in page and "Rude words" not in page

    submit(lena, f"/spaces/posts/{reply_id}/delete", {}, form_page=f"/spaces/posts/{reply_id}/edit")
    page = mia.get(f"/spaces/threads/{thread_id}").get_data(as_text=True)
    assert "The author deleted this post." in page and "Kinder words" not in page
    with committing(app):
        about = {str(i) for i in db.session.scalars(select(LearningEvent.id).where(
            LearningEvent.object_type == "space_post", LearningEvent.object_id == str(reply_id)))}  # fmt: skip
        voided = set(db.session.scalars(select(LearningEvent.object_id).where(LearningEvent.verb == "voided")))
    assert len(about) == 2 and about == voided  # replied and mentioned
    assert lena.get(f"/spaces/posts/{reply_id}/edit").status_code == 404


def test_deleting_the_opening_post_removes_the_thread(app, world):
    thread_id, _reply = _thread_with_reply(app, world)
    with committing(app):
        opening = db.session.scalar(select(SpacePost.id).where(SpacePost.author_id == world["trainer"]))
    tara = _client(app, "tara@example.com")
    response = submit(tara, f"/spaces/posts/{opening}/delete", {}, form_page=f"/spaces/threads/{thread_id}")
    assert response.headers["Location"].endswith(f"/spaces/{world['a']}")
    assert _client(app, "mia@example.com").get(f"/spaces/threads/{thread_id}").status_code == 404
    assert "Hard calls" not in tara.get(f"/spaces/{world['a']}").get_data(as_text=True)


def test_an_admin_switches_a_space_off_and_on(app, world, make_user):
    thread_id, _reply = _thread_with_reply(app, world)
    make_user(("admin",), email="admin@example.com")
    admin = _client(app, "admin@example.com")
    tara = _client(app, "tara@example.com")
    assert (
        submit(tara, f"/spaces/{world['a']}/switch", {"enabled": "off"}, form_page=f"/spaces/{world['a']}").status_code
        == 403
    )
    submit(admin, f"/spaces/{world['a']}/switch", {"enabled": "off"}, form_page=f"/spaces/{world['a']}")
    mia = _client(app, "mia@example.com")
    assert mia.get(f"/spaces/{world['a']}").status_code == 404
    assert mia.get(f"/spaces/threads/{thread_id}").status_code == 404
    assert "Cohort A" not in mia.get("/spaces").get_data(as_text=True)
    page = tara.get(f"/spaces/{world['a']}").get_data(as_text=True)
    assert "This space is switched off" in page and "Start a thread" not in page
    refused = submit(
        tara, f"/spaces/threads/{thread_id}/replies", {"body": "still here?"}, form_page=f"/spaces/{world['a']}"
    )
    assert refused.status_code == 400
    submit(admin, f"/spaces/{world['a']}/switch", {"enabled": "on"}, form_page=f"/spaces/{world['a']}")
    assert mia.get(f"/spaces/threads/{thread_id}").status_code == 200
    outsider = _client(app, "far@other.example")
    assert outsider.get(f"/spaces/{world['a']}").status_code == 404


def test_social_reach_per_station_counts_people_once_and_forgets_deleted_posts(app, world):
    from lxp.insights import maths, queries

    tara = _client(app, "tara@example.com")
    submit(tara, f"/spaces/{world['a']}/threads",
           {"title": "Week", "body": "Go", "weekly": "y", "station": world["quiz"]}, form_page=f"/spaces/{world['a']}")  # fmt: skip
    with committing(app):
        thread_id = db.session.scalar(select(SpaceThread.id).where(SpaceThread.title == "Week"))
    lena, mia = _client(app, "lena@example.com"), _client(app, "mia@example.com")
    for client, text in ((lena, "one"), (lena, "two"), (mia, "three")):
        submit(client, f"/spaces/threads/{thread_id}/replies", {"body": text}, form_page=f"/spaces/threads/{thread_id}")
    with committing(app):
        assert queries.social_reach([world["quiz"], world["lesson"]], None) == {world["quiz"]: 3}
        mias = db.session.scalar(select(SpacePost.id).where(SpacePost.author_id == world["mia"]))
    submit(mia, f"/spaces/posts/{mias}/delete", {}, form_page=f"/spaces/posts/{mias}/edit")
    with committing(app):
        reach = queries.social_reach([world["quiz"]], None)
    assert reach == {world["quiz"]: 2}
    station = maths.Station(world["quiz"], "Check", "Module", "quiz", "self_paced", 5)
    few, many = maths.StationCounts(reached=2), maths.StationCounts(reached=maths.MIN_GROUP)
    assert maths.journey_map([station], {station.ref: few}, [], 2, reach).stations[0].social_reach is None
    assert maths.journey_map([station], {station.ref: many}, [], 9, reach).stations[0].social_reach == 2


def test_erasing_a_person_removes_their_words_from_the_spaces_and_their_reports(app, world):
    from lxp.accounts.models import User
    from lxp.privacy import erasure

    thread_id, reply_id = _thread_with_reply(app, world)
    submit(
        _client(app, "lena@example.com"),
        f"/spaces/posts/{reply_id}/report",
        {"reason": "x"},
        form_page=f"/spaces/threads/{thread_id}",
    )  # fmt: skip  (Lena cannot report her own: nothing)
    mia = _client(app, "mia@example.com")
    submit(mia, f"/spaces/posts/{reply_id}/report", {"reason": "about Lena"}, form_page=f"/spaces/threads/{thread_id}")
    with committing(app):
        erasure.erase(db.session.get(User, world["lena"]), actor_id=None, reason="asked")
        erasure.erase(db.session.get(User, world["mia"]), actor_id=None, reason="asked")
    page = _client(app, "tara@example.com").get(f"/spaces/threads/{thread_id}").get_data(as_text=True)
    assert "Rude words" not in page and "The author deleted this post." in page
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(SpaceReport)) == 0
