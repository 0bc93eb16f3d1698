"""The demo's multi-SCO SCORM 2004 package: a walkthrough of the four steps from complaint to
trust, then a check that puts them in order, first in the complaint module of the demo course.
It plays as one step: the package's sequencing (flow, choice, back allowed) moves the learner
from the steps to the check, by the SCOs' own requests or lxp's bar; the check alone decides
success (the steps are left out of that rollup), and both must be completed.

The package's files live in ``packages/complaint-walkthrough/``; the zip is built from them with
fixed timestamps, so every seed stores the same bytes under the same hash.
"""

from __future__ import annotations

from pathlib import Path

from lxp.authoring.models import CourseVersion
from lxp.demo.package_files import import_into

FILES = Path(__file__).with_name("packages") / "complaint-walkthrough"
COURSE = "customer-conversations"
MODULE = "Turning a complaint into trust"
COMPETENCY = "service-recovery"


def add_to(admin, version: CourseVersion) -> None:
    """Import the walkthrough into the demo course's draft ``version``, first in its complaint
    module, teaching service recovery."""
    import_into(admin, version, FILES, MODULE, COMPETENCY, position=0, teaches=True, minutes=4)
