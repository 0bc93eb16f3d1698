"""Touchpoints at the learner's own time: Thompson sampling over hours of the week, inside
quiet hours and the adaptive window (``policy.learner_time``), as ``policy.decide`` uses it."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from lxp.nudges import policy
from lxp.nudges.policy import Candidate, activity_by_slot, decide, learner_time, slot_of

MONDAY_8 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
BERLIN = policy.Preferences(timezone="Europe/Berlin")
BERLIN_ZONE = ZoneInfo("Europe/Berlin")


def evenings(n: int = 12) -> tuple[int, ...]:
    """A learner who learns at 19:00 Berlin time on weekdays."""
    moments = [datetime(2026, 11, 2, 18, 10, tzinfo=UTC) + timedelta(days=d) for d in range(n * 7 // 5 + 3)]
    return activity_by_slot([m for m in moments if m.weekday() < 5], "Europe/Berlin")


def test_hours_of_the_week_are_counted_in_the_learners_zone():
    assert slot_of(datetime(2026, 11, 29, 23, 50, tzinfo=UTC), "Europe/Berlin") == 0  # already Monday 00:50 there
    assert slot_of(datetime(2026, 11, 29, 23, 50, tzinfo=UTC), "UTC") == 6 * 24 + 23
    counts = activity_by_slot([MONDAY_8, MONDAY_8 + timedelta(minutes=5)], "Europe/Berlin")
    assert counts[9] == 2 and sum(counts) == 2


def test_an_evening_learner_gets_the_message_in_the_evening():
    sent_at = [learner_time(MONDAY_8, MONDAY_8, BERLIN, evenings(), seed) for seed in range(40)]
    hours = [t.astimezone(BERLIN_ZONE).hour for t in sent_at]
    # Mostly the learner's hour; Thompson sampling keeps trying other hours now and then (that is how it learns).
    assert sum(h == 19 for h in hours) >= 26
    assert all(MONDAY_8 <= t < MONDAY_8 + policy.ADAPTIVE_WINDOW for t in sent_at)


def test_too_little_activity_keeps_the_fixed_time():
    assert learner_time(MONDAY_8, MONDAY_8, BERLIN, activity_by_slot([MONDAY_8] * 4, "UTC"), 1) is None


def test_a_night_owl_is_still_never_messaged_in_quiet_hours():
    nights = activity_by_slot([datetime(2026, 11, d, 22, 30, tzinfo=UTC) for d in range(2, 27)], "Europe/Berlin")
    for seed in range(20):
        moment = learner_time(MONDAY_8, MONDAY_8, BERLIN, nights, seed)
        assert policy.quiet_hours_end(moment, BERLIN) is None


def test_decide_holds_an_adaptive_message_until_the_learners_hour_then_sends_it():
    candidate = Candidate("inactive", "nudge", adaptive=True, due_since=MONDAY_8, seed=7)
    first = decide(candidate, BERLIN, policy.Situation(MONDAY_8, inbox="in_app", activity=evenings()))
    assert first.action == "hold" and first.reason == "learner_time"
    again = decide(candidate, BERLIN, policy.Situation(first.until, inbox="in_app", activity=evenings()))
    assert again.action == "send"  # the same draw: it does not wander further
    fixed = Candidate("inactive", "nudge", adaptive=False, due_since=MONDAY_8, seed=7)
    assert decide(fixed, BERLIN, policy.Situation(MONDAY_8, inbox="in_app", activity=evenings())).action == "send"


def test_about_one_in_five_messages_keeps_the_fixed_time_to_compare():
    share = sum(policy.fixed_time(seed) for seed in range(2000)) / 2000
    assert 0.17 < share < 0.23


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 167), min_size=5, max_size=60), st.integers(0, 10_000),
       st.integers(0, 24 * 7 - 1), st.integers(0, 30))  # fmt: skip
def test_the_learners_time_is_within_the_window_and_outside_quiet_hours(slots, seed, start_hour, late_hours):
    activity = [0] * policy.SLOTS
    for s in slots:
        activity[s] += 1
    due = datetime(2026, 11, 23, tzinfo=UTC) + timedelta(hours=start_hour, minutes=17)
    now = due + timedelta(hours=late_hours)
    moment = learner_time(due, now, BERLIN, activity, seed)
    assert moment is not None and moment >= now
    assert moment == now or (
        due <= moment < due + policy.ADAPTIVE_WINDOW and policy.quiet_hours_end(moment, BERLIN) is None
    )
