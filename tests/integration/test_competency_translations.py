"""Competency names in the learner's language (issue #19): an admin gives a competency's name
and description per language, an import brings them, an export keeps them, and a learner who
chose German or Russian reads their language on the path, else the organisation's own."""

import json
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from lxp import demo
from lxp.accounts.models import User
from lxp.authoring import transfer
from lxp.authoring.models import Competency, Course
from lxp.coaching.models import CoachAssignment
from lxp.core import unit_of_work
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.nudges import services as nudges
from lxp.nudges.models import OutboxMessage
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


def test_an_admin_adds_a_competency_with_its_names_and_finds_it_by_any_of_them(app, client, make_user, published):
    make_user(("admin",), email="admin@example.com")
    sign_in(client, "admin@example.com")
    form = client.get("/admin/competencies/new").get_data(as_text=True)
    assert "Name in Deutsch" in form and "Name in Русский" in form
    refused = submit(client, "/admin/competencies/new", {
        "name": "Asking open questions", "code": "", "description": "", "description_ru": "Вопросы без «да» и «нет»."})  # fmt: skip
    assert refused.status_code == 400 and "Give the name in this language too." in refused.get_data(as_text=True)
    added = submit(client, "/admin/competencies/new", {
        "name": "Asking open questions", "code": "", "description": "",
        "name_de": "Offene Fragen stellen", "name_ru": "Открытые вопросы"})  # fmt: skip
    assert added.status_code == 302

    listed = client.get("/admin/competencies").get_data(as_text=True)
    assert "Offene Fragen stellen" in listed and '<span lang="ru">Открытые вопросы</span>' in listed
    for words in ("fragen", "ОТКРЫТЫЕ", "asking-open"):
        found = client.get("/admin/competencies", query_string={"q": words}).get_data(as_text=True)
        assert "asking-open-questions" in found and "active-listening" not in found, words


def test_every_competency_of_the_demo_has_a_german_and_a_russian_name(app):
    with committing(app):
        demo.seed()
        demo.seed_courses()
        unit_of_work.commit()
    with committing(app):
        named = {
            c.code: (c.name, c.name_in("de"), c.name_in("ru")) for c in db.session.execute(select(Competency)).scalars()
        }
    assert len(named) >= 8
    # The organisation names them in English; German differs from it, Russian is in Cyrillic.
    untranslated = {
        code: names for code, names in named.items() if names[1] == names[0] or re.search("[A-Za-z]", names[2])
    }
    assert not untranslated, f"demo competencies without German or Russian names: {untranslated}"


def test_a_coachs_feedback_names_the_competency_in_each_persons_language(app, make_user, published):
    coach_id = make_user(("trainer",), email="coach@example.com", locale="de")
    learner_id = make_user(("learner",), email="ru@example.com", locale="ru")
    with committing(app):
        competency = db.session.execute(select(Competency)).scalar_one()
        competency.translations = {"de": {"name": "Aktives Zuhören", "description": ""},
                                   "ru": {"name": "Активное слушание", "description": ""}}  # fmt: skip
        db.session.add(CoachAssignment(learner_id=learner_id, coach_id=coach_id))
        unit_of_work.commit()
    learner = app.test_client()
    sign_in(learner, "ru@example.com")
    start_path(learner, published)
    coach = app.test_client()
    sign_in(coach, "coach@example.com")
    form = coach.get(f"/desk/learners/{learner_id}/feedback").get_data(as_text=True)
    assert "Aktives Zuhören" in form and "Active listening" not in form
    given = submit(coach, f"/desk/learners/{learner_id}/feedback", {"competency": "active-listening", "rating": "2"})
    assert given.status_code == 302

    with committing(app):
        nudges.plan_touchpoints(utcnow() + timedelta(hours=25))
        unit_of_work.commit()
        told = db.session.execute(select(OutboxMessage).where(OutboxMessage.rule == "feedback_received")).scalar_one()
        assert told.user_id == learner_id and "Активное слушание" in told.subject, told.subject
