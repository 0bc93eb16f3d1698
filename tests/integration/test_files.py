"""Uploaded files: kept outside static/ under random names, checked by size and by content,
and served only to the people allowed to see them, with headers that keep a browser from
running them. Shown here through the evidence of an on-the-job task, the first kind of file."""

import hashlib
import io
import re
import urllib.parse

from sqlalchemy import select

from lxp import create_app
from lxp.extensions import db
from lxp.files import services as files
from lxp.files import storage
from lxp.files.models import StoredFile
from lxp.workplace.models import TaskSubmission
from tests.conftest import committing, csrf_from
from tests.integration.test_workplace_fixtures import (  # noqa: F401  (fixtures)
    EXECUTABLE,
    PDF,
    client_for,
    on_path,
    png,
    task_course_fixture,
    upload_dir_fixture,
)
from tests.integration.test_workplace_tasks import _learner_and_coach, fetch, send_evidence


def _stored(app):
    with committing(app):
        return db.session.execute(select(StoredFile).order_by(StoredFile.id)).scalars().all()


def _files_on_disk(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _sent_with(app, client, login_as, make_user, task_course, mailbox, **evidence):
    learner, coach_id = _learner_and_coach(app, client, login_as, make_user, task_course)
    response = send_evidence(client, task_course["task"], account="See attached.", **evidence)
    assert response.status_code == 302, response.get_data(as_text=True)
    return learner, mailbox.link_in(mailbox.to("coach@example.com")[0])


def test_uploads_are_stored_by_random_name_outside_static_with_their_checksum(
    app, client, login_as, make_user, task_course, mailbox, upload_dir
):
    learner, _review = _sent_with(app, client, login_as, make_user, task_course, mailbox,
                                  photos=[("../../static/Straße photo.png", png())], files=[("notes.pdf", PDF)])  # fmt: skip
    photo, pdf = _stored(app)
    on_disk = _files_on_disk(upload_dir)
    assert on_disk == sorted([storage_path(upload_dir, photo.token), storage_path(upload_dir, pdf.token)])
    assert all("Stra" not in str(p) and "notes" not in str(p) for p in on_disk)
    assert photo.original_name == "Straße photo.png" and photo.content_type == "image/png"
    assert pdf.content_type == "application/pdf" and pdf.size == len(PDF)
    assert photo.sha256 == hashlib.sha256(png()).hexdigest() and photo.owner_id == learner.id
    assert photo.kind == "evidence" and photo.attached_id is not None
    assert "static" not in str(upload_dir)


def storage_path(folder, token):
    return folder / token[:2] / token


def test_images_show_inline_and_other_files_download_with_safe_headers(
    app, client, login_as, make_user, task_course, mailbox
):
    _sent_with(app, client, login_as, make_user, task_course, mailbox,
               photos=[("shot; 1's.png", png())], files=[("Bericht über\tAnruf.pdf", PDF)])  # fmt: skip
    photo, pdf = _stored(app)
    image = fetch(client, f"/files/{photo.token}")
    assert image.status_code == 200 and image.data == png()
    assert image.headers["Content-Type"] == "image/png"
    assert (
        image.headers["Content-Disposition"]
        == "inline; filename=\"shot_ 1_s.png\"; filename*=UTF-8''shot%3B%201%27s.png"
    )
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Cache-Control"].startswith("private")
    csp = image.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "script-src" not in csp

    download = fetch(client, f"/files/{pdf.token}")
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Bericht uberAnruf.pdf"')  # no control characters
    assert urllib.parse.unquote(disposition.split("UTF-8''")[1]) == "Bericht überAnruf.pdf"
    quoted = files.content_disposition(StoredFile(original_name='say "hi".pdf', content_type="application/pdf"))
    assert quoted == "attachment; filename=\"say _hi_.pdf\"; filename*=UTF-8''say%20%22hi%22.pdf"
    assert files.safe_name("..\\evil\r\nSet-Cookie: x.pdf") == "evilSet-Cookie: x.pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff" and download.data == PDF


def test_an_upload_over_the_size_limit_is_refused_naming_the_limit_and_nothing_is_kept(
    app, client, login_as, make_user, task_course, mailbox, upload_dir
):
    _learner_and_coach(app, client, login_as, make_user, task_course)
    too_big = png() + b"\x00" * (10 * 1024 * 1024)
    response = send_evidence(client, task_course["task"], account="Big photo.", photos=[("huge.png", too_big)])
    response.request.environ["wsgi.input"].close()  # the test client spooled the big body to a file
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "\u201chuge.png\u201d is too large: files can be at most 10 MB." in page
    assert _stored(app) == [] and _files_on_disk(upload_dir) == []
    with committing(app):
        assert db.session.execute(select(TaskSubmission)).first() is None
    assert mailbox.messages == []


def test_an_executable_renamed_to_jpg_is_refused_and_nothing_is_kept(
    app, client, login_as, make_user, task_course, mailbox, upload_dir
):
    _learner_and_coach(app, client, login_as, make_user, task_course)
    response = send_evidence(client, task_course["task"], account="A photo.", photos=[("holiday.jpg", EXECUTABLE)],
                             draft=True)  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "\u201choliday.jpg\u201d is not a photo (JPEG, PNG, WebP, HEIC), a PDF, an office document" in page
    assert "A photo." in page  # what was written is not lost
    assert _stored(app) == [] and _files_on_disk(upload_dir) == []
    with committing(app):
        assert db.session.execute(select(TaskSubmission)).first() is None


def test_a_text_file_is_accepted_only_when_it_really_is_text(app, client, login_as, make_user, task_course, mailbox):
    _learner_and_coach(app, client, login_as, make_user, task_course)
    refused = send_evidence(client, task_course["task"], files=[("notes.txt", b"\x00\x01binary\xff")], draft=True)
    assert refused.status_code == 400 and "\u201cnotes.txt\u201d is not a photo" in refused.get_data(as_text=True)
    kept = send_evidence(
        client, task_course["task"], files=[("notes.txt", "Grüße, Kunde zufrieden.\n".encode())], draft=True
    )
    assert kept.status_code == 302
    [text] = _stored(app)
    response = fetch(client, f"/files/{text.token}")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_a_submission_and_its_files_are_refused_to_everyone_else(
    app, client, login_as, make_user, task_course, mailbox, other_organisation
):
    learner, review_path = _sent_with(app, client, login_as, make_user, task_course, mailbox,
                                      photos=[("call.png", png())], files=[("notes.pdf", PDF)])  # fmt: skip
    tokens = [f.token for f in _stored(app)]
    coach = client_for(app, "coach@example.com")
    assert all(fetch(coach, f"/files/{t}").status_code == 200 for t in tokens)

    # Another learner on the same path, with their own coach.
    other_coach = make_user(("trainer",), email="otto@example.com", name="Otto Coach")
    other = make_user(("learner",), email="ole@example.com", name="Ole Other")
    on_path(app, other, task_course["goal"], other_coach)
    # Review pages are for the learner's own coach: another learner or coach is refused.
    for email, status in (("ole@example.com", 403), ("otto@example.com", 403)):
        someone = client_for(app, email)
        assert all(fetch(someone, f"/files/{t}").status_code == 404 for t in tokens), email
        assert someone.get(review_path).status_code == status, email
    # An admin of the organisation, and a trainer of another organisation.
    make_user(("admin",), email="ada@example.com")
    make_user(("trainer",), email="far@example.com", organisation_id=other_organisation)
    for email, status in (("ada@example.com", 403), ("far@example.com", 404)):
        someone = client_for(app, email)
        assert all(fetch(someone, f"/files/{t}").status_code == 404 for t in tokens), email
        assert someone.get(review_path).status_code == status, email
    anonymous = app.test_client()
    for path in [f"/files/{t}" for t in tokens] + [review_path]:
        response = fetch(anonymous, path)
        expected = 404 if path.startswith("/files/") else 302  # a page sends them to sign in; a file is not there
        assert response.status_code == expected, path
    assert fetch(client, "/files/" + "0" * 32).status_code == 404


def test_a_learner_removes_a_photo_from_their_draft_but_not_someone_elses(
    app, client, login_as, make_user, task_course, mailbox, upload_dir
):
    _learner_and_coach(app, client, login_as, make_user, task_course)
    ref = task_course["task"]
    send_evidence(client, ref, photos=[("one.png", png()), ("two.png", png(rgb=(1, 2, 3)))], draft=True)
    send_evidence(client, ref, photos=[("one again.png", png())], draft=True)  # the same photo is kept once
    one, two = _stored(app)
    other = make_user(("learner",), email="ole@example.com")
    on_path(app, other, task_course["goal"])
    ole = client_for(app, "ole@example.com")
    token = csrf_from(ole.get(f"/learn/{ref}").get_data(as_text=True))
    assert ole.post(f"/learn/{ref}/evidence/files/{one.id}/remove", data={"csrf_token": token}).status_code == 404

    page = client.get(f"/learn/{ref}").get_data(as_text=True)
    remove = re.search(rf'action="(/learn/{re.escape(ref)}/evidence/files/{one.id}/remove)"', page).group(1)
    response = client.post(remove, data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "Removed from your draft." in response.get_data(as_text=True)
    assert [f.id for f in _stored(app)] == [two.id]
    assert _files_on_disk(upload_dir) == [storage_path(upload_dir, two.token)]


def test_bytes_written_in_a_transaction_that_does_not_commit_are_removed(ctx, make_user, upload_dir):
    from lxp.accounts.models import User

    owner = db.session.get(User, make_user(("learner",)))
    upload = files.check_upload("evidence", "p.png", io.BytesIO(png()))
    stored = files.store(owner, "evidence", None, upload)
    path = storage.path_of(stored.token)
    assert path.is_file()
    db.session.rollback()
    assert not path.exists() and _files_on_disk(upload_dir) == []

    kept = files.store(owner, "evidence", None, upload)
    db.session.commit()
    assert storage.path_of(kept.token).is_file()
    files.remove(kept)
    assert storage.path_of(kept.token).is_file()  # gone only once the deletion commits
    db.session.commit()
    assert not storage.path_of(kept.token).exists()


def test_the_upload_folder_is_configurable_and_defaults_to_the_instance_folder(tmp_path):
    from config import Config

    assert Config.from_env({"LXP_UPLOAD_DIR": "/srv/lxp/uploads"})["UPLOAD_DIR"] == "/srv/lxp/uploads"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})  # fmt: skip
    with committing(app):
        assert storage.upload_dir() == tmp_path / "uploads"
        db.engine.dispose()
