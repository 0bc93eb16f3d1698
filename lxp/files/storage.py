"""Where uploaded bytes live: ``LXP_UPLOAD_DIR`` (default ``<instance>/uploads``), outside
``static/``, each file named by its random token.

A file is written before its row commits, so that the row never names missing bytes; if the
transaction then rolls back or is closed without a commit, the file is removed again, and a
file deleted in a transaction is only removed from disk once that commits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_WRITTEN = "lxp_files_written"
_DELETED = "lxp_files_deleted"


def upload_dir() -> Path:
    """The configured upload directory (created on first use)."""
    configured = current_app.config.get("UPLOAD_DIR")
    directory = Path(configured) if configured else Path(current_app.instance_path) / "uploads"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def path_of(token: str) -> Path:
    """The file for ``token``; two levels so that no directory grows too large."""
    return upload_dir() / token[:2] / token


def write(session: Session, token: str, data: bytes) -> Path:
    """Write ``data`` under ``token`` (atomically); removed again unless ``session`` commits."""
    target = path_of(token)
    target.parent.mkdir(exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    session.info.setdefault(_WRITTEN, []).append(target)
    return target


def remove_after_commit(session: Session, token: str) -> None:
    """Remove the file for ``token`` once ``session``'s transaction commits."""
    session.info.setdefault(_DELETED, []).append(path_of(token))


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.exception("could not remove upload %s", path)


@event.listens_for(Session, "after_commit")
def _keep_written(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    _unlink(session.info.pop(_DELETED, []))


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    _unlink(session.info.pop(_WRITTEN, []))  # still here: the transaction did not commit
    session.info.pop(_DELETED, None)
