"""WTForms' own messages (a required field left empty, a number that is none) in the person's
language, from the catalogue ``lxp.core.forms.Form`` keeps per process, on every form of lxp."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm

from lxp.accounts.models import User
from lxp.core.forms import Form
from lxp.extensions import db
from tests.conftest import committing, submit


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "This field is required."), ("de", "Dieses Feld wird benötigt."), ("ru", "Обязательное поле.")],
)
def test_a_required_field_left_empty_is_named_in_the_person_s_language(app, client, login_as, language, message):
    admin = login_as("admin")
    with committing(app):
        db.session.get(User, admin.id).locale = language
    for _ in range(2):  # the second from the kept catalogue
        response = submit(client, "/admin/competencies/new", {"name": "", "code": "", "description": ""})
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)


def test_languages_one_after_another_keep_their_own_messages(app, client, login_as):
    admin = login_as("admin")
    seen = []
    for language in ("ru", "de", "ru", "en"):
        with committing(app):
            db.session.get(User, admin.id).locale = language
        page = submit(client, "/admin/competencies/new", {"name": ""}).get_data(as_text=True)
        seen.append(next(m for m in ("Обязательное поле.", "Dieses Feld wird benötigt.", "This field is required.")
                         if m in page))  # fmt: skip
    assert seen == ["Обязательное поле.", "Dieses Feld wird benötigt.", "Обязательное поле.", "This field is required."]


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_form_of_lxp_is_built_on_its_base_form(app):
    """A form on Flask-WTF's class directly would load WTForms' catalogue from disk per request."""
    ours = [cls for cls in _subclasses(FlaskForm) if cls.__module__.startswith("lxp.")]
    assert len(ours) > 50  # the app has loaded its forms
    assert [cls.__qualname__ for cls in ours if not issubclass(cls, Form)] == []
