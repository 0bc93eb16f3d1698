"""Sharing by choice (issue #21): a learner shares their task evidence (or a reflection) with the
cohort, per item, explicitly; private stays the default; un-sharing takes it out of the space;
peers give short structured feedback, which never counts as competency evidence."""

from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.coaching.models import CoachFeedback
from lxp.cohorts.models import Cohort
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.social import access
from lxp.social.models import SpaceThread
from lxp.workplace import services as workplace
from tests.conftest import committing, submit
from tests.integration.social_fixtures import _client
from tests.integration.test_workplace_fixtures import (  # noqa: F401  (fixtures)
    on_path,
    task_course_fixture,
    upload_dir_fixture,
)


def _cohort(app, *user_ids, name="Team"):
    with committing(app):
        members = list(db.session.scalars(select(User).where(User.id.in_(user_ids))))
        cohort = Cohort(organisation_id=members[0].organisation_id, name=name, members=members)
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


def test_without_a_cohort_work_goes_to_the_course_space_and_nowhere_when_it_is_off(app, make_user, task_course):
    alone = make_user(("learner",), email="alone@example.com")
    on_path(app, alone, task_course["goal"])
    ref = task_course["task"]
    client = _client(app, "alone@example.com")
    assert "Share with" not in client.get(f"/learn/{ref}").get_data(as_text=True)  # nothing sent yet
    with committing(app):
        workplace.save_evidence(db.session.get(User, alone), ref, "Done.", "", [], submit=True)
        course_id = task_course["course"]
        title = access.course_space_for(db.session.get(User, alone), course_id).name
    page = client.get(f"/learn/{ref}").get_data(as_text=True)
    assert f'value="course:{course_id}">Share with {title}</button>' in page
    response = submit(client, f"/spaces/share/evidence/{ref}", {"space": f"course:{course_id}"},
                      form_page=f"/learn/{ref}", follow_redirects=True)  # fmt: skip
    assert f"Shared with {title}." in response.get_data(as_text=True)
    [thread] = _shared(app)
    assert (thread.course_id, thread.cohort_id) == (course_id, None)
    submit(client, f"/spaces/share/evidence/{ref}", {"stop": "yes"}, form_page=f"/learn/{ref}")

    make_user(("admin",), email="admin@example.com")
    page = f"/spaces/courses/{course_id}"
    submit(_client(app, "admin@example.com"), f"{page}/switch", {"enabled": "off"}, form_page=page)
    assert "Share with" not in client.get(f"/learn/{ref}").get_data(as_text=True)
    response = submit(client, f"/spaces/share/evidence/{ref}", {}, form_page=f"/learn/{ref}", follow_redirects=True)
    assert "You are in no cohort with a space yet." in response.get_data(as_text=True)
    response = submit(client, f"/spaces/share/reflection/{task_course['lesson']}", {}, form_page=f"/learn/{ref}")
    assert _shared(app) == [] and response.status_code == 302


def test_a_learner_in_two_cohorts_chooses_where_to_share(app, make_user, task_course):
    lena = make_user(("learner",), email="lena@example.com", name="Lena")
    mia = make_user(("learner",), email="mia@example.com", name="Mia")
    carl = make_user(("learner",), email="carl@example.com", name="Carl")
    first, second = _cohort(app, lena, mia), _cohort(app, lena, carl, name="Evening team")
    on_path(app, lena, task_course["goal"])
    ref = task_course["task"]
    with committing(app):
        workplace.save_evidence(db.session.get(User, lena), ref, "I asked what they needed.", "", [], submit=True)
    lena_client = _client(app, "lena@example.com")
    page = lena_client.get(f"/learn/{ref}").get_data(as_text=True)
    assert "Share with Team" in page and "Share with Evening team" in page and "Share with my cohort" not in page
    refused = submit(lena_client, f"/spaces/share/evidence/{ref}", {"space": "cohort:999999"},
                     form_page=f"/learn/{ref}", follow_redirects=True)  # fmt: skip
    assert "Choose one of your spaces." in refused.get_data(as_text=True) and _shared(app) == []
    submit(lena_client, f"/spaces/share/evidence/{ref}", {"space": f"cohort:{second}"}, form_page=f"/learn/{ref}")
    [thread] = _shared(app)
    assert thread.cohort_id == second
    assert "Shared with Evening team." in lena_client.get(f"/learn/{ref}").get_data(as_text=True)
    assert "I asked what they needed." in _client(app, "carl@example.com").get(
        f"/spaces/threads/{thread.id}").get_data(as_text=True)  # fmt: skip
    assert _client(app, "mia@example.com").get(f"/spaces/threads/{thread.id}").status_code == 404
    assert f"/spaces/threads/{thread.id}" not in _client(app, "mia@example.com").get(f"/spaces/{first}").get_data(
        as_text=True
    )
