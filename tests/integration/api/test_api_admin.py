"""Admins over the API: people (filtered, paged, roles, deactivation, invitations) and course
documents out and in. Only the admin role, and with a token only the admin scope."""

from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.authoring.models import CourseVersion
from lxp.extensions import db
from tests.conftest import committing
from tests.integration.api.conftest import is_problem

ADMIN = ("read", "write", "admin")


def test_admins_find_people_page_by_page(app, api_as, make_user):
    admin = api_as("admin", scopes=ADMIN, name="Ada Admin")
    for name in ("Bea", "Cem", "Dora", "Emil"):
        make_user(("learner",), name=name)
    first = admin.get("/api/v1/admin/users?limit=2").get_json()
    assert [u["display_name"] for u in first["items"]] == ["Ada Admin", "Bea"]
    rest = admin.get(f"/api/v1/admin/users?limit=10&page_token={first['next_page_token']}").get_json()
    assert [u["display_name"] for u in rest["items"]] == ["Cem", "Dora", "Emil"]
    found = admin.get("/api/v1/admin/users?q=dor&role=learner").get_json()["items"]
    assert [u["display_name"] for u in found] == ["Dora"]
    is_problem(admin.get("/api/v1/admin/users?role=wizard"), 422)
    is_problem(admin.get(f"/api/v1/admin/courses?page_token={first['next_page_token']}"), 400)


def test_thousands_of_people_page_through_in_sql_each_once_by_name(app, api_as, make_user):
    """1,200 more people, three of each name in two cases: 100 a page, each once, by name then id;
    a page costs the statements it cost with three people, early or late in the list."""
    from sqlalchemy import insert

    from lxp.accounts.models import UserRole
    from tests.conftest import statements_sent

    admin = api_as("admin", scopes=ADMIN, name="Ada Admin")
    for n in range(3):
        make_user(("learner",), name=f"Early {n}")
    admin.get("/api/v1/admin/users?role=learner&limit=100")  # this process's caches filled first
    with statements_sent(app) as sent:
        assert admin.get("/api/v1/admin/users?role=learner&limit=100").status_code == 200
    few = len(sent)
    with committing(app):
        organisation = db.session.get(User, admin.user_id).organisation_id
        names = [f"{'person' if n % 3 else 'Person'} {n % 400:03d}" for n in range(1200)]  # three of each name
        ids = list(db.session.execute(insert(User).returning(User.id), [
            {"organisation_id": organisation, "email": f"p{n}@example.com", "display_name": name,
             "timezone": "UTC", "active": True} for n, name in enumerate(names)]).scalars())  # fmt: skip
        db.session.execute(insert(UserRole), [{"user_id": i, "role": "learner"} for i in ids])
    seen, token, costs = [], None, []
    while True:
        with statements_sent(app) as sent:
            page = admin.get("/api/v1/admin/users?role=learner&limit=100" + (f"&page_token={token}" if token else ""))
        assert page.status_code == 200, page.get_json()
        costs.append(len(sent))
        seen += [(user["display_name"].lower(), user["id"]) for user in page.get_json()["items"]]
        token = page.get_json()["next_page_token"]
        if token is None:
            break
    assert len(seen) == 1203 and len(set(seen)) == 1203 and seen == sorted(seen)
    assert len(costs) == 13 and set(costs) == {few}  # not the whole organisation read for each page


def test_admins_change_roles_and_deactivate_people_whose_tokens_then_stop(app, api_as):
    admin = api_as("admin", scopes=ADMIN)
    learner = api_as("learner")
    changed = admin.put(f"/api/v1/admin/users/{learner.user_id}/roles", json={"roles": ["learner", "trainer"]})
    assert changed.get_json()["roles"] == ["learner", "trainer"]
    body = is_problem(admin.put(f"/api/v1/admin/users/{admin.user_id}/roles", json={"roles": ["learner"]}), 403)
    assert body["errors"][0]["field"] == "roles"
    assert learner.get("/api/v1/me").status_code == 200
    assert admin.put(f"/api/v1/admin/users/{learner.user_id}/active", json={"active": False}).status_code == 200
    is_problem(learner.get("/api/v1/me"), 401)
    is_problem(admin.get("/api/v1/admin/users/999999"), 404)


def test_an_invitation_by_api_sends_the_mail(app, api_as, mailbox):
    admin = api_as("admin", scopes=ADMIN)
    invited = admin.post("/api/v1/admin/users", json={"email": "new@example.com", "display_name": "Nia",
                                                      "roles": ["learner"]})  # fmt: skip
    assert invited.status_code == 201 and invited.get_json()["invitation_pending"] is True
    assert mailbox.to("new@example.com")
    is_problem(admin.post("/api/v1/admin/users", json={"email": "new@example.com", "display_name": "Nia",
                                                       "roles": ["learner"]}), 409)  # fmt: skip
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "new@example.com")) == 1


def test_a_course_goes_out_and_comes_back_in_as_a_new_draft(app, published, api_as):
    admin = api_as("admin", scopes=ADMIN)
    (row,) = admin.get("/api/v1/admin/courses").get_json()["items"]
    assert row["latest_status"] == "published" and row["published_version"] == 1
    document = admin.get(f"/api/v1/admin/courses/{row['id']}/export").get_json()
    assert document["format"] == "lxp-course" and document["course"]["slug"] == "listening-basics"
    is_problem(admin.get(f"/api/v1/admin/courses/{row['id']}/export?version=9"), 404)
    imported = admin.post("/api/v1/admin/courses/import", json=document)
    assert imported.status_code == 201 and imported.get_json() == {"course_id": row["id"], "version": 2,
                                                                   "status": "draft"}  # fmt: skip


def test_a_bad_course_document_lists_its_errors_and_imports_nothing(app, published, api_as):
    admin = api_as("admin", scopes=ADMIN)
    document = admin.get(f"/api/v1/admin/courses/{published['course']}/export").get_json()
    document["course"]["modules"][0]["items"][0]["kind"] = "hologram"
    body = is_problem(admin.post("/api/v1/admin/courses/import", json=document), 422)
    assert any("kind" in e["field"] for e in body["errors"])
    is_problem(admin.post("/api/v1/admin/courses/import", data="{not json", content_type="application/json"), 422)
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(CourseVersion)) == 1


def test_admin_resources_need_the_admin_role_and_the_admin_scope(app, published, api_as):
    plain = api_as("admin", scopes=("read", "write"))
    body = is_problem(plain.get("/api/v1/admin/users"), 403)
    assert "admin" in body["detail"]
    for role in ("learner", "trainer", "reviewer"):
        someone = api_as(role)
        is_problem(someone.get("/api/v1/admin/users"), 403)
        is_problem(someone.post("/api/v1/admin/courses/import", json={}), 403)
