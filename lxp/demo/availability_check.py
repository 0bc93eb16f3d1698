"""The demo's cmi5 course: a two-question check on a team's availability agreement (one AU in the
block "Agreements in practice"), at the end of the hybrid-team course's agreements module. lxp is its LMS: the AU (plain JavaScript, no library)
fetches its token, reads LMS.LaunchData and the learner's preferences, and reports; lxp says
``satisfied`` once it is passed, for the AU, its block and the course. One demo learner has it
waived by the admin, with a reason.

The package's files live in ``packages/availability-check/``; the zip is built from them with
fixed timestamps, so every seed stores the same bytes under the same hash.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring import services as authoring
from lxp.authoring.models import CourseVersion
from lxp.core.errors import ServiceError
from lxp.demo.package_files import import_into
from lxp.extensions import db
from lxp.packages import lms

FILES = Path(__file__).with_name("packages") / "availability-check"
COURSE = "leading-hybrid-team"
MODULE = "Team agreements on availability and channels"
COMPETENCY = "team-agreements"
ADMIN = "admin@northwind.example"
WAIVED_FOR = "meera.nair@northwind.example"
REASON = "Wrote her team's availability agreement herself last quarter."


def add_to(admin, version: CourseVersion) -> None:
    """Import the check into the demo course's draft ``version``, last in its agreements module,
    assessing team agreements."""
    import_into(admin, version, FILES, MODULE, COMPETENCY, minutes=4)


def waive_for_demo() -> bool:
    """The demo admin excuses one demo learner from the check, with a reason. False when it was
    waived before, or the learner has no path with it."""
    admin = db.session.execute(select(User).where(User.email == ADMIN)).scalar_one()
    course = authoring.find_course(admin.organisation_id, COURSE)
    units = lms.waivable_units(course) if course is not None else []
    try:
        lms.waive(admin, WAIVED_FOR, units[0][0], REASON)
    except (IndexError, ServiceError):
        return False
    return True
