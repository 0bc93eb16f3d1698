"""Competencies over the API (issue #19): an admin lists, adds, changes and deletes their
organisation's competencies with names per language; a learner reads the names in their own
language on the goals they can choose and on the reasons of their path."""

from lxp.accounts.models import Organisation
from lxp.extensions import db
from tests.conftest import committing
from tests.integration.api.conftest import is_problem

ADMIN = ("read", "write", "admin")
RUSSIAN = {"ru": {"name": "Активное слушание", "description": "Слышать суть."}}


def _listening(admin) -> dict:
    (found,) = admin.get("/api/v1/admin/competencies?q=active").get_json()["items"]
    return found


def test_an_admin_names_competencies_in_each_language_over_the_api(app, published, api_as):
    admin = api_as("admin", scopes=ADMIN)
    listening = _listening(admin)
    assert listening["code"] == "active-listening" and listening["translations"] == {}

    changed = admin.patch(f"/api/v1/admin/competencies/{listening['id']}", json={"translations": RUSSIAN})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["name"] == "Active listening"  # left out, so kept
    assert changed.get_json()["translations"] == RUSSIAN
    # A name in any language finds it.
    assert [c["code"] for c in admin.get("/api/v1/admin/competencies?q=слуш").get_json()["items"]] == [
        "active-listening"
    ]

    made = admin.post("/api/v1/admin/competencies", json={
        "name": "Asking open questions", "translations": {"de": {"name": "Offene Fragen stellen"}}})  # fmt: skip
    assert made.status_code == 201
    assert made.get_json()["code"] == "asking-open-questions"
    assert made.get_json()["translations"] == {"de": {"name": "Offene Fragen stellen", "description": ""}}
    assert admin.get(f"/api/v1/admin/competencies/{made.get_json()['id']}").get_json() == made.get_json()
    listed = admin.get("/api/v1/admin/competencies?limit=1").get_json()
    assert [c["code"] for c in listed["items"]] == ["active-listening"] and listed["next_page_token"]

    # Refusals: a language learners cannot pick, a translated description without its name,
    # a code in use, a competency still used by the course.
    body = is_problem(admin.patch(f"/api/v1/admin/competencies/{listening['id']}",
                                  json={"translations": {"fr": {"name": "Écoute active"}}}), 422)  # fmt: skip
    assert "fr" in str(body["errors"])
    is_problem(admin.patch(f"/api/v1/admin/competencies/{listening['id']}",
                           json={"translations": {"de": {"description": "Zuhören"}}}), 422)  # fmt: skip
    is_problem(admin.post("/api/v1/admin/competencies", json={"code": "active-listening", "name": "Again"}), 409)
    used = is_problem(admin.delete(f"/api/v1/admin/competencies/{listening['id']}"), 409)
    assert "1 goal" in used["detail"]
    assert _listening(admin)["translations"] == RUSSIAN  # nothing changed by the refusals

    assert admin.delete(f"/api/v1/admin/competencies/{made.get_json()['id']}").status_code == 204
    is_problem(admin.get(f"/api/v1/admin/competencies/{made.get_json()['id']}"), 404)


def test_competencies_are_the_admins_of_their_own_organisation_only(app, published, api_as, make_user):
    admin = api_as("admin", scopes=ADMIN)
    listening = _listening(admin)
    is_problem(api_as("learner").get("/api/v1/admin/competencies"), 403)
    is_problem(api_as("admin", scopes=("read", "write")).get("/api/v1/admin/competencies"), 403)
    with committing(app):
        other = Organisation(name="Elsewhere", slug="elsewhere")
        db.session.add(other)
        db.session.flush()
        other_id = other.id
    stranger = api_as("admin", scopes=ADMIN, organisation_id=other_id)
    is_problem(stranger.get(f"/api/v1/admin/competencies/{listening['id']}"), 404)
    is_problem(stranger.patch(f"/api/v1/admin/competencies/{listening['id']}", json={"name": "Mine"}), 404)
    assert stranger.get("/api/v1/admin/competencies").get_json()["items"] == []


def test_a_russian_learner_reads_competency_names_in_russian(app, published, api_as):
    admin = api_as("admin", scopes=ADMIN)
    admin.patch(f"/api/v1/admin/competencies/{_listening(admin)['id']}", json={"translations": RUSSIAN})

    russian = api_as("learner", locale="ru")
    (goal,) = russian.get("/api/v1/goals").get_json()["items"]
    assert goal["competencies"] == [{"code": "active-listening", **RUSSIAN["ru"]}]
    started = russian.put("/api/v1/journey", json={"goal_ids": [goal["id"]], "weekly_minutes": 60,
                                                   "modalities": ["self_paced"]})  # fmt: skip
    assert started.status_code == 200, started.get_json()
    reasons = [r for step in russian.get("/api/v1/path").get_json()["steps"] for r in step["reasons"]]
    named = [r for r in reasons if r["competency"] == "active-listening"]
    assert named and all(r["competency_name"] == "Активное слушание" for r in named)
    assert all("Active listening" not in r["text"] for r in named)

    english = api_as("learner", locale="en")
    assert english.get("/api/v1/goals").get_json()["items"][0]["competencies"][0]["name"] == "Active listening"
