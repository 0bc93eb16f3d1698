"""The course editor pages, used as an admin would: form by form."""

import json
import re
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select

from lxp.authoring.models import Competency, Course, CourseVersion
from lxp.extensions import db
from tests.conftest import committing, submit

MINI = (Path(__file__).resolve().parents[2] / "tests/data/mini-course.json").read_text()


@pytest.fixture
def competency(app, organisation):
    with committing(app):
        row = Competency(organisation_id=organisation, code="active-listening", name="Active listening")
        db.session.add(row)
        db.session.commit()
        return row.id


def _course(app) -> Course:
    with committing(app):
        course = db.session.execute(select(Course)).scalar_one()
        db.session.expunge_all()
        return course


def _latest(app) -> CourseVersion:
    with committing(app):
        version = db.session.execute(select(CourseVersion).order_by(CourseVersion.id.desc())).scalars().first()
        _ = [(m.items, i.teaches) for m in version.modules for i in m.items], version.outcomes, version.items
        return version


def _build_small_course(client, app, competency):
    response = submit(client, "/admin/courses/new", {"title": "Listening basics", "slug": "", "language": "en"})
    assert response.status_code == 302
    course_id = _course(app).id
    base = f"/admin/courses/{course_id}"
    concept = {"title": "Listening basics", "language": "en", "summary": "Short course.", "questions": "How?\nWhy?",
               "expected_minutes": "10", "span_weeks": "1", "mix_self_paced": "100"}  # fmt: skip
    assert submit(client, f"{base}/concept", concept).status_code == 302
    assert submit(client, f"{base}/outcomes/new", {"statement": "I can summarise a concern",
                                                   "competencies": [str(competency)]}).status_code == 302  # fmt: skip
    assert submit(client, f"{base}/modules/new", {"title": "Listening", "summary": ""}).status_code == 302
    module_id = _latest(app).modules[0].id
    lesson = {"module": module_id, "title": "What listening sounds like", "minutes": "6", "language": "en",
              "markdown": "## Three moves\n\nLet them finish.", "video_url": "", "teaches": [str(competency)]}  # fmt: skip
    assert submit(client, f"{base}/items/new?kind=lesson&module={module_id}", lesson).status_code == 302
    quiz = {
        "module": module_id, "title": "Check: listening", "minutes": "4", "language": "en",
        "assesses": [str(competency)], "pass_mark": "100",
        "questions-0-prompt": "What do you say first?", "questions-0-competency": "active-listening",
        "questions-0-options-0-text": "That is frustrating.", "questions-0-options-0-correct": "y",
        "questions-0-options-0-feedback": "You named the feeling.",
        "questions-0-options-1-text": "Our courier is reliable.", "questions-0-options-1-feedback": "Defensive.",
    }  # fmt: skip
    response = submit(client, f"{base}/items/new?kind=quiz&module={module_id}", quiz)
    assert response.status_code == 302, response.get_data(as_text=True)
    return course_id


def test_admin_builds_a_course_and_sees_coverage_pass(app, client, login_as, competency):
    login_as("admin")
    course_id = _build_small_course(client, app, competency)
    page = client.get(f"/admin/courses/{course_id}").get_data(as_text=True)
    assert "Every outcome is taught and assessed" in page
    assert "Minutes: 10 of 10 promised." in page
    version = _latest(app)
    quiz = version.modules[0].items[1]
    assert quiz.content["questions"][0]["options"][0] == {"text": "That is frustrating.", "correct": True,
                                                           "feedback": "You named the feeling."}  # fmt: skip
    assert len(quiz.content["questions"]) == 1 and len(quiz.content["questions"][0]["options"]) == 2


def test_publishing_goes_through_another_admins_review(app, client, login_as, make_user, competency):
    author = login_as("admin", email="author@example.com")
    course_id = _build_small_course(client, app, competency)
    base = f"/admin/courses/{course_id}"
    submit(client, f"{base}/submit", {}, form_page=base)
    page = client.get(base).get_data(as_text=True)
    assert "Another admin reviews this version" in page and "Approve and publish" not in page
    response = submit(client, f"{base}/approve", {}, form_page=base, follow_redirects=True)
    assert "Another admin has to approve your own version" in response.get_data(as_text=True)

    from tests.conftest import sign_in

    make_user(("admin",), email="reviewer@example.com")
    reviewer = app.test_client()
    sign_in(reviewer, "reviewer@example.com")
    response = submit(reviewer, f"{base}/approve", {}, form_page=base, follow_redirects=True)
    assert "Published." in response.get_data(as_text=True)
    assert _latest(app).status == "published"
    history = reviewer.get(f"{base}/history").get_data(as_text=True)
    assert "approved and published it" in history and "sent it for review" in history and author.display_name in history


def test_publishing_an_uncovered_outcome_is_refused_naming_it(app, client, login_as, competency):
    login_as("admin")
    submit(client, "/admin/courses/new", {"title": "Half a course", "slug": "", "language": "en"})
    base = f"/admin/courses/{_course(app).id}"
    submit(
        client, f"{base}/outcomes/new", {"statement": "I can calm an angry caller", "competencies": [str(competency)]}
    )
    response = submit(client, f"{base}/submit", {}, form_page=base, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert (
        "The outcome \u201cI can calm an angry caller\u201d is not covered yet: nothing teaches active-listening."
        in page
    )
    assert _latest(app).status == "draft"


def test_markdown_with_script_or_javascript_links_never_reaches_the_preview(app, client, login_as, competency):
    login_as("admin")
    course_id = _build_small_course(client, app, competency)
    version = _latest(app)
    lesson = version.modules[0].items[0]
    nasty = {"module": lesson.module_id, "title": "Sneaky", "minutes": "5", "language": "en",
             "markdown": "Hi <script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror=alert(3)>",
             "video_url": "javascript:alert(4)", "teaches": [str(competency)]}  # fmt: skip
    response = submit(client, f"/admin/courses/{course_id}/items/{lesson.id}", nasty)
    assert "video_url" in response.get_data(as_text=True)  # the javascript: video link is refused
    nasty["video_url"] = ""
    assert submit(client, f"/admin/courses/{course_id}/items/{lesson.id}", nasty).status_code == 302
    preview = client.get(f"/admin/courses/{course_id}/items/{lesson.id}/preview").get_data(as_text=True)
    elements = _elements(preview[preview.index('<div class="phone-frame"') :])
    assert "script" not in {tag for tag, _ in elements}
    for tag, attributes in elements:
        for name, value in attributes:
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").strip().lower().startswith("javascript:"), (tag, name, value)
    assert "&lt;script&gt;" in preview  # shown as text, harmless


def _elements(html: str) -> list[tuple[str, list]]:
    """Every start tag with its attributes, as a browser's parser would see them."""
    from html.parser import HTMLParser

    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def test_item_over_ten_minutes_is_saved_with_a_warning(app, client, login_as, competency):
    login_as("admin")
    course_id = _build_small_course(client, app, competency)
    module_id = _latest(app).modules[0].id
    data = {"module": module_id, "title": "Long read", "minutes": "14", "language": "en", "markdown": "Text",
            "teaches": [str(competency)]}  # fmt: skip
    response = submit(client, f"/admin/courses/{course_id}/items/new?kind=lesson&module={module_id}", data,
                      follow_redirects=True)  # fmt: skip
    assert "consider splitting this one" in response.get_data(as_text=True)


def test_bad_item_input_re_renders_and_changes_nothing(app, client, login_as, competency):
    login_as("admin")
    course_id = _build_small_course(client, app, competency)
    module_id = _latest(app).modules[0].id
    before = len(_latest(app).items)
    quiz = {"module": module_id, "title": "Broken quiz", "minutes": "3", "language": "en", "pass_mark": "80",
            "questions-0-prompt": "Which?", "questions-0-competency": "active-listening",
            "questions-0-options-0-text": "A", "questions-0-options-1-text": "B"}  # fmt: skip
    response = submit(client, f"/admin/courses/{course_id}/items/new?kind=quiz&module={module_id}", quiz)
    assert response.status_code == 400
    assert "Mark at least one option as correct." in response.get_data(as_text=True)
    response = submit(client, f"/admin/courses/{course_id}/items/new?kind=lesson&module={module_id}",
                      {"module": module_id, "title": "", "minutes": "0", "language": "en", "markdown": ""})  # fmt: skip
    assert response.status_code == 400
    assert len(_latest(app).items) == before


def test_published_versions_cannot_be_edited_until_a_new_draft(app, client, login_as, make_user):
    admin = login_as("admin")
    with committing(app):
        from lxp.accounts.models import User
        from lxp.authoring import publishing, transfer

        author = db.session.get(User, admin.id)
        version = transfer.import_document(author, MINI)
        publishing.submit_for_review(author, version)
        reviewer = db.session.get(User, make_user(("admin", "reviewer"), email="r@example.com"))
        publishing.approve(reviewer, version)
        course_id, item_id = version.course_id, version.items[0].id
    base = f"/admin/courses/{course_id}"
    response = client.get(f"{base}/concept", follow_redirects=True)
    assert "Start a new draft to make changes." in response.get_data(as_text=True)
    submit(client, f"{base}/draft", {}, form_page=base)
    page = client.get(base).get_data(as_text=True)
    assert "Version 2" in page and "Learners get version 1." in page
    # The published version's items are still previewable by their own id.
    assert client.get(f"{base}/items/{item_id}/preview").status_code == 200


def test_export_download_and_upload_round_trip(app, client, login_as):
    login_as("admin")
    response = submit(client, "/admin/courses/import", {"file": (BytesIO(MINI.encode()), "mini.json")},
                      content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 302
    course_id = _course(app).id
    exported = client.get(f"/admin/courses/{course_id}/export")
    assert exported.headers["Content-Disposition"] == "attachment; filename=listening-basics-v1.json"
    assert json.loads(exported.data)["course"]["slug"] == "listening-basics"
    again = submit(client, "/admin/courses/import", {"file": (BytesIO(exported.data), "again.json")},
                   content_type="multipart/form-data")  # fmt: skip
    assert again.status_code == 302
    assert client.get(f"/admin/courses/{course_id}/export").data == exported.data


def test_upload_of_a_bad_document_lists_every_error(app, client, login_as):
    login_as("admin")
    broken = json.loads(MINI)
    broken["course"]["modules"][0]["items"][0]["minutes"] = -1
    broken["course"]["modules"][0]["items"][1]["kind"] = "podcast"
    broken["goals"][0]["courses"] = ["nope"]
    response = submit(client, "/admin/courses/import", {"file": (BytesIO(json.dumps(broken).encode()), "b.json")},
                      content_type="multipart/form-data")  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The document has 3 errors" in page
    for path in ("$.course.modules[0].items[0].minutes", "$.course.modules[0].items[1].kind", "$.goals[0].courses[0]"):
        assert f"<code>{path}</code>" in page
    with committing(app):
        assert db.session.execute(select(Course)).first() is None


def test_another_organisations_course_is_not_found(app, client, login_as, make_user, other_organisation):
    from lxp.accounts.models import User
    from lxp.authoring import transfer

    stranger_id = make_user(("admin",), email="s@other.example", organisation_id=other_organisation)
    with committing(app):
        course_id = transfer.import_document(db.session.get(User, stranger_id), MINI).course_id
    login_as("admin")
    for path in ("", "/concept", "/history", "/export", "/coverage"):
        assert client.get(f"/admin/courses/{course_id}{path}").status_code == 404, path
    assert not re.search("listening-basics", client.get("/admin/courses").get_data(as_text=True))


def test_an_empty_course_is_never_shown_as_covered_and_cannot_go_to_review(app, client, login_as):
    login_as("admin")
    submit(client, "/admin/courses/new", {"title": "Nothing yet", "slug": "", "language": "en"})
    base = f"/admin/courses/{_course(app).id}"
    page = client.get(base).get_data(as_text=True)
    assert "Every outcome is taught and assessed" not in page
    assert "Not ready to publish yet." in page and "No outcomes and no items yet." in page
    coverage = client.get(f"{base}/coverage").get_data(as_text=True)
    assert "Ready to publish" not in coverage and "No outcomes and no items yet." in coverage

    refused = submit(client, f"{base}/submit", {}, form_page=base, follow_redirects=True).get_data(as_text=True)
    assert "The course has no outcomes and no items yet: there is nothing to publish." in refused
    assert _latest(app).status == "draft"
