"""Every upload lxp keeps is scanned by a real clamd before anything is written (ASVS V5.4.3):
evidence on the task page and through the API, attachments to coaching messages, content
packages. An infected file is refused naming it, and nothing is stored; while clamd does not
answer, uploads are refused (fail closed) unless the operator chose otherwise; `flask lxp
check` says whether clamd answers."""

from __future__ import annotations

import io
import logging
from io import BytesIO

import pytest
from sqlalchemy import func, select

from lxp.coaching.models import CoachingMessage
from lxp.extensions import db
from lxp.files.models import StoredFile
from lxp.packages.models import ContentPackage
from lxp.workplace.models import TaskSubmission
from tests.conftest import committing, csrf_from, submit
from tests.integration.api.conftest import ApiClient, is_problem, make_token
from tests.integration.clamd_fixtures import EICAR, clamd  # noqa: F401  (fixture)
from tests.integration.served import free_port
from tests.integration.test_packages import package_form
from tests.integration.test_workplace_fixtures import (  # noqa: F401  (fixtures)
    PDF,
    on_path,
    png,
    task_course_fixture,
    upload_dir_fixture,
)
from tests.integration.test_workplace_tasks import _learner_and_coach, send_evidence
from tests.package_builder import scorm_zip

INFECTED_NOTE = b"Notes from the call.\n" + EICAR + b"\n"


@pytest.fixture(params=["unix", "tcp"])
def scanning(request, app, clamd, monkeypatch):  # noqa: F811
    """Uploads scanned by the running clamd, through its unix socket or its TCP port."""
    address = clamd.unix_address if request.param == "unix" else clamd.tcp_address
    monkeypatch.setitem(app.config, "CLAMD", address)
    monkeypatch.setitem(app.config, "CLAMD_REQUIRED", True)
    return clamd


@pytest.fixture
def clamd_down(app, monkeypatch):
    """Scanning configured at a loopback port nobody listens on."""
    monkeypatch.setitem(app.config, "CLAMD", f"tcp://127.0.0.1:{free_port()}")
    monkeypatch.setitem(app.config, "CLAMD_TIMEOUT", 2)


def _count(app, model) -> int:
    with committing(app):
        return db.session.scalar(select(func.count()).select_from(model))


def _nothing_kept(app, upload_dir) -> None:
    files_on_disk = [p for p in upload_dir.rglob("*") if p.is_file()] if upload_dir.exists() else []
    assert files_on_disk == [] and _count(app, StoredFile) == 0
    assert _count(app, TaskSubmission) == 0


def test_an_infected_file_among_clean_ones_is_refused_naming_it_and_nothing_is_kept(
    app, client, login_as, make_user, task_course, mailbox, upload_dir, scanning
):
    _learner_and_coach(app, client, login_as, make_user, task_course)
    response = send_evidence(client, task_course["task"], account="What I did on the call.",
                             photos=[("whiteboard.png", png())], files=[("call notes.txt", INFECTED_NOTE)])  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (
        "\u201ccall notes.txt\u201d contains a virus or other malware "
        f"({scanning.found()}), so it was not added." in page.replace("&#34;", '"')
    )
    assert "What I did on the call." in page  # what was written is not lost
    _nothing_kept(app, upload_dir)
    assert mailbox.messages == []  # the coach is told nothing

    clean = send_evidence(client, task_course["task"], account="Clean this time.",
                          photos=[("whiteboard.png", png())], files=[("notes.pdf", PDF)])  # fmt: skip
    assert clean.status_code == 302  # clean files pass the same scanner
    assert _count(app, StoredFile) == 2


def test_the_api_refuses_an_infected_file_with_a_problem_naming_it(app, make_user, task_course, upload_dir, scanning):
    learner_id = make_user(("learner",), email="lena@example.com")
    on_path(app, learner_id, task_course["goal"], make_user(("trainer",), email="coach@example.com"))
    learner = ApiClient(app, make_token(app, learner_id), learner_id)
    task = task_course["task"]
    refused = learner.client.post(f"/api/v1/tasks/{task}/files", headers=learner.headers(),
                                  data={"file": (BytesIO(INFECTED_NOTE), "notes.txt")},
                                  content_type="multipart/form-data")  # fmt: skip
    body = is_problem(refused, 400)
    assert body["errors"][0]["field"] == "files" and "\u201cnotes.txt\u201d contains a virus" in body["detail"]
    _nothing_kept(app, upload_dir)
    kept = learner.client.post(f"/api/v1/tasks/{task}/files", headers=learner.headers(),
                               data={"file": (BytesIO(png()), "whiteboard.png")}, content_type="multipart/form-data")  # fmt: skip
    assert kept.status_code == 201 and [f["name"] for f in kept.get_json()["files"]] == ["whiteboard.png"]


def test_an_infected_attachment_to_a_coaching_message_is_refused_with_the_message(
    app, client, login_as, make_user, task_course, upload_dir, scanning
):
    _learner_and_coach(app, client, login_as, make_user, task_course)
    thread = submit(client, "/coaching/start", {}, form_page="/coaching").headers["Location"].split("#")[0]
    page = client.get(thread).get_data(as_text=True)
    answer = client.post(f"{thread}/messages", data={"csrf_token": csrf_from(page), "body": "Here are my notes.",
                                                     "files": [(io.BytesIO(INFECTED_NOTE), "notes.txt")]},
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 400
    assert "\u201cnotes.txt\u201d contains a virus or other malware" in answer.get_data(as_text=True)
    assert _count(app, CoachingMessage) == 0 and _count(app, StoredFile) == 0


def test_a_package_carrying_a_virus_is_refused_and_nothing_is_unpacked(
    app, client, login_as, published, upload_dir, scanning
):
    form, page, module = package_form(client, login_as, published["course"])
    infected = scorm_zip("1.2", title="Listening drill", extra_files={"unit/readme.txt": INFECTED_NOTE})
    answer = client.post(form, data={"csrf_token": csrf_from(page), "module": module, "minutes": "5",
                                     "package": (io.BytesIO(infected), "drill.zip")},
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert f"\u201cListening drill\u201d contains a virus or other malware ({scanning.found()})" in page
    assert _count(app, ContentPackage) == 0
    assert not (upload_dir / "packages").exists() or list((upload_dir / "packages").iterdir()) == []
    clean = client.post(form, data={"csrf_token": csrf_from(page), "module": module, "minutes": "5",
                                    "package": (io.BytesIO(scorm_zip("1.2")), "drill.zip")},
                        content_type="multipart/form-data")  # fmt: skip
    assert clean.status_code == 302 and _count(app, ContentPackage) == 1


def test_while_clamd_is_down_uploads_are_refused_and_nothing_is_kept(
    app, client, login_as, make_user, task_course, mailbox, upload_dir, clamd_down, caplog
):
    _learner_and_coach(app, client, login_as, make_user, task_course)
    with caplog.at_level(logging.ERROR, logger="lxp.files.scanning"):
        response = send_evidence(client, task_course["task"], account="A photo.", photos=[("whiteboard.png", png())])
    assert response.status_code == 400
    assert ("\u201cwhiteboard.png\u201d could not be checked for viruses just now, so it was not added. "
            "Please try again in a few minutes.") in response.get_data(as_text=True)  # fmt: skip
    _nothing_kept(app, upload_dir)
    assert any("gave no verdict" in r.getMessage() for r in caplog.records)

    learner_id = make_user(("learner",), email="api-learner@example.com")
    on_path(app, learner_id, task_course["goal"], make_user(("trainer",), email="coach2@example.com"))
    learner = ApiClient(app, make_token(app, learner_id), learner_id)
    refused = learner.client.post(f"/api/v1/tasks/{task_course['task']}/files", headers=learner.headers(),
                                  data={"file": (BytesIO(png()), "whiteboard.png")}, content_type="multipart/form-data")  # fmt: skip
    assert "could not be checked for viruses" in is_problem(refused, 503)["detail"]
    _nothing_kept(app, upload_dir)


def test_an_operator_may_keep_uploads_unscanned_while_clamd_is_down(
    app, client, login_as, make_user, task_course, mailbox, upload_dir, clamd_down, monkeypatch, caplog
):
    monkeypatch.setitem(app.config, "CLAMD_REQUIRED", False)
    _learner_and_coach(app, client, login_as, make_user, task_course)
    with caplog.at_level(logging.WARNING, logger="lxp.files.scanning"):
        response = send_evidence(client, task_course["task"], account="A photo.", photos=[("whiteboard.png", png())])
    assert response.status_code == 302
    assert _count(app, StoredFile) == 1
    assert any("kept unscanned" in r.getMessage() for r in caplog.records)


def test_a_stream_longer_than_clamd_takes_is_refused_not_passed(
    app, client, login_as, make_user, task_course, upload_dir, scanning
):
    # The test clamd takes streams of at most 2 MB (StreamMaxLength); the file limit is 10 MB.
    _learner_and_coach(app, client, login_as, make_user, task_course)
    response = send_evidence(client, task_course["task"], account="Long notes.",
                             files=[("long.txt", b"calm words\n" * 300_000)])  # fmt: skip
    response.request.environ["wsgi.input"].close()  # the test client spooled the big body to a file
    assert response.status_code == 400
    assert "\u201clong.txt\u201d could not be checked for viruses just now" in response.get_data(as_text=True)
    _nothing_kept(app, upload_dir)


def test_the_operator_check_reports_clamd(app, clamd, monkeypatch):  # noqa: F811
    runner = app.test_cli_runner()
    monkeypatch.setitem(app.config, "CLAMD", clamd.unix_address)
    answering = runner.invoke(args=["lxp", "check"])
    [line] = [line for line in answering.stdout.splitlines() if line[6:].startswith("clamd")]
    assert line.startswith("ok") and f"{clamd.unix_address} answers: ClamAV " in line

    monkeypatch.setitem(app.config, "CLAMD", f"tcp://127.0.0.1:{free_port()}")
    down = runner.invoke(args=["lxp", "check"])
    [line] = [line for line in down.stdout.splitlines() if line[6:].startswith("clamd")]
    assert down.exit_code != 0
    assert line.startswith("FAIL") and "until it answers, every upload is refused" in line and "LXP_CLAMD" in line

    monkeypatch.setitem(app.config, "CLAMD", None)
    [line] = [line for line in runner.invoke(args=["lxp", "check"]).stdout.splitlines() if line[6:].startswith("clamd")]
    assert line.startswith("ok") and "not configured: uploads are not scanned" in line
