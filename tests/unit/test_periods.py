"""Reporting periods: presets, the TT 124/2021 assessment year, parsing, codes, bitmaps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bot.domain.periods import (
    Period,
    PeriodError,
    PeriodKind,
    PeriodOutOfRange,
    assessment_year,
    from_code,
    months,
    pack_days,
    parse_date,
    parse_period,
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
