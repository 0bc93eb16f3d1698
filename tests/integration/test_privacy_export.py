"""A person downloads everything lxp holds about them: every section, their files, nobody
else's data, no secrets; rate-limited and audited."""

import json

from sqlalchemy import select

from lxp.audit.models import AuditEntry
from lxp.extensions import db
from tests.conftest import committing, sign_in, submit
from tests.integration.privacy_fixtures import LEARNERS, marker, read_zip

KINDS = ("PULSE", "QUESTION", "COACH-REPLY", "STUCK", "FEEDBACK", "EVIDENCE", "REVIEW", "TOUCHPOINT", "INBOX", "PUSH",
         "TOKEN-NAME", "FILE-evidence", "FILE-message")  # fmt: skip


def _download(client):
    return submit(client, "/me/data/download", {}, form_page="/me/data")


def test_a_learner_downloads_all_of_their_data_and_nobody_elses(app, client, world):
    assert sign_in(client, "anna@example.com").status_code == 302
    assert "Alles herunterladen, was lxp über Sie speichert" in client.get("/me").get_data(
        as_text=True
    )  # in her German
    response = _download(client)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    data, files = read_zip(response.data)
    everything = json.dumps(data) + "".join(f.decode(errors="replace") for f in files.values())
    for kind in KINDS:
        assert marker("anna", kind) in everything, f"Anna's {kind} is missing from her download"
    for other in LEARNERS[1:]:
        assert other.upper() + "-" not in everything, f"{other}'s data leaked into Anna's download"
        assert f"{other}@example.com" not in everything
    # Secrets are never exported: push keys, token hashes, the password hash.
    for secret in ("P256DH", "AUTHKEY", "token_hash", "password_hash", "pbkdf2"):
        assert secret not in everything
    assert data["profile"]["email"] == "anna@example.com" and data["profile"]["roles"] == ["learner"]
    assert [g["title"] for g in data["goals"]] and data["journeys"][0]["plan"]
    assert {e["verb"] for e in data["events"]} >= {"completed", "passed", "responded"} or data["quiz_answers"]
    assert data["completions"] and data["quiz_answers"] and data["pulse_feedback"]
    assert data["push_subscriptions"][0] == {"id": data["push_subscriptions"][0]["id"],
                                             "endpoint": f"https://push.example/{marker('anna', 'PUSH')}",
                                             "created_at": data["push_subscriptions"][0]["created_at"]}  # fmt: skip
    assert set(data["api_tokens"][0]) == {"id", "name", "scopes", "created_at", "last_used_at", "revoked_at"}
    assert data["registrations"][0]["session"]["item_key"] == "listen-lesson"
    assert data["cohorts"] == [{"id": world["cohort"], "name": "Spring cohort"}]
    assert data["coach"]["name"] == "Clara Coach"
    evidence_file = data["task_evidence"][0]["files"][0]
    assert files[evidence_file] == marker("anna", "FILE-evidence").encode()
    assert [m["mine"] for m in data["coaching_threads"][0]["messages"]] == [True, False]
    with committing(app):
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "data_exported")).all()
        assert entry.actor_id == world["people"]["anna"]


def test_a_coach_download_holds_their_own_words_not_their_learners_data(app, client, world):
    sign_in(client, "coach@example.com")
    data, files = read_zip(_download(client).data)
    text = json.dumps(data)
    for name in LEARNERS:
        for kind in ("PULSE", "QUESTION", "STUCK", "EVIDENCE", "TOUCHPOINT", "INBOX", "FILE-evidence"):
            assert marker(name, kind) not in text + "".join(f.decode(errors="replace") for f in files.values())
        assert f"{name}@example.com" not in text
    assert len(data["coaching_messages_written"]) == len(LEARNERS)
    assert len(data["task_reviews_given"]) == len(LEARNERS)


def test_the_download_is_rate_limited(client, world):
    sign_in(client, "bert@example.com")
    assert [_download(client).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_the_download_needs_a_signed_in_person_and_a_csrf_token(client, world):
    assert client.post("/me/data/download").status_code in (302, 400)
    sign_in(client, "bert@example.com")
    assert client.post("/me/data/download").status_code in (302, 400)
