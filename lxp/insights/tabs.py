"""The insights pages' navigation. Another page joins it with one line in one of the lists
(its view then renders ``insights/_tabs.html`` with ``tabs=site_tabs()``)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Tab:
    endpoint: str
    label: object  # a lazy translated string
    roles: tuple[str, ...] = ("admin", "trainer")


# Pages about the whole organisation.
SITE_TABS: list[Tab] = [
    Tab("insights.index", _l("Courses")),
    Tab("insights.people", _l("Cohorts and people")),
    Tab("effect.report", _l("Touchpoints"), roles=("admin",)),
    Tab("risk.overview", _l("Predictive support"), roles=("admin",)),
    Tab("risk.flagged", _l("May need support"), roles=("admin",)),
]

# Pages about one course: their endpoints take ``course_id`` and keep the filters.
COURSE_TABS: list[Tab] = [
    Tab("insights.journey", _l("Journey map")),
    Tab("insights.satisfaction", _l("Satisfaction")),
    Tab("insights.modalities", _l("Modalities")),
]


def visible(tabs: list[Tab], user) -> list[Tab]:
    return [tab for tab in tabs if user.has_any_role(tab.roles)]
