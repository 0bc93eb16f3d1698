"""The analytics maths on small hand-made event sets; each right answer is worked out here."""

import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from statistics import median

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lxp.insights import maths
from lxp.insights.maths import Event, HelpAsked, LastSeen, Station

ORDER = ["1:a", "1:b", "1:c", "1:d"]

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=30)
RECENT = NOW - timedelta(days=2)

STATIONS = [
    Station("1:a", "Lesson A", "Module 1", "lesson", "self_paced", 10),
    Station("1:b", "Quiz B", "Module 1", "quiz", "self_paced", 5, is_check=True),
    Station("1:c", "Live C", "Module 2", "live_session", "live", 60),
    Station("1:d", "Task D", "Module 2", "workplace_task", "on_the_job", 30, is_check=True),
]


def finished(learner, ref, at, seconds=None, verb="completed"):
    return Event(learner, verb, ref, at, seconds=seconds)


def pulse(learner, ref, at, mood, effort=None):
    return Event(learner, "responded", ref, at, mood=mood, effort=effort, pulse=True)


# --- medians and spread --------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [[5], [1, 2], [3, 1, 2], [10, 20, 30, 40], [7, 7, 7, 1, 100], [2, 9, 4, 4, 4, 8]],
)
def test_the_median_of_a_histogram_is_the_median_of_its_values(values):
    histogram = {}
    for v in values:
        histogram[v] = histogram.get(v, 0) + 1
    assert maths.quantile(histogram.items(), 0.5) == median(values)


def test_quartiles_interpolate_between_neighbours():
    # 1 2 3 4 5: position of q1 is 0.25 * 4 = 1 -> 2; of q3 is 3 -> 4
    assert maths.quantile([(v, 1) for v in (1, 2, 3, 4, 5)], 0.25) == 2
    assert maths.quantile([(v, 1) for v in (1, 2, 3, 4, 5)], 0.75) == 4
    # 10 20 30 40: q1 position 0.75 -> 10 + 0.75 * 10 = 17.5
    assert maths.quantile([(10, 1), (20, 1), (30, 1), (40, 1)], 0.25) == 17.5
    assert maths.quantile([], 0.5) is None


def test_durations_are_read_as_lxp_records_them():
    assert maths.parse_duration("PT90S") == 90
    assert maths.parse_duration("PT1H2M3S") == 3723
    assert maths.parse_duration("PT1.5M") == 90
    assert maths.parse_duration("P1D") is None
    assert maths.parse_duration("PT12") is None
    assert maths.parse_duration(None) is None


# --- the minimum-group rule ----------------------------------------------------------------


def test_numbers_about_fewer_than_five_learners_are_not_shown():
    four = [finished(n, "1:a", RECENT, 600) for n in range(4)]
    counts, learners = maths.tally(four, ORDER, NOW)
    journey = maths.journey_map(STATIONS, counts, [], 4)
    a = journey.stations[0]
    assert not journey.shown
    assert (a.reached, a.finished, a.median_minutes, a.dropped) == (None, None, None, None)
    assert journey.friction == []

    five = [*four, finished(4, "1:a", RECENT, 600)]
    counts, learners = maths.tally(five, ORDER, NOW)
    a = maths.journey_map(STATIONS, counts, [], 5).stations[0]
    assert (a.reached, a.finished, a.median_minutes) == (5, 5, 10.0)


def test_mood_needs_five_learners_who_gave_a_pulse_not_five_pulses():
    events = [finished(n, "1:a", RECENT, 600) for n in range(6)]
    events += [pulse(n % 4, "1:a", RECENT, 2) for n in range(8)]  # 8 pulses from 4 learners
    counts, learners = maths.tally(events, ORDER, NOW)
    a = maths.journey_map(STATIONS, counts, [], 6).stations[0]
    assert a.reached == 6
    assert a.mood_average is None and a.moods is None
    counts, learners = maths.tally([*events, pulse(5, "1:a", RECENT, 5)], ORDER, NOW)
    a = maths.journey_map(STATIONS, counts, [], 6).stations[0]
    # moods: eight 2s and one 5 -> (16 + 5) / 9
    assert a.moods == (0, 8, 0, 0, 1)
    assert a.mood_average == pytest.approx(21 / 9)


# --- drop-off --------------------------------------------------------------------------------


def test_drop_off_counts_learners_whose_last_step_is_long_ago_and_who_did_not_go_through():
    events = []
    # learners 1-3 finished A and stopped a month ago: stopped for good at A
    for n in (1, 2, 3):
        events.append(finished(n, "1:a", LONG_AGO))
    # learner 4 finished A a month ago, reached B two days ago: still on the way
    events += [finished(4, "1:a", LONG_AGO), Event(4, "launched", "1:b", RECENT)]
    # learner 5 failed B a month ago and never came back: stopped at B
    events += [finished(5, "1:a", LONG_AGO - timedelta(days=1)), Event(5, "failed", "1:b", LONG_AGO)]
    # learner 6 went through (finished the last station D) a month ago: not a drop
    events += [finished(6, "1:a", LONG_AGO - timedelta(days=3)), finished(6, "1:d", LONG_AGO, verb="passed")]
    # a progress ping counts for nothing: learner 7 only "progressed" on A
    events.append(Event(7, "progressed", "1:a", LONG_AGO))
    counts, learners = maths.tally(events, ORDER, NOW)
    assert learners == 6
    journey = maths.journey_map(STATIONS, counts, [], learners)
    a, b, _, d = journey.stations
    assert a.reached == 6 and a.dropped == 3 and a.drop_rate == pytest.approx(3 / 6)
    assert (counts["1:a"].dropped, counts["1:b"].dropped, counts["1:d"].dropped) == (3, 1, 0)
    assert d.dropped is None  # only one learner reached D: not shown
    assert [f.kind for f in journey.friction][:1] == ["drop"]
    assert journey.friction[0].facts is a


def test_a_tie_on_the_last_moment_counts_the_station_further_along():
    seen = [LastSeen(1, "1:a", LONG_AGO), LastSeen(1, "1:c", LONG_AGO), LastSeen(1, "1:b", LONG_AGO)]
    assert maths.stopped_for_good(seen, [s.ref for s in STATIONS], NOW) == {"1:c": 1}


def test_nobody_has_stopped_for_good_before_the_waiting_time_is_over():
    seen = [LastSeen(1, "1:a", NOW - timedelta(days=13, hours=23))]
    assert maths.stopped_for_good(seen, ["1:a"], NOW) == {}
    assert maths.stopped_for_good(seen, ["1:a"], NOW + timedelta(hours=2)) == {"1:a": 1}


# --- a whole small map -----------------------------------------------------------------------


def test_the_journey_map_of_six_learners_worked_out_by_hand():
    events = []
    for n in range(6):
        events.append(finished(n, "1:a", RECENT, seconds=[300, 600, 600, 900, 1200, 1800][n]))
    # B: five take the quiz, two fail once then pass, one only fails
    for n in range(5):
        if n in (0, 1):
            events.append(Event(n, "failed", "1:b", RECENT, seconds=400))
        if n != 4:
            events.append(Event(n, "passed", "1:b", RECENT, seconds=[200, 300, 360, 420][n]))
        else:
            events.append(Event(n, "failed", "1:b", RECENT, seconds=500))
        events.append(pulse(n, "1:b", RECENT, mood=[1, 2, 2, 3, 1][n], effort=4))
    counts, learners = maths.tally(events, ORDER, NOW)
    asked = [HelpAsked("1:b", RECENT, RECENT + timedelta(hours=2)), HelpAsked("1:b", RECENT, RECENT + timedelta(hours=6)),
             HelpAsked("1:b", RECENT)]  # fmt: skip
    journey = maths.journey_map(STATIONS, counts, asked, 6)
    a, b, c, d = journey.stations
    # A: times 5, 10, 10, 15, 20, 30 min -> median (10 + 15) / 2 = 12.5 against 10 estimated
    assert a.median_minutes == 12.5 and a.overrun == 1.25
    # quartiles: positions 1.25 and 3.75 of 5 10 10 15 20 30 -> 10 and 15 + 0.75 * 5 = 18.75
    assert a.spread == (10.0, 18.75)
    # B: reached 5, finished (passed) 4; checked 5, failed at least once 3 -> first try 2 of 5
    assert (b.reached, b.finished, b.first_try_rate) == (5, 4, 0.4)
    # only four finished B: their times (200 300 360 420 s) describe fewer than five learners
    assert b.median_minutes is None and b.overrun is None
    assert maths.quantile(b.counts.durations, 0.5) == 330
    assert b.moods == (2, 2, 1, 0, 0) and b.mood_average == 9 / 5 and b.effort_average == 4
    assert (b.help_requests, b.open_help_requests, b.hours_to_resolve) == (3, 1, 4.0)
    assert c.reached is None and c.median_minutes is None
    kinds = {f.kind: f.facts.station.ref for f in journey.friction}
    assert kinds == {"mood": "1:b", "overrun": "1:a", "help": "1:b"}  # nobody has stopped yet
    assert [m for m, _ in journey.modules] == ["Module 1", "Module 2"]


def test_modalities_compare_completion_and_success_in_the_next_check():
    events = []
    for n in range(10):
        events.append(finished(n, "1:a", RECENT, 600))
        events.append(pulse(n, "1:a", RECENT, 4, effort=2))
        if n < 6:  # six go on to the check; two fail it first
            if n < 2:
                events.append(Event(n, "failed", "1:b", RECENT))
            events.append(Event(n, "passed", "1:b", RECENT, seconds=300))
        if n < 5:  # five attend the live session, which is followed by task D
            events.append(finished(n, "1:c", RECENT, verb="attended"))
            events.append(Event(n, "passed", "1:d", RECENT, seconds=1800))
    counts, learners = maths.tally(events, ORDER, NOW)
    journey = maths.journey_map(STATIONS, counts, [], 10)
    by = {m.modality: m for m in maths.compare_modalities(journey, ("self_paced", "live", "coaching", "on_the_job"))}
    # self-paced: A (10 reached, 10 finished) + B (6 reached, 6 finished) -> 16 / 16
    assert by["self_paced"].completion == 1.0
    # the checks after self-paced stations: B after A, D after B -> (6 - 2) + 5 passed first time of 6 + 5
    assert by["self_paced"].success_after == pytest.approx(9 / 11)
    # live: five reached, five attended; the next check is D: 5 of 5 first time
    assert (by["live"].completion, by["live"].success_after) == (1.0, 1.0)
    assert by["self_paced"].mood_average == 4 and by["self_paced"].effort_average == 2
    assert by["coaching"].completion is None and by["coaching"].stations == 0


# --- Net Promoter Score ----------------------------------------------------------------------


def test_nps_is_promoters_minus_detractors_and_needs_ten_answers():
    nine = [10, 9, 9, 8, 7, 6, 3, 0, 10]
    result = maths.nps(nine)
    assert (result.promoters, result.passives, result.detractors) == (4, 2, 3)
    assert result.score is None  # nine answers: below the minimum sample
    assert maths.nps([10, 0, 0, 8]).breakdown is None  # four people: not even the split is shown
    ten = maths.nps([*nine, 9])
    # 5 promoters, 3 detractors of 10 -> 50 % - 30 % = 20
    assert ten.score == 20
    assert maths.nps([10] * 10).score == 100 and maths.nps([6] * 12).score == -100


def test_nps_by_month_keeps_the_months_apart():
    answers = [(date(2026, 5, 31), 10)] * 10 + [(date(2026, 6, 1), 0)] * 3
    (may, may_nps), (june, june_nps) = maths.nps_by_month(answers)
    assert (may, may_nps.score) == (date(2026, 5, 1), 100)
    assert (june, june_nps.answers, june_nps.score) == (date(2026, 6, 1), 3, None)


def test_mood_by_month_needs_five_learners():
    pulses = [(date(2026, 6, d), learner, 4) for d, learner in ((1, 1), (2, 2), (3, 3), (4, 4), (5, 4))]
    (june,) = maths.pulses_by_month(pulses)
    assert (june.learners, june.pulses, june.mood_average) == (4, 5, None)
    (june,) = maths.pulses_by_month([*pulses, (date(2026, 6, 6), 5, 1)])
    assert june.mood_average == pytest.approx(21 / 6)


# --- pace --------------------------------------------------------------------------------------


def test_pace_against_the_target_date():
    start, target = date(2026, 6, 1), date(2026, 6, 21)  # 20 days
    today = date(2026, 6, 11)  # halfway in time: 50 % expected, 10 % slack
    assert maths.pace(start, target, today, 4, 10) == "on_track"  # 40 % >= 40 %
    assert maths.pace(start, target, today, 3, 10) == "behind"
    assert maths.pace(start, target, target, 9, 10) == "behind"  # the day has come, steps left
    assert maths.pace(start, target, target, 10, 10) == "finished"
    assert maths.pace(start, None, today, 0, 10) == "no_target"


@given(
    pairs=st.lists(st.tuples(st.integers(0, 50), st.integers(0, 4)), max_size=12),
    split=st.integers(0, 12),
    qs=st.lists(st.floats(0, 1), min_size=1, max_size=5),
)
def test_a_histogram_sorted_once_gives_every_quantile_of_its_values_and_merges(pairs, split, qs):
    """Each quantile of the histogram is the interpolated quantile of the values it stands for,
    and two halves merged (as days' rollups are) give the histogram of the whole."""
    values = sorted(v for v, n in pairs for _ in range(n))
    histogram = maths.Histogram(pairs)
    halves = Counter(), Counter()
    for n, (value, count) in enumerate(pairs):
        halves[n >= split][value] += count
    merged = maths.Histogram((halves[0] + halves[1]).items())
    for q in qs:
        if not values:
            assert histogram.quantile(q) is None
            continue
        position = q * (len(values) - 1)
        low, high = values[math.floor(position)], values[math.ceil(position)]
        assert histogram.quantile(q) == pytest.approx(low + (high - low) * (position - math.floor(position)))
        assert merged.quantile(q) == histogram.quantile(q) == maths.quantile(pairs, q)
