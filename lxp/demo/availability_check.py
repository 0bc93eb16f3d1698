"""The demo's cmi5 AU: a two-question check on a team's availability agreement, at the end of the
hybrid-team course's agreements module. lxp is its LMS: the AU (plain JavaScript, no library)
fetches its token, reads LMS.LaunchData and the learner's preferences, and reports; lxp says
``satisfied`` once it is passed. One demo learner has it waived by the admin, with a reason.

The package's files live in ``packages/availability-check/`` (see ``package_files``).
"""

from __future__ import annotations

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.authoring import services as authoring
from lxp.core.errors import ServiceError
from lxp.demo.package_files import AVAILABILITY_CHECK
from lxp.extensions import db
from lxp.packages import lms

COURSE = AVAILABILITY_CHECK.course
ADMIN = "admin@northwind.example"
WAIVED_FOR = "meera.nair@northwind.example"
REASON = "Wrote her team's availability agreement herself last quarter."


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
