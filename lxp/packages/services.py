"""Importing a package into a course: check the zip, read its manifest, store it once, and add
one item per launchable unit to a module of the course's draft.

The item kind that plays a package is found through the kind registry (the kinds whose
``plays_package`` trait is set, by the ``package_standards`` each declares), never by name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lxp.authoring import services as authoring
from lxp.authoring import transfer
from lxp.authoring.kinds import KINDS, where
from lxp.authoring.models import CourseVersion, Item, Module
from lxp.core.errors import Invalid, NotFound
from lxp.extensions import db
from lxp.files import scanning
from lxp.packages import archive, manifest, storage
from lxp.packages.models import ContentPackage

DEFAULT_MINUTES = 10


def limits() -> archive.Limits:
    """The package limits, from ``LXP_PACKAGE_MAX_MB`` (the zip) and ``LXP_PACKAGE_MAX_UNPACKED_MB``."""
    config = current_app.config
    return archive.Limits(
        zip_bytes=config.get("PACKAGE_MAX_MB", 200) * archive.MB,
        total_bytes=config.get("PACKAGE_MAX_UNPACKED_MB", 500) * archive.MB,
        files=config.get("PACKAGE_MAX_FILES", 5000),
    )


def kind_for(standard: str) -> str:
    """The name of the item kind that plays packages of ``standard``. Raises ``Invalid`` when
    lxp reads such packages but cannot play them yet."""
    for name in sorted(where("plays_package")):
        if standard in KINDS[name].package_standards:
            return name
    raise Invalid(_l("lxp reads this kind of package but cannot play it yet."), field="package")


def find(organisation_id: int, sha256: str) -> ContentPackage | None:
    return db.session.execute(
        select(ContentPackage).where(ContentPackage.organisation_id == organisation_id,
                                     ContentPackage.sha256 == sha256)
    ).scalar_one_or_none()  # fmt: skip


def store_package(admin, data: bytes) -> ContentPackage:
    """Check ``data`` (a zip), read its manifest and store it for the admin's organisation,
    once: the same zip again returns the stored package. Raises ``Invalid`` with what is wrong
    (see ``archive`` and ``manifest``, and ``files.scanning``: a package carrying a virus), or
    ``Unavailable`` when the required virus scanner gives no verdict."""
    sha256 = hashlib.sha256(data).hexdigest()
    known = find(admin.organisation_id, sha256)
    if known is not None:
        return known
    rules = limits()
    zipped, members = archive.open_zip(data, rules)
    by_name = {m.name: m for m in members}
    description = manifest.describe(lambda name: archive.read_member(zipped, by_name[name]), frozenset(by_name))
    kind_for(description.standard)
    scanning.check_clean(description.title or _l("The package"), data, field="package")
    storage.write(db.session, sha256, data, lambda folder: archive.extract(zipped, members, folder, rules))
    package = ContentPackage(
        organisation_id=admin.organisation_id, sha256=sha256, standard=description.standard,
        title=description.title, size=len(data), file_count=len(members), uploaded_by_id=admin.id,
        units=[{"identifier": u.identifier, "title": u.title, "launch": u.launch, "pass_mark": u.pass_mark,
                "move_on": u.move_on, **_structure(description, u)} for u in description.units],
    )  # fmt: skip
    db.session.add(package)
    db.session.flush()
    return package


def _structure(description: manifest.Description, unit: manifest.Unit) -> dict:
    """A cmi5 AU's place in its course structure: the publisher's course id and the blocks
    around the AU, outermost first (nothing for SCORM)."""
    if description.course_id is None and not unit.blocks:
        return {}
    return {"course": description.course_id,
            "blocks": [{"id": b.identifier, "title": b.title} for b in unit.blocks]}  # fmt: skip


def import_package(admin, module: Module, data: bytes, teaches: Iterable[int] = (),
                   assesses: Iterable[int] = (), minutes: int = DEFAULT_MINUTES) -> list[Item]:  # fmt: skip
    """Store the package ``data`` and add one item per unit at the end of ``module`` (of a
    draft), each teaching and assessing the chosen competencies. Raises ``Invalid`` (a bad
    package, a version not in draft) and ``NotFound`` (a module of another organisation)."""
    authoring.require_organisation(admin, module.version.course.organisation_id, _l("No such module."))
    if not module.version.editable:
        raise Invalid(_l("Only a draft can be changed. Start a new draft first."))
    package = store_package(admin, data)
    kind = kind_for(package.standard)
    sequencing = sequencing_of(package)
    if sequencing is not None:  # several SCOs of 2004: one item, the package's sequencing between them
        first = package.units[0]
        content = {"package": package.sha256, "standard": package.standard, "unit": first["identifier"],
                   "launch": first["launch"], "pass_mark": None, "sequencing": sequencing,
                   "scos": [{k: u[k] for k in ("identifier", "title", "launch", "pass_mark")} for u in package.units]}  # fmt: skip
        return [authoring.save_item(admin, module, authoring.ItemInput(
            kind=kind, title=package.title, minutes=min(minutes * len(package.units), 600), language=module.version.language,
            content=content, teaches=list(teaches), assesses=list(assesses), prerequisites=[], alternatives=[],
        ))]  # fmt: skip
    items = []
    for unit in package.units:
        content = {"package": package.sha256, "standard": package.standard, "unit": unit["identifier"],
                   "launch": unit["launch"], "pass_mark": unit["pass_mark"]}  # fmt: skip
        if unit.get("move_on"):
            content["move_on"] = unit["move_on"]
        if unit.get("course"):
            content["course"] = unit["course"]
        if unit.get("blocks"):
            content["blocks"] = unit["blocks"]
        items.append(authoring.save_item(admin, module, authoring.ItemInput(
            kind=kind, title=unit["title"], minutes=minutes, language=module.version.language, content=content,
            teaches=list(teaches), assesses=list(assesses), prerequisites=[], alternatives=[],
        )))  # fmt: skip
    return items


def sequencing_of(package: ContentPackage) -> dict | None:
    """The sequencing of a SCORM 2004 package with several SCOs, read from its stored manifest
    (see ``manifest.read_sequencing``); None for any other package."""
    if package.standard not in (manifest.SCORM_2004_3, manifest.SCORM_2004_4) or len(package.units) < 2:
        return None
    data = (storage.folder_of(package.sha256) / manifest.SCORM_MANIFEST).read_bytes()
    files = frozenset(u["launch"].split("?", 1)[0] for u in package.units) | {manifest.SCORM_MANIFEST}
    return manifest.read_scorm(data, files).sequencing


def package_of(organisation_id: int, content: dict) -> ContentPackage:
    """The stored package an item's content names. Raises ``NotFound``."""
    package = find(organisation_id, str(content.get("package", "")))
    if package is None or not storage.exists(package.sha256):
        raise NotFound(_l("This package is not stored here."))
    return package


def missing_packages(organisation_id: int, hashes: Iterable[str]) -> list[str]:
    """The hashes among ``hashes`` that the organisation has no package for (a course
    document's import needs each package uploaded first)."""
    wanted = sorted(set(hashes))
    if not wanted:
        return []
    known = set(db.session.scalars(
        select(ContentPackage.sha256).where(ContentPackage.organisation_id == organisation_id,
                                            ContentPackage.sha256.in_(wanted))
    ))  # fmt: skip
    return [h for h in wanted if h not in known]


@transfer.reference_check
def packages_stored(organisation_id: int, items: list[tuple[str, dict]]) -> list[transfer.DocumentError]:
    """A course document's items that play a package the organisation has not uploaded (the
    document names packages by hash; upload each zip before importing the document)."""
    players = where("plays_package")
    wanted = {path: str(item.get("content", {}).get("package", "")) for path, item in items
              if item.get("kind") in players and isinstance(item.get("content"), dict)}  # fmt: skip
    missing = set(missing_packages(organisation_id, wanted.values()))
    return [transfer.DocumentError(f"{path}.content.package",
                                   f"Upload the package {sha256} to this organisation before importing the course.")
            for path, sha256 in wanted.items() if sha256 in missing]  # fmt: skip


def versions_using(version: CourseVersion) -> list[str]:
    """The package hashes the items of ``version`` play."""
    players = where("plays_package")
    return sorted({i.content.get("package") for i in version.items if i.kind in players and i.content.get("package")})
