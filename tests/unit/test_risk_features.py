"""The risk features and label, worked out by hand on small histories (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from lxp.risk.features import (
    CAP_DAYS,
    FEATURES,
    Event,
    History,
    Plan,
    Touchpoint,
    eligible,
    features_at,
    label,
    steps_behind,
    usual_weekday,
)
from lxp.risk.reasons import by_rules, suggested_action

CUTOFF = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # a Monday
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def days_before(n: float) -> datetime:
    return CUTOFF - timedelta(days=n)


def history(*events: Event, **kwargs) -> History:
    return History(learner_id=1, events=events, **kwargs)


def test_a_learner_quiet_for_nine_days_who_usually_learns_on_mondays():
    # Mondays 2026-10-26, 11-02 and 11-09 at noon Berlin; nothing since.
    mondays = [datetime(2026, 10, 26, 11, tzinfo=UTC), datetime(2026, 11, 2, 11, tzinfo=UTC),
               datetime(2026, 11, 9, 11, tzinfo=UTC)]  # fmt: skip
    h = history(*(Event("completed", "item", f"1:b{n}", at) for n, at in enumerate(mondays)), timezone="Europe/Berlin")
    cutoff = datetime(2026, 11, 18, 11, tzinfo=UTC)  # nine days after the last Monday
    f = features_at(h, cutoff)
    assert f["days_since_activity"] == 9
    assert f["active_days_14"] == 1  # 11-09 only (11-02 is 16 days back)
    assert f["active_days_trend"] == 1 - 2  # the 14 days before had 10-26 and 11-02
    assert usual_weekday(h, cutoff) == 0
    reasons = by_rules(f, h, cutoff)
    assert reasons[0].code == "quiet" and reasons[0].get("days") == 9 and reasons[0].get("weekday") == 0


def test_events_at_or_after_the_cut_off_are_not_seen():
    h = history(Event("completed", "item", "1:a", days_before(3)), Event("failed", "item", "1:q", CUTOFF),
                Event("completed", "item", "1:b", CUTOFF + timedelta(days=1)))  # fmt: skip
    f = features_at(h, CUTOFF)
    assert f["days_since_activity"] == 3
    assert f["failed_checks_28"] == 0


def test_failed_checks_help_mood_sessions_and_touchpoints_of_the_last_28_days():
    h = history(
        Event("failed", "item", "1:quiz", days_before(2)),
        Event("failed", "item", "1:quiz", days_before(1)),
        Event("failed", "item", "1:old", days_before(40)),  # too long ago
        Event("asked", "help_request", "7", days_before(2)),
        Event("asked", "help_request", "8", days_before(5)),
        Event("completed", "help_request", "8", days_before(4)),  # resolved: not open
        Event("responded", "help_request", "8", days_before(3), success=False),
        Event("responded", "item", "1:quiz", days_before(1), mood=2, effort=5),
        Event("responded", "item", "1:a", days_before(10), mood=3, effort=4),
        Event("missed", "item", "1:live", days_before(6)),
        Event("attended", "item", "1:live2", days_before(20)),
        touchpoints=(
            Touchpoint(days_before(3), days_before(2)),
            Touchpoint(days_before(2)),
            Touchpoint(days_before(1), CUTOFF + timedelta(hours=1)),  # opened after the cut-off
            Touchpoint(days_before(30)),
        ),  # fmt: skip
        coach_contacts=(days_before(12), CUTOFF + timedelta(days=1)),
        titles={"1:quiz": "Handling objections"},
    )
    f = features_at(h, CUTOFF)
    assert f["failed_checks_28"] == 2
    assert f["help_unresolved"] == 1
    assert f["help_not_helped_28"] == 1
    assert f["mood_28"] == 2.5 and f["effort_28"] == 4.5
    assert f["sessions_missed_28"] == 1 and f["sessions_attended_28"] == 1
    assert f["touchpoints_unopened_28"] == 2
    assert f["days_since_coach_contact"] == 12
    assert f["days_since_activity"] == 1  # the last failed check


def test_a_learner_who_never_did_anything_has_the_capped_days_and_neutral_mood():
    f = features_at(history(), CUTOFF)
    assert set(f) == set(FEATURES)
    assert f["days_since_activity"] == CAP_DAYS and f["days_since_coach_contact"] == CAP_DAYS
    assert f["mood_28"] == 3 and f["effort_28"] == 3
    assert not eligible(history(), CUTOFF)


def test_pace_against_the_plan():
    plan = Plan(start=date(2026, 11, 1), target=date(2026, 12, 1), steps=30)
    assert steps_behind(plan, finished=5, day=date(2026, 11, 16)) == 10  # 15 expected by the middle
    assert steps_behind(plan, finished=30, day=date(2027, 1, 1)) == 0  # past the target: all expected
    assert steps_behind(Plan(date(2026, 11, 1), None, 30), 0, date(2026, 11, 16)) == 0
    h = history(Event("completed", "item", "1:a", days_before(1)), Event("completed", "item", "1:a", days_before(1)),
                Event("passed", "item", "1:b", days_before(1)), plan=plan)  # fmt: skip
    assert features_at(h, CUTOFF)["steps_behind"] == 15 - 2  # the same item twice counts once


def test_the_label_is_no_learning_in_the_14_days_from_the_cut_off():
    quiet = history(
        Event("completed", "item", "1:a", days_before(1)),
        Event("responded", "item", "1:a", CUTOFF + timedelta(days=2), mood=4),
    )  # a pulse is not learning
    assert label(quiet, CUTOFF, NOW) is True
    back = history(Event("launched", "item", "1:a", CUTOFF + timedelta(days=13, hours=23)))
    assert label(back, CUTOFF, NOW) is False
    later = history(Event("launched", "item", "1:a", CUTOFF + timedelta(days=14)))
    assert label(later, CUTOFF, NOW) is True  # the 14 days end before this
    assert label(quiet, CUTOFF, CUTOFF + timedelta(days=13)) is None  # not over yet


def test_eligible_only_after_the_start_and_when_active_in_the_last_eight_weeks():
    recent = Event("completed", "item", "1:a", days_before(50))
    assert eligible(history(recent), CUTOFF)
    assert not eligible(history(Event("completed", "item", "1:a", days_before(60))), CUTOFF)
    assert not eligible(history(recent, plan=Plan(date(2026, 11, 20), None, 3)), CUTOFF)


def test_the_rules_alone_flag_a_week_of_quiet_and_suggest_a_session_after_a_missed_one():
    h = history(Event("missed", "item", "1:live", days_before(8)), Event("completed", "item", "1:a", days_before(8)))
    reasons = by_rules(features_at(h, CUTOFF), h, CUTOFF)
    assert [r.code for r in reasons] == ["quiet", "missed_sessions"]
    assert suggested_action(reasons) == "offer_session"
    active = history(Event("completed", "item", "1:a", days_before(1)))
    assert by_rules(features_at(active, CUTOFF), active, CUTOFF) == []


def test_two_failed_checks_name_the_item():
    h = history(Event("failed", "item", "1:quiz", days_before(9)), Event("failed", "item", "1:quiz", days_before(8)),
                titles={"1:quiz": "Handling objections"})  # fmt: skip
    reasons = by_rules(features_at(h, CUTOFF), h, CUTOFF)
    failed = next(r for r in reasons if r.code == "failed_checks")
    assert failed.get("count") == 2 and failed.get("item") == "Handling objections"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["completed", "failed", "missed", "responded", "asked", "launched"]),
                          st.floats(min_value=-40, max_value=40)), max_size=30))  # fmt: skip
def test_features_never_change_with_what_happens_after_the_cut_off(steps):
    events = tuple(Event(verb, "item", "1:x", CUTOFF + timedelta(days=d), mood=3) for verb, d in steps)
    before = tuple(e for e in events if e.at < CUTOFF)
    assert features_at(history(*events), CUTOFF) == features_at(history(*before), CUTOFF)


def test_model_reasons_are_the_features_that_push_the_estimate_up_most_in_words_a_coach_can_use():
    from lxp.risk.reasons import from_contributions

    h = history(Event("failed", "item", "1:quiz", days_before(9)), Event("failed", "item", "1:quiz", days_before(8)),
                Event("missed", "item", "1:live", days_before(8)), titles={"1:quiz": "Handling objections"})  # fmt: skip
    f = features_at(h, CUTOFF)
    pushes = {"days_since_activity": 1.2, "failed_checks_28": 0.8, "sessions_missed_28": 0.3, "mood_28": 0.9,
              "days_since_coach_contact": 2.0, "active_days_14": -0.5}  # fmt: skip
    reasons = from_contributions(pushes, f, h, CUTOFF)
    # Mood pushes more than missed sessions, but with no pulse (neutral 3) it is not said; a
    # coach contact has no reason to say; a negative push is never a reason.
    assert [r.code for r in reasons] == ["quiet", "failed_checks", "missed_sessions"]
    assert suggested_action(reasons) == "message"
