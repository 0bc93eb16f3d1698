"""Touchpoints, the feature's entry points: planning, delivery and the learner's control.

The work is split by idea: ``planning`` (rules -> outbox rows), ``delivery`` (outbox rows ->
channels, under ``policy.decide``) and ``preferences`` (what the learner chose). Callers use
this module so they need not know where each function lives.
"""

from lxp.nudges.delivery import DeliveryReport, deliver_due, deliver_outbox
from lxp.nudges.planning import plan_touchpoints
from lxp.nudges.preferences import (
    mute_rule,
    preferences_of,
    read_unsubscribe_token,
    rule_of_message,
    save_preferences,
    unmute_rule,
    unsubscribe,
    unsubscribe_token,
)

__all__ = [
    "DeliveryReport", "deliver_due", "deliver_outbox", "mute_rule", "plan_touchpoints", "preferences_of", "read_unsubscribe_token",
    "rule_of_message", "save_preferences", "unmute_rule", "unsubscribe", "unsubscribe_token",
]  # fmt: skip
