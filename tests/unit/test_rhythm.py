"""The weekly rhythm, on hand-made weeks."""

from datetime import date

from lxp.paths.rhythm import weeks

MONDAY = date(2026, 11, 2)


def test_a_week_counts_when_the_learner_gave_their_own_planned_time():
    work = [(date(2026, 11, 3), 30), (date(2026, 11, 8), 35),  # week 1: 65 >= 60
            (date(2026, 11, 10), 20),  # week 2: 20
            (date(2026, 11, 23), 60)]  # week 4 (this week): 60  # fmt: skip
    result = weeks(work, start=MONDAY, weekly_minutes=60, today=date(2026, 11, 25))
    assert [(w.starts.isoformat(), w.minutes, w.met) for w in result] == [
        ("2026-11-02", 65, True), ("2026-11-09", 20, False), ("2026-11-16", 0, False), ("2026-11-23", 60, True),
    ]  # fmt: skip


def test_only_the_last_weeks_are_shown_and_none_before_the_start():
    result = weeks([], start=date(2026, 9, 30), weekly_minutes=30, today=date(2026, 11, 25), last=3)
    assert [w.starts.isoformat() for w in result] == ["2026-11-09", "2026-11-16", "2026-11-23"]
    assert [w.starts for w in weeks([], start=date(2026, 11, 25), weekly_minutes=30, today=date(2026, 11, 25))] == [
        date(2026, 11, 23)
    ]
