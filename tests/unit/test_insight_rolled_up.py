"""The drop-off from a course's kept latest moments: with the learners the events past the mark
touched put in, it is what counting every learner's latest moment afresh gives; kept figures
brought forward are the figures of the new moments, and the kept ones stay as they were."""

import copy
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lxp.insights.rolled_up import LatestMoment, brought_forward, drop_off, rolled_up

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
CUTOFF = NOW - timedelta(days=14)

a_moment = st.builds(LatestMoment, at=st.integers(0, 30).map(lambda days: NOW - timedelta(days=days)),
                     place=st.integers(-1, 3), through=st.booleans())  # fmt: skip
moments = st.dictionaries(st.integers(1, 30), a_moment, max_size=30)


def _counted(latest: dict[int, LatestMoment]) -> tuple[Counter, int]:
    dropped = Counter(m.place for m in latest.values() if m.place >= 0 and not m.through and m.at < CUTOFF)
    return dropped, sum(1 for m in latest.values() if m.place >= 0)


@given(kept=moments, fresh=moments)
def test_the_drop_off_of_kept_moments_with_fresh_ones_is_a_recount(kept, fresh):
    dropped, learners = drop_off(rolled_up({}, {}, kept, 4), fresh, CUTOFF)
    expected, expected_learners = _counted({**kept, **fresh})
    assert +dropped == expected  # unary plus: without the places nobody stopped at
    assert learners == expected_learners


def test_a_learner_at_none_of_the_stations_is_not_counted():
    kept = {1: LatestMoment(NOW - timedelta(days=20), -1, False), 2: LatestMoment(NOW - timedelta(days=20), 0, False)}
    assert drop_off(rolled_up({}, {}, kept, 2), {}, CUTOFF) == (Counter({0: 1, 1: 0}), 1)


@given(kept=moments, fresh=moments)
def test_figures_brought_forward_are_those_of_the_new_moments_and_the_kept_ones_stay(kept, fresh):
    """Few distinct times (whole days), so a place often waits on the same time more than once."""
    before = rolled_up({"a": 1}, {"a": 2}, kept, 4)
    untouched = copy.deepcopy(before)
    after = brought_forward(before, {"a": 3}, {"a": 4}, fresh)
    assert after == rolled_up({"a": 3}, {"a": 4}, {**kept, **fresh}, 4)
    assert before == untouched
