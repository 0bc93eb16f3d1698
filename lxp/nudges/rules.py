"""The touchpoint rules: when a message is due, to whom, in which category, in whose words.

Pure: the rules are data, and the helpers here (configure, check a template, render, the
holdout draw) import neither Flask nor the database. ``planning`` finds, set-wise in SQL, whom
each trigger applies to; ``policy.decide`` then applies the learner's own control.

Trigger kinds:

  after_event     ``delay_hours`` after an event (``verb`` on ``object_type``; ``context_has``
                  / ``context_lacks`` narrow it; ``recipient`` names the context key that holds
                  the learner when the actor is someone else, such as a coach;
                  ``unless_learned``: not if the learner has learned since)
  before_session  a registered live session starts within ``hours`` (a reminder they asked for)
  step_due        an open step of the path is due within ``days`` days
  inactivity      no learning event for ``days`` days while the learner's path is active
  escalation      still silent ``days`` days after the inactivity nudge: the coach is told
  digest          the weekly digest, on the weekday and hour the learner chose
  milestone       ``milestone``: first_step, halfway or goal_reached (celebrations)
  review          spaced review: a recall question from a completed block's quiz, when fsrs
                  says it is due (off unless a course switches it on)
  assignment_due  work the organisation assigned falls due within ``days`` days
  assignment_overdue  its due date passed ``days`` days ago and it is not done
  assignment_escalation  the learner's manager hears of work ``days`` days overdue, when the
                  learner allows it (``ReportingLine.share_progress``) or the assignment
                  requires it (``Assignment.escalate``)

Whom a rule may reach also depends on where the learner stands on their path (``goes_to``):

  paused path     only what they asked for (``asked_for``: reminders of a live session they
                  registered for, a place freed up on a waiting list). Pausing says "no
                  reminders until I resume", so follow-ups, nudges and reviews wait.
  finished path   every required step done: nothing that leads to a step still to do
                  (``needs_open_step``: the first step, a step falling due, the next step, the
                  quiet-days nudge and the coach's escalation). Milestones, replies to what
                  they did, the digest and spaced review still come.

Occurrence keys make each message unique per learner: the same session, the same silence,
the same event, never twice. An admin's version of a rule for one course (``configure``)
may change its numbers, switch it off, reorder its channels, keep a holdout, and replace its
words per language; the variables a template may use are fixed per rule (``VARIABLES``).
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

TRIGGERS = ("after_event", "before_session", "step_due", "inactivity", "escalation", "digest", "milestone", "review",
            "assignment_due", "assignment_overdue", "assignment_escalation")  # fmt: skip
# The numbers an admin may change, per trigger kind, with their allowed range.
EDITABLE = {
    "after_event": {"delay_hours": (0, 24 * 14)},
    "before_session": {"hours": (1, 24 * 7)},
    "step_due": {"days": (1, 14)},
    "inactivity": {"days": (2, 60)},
    "escalation": {"days": (2, 60)},
    "digest": {},
    "milestone": {},
    "review": {},
    "assignment_due": {"days": (1, 30)},
    "assignment_overdue": {"days": (0, 30)},
    "assignment_escalation": {"days": (0, 60)},
}
COMMON_VARIABLES = ("name", "course")


@dataclass(frozen=True)
class Template:
    subject: str
    body: str


@dataclass(frozen=True)
class Rule:
    key: str
    trigger: str
    category: str
    priority: int = 50  # higher goes first when several messages are due together
    hours: int = 0
    days: int = 0
    delay_hours: int = 0
    verb: str | None = None
    object_type: str | None = None
    context_has: str | None = None
    context_lacks: str | None = None
    recipient: str | None = None  # context key naming the learner; None: the event's actor
    reaches_staff: bool = False  # after_event: trainers and admins may be the recipient too (a mention)
    unless_learned: bool = False  # after_event: not when the learner has learned since the event
    link_to_next_step: bool = False  # the message opens the next step of the path, not the event's item
    milestone: str | None = None
    asked_for: bool = False  # the learner asked for it: it comes even while their path is paused
    needs_open_step: bool = False  # it leads to a step still to do: never once the path is finished
    digestible: bool = True
    expires_hours: int = 72  # a message not sent by then is no longer worth sending
    enabled: bool = True
    channels: tuple[str, ...] = ()  # in order of preference; () follows the learner's choice
    holdout_percent: int = 0
    adaptive_time: bool = False  # send at the learner's own hour (``policy.learner_time``), within a day
    variables: tuple[str, ...] = ()  # beyond COMMON_VARIABLES
    templates: Mapping[str, Template] = field(default_factory=dict)  # locale -> the admin's words

    @property
    def allowed_variables(self) -> tuple[str, ...]:
        return COMMON_VARIABLES + self.variables


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("welcome", "after_event", "nudge", priority=60, verb="registered", object_type="goal", delay_hours=24,
         unless_learned=True, needs_open_step=True, digestible=False, expires_hours=48, variables=("goal", "step")),
    Rule("session_tomorrow", "before_session", "reminder", priority=90, hours=24, asked_for=True, digestible=False,
         expires_hours=23, variables=("title", "when")),
    Rule("session_soon", "before_session", "reminder", priority=95, hours=1, asked_for=True, digestible=False,
         expires_hours=1, variables=("title", "when")),
    Rule("promoted", "after_event", "reminder", priority=85, verb="registered", object_type="live_session",
         context_has="promoted", asked_for=True, digestible=False, enabled=False, expires_hours=24,
         variables=("title",)),
    Rule("step_due", "step_due", "reminder", priority=40, days=2, needs_open_step=True, expires_hours=48,
         variables=("title", "due")),
    Rule("inactive", "inactivity", "nudge", priority=30, days=5, needs_open_step=True, expires_hours=72,
         variables=("days", "step")),
    Rule("inactive_coach", "escalation", "nudge", priority=35, days=5, needs_open_step=True, digestible=False,
         expires_hours=72, variables=("learner", "days")),
    Rule("block_done", "after_event", "nudge", priority=35, verb="completed", object_type="item", delay_hours=48,
         unless_learned=True, link_to_next_step=True, needs_open_step=True, variables=("title", "step")),
    Rule("failed_check", "after_event", "nudge", priority=45, verb="failed", object_type="item", delay_hours=24,
         context_lacks="reviewer", variables=("title",)),
    Rule("another_try", "after_event", "nudge", priority=45, verb="failed", object_type="item", delay_hours=48,
         context_has="reviewer", variables=("title",)),
    Rule("feedback_received", "after_event", "nudge", priority=40, verb="commented", object_type="competency",
         context_has="feedback", recipient="learner", delay_hours=24, variables=("competency",)),
    Rule("help_resolved", "after_event", "nudge", priority=40, verb="completed", object_type="help_request",
         delay_hours=48, variables=("title",)),
    # Someone named the person in a space (lxp/social; a trainer or coach too); the describer lives there.
    Rule("mentioned", "after_event", "nudge", priority=50, verb="mentioned", object_type="space_post",
         context_lacks="feedback", recipient="person", reaches_staff=True, delay_hours=0, expires_hours=48,
         variables=("author", "thread")),
    # A learner asked the person by name for feedback on work they shared (lxp/social/sharing.py).
    Rule("feedback_asked", "after_event", "nudge", priority=45, verb="mentioned", object_type="space_post",
         context_has="feedback", recipient="person", reaches_staff=True, delay_hours=0, expires_hours=72,
         variables=("author", "thread")),
    # A colleague answered the learner's request for feedback on their shared work.
    Rule("feedback_given", "after_event", "nudge", priority=45, verb="replied", object_type="space_post",
         context_has="feedback", recipient="person", delay_hours=0, expires_hours=72, variables=("author", "thread")),
    # Not ``asked_for``: the digest is on for everyone by default, and while a path is paused it
    # would list steps that are not due; it comes again once the learner resumes.
    Rule("weekly_digest", "digest", "digest", priority=20, digestible=False, expires_hours=12,
         variables=("steps", "minutes", "missed")),
    Rule("first_step", "milestone", "celebration", priority=70, milestone="first_step", digestible=False),
    Rule("halfway", "milestone", "celebration", priority=70, milestone="halfway", digestible=False),
    Rule("goal_reached", "milestone", "celebration", priority=75, milestone="goal_reached", digestible=False,
         variables=("goal",)),
    Rule("review", "review", "review", priority=25, enabled=False, expires_hours=48, variables=("title", "question")),
    Rule("assignment_due", "assignment_due", "reminder", priority=50, days=3, needs_open_step=True, expires_hours=48,
         variables=("title", "due")),
    Rule("assignment_overdue", "assignment_overdue", "reminder", priority=55, days=1, needs_open_step=True,
         expires_hours=72, variables=("title", "due")),
    Rule("assignment_manager", "assignment_escalation", "nudge", priority=45, days=3, needs_open_step=True,
         digestible=False, expires_hours=72, variables=("learner", "title", "due")),
)  # fmt: skip

RULES_BY_KEY = {rule.key: rule for rule in DEFAULT_RULES}


class TemplateError(ValueError):
    """A template that cannot be used: ``variable`` names the unknown variable, if that was it;
    ``placeholder`` is the whole ``{…}`` when it carries a format spec or a conversion."""

    def __init__(self, message: str, variable: str | None = None, placeholder: str | None = None):
        super().__init__(message)
        self.variable = variable
        self.placeholder = placeholder


def _fields(text: str) -> list[tuple[str, str | None, str, str | None]]:
    try:
        return list(string.Formatter().parse(text))
    except ValueError as error:
        raise TemplateError(str(error)) from None


def template_variables(text: str) -> list[str]:
    """The ``{names}`` a template uses, in reading order. Raises ``TemplateError`` for a
    malformed template (an unmatched brace, a positional ``{}``, ``{a.b}`` or ``{a[0]}``) and
    for a format spec or conversion (``{name:>9}``, ``{name!r}``): only plain ``{name}``."""
    names: list[str] = []
    for _literal, name, spec, conversion in _fields(text):
        if name is None:
            continue
        if not name.isidentifier():
            raise TemplateError(f"not a variable name: {{{name}}}", variable=name or None)
        if spec or conversion:
            placeholder = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise TemplateError(f"no format spec or conversion allowed: {placeholder}", name, placeholder)
        if name not in names:
            names.append(name)
    return names


def check_template(rule: Rule, text: str) -> None:
    """Raise ``TemplateError`` for a malformed template or naming its first unknown variable."""
    for name in template_variables(text):
        if name not in rule.allowed_variables:
            raise TemplateError(f"unknown variable {{{name}}}", variable=name)


def render(text: str, values: Mapping[str, object]) -> str:
    """Fill a template: each ``{name}`` becomes its value as text, a variable without a value
    reads as empty. Format specs and conversions are never applied (a template stored before
    they were refused reads as if they were not there), so the result is never longer than the
    template plus the values. Raises ``TemplateError`` for a template that cannot be parsed."""
    parts: list[str] = []
    for literal, name, _spec, _conversion in _fields(text):
        parts.append(literal)
        if name is not None:
            value = values.get(name) if name.isidentifier() else None
            parts.append("" if value is None else str(value))
    return "".join(parts)


def configure(rule: Rule, *, enabled: bool | None = None, params: Mapping[str, int] | None = None,
              priority: int | None = None, channels: tuple[str, ...] | None = None,
              holdout_percent: int | None = None, templates: Mapping[str, Template] | None = None,
              adaptive_time: bool | None = None) -> Rule:  # fmt: skip
    """The rule as an admin configured it for a course: only the editable numbers of its
    trigger kind are taken from ``params``; anything else there is ignored."""
    numbers = {k: int(v) for k, v in (params or {}).items() if k in EDITABLE[rule.trigger]}
    return replace(
        rule, **numbers,
        enabled=rule.enabled if enabled is None else enabled,
        priority=rule.priority if priority is None else priority,
        channels=rule.channels if channels is None else tuple(channels),
        holdout_percent=rule.holdout_percent if holdout_percent is None else holdout_percent,
        adaptive_time=rule.adaptive_time if adaptive_time is None else adaptive_time,
        templates=rule.templates if templates is None else dict(templates),
    )  # fmt: skip


def in_holdout(rule: Rule, user_id: int) -> bool:
    """Whether this learner is in the rule's holdout group: the same answer every time for the
    same rule and learner, about ``holdout_percent`` in a hundred learners."""
    if rule.holdout_percent <= 0 or rule.asked_for:  # never keep back what the learner asked for
        return False
    digest = hashlib.sha256(f"{rule.key}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < rule.holdout_percent


def goes_to(rule: Rule, *, paused: bool, finished: bool) -> bool:
    """Whether the rule may reach a learner whose path is paused or finished (see the module's
    docstring); a learner with neither, or with no path at all, is reached as before."""
    if paused and not rule.asked_for:
        return False
    return not (finished and rule.needs_open_step)


def ignored_in_a_row(opened: list[bool]) -> int:
    """How many of the latest messages (newest first) were left unopened, up to the first opened."""
    count = 0
    for was_opened in opened:
        if was_opened:
            break
        count += 1
    return count
