"""Admins over the API choose a learner's coach, and move a course version through review:
submit, send back with a comment, approve (by another admin). Refusals change nothing."""

from lxp.authoring.models import CourseVersion
from lxp.extensions import db
from tests.conftest import committing
from tests.integration.api.conftest import is_problem

ADMIN = ("read", "write", "admin")


def test_an_admin_chooses_a_learners_coach_and_clears_it(app, api_as, make_user):
    admin = api_as("admin", scopes=ADMIN)
    learner = make_user(("learner",), name="Lena")
    coach = make_user(("trainer",), name="Clara Coach")
    url = f"/api/v1/admin/users/{learner}/coach"
    assert admin.get(url).get_json() == {"learner_id": learner, "coach_id": None, "coach_name": None}
    chosen = admin.put(url, json={"coach_id": coach})
    assert chosen.status_code == 200 and chosen.get_json()["coach_name"] == "Clara Coach"
    body = is_problem(admin.put(url, json={"coach_id": make_user(("learner",))}), 400)
    assert body["errors"][0]["field"] == "coach_id" and body["errors"][0]["message"]
    is_problem(admin.put(url, json={"coach_id": "me"}), 422)
    is_problem(admin.put(url, json={}), 422)
    is_problem(admin.put("/api/v1/admin/users/999999/coach", json={"coach_id": coach}), 404)
    assert admin.get(url).get_json()["coach_id"] == coach
    assert admin.put(url, json={"coach_id": None}).get_json()["coach_id"] is None
    for role in ("learner", "trainer"):
        is_problem(api_as(role).put(url, json={"coach_id": coach}), 403)
    is_problem(api_as("admin", scopes=("read", "write")).put(url, json={"coach_id": coach}), 403)
    assert admin.get(url).get_json()["coach_id"] is None


def _status(app, course_id) -> list[str]:
    with committing(app):
        return [v.status for v in db.session.query(CourseVersion).filter_by(course_id=course_id).order_by(
            CourseVersion.number)]  # fmt: skip


def test_a_new_version_goes_through_review_to_published(app, published, api_as):
    author = api_as("admin", scopes=ADMIN)
    reviewer = api_as("admin", scopes=ADMIN)
    course = published["course"]
    base = f"/api/v1/admin/courses/{course}"
    document = author.get(f"{base}/export").get_json()
    assert author.post("/api/v1/admin/courses/import", json=document).status_code == 201
    is_problem(author.post(f"{base}/approve"), 409)  # a draft is not in review
    submitted = author.post(f"{base}/submit")
    assert submitted.status_code == 200 and submitted.get_json()["latest_status"] == "in_review"
    is_problem(author.post(f"{base}/submit"), 409)
    body = is_problem(author.post(f"{base}/approve"), 403)
    assert "reviewer" in body["detail"]
    back = reviewer.post(f"{base}/send-back", json={"comment": "Shorter titles, please"})
    assert back.get_json()["latest_status"] == "draft"
    is_problem(reviewer.post(f"{base}/send-back", json={"comment": 7}), 422)
    is_problem(reviewer.post(f"{base}/send-back", json={"why": "x"}), 422)
    assert _status(app, course) == ["published", "draft"]
    author.post(f"{base}/submit")
    approved = reviewer.post(f"{base}/approve")
    assert approved.status_code == 200
    assert (approved.get_json()["latest_status"], approved.get_json()["published_version"]) == ("published", 2)
    is_problem(reviewer.post("/api/v1/admin/courses/999999/submit"), 404)
    for role in ("learner", "trainer", "reviewer"):
        is_problem(api_as(role).post(f"{base}/submit"), 403)
