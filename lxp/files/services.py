"""Uploads: checked for size and for type by their content, stored by random name outside
``static/``, and shown only to the people the rule of their kind allows.

Features plug in with ``register_access(kind, check)``: ``check(user, attached_id)`` says
whether ``user`` may see a file attached to the thing ``attached_id`` of that kind (the
workplace registers ``"evidence"``, coaching ``"message"``). A file nobody may see is
``NotFound`` to everyone who asks, so its token reveals nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import quote

import filetype
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lxp.core.errors import Invalid, NotFound
from lxp.extensions import db
from lxp.files import scanning, storage
from lxp.files.models import StoredFile

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 10 * MB
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic"})
DOCUMENT_TYPES = frozenset({
    "application/pdf",
    "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
})  # fmt: skip
TEXT_TYPE = "text/plain"
# Plain text has no signature: it is accepted under these names when it is valid UTF-8.
TEXT_SUFFIXES = frozenset({".txt", ".md", ".csv"})
DEFAULT_TYPES = IMAGE_TYPES | DOCUMENT_TYPES | {TEXT_TYPE}
NAME_LIMIT = 200


@dataclass(frozen=True)
class FileRule:
    kind: str
    check: Callable[[object, int], bool]
    max_bytes: int
    types: frozenset[str]


RULES: dict[str, FileRule] = {}


def register_access(
    kind: str, check: Callable[[object, int], bool], *, max_bytes: int = DEFAULT_MAX_BYTES,
    types: Iterable[str] = DEFAULT_TYPES,
) -> None:  # fmt: skip
    """Let files of ``kind`` be uploaded (up to ``max_bytes``, of ``types``) and seen by the
    users for whom ``check(user, attached_id)`` is true. Registering a kind again replaces its
    rule (the app factory may run more than once in a process)."""
    RULES[kind] = FileRule(kind, check, max_bytes, frozenset(types))


@dataclass(frozen=True)
class Upload:
    """A checked upload held in memory, not written anywhere yet."""

    name: str
    content_type: str
    data: bytes

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES


def _size_text(max_bytes: int) -> str:
    return f"{max_bytes / MB:g} MB" if max_bytes >= MB else f"{max_bytes // 1024} KB"


def safe_name(name: str | None) -> str:
    """The client's file name without folders or control characters, at most 200 characters."""
    base = PurePath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C").strip()
    base = base.strip(". ") or "file"
    if len(base) > NAME_LIMIT:
        suffix = PurePath(base).suffix[:16]
        base = base[: NAME_LIMIT - len(suffix)] + suffix
    return base


def _detect(data: bytes, name: str) -> str | None:
    kind = filetype.guess(data)
    if kind is not None:
        return kind.mime
    if PurePath(name).suffix.lower() in TEXT_SUFFIXES and b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return TEXT_TYPE
    return None


def check_upload(kind: str, filename: str | None, stream) -> Upload:
    """Read one upload of ``kind`` from ``stream`` and check it; nothing is written.

    Raises ``Invalid`` naming the file when it is empty, larger than the kind's limit (the
    message names the limit), not of an accepted type by its content, whatever its name
    says (an executable renamed ``.jpg`` is refused), or carrying a virus by clamd's verdict;
    ``Unavailable`` when clamd is required and gives none (``lxp.files.scanning``).
    ``KeyError`` for an unregistered kind.
    """
    rule = RULES[kind]
    name = safe_name(filename)
    data = stream.read(rule.max_bytes + 1)
    if len(data) > rule.max_bytes:
        raise Invalid(_l("\u201c%(name)s\u201d is too large: files can be at most %(limit)s.", name=name,
                         limit=_size_text(rule.max_bytes)), field="files")  # fmt: skip
    if not data:
        raise Invalid(_l("\u201c%(name)s\u201d is empty.", name=name), field="files")
    content_type = _detect(data, name)
    if content_type not in rule.types:
        raise Invalid(_l("\u201c%(name)s\u201d is not a photo (JPEG, PNG, WebP, HEIC), a PDF, an office document or a text file, so it cannot be added.",
                         name=name), field="files")  # fmt: skip
    scanning.check_clean(name, data)
    return Upload(name, content_type, data)


def store(owner, kind: str, attached_id: int | None, upload: Upload) -> StoredFile:
    """Write a checked upload to the upload directory under a random name and add its row in
    the current transaction (the caller commits; without a commit the bytes are removed)."""
    token = secrets.token_hex(16)
    storage.write(db.session, token, upload.data)
    stored = StoredFile(token=token, organisation_id=owner.organisation_id, owner_id=owner.id, kind=kind,
                        attached_id=attached_id, original_name=upload.name, content_type=upload.content_type,
                        size=len(upload.data), sha256=hashlib.sha256(upload.data).hexdigest())  # fmt: skip
    db.session.add(stored)
    return stored


def remove(stored: StoredFile) -> None:
    """Delete a file's row in the current transaction; its bytes go once that commits."""
    storage.remove_after_commit(db.session, stored.token)
    db.session.delete(stored)


def attached(kind: str, ids: Iterable[int]) -> dict[int, list[StoredFile]]:
    """The files attached to each of ``ids`` of ``kind``, oldest first (one query)."""
    ids = sorted(set(ids))
    found: dict[int, list[StoredFile]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = db.session.execute(
        select(StoredFile)
        .where(StoredFile.kind == kind, StoredFile.attached_id.in_(ids))
        .order_by(StoredFile.created_at, StoredFile.id)
    ).scalars()
    for row in rows:
        found[row.attached_id].append(row)
    return found


def may_see(user, stored: StoredFile) -> bool:
    """Whether ``user`` may see the file: its kind's rule decides for an attached file; a file
    not attached yet is its owner's only."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if stored.organisation_id != user.organisation_id:
        return False
    if stored.attached_id is None:
        return stored.owner_id == user.id
    rule = RULES.get(stored.kind)
    return rule is not None and bool(rule.check(user, stored.attached_id))


def file_for(user, token: str) -> StoredFile:
    """The file ``token`` when ``user`` may see it. Raises ``NotFound`` otherwise (also for a
    token that does not exist), so a token reveals nothing."""
    stored = db.session.execute(select(StoredFile).where(StoredFile.token == token)).scalar_one_or_none()
    if stored is None or not may_see(user, stored):
        raise NotFound(_l("This file does not exist or is not yours to see."))
    return stored


def content_disposition(stored: StoredFile) -> str:
    """``inline`` for images, ``attachment`` for everything else, with the original name as a
    plain ASCII ``filename`` and the exact one as RFC 5987 ``filename*``."""
    disposition = "inline" if stored.is_image else "attachment"
    ascii_name = unicodedata.normalize("NFKD", stored.original_name).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(ch if ch.isalnum() or ch in " ._-()" else "_" for ch in ascii_name).strip() or "file"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(stored.original_name, safe='')}"
