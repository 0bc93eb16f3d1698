"""The demo's packages: folders under ``packages/``, each zipped with fixed timestamps (so every
seed stores the same bytes under the same hash) and imported into a module of a demo course.

- ``listening-drill``: a SCORM 2004 unit, a three-call listening drill, first in the listening
  module, so demo learners meet it on their path and can leave half way and resume.
- ``complaint-walkthrough``: a SCORM 2004 package of two SCOs played as one step with its
  sequencing: the four steps from complaint to trust, then a check that puts them in order (flow,
  choice and back allowed; the check alone decides success, both must be completed), first in the
  complaint module.
- ``availability-check``: a cmi5 AU, last in the hybrid-team course's agreements module (see
  ``availability_check`` for the waiver the demo gives).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from lxp.authoring.models import Competency, CourseVersion
from lxp.extensions import db
from lxp.packages import services as packages

FOLDER = Path(__file__).with_name("packages")


def zip_folder(folder: Path) -> bytes:
    """The files below ``folder`` as a zip, paths relative to it, the same bytes every time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


@dataclass(frozen=True)
class DemoPackage:
    folder: str
    course: str  # the demo course's slug
    module: str  # the module's title
    competency: str  # code
    role: str  # "teaches" or "assesses"
    minutes: int
    first: bool = False  # lead the module (else close it)

    def zip(self) -> bytes:
        return zip_folder(FOLDER / self.folder)

    def add_to(self, admin, version: CourseVersion) -> list:
        """Import the package into the module of the course's draft ``version``; the items made."""
        module = next(m for m in version.modules if m.title == self.module)
        competency = db.session.execute(
            select(Competency).where(Competency.organisation_id == admin.organisation_id,
                                     Competency.code == self.competency)
        ).scalar_one()  # fmt: skip
        items = packages.import_package(admin, module, self.zip(), minutes=self.minutes, **{self.role: [competency.id]})
        if self.first:
            for item in reversed(items):
                module.items.remove(item)
                module.items.insert(0, item)
            for position, item in enumerate(module.items):
                item.position = position
            db.session.flush()
        return items


LISTENING_DRILL = DemoPackage("listening-drill", "customer-conversations", "Listening so customers feel heard",
                              "active-listening", "teaches", 6, first=True)  # fmt: skip
COMPLAINT_WALKTHROUGH = DemoPackage("complaint-walkthrough", "customer-conversations", "Turning a complaint into trust",
                                    "service-recovery", "teaches", 4, first=True)  # fmt: skip
AVAILABILITY_CHECK = DemoPackage("availability-check", "leading-hybrid-team",
                                 "Team agreements on availability and channels", "team-agreements", "assesses", 4)  # fmt: skip
PACKAGES = (LISTENING_DRILL, COMPLAINT_WALKTHROUGH, AVAILABILITY_CHECK)
