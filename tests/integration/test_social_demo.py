"""The demo puts the spaces' newer capabilities to use: the course space's own weekly question
(on Today for a learner on the course), and on-the-job evidence shared in the course space with a
request for feedback that names a colleague, who answered; running the seeding again adds nothing."""

from sqlalchemy import func, select

from lxp import demo
from lxp.demo.social import COURSE_QUESTION, FEEDBACK_ASK, seed_social
from lxp.extensions import db
from lxp.social.models import SpacePost, SpaceThread
from tests.conftest import committing, sign_in
from tests.integration.test_page_costs import MARCUS, demo_world  # noqa: F401  (fixture)


def test_the_demo_course_space_has_a_weekly_question_and_feedback_asked_and_given(app, client, demo_world):  # noqa: F811
    with committing(app):
        weekly = db.session.scalar(select(SpaceThread).where(SpaceThread.title == COURSE_QUESTION[0]))
        assert weekly.kind == "weekly" and weekly.course_id is not None and weekly.item_ref.startswith(
            f"{weekly.course_id}:")  # fmt: skip
        shared = db.session.scalar(select(SpaceThread).where(SpaceThread.kind == "shared"))
        assert shared.course_id == weekly.course_id and shared.author.email == MARCUS
        ask = db.session.scalar(select(SpacePost).where(SpacePost.asks_feedback_at.is_not(None)))
        assert ask.body == FEEDBACK_ASK[0] and ask.thread_id == shared.id
        assert FEEDBACK_ASK[2] in shared.posts[-1].body
        threads = db.session.scalar(select(func.count()).select_from(SpaceThread))
    with committing(app):
        assert seed_social() is False
        assert db.session.scalar(select(func.count()).select_from(SpaceThread)) == threads
    sign_in(client, "olga.petrova@northwind.example", demo.DEMO_PASSWORD)
    assert COURSE_QUESTION[0] in client.get("/today").get_data(as_text=True)
    page = client.get(f"/spaces/threads/{shared.id}").get_data(as_text=True)
    assert FEEDBACK_ASK[0] in page and "feedback-ask" in page  # marked as the request (in Olga's Russian)
