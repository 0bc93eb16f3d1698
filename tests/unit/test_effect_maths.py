"""The arithmetic of the touchpoints' measured effect, on hand-made counts with the answers
worked out here."""

import pytest

from lxp.nudges.effect_maths import (
    Counts,
    channel_rows,
    difference_interval,
    holdout_rows,
    rate,
    wilson_interval,
)


def test_rates_divide_and_say_nothing_about_nothing():
    assert rate(3, 12) == 0.25
    assert rate(0, 0) is None


def test_wilson_interval_matches_the_published_examples():
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", table I.
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    low, high = wilson_interval(0, 10)  # no success is still an interval, not a point
    assert (low, round(high, 4)) == (0.0, 0.2775)
    with pytest.raises(ValueError):
        wilson_interval(1, 0)


def test_difference_interval_matches_newcombes_method_10():
    # Newcombe (1998), "Interval estimation for the difference between independent
    # proportions", table II: 56/70 - 48/80 = 0.2000, method 10 gives 0.0524 to 0.3339;
    # 9/10 - 3/10 = 0.6000, 0.1705 to 0.8090.
    difference, low, high = difference_interval(56, 70, 48, 80)
    assert (round(difference, 4), round(low, 4), round(high, 4)) == (0.2, 0.0524, 0.3339)
    difference, low, high = difference_interval(9, 10, 3, 10)
    assert (round(difference, 4), round(low, 4), round(high, 4)) == (0.6, 0.1705, 0.809)


def test_channel_rows_give_rates_of_what_was_sent_and_hide_small_groups():
    rows = channel_rows([
        Counts("inactive", "email", messages=20, learners=10, opened=5, opted_out=1, measured=16, came_back=4),
        Counts("inactive", "in_app", messages=4, learners=4, opened=4, measured=4, came_back=4),
        Counts("first_step", "in_app", messages=5, learners=5),
    ])  # fmt: skip
    assert [(r.rule, r.channel, r.shown) for r in rows] == [
        ("first_step", "in_app", True), ("inactive", "email", True), ("inactive", "in_app", False)]  # fmt: skip
    email = rows[1]
    # 5 of 20 opened; 4 of the 16 whose 48 hours are over came back; 1 of 20 opted out.
    assert (email.open_rate, email.came_back_rate, email.opt_out_rate) == (0.25, 0.25, 0.05)
    assert rows[2].sent is None and rows[2].open_rate is None  # four learners: not shown at all
    assert rows[0].came_back_rate is None  # nothing is 48 hours old yet: no rate rather than 0 %


def test_holdout_rows_compare_came_back_rates_only_when_both_groups_are_big_enough():
    sent = [Counts("inactive", None, messages=70, learners=70, measured=70, came_back=56),
            Counts("step_due", None, messages=30, learners=30, measured=30, came_back=15),
            Counts("welcome", None, messages=9, learners=9, measured=9, came_back=3)]  # fmt: skip
    held = [Counts("inactive", None, messages=80, learners=80, measured=80, came_back=48),
            Counts("step_due", None, messages=4, learners=4, measured=4, came_back=1)]  # fmt: skip
    inactive, step_due, welcome = holdout_rows(sent, held)
    # 56/70 = 80 % against 48/80 = 60 %: the message adds 20 points, 5.2 to 33.4 (see above).
    assert (inactive.sent.rate, inactive.held_out.rate) == (0.8, 0.6)
    assert (round(inactive.difference, 3), round(inactive.low, 3), round(inactive.high, 3)) == (0.2, 0.052, 0.334)
    assert step_due.has_holdout and not step_due.held_out.shown and step_due.difference is None
    assert step_due.held_out.learners is None  # four learners held out: their numbers are not shown
    assert step_due.sent.rate == 0.5
    assert not welcome.has_holdout and welcome.difference is None
