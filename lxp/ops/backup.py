"""Backups of the SQLite default: the database and the upload folder in one archive.

``flask lxp backup PATH`` copies the database with SQLite's online backup API, which gives
a consistent copy while the web server and the scheduler keep writing, and adds every
uploaded file and a ``manifest.json`` (format, time, migration revision, counts). The
archive is a gzip'ed tar, written beside PATH and renamed into place, readable only by its
owner (it holds password hashes).

``flask lxp restore PATH`` puts such an archive into the configured database and upload
folder. It refuses an archive from a newer lxp (a migration revision this code does not
know), and a target that already holds people or files unless ``--force`` is given; after
restoring an older archive, ``flask db upgrade`` brings it to the current schema.

PostgreSQL is backed up with its own tools (``pg_dump -Fc`` plus the upload folder; see the
README and ``deploy/backup-postgresql.sh``).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.core.migrations import known_revisions, schema_state
from lxp.extensions import db
from lxp.files.storage import upload_dir

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "lxp.db"
UPLOADS = "uploads"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    format: int
    created_at: str
    revision: tuple[str, ...]
    database: str
    people: int
    files: int

    def as_json(self) -> bytes:
        return json.dumps({**self.__dict__, "revision": list(self.revision)}, indent=2).encode()


def _sqlite_path() -> Path:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError(
            f"flask lxp backup handles the SQLite database; this one is {url.get_backend_name()}: "
            "use pg_dump -Fc plus the upload folder (README, Backups; deploy/backup-postgresql.sh)"
        )
    return Path(url.database)


def _uploaded_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file() and not path.name.startswith(".lxp-check-"))


def backup(target: Path) -> Manifest:
    """Write the archive to ``target``; returns its manifest. Raises ``BackupError``."""
    database = _sqlite_path()
    state = schema_state()
    if state.error is not None or not state.current:
        raise BackupError(state.problem() or "the database has no tables")
    people = db.session.scalar(select(func.count()).select_from(User))
    db.session.rollback()  # no transaction of ours stays open while the copy runs
    uploads = upload_dir()
    files = _uploaded_files(uploads)
    manifest = Manifest(FORMAT, datetime.now(UTC).isoformat(timespec="seconds"), state.current, "sqlite", people,
                        len(files))  # fmt: skip
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".lxp-backup-") as scratch:
        copy = Path(scratch) / DATABASE
        _online_copy(database, copy)
        partial = Path(scratch) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            info = tarfile.TarInfo(MANIFEST)
            data = manifest.as_json()
            info.size, info.mtime, info.mode = len(data), int(datetime.now(UTC).timestamp()), 0o600
            archive.addfile(info, io.BytesIO(data))
            archive.add(copy, DATABASE)
            for path in files:
                archive.add(path, f"{UPLOADS}/{path.relative_to(uploads).as_posix()}")
        partial.chmod(0o600)
        os.replace(partial, target)
    return manifest


def _online_copy(source: Path, destination: Path) -> None:
    """SQLite's backup API: a consistent snapshot although other connections keep writing."""
    origin, copy = sqlite3.connect(source, timeout=30), sqlite3.connect(destination, timeout=30)
    try:
        origin.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        origin.close()
        copy.close()


def read_manifest(archive: tarfile.TarFile) -> Manifest:
    """The archive's manifest. Raises ``BackupError`` for anything that is not an lxp backup."""
    try:
        raw = json.loads(archive.extractfile(MANIFEST).read())
        manifest = Manifest(int(raw["format"]), raw["created_at"], tuple(raw["revision"]), raw["database"],
                            int(raw["people"]), int(raw["files"]))  # fmt: skip
    except (KeyError, AttributeError, TypeError, ValueError) as exc:
        raise BackupError(f"not an lxp backup (no readable {MANIFEST}: {exc})") from None
    if manifest.format != FORMAT or manifest.database != "sqlite":
        raise BackupError(f"this lxp reads backups of format {FORMAT} from SQLite, not {manifest.format} from "
                          f"{manifest.database}")  # fmt: skip
    return manifest


def _target_holds_data(database: Path, uploads: Path) -> str | None:
    people = 0
    if database.exists() and database.stat().st_size > 0:
        people = _people_in(database)
    if people:
        return f"the database {database} holds {people} people"
    if uploads.exists() and any(uploads.iterdir()):
        return f"the upload folder {uploads} is not empty"
    return None


def _people_in(database: Path) -> int:
    connection = sqlite3.connect(database, timeout=30)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        people = connection.execute("SELECT count(*) FROM users").fetchone()[0] if "users" in tables else 0
    finally:
        connection.close()
    return people


def restore(source: Path, *, force: bool = False) -> Manifest:
    """Put the archive at ``source`` into the configured database and upload folder; returns
    its manifest. Raises ``BackupError`` (and changes nothing) for an unreadable archive, one
    from a newer lxp, or a target with data without ``force``."""
    database = _sqlite_path()
    uploads = Path(current_app.config.get("UPLOAD_DIR") or Path(current_app.instance_path) / UPLOADS)
    try:
        with tarfile.open(source, "r:gz") as archive:
            return _restore_from(archive, database, uploads, force)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"cannot restore {source}: {exc}") from None


def _restore_from(archive: tarfile.TarFile, database: Path, uploads: Path, force: bool) -> Manifest:
    """Every check first; only then are the database and the upload folder replaced."""
    manifest = read_manifest(archive)
    unknown = set(manifest.revision) - known_revisions()
    if unknown:
        raise BackupError(f"the backup is at migration {', '.join(sorted(unknown))}, which this version of lxp "
                          "does not know: restore it with the newer lxp that made it")  # fmt: skip
    occupied = _target_holds_data(database, uploads)
    if occupied and not force:
        raise BackupError(f"{occupied}: restore into an empty installation, or pass --force to replace it")
    members = archive.getmembers()
    for member in members:
        if member.name not in (MANIFEST, DATABASE) and not member.name.startswith(f"{UPLOADS}/"):
            raise BackupError(f"unexpected entry in the backup: {member.name}")
    db.session.remove()
    db.engine.dispose()  # no connection of ours keeps the old file open
    database.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=database.parent, prefix=".lxp-restore-") as scratch:
        archive.extractall(scratch, filter="data")
        _online_copy(Path(scratch) / DATABASE, database)
        if uploads.exists():
            shutil.rmtree(uploads)
        restored = Path(scratch) / UPLOADS
        if restored.exists():
            shutil.copytree(restored, uploads)
        else:
            uploads.mkdir(parents=True)
    return manifest
