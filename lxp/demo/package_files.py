"""The demo's packages are folders under ``packages/``; each is zipped with fixed timestamps, so
every seed stores the same bytes under the same hash, and imported into a module of a demo course."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from sqlalchemy import select

from lxp.authoring.models import Competency
from lxp.extensions import db
from lxp.packages import services as packages


def zip_folder(folder: Path) -> bytes:
    """The files below ``folder`` as a zip, paths relative to it, the same bytes every time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def import_into(admin, version, data: bytes, module_title: str, competency_code: str, *, role: str,
                minutes: int, first: bool = False) -> list:  # fmt: skip
    """Import the package ``data`` into the module titled ``module_title`` of the demo course's
    draft ``version``, its items teaching or assessing (``role``) the competency; with ``first``
    they lead the module, else they close it. The items made."""
    module = next(m for m in version.modules if m.title == module_title)
    competency = db.session.execute(
        select(Competency).where(
            Competency.organisation_id == admin.organisation_id, Competency.code == competency_code
        )
    ).scalar_one()
    items = packages.import_package(admin, module, data, minutes=minutes, **{role: [competency.id]})
    if first:
        for item in reversed(items):
            module.items.remove(item)
            module.items.insert(0, item)
        for position, item in enumerate(module.items):
            item.position = position
        db.session.flush()
    return items
