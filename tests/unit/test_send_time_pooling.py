"""Sparse hours borrow: a learner with few events is not stuck on one hour. The pooled posterior
(``policy.pooled_concentrations``) and the send time it leads to, checked for any rhythm."""

from datetime import UTC, datetime, time, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lxp.nudges import policy
from lxp.nudges.policy import SLOTS, learner_time, pooled_concentrations

MONDAY_8 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
UTC_PREFS = policy.Preferences(timezone="UTC", quiet_start=None, quiet_end=None)
EMPTY = (0,) * SLOTS

rhythms = st.lists(st.integers(0, 30), min_size=SLOTS, max_size=SLOTS).map(tuple)
sparse_rhythms = st.dictionaries(st.integers(0, SLOTS - 1), st.integers(1, 4), min_size=1, max_size=6).map(
    lambda d: tuple(d.get(s, 0) for s in range(SLOTS))
)
slots = st.integers(0, SLOTS - 1)


def one_hour(slot: int, count: int) -> tuple[int, ...]:
    return tuple(count if s == slot else 0 for s in range(SLOTS))


@given(rhythms, rhythms)
def test_every_hour_keeps_a_positive_chance(activity, organisation):
    pooled = pooled_concentrations(activity, organisation)
    assert len(pooled) == SLOTS
    assert all(alpha >= policy.SLOT_PRIOR for alpha in pooled)
    # Own events are never diluted: an hour holds at least what it saw.
    assert all(alpha >= policy.SLOT_PRIOR + own for alpha, own in zip(pooled, activity, strict=True))


@given(rhythms, slots)
def test_one_more_event_in_an_hour_makes_that_hour_likelier(activity, slot):
    more = tuple(c + 1 if s == slot else c for s, c in enumerate(activity))
    assert pooled_concentrations(more)[slot] > pooled_concentrations(activity)[slot]


@given(slots, st.integers(1, 10))
def test_an_empty_hour_next_to_the_learners_hour_borrows_more_than_a_far_one(slot, count):
    pooled = pooled_concentrations(one_hour(slot, count))
    neighbour, far = pooled[(slot + 1) % SLOTS], pooled[(slot + 5) % SLOTS]
    assert neighbour > far == policy.SLOT_PRIOR


@given(slots, st.integers(0, 3), st.integers(20, 200))
def test_an_hour_with_many_events_of_its_own_borrows_less_than_a_sparse_one(slot, few, many):
    # Both hours have the same busy neighbour; what they borrow shrinks with their own evidence.
    neighbour = (slot + 1) % SLOTS
    base = [0] * SLOTS
    base[neighbour] = 10
    sparse, dense = list(base), list(base)
    sparse[slot], dense[slot] = few, many
    borrowed_sparse = pooled_concentrations(tuple(sparse))[slot] - policy.SLOT_PRIOR - few
    borrowed_dense = pooled_concentrations(tuple(dense))[slot] - policy.SLOT_PRIOR - many
    assert borrowed_dense < borrowed_sparse


@given(rhythms)
def test_with_no_events_of_their_own_a_learner_follows_the_organisations_rhythm(organisation):
    assume(sum(organisation) > 0)
    pooled = pooled_concentrations(EMPTY, organisation)
    for a in range(0, SLOTS, 7):
        for b in range(1, SLOTS, 11):
            if organisation[a] > organisation[b]:
                assert pooled[a] > pooled[b]
    assert abs(sum(pooled) - SLOTS * policy.SLOT_PRIOR - policy.ORGANISATION_WEIGHT) < 1e-9


@settings(max_examples=40, deadline=None)
@given(sparse_rhythms, rhythms, st.integers(0, 2**32))
def test_the_chosen_time_stays_in_the_window_and_every_run_decides_the_same(activity, organisation, seed):
    assume(sum(activity) >= policy.MIN_POOLED_ACTIVITY and sum(organisation) > 0)
    chosen = learner_time(MONDAY_8, MONDAY_8, UTC_PREFS, activity, seed, organisation)
    assert chosen is not None and MONDAY_8 <= chosen < MONDAY_8 + policy.ADAPTIVE_WINDOW
    assert learner_time(MONDAY_8, MONDAY_8, UTC_PREFS, activity, seed, organisation) == chosen


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 23), rhythms)
def test_a_learner_with_three_opens_in_one_hour_is_not_stuck_on_it(hour, organisation):
    assume(sum(organisation) > 0)
    activity = one_hour(hour, 3)  # Monday, this hour (UTC)
    chosen = {learner_time(MONDAY_8, MONDAY_8, UTC_PREFS, activity, seed, organisation) for seed in range(60)}
    assert len(chosen) > 1
    # ...yet the learner's own hour and the hours next to it are still the likeliest picks.
    near = [t for t in chosen if min((t.hour - hour) % 24, (hour - t.hour) % 24) <= 1]
    assert near


def test_three_events_are_enough_only_with_the_organisations_rhythm_to_lean_on():
    three = one_hour(9, 3)
    assert learner_time(MONDAY_8, MONDAY_8, UTC_PREFS, three, 1) is None
    organisation = one_hour(10, 40)
    assert learner_time(MONDAY_8, MONDAY_8, UTC_PREFS, three, 1, organisation) is not None


def test_a_busy_hour_of_the_organisation_does_not_outweigh_the_learners_own_habit():
    evenings = tuple(12 if s % 24 == 19 else 0 for s in range(SLOTS))
    organisation = tuple(500 if s % 24 == 9 else 0 for s in range(SLOTS))
    picks = [learner_time(MONDAY_8, MONDAY_8, UTC_PREFS, evenings, seed, organisation) for seed in range(40)]
    assert sum(t.hour == 19 for t in picks) >= 30
    assert all(t < MONDAY_8 + timedelta(hours=24) for t in picks)


def test_without_history_of_their_own_the_organisations_busiest_hour_in_the_window_stands_in():
    organisation = tuple((9 if s == 20 else 4 if s == 12 else 0) for s in range(SLOTS))  # Monday 20:00, 12:00
    assert policy.organisation_time(MONDAY_8, MONDAY_8, UTC_PREFS, organisation) == MONDAY_8.replace(hour=20)
    evenings_quiet = policy.Preferences(timezone="UTC", quiet_start=time(19, 0), quiet_end=time(7, 0))
    assert policy.organisation_time(MONDAY_8, MONDAY_8, evenings_quiet, organisation) == MONDAY_8.replace(hour=12)
    berlin = policy.Preferences(timezone="Europe/Berlin", quiet_start=None, quiet_end=None)  # 20:00 there is 19:00 UTC
    assert policy.organisation_time(MONDAY_8, MONDAY_8, berlin, organisation) == MONDAY_8.replace(hour=19)
    assert policy.organisation_time(MONDAY_8, MONDAY_8, UTC_PREFS, one_hour(20, policy.MIN_ACTIVITY - 1)) is None
    # Past its hour already (a late delivery run): now.
    late = MONDAY_8 + timedelta(hours=13)
    assert policy.organisation_time(MONDAY_8, late, UTC_PREFS, organisation) == late


def test_decide_leans_on_the_organisation_only_when_told_its_rhythm_is_the_stored_one():
    organisation = one_hour(20, 30)
    candidate = policy.Candidate("inactive", "nudge", False, True, (), adaptive=True, due_since=MONDAY_8, seed=3)
    told = policy.Situation(now=MONDAY_8, inbox="in_app", activity=EMPTY, organisation_activity=organisation,
                            organisation_fallback=True)  # fmt: skip
    assert policy.decide(candidate, UTC_PREFS, told) == policy.Decision(
        "hold", until=MONDAY_8.replace(hour=20), reason="learner_time")  # fmt: skip
    untold = policy.Situation(now=MONDAY_8, inbox="in_app", activity=EMPTY, organisation_activity=organisation)
    assert policy.decide(candidate, UTC_PREFS, untold).action == "send"


def test_the_busiest_hours_busiest_first_and_never_an_empty_one():
    rhythm = tuple({5: 3, 40: 9, 100: 3, 7: 1}.get(s, 0) for s in range(SLOTS))
    assert policy.busiest_hours(rhythm) == [40, 5, 100]
    assert policy.busiest_hours(one_hour(9, 2), top=3) == [9]
    assert policy.busiest_hours(EMPTY) == []
