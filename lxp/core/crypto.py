"""Secrets kept encrypted at rest: the LRS password, TOTP secrets, any per-organisation secret.

Values are encrypted with Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) under
the keys in ``LXP_ENCRYPTION_KEY``: a comma-separated list, the first encrypts, every one
decrypts (``MultiFernet``), so a key is rotated by putting a new one first and running
``flask lxp rotate-encryption``. Development generates one key once into
``instance/encryption_key``; production never does: without the variable, reading or writing
an encrypted value fails with a message saying what to set, and ``flask lxp check`` fails as
soon as an encrypted value is stored.

A column holds ciphertext through ``EncryptedText``; application code sees plain text.

``cryptography`` is imported when a value is first encrypted or opened, not with the app: most
requests never touch an encrypted column, and it is 9 MB of every web worker (issue 20).
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app
from sqlalchemy import Text, and_, literal, select, update
from sqlalchemy import column as sa_column
from sqlalchemy.types import TypeDecorator

KEY_FILE = "encryption_key"
_EXTENSION = "lxp_crypto"
_SOURCE = "lxp_crypto_source"
_KEYS = "lxp_crypto_keys"

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet


class EncryptionUnavailable(RuntimeError):
    """No key is configured (production without ``LXP_ENCRYPTION_KEY``), or none opens a value."""


def parse_keys(text: str | None) -> list[bytes]:
    """The Fernet keys in a comma-separated list; raises ``ValueError`` naming a bad one by position."""
    keys = []
    for position, part in enumerate((text or "").split(","), start=1):
        candidate = part.strip()
        if not candidate:
            continue
        if not _is_fernet_key(candidate):
            raise ValueError(
                f"LXP_ENCRYPTION_KEY: key {position} is not a Fernet key (32 bytes in url-safe base64; "
                "make one with: python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
            ) from None
        keys.append(candidate.encode())
    return keys


def _is_fernet_key(text: str) -> bool:
    """Fernet's own check of a key (32 bytes in url-safe base64), made without importing it."""
    try:
        return len(base64.urlsafe_b64decode(text.encode("ascii"))) == 32
    except (ValueError, binascii.Error):
        return False


def _new_key() -> str:
    """A new random key, as ``Fernet.generate_key()`` makes it."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def init_app(app: Flask) -> None:
    """Read the keys (``ENCRYPTION_KEY``) or, outside production, generate one into instance/.
    Raises ``ValueError`` for a malformed key."""
    keys = parse_keys(app.config.get("ENCRYPTION_KEY"))
    app.extensions[_SOURCE] = "set from LXP_ENCRYPTION_KEY" if keys else "not set"
    if not keys and app.config["LXP_ENV"] != "production":
        key_file = Path(app.instance_path) / KEY_FILE
        if not key_file.exists():
            key_file.write_text(_new_key())
            key_file.chmod(0o600)
        keys = parse_keys(key_file.read_text())
        app.extensions[_SOURCE] = f"generated into {key_file}"
    app.extensions[_KEYS] = keys
    app.extensions[_EXTENSION] = None  # made from the keys on first use (``_fernet``)


def _fernet() -> MultiFernet:
    """The keys as one ``MultiFernet``, made on first use and kept with the app."""
    if not available():
        raise EncryptionUnavailable(
            "LXP_ENCRYPTION_KEY must be set when LXP_ENV=production: secrets in the database are encrypted with it"
        )
    fernet = current_app.extensions.get(_EXTENSION)
    if fernet is None:
        from cryptography.fernet import Fernet, MultiFernet

        keys = current_app.extensions[_KEYS]
        fernet = current_app.extensions[_EXTENSION] = MultiFernet([Fernet(key) for key in keys])
    return fernet


def available() -> bool:
    """Whether a key is configured (always outside production)."""
    return bool(current_app.extensions.get(_KEYS))


def key_source() -> str:
    """Where the keys came from, for ``flask lxp check``."""
    return current_app.extensions.get(_SOURCE, "not set")


def encrypt(plain: str) -> str:
    """The ciphertext of ``plain`` under the first key. Raises ``EncryptionUnavailable``."""
    return _fernet().encrypt(plain.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The plain text of a value ``encrypt`` made under any configured key. Raises
    ``EncryptionUnavailable`` when no key opens it (a wrong or dropped key, or plain text
    stored before encryption: ``flask db upgrade`` encrypts those)."""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        raise EncryptionUnavailable(
            "An encrypted value cannot be opened with any key in LXP_ENCRYPTION_KEY (was a key removed?)"
        ) from None


def is_encrypted(value: str) -> bool:
    """Whether a configured key opens ``value``."""
    try:
        decrypt(value)
    except EncryptionUnavailable:
        return False
    return True


def rotate(token: str) -> str:
    """``token`` encrypted again under the first key (``MultiFernet.rotate``)."""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise EncryptionUnavailable("An encrypted value cannot be opened with any key in LXP_ENCRYPTION_KEY") from None


class EncryptedText(TypeDecorator):
    """A text column stored encrypted (see the module's docstring); None stays None."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


# --- every encrypted column at once (``flask lxp check`` and ``flask lxp rotate-encryption``) ---


def encrypted_columns(metadata) -> list:
    """The columns of ``metadata``'s tables stored through ``EncryptedText``."""
    return [column for table in metadata.sorted_tables for column in table.columns
            if isinstance(column.type, EncryptedText)]  # fmt: skip


def _raw_values(session, column):
    """(primary key, ciphertext) of every stored value of ``column``, read without decrypting."""
    table = column.table
    keys = list(table.primary_key.columns)
    raw = sa_column(column.name, Text)
    statement = select(*keys, raw).select_from(table).where(column.isnot(None))
    return [(tuple(row[:-1]), row[-1]) for row in session.execute(statement)]


def count_stored(session, metadata) -> tuple[int, int]:
    """(stored encrypted values, how many of them no configured key opens)."""
    stored = unreadable = 0
    for column in encrypted_columns(metadata):
        for _, token in _raw_values(session, column):
            stored += 1
            if not available() or not is_encrypted(token):
                unreadable += 1
    return stored, unreadable


def rotate_all(session, metadata) -> int:
    """Encrypt every stored value again under the first key; returns how many. Raises
    ``EncryptionUnavailable`` (and changes nothing: the caller's unit of work rolls back) when
    a value opens with no configured key."""
    rotated = 0
    for column in encrypted_columns(metadata):
        table = column.table
        keys = list(table.primary_key.columns)
        for key_values, token in _raw_values(session, column):
            condition = and_(*(key == value for key, value in zip(keys, key_values, strict=True)))
            session.execute(update(table).where(condition).values({column.name: literal(rotate(token), Text)}))
            rotated += 1
    session.flush()
    return rotated
