"""The demo's packages are folders under ``packages/``; each is zipped with fixed timestamps, so
every seed stores the same bytes under the same hash, and imported into a module of a demo
course's draft by ``import_into``."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from sqlalchemy import select

from lxp.authoring.models import Competency, CourseVersion, Item
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


def import_into(admin, version: CourseVersion, files: Path, module_title: str, competency_code: str, *,
                position: int | None = None, teaches: bool = False, minutes: int = 10) -> list[Item]:  # fmt: skip
    """Import the package in ``files`` into the module ``module_title`` of the draft ``version``,
    its units teaching (``teaches``) or assessing the competency ``competency_code``, placed at
    ``position`` in the module (None: last)."""
    module = next(m for m in version.modules if m.title == module_title)
    competency = db.session.execute(
        select(Competency).where(
            Competency.organisation_id == admin.organisation_id, Competency.code == competency_code
        )
    ).scalar_one()
    chosen = [competency.id]
    units = packages.import_package(admin, module, zip_folder(files), teaches=chosen if teaches else [],
                                    assesses=[] if teaches else chosen, minutes=minutes)  # fmt: skip
    if position is not None:
        for unit in units:
            module.items.remove(unit)
        for offset, unit in enumerate(units):
            module.items.insert(position + offset, unit)
        for n, item in enumerate(module.items):
            item.position = n
        db.session.flush()
    return units
