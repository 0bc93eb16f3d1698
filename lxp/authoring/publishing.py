"""Review and publishing: draft -> in review -> published -> archived.

A version goes to review only when its coverage check has no errors, and is published only by
another admin, or by its author when they also hold the reviewer role. Publishing freezes the
version: learners keep the version they enrolled in, and later edits make a new draft.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lxp.authoring import coverage
from lxp.authoring.kinds import KINDS
from lxp.authoring.models import AuthoringChange, Course, CourseVersion
from lxp.authoring.services import current_published, load_version_links, log_change
from lxp.core.errors import Conflict, NotAllowed
from lxp.core.time import utcnow
from lxp.extensions import db


def coverage_report(version: CourseVersion) -> coverage.CoverageReport:
    """The coverage check of a stored version, items in course order."""
    _loaded = load_version_links(version)  # held: the session keeps loaded objects only while referenced
    outcomes = [
        coverage.OutcomeSpec(str(o.id), o.statement, frozenset(c.code for c in o.competencies))
        for o in version.outcomes
    ]
    items = [
        coverage.ItemSpec(
            ref=str(item.id),
            title=item.title,
            minutes=item.minutes,
            teaches=frozenset(c.code for c in item.teaches),
            assesses=frozenset(c.code for c in item.assesses),
            prerequisites=tuple(str(p.id) for p in item.prerequisites),
            short_block=KINDS[item.kind].short_block if item.kind in KINDS else True,
            alternatives=tuple(str(a.id) for a in item.alternatives),
        )
        for module in version.modules
        for item in module.items
    ]
    return coverage.check(outcomes, items, version.expected_minutes)


class CoverageIncomplete(Conflict):
    """Publishing refused; ``report`` says what is missing."""

    def __init__(self, message, report: coverage.CoverageReport):
        super().__init__(message)
        self.report = report


def _require_coverage(version: CourseVersion) -> None:
    report = coverage_report(version)
    if not report.has_errors:
        return
    if report.no_outcomes and report.no_items:
        message = _l("The course has no outcomes and no items yet: there is nothing to publish.")
    elif report.no_outcomes:
        message = _l("The course has no outcomes yet: add what learners will be able to do.")
    elif report.gaps:
        gap = report.gaps[0]
        if gap.missing == "teaching":
            message = _l("The outcome \u201c%(outcome)s\u201d is not covered yet: nothing teaches %(competency)s.",
                         outcome=gap.outcome.statement, competency=gap.competency)  # fmt: skip
        else:
            message = _l("The outcome \u201c%(outcome)s\u201d is not covered yet: nothing assesses %(competency)s.",
                         outcome=gap.outcome.statement, competency=gap.competency)  # fmt: skip
    elif report.outcomes_without_competency:
        message = _l("The outcome \u201c%(outcome)s\u201d is not mapped to a competency.",
                     outcome=report.outcomes_without_competency[0].statement)  # fmt: skip
    elif report.cycles:
        message = _l("The prerequisites go round in a circle: %(cycle)s.",
                     cycle=" \u2192 ".join(i.title for i in report.cycles[0] + report.cycles[0][:1]))  # fmt: skip
    elif report.idle_items:
        message = _l("The item \u201c%(item)s\u201d serves none of the outcomes.", item=report.idle_items[0].title)
    else:  # outcomes without items always leave a gap above; kept so every error has its words
        message = _l("The course has no items yet: add blocks that teach and assess its outcomes.")
    raise CoverageIncomplete(message, report)


def submit_for_review(admin, version: CourseVersion) -> None:
    """Ask another admin to review this draft. Raises ``Conflict``/``CoverageIncomplete``."""
    if version.status != "draft":
        raise Conflict(_l("Only a draft can be sent for review."))
    _require_coverage(version)
    version.status = "in_review"
    version.submitted_by_id = admin.id
    version.submitted_at = utcnow()
    log_change(version.course, version, admin.id, "submitted")
    db.session.flush()


def can_approve(admin, version: CourseVersion) -> bool:
    """Another admin may approve; the author only with the reviewer role too."""
    return version.submitted_by_id != admin.id or admin.has_role("reviewer")


def approve(admin, version: CourseVersion) -> None:
    """Publish a version in review. Raises ``NotAllowed`` for the author without the reviewer
    role, ``Conflict`` when it is not in review, ``CoverageIncomplete``."""
    if version.status != "in_review":
        raise Conflict(_l("Only a version in review can be approved."))
    if not can_approve(admin, version):
        raise NotAllowed(_l("Another admin has to approve your own version (or you need the reviewer role)."))
    _require_coverage(version)
    version.status = "published"
    version.reviewed_by_id = admin.id
    version.published_at = utcnow()
    log_change(version.course, version, admin.id, "published")
    db.session.flush()


def send_back(admin, version: CourseVersion, comment: str = "") -> None:
    """Return a version in review to draft, with the reviewer's comment in the history."""
    if version.status != "in_review":
        raise Conflict(_l("Only a version in review can be sent back."))
    version.status = "draft"
    log_change(version.course, version, admin.id, "sent_back", comment=(comment or "").strip())
    db.session.flush()


def archive(admin, course: Course) -> None:
    """Withdraw the course from new enrolments; learners on it keep their version.

    Raises ``Conflict`` when nothing is published.
    """
    version = current_published(course)
    if version is None:
        raise Conflict(_l("Nothing is published to archive."))
    version.status = "archived"
    version.archived_at = utcnow()
    log_change(course, version, admin.id, "archived")
    db.session.flush()


def history(course: Course) -> list[AuthoringChange]:
    """The course's changes, newest first."""
    return list(
        db.session.execute(
            select(AuthoringChange)
            .where(AuthoringChange.course_id == course.id)
            .order_by(AuthoringChange.at.desc(), AuthoringChange.id.desc())
        ).scalars()
    )
