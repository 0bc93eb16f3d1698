"""Insights as JSON over the API: the same numbers, privacy rule (groups under five are null)
and refusals as the insights pages; and the touchpoint effect table for admins only."""

from lxp.accounts.models import User
from lxp.cohorts.models import Cohort
from lxp.extensions import db
from tests.conftest import committing
from tests.integration.api.conftest import is_problem
from tests.integration.test_insights import _learners, _story

ADMIN = ("read", "write", "admin")


def _cohort(app, name, members=(), coach_id=None) -> int:
    with committing(app):
        organisation_id = db.session.get(User, members[0] if members else coach_id).organisation_id
        cohort = Cohort(organisation_id=organisation_id, name=name, coach_id=coach_id)
        cohort.members = [db.session.get(User, i) for i in members]
        db.session.add(cohort)
        db.session.commit()
        return cohort.id


def test_an_admin_reads_the_journey_map_satisfaction_and_modalities(app, published, make_user, api_as):
    admin = api_as("admin", scopes=("read",))
    inside, outside = _learners(app, make_user, 5), _learners(app, make_user, 3)
    _story(app, published, inside + outside, comment="Too fast")
    (course,) = admin.get("/api/v1/insights/courses").get_json()["items"]
    assert course["id"] == published["course"] and course["version"] == 1
    url = f"/api/v1/insights/courses/{published['course']}"
    mapped = admin.get(url + "/journey-map").get_json()
    assert mapped["learners"] == 8 and mapped["shown"] is True
    lesson, quiz = mapped["stations"]
    assert (lesson["ref"], lesson["reached"], lesson["finished"]) == (published["lesson"], 8, 8)
    assert (quiz["reached"], quiz["moods"]) == (7, [0, 6, 0, 1, 0])
    cohort = _cohort(app, "Night shift", inside)
    only = admin.get(url + f"/journey-map?cohort={cohort}").get_json()
    assert only["learners"] == 5 and [s["reached"] for s in only["stations"]] == [5, 5]
    assert [c["id"] for c in admin.get("/api/v1/insights/cohorts").get_json()["items"]] == [cohort]
    said = admin.get(url + "/satisfaction").get_json()
    assert said["comments"][0]["text"] == "Too fast" and "name" not in said["comments"][0]
    assert said["nps"]["score"] is None  # nobody was asked to recommend
    compared = {m["modality"]: m for m in admin.get(url + "/modalities").get_json()["items"]}
    assert compared["self_paced"]["stations"] == 2 and compared["self_paced"]["completion"] is not None


def test_fewer_than_five_learners_leave_every_number_null(app, published, make_user, api_as):
    admin = api_as("admin")
    _story(app, published, _learners(app, make_user, 4), comment="Too fast")
    url = f"/api/v1/insights/courses/{published['course']}"
    mapped = admin.get(url + "/journey-map").get_json()
    assert mapped["learners"] == 4 and mapped["shown"] is False
    for station in mapped["stations"]:
        assert station["reached"] is None and station["mood_average"] is None and station["moods"] is None
    said = admin.get(url + "/satisfaction").get_json()
    assert said["comments"] == [] and said["hidden_comments"] == 1


def test_insights_refuse_what_the_pages_refuse(app, published, make_user, api_as):
    other = make_user(("trainer",))
    trainer = api_as("trainer")
    theirs = _cohort(app, "Not yours", coach_id=other)
    url = f"/api/v1/insights/courses/{published['course']}"
    body = is_problem(trainer.get(url + f"/journey-map?cohort={theirs}"), 403)
    assert "Not yours" in body["detail"] and body["errors"][0]["field"] == "cohort"
    is_problem(trainer.get(f"/api/v1/insights/people?cohort={theirs}"), 403)
    assert trainer.get("/api/v1/insights/cohorts").get_json()["items"] == []
    body = is_problem(trainer.get(url + "/satisfaction?start=2026-03-10&end=2026-03-01"), 400)
    assert body["errors"][0]["field"] == "end"
    is_problem(trainer.get(url + "/modalities?package=999999"), 400)
    is_problem(trainer.get("/api/v1/insights/courses/999999/journey-map"), 404)
    is_problem(trainer.get(url + "/journey-map?cohort=999999"), 404)
    is_problem(trainer.get(url + "/journey-map?start=yesterday"), 422)
    for role in ("learner", "reviewer"):
        is_problem(api_as(role).get(url + "/journey-map"), 403)
        is_problem(api_as(role).get("/api/v1/insights/people"), 403)


def test_a_trainer_sees_the_people_they_coach(app, published, make_user, api_as):
    from lxp.coaching.models import CoachAssignment

    trainer = api_as("trainer")
    mine, others = _learners(app, make_user, 2), _learners(app, make_user, 2)
    with committing(app):
        for learner in mine:
            db.session.add(CoachAssignment(learner_id=learner, coach_id=trainer.user_id))
        db.session.commit()
    found = trainer.get("/api/v1/insights/people").get_json()
    assert sorted(p["learner_id"] for p in found["items"]) == sorted(mine) and found["total"] == 2
    assert found["items"][0]["pace"] == "no_path"
    admin = api_as("admin")
    assert admin.get("/api/v1/insights/people").get_json()["total"] >= len(mine + others)


def test_the_touchpoint_effect_table_is_for_admins_with_the_admin_scope(app, published, api_as):
    admin = api_as("admin", scopes=ADMIN)
    report = admin.get("/api/v1/admin/touchpoints/effect")
    assert report.status_code == 200, report.get_data(as_text=True)
    body = report.get_json()
    assert body["channels"] == [] and body["measured_until"]
    assert admin.get(f"/api/v1/admin/touchpoints/effect?course={published['course']}").status_code == 200
    problem = is_problem(admin.get("/api/v1/admin/touchpoints/effect?course=999999"), 400)
    assert problem["errors"][0]["field"] == "course"
    problem = is_problem(admin.get("/api/v1/admin/touchpoints/effect?start=2026-03-10&end=2026-03-01"), 400)
    assert problem["errors"][0]["field"] == "end"
    is_problem(admin.get("/api/v1/admin/touchpoints/effect?start=soon"), 422)
    is_problem(api_as("admin", scopes=("read",)).get("/api/v1/admin/touchpoints/effect"), 403)
    for role in ("learner", "trainer", "reviewer"):
        is_problem(api_as(role).get("/api/v1/admin/touchpoints/effect"), 403)


def test_the_journey_map_counts_colleagues_active_in_the_spaces(app, published, make_user, api_as):
    from tests.integration.test_insights import _colleagues_answer

    admin = api_as("admin", scopes=("read",))
    learners = _learners(app, make_user, 6)  # the quiz is reached by five of them: its numbers show
    _story(app, published, learners)
    _colleagues_answer(app, learners[:2], published["quiz"])
    lesson, quiz = admin.get(f"/api/v1/insights/courses/{published['course']}/journey-map").get_json()["stations"]
    assert (lesson["social_reach"], quiz["social_reach"]) == (0, 2)
