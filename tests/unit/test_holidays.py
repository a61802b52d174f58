"""Vietnamese public holidays for reminders: the `holidays` package's Vietnam calendar by default
(Tết, Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh and its second day), HOLIDAYS adding and removing
days, HOLIDAYS_EXCLUDE, and daily reminders skipping them.

The lunar dates below were checked against the lunar calendar (an independent converter):
1/1 âm lịch (Tết) is 6 February 2027 and 26 January 2028; 10/3 âm lịch (Giỗ Tổ Hùng Vương) is
16 April 2027 and 4 April 2028.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.schedules import Holidays, Kind, Schedule, ScheduleError, weekday_names
from bot.holiday_calendar import calendar_for, public_holidays
from bot.settings import Settings

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TET_2027 = date(2027, 2, 6)
TET_2028 = date(2028, 1, 26)
GIO_TO_2027 = date(2027, 4, 16)
GIO_TO_2028 = date(2028, 4, 4)


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def daily_fires(holidays: Holidays, first: date, last: date) -> list[date]:
    """The days a reminder every day at 08:00 is sent, from `first` to `last`."""
    schedule = Schedule(Kind.DAILY, at=time(8, 0), start=first, end=last, holidays=holidays)
    after = datetime.combine(first, time(), tzinfo=VN) - timedelta(seconds=1)
    return [moment.astimezone(VN).date() for moment in schedule.fires(after, after.replace(2100))]


def test_the_library_dates_are_the_lunar_ones() -> None:
    import holidays as holiday_package

    names = holiday_package.country_holidays("VN", years=[2027, 2028], language="en_US")
    assert names[TET_2027] == names[TET_2028] == "Lunar New Year"
    assert names[GIO_TO_2027] == names[GIO_TO_2028] == "Hung Kings' Commemoration Day"
    assert {TET_2027, GIO_TO_2027} <= public_holidays("VN", 2027)


def test_the_default_calendar_is_vietnams() -> None:
    days = settings().holiday_rules()
    for day in (
        TET_2027,
        TET_2027 + timedelta(days=1),
        TET_2027 + timedelta(days=2),
        TET_2027 - timedelta(days=1),  # 30 Tết
        TET_2028,
        TET_2028 + timedelta(days=3),
        GIO_TO_2027,
        GIO_TO_2028,
        date(2027, 1, 1),
        date(2027, 4, 30),
        date(2027, 5, 1),
        date(2027, 9, 2),
        date(2027, 9, 3),  # Quốc khánh's second day follows 2/9 in 2027 …
        date(2026, 9, 1),  # … and comes before it in 2026
        date(2026, 9, 2),
    ):
        assert day in days, day
    for day in (date(2027, 2, 15), date(2027, 4, 15), date(2027, 9, 6), date(2028, 8, 19)):
        assert day not in days, day


def test_a_daily_reminder_skips_tet_2027_and_2028() -> None:
    days = settings().holiday_rules()
    around_2027 = daily_fires(days, date(2027, 2, 1), date(2027, 2, 14))
    assert around_2027[:3] == [date(2027, 2, 1), date(2027, 2, 2), date(2027, 2, 3)]
    assert not {TET_2027 + timedelta(days=n) for n in range(-1, 4)} & set(around_2027)
    assert around_2027[3] == date(2027, 2, 11)  # the package's last day off is 10/2
    around_2028 = daily_fires(days, date(2028, 1, 20), date(2028, 2, 5))
    assert not {TET_2028 + timedelta(days=n) for n in range(-1, 4)} & set(around_2028)
    assert date(2028, 1, 23) in around_2028 and date(2028, 1, 30) in around_2028


def test_a_daily_reminder_skips_gio_to_and_both_days_of_quoc_khanh() -> None:
    days = settings().holiday_rules()
    assert daily_fires(days, date(2027, 4, 15), date(2027, 4, 17)) == [
        date(2027, 4, 15),
        date(2027, 4, 17),
    ]
    assert daily_fires(days, date(2028, 4, 3), date(2028, 4, 5)) == [
        date(2028, 4, 3),
        date(2028, 4, 5),
    ]
    assert daily_fires(days, date(2027, 9, 1), date(2027, 9, 4)) == [
        date(2027, 9, 1),
        date(2027, 9, 4),
    ]


def test_holidays_adds_and_removes_days() -> None:
    days = settings(
        holidays="12-24, 2027-03-08, -2027-02-06, -04-30", holidays_exclude="2027-09-03"
    ).holiday_rules()
    assert date(2026, 12, 24) in days and date(2031, 12, 24) in days
    assert date(2027, 3, 8) in days and date(2028, 3, 8) not in days
    assert TET_2027 not in days and TET_2027 + timedelta(days=1) in days
    assert date(2027, 4, 30) not in days and date(2030, 4, 30) not in days
    assert date(2027, 9, 3) not in days and date(2027, 9, 2) in days
    assert daily_fires(days, TET_2027, TET_2027) == [TET_2027]


def test_the_calendar_can_be_turned_off() -> None:
    days = settings(holiday_calendar="off", holidays="09-02").holiday_rules()
    assert date(2027, 9, 2) in days and TET_2027 not in days and date(2027, 9, 3) not in days
    assert calendar_for("off") is None


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"holidays": "13-40"}, "not a holiday"),
        ({"holidays": "-2027-02-30"}, "not a holiday"),
        ({"holidays_exclude": "tet"}, "not a holiday"),
        ({"holiday_calendar": "XX"}, "no holiday calendar for 'XX'"),
    ],
)
def test_bad_entries_name_the_problem(values: dict[str, str], problem: str) -> None:
    with pytest.raises(ScheduleError, match=problem):
        settings(**values).holiday_rules()


def test_weekday_names_as_people_write_them() -> None:
    assert weekday_names([2, 0]) == "T2, T4"
    assert weekday_names([6, 5, 6]) == "T7, CN"
