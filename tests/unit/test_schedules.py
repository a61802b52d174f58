"""Reminder schedules: next fire times on the local calendar, month ends, quiet hours, holidays,
start and end dates, cron lines, and the input parsers. Pure: every "now" is given."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import campaigns
from bot.domain.schedules import (
    Cron,
    Holidays,
    Kind,
    QuietHours,
    Schedule,
    ScheduleError,
    check_timezone,
    last_day_of_month,
    parse_date_range,
    parse_local_datetime,
    parse_monthly,
    parse_time,
    parse_weekdays,
    parse_weekly,
    system_clock,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")  # UTC+7 all year: no daylight-saving change
QUIET = QuietHours.parse("21:00-07:00")


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=VN)  # type: ignore[misc]


def fires(schedule: Schedule, after: datetime, count: int) -> list[datetime]:
    found: list[datetime] = []
    moment: datetime | None = after
    while len(found) < count:
        assert moment is not None
        moment = schedule.next_fire(moment)
        if moment is None:
            break
        found.append(moment.astimezone(VN))
    return found


def test_daily_in_a_dst_free_zone_is_utc_plus_seven() -> None:
    schedule = Schedule(Kind.DAILY, at=time(8, 0))
    first = schedule.next_fire(local(2026, 3, 8, 9, 0))
    assert first == datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    assert first is not None and first.tzinfo is UTC
    assert schedule.next_fire(local(2026, 3, 8, 7, 59)) == local(2026, 3, 8, 8, 0)
    # Strictly after: a fire at exactly `after` is not repeated.
    assert schedule.next_fire(local(2026, 3, 8, 8, 0)) == local(2026, 3, 9, 8, 0)


def test_weekly_on_chosen_days() -> None:
    schedule = Schedule(Kind.WEEKLY, at=time(8, 0), weekdays=parse_weekdays("T2, T4, CN"))
    days = [f.strftime("%a %d") for f in fires(schedule, local(2026, 8, 5, 9, 0), 4)]
    assert days == ["Sun 09", "Mon 10", "Wed 12", "Sun 16"]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (31, [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]),
        (30, [date(2026, 1, 30), date(2026, 2, 28), date(2026, 3, 30), date(2026, 4, 30)]),
        (29, [date(2028, 1, 29), date(2028, 2, 29), date(2028, 3, 29), date(2028, 4, 29)]),
        (15, [date(2026, 1, 15), date(2026, 2, 15), date(2026, 3, 15), date(2026, 4, 15)]),
    ],
)
def test_monthly_falls_back_to_the_last_day_of_shorter_months(
    day: int, expected: list[date]
) -> None:
    schedule = Schedule(Kind.MONTHLY, at=time(9, 0), month_day=day)
    year = expected[0].year
    got = [f.date() for f in fires(schedule, local(year, 1, 1, 0, 0), 4)]
    assert got == expected
    # From the clamped day itself, the next fire is next month's, not the same one again.
    assert fires(schedule, local(year, 2, expected[1].day, 9, 0), 1)[0].date() == expected[2]


def test_quiet_hours_move_a_fire_to_their_end() -> None:
    schedule = Schedule(Kind.DAILY, at=time(22, 30), quiet=QUIET)
    assert fires(schedule, local(2026, 5, 4, 12, 0), 2) == [
        local(2026, 5, 5, 7, 0),
        local(2026, 5, 6, 7, 0),
    ]
    # Asked at 06:00, the fire named for 22:30 yesterday is still ahead, at 07:00.
    assert schedule.next_fire(local(2026, 5, 5, 6, 0)) == local(2026, 5, 5, 7, 0)


def test_quiet_hours_not_crossing_midnight() -> None:
    lunch = QuietHours.parse("11:30-13:00")
    schedule = Schedule(Kind.DAILY, at=time(12, 0), quiet=lunch)
    assert schedule.next_fire(local(2026, 5, 4, 8, 0)) == local(2026, 5, 4, 13, 0)


def test_fires_moved_to_the_same_moment_count_once() -> None:
    hourly = Schedule(Kind.CRON, cron="0 * * * *", quiet=QUIET)
    day = fires(hourly, local(2026, 5, 4, 19, 30), 3)
    assert day == [local(2026, 5, 4, 20, 0), local(2026, 5, 5, 7, 0), local(2026, 5, 5, 8, 0)]


def test_once_inside_quiet_hours_waits_for_the_morning() -> None:
    schedule = Schedule(Kind.ONCE, once_at=local(2026, 9, 1, 23, 15), quiet=QUIET)
    assert schedule.next_fire(local(2026, 9, 1, 12, 0)) == local(2026, 9, 2, 7, 0)
    assert schedule.next_fire(local(2026, 9, 2, 7, 0)) is None


def test_holidays_are_skipped_when_asked() -> None:
    holidays = Holidays.parse(["04-30", "05-01", "09-02", "2026-02-17"])
    daily = Schedule(Kind.DAILY, at=time(8, 0), holidays=holidays)
    got = [f.date() for f in fires(daily, local(2026, 4, 29, 9, 0), 2)]
    assert got == [date(2026, 5, 2), date(2026, 5, 3)]
    lunar = [f.date() for f in fires(daily, local(2026, 2, 16, 9, 0), 1)]
    assert lunar == [date(2026, 2, 18)]
    without = Schedule(Kind.DAILY, at=time(8, 0))
    assert fires(without, local(2026, 4, 29, 9, 0), 1)[0].date() == date(2026, 4, 30)


def test_a_fire_moved_onto_a_holiday_is_skipped() -> None:
    holidays = Holidays.parse(["09-02"])
    late = Schedule(Kind.DAILY, at=time(22, 0), quiet=QUIET, holidays=holidays)
    got = [f.date() for f in fires(late, local(2026, 8, 31, 12, 0), 2)]
    assert got == [date(2026, 9, 1), date(2026, 9, 3)]


def test_a_one_off_on_a_holiday_moves_to_the_next_working_day() -> None:
    holidays = Holidays.parse(["09-02"])
    schedule = Schedule(Kind.ONCE, once_at=local(2026, 9, 2, 8, 0), holidays=holidays)
    assert schedule.next_fire(local(2026, 8, 1, 0, 0)) == local(2026, 9, 3, 8, 0)


def test_start_and_end_dates() -> None:
    schedule = Schedule(Kind.DAILY, at=time(8, 0), start=date(2026, 9, 5), end=date(2026, 9, 7))
    got = [f.date() for f in fires(schedule, local(2026, 9, 1, 0, 0), 5)]
    assert got == [date(2026, 9, 5), date(2026, 9, 6), date(2026, 9, 7)]


def test_latest_due_is_what_a_late_scheduler_owes() -> None:
    schedule = Schedule(Kind.DAILY, at=time(8, 0))
    now = local(2026, 9, 4, 8, 30)
    assert schedule.latest_due(local(2026, 9, 1, 9, 0), now) == local(2026, 9, 4, 8, 0)
    assert schedule.latest_due(local(2026, 9, 4, 8, 0), now) is None


@pytest.mark.parametrize(
    ("line", "after", "expected"),
    [
        ("0 8 * * 1-5", local(2026, 8, 7, 9, 0), local(2026, 8, 10, 8, 0)),  # Fri → Mon
        ("*/15 9-10 * * *", local(2026, 8, 7, 9, 50), local(2026, 8, 7, 10, 0)),
        ("30 7 1,15 * *", local(2026, 8, 2, 0, 0), local(2026, 8, 15, 7, 30)),
        ("0 8 * * sun", local(2026, 8, 7, 0, 0), local(2026, 8, 9, 8, 0)),
        ("0 8 * * 7", local(2026, 8, 7, 0, 0), local(2026, 8, 9, 8, 0)),
        ("0 0 1 jan *", local(2026, 8, 7, 0, 0), local(2027, 1, 1, 0, 0)),
        # Both day fields restricted: either one matches (the 13th, or a Friday).
        ("0 12 13 * 5", local(2026, 8, 8, 0, 0), local(2026, 8, 13, 12, 0)),
    ],
)
def test_cron_lines(line: str, after: datetime, expected: datetime) -> None:
    assert Schedule(Kind.CRON, cron=line).next_fire(after) == expected


def test_a_cron_line_that_never_matches_has_no_fire() -> None:
    assert Schedule(Kind.CRON, cron="0 8 31 2 *").next_fire(local(2026, 1, 1, 0, 0)) is None


@pytest.mark.parametrize(
    "line", ["", "* * * *", "60 * * * *", "0 24 * * *", "0 8 0 * *", "*/0 * * * *", "5-1 * * * *"]
)
def test_bad_cron_lines_are_refused(line: str) -> None:
    with pytest.raises(ScheduleError):
        Cron.parse(line)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": Kind.DAILY},
        {"kind": Kind.WEEKLY, "at": time(8)},
        {"kind": Kind.MONTHLY, "at": time(8), "month_day": 32},
        {"kind": Kind.ONCE, "once_at": datetime(2026, 1, 1)},
        {"kind": Kind.DAILY, "at": time(8), "timezone": "Mars/Olympus"},
        {"kind": Kind.DAILY, "at": time(8), "start": date(2026, 2, 1), "end": date(2026, 1, 1)},
    ],
)
def test_incomplete_schedules_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ScheduleError):
        Schedule(**kwargs)  # type: ignore[arg-type]


def test_parsers() -> None:
    assert parse_time("7h30") == time(7, 30)
    assert parse_weekdays("mon,wed 7") == frozenset({0, 2, 6})
    assert parse_weekly("T2 T6 08:00") == (frozenset({0, 4}), time(8, 0))
    assert parse_monthly("31 8:05") == (31, time(8, 5))
    assert parse_local_datetime("19/08/2026 08:00") == datetime(2026, 8, 19, 8, 0)
    assert parse_date_range("-31/12/2026") == (None, date(2026, 12, 31))
    assert parse_date_range("0") == (None, None)
    assert QuietHours.parse("off") is None
    assert str(QUIET) == "21:00-07:00"
    for bad in ("25:00", "7", "8:60"):
        with pytest.raises(ScheduleError):
            parse_time(bad)
    with pytest.raises(ScheduleError):
        Holidays.parse(["13-01"])
    with pytest.raises(ScheduleError):
        QuietHours.parse("07:00-07:00")


@given(
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1)),
)
def test_fires_are_strictly_increasing_and_never_in_quiet_hours(at: time, start: datetime) -> None:
    schedule = Schedule(Kind.DAILY, at=at, quiet=QUIET, holidays=Holidays.parse(["01-01"]))
    previous = start.replace(tzinfo=VN)
    for moment in fires(schedule, previous, 5):
        assert moment > previous
        assert not QUIET.contains(moment.time())
        assert (moment.month, moment.day) != (1, 1)
        assert moment - previous <= timedelta(days=2, hours=10)
        previous = moment


def test_the_19_8_series() -> None:
    assert campaigns.offer_year(date(2026, 7, 19)) is None
    assert campaigns.offer_year(date(2026, 7, 20)) == 2026
    assert campaigns.offer_year(date(2026, 8, 18)) == 2026
    assert campaigns.offer_year(date(2026, 8, 19)) is None
    times = [campaigns.fire_time(step, 2026) for step in campaigns.STEPS]
    assert times == sorted(times)
    assert times[-1].date() == date(2026, 8, 19)
    key = campaigns.campaign_key(2026, campaigns.STEPS[1])
    assert campaigns.parse_campaign_key(key) == (2026, campaigns.STEPS[1])
    assert campaigns.parse_campaign_key("other:2026:d7") is None
    offer = Schedule(Kind.CRON, cron=campaigns.offer_cron())
    assert offer.next_fire(local(2026, 1, 1, 0, 0)) == local(2026, 7, 20, 9, 0)


def test_parsers_at_their_edges() -> None:
    assert parse_time("23:59") == time(23, 59) and parse_time("0:00") == time(0, 0)
    assert parse_weekdays("1 7") == frozenset({0, 6})  # ISO numbers: Monday is 1
    assert parse_weekdays(", t2,,cn ") == frozenset({0, 6})
    assert parse_monthly("1 08:00") == (1, time(8, 0))
    assert parse_local_datetime(" 2026-08-19T08:00 ") == datetime(2026, 8, 19, 8, 0)
    assert parse_date_range("01/09/2026-") == (date(2026, 9, 1), None)
    assert parse_date_range("01/09/2026 - 01/09/2026") == (date(2026, 9, 1), date(2026, 9, 1))
    assert parse_date_range("") == parse_date_range("-") == (None, None)


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (parse_time, "24:00", "not a time of day (HH:MM): '24:00'"),
        (parse_time, "8:60", "not a time of day"),
        (parse_weekdays, "t2 0", "not a day of the week: '0'"),
        (parse_weekdays, "8", "not a day of the week: '8'"),
        (parse_weekdays, " , ", "no day of the week given"),
        (parse_monthly, "0 08:00", "not a day of the month (1-31): '0'"),
        (parse_monthly, "32 08:00", "not a day of the month"),
        (parse_local_datetime, "31/02/2026 08:00", "no such day: 31/02/2026"),
        (parse_date_range, "hôm nay", "not a date range: 'hôm nay'"),
        (parse_date_range, "31/02/2026-", "no such day: 31/02/2026"),
        (parse_date_range, "02/09/2026-01/09/2026", "the end date is before the start date"),
        (check_timezone, "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        (QuietHours.parse, "tối", "quiet hours must look like 21:00-07:00 or off: 'tối'"),
        (QuietHours.parse, "07:00-07:00", "must not start and end at the same time"),
        (lambda text: Holidays.parse([text]), "02-30", "not a holiday (MM-DD or YYYY-MM-DD)"),
        (Cron.parse, "0 8 * *", "a cron line has 5 fields"),
        (Cron.parse, "*/0 8 * * *", "cron step must be a positive number"),
        (Cron.parse, "0 9-8 * * *", "cron range runs backwards"),
    ],
)
def test_bad_input_is_refused_with_what_is_wrong(
    parse: Callable[[str], object], text: str, message: str
) -> None:
    with pytest.raises(ScheduleError) as refused:
        parse(text)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": Kind.ONCE, "once_at": datetime(2026, 1, 1)}, "needs an aware date and time"),
        ({"kind": Kind.DAILY}, "a daily reminder needs a time of day"),
        ({"kind": Kind.WEEKLY, "at": time(8), "weekdays": frozenset({7})}, "0 (Monday) to 6"),
        ({"kind": Kind.WEEKLY, "at": time(8)}, "a weekly reminder needs at least one day"),
        ({"kind": Kind.MONTHLY, "at": time(8), "month_day": 0}, "a day from 1 to 31"),
        ({"kind": Kind.MONTHLY, "at": time(8)}, "a day from 1 to 31"),
        (
            {"kind": Kind.DAILY, "at": time(8), "start": date(2026, 2, 2), "end": date(2026, 2, 1)},
            "the end date is before the start date",
        ),
    ],
)
def test_incomplete_schedules_say_why(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ScheduleError, match=re.escape(message)):
        Schedule(**kwargs)  # type: ignore[arg-type]


def test_schedule_edges_that_are_allowed() -> None:
    every_day = frozenset(range(7))
    weekly = Schedule(kind=Kind.WEEKLY, at=time(8), weekdays=every_day, timezone="Asia/Ho_Chi_Minh")
    assert weekly.next_fire(local(2026, 3, 2, 9, 0)) == local(2026, 3, 3, 8, 0)
    first = Schedule(kind=Kind.MONTHLY, at=time(8), month_day=1, timezone="Asia/Ho_Chi_Minh")
    assert first.next_fire(local(2026, 12, 1, 9, 0)) == local(2027, 1, 1, 8, 0)
    one_day = Schedule(
        kind=Kind.DAILY,
        at=time(8),
        start=date(2026, 3, 5),
        end=date(2026, 3, 5),
        timezone="Asia/Ho_Chi_Minh",
    )
    assert fires(one_day, local(2026, 3, 1, 0, 0), 1) == [local(2026, 3, 5, 8, 0)]
    assert one_day.next_fire(local(2026, 3, 5, 8, 0)) is None


def test_quiet_hours_edges() -> None:
    day = QuietHours.parse("08:00-17:00")
    assert day is not None and QUIET is not None
    assert day.contains(time(8, 0)) and not day.contains(time(17, 0))
    assert not day.contains(time(7, 59)) and day.contains(time(16, 59))
    assert QUIET.contains(time(21, 0)) and not QUIET.contains(time(7, 0))
    assert QUIET.release(datetime(2026, 3, 2, 21, 0)) == datetime(2026, 3, 3, 7, 0)
    assert QUIET.release(datetime(2026, 3, 2, 6, 0)) == datetime(2026, 3, 2, 7, 0)
    assert QUIET.release(datetime(2026, 3, 2, 20, 59)) == datetime(2026, 3, 2, 20, 59)
    assert day.release(datetime(2026, 3, 2, 8, 0)) == datetime(2026, 3, 2, 17, 0)
    assert QUIET.window_start(datetime(2026, 3, 2, 6, 59)) == datetime(2026, 3, 1, 21, 0)
    assert QUIET.window_start(datetime(2026, 3, 2, 23, 0)) == datetime(2026, 3, 2, 21, 0)
    assert day.window_start(datetime(2026, 3, 2, 9, 0)) == datetime(2026, 3, 2, 8, 0)


def test_a_fire_right_at_the_end_of_quiet_hours_is_not_lost() -> None:
    """07:00 is the first moment after 21:00-07:00: a reminder set for it fires then."""
    morning = Schedule(kind=Kind.DAILY, at=time(7), quiet=QUIET, timezone="Asia/Ho_Chi_Minh")
    assert morning.next_fire(local(2026, 3, 2, 6, 59)) == local(2026, 3, 2, 7, 0)
    assert morning.next_fire(local(2026, 3, 2, 7, 0)) == local(2026, 3, 3, 7, 0)
    late = Schedule(kind=Kind.DAILY, at=time(22, 30), quiet=QUIET, timezone="Asia/Ho_Chi_Minh")
    assert late.next_fire(local(2026, 3, 2, 22, 31)) == local(2026, 3, 3, 7, 0)
    assert late.next_fire(local(2026, 3, 3, 6, 0)) == local(2026, 3, 3, 7, 0)


def test_holidays() -> None:
    holidays = Holidays.parse(["02-29", " 09-02 ", "2026-02-17"])
    assert date(2028, 2, 29) in holidays and date(2027, 9, 2) in holidays
    assert date(2026, 2, 17) in holidays and date(2027, 2, 17) not in holidays
    assert "09-02" not in holidays  # only dates are days
    assert last_day_of_month(2026, 12) == 31 and last_day_of_month(2028, 2) == 29


def test_cron_minutes_and_ranges() -> None:
    every = Cron.parse("* * * * *")
    assert every.next_after(datetime(2026, 3, 2, 8, 0, 30, 5)) == datetime(2026, 3, 2, 8, 1)
    assert every.next_after(datetime(2026, 3, 2, 8, 0)) == datetime(2026, 3, 2, 8, 1)
    assert Cron.parse("0 8-9 * * *").next_after(datetime(2026, 3, 2, 8, 0)) == datetime(
        2026, 3, 2, 9, 0
    )
    yearly = Cron.parse("0 8 31 12 *")
    assert yearly.next_after(datetime(2026, 12, 31, 8, 0)) == datetime(2027, 12, 31, 8, 0)


def test_the_clock_is_aware_and_cron_steps_and_ranges_are_read_right() -> None:
    assert system_clock().tzinfo is UTC
    stepped = Cron.parse("5/20 8 * * *")  # from minute 5 on, every 20 minutes
    assert stepped.next_after(datetime(2026, 3, 2, 8, 5)) == datetime(2026, 3, 2, 8, 25)
    assert stepped.next_after(datetime(2026, 3, 2, 8, 45)) == datetime(2026, 3, 3, 8, 5)
    with pytest.raises(ScheduleError) as refused:
        Cron.parse("0 24 * * *")
    assert str(refused.value) == "cron hour must be 0-23: '24'"
