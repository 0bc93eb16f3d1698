"""The touchpoint rules: when a message is due, to whom, in which category.

Pure: the rules are data. ``services.plan_touchpoints`` finds, set-wise in SQL, who each
trigger applies to; ``policy.decide`` then applies the learner's own control. Trigger kinds:

  before_session  a registered live session starts within ``hours`` (a reminder they asked for)
  inactivity      no learning event for ``days`` days while the learner's path is active
  after_event     ``delay_hours`` after an event (``verb`` on ``object_type``) of the learner
  milestone       the learner's first completed step (a celebration)

Occurrence keys make each message unique per learner: the same session, the same silence,
the same event, never twice.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    key: str
    trigger: str
    category: str
    hours: int = 0
    days: int = 0
    verb: str | None = None
    object_type: str | None = None
    delay_hours: int = 0
    asked_for: bool = False
    digestible: bool = True
    expires_hours: int = 72  # a message not sent by then is no longer worth sending


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("session_tomorrow", "before_session", "reminder", hours=24, asked_for=True, digestible=False,
         expires_hours=23),
    Rule("session_soon", "before_session", "reminder", hours=1, asked_for=True, digestible=False, expires_hours=1),
    Rule("inactive", "inactivity", "nudge", days=5, expires_hours=72),
    Rule("failed_check", "after_event", "nudge", verb="failed", object_type="item", delay_hours=24),
    Rule("first_step", "milestone", "celebration", digestible=False),
)  # fmt: skip

RULES_BY_KEY = {rule.key: rule for rule in DEFAULT_RULES}
