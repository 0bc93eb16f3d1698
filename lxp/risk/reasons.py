"""Reasons in words and a suggested action for a learner at risk of going quiet.

Pure: features and a little of the history in, ``Reason`` codes with their values out; the
words (en/de/ru) are in ``lxp.risk.texts``. A coach gets two or three reasons, never a score.

With a model, the reasons are the features that push this learner's estimate up the most
(coefficient times how far the learner is from the average learner); without one (too little
history, or a model that does not beat the baseline), the rules below decide alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxp.risk.features import History, most_failed, usual_weekday

RULE_QUIET_DAYS = 7  # the rules alone: quiet this long...
RULE_BEHIND_STEPS = 2  # ...or this far behind the plan while quiet for RULE_BEHIND_QUIET_DAYS
RULE_BEHIND_QUIET_DAYS = 4
MAX_REASONS = 3


@dataclass(frozen=True)
class Reason:
    code: str  # quiet, behind, failed_checks, help_open, help_not_helped, low_mood, high_effort, missed_sessions, unopened, fewer_days
    values: tuple[tuple[str, str | int], ...] = ()  # named values for the words (days, item, weekday, count)

    def get(self, name: str):
        return dict(self.values).get(name)


# Which reason a feature stands for, and which way it points to risk.
FEATURE_REASON = {
    "days_since_activity": "quiet",
    "active_days_14": "fewer_days",
    "active_days_trend": "fewer_days",
    "steps_behind": "behind",
    "failed_checks_28": "failed_checks",
    "help_unresolved": "help_open",
    "help_not_helped_28": "help_not_helped",
    "mood_28": "low_mood",
    "effort_28": "high_effort",
    "sessions_missed_28": "missed_sessions",
    "touchpoints_unopened_28": "unopened",
}

# What a coach can do from the desk, by the first reason.
ACTIONS = {
    "missed_sessions": "offer_session",
    "behind": "simplify_plan",
    "high_effort": "simplify_plan",
    "failed_checks": "message",
}
DEFAULT_ACTION = "message"


def describe(code: str, features: dict[str, float], history: History, cutoff: datetime) -> Reason | None:
    """The reason ``code`` with the values its words need, or None when the learner's data
    do not support saying it (a "failed checks" reason without a failed check)."""
    if code == "quiet":
        days = int(features["days_since_activity"])
        if days < 2:
            return None
        weekday = usual_weekday(history, cutoff)
        return Reason("quiet", (("days", days),) + ((("weekday", weekday),) if weekday is not None else ()))
    if code == "fewer_days":
        return (
            Reason("fewer_days", (("count", int(features["active_days_14"])),))
            if features["active_days_trend"] < 0
            else None
        )
    if code == "behind":
        steps = round(features["steps_behind"])
        return Reason("behind", (("count", steps),)) if steps >= 1 else None
    if code == "failed_checks":
        failed = most_failed(history, cutoff)
        if failed is None:
            return None
        ref, count = failed
        return Reason("failed_checks", (("count", count), ("item", history.titles.get(ref, ref))))
    if code == "low_mood":
        return Reason("low_mood") if features["mood_28"] <= 2.5 else None
    if code == "high_effort":
        return Reason("high_effort") if features["effort_28"] >= 4 else None
    counts = {"help_open": "help_unresolved", "help_not_helped": "help_not_helped_28",
              "missed_sessions": "sessions_missed_28", "unopened": "touchpoints_unopened_28"}  # fmt: skip
    count = int(features[counts[code]])
    return Reason(code, (("count", count),)) if count >= 1 else None


def from_contributions(contributions: dict[str, float], features: dict[str, float], history: History,
                       cutoff: datetime) -> list[Reason]:  # fmt: skip
    """Up to three reasons, from the features that raise the estimate most (positive contributions only)."""
    reasons: list[Reason] = []
    for name, value in sorted(contributions.items(), key=lambda kv: -kv[1]):
        if value <= 0 or len(reasons) == MAX_REASONS:
            break
        code = FEATURE_REASON.get(name)
        if code is None or any(r.code == code for r in reasons):
            continue
        reason = describe(code, features, history, cutoff)
        if reason is not None:
            reasons.append(reason)
    return reasons


def by_rules(features: dict[str, float], history: History, cutoff: datetime) -> list[Reason]:
    """The rules alone: quiet for a week, or behind the plan and quiet for a few days; then the
    reasons in a fixed order of what a coach can act on. Empty when the rules see no risk."""
    quiet = features["days_since_activity"]
    if not (
        quiet >= RULE_QUIET_DAYS or (features["steps_behind"] >= RULE_BEHIND_STEPS and quiet >= RULE_BEHIND_QUIET_DAYS)
    ):
        return []
    reasons = []
    for code in ("quiet", "failed_checks", "missed_sessions", "help_open", "behind", "help_not_helped", "low_mood",
                 "high_effort"):  # fmt: skip
        reason = describe(code, features, history, cutoff)
        if reason is not None:
            reasons.append(reason)
        if len(reasons) == MAX_REASONS:
            break
    return reasons


def suggested_action(reasons: list[Reason]) -> str:
    """``message``, ``offer_session`` or ``simplify_plan``: what fits the reasons best."""
    for reason in reasons:
        if reason.code in ACTIONS:
            return ACTIONS[reason.code]
    return DEFAULT_ACTION
