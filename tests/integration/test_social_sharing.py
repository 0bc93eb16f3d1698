"""Sharing by choice (issue #21): a learner shares their task evidence (or a reflection) with the
cohort, per item, explicitly; private stays the default; un-sharing takes it out of the space;
peers give short structured feedback, which never counts as competency evidence."""

from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.coaching.models import CoachFeedback
from lxp.cohorts.models import Cohort
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.social.models import SpaceThread
from lxp.workplace import services as workplace
from tests.conftest import committing, submit
from tests.integration.social_fixtures import _client
from tests.integration.test_workplace_fixtures import (  # noqa: F401  (fixtures)
    on_path,
    task_course_fixture,
    upload_dir_fixture,
)


def _cohort(app, *user_ids):
    with committing(app):
        members = list(db.session.scalars(select(User).where(User.id.in_(user_ids))))
        cohort = Cohort(organisation_id=members[0].organisation_id, name="Team", members=members)
        db.session.add(cohort)
        db.session.flush()
        return cohort.id


def _shared(app):
    with committing(app):
        return db.session.scalars(select(SpaceThread).where(SpaceThread.kind == "shared",
                                                            SpaceThread.deleted_at.is_(None))).all()  # fmt: skip


def test_evidence_is_private_until_shared_then_peers_give_feedback_and_unsharing_removes_it(
    app, make_user, task_course
):
    lena = make_user(("learner",), email="lena@example.com", name="Lena")
    mia = make_user(("learner",), email="mia@example.com", name="Mia")
    cohort_id = _cohort(app, lena, mia)
    on_path(app, lena, task_course["goal"])
    ref = task_course["task"]
    lena_client, mia_client = _client(app, "lena@example.com"), _client(app, "mia@example.com")
    assert "Share with my cohort" not in lena_client.get(f"/learn/{ref}").get_data(as_text=True)  # nothing sent yet
    with committing(app):
        workplace.save_evidence(
            db.session.get(User, lena), ref, "I named the **frustration** first.", "", [], submit=True
        )
    page = lena_client.get(f"/learn/{ref}").get_data(as_text=True)
    assert "Share with my cohort" in page and "It is private." in page
    assert "frustration" not in mia_client.get(f"/spaces/{cohort_id}").get_data(as_text=True)  # private by default

    response = submit(lena_client, f"/spaces/share/evidence/{ref}", {}, form_page=f"/learn/{ref}")
    [thread] = _shared(app)
    assert response.headers["Location"].endswith(f"/spaces/threads/{thread.id}")
    submit(lena_client, f"/spaces/share/evidence/{ref}", {}, form_page=f"/learn/{ref}")  # twice: still one
    assert len(_shared(app)) == 1
    page = mia_client.get(f"/spaces/threads/{thread.id}").get_data(as_text=True)
    assert "<strong>frustration</strong>" in page and "never counts as evidence of a competency" in page

    refused = submit(mia_client, f"/spaces/threads/{thread.id}/feedback", {"worked": "Naming it", "suggestion": ""},
                     form_page=f"/spaces/threads/{thread.id}")  # fmt: skip
    assert refused.status_code == 400
    submit(mia_client, f"/spaces/threads/{thread.id}/feedback",
           {"worked": "Naming the feeling", "suggestion": "Summarise the need next"}, form_page=f"/spaces/threads/{thread.id}")  # fmt: skip
    page = lena_client.get(f"/spaces/threads/{thread.id}").get_data(as_text=True)
    assert "Naming the feeling" in page and "Summarise the need next" in page
    assert "1 colleague gave feedback." in lena_client.get(f"/learn/{ref}").get_data(as_text=True)  # on her task
    assert (
        submit(
            lena_client,
            f"/spaces/threads/{thread.id}/feedback",
            {"worked": "me", "suggestion": "me"},
            form_page=f"/spaces/threads/{thread.id}",
        ).status_code
        == 400
    )  # fmt: skip  (not on one's own)
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(CoachFeedback)) == 0
        verbs = set(db.session.scalars(select(LearningEvent.verb).where(LearningEvent.actor_id == mia)))
    assert verbs <= {"replied", "logged-in"}  # advice, never mastery or competency feedback

    submit(lena_client, f"/spaces/share/evidence/{ref}", {"stop": "yes"}, form_page=f"/learn/{ref}")
    assert _shared(app) == []
    assert mia_client.get(f"/spaces/threads/{thread.id}").status_code == 404
    assert "frustration" not in mia_client.get(f"/spaces/{cohort_id}").get_data(as_text=True)


def test_nothing_to_share_or_no_cohort_is_refused(app, make_user, task_course):
    alone = make_user(("learner",), email="alone@example.com")
    on_path(app, alone, task_course["goal"])
    ref = task_course["task"]
    with committing(app):
        workplace.save_evidence(db.session.get(User, alone), ref, "Done.", "", [], submit=True)
    client = _client(app, "alone@example.com")
    assert "Share with my cohort" not in client.get(f"/learn/{ref}").get_data(as_text=True)
    response = submit(client, f"/spaces/share/evidence/{ref}", {}, form_page=f"/learn/{ref}", follow_redirects=True)
    assert "You are in no cohort with a space yet." in response.get_data(as_text=True)
    response = submit(client, f"/spaces/share/reflection/{task_course['lesson']}", {}, form_page=f"/learn/{ref}")
    assert _shared(app) == [] and response.status_code == 302
