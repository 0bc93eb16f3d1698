"""Why a step is on the learner's path, in words: the sentence Today, the path page and a task's
page show for a planner ``Reason`` (and why a step that was done is back).

In Python rather than as Jinja macros: the path page says it for every step, Today for each
card, and a macro call with its chain of tests cost about ten times this function. The result
is plain text; templates escape it (titles and competency names are authored).
"""

from __future__ import annotations

from lxp.core.dates import viewer_date
from lxp.core.i18n import translate as _
from lxp.paths import planner


def reason_text(reason: planner.Reason, names: dict[str, str], step: planner.Step | None = None,
                askers: dict[str, str] | None = None) -> str:  # fmt: skip
    """The sentence for ``reason``. ``names`` maps competency codes to names in the viewer's
    language; ``askers`` names the manager by assigned title, for work a manager asked for."""
    code, goal, item = reason.code, reason.goal, reason.item
    competency = names.get(reason.competency, reason.competency) if reason.competency else ""
    due = viewer_date(step.assigned_due) if step is not None and step.assigned_due else None
    asker = (askers or {}).get(goal) if code == "assigned" else None
    if code == "teaches":
        return _("Teaches %(competency)s for your goal “%(goal)s”", competency=competency, goal=goal)
    if code == "assesses":
        return _("Checks %(competency)s for your goal “%(goal)s”", competency=competency, goal=goal)
    if code == "prerequisite":
        return _("Needed before “%(item)s”", item=item)
    if asker and due:
        return _("Asked by your manager %(manager)s: “%(goal)s”, due %(date)s", manager=asker, goal=goal, date=due)
    if asker:
        return _("Asked by your manager %(manager)s: “%(goal)s”", manager=asker, goal=goal)
    if code == "assigned" and due:
        return _("Asked by your organisation: “%(goal)s”, due %(date)s", goal=goal, date=due)
    if code == "assigned":
        return _("Asked by your organisation: “%(goal)s”", goal=goal)
    if code == "mandatory":
        return _("Part of your package “%(package)s”", package=goal)
    if code == "optional":
        return _("Optional in your package “%(package)s”", package=goal)
    if code == "remediation" and item:
        return _("Another look at %(competency)s after the check “%(item)s”", competency=competency, item=item)
    if code == "remediation":
        return _("Another look at %(competency)s after a check", competency=competency)
    if code == "retry":
        return _("Try “%(item)s” again", item=item)
    if code == "preferred_modality":
        return _("In a way of learning you prefer, instead of “%(item)s”", item=item)
    if code == "your_choice":
        return _("Your choice, instead of “%(item)s”", item=item)
    if code == "live_unavailable":
        return _("Instead of “%(item)s”, which has no date you can attend", item=item)
    if code == "placement":
        return _("You showed %(competency)s in the placement check", competency=competency)
    if code == "mastered":
        return _("You have shown %(competency)s already", competency=competency)
    return _("Not needed for your goals")


def back_text(step: planner.Step, names: dict[str, str]) -> str:
    """Why a step the learner had done is on the path again: the check that showed the gap and
    in what; empty for a step that is not back."""
    if not step.again:
        return ""
    gaps = [r for r in step.reasons if r.code == "remediation"]
    if gaps:
        check = gaps[0].item
        competencies = ", ".join(names.get(g.competency, g.competency) for g in gaps if g.item == check)
        if check:
            return _("Back because the check “%(item)s” showed a gap in %(competency)s", item=check,
                     competency=competencies)  # fmt: skip
        return _("Back because a check showed a gap in %(competency)s", competency=competencies)
    retry = next((r for r in step.reasons if r.code == "retry"), None)
    if retry is not None:
        return _("Back for another try: you did not pass “%(item)s” yet", item=retry.item)
    return ""


def card_reason(step: planner.Step, names: dict[str, str], askers: dict[str, str] | None = None) -> str:
    """The one line a step's card shows: why it is back, else its assigned reason, else its first."""
    back = back_text(step, names)
    if back:
        return back
    shown = next((r for r in step.reasons if r.code == "assigned"), None) or next(iter(step.reasons), None)
    return reason_text(shown, names, step, askers) if shown is not None else ""
