"""The templates' ``_``, ``gettext`` and ``ngettext`` (``lxp/core/i18n.py``): the viewer's
language, variables escaped while the translation itself is kept, and another language inside
``force_locale`` (a message to someone else) without changing the page's."""

from __future__ import annotations

import pytest
from flask import render_template_string
from flask_babel import force_locale

PAGE = (
    "{{ _('Sign out') }}|{{ gettext('due %(date)s', date=when) }}|"
    "{{ ngettext('%(num)d week met the plan you made yourself.', "
    "'%(num)d weeks met the plan you made yourself.', weeks) }}"
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Sign out|due &lt;b&gt;1 May&lt;/b&gt;|3 weeks met the plan you made yourself."),
        ("de", "Abmelden|fällig am &lt;b&gt;1 May&lt;/b&gt;|3 Wochen entsprachen Ihrem eigenen Plan."),
        ("ru", "Выйти|срок: &lt;b&gt;1 May&lt;/b&gt;|3 недели прошли по вашему собственному плану."),
    ],
)
def test_a_page_speaks_the_viewer_s_language_and_escapes_only_the_variables(app, language, expected):
    with app.test_request_context(headers={"Accept-Language": language}):
        assert render_template_string(PAGE, when="<b>1 May</b>", weeks=3) == expected


def test_another_language_for_a_moment_leaves_the_page_s_own(app):
    with app.test_request_context(headers={"Accept-Language": "de"}):
        before = render_template_string("{{ _('Sign out') }}")
        with force_locale("ru"):
            inside = render_template_string("{{ _('Sign out') }}")
        after = render_template_string("{{ _('Sign out') }}")
    assert (before, inside, after) == ("Abmelden", "Выйти", "Abmelden")


def test_a_percent_sign_in_a_message_needs_no_variables(app):
    with app.test_request_context():
        assert render_template_string("{{ _('100%% done') }}") == "100% done"
