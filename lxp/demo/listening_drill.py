"""The demo's SCORM 2004 unit: a three-call listening drill, first in the listening module of the
demo course, so demo learners meet it on their path and can leave half way and resume.

The package's files live in ``packages/listening-drill/``; the zip is built from them with fixed
timestamps, so every seed stores the same bytes under the same hash.
"""

from __future__ import annotations

from pathlib import Path

from lxp.authoring.models import CourseVersion
from lxp.demo.package_files import import_into

FILES = Path(__file__).with_name("packages") / "listening-drill"
COURSE = "customer-conversations"
MODULE = "Listening so customers feel heard"
COMPETENCY = "active-listening"


def add_to(admin, version: CourseVersion) -> None:
    """Import the drill into the demo course's draft ``version``, first in its listening module,
    teaching active listening."""
    import_into(admin, version, FILES, MODULE, COMPETENCY, position=0, teaches=True, minutes=6)
