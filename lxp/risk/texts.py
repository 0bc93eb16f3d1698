"""The words of the reasons and actions a coach sees (translated; the codes are in ``reasons``)."""

from __future__ import annotations

from babel.dates import get_day_names
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lxp.risk.reasons import Reason

ACTION_LABELS = {
    "message": _l("Send a message"),
    "offer_session": _l("Offer a session"),
    "simplify_plan": _l("Make the plan lighter"),
}


def weekday_name(weekday: int) -> str:
    """The weekday's plural name in the viewer's language ("Mondays" reads as a habit)."""
    return get_day_names("wide", locale=get_locale())[weekday]


def reason_text(reason: Reason) -> str:
    """One reason in words, in the viewer's language."""
    count = reason.get("count") or 0
    if reason.code == "quiet":
        days = reason.get("days")
        weekday = reason.get("weekday")
        if weekday is not None:
            return ngettext("no activity for %(num)d day, usually active on %(weekday)s",
                            "no activity for %(num)d days, usually active on %(weekday)s", days,
                            weekday=weekday_name(weekday))  # fmt: skip
        return ngettext("no activity for %(num)d day", "no activity for %(num)d days", days)
    if reason.code == "failed_checks":
        return ngettext("%(num)d failed check on %(item)s", "%(num)d failed checks on %(item)s", count,
                        item=reason.get("item"))  # fmt: skip
    if reason.code == "behind":
        return ngettext("%(num)d step behind the plan", "%(num)d steps behind the plan", count)
    if reason.code == "fewer_days":
        return ngettext("learnt on %(num)d day in the last two weeks, fewer than before",
                        "learnt on %(num)d days in the last two weeks, fewer than before", count)  # fmt: skip
    if reason.code == "help_open":
        return ngettext("%(num)d help request not resolved yet", "%(num)d help requests not resolved yet", count)
    if reason.code == "help_not_helped":
        return ngettext("said %(num)d answer did not help", "said %(num)d answers did not help", count)
    if reason.code == "missed_sessions":
        return ngettext("missed %(num)d live session", "missed %(num)d live sessions", count)
    if reason.code == "unopened":
        return ngettext("did not open %(num)d message", "did not open %(num)d messages", count)
    if reason.code == "low_mood":
        return _("said recent steps felt bad")
    if reason.code == "high_effort":
        return _("said recent steps took a lot of effort")
    return reason.code
