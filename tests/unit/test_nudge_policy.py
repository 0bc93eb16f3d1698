"""Learner control over touchpoints: each rule of ``policy.decide`` on a hand-made situation."""

from datetime import UTC, datetime, time, timedelta

from lxp.nudges import policy
from lxp.nudges.policy import Candidate, Decision, decide, quiet_hours_end, week_start

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
NUDGE = Candidate("inactive", "nudge")
SESSION_REMINDER = Candidate("session_soon", "reminder", asked_for=True, digestible=False)
CELEBRATION = Candidate("first_step", "celebration", digestible=False)
# lxp's channels as the caller reads them from the registry (``lxp.channels``): the policy gets
# plain names, which channel is the inbox, and the defaults of a learner who never chose.
DEFAULTS = {"reminder": ("in_app", "email"), "digest": ("in_app", "email")}


def chosen(**choices) -> policy.Preferences:
    return policy.Preferences(defaults=DEFAULTS, **choices)


def situation(now, available_channels=frozenset({"in_app", "email"}), **rest) -> policy.Situation:
    return policy.Situation(now, available_channels=available_channels, inbox="in_app", **rest)


def test_a_nudge_goes_out_on_the_first_channel_the_learner_chose_for_it():
    preferences = chosen(channels={"nudge": ("in_app", "email")})
    assert decide(NUDGE, preferences, situation(NOON)).channel == "email"
    # Push before e-mail when chosen so, and the next one when push is not available on any device.
    both = chosen(channels={"nudge": ("in_app", "webpush", "email")})
    assert (
        decide(NUDGE, both, situation(NOON, available_channels=frozenset({"in_app", "email", "webpush"}))).channel
        == "webpush"
    )
    assert decide(NUDGE, both, situation(NOON)).channel == "email"
    # By default a nudge stays in the inbox; a reminder of a registered session is also e-mailed.
    assert decide(NUDGE, chosen(), situation(NOON)).channel == "in_app"
    assert decide(SESSION_REMINDER, chosen(), situation(NOON)).channel == "email"


def test_switched_off_muted_or_paused_means_skipped_but_a_registered_session_still_reminds():
    assert decide(NUDGE, chosen(off=frozenset({"nudge"})), situation(NOON)).reason == "category_off"
    assert decide(NUDGE, chosen(muted_rules=frozenset({"inactive"})), situation(NOON)).reason == "rule_muted"
    paused = chosen(paused_until=NOON + timedelta(days=3))
    assert decide(NUDGE, paused, situation(NOON)).reason == "paused"
    assert decide(SESSION_REMINDER, paused, situation(NOON)).action == "send"
    assert decide(NUDGE, chosen(paused_until=NOON - timedelta(minutes=1)), situation(NOON)).action == "send"


def test_nothing_within_an_hour_of_the_learners_own_activity_except_what_they_asked_for():
    busy = situation(NOON, last_activity=NOON - timedelta(minutes=20))
    held = decide(NUDGE, chosen(), busy)
    assert held.action == "hold" and held.until == NOON + timedelta(minutes=40) and held.reason == "recently_active"
    assert decide(SESSION_REMINDER, chosen(), busy).action == "send"
    assert decide(NUDGE, chosen(), situation(NOON, last_activity=NOON - timedelta(hours=2))).action == "send"


def test_quiet_hours_hold_a_message_until_they_end_in_the_learners_own_zone():
    berlin = chosen(timezone="Europe/Berlin", quiet_start=time(21, 0), quiet_end=time(7, 30))
    late = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)  # 22:30 in Berlin
    held = decide(NUDGE, berlin, situation(late))
    assert held.action == "hold" and held.until == datetime(2026, 11, 26, 6, 30, tzinfo=UTC)  # 07:30 in Berlin
    early = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)  # 06:00 in Berlin, still quiet
    assert quiet_hours_end(early, berlin) == datetime(2026, 11, 26, 6, 30, tzinfo=UTC)
    assert decide(NUDGE, berlin, situation(NOON)).action == "send"  # 13:00 in Berlin
    tokyo = chosen(timezone="Asia/Tokyo", quiet_start=time(21, 0), quiet_end=time(7, 30))
    assert decide(NUDGE, tokyo, situation(NOON)).action == "hold"  # 21:00 in Tokyo
    assert decide(NUDGE, chosen(quiet_start=None, quiet_end=None), situation(late)).action == "send"
    daytime = chosen(timezone="UTC", quiet_start=time(12, 0), quiet_end=time(13, 0))  # not across midnight
    assert decide(NUDGE, daytime, situation(NOON)).until == NOON + timedelta(hours=1)


def test_over_the_weekly_cap_a_message_is_folded_into_the_digest_or_dropped_never_piled_up():
    full = situation(NOON, sent_this_week=5)
    assert decide(NUDGE, chosen(), full).action == "fold"
    assert decide(NUDGE, chosen(off=frozenset({"digest"})), full).action == "drop"
    assert decide(Candidate("x", "nudge", digestible=False), chosen(), full).action == "drop"
    assert decide(CELEBRATION, chosen(), full).action == "send"  # celebrations come first
    assert decide(SESSION_REMINDER, chosen(), full).action == "send"  # so do sessions they registered for
    assert decide(NUDGE, chosen(weekly_cap=6), full).action == "send"
    assert decide(NUDGE, chosen(weekly_cap=0), situation(NOON)).action == "fold"


def test_the_week_starts_on_monday_in_the_learners_zone():
    assert week_start(NOON, "UTC") == datetime(2026, 11, 23, tzinfo=UTC)
    assert week_start(NOON, "Asia/Tokyo") == datetime(2026, 11, 22, 15, 0, tzinfo=UTC)  # Monday 00:00 in Tokyo


def test_quiet_hours_end_at_the_learners_morning_on_both_clock_change_nights():
    berlin = chosen(timezone="Europe/Berlin", quiet_start=time(21, 0), quiet_end=time(7, 30))
    autumn = datetime(2026, 10, 24, 20, 30, tzinfo=UTC)  # 22:30 summer time; clocks go back at 03:00
    assert decide(NUDGE, berlin, situation(autumn)).until == datetime(2026, 10, 25, 6, 30, tzinfo=UTC)  # 07:30 CET
    spring = datetime(2027, 3, 27, 21, 0, tzinfo=UTC)  # 22:00 winter time; clocks go forward at 02:00
    assert decide(NUDGE, berlin, situation(spring)).until == datetime(2027, 3, 28, 5, 30, tzinfo=UTC)  # 07:30 CEST
    lost_hour = datetime(2027, 3, 28, 1, 15, tzinfo=UTC)  # 03:15 CEST, the hour after the jump
    assert quiet_hours_end(lost_hour, berlin) == datetime(2027, 3, 28, 5, 30, tzinfo=UTC)


def test_a_rule_that_paused_itself_is_skipped_even_within_the_cap():
    paused = chosen(auto_paused_rules=frozenset({NUDGE.rule}))
    assert decide(NUDGE, paused, situation(NOON)) == Decision("skip", reason="rule_paused")


def test_a_courses_channel_order_picks_among_the_learners_channels_and_never_adds_one():
    both = chosen(channels={"nudge": ("in_app", "email", "webpush")})
    phone_and_mail = situation(NOON, available_channels=frozenset({"in_app", "email", "webpush"}))
    assert decide(NUDGE, both, phone_and_mail).channel == "email"  # the learner's order
    push_first = Candidate("inactive", "nudge", channels=("webpush", "email"))
    assert decide(push_first, both, phone_and_mail).channel == "webpush"  # the course's order
    inbox_only = Candidate("inactive", "nudge", channels=("in_app",))
    assert decide(inbox_only, both, phone_and_mail).channel == "in_app"  # a course may narrow it
    mail_wanted = Candidate("inactive", "nudge", channels=("email",))
    assert decide(mail_wanted, chosen(), phone_and_mail).channel == "in_app"  # but never widen it


def test_a_paused_path_hears_only_what_was_asked_for_and_a_finished_one_nothing_that_leads_to_a_step():
    from lxp.nudges.rules import RULES_BY_KEY, goes_to

    paused = {key for key, rule in RULES_BY_KEY.items() if goes_to(rule, paused=True, finished=False)}
    assert paused == {"session_tomorrow", "session_soon", "promoted"}
    finished = {key for key, rule in RULES_BY_KEY.items() if not goes_to(rule, paused=False, finished=True)}
    # Assigned work is required on the path: its reminders stop once every required step is done.
    assert finished == {"welcome", "step_due", "inactive", "inactive_coach", "block_done", "assignment_due",
                        "assignment_overdue", "assignment_manager"}  # fmt: skip
    assert all(goes_to(rule, paused=False, finished=False) for rule in RULES_BY_KEY.values())


def test_channels_are_what_the_caller_says():
    """The policy names no channel: the inbox and the defaults are the caller's."""
    plain = policy.Preferences(defaults={"nudge": ("board", "pigeon")})
    assert decide(NUDGE, plain, policy.Situation(NOON, available_channels=frozenset({"pigeon"}), inbox="board")) == (
        Decision("send", channel="pigeon")
    )
    assert decide(NUDGE, plain, policy.Situation(NOON, inbox="board")).channel == "board"
    assert decide(NUDGE, policy.Preferences(), policy.Situation(NOON, inbox="board")).channel == "board"
