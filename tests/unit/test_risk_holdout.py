"""The flag holdout: drawn from the organisation's seed so an analyst can re-derive it, and a
comparison that says only what its numbers allow."""

import hashlib
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from lxp.risk.holdout import Side, compare, draw, held_out

DAY = date(2026, 11, 30)


def test_an_analyst_re_derives_the_draw_from_the_seed_the_learner_and_the_day():
    expected = int.from_bytes(hashlib.sha256(b"5eed:42:2026-11-30").digest()[:8], "big") / 2**64
    assert draw("5eed", 42, DAY) == expected


@given(st.text(min_size=1, max_size=16), st.integers(1, 10**9), st.floats(0.01, 0.3))
def test_the_same_seed_learner_and_day_always_decide_the_same(seed, learner, share):
    assert held_out(seed, learner, DAY, share) == held_out(seed, learner, DAY, share)
    assert 0 <= draw(seed, learner, DAY) < 1


def test_about_the_chosen_share_is_held_out_and_another_seed_holds_out_others():
    first = {n for n in range(4000) if held_out("a1", n, DAY, 0.2)}
    other = {n for n in range(4000) if held_out("b2", n, DAY, 0.2)}
    assert 700 < len(first) < 900
    assert first != other


def test_no_seed_or_no_share_holds_nobody_out():
    assert not any(held_out(None, n, DAY, 0.3) for n in range(200))
    assert not any(held_out("a1", n, DAY, 0.0) for n in range(200))


def test_the_comparison_only_says_what_its_numbers_allow():
    assert compare(Side(12, 10, 6), Side(0, 0, 0)).verdict == "no_holdout"
    assert compare(Side(12, 10, 6), Side(4, 4, 1)).verdict == "too_few"  # fewer than 5 learners held out
    small = compare(Side(12, 10, 9), Side(6, 6, 1))
    assert small.verdict == "small" and small.difference > 0  # a big gap, but on a handful of flags
    assert compare(Side(200, 180, 100), Side(60, 55, 28)).verdict == "unclear"
    helped = compare(Side(200, 180, 140), Side(60, 55, 18))
    assert helped.verdict == "helped_more" and 0 < helped.low < helped.difference < helped.high
    assert compare(Side(200, 180, 40), Side(60, 55, 40)).verdict == "held_out_more"
