"""The admin's catalogue pages: competencies, goals and packages, used as an admin would."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.authoring import competencies, goals, transfer
from lxp.authoring.models import Competency, Course, Goal, Package, PackageItem
from lxp.core.errors import Invalid
from lxp.extensions import db
from tests.conftest import committing, csrf_from, sign_in, submit

ROOT = Path(__file__).resolve().parents[2]
MINI = (ROOT / "tests/data/mini-course.json").read_text()


@pytest.fixture
def admin(login_as) -> User:
    return login_as("admin")


@pytest.fixture
def imported(app, admin) -> dict:
    """The mini course, its competency, goal and package in the admin's organisation; their ids."""
    with committing(app):
        transfer.import_document(admin, MINI)
        course = db.session.execute(select(Course).where(Course.slug == "listening-basics")).scalar_one()
        goal = db.session.execute(select(Goal).where(Goal.slug == "keep-customers")).scalar_one()
        competency = db.session.execute(select(Competency).where(Competency.code == "active-listening")).scalar_one()
        return {
            "course": course.id,
            "goal": goal.id,
            "package": goal.packages[0].id,
            "competency": competency.id,
            "lesson": f"{course.id}:listen-lesson",
            "check": f"{course.id}:listen-check",
        }


def _count(app, model) -> int:
    with committing(app):
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _entries(app, package_id: int) -> list[tuple[str, bool]]:
    with committing(app):
        package = db.session.get(Package, package_id)
        return [(e.item_key, e.mandatory) for e in package.entries]


def _package_ids(app, goal_id: int) -> list[tuple[str, int]]:
    with committing(app):
        return [(p.slug, p.position) for p in db.session.get(Goal, goal_id).packages]


# --- competencies -----------------------------------------------------------------------


def test_competencies_are_added_searched_and_edited(app, client, admin):
    response = submit(client, "/admin/competencies/new", {"name": "Active listening", "code": "", "description": ""})
    assert response.status_code == 302
    submit(client, "/admin/competencies/new", {"name": "De-escalation", "code": "calm_down", "description": "Calm."})
    page = client.get("/admin/competencies").get_data(as_text=True)
    table = page[page.index("<table") :]
    assert "active-listening" in table and "calm_down" in table
    assert table.index("active-listening") < table.index("calm_down")
    page = client.get("/admin/competencies?q=ESCAL").get_data(as_text=True)
    assert "calm_down" in page and "active-listening" not in page
    assert "No competency matches this search." in client.get("/admin/competencies?q=zzz").get_data(as_text=True)

    with committing(app):
        competency_id = db.session.execute(select(Competency.id).where(Competency.code == "calm_down")).scalar_one()
    path = f"/admin/competencies/{competency_id}"
    response = submit(client, path, {"name": "Calming a conversation", "description": "Lower the heat.", "code": "x"})
    assert response.status_code == 302
    with committing(app):
        saved = db.session.get(Competency, competency_id)
        assert (saved.code, saved.name, saved.description) == ("calm_down", "Calming a conversation", "Lower the heat.")
    response = submit(client, path, {"name": "", "description": ""})
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)


def test_a_competency_code_is_unique_in_any_case_and_well_formed(app, client, admin):
    submit(client, "/admin/competencies/new", {"name": "Active listening", "code": "active-listening"})
    response = submit(client, "/admin/competencies/new", {"name": "Listening again", "code": "Active-Listening"})
    assert response.status_code == 400
    assert "The code active-listening is already in use." in response.get_data(as_text=True)
    response = submit(client, "/admin/competencies/new", {"name": "Listening", "code": "listen carefully!"})
    assert response.status_code == 400
    assert "lower-case letters, digits, - or _ for the code" in response.get_data(as_text=True)
    assert _count(app, Competency) == 1


def test_no_code_is_made_up_from_a_name_without_latin_letters(ctx, make_user):
    admin = db.session.get(User, make_user(("admin",)))
    with pytest.raises(Invalid) as refused:
        competencies.create_competency(admin, "", "Активное слушание")
    assert refused.value.field == "code"
    assert competencies.create_competency(admin, "aktivnoe-slushanie", "Активное слушание").code == "aktivnoe-slushanie"


def test_a_used_competency_is_not_deleted_and_the_page_says_what_uses_it(app, client, imported):
    path = f"/admin/competencies/{imported['competency']}"
    assert "1 outcome, 2 items, 1 goal" in client.get(path).get_data(as_text=True)
    response = submit(client, f"{path}/delete", {}, form_page=path, follow_redirects=True)
    assert "active-listening is still used by 1 outcome, 2 items, 1 goal" in response.get_data(as_text=True)
    assert _count(app, Competency) == 1

    submit(client, "/admin/competencies/new", {"name": "Spare", "code": "spare"})
    with committing(app):
        spare = db.session.execute(select(Competency.id).where(Competency.code == "spare")).scalar_one()
    response = submit(client, f"/admin/competencies/{spare}/delete", {}, form_page=path, follow_redirects=True)
    assert "Competency spare deleted." in response.get_data(as_text=True)
    assert _count(app, Competency) == 1


# --- goals ------------------------------------------------------------------------------


def _goal_data(**changes) -> dict:
    return {
        "title": "Lead a calm team meeting",
        "slug": "",
        "description": "Meetings people leave with a plan.",
        "language": "de",
        "suggested_roles": "Team lead\n\n  Shift supervisor \nteam lead",
        "competencies": [],
        "courses": [],
    } | changes


def test_a_goal_is_added_with_competencies_and_courses_and_edited(app, client, imported):
    data = _goal_data(competencies=[str(imported["competency"])], courses=[str(imported["course"])])
    response = submit(client, "/admin/goals/new", data, form_page="/admin/goals/new")
    assert response.status_code == 302
    with committing(app):
        goal = db.session.execute(select(Goal).where(Goal.slug == "lead-a-calm-team-meeting")).scalar_one()
        goal_id = goal.id
        assert goal.language == "de"
        assert goal.suggested_roles == ["Team lead", "Shift supervisor"]
        assert [c.code for c in goal.competencies] == ["active-listening"]
        assert [c.slug for c in goal.courses] == ["listening-basics"]

    page = client.get("/admin/goals").get_data(as_text=True)
    assert "Lead a calm team meeting" in page and "Deutsch" in page
    assert "Listening so customers feel heard" in page  # a course is named by its newest version's title

    path = f"/admin/goals/{goal_id}"
    response = submit(client, path, _goal_data(title="Run a calm meeting", slug="calm-meetings", language="en",
                                               competencies=[str(imported["competency"])]))  # fmt: skip
    assert response.status_code == 302
    with committing(app):
        goal = db.session.get(Goal, goal_id)
        assert (goal.title, goal.slug, goal.language, goal.courses) == ("Run a calm meeting", "calm-meetings", "en", [])


def test_a_goal_needs_a_competency_and_its_own_short_name(app, client, imported):
    response = submit(client, "/admin/goals/new", _goal_data())
    assert response.status_code == 400
    assert "Choose at least one competency the goal builds." in response.get_data(as_text=True)
    response = submit(client, "/admin/goals/new", _goal_data(slug="keep-customers",
                                                             competencies=[str(imported["competency"])]))  # fmt: skip
    assert response.status_code == 400
    assert "A goal with the short name keep-customers exists already." in response.get_data(as_text=True)
    assert _count(app, Goal) == 1

    path = f"/admin/goals/{imported['goal']}"
    response = submit(client, path, _goal_data(title="Changed", courses=[str(imported["course"])]))
    assert response.status_code == 400
    with committing(app):
        assert db.session.get(Goal, imported["goal"]).title == "Handle a complaint so the customer stays"


def test_a_course_whose_items_a_package_uses_stays_with_the_goal(app, client, imported):
    path = f"/admin/goals/{imported['goal']}"
    response = submit(client, path, _goal_data(competencies=[str(imported["competency"])], courses=[]))
    assert response.status_code == 400
    assert "These packages use items of a course you took out: Essentials in one week." in response.get_data(
        as_text=True
    )
    with committing(app):
        assert [c.slug for c in db.session.get(Goal, imported["goal"]).courses] == ["listening-basics"]


def test_the_goal_page_lists_its_packages_and_deleting_the_goal_takes_them_along(app, client, imported):
    path = f"/admin/goals/{imported['goal']}"
    page = client.get(path).get_data(as_text=True)
    assert "Essentials in one week" in page and f"/admin/packages/{imported['package']}" in page
    assert "2 items, 2 mandatory" in page
    response = submit(client, f"{path}/delete", {}, form_page=path, follow_redirects=True)
    assert "Goal “Handle a complaint so the customer stays” and its 1 package deleted." in response.get_data(
        as_text=True
    )
    assert _count(app, Goal) == 0 and _count(app, Package) == 0 and _count(app, Course) == 1


# --- packages ---------------------------------------------------------------------------


def _package_data(**changes) -> dict:
    return {
        "title": "Quick start",
        "slug": "",
        "description": "",
        "weeks": "2",
        "include": [],
        "mandatory": [],
    } | changes


def test_a_package_includes_items_and_mandatory_ones_are_always_included(app, client, imported):
    form_page = f"/admin/goals/{imported['goal']}/packages/new"
    page = client.get(form_page).get_data(as_text=True)
    assert "What active listening sounds like" in page and "Check: listening" in page
    assert page.index("What active listening sounds like") < page.index("Check: listening")

    response = submit(client, form_page, _package_data(include=[imported["lesson"]], mandatory=[imported["check"]]))
    assert response.status_code == 302
    with committing(app):
        package = db.session.execute(select(Package).where(Package.slug == "quick-start")).scalar_one()
        package_id = package.id
        assert (package.weeks, package.position) == (2, 1)
    assert _entries(app, package_id) == [("listen-lesson", False), ("listen-check", True)]

    path = f"/admin/packages/{package_id}"
    page = client.get(path).get_data(as_text=True)
    assert f'name="mandatory" value="{imported["check"]}" checked' in page
    response = submit(client, path, _package_data(title="Quick start", slug="quick-start", weeks="1",
                                                  include=[imported["check"]]))  # fmt: skip
    assert response.status_code == 302
    assert _entries(app, package_id) == [("listen-check", False)]


def test_a_package_needs_an_item_a_title_and_sensible_weeks(app, client, imported):
    form_page = f"/admin/goals/{imported['goal']}/packages/new"
    response = submit(client, form_page, _package_data())
    assert response.status_code == 400
    assert "Include at least one item." in response.get_data(as_text=True)
    response = submit(client, form_page, _package_data(weeks="200", include=[imported["lesson"]]))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Give the length in weeks, from 1 to 104." in page
    assert f'name="include" value="{imported["lesson"]}" checked' in page  # the ticks survive the error
    response = submit(client, form_page, _package_data(slug="essentials", include=[imported["lesson"]]))
    assert response.status_code == 400
    assert "This goal has a package with the short name essentials already." in response.get_data(as_text=True)
    assert _count(app, Package) == 1


def test_a_forged_item_is_refused_and_nothing_is_written(app, client, imported):
    form_page = f"/admin/goals/{imported['goal']}/packages/new"
    for forged in (f"{imported['course']}:no-such-item", "999999:listen-lesson", "not-a-value"):
        response = submit(client, form_page, _package_data(include=[imported["lesson"], forged]))
        assert response.status_code == 400
        assert "Choose items of the courses this goal draws on." in response.get_data(as_text=True)
    assert _count(app, Package) == 1

    path = f"/admin/packages/{imported['package']}"
    response = submit(client, path, _package_data(title="Renamed", mandatory=[f"{imported['course']}:nope"]))
    assert response.status_code == 400
    with committing(app):
        assert db.session.get(Package, imported["package"]).title == "Essentials in one week"
    assert _entries(app, imported["package"]) == [("listen-lesson", True), ("listen-check", True)]
    assert _count(app, PackageItem) == 2


def test_packages_move_up_and_down_and_are_deleted(app, client, imported):
    goal_path = f"/admin/goals/{imported['goal']}"
    submit(client, f"{goal_path}/packages/new", _package_data(title="Deep dive", include=[imported["lesson"]]))
    with committing(app):
        deep_dive = db.session.execute(select(Package.id).where(Package.slug == "deep-dive")).scalar_one()
    assert _package_ids(app, imported["goal"]) == [("essentials", 0), ("deep-dive", 1)]

    response = submit(client, f"/admin/packages/{deep_dive}/move", {"step": "-1"}, form_page=goal_path)
    assert response.status_code == 302
    assert _package_ids(app, imported["goal"]) == [("deep-dive", 0), ("essentials", 1)]
    page = client.get(goal_path).get_data(as_text=True)
    assert page.index("Deep dive") < page.index("Essentials in one week")
    submit(client, f"/admin/packages/{deep_dive}/move", {"step": "-1"}, form_page=goal_path)  # already first
    assert _package_ids(app, imported["goal"]) == [("deep-dive", 0), ("essentials", 1)]
    response = submit(client, f"/admin/packages/{deep_dive}/move", {"step": "5"}, form_page=goal_path,
                      follow_redirects=True)  # fmt: skip
    assert "Move a package one place up or down." in response.get_data(as_text=True)
    submit(client, f"/admin/packages/{deep_dive}/move", {"step": "1"}, form_page=goal_path)
    assert _package_ids(app, imported["goal"]) == [("essentials", 0), ("deep-dive", 1)]

    path = f"/admin/packages/{imported['package']}"
    response = submit(client, f"{path}/delete", {}, form_page=path, follow_redirects=True)
    assert "Package “Essentials in one week” deleted." in response.get_data(as_text=True)
    assert _package_ids(app, imported["goal"]) == [("deep-dive", 0)]


# --- boundaries -------------------------------------------------------------------------


def test_another_organisations_catalogue_is_not_found(app, client, imported, make_user, other_organisation):
    other_id = other_organisation
    login_client = app.test_client()
    stranger_id = make_user(("admin",), email="admin@other.example", organisation_id=other_id)
    assert sign_in(login_client, "admin@other.example").status_code == 302
    own_pages = [
        f"/admin/competencies/{imported['competency']}",
        f"/admin/goals/{imported['goal']}",
        f"/admin/goals/{imported['goal']}/packages/new",
        f"/admin/packages/{imported['package']}",
    ]
    for path in own_pages:
        assert login_client.get(path).status_code == 404, path
    for path in [
        f"/admin/competencies/{imported['competency']}/delete",
        f"/admin/goals/{imported['goal']}/delete",
        f"/admin/packages/{imported['package']}/delete",
        f"/admin/packages/{imported['package']}/move",
    ]:
        response = submit(login_client, path, {"step": "1"}, form_page="/admin/goals/new")
        assert response.status_code == 404, path
    assert "Handle a complaint" not in login_client.get("/admin/goals").get_data(as_text=True)
    assert "active-listening" not in login_client.get("/admin/competencies").get_data(as_text=True)
    # nor can the course be put into one of the stranger's own goals
    with committing(app):
        stranger = db.session.get(User, stranger_id)
        spare = competencies.create_competency(stranger, "spare", "Spare")
        data = goals.GoalInput("Theirs", "", "", "en", [], [spare.id], [imported["course"]])
        with pytest.raises(Invalid):
            goals.save_goal(stranger, data)
    assert _count(app, Goal) == 1 and _count(app, Package) == 1 and _count(app, Competency) == 2


@pytest.mark.parametrize("role", ["learner", "trainer"])
def test_learners_and_trainers_are_refused_every_catalogue_page(app, client, login_as, role):
    login_as(role)
    token = csrf_from(client.get("/me").get_data(as_text=True))
    for method, path in [
        ("GET", "/admin/competencies"),
        ("GET", "/admin/competencies/new"),
        ("POST", "/admin/competencies/new"),
        ("GET", "/admin/competencies/1"),
        ("POST", "/admin/competencies/1/delete"),
        ("GET", "/admin/goals"),
        ("GET", "/admin/goals/new"),
        ("GET", "/admin/goals/1"),
        ("POST", "/admin/goals/1/delete"),
        ("GET", "/admin/goals/1/packages/new"),
        ("GET", "/admin/packages/1"),
        ("POST", "/admin/packages/1/delete"),
        ("POST", "/admin/packages/1/move"),
    ]:
        response = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 403, (method, path)
