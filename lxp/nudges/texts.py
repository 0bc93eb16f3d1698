"""The words of each touchpoint: the default templates (translated, with ``{variables}``) and
the reason every message gives ("Why you got this: …").

Admins may replace a rule's subject and body per language (``TouchpointRule.templates``);
the reason is always ours, so it stays true whatever the words around it say.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from lxp.nudges.rules import Rule, Template, render

# Translators: keep the {names} in braces as they are; they are filled in per learner.
DEFAULT_TEXTS = {
    "welcome": (_l("Your first step is waiting, {name}"),
                _l("It is \u201c{step}\u201d and takes a few minutes. Start whenever it suits you.")),
    "session_tomorrow": (_l("Tomorrow: {title}"), _l("Your live session starts {when}.")),
    "session_soon": (_l("In an hour: {title}"), _l("Your live session starts {when}.")),
    "promoted": (_l("You have a place: {title}"), _l("A place freed up and it is yours. See you there.")),
    "step_due": (_l("Coming up: {title}"), _l("This step is planned for {due}. A few minutes are enough.")),
    "inactive": (_l("Five minutes for your path?"),
                 _l("Your next step is waiting, and it is short. Pick up where you left off.")),
    "inactive_coach": (_l("{learner} has gone quiet"),
                       _l("{learner} has had no learning activity on their path for {days} days, even after a "
                          "reminder. A word from you may help.")),
    "block_done": (_l("Next up: {step}"),
                   _l("You finished \u201c{title}\u201d. The next step is short; it keeps what you learnt fresh.")),
    "failed_check": (_l("Another look at \u201c{title}\u201d"),
                     _l("Your path has a short step to go over it again, then you can try the check once more.")),
    "another_try": (_l("Ready for another go at \u201c{title}\u201d?"),
                    _l("Your coach's notes are with the task. When you have tried again at work, send your new "
                       "evidence.")),
    "feedback_received": (_l("Feedback on {competency}: one thing to try"),
                          _l("Your coach wrote about {competency}. Pick one point and try it this week.")),
    "help_resolved": (_l("Did it work out with \u201c{title}\u201d?"),
                      _l("Your question was answered a couple of days ago. If you are still stuck, say so.")),
    "mentioned": (_l("{author} mentioned you in \u201c{thread}\u201d"),
                  _l("A post in one of your spaces names you. Have a look when it suits you.")),
    "feedback_asked": (_l("{author} asks for your feedback"),
                       _l("{author} shared their work in \u201c{thread}\u201d and would value a few lines from you: "
                          "what worked, and one suggestion.")),
    "feedback_given": (_l("{author} gave you feedback"),
                       _l("{author} answered your request for feedback on \u201c{thread}\u201d. Have a look when it "
                          "suits you.")),
    "weekly_digest": (_l("Your week ahead"), _l("{steps}\n\n{missed}")),
    "first_step": (_l("Your first step is done"), _l("That is how a path is walked: one short step at a time.")),
    "halfway": (_l("Halfway there"), _l("Half of your path is behind you. Keep the rhythm that got you here.")),
    "goal_reached": (_l("You reached your goal"), _l("Every step of your path for {goal} is done. Well done.")),
    "review": (_l("A quick recall: {title}"), _l("{question}")),
    "assignment_due": (_l("Due soon: {title}"),
                       _l("Your organisation asks for \u201c{title}\u201d by {due}. Your path shows the steps left.")),
    "assignment_due_manager": (_l("Due soon: {title}"),
                               _l("Your manager {manager} asked you for \u201c{title}\u201d by {due}. Your path shows "
                                  "the steps left.")),
    "assignment_overdue": (_l("Still open: {title}"),
                           _l("\u201c{title}\u201d was due on {due}. A few short steps now still count.")),
    "assignment_manager": (_l("{learner}: \u201c{title}\u201d is overdue"),
                           _l("{learner}'s \u201c{title}\u201d was due on {due}. Your team page shows where they "
                              "stand; a word of encouragement may help.")),
}  # fmt: skip


def default_template(rule_key: str) -> Template:
    """The rule's default words in the current locale."""
    subject, body = DEFAULT_TEXTS[rule_key]
    return Template(str(subject), str(body))


def template_for(rule: Rule, locale: str, values: Mapping[str, object] | None = None) -> Template:
    """The admin's words for this language if they wrote some, else ours (current locale); ours
    for soon-due work its manager asked for (``values["manager"]``) name that manager."""
    own = rule.templates.get(locale)
    if own is not None and own.subject.strip():
        return own
    if rule.key == "assignment_due" and (values or {}).get("manager"):
        return default_template("assignment_due_manager")
    return default_template(rule.key)


def words(rule: Rule, locale: str, values: Mapping[str, object]) -> tuple[str, str, str]:
    """Subject, body and why of one message, in the current locale (call under force_locale)."""
    template = template_for(rule, locale, values)
    return render(template.subject, values).strip(), render(template.body, values).strip(), why(rule, values)


def why(rule: Rule, values: Mapping[str, object]) -> str:
    """Why the learner got this message, in the current locale: what the rule's trigger measured,
    with the numbers of the course's version of the rule (``rule``), never our defaults."""
    v = {k: "" if value is None else value for k, value in values.items()}
    get = v.get
    match rule.key:
        case "welcome":
            return ngettext("You started a path for \u201c%(goal)s\u201d and had no learning activity in the %(num)d hour after.",
                            "You started a path for \u201c%(goal)s\u201d and had no learning activity in the %(num)d hours after.",
                            rule.delay_hours, goal=get("goal", ""))  # fmt: skip
        case "session_tomorrow" | "session_soon":
            return ngettext("You registered for \u201c%(title)s\u201d, which starts within %(num)d hour: %(when)s.",
                            "You registered for \u201c%(title)s\u201d, which starts within %(num)d hours: %(when)s.",
                            rule.hours, title=get("title", ""), when=get("when", ""))  # fmt: skip
        case "promoted":
            return _(
                "You were on the waiting list for \u201c%(title)s\u201d and a place became free.",
                title=get("title", ""),
            )
        case "step_due":
            return ngettext("Planned on your path for %(due)s, %(num)d day from now: %(titles)s.",
                            "Planned on your path for %(due)s, %(num)d days from now: %(titles)s.",
                            rule.days, titles=get("titles") or f"\u201c{get('title', '')}\u201d",
                            due=get("due", ""))  # fmt: skip
        case "inactive":
            return " ".join((
                ngettext("You have had no learning activity on your path for %(num)d day.",
                         "You have had no learning activity on your path for %(num)d days.", _number(get("days"))),
                ngettext("This reminder comes after %(num)d day without any.",
                         "This reminder comes after %(num)d days without any.", rule.days),
            ))  # fmt: skip
        case "inactive_coach":
            return " ".join((
                ngettext("You coach %(learner)s, who has had no learning activity for %(num)d day.",
                         "You coach %(learner)s, who has had no learning activity for %(num)d days.",
                         _number(get("days")), learner=get("learner", "")),
                ngettext("Nothing changed in the %(num)d day after we reminded them.",
                         "Nothing changed in the %(num)d days after we reminded them.", rule.days),
            ))  # fmt: skip
        case "block_done":
            return ngettext("You finished \u201c%(title)s\u201d and had no learning activity in the %(num)d hour after.",
                            "You finished \u201c%(title)s\u201d and had no learning activity in the %(num)d hours after.",
                            rule.delay_hours, title=get("title", ""))  # fmt: skip
        case "failed_check":
            return ngettext("You did not pass the check \u201c%(title)s\u201d and had not passed it %(num)d hour later.",
                            "You did not pass the check \u201c%(title)s\u201d and had not passed it %(num)d hours later.",
                            rule.delay_hours, title=get("title", ""))  # fmt: skip
        case "another_try":
            return ngettext("Your coach asked for another try at \u201c%(title)s\u201d, and %(num)d hour later it was not accepted yet.",
                            "Your coach asked for another try at \u201c%(title)s\u201d, and %(num)d hours later it was not accepted yet.",
                            rule.delay_hours, title=get("title", ""))  # fmt: skip
        case "feedback_received":
            return ngettext("Your coach gave you feedback on %(competency)s; this follow-up comes %(num)d hour later.",
                            "Your coach gave you feedback on %(competency)s; this follow-up comes %(num)d hours later.",
                            rule.delay_hours, competency=get("competency", ""))  # fmt: skip
        case "help_resolved":
            return ngettext("Your question about \u201c%(title)s\u201d was answered and closed; we ask %(num)d hour later whether it helped.",
                            "Your question about \u201c%(title)s\u201d was answered and closed; we ask %(num)d hours later whether it helped.",
                            rule.delay_hours, title=get("title", ""))  # fmt: skip
        case "mentioned":
            return _(
                "%(author)s wrote @ and your name in \u201c%(thread)s\u201d, in one of your spaces.",
                author=get("author", ""),
                thread=get("thread", ""),
            )
        case "feedback_asked":
            return _("%(author)s asked you by name for feedback on the work they shared in \u201c%(thread)s\u201d.",
                     author=get("author", ""), thread=get("thread", ""))  # fmt: skip
        case "feedback_given":
            return _("You asked for feedback on \u201c%(thread)s\u201d, and %(author)s answered.",
                     author=get("author", ""), thread=get("thread", ""))  # fmt: skip
        case "weekly_digest":
            if get("weekday") and get("time"):
                return _("You get a summary once a week, on %(weekday)s from %(time)s, as set in your notification "
                         "settings.", weekday=get("weekday"), time=get("time"))  # fmt: skip
            return _("You get a summary once a week, on the day and hour set in your notification settings.")
        case "first_step":
            return _("You finished the first step of your path.")
        case "halfway":
            return _("You have done %(done)d of the %(total)d required steps of your path.",
                     done=_number(get("done")), total=_number(get("total")))  # fmt: skip
        case "goal_reached":
            return ngettext("You have done the %(num)d required step of your path.",
                            "You have done all %(num)d required steps of your path.", _number(get("total")))  # fmt: skip
        case "review":
            return _("You passed \u201c%(title)s\u201d, and its spaced-review schedule says a question from it is due now.",
                     title=get("title", ""))  # fmt: skip
        case "assignment_due" if get("manager"):
            return ngettext("Your manager %(manager)s asked you for \u201c%(title)s\u201d, due on %(due)s, within %(num)d day.",
                            "Your manager %(manager)s asked you for \u201c%(title)s\u201d, due on %(due)s, within %(num)d days.",
                            rule.days, manager=get("manager"), title=get("title", ""), due=get("due", ""))  # fmt: skip
        case "assignment_overdue" if get("manager"):
            return _("Your manager %(manager)s asked you for \u201c%(title)s\u201d, due on %(due)s, and it is not done yet.",
                     manager=get("manager"), title=get("title", ""), due=get("due", ""))  # fmt: skip
        case "assignment_due":
            return ngettext("Your organisation assigned \u201c%(title)s\u201d, due on %(due)s, within %(num)d day.",
                            "Your organisation assigned \u201c%(title)s\u201d, due on %(due)s, within %(num)d days.",
                            rule.days, title=get("title", ""), due=get("due", ""))  # fmt: skip
        case "assignment_overdue":
            return _("Your organisation assigned \u201c%(title)s\u201d, due on %(due)s, and it is not done yet.",
                     title=get("title", ""), due=get("due", ""))  # fmt: skip
        case "assignment_manager" if get("theirs"):
            return _("%(learner)s reports to you, and \u201c%(title)s\u201d, which you asked for, was due on %(due)s. "
                     "They allowed you to hear of it, or the assignment asks for it.",
                     learner=get("learner", ""), title=get("title", ""), due=get("due", ""))  # fmt: skip
        case "assignment_manager":
            return _("%(learner)s reports to you, and \u201c%(title)s\u201d, assigned by your organisation, was due on "
                     "%(due)s. They allowed you to hear of it, or the assignment asks for it.",
                     learner=get("learner", ""), title=get("title", ""), due=get("due", ""))  # fmt: skip
    return ""


def _number(value: object) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


RULE_LABELS = {
    "welcome": _l("A nudge to take the first step, a day after starting"),
    "session_tomorrow": _l("Reminders the day before a session"),
    "session_soon": _l("Reminders an hour before a session"),
    "promoted": _l("A place freed up on the waiting list"),
    "step_due": _l("A step falling due in a couple of days"),
    "inactive": _l("Nudges after a few quiet days"),
    "inactive_coach": _l("Telling the coach when a learner stays quiet"),
    "block_done": _l("The next step, a couple of days after finishing one"),
    "failed_check": _l("A word after a check that did not pass"),
    "another_try": _l("A word when a task needs another try"),
    "feedback_received": _l("Following up a coach's feedback"),
    "help_resolved": _l("Asking whether an answered question helped"),
    "mentioned": _l("Someone mentions you in one of your spaces"),
    "feedback_asked": _l("A colleague asks you for feedback on their work"),
    "feedback_given": _l("A colleague answers your request for feedback"),
    "weekly_digest": _l("The weekly digest"),
    "first_step": _l("Celebrating the first step"),
    "halfway": _l("Celebrating halfway"),
    "goal_reached": _l("Celebrating a goal reached"),
    "review": _l("Spaced review of what was learnt"),
    "assignment_due": _l("Assigned learning falling due soon"),
    "assignment_overdue": _l("Assigned learning that is overdue"),
    "assignment_manager": _l("Telling the manager of overdue assigned learning"),
}


def when_it_comes(rule: Rule) -> str:
    """The rule's trigger in words, with its numbers (current locale)."""
    match rule.trigger:
        case "after_event":
            return ngettext("%(num)d hour after it happened", "%(num)d hours after it happened", rule.delay_hours)
        case "before_session":
            return ngettext("%(num)d hour before the session", "%(num)d hours before the session", rule.hours)
        case "step_due":
            return ngettext("%(num)d day before the step is due", "%(num)d days before the step is due", rule.days)
        case "inactivity":
            return ngettext("after %(num)d quiet day", "after %(num)d quiet days", rule.days)
        case "escalation":
            return ngettext("%(num)d day after the nudge, if still quiet", "%(num)d days after the nudge, if still quiet",
                            rule.days)  # fmt: skip
        case "digest":
            return _("on the weekday and hour each learner chose")
        case "milestone":
            return _("when it happens")
        case "review":
            return _("when the memory model says it is time")
        case "assignment_due":
            return ngettext("%(num)d day before the due date", "%(num)d days before the due date", rule.days)
        case "assignment_overdue" | "assignment_escalation":
            return ngettext("%(num)d day after the due date", "%(num)d days after the due date", max(rule.days, 1))
    return ""
