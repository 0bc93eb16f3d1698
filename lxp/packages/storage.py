"""Where package bytes live: ``<upload dir>/packages/<sha256>.zip`` (the upload as it came, for
exports) and ``<upload dir>/packages/<sha256>/`` (unpacked, what the player serves).

A package is unpacked into a temporary folder and renamed into place, so a half-written
folder is never served. Like uploaded files (``lxp.files.storage``), a package written in a
transaction that does not commit is removed again; one already there is left alone (stored once).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from lxp.files.storage import upload_dir

_WRITTEN = "lxp_packages_written"


def root() -> Path:
    folder = upload_dir() / "packages"
    folder.mkdir(exist_ok=True)
    return folder


def folder_of(sha256: str) -> Path:
    return root() / sha256


def zip_of(sha256: str) -> Path:
    return root() / f"{sha256}.zip"


def is_file_inside(folder: Path, found: str) -> bool:
    """Whether ``found`` is a regular file inside ``folder`` once links are resolved (packages
    hold no links, but a folder could be tampered with on disk)."""
    path = Path(found)
    return path.is_file() and path.resolve().is_relative_to(folder.resolve())


def exists(sha256: str) -> bool:
    return folder_of(sha256).is_dir() and zip_of(sha256).is_file()


def write(session: Session, sha256: str, data: bytes, unpack: Callable[[Path], None]) -> None:
    """Store the zip ``data`` and let ``unpack(folder)`` fill a new folder, then move both into
    place; removed again unless ``session`` commits. Nothing happens when they are there already.
    Whatever ``unpack`` raises propagates, with the temporary folder removed."""
    if exists(sha256):
        return
    staging = Path(tempfile.mkdtemp(dir=root(), prefix=".unpack-"))
    try:
        unpack(staging / "files")
        with open(staging / "package.zip", "wb") as stream:
            stream.write(data)
        os.replace(staging / "package.zip", zip_of(sha256))
        os.replace(staging / "files", folder_of(sha256))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    session.info.setdefault(_WRITTEN, []).append(sha256)


@event.listens_for(Session, "after_commit")
def _keep_written(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    for sha256 in session.info.pop(_WRITTEN, []):
        with contextlib.suppress(RuntimeError):  # outside an app: nothing to find the folder by
            shutil.rmtree(folder_of(sha256), ignore_errors=True)
            zip_of(sha256).unlink(missing_ok=True)
