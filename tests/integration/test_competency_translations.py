"""Competency names in the learner's language (issue #19): an admin gives a competency's name
and description per language, an import brings them, an export keeps them, and a learner who
chose German or Russian reads their language on the path, else the organisation's own."""

import json
from pathlib import Path

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring import transfer
from lxp.authoring.models import Competency, Course
from lxp.extensions import db
from tests.conftest import committing, sign_in, submit
from tests.integration.conftest import start_path

MINI = json.loads((Path(__file__).resolve().parents[1] / "data/mini-course.json").read_text())


def _path_as(app, make_user, published, locale):
    client = app.test_client()
    email = f"{locale}@example.com"
    make_user(("learner",), email=email, locale=locale)
    sign_in(client, email)
    start_path(client, published)
    return client.get("/path").get_data(as_text=True)


def test_an_admin_names_a_competency_in_each_language_and_learners_read_theirs(app, client, make_user, published):
    admin = make_user(("admin",), email="admin@example.com")
    sign_in(client, "admin@example.com")
    with app.app_context():
        competency = db.session.execute(select(Competency)).scalar_one()
    page = client.get(f"/admin/competencies/{competency.id}").get_data(as_text=True)
    assert "Name in Deutsch" in page and "Name in Русский" in page

    refused = submit(client, f"/admin/competencies/{competency.id}", {
        "name": "Active listening", "description": "", "name_de": "", "description_de": "Zuhören, bis …"})  # fmt: skip
    assert refused.status_code == 400
    assert "Give the name in this language too." in refused.get_data(as_text=True)

    saved = submit(client, f"/admin/competencies/{competency.id}", {
        "name": "Active listening", "description": "Hearing the need behind the words.",
        "name_de": "Aktives Zuhören", "description_de": "Das Anliegen hinter den Worten hören.",
        "name_ru": "Активное слушание", "description_ru": ""})  # fmt: skip
    assert saved.status_code == 302
    client.get("/logout")
    assert admin

    german = _path_as(app, make_user, published, "de")
    assert "Aktives Zuhören" in german and "Active listening" not in german
    russian = _path_as(app, make_user, published, "ru")
    assert "«Активное слушание»" in russian and "Active listening" not in russian
    english = _path_as(app, make_user, published, "en")
    assert "Active listening" in english


def test_translations_travel_with_the_course_document(app, make_user):
    document = json.loads(json.dumps(MINI))
    document["competencies"][0]["translations"] = {"ru": {"name": "Активное слушание", "description": "Слышать суть."}}
    author = make_user(("admin",), email="author@example.com")
    with committing(app):
        admin = db.session.get(User, author)
        transfer.import_document(admin, json.dumps(document))
    with committing(app):
        competency = db.session.execute(select(Competency)).scalar_one()
        assert competency.name_in("ru") == "Активное слушание" and competency.name_in("de") == "Active listening"
        assert competency.description_in("ru") == "Слышать суть."
        course = db.session.execute(select(Course)).scalar_one()
        exported = json.loads(transfer.export_document(course))
    assert exported["competencies"][0]["translations"] == {
        "ru": {"name": "Активное слушание", "description": "Слышать суть."}
    }
    # Importing a document without translations keeps those already there.
    with committing(app):
        transfer.import_document(db.session.get(User, author), json.dumps(MINI))
    with committing(app):
        assert db.session.execute(select(Competency)).scalar_one().name_in("ru") == "Активное слушание"
