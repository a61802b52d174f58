"""Reporting periods: presets, the TT 124/2021 assessment year, parsing, codes, bitmaps."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bot.domain.periods import (
    DAY_OFFSET_MAX,
    MAX_DAYS,
    Period,
    PeriodError,
    PeriodKind,
    PeriodOutOfRange,
    assessment_year,
    breakdown,
    from_code,
    local_day,
    local_midnight,
    months,
    pack_days,
    parse_date,
    parse_period,
    preset,
    previous_assessment_year,
    this_month,
    this_quarter,
    unpack_days,
    weeks,
    whole_months,
)

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (date(2026, 11, 15), date(2025, 11, 16), date(2026, 11, 15)),
        (date(2026, 11, 16), date(2026, 11, 16), date(2027, 11, 15)),
        (date(2026, 1, 1), date(2025, 11, 16), date(2026, 11, 15)),
        (date(2024, 2, 29), date(2023, 11, 16), date(2024, 11, 15)),
    ],
)
def test_assessment_year_runs_16_11_to_15_11(today: date, start: date, end: date) -> None:
    period = assessment_year(today)
    assert (period.start, period.end, period.kind) == (start, end, PeriodKind.YEAR)
    before = previous_assessment_year(today)
    assert before.end == date(start.year, 11, 15) and before.start == date(start.year - 1, 11, 16)


def test_month_and_quarter() -> None:
    assert this_month(date(2026, 2, 14)) == Period(
        date(2026, 2, 1), date(2026, 2, 28), PeriodKind.MONTH
    )
    assert this_month(date(2026, 12, 31)).end == date(2026, 12, 31)
    quarter = this_quarter(date(2026, 11, 25))
    assert (quarter.start, quarter.end) == (date(2026, 10, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("tháng", PeriodKind.MONTH),
        ("QUY", PeriodKind.QUARTER),
        ("năm", PeriodKind.YEAR),
        ("năm trước", PeriodKind.PREVIOUS_YEAR),
        ("lastyear", PeriodKind.PREVIOUS_YEAR),
    ],
)
def test_preset_words(text: str, kind: PeriodKind) -> None:
    assert parse_period(text, date(2026, 5, 5)).kind is kind


def test_custom_ranges_and_errors() -> None:
    period = parse_period("1/3/2026 - 31/03/2026", date(2026, 5, 5))
    assert (period.start, period.end, period.days) == (date(2026, 3, 1), date(2026, 3, 31), 31)
    assert parse_date("2026-03-01") == date(2026, 3, 1)
    for bad in (
        "31/02/2026-01/03/2026",
        "05/03/2026-01/03/2026",
        "hôm qua",
        "01/01/2020-01/01/2026",
    ):
        with pytest.raises(PeriodError):
            parse_period(bad, date(2026, 5, 5))


def test_codes_round_trip() -> None:
    for period in (this_month(date(2026, 5, 5)), Period(date(2026, 1, 2), date(2026, 1, 9))):
        assert from_code(period.code()) == period
    with pytest.raises(PeriodError):
        from_code("x1-2")


def test_bounds_are_local_midnights() -> None:
    start, end = Period(date(2026, 3, 1), date(2026, 3, 1)).bounds(ZONE)
    assert start == datetime(2026, 2, 28, 17, tzinfo=UTC)
    assert end == datetime(2026, 3, 1, 17, tzinfo=UTC)


def test_weeks_and_months_cover_the_period_exactly() -> None:
    period = Period(date(2026, 3, 4), date(2026, 5, 20))
    for buckets in (weeks(period), months(period)):
        assert buckets[0].start == period.start and buckets[-1].end == period.end
        for left, right in pairwise(buckets):
            assert (right.start - left.end).days == 1
    assert all(b.start.weekday() == 0 for b in weeks(period)[1:])
    assert len(months(period)) == 3


def test_clipped_to_today() -> None:
    year = assessment_year(date(2026, 11, 25))
    assert year.clipped(date(2026, 11, 25)).end == date(2026, 11, 25)
    assert this_month(date(2026, 1, 5)).clipped(date(2026, 3, 1)).end == date(2026, 1, 31)


def test_packed_days_and_whole_months() -> None:
    first = date(2026, 1, 1).toordinal()
    packed = pack_days([first + 40, first, first + 3, first + 3], first)
    assert unpack_days(packed, first) == [first, first + 3, first + 40]
    with pytest.raises(ValueError):
        pack_days([first - 1], first)
    year = assessment_year(date(2026, 5, 5))
    whole, edges = whole_months(year.first_day, year.last_day)
    assert whole == (date(2025, 12, 1).toordinal(), date(2026, 10, 1).toordinal())
    assert edges == [
        (date(2025, 11, 16).toordinal(), date(2025, 11, 30).toordinal()),
        (date(2026, 11, 1).toordinal(), date(2026, 11, 15).toordinal()),
    ]
    march = this_month(date(2026, 3, 9))
    assert whole_months(march.first_day, march.last_day) == (
        (march.first_day, march.first_day),
        [],
    )
    short = Period(date(2026, 3, 5), date(2026, 3, 20))
    assert whole_months(short.first_day, short.last_day) == (
        None,
        [(short.first_day, short.last_day)],
    )


@pytest.mark.parametrize(
    "text",
    [
        "01/01/0001-02/01/0001",
        "01/12/9999-31/12/9999",
        "31/12/1969-05/01/1970",
        "01/01/2100-01/01/2101",
    ],
)
def test_dates_outside_1970_to_2100_are_refused(text: str) -> None:
    with pytest.raises(PeriodOutOfRange, match="1970"):
        parse_period(text, date(2026, 3, 1))


@pytest.mark.parametrize("code", ["c3652058-3652059", "c1-2", "m719162-719163", "c767376-767377"])
def test_forged_codes_outside_the_range_are_refused(code: str) -> None:
    with pytest.raises(PeriodError):
        from_code(code)


def test_the_edges_of_the_range_have_bounds() -> None:
    for zone in (ZONE, ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago")):
        low = parse_period("01/01/1970-03/01/1970", date(2026, 3, 1)).bounds(zone)
        high = parse_period("29/12/2100-31/12/2100", date(2026, 3, 1)).bounds(zone)
        assert low[0] < low[1] and high[0] < high[1]
    assert parse_date("31/12/2100") == date(2100, 12, 31)
    with pytest.raises(PeriodOutOfRange):
        parse_date("01/01/2101")
    with pytest.raises(PeriodOutOfRange):
        Period(date(1, 1, 1), date(1, 1, 2))


def test_the_longest_period_and_the_error_messages() -> None:
    start = date(2025, 1, 1)
    assert Period(start, start + timedelta(days=MAX_DAYS - 1)).days == MAX_DAYS
    with pytest.raises(PeriodError, match=f"at most {MAX_DAYS} days"):
        Period(start, start + timedelta(days=MAX_DAYS))
    with pytest.raises(PeriodError, match="ends before it starts"):
        Period(start, start - timedelta(days=1))
    with pytest.raises(PeriodError, match="custom period needs its dates"):
        preset(PeriodKind.CUSTOM, start)
    with pytest.raises(PeriodError, match="no such day: 31/02/2026"):
        parse_date("31/02/2026")
    with pytest.raises(PeriodError, match=r"not a date: 'hôm qua' \(expected dd/mm/yyyy\)"):
        parse_date("hôm qua")
    with pytest.raises(PeriodError, match="not a period: 'hôm qua'"):
        parse_period(" hôm qua ", start)
    for code in ("x1-2", "m9999999-9999999"):
        with pytest.raises(PeriodError, match=f"not a period code: '{code}'"):
            from_code(code)


def test_quarters_buckets_and_edges() -> None:
    for month, first, last in ((1, 1, 3), (3, 1, 3), (4, 4, 6), (12, 10, 12)):
        quarter = this_quarter(date(2026, month, 15))
        assert (quarter.start.month, quarter.end.month, quarter.kind) == (
            first,
            last,
            PeriodKind.QUARTER,
        )
    period = Period(date(2026, 1, 15), date(2026, 3, 2))
    assert [(b.start, b.end) for b in months(period)] == [
        (date(2026, 1, 15), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 2)),
    ]
    monday = date(2026, 3, 2)
    assert [(b.start, b.end) for b in weeks(Period(monday, monday + timedelta(days=7)))] == [
        (monday, monday + timedelta(days=6)),
        (monday + timedelta(days=7), monday + timedelta(days=7)),
    ]
    quarter_long = Period(date(2026, 1, 1), date(2026, 4, 2))  # 92 days: still weeks
    assert quarter_long.days == 92 and breakdown(quarter_long) == weeks(quarter_long)
    longer = Period(date(2026, 1, 1), date(2026, 4, 3))
    assert breakdown(longer) == months(longer)


def test_clipping_keeps_the_kind_and_the_edges() -> None:
    month = this_month(date(2026, 3, 9))
    first = month.clipped(date(2026, 3, 1))
    assert (first.start, first.end, first.kind) == (date(2026, 3, 1), date(2026, 3, 1), month.kind)
    assert month.clipped(date(2026, 3, 31)) == month
    assert month.clipped(date(2026, 2, 28)) == month  # not begun yet: left as it is


def test_local_days_and_midnights() -> None:
    assert local_midnight(date(2026, 3, 1), ZONE).tzinfo == UTC
    assert local_day(datetime(2026, 3, 1, 18, 0), ZONE) == date(2026, 3, 2)  # naive: UTC
    assert local_day(datetime(2026, 3, 1, 18, 0, tzinfo=UTC), ZONE) == date(2026, 3, 2)
    assert local_day(datetime(2026, 3, 1, 18, 0, tzinfo=ZONE), ZONE) == date(2026, 3, 1)


def test_whole_months_at_their_edges() -> None:
    def day(month: int, number: int) -> int:
        return date(2026, month, number).toordinal()

    # No whole month inside: one edge range.
    assert whole_months(day(1, 15), day(2, 10)) == (None, [(day(1, 15), day(2, 10))])
    # Ending on the first of a month: that day is an edge of its own.
    assert whole_months(day(1, 1), day(3, 1)) == ((day(1, 1), day(2, 1)), [(day(3, 1), day(3, 1))])
    assert whole_months(day(1, 31), day(3, 31)) == (
        (day(2, 1), day(3, 1)),
        [(day(1, 31), day(1, 31))],
    )


def test_days_and_midnights_do_not_depend_on_the_servers_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert local_midnight(date(2026, 3, 1), ZONE) == datetime(2026, 2, 28, 17, tzinfo=UTC)
        assert local_midnight(date(2026, 3, 1), ZONE).utcoffset() == timedelta(0)
        # Naive means UTC: 12:00 UTC is 19:00 in Hà Nội (12:00 in New York would be 00:00).
        assert local_day(datetime(2026, 3, 1, 12, 0), ZONE) == date(2026, 3, 1)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_more_edges() -> None:
    period = Period(date(2026, 1, 15), date(2026, 3, 1))
    assert [(b.start, b.end) for b in months(period)][-1] == (date(2026, 3, 1), date(2026, 3, 1))
    first = date(2026, 1, 1).toordinal()
    assert unpack_days(pack_days([first + DAY_OFFSET_MAX], first), first) == [first + 0xFFFF]
    with pytest.raises(ValueError) as refused:
        pack_days([first + DAY_OFFSET_MAX + 1], first)
    assert str(refused.value) == "days out of range of the first day"
    with pytest.raises(PeriodError) as wrong:
        Period(date(2026, 1, 2), date(2026, 1, 1))
    assert str(wrong.value) == "the period ends before it starts"
    with pytest.raises(PeriodError) as custom:
        preset(PeriodKind.CUSTOM, date(2026, 1, 1))
    assert str(custom.value) == "a custom period needs its dates"
