"""One date and time format per locale: medium date, short time, never seconds."""

from datetime import UTC, date, datetime

import pytest

from lxp.core.dates import format_day, format_moment, format_span

TEN = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
HALF_PAST_ELEVEN = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
NEXT_DAY = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "moment", "span", "two_days"),
    [
        ("en", "Dec 3, 2026, 10:00\u202fAM", "Dec 3, 2026, 10:00\u202fAM \u2013 11:30\u202fAM",
         "Dec 3, 2026, 10:00\u202fAM \u2013 Dec 4, 2026, 11:30\u202fAM"),
        ("de", "03.12.2026, 10:00", "03.12.2026, 10:00 \u2013 11:30", "03.12.2026, 10:00 \u2013 04.12.2026, 11:30"),
        ("ru", "3 дек. 2026\u202fг., 10:00", "3 дек. 2026\u202fг., 10:00 \u2013 11:30",
         "3 дек. 2026\u202fг., 10:00 \u2013 4 дек. 2026\u202fг., 11:30"),
    ],
)  # fmt: skip
def test_each_locale_has_one_format_without_seconds(locale, moment, span, two_days):
    assert format_moment(TEN, locale, "Europe/Berlin") == moment
    assert format_span(TEN, HALF_PAST_ELEVEN, locale, "Europe/Berlin") == span
    assert format_span(TEN, NEXT_DAY, locale, "Europe/Berlin") == two_days


def test_the_day_is_the_day_in_the_viewers_zone():
    late = datetime(2026, 12, 6, 23, 50, tzinfo=UTC)  # Sunday night in UTC, already Monday in Berlin
    assert format_day(late, "en", "UTC") == "Dec 6, 2026"
    assert format_day(late, "en", "Europe/Berlin") == "Dec 7, 2026"
    assert format_day(date(2026, 12, 6), "de") == "06.12.2026"


def test_a_span_the_clocks_change_in_names_both_offsets():
    # 02:30 summer time, then 02:30 again an hour later in winter time (Berlin, 25 October 2026)
    first, second = datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert format_span(first, second, "de", "Europe/Berlin") == "25.10.2026, 02:30 MESZ \u2013 02:30 MEZ"


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="naive"):
        format_moment(datetime(2026, 12, 3, 9, 0), "en", "UTC")
