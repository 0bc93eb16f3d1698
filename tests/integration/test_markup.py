"""Pages are well-formed for assistive technology: unique ids, no attributes saying "None"."""

from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from lxp.accounts.models import User
from lxp.authoring import transfer
from lxp.extensions import db
from tests.conftest import committing

MINI = (Path(__file__).resolve().parents[2] / "tests/data/mini-course.json").read_text()


def _attributes(html: str) -> list[tuple[str, str, str | None]]:
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend((tag, name, value) for name, value in attrs)

    Collector().feed(html)
    return found


def test_pages_have_unique_ids_and_no_none_attributes(app, client, login_as, make_user):
    admin = login_as("admin", "learner")
    with committing(app):
        version = transfer.import_document(db.session.get(User, admin.id), MINI)
        course_id, item = version.course_id, version.items[1]
        item_id, person = item.id, make_user(email="someone@example.com")
    pages = [
        "/me", "/today", f"/admin/users/{person}", "/admin/users/invite", f"/admin/courses/{course_id}",
        f"/admin/courses/{course_id}/concept", f"/admin/courses/{course_id}/items/{item_id}",
        f"/admin/courses/{course_id}/items/{item_id}/preview", "/admin/goals", "/admin/competencies",
    ]  # fmt: skip
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        attributes = _attributes(response.get_data(as_text=True))
        ids = Counter(value for _, name, value in attributes if name == "id")
        assert not [i for i, n in ids.items() if n > 1], (path, [i for i, n in ids.items() if n > 1])
        assert not [(t, n) for t, n, v in attributes if v == "None"], path
