"""The demo's SCORM 2004 unit: a three-call listening drill, first in the listening module of the
demo course, so demo learners meet it on their path and can leave half way and resume.

The package's files live in ``packages/listening-drill/``; the zip is built from them with fixed
timestamps, so every seed stores the same bytes under the same hash.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from lxp.authoring.models import Competency, CourseVersion
from lxp.demo.package_files import zip_folder
from lxp.extensions import db
from lxp.packages import services as packages

FILES = Path(__file__).with_name("packages") / "listening-drill"
COURSE = "customer-conversations"
MODULE = "Listening so customers feel heard"
COMPETENCY = "active-listening"


def drill_zip() -> bytes:
    """The package as a zip, the same bytes every time."""
    return zip_folder(FILES)


def add_to(admin, version: CourseVersion) -> None:
    """Import the drill into the demo course's draft ``version``, first in its listening module,
    teaching active listening."""
    module = next(m for m in version.modules if m.title == MODULE)
    competency = db.session.execute(
        select(Competency).where(Competency.organisation_id == admin.organisation_id, Competency.code == COMPETENCY)
    ).scalar_one()
    (unit,) = packages.import_package(admin, module, drill_zip(), teaches=[competency.id], minutes=6)
    module.items.remove(unit)
    module.items.insert(0, unit)
    for position, item in enumerate(module.items):
        item.position = position
    db.session.flush()
