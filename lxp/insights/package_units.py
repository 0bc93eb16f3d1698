"""Drop-off inside imported content: per SCORM SCO or cmi5 AU of a course, how many learners
launched it, completed it, passed it, and left it unfinished (a cmi5 session ``abandoned``, or a
SCORM unit suspended, with no completion since). One statement, counted per learner and unit."""

from __future__ import annotations

from dataclasses import dataclass

from lxp.authoring import kinds
from lxp.insights import maths, queries, services


@dataclass(frozen=True)
class UnitDropOff:
    ref: str
    title: str
    kind: str
    launched: int
    completed: int
    passed: int
    abandoned: int

    @property
    def shown(self) -> bool:
        """Few learners behind a row could be told apart: the numbers stay hidden."""
        return self.launched >= maths.MIN_GROUP


def drop_off(user, course_id: int, filters: services.Filters) -> list[UnitDropOff]:
    """Per unit of the course's mapped version that plays a package, in path order: the learners
    (those the user may see and the filters choose) who launched, completed (or passed), passed
    and left it unfinished. Raises as ``services.course_for`` and ``services.check_filters``."""
    course, version = services.course_for(user, course_id)
    services.check_filters(user, filters, course)
    players = kinds.where("plays_package")
    units = [s for s in services.stations_of(course, version) if s.kind in players]
    if not units:
        return []
    with queries.counting_events():
        rows = queries.package_unit_flags([u.ref for u in units], services.course_population(user, filters),
                                          filters.start, filters.end)  # fmt: skip
    counts: dict[str, list[int]] = {u.ref: [0, 0, 0, 0] for u in units}
    for ref, launched, completed, passed, abandoned, suspended in rows:
        finished = bool(completed or passed)
        figures = counts[ref]
        figures[0] += bool(launched)
        figures[1] += finished
        figures[2] += bool(passed)
        figures[3] += bool((abandoned or suspended) and not finished)
    return [UnitDropOff(u.ref, u.title, u.kind, *counts[u.ref]) for u in units]
