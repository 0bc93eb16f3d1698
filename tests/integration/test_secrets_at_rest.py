"""Secrets in the database are encrypted with LXP_ENCRYPTION_KEY: the raw columns never hold
the plain text, the migration encrypts what was stored before, keys rotate, and production
without the key is caught by `flask lxp check`."""

import base64
import uuid
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from lxp import create_app
from lxp.accounts.models import Organisation, User
from lxp.core import crypto
from lxp.extensions import db
from lxp.lrs.models import LrsConnection
from tests.conftest import committing
from tests.integration.fresh_install import migrate


def _revision_before_encryption() -> str:
    script = ScriptDirectory(str(Path(__file__).resolve().parents[2] / "migrations"))
    found = [r for r in script.walk_revisions() if "secrets encrypted at rest" in (r.doc or "")]
    assert len(found) == 1, "the migration that encrypts the stored secrets is not found by its title"
    return found[0].down_revision


BEFORE = _revision_before_encryption()
PLAIN = "lrs-secret-Пароль-" + uuid.uuid4().hex


def _raw_lrs_password(organisation_id) -> str:
    return db.session.execute(
        text("SELECT password FROM lrs_connections WHERE organisation_id = :id"), {"id": organisation_id}
    ).scalar_one()


def test_the_lrs_password_is_stored_encrypted_and_read_back_plain(app, organisation):
    with committing(app):
        db.session.add(LrsConnection(organisation_id=organisation, endpoint="https://lrs.example.com/xapi/",
                                     username="key", password=PLAIN))  # fmt: skip
    with app.app_context():
        raw = _raw_lrs_password(organisation)
        assert PLAIN not in raw and "lrs-secret" not in raw
        assert Fernet  # a Fernet token: version byte 0x80, base64
        assert raw.startswith("gAAAAA")
        assert db.session.get(LrsConnection, organisation).password == PLAIN


def test_the_migration_encrypts_plain_passwords_stored_before_it(fresh_app):
    migrate(fresh_app, BEFORE)
    with committing(fresh_app):
        db.session.execute(
            text("INSERT INTO organisations (slug, name, created_at) VALUES ('o', 'O', CURRENT_TIMESTAMP)")
        )
        db.session.execute(
            text(
                "INSERT INTO lrs_connections (organisation_id, endpoint, username, password, enabled, batch_size, "
                "sent_count, failures, updated_at) SELECT id, 'https://lrs.example.com/', 'k', :p, true, 100, 0, 0, "
                "CURRENT_TIMESTAMP FROM organisations"
            ),  # fmt: skip
            {"p": PLAIN},
        )
        organisation_id = db.session.execute(text("SELECT id FROM organisations")).scalar_one()
    migrate(fresh_app)
    with fresh_app.app_context():
        raw = _raw_lrs_password(organisation_id)
        assert PLAIN not in raw and crypto.decrypt(raw) == PLAIN
        assert db.session.get(LrsConnection, organisation_id).password == PLAIN
    result = fresh_app.test_cli_runner().invoke(args=["db", "downgrade", BEFORE])
    assert result.exit_code == 0, result.output
    with fresh_app.app_context():
        assert _raw_lrs_password(organisation_id) == PLAIN


def test_a_new_key_first_rotates_every_value_and_the_old_key_can_then_go(fresh_app, monkeypatch):
    migrate(fresh_app)
    with committing(fresh_app):
        organisation = Organisation(slug="o", name="O")
        db.session.add(organisation)
        db.session.flush()
        db.session.add(LrsConnection(organisation_id=organisation.id, endpoint="https://lrs.example.com/",
                                     username="k", password=PLAIN))  # fmt: skip
        db.session.add(User(organisation_id=organisation.id, email="t@example.com", display_name="T",
                            totp_secret="JBSWY3DPEHPK3PXP"))  # fmt: skip
        organisation_id = organisation.id
    old_key = (Path(fresh_app.instance_path) / crypto.KEY_FILE).read_text().strip()
    new_key = Fernet.generate_key().decode()
    monkeypatch.setitem(fresh_app.config, "ENCRYPTION_KEY", f"{new_key},{old_key}")
    crypto.init_app(fresh_app)
    result = fresh_app.test_cli_runner().invoke(args=["lxp", "rotate-encryption"])
    assert result.exit_code == 0, result.output
    assert "2 encrypted value(s)" in result.output
    monkeypatch.setitem(fresh_app.config, "ENCRYPTION_KEY", new_key)
    crypto.init_app(fresh_app)
    with fresh_app.app_context():
        assert Fernet(new_key.encode()).decrypt(_raw_lrs_password(organisation_id).encode()).decode() == PLAIN
        assert db.session.execute(text("SELECT totp_secret FROM users")).scalar_one() != "JBSWY3DPEHPK3PXP"
        assert db.session.query(User).one().totp_secret == "JBSWY3DPEHPK3PXP"
    check = fresh_app.test_cli_runner().invoke(args=["lxp", "check"])
    assert "ok    encryption  set from LXP_ENCRYPTION_KEY; 2 encrypted value(s), all readable" in check.output
    # Dropping the key the values are under is caught, with what to do.
    monkeypatch.setitem(fresh_app.config, "ENCRYPTION_KEY", old_key)
    crypto.init_app(fresh_app)
    check = fresh_app.test_cli_runner().invoke(args=["lxp", "check"])
    assert "FAIL  encryption  2 of 2 encrypted value(s) open with no key in LXP_ENCRYPTION_KEY" in check.output
    assert check.exit_code == 1


def test_production_without_the_key_fails_the_check_and_never_stores_plain_text(fresh_app, monkeypatch):
    migrate(fresh_app)
    with committing(fresh_app):
        organisation = Organisation(slug="o", name="O")
        db.session.add(organisation)
        db.session.flush()
        db.session.add(LrsConnection(organisation_id=organisation.id, endpoint="https://lrs.example.com/",
                                     username="k", password=PLAIN))  # fmt: skip
        organisation_id = organisation.id
    monkeypatch.setitem(fresh_app.config, "LXP_ENV", "production")
    crypto.init_app(fresh_app)  # production never generates a key
    check = fresh_app.test_cli_runner().invoke(args=["lxp", "check"])
    assert "FAIL  encryption  LXP_ENCRYPTION_KEY is not set, and 1 encrypted value(s) are stored" in check.output
    with fresh_app.app_context():
        with pytest.raises(crypto.EncryptionUnavailable, match="LXP_ENCRYPTION_KEY must be set"):
            db.session.get(LrsConnection, organisation_id).password  # noqa: B018
        db.session.rollback()
        with pytest.raises(StatementError, match="LXP_ENCRYPTION_KEY must be set"):
            db.session.add(
                LrsConnection(organisation_id=organisation_id + 1000, endpoint="x", username="k", password="p")
            )
            db.session.flush()
        db.session.rollback()
        assert PLAIN not in _raw_lrs_password(organisation_id)


def test_a_malformed_key_stops_the_app_with_a_readable_line(tmp_path):
    with pytest.raises(ValueError, match="LXP_ENCRYPTION_KEY: key 2 is not a Fernet key"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                    "ENCRYPTION_KEY": f"{Fernet.generate_key().decode()},not-a-key"})  # fmt: skip


_KEYLIKE = st.binary(min_size=28, max_size=36).map(lambda raw: base64.urlsafe_b64encode(raw).decode())


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(max_size=60), _KEYLIKE, _KEYLIKE.map(lambda key: key.rstrip("="))).filter(lambda t: "," not in t)
)
def test_a_key_is_accepted_exactly_when_fernet_accepts_it(candidate):
    """The app checks keys without importing ``cryptography`` (issue 20): the check must agree
    with Fernet's own, or a key that works would stop the app, or a broken one pass until first use."""
    key = candidate.strip()
    if not key:
        assert crypto.parse_keys(candidate) == []
        return
    try:
        Fernet(key.encode())
    except (ValueError, TypeError):
        with pytest.raises(ValueError, match="key 1 is not a Fernet key"):
            crypto.parse_keys(candidate)
    else:
        assert crypto.parse_keys(candidate) == [key.encode()]
