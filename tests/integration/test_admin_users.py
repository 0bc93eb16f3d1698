"""The admin's people list: search, roles, deactivation, organisation boundaries."""

from lxp.accounts.models import User
from lxp.extensions import db
from tests.conftest import committing, submit


def test_search_finds_people_by_name_or_email_and_role(client, login_as, make_user):
    make_user(("learner",), email="anna@example.com", name="Anna Ivanova")
    make_user(("trainer",), email="jonas@example.com", name="Jonas Becker")
    login_as("admin", name="Amara Admin")
    page = client.get("/admin/users?q=ivan").get_data(as_text=True)
    assert "Anna Ivanova" in page and "Jonas Becker" not in page
    page = client.get("/admin/users?q=JONAS@").get_data(as_text=True)
    assert "Jonas Becker" in page and "Anna Ivanova" not in page
    page = client.get("/admin/users?role=trainer").get_data(as_text=True)
    assert "Jonas Becker" in page and "Anna Ivanova" not in page
    assert "Nobody matches this search." in client.get("/admin/users?q=zzz").get_data(as_text=True)


def test_people_of_another_organisation_are_invisible(app, client, login_as, make_user, other_organisation):
    stranger = make_user(email="stranger@other.example", name="Other Stranger", organisation_id=other_organisation)
    login_as("admin")
    assert "Other Stranger" not in client.get("/admin/users").get_data(as_text=True)
    assert client.get(f"/admin/users/{stranger}").status_code == 404
    response = submit(client, f"/admin/users/{stranger}/deactivate", {}, form_page="/admin/users/invite")
    assert response.status_code == 404
    with committing(app):
        assert db.session.get(User, stranger).active


def test_admin_changes_roles(app, client, login_as, make_user):
    person = make_user(("learner",))
    login_as("admin")
    response = submit(client, f"/admin/users/{person}", {"roles": ["learner", "trainer"]})
    assert response.status_code == 302
    with committing(app):
        assert db.session.get(User, person).roles == {"learner", "trainer"}
    response = submit(client, f"/admin/users/{person}", {"roles": []})
    assert response.status_code == 400
    assert "Choose at least one role." in response.get_data(as_text=True)
    with committing(app):
        assert db.session.get(User, person).roles == {"learner", "trainer"}


def test_admins_cannot_lock_themselves_out(app, client, login_as):
    admin = login_as("admin")
    response = submit(client, f"/admin/users/{admin.id}", {"roles": ["learner"]})
    assert "You cannot remove your own admin role" in response.get_data(as_text=True)
    response = submit(
        client, f"/admin/users/{admin.id}/deactivate", {}, form_page=f"/admin/users/{admin.id}", follow_redirects=True
    )
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    with committing(app):
        saved = db.session.get(User, admin.id)
        assert saved.active and saved.roles == {"admin"}


def test_deactivate_and_reactivate(app, client, login_as, make_user):
    person = make_user(name="Tobias Wagner")
    login_as("admin")
    response = submit(
        client, f"/admin/users/{person}/deactivate", {}, form_page=f"/admin/users/{person}", follow_redirects=True
    )
    assert "Tobias Wagner is deactivated and signed out everywhere." in response.get_data(as_text=True)
    with committing(app):
        assert not db.session.get(User, person).active
    submit(client, f"/admin/users/{person}/reactivate", {}, form_page=f"/admin/users/{person}")
    with committing(app):
        assert db.session.get(User, person).active


def test_learners_and_trainers_get_403_on_admin_pages(client, login_as):
    login_as("learner", "trainer")
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "Not for you, sorry" in response.get_data(as_text=True)


def test_roles_are_listed_by_their_translated_names(client, login_as, make_user):
    make_user(("learner", "trainer"), name="Priya Raman")
    login_as("admin", locale="de")
    page = client.get("/admin/users?q=priya").get_data(as_text=True)
    assert ">Lernende, Trainer</td>" in page
