"""The weekly rhythm, on hand-made weeks and on any weeks at all."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lxp.paths.rhythm import earliest_shown, weeks

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


DAYS = st.integers(-120, 120).map(lambda n: MONDAY + timedelta(days=n))


@given(st.lists(st.tuples(DAYS, st.integers(0, 600)), max_size=20), DAYS, st.integers(-5, 1200), DAYS,
       st.integers(-1, 10))  # fmt: skip
def test_any_rhythm_is_whole_weeks_from_the_start_to_this_week(work, start, weekly_minutes, today, last):
    result = weeks(work, start=start, weekly_minutes=weekly_minutes, today=today, last=last)
    this_monday = today - timedelta(days=today.weekday())
    assert len(result) <= max(last, 0)
    assert all(w.starts.weekday() == 0 and start - timedelta(days=6) <= w.starts <= this_monday for w in result)
    assert [w.starts for w in result] == [this_monday - timedelta(weeks=n) for n in reversed(range(len(result)))]
    if start <= today and last > 0:
        assert result  # a journey that has begun shows at least this week
    for week in result:
        assert week.minutes == sum(m for day, m in work if week.starts <= day < week.starts + timedelta(days=7))
        assert week.met == (week.minutes >= weekly_minutes)


@given(st.lists(st.tuples(DAYS, st.integers(0, 600)), max_size=20), DAYS, st.integers(0, 1200), DAYS,
       st.integers(1, 10))  # fmt: skip
def test_work_before_the_earliest_week_shown_changes_nothing(work, start, weekly_minutes, today, last):
    """Today reads only the work since ``earliest_shown``: what it leaves out must not count."""
    recent = [(day, minutes) for day, minutes in work if day >= earliest_shown(today, last)]
    assert weeks(recent, start, weekly_minutes, today, last) == weeks(work, start, weekly_minutes, today, last)
