"""When a reminder fires: once, daily, weekly on some days, monthly on a day, or a cron line.

Everything here is pure: times come in as arguments (a `Clock` is injected where "now" is
needed), nothing reads the wall clock. Fire times are computed on the unit's local calendar
and returned as aware UTC datetimes.

Rules, in the order they apply to each *nominal* fire (the time the schedule names):
- `start`/`end` are local dates; a nominal fire before `start` or after `end` does not count.
- Monthly on day 29, 30 or 31 fires on the month's last day when the month is shorter
  (day 31 in a 30-day month fires on the 30th, in February on the 28th or 29th).
- Quiet hours (e.g. 21:00-07:00, crossing midnight) move a fire that falls inside them to the
  moment they end. Several nominal fires moved to the same moment count once.
- With holidays skipped, a fire whose (moved) local date is a holiday does not happen; a
  one-off reminder moves to the same clock time on the next day that is not a holiday.
Local times that a daylight-saving change makes ambiguous or missing resolve as `zoneinfo`
does by default (fold 0); the default zone, Asia/Ho_Chi_Minh, has no such change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.periods import PeriodError, parse_date

Clock = Callable[[], datetime]
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
# Bounds the search for one fire (a cron line on holidays only, say): beyond it, no fire.
MAX_STEPS = 100_000
_TIME = re.compile(r"^\s*(\d{1,2})[:hH](\d{2})\s*$")
_QUIET = re.compile(r"^\s*(\d{1,2}[:hH]\d{2})\s*[-–]\s*(\d{1,2}[:hH]\d{2})\s*$")
_OFF = {"", "off", "none", "no", "tat", "tắt", "khong", "không"}
_WEEKDAY_WORDS = {
    **{name: index for index, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{f"t{number}": number - 2 for number in range(2, 8)},
    "cn": 6,
}


def system_clock() -> datetime:
    return datetime.now(UTC)


class ScheduleError(ValueError):
    """A schedule that cannot be read or never fires; the message names the problem."""


class Kind(StrEnum):
    ONCE = "once"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    CRON = "cron"


def parse_time(text: str) -> time:
    """A time of day from "7:30", "07:30" or "7h30"."""
    match = _TIME.match(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ScheduleError(f"not a time of day (HH:MM): {text!r}")
    return time(int(match[1]), int(match[2]))


def parse_weekdays(text: str) -> frozenset[int]:
    """Days as 0 (Monday) … 6 (Sunday) from "mon,wed", "t2 t4 cn" or ISO numbers "1,3,7"."""
    days: set[int] = set()
    for word in re.split(r"[,\s;]+", text.strip().lower()):
        if not word:
            continue
        if word in _WEEKDAY_WORDS:
            days.add(_WEEKDAY_WORDS[word])
        elif word.isdigit() and 1 <= int(word) <= 7:
            days.add(int(word) - 1)
        else:
            raise ScheduleError(f"not a day of the week: {word!r}")
    if not days:
        raise ScheduleError("no day of the week given")
    return frozenset(days)


# How people write days of the week in Vietnamese: thứ Hai is T2, …, Chủ nhật is CN.
WEEKDAY_NAMES = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")


def weekday_names(days: Iterable[int]) -> str:
    """Days 0 (Monday) … 6 (Sunday) as written in Vietnamese, Monday first: "T2, T4, CN"."""
    return ", ".join(WEEKDAY_NAMES[day] for day in sorted(set(days)))


def parse_local_datetime(text: str) -> datetime:
    """A naive local date and time: "19/08/2026 08:00" or ISO "2026-08-19 08:00"."""
    raw = text.strip().replace("T", " ")
    day_text, _, time_text = raw.rpartition(" ")
    try:
        return datetime.combine(parse_date(day_text.strip()), parse_time(time_text))
    except PeriodError as exc:
        raise ScheduleError(str(exc)) from exc


def parse_weekly(text: str) -> tuple[frozenset[int], time]:
    """Days and a time: "T2 T4 08:00", "mon,wed 8:00"."""
    days_text, _, time_text = text.strip().rpartition(" ")
    return parse_weekdays(days_text), parse_time(time_text)


def parse_monthly(text: str) -> tuple[int, time]:
    """A day of the month and a time: "31 08:00"."""
    day_text, _, time_text = text.strip().partition(" ")
    if not day_text.isdigit() or not 1 <= int(day_text) <= 31:
        raise ScheduleError(f"not a day of the month (1-31): {day_text!r}")
    return int(day_text), parse_time(time_text)


def parse_date_range(text: str) -> tuple[date | None, date | None]:
    """ "01/09/2026-31/12/2026", "01/09/2026-" or "-31/12/2026"; "0" clears both."""
    raw = text.strip()
    if raw in {"0", "", "-"}:
        return None, None
    match = re.fullmatch(r"([\d/.]*)\s*[-–]\s*([\d/.]*)", raw)
    if match is None:
        raise ScheduleError(f"not a date range: {raw!r}")
    try:
        start = parse_date(match[1]) if match[1] else None
        end = parse_date(match[2]) if match[2] else None
    except PeriodError as exc:
        raise ScheduleError(str(exc)) from exc
    if start and end and end < start:
        raise ScheduleError("the end date is before the start date")
    return start, end


def check_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"unknown time zone {name!r}") from exc


@dataclass(frozen=True)
class QuietHours:
    """A daily window with no fires: [start, end), crossing midnight when start > end."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str | None) -> QuietHours | None:
        """The window from "21:00-07:00"; None for "off" (or nothing)."""
        if text is None or text.strip().lower() in _OFF:
            return None
        match = _QUIET.match(text)
        if not match:
            raise ScheduleError(f"quiet hours must look like 21:00-07:00 or off: {text!r}")
        start, end = parse_time(match[1]), parse_time(match[2])
        if start == end:
            raise ScheduleError("quiet hours must not start and end at the same time")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def release(self, local: datetime) -> datetime:
        """`local` itself, or the end of the quiet window it falls in."""
        if not self.contains(local.time()):
            return local
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)
        return datetime.combine(day, self.end)

    def window_start(self, local: datetime) -> datetime:
        """The start of the quiet window `local` falls in (`local` is inside it)."""
        day = local.date()
        if self.start > self.end and local.time() < self.end:
            day -= timedelta(days=1)
        return datetime.combine(day, self.start)


@dataclass(frozen=True)
class Holidays:
    """Days with no reminders: a public calendar, plus fixed days every year (MM-DD) and single
    dates (YYYY-MM-DD), minus the days removed. The calendar comes in as a function of the year
    (see `bot.holiday_calendar`), so this stays pure."""

    yearly: frozenset[tuple[int, int]] = frozenset()
    dated: frozenset[date] = frozenset()
    removed_yearly: frozenset[tuple[int, int]] = frozenset()
    removed: frozenset[date] = frozenset()
    calendar: Callable[[int], AbstractSet[date]] | None = field(default=None, compare=False)

    @classmethod
    def parse(
        cls,
        items: Iterable[str],
        *,
        exclude: Iterable[str] = (),
        calendar: Callable[[int], AbstractSet[date]] | None = None,
    ) -> Holidays:
        """Days added (`MM-DD`, `YYYY-MM-DD`) and removed (the same with a leading `-`, or in
        `exclude`) on top of `calendar`."""
        added: tuple[set[tuple[int, int]], set[date]] = (set(), set())
        removed: tuple[set[tuple[int, int]], set[date]] = (set(), set())
        for item in items:
            text = item.strip()
            if text.startswith("-"):
                _parse_day(text[1:].strip(), *removed)
            else:
                _parse_day(text, *added)
        for item in exclude:
            _parse_day(item.strip().lstrip("-").strip(), *removed)
        return cls(
            frozenset(added[0]),
            frozenset(added[1]),
            frozenset(removed[0]),
            frozenset(removed[1]),
            calendar,
        )

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        key = (day.month, day.day)
        if day in self.removed or key in self.removed_yearly:
            return False
        if key in self.yearly or day in self.dated:
            return True
        return self.calendar is not None and day in self.calendar(day.year)


def _parse_day(text: str, yearly: set[tuple[int, int]], dated: set[date]) -> None:
    try:
        if re.fullmatch(r"\d{2}-\d{2}", text):
            month, day = int(text[:2]), int(text[3:])
            date(2000, month, day)  # a leap year: 02-29 is a valid yearly holiday
            yearly.add((month, day))
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            dated.add(date.fromisoformat(text))
        else:
            raise ValueError(text)
    except ValueError as exc:
        raise ScheduleError(f"not a holiday (MM-DD or YYYY-MM-DD): {text!r}") from exc


def last_day_of_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


@dataclass(frozen=True)
class Schedule:
    """A reminder's timing. `at` is the local time of day for daily, weekly and monthly."""

    kind: Kind
    timezone: str = DEFAULT_TIMEZONE
    at: time | None = None
    weekdays: frozenset[int] = frozenset()
    month_day: int | None = None
    cron: str | None = None
    once_at: datetime | None = None  # aware; read on the local calendar
    start: date | None = None
    end: date | None = None
    quiet: QuietHours | None = None
    holidays: Holidays | None = None  # None: holidays are not skipped
    _cron: Cron | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_timezone(self.timezone)
        if self.kind is Kind.ONCE:
            if self.once_at is None or self.once_at.tzinfo is None:
                raise ScheduleError("a one-off reminder needs an aware date and time")
        elif self.kind is Kind.CRON:
            object.__setattr__(self, "_cron", Cron.parse(self.cron or ""))
        elif self.at is None:
            raise ScheduleError(f"a {self.kind.value} reminder needs a time of day")
        if self.kind is Kind.WEEKLY and not self.weekdays <= frozenset(range(7)):
            raise ScheduleError("days of the week are 0 (Monday) to 6 (Sunday)")
        if self.kind is Kind.WEEKLY and not self.weekdays:
            raise ScheduleError("a weekly reminder needs at least one day")
        if self.kind is Kind.MONTHLY and not 1 <= (self.month_day or 0) <= 31:
            raise ScheduleError("a monthly reminder needs a day from 1 to 31")
        if self.start and self.end and self.end < self.start:
            raise ScheduleError("the end date is before the start date")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, moment: datetime) -> datetime:
        """An aware moment as a naive local time."""
        return moment.astimezone(self.zone).replace(tzinfo=None)

    def to_utc(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.zone).astimezone(UTC)

    def next_fire(self, after: datetime) -> datetime | None:
        """The first fire strictly after the aware moment `after`, in UTC; None: no more."""
        if self.kind is Kind.ONCE:
            return self._once_after(after)
        after_local = self.local(after)
        cursor = after_local
        if self.quiet is not None and self.quiet.contains(after_local.time()):
            # Fires named inside this quiet window are moved past `after`: look at them too.
            cursor = self.quiet.window_start(after_local) - timedelta(microseconds=1)
        if self.start is not None:
            cursor = max(cursor, datetime.combine(self.start, time()) - timedelta(microseconds=1))
        for _ in range(MAX_STEPS):
            nominal = self._nominal_after(cursor)
            if nominal is None or (self.end is not None and nominal.date() > self.end):
                return None
            cursor = nominal
            actual = self.quiet.release(nominal) if self.quiet else nominal
            if self.holidays is not None and actual.date() in self.holidays:
                continue
            moment = self.to_utc(actual)
            if moment > after:
                return moment
        return None

    def fires(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """Every fire in (after, until], in order."""
        moment = self.next_fire(after)
        while moment is not None and moment <= until:
            yield moment
            moment = self.next_fire(moment)

    def latest_due(self, after: datetime, now: datetime) -> datetime | None:
        """The newest fire in (after, now]: what a late or restarted scheduler owes."""
        latest = None
        for latest in self.fires(after, now):  # noqa: B007 - the last one is wanted
            pass
        return latest

    def _once_after(self, after: datetime) -> datetime | None:
        assert self.once_at is not None
        local = self.local(self.once_at)
        for _ in range(400):
            actual = self.quiet.release(local) if self.quiet else local
            if self.holidays is None or actual.date() not in self.holidays:
                moment = self.to_utc(actual)
                return moment if moment > after else None
            local += timedelta(days=1)
        return None

    def _nominal_after(self, cursor: datetime) -> datetime | None:
        """The first named fire strictly after the naive local `cursor`."""
        if self.kind is Kind.CRON:
            assert self._cron is not None
            return self._cron.next_after(cursor)
        assert self.at is not None
        day = cursor.date()
        if self.kind is Kind.MONTHLY:
            assert self.month_day is not None
            year, month = day.year, day.month
            for _ in range(3):
                clamped = min(self.month_day, last_day_of_month(year, month))
                candidate = datetime.combine(date(year, month, clamped), self.at)
                if candidate > cursor:
                    return candidate
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            return None
        for offset in range(8):
            candidate = datetime.combine(day + timedelta(days=offset), self.at)
            if candidate <= cursor:
                continue
            if self.kind is Kind.DAILY or candidate.weekday() in self.weekdays:
                return candidate
        return None


_CRON_FIELDS = (  # name, lowest, highest, names
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    (
        "month",
        1,
        12,
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    ),
    ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
CRON_YEARS = 5  # a cron line that matches no day in this many years never fires


@dataclass(frozen=True)
class Cron:
    """A five-field cron line (minute hour day-of-month month day-of-week), local time.

    Fields take `*`, numbers, names (jan, mon), ranges `a-b`, steps `*/n` or `a-b/n` and
    comma lists; day of week 0 and 7 are Sunday. As in classic cron, when both day fields are
    restricted a day matching either one counts.
    """

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # Python numbering: 0 Monday … 6 Sunday
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, line: str) -> Cron:
        parts = line.split()
        if len(parts) != 5:
            raise ScheduleError(
                f"a cron line has 5 fields (minute hour day month weekday): {line!r}"
            )
        values = [_cron_field(part, *spec) for part, spec in zip(parts, _CRON_FIELDS, strict=True)]
        return cls(
            minutes=tuple(sorted(values[0])),
            hours=tuple(sorted(values[1])),
            days=frozenset(values[2]),
            months=frozenset(values[3]),
            weekdays=frozenset((day - 1) % 7 for day in values[4]),
            any_day=parts[2] == "*",
            any_weekday=parts[4] == "*",
        )

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        by_day, by_weekday = day.day in self.days, day.weekday() in self.weekdays
        if self.any_day or self.any_weekday:
            return by_day and by_weekday
        return by_day or by_weekday

    def next_after(self, cursor: datetime) -> datetime | None:
        """The first matching minute strictly after the naive `cursor`."""
        first = cursor.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for offset in range(CRON_YEARS * 366):
            day = first.date() + timedelta(days=offset)
            if not self.matches_day(day):
                continue
            floor = first.time() if offset == 0 else time()
            for hour in self.hours:
                if hour < floor.hour:
                    continue
                for minute in self.minutes:
                    if hour == floor.hour and minute < floor.minute:
                        continue
                    return datetime.combine(day, time(hour, minute))
        return None


def _cron_field(
    text: str, name: str, lowest: int, highest: int, names: tuple[str, ...]
) -> set[int]:
    def number(word: str) -> int:
        word = word.lower()
        if word in names:
            return names.index(word) + (1 if name == "month" else 0)
        if not word.isdigit() or not lowest <= int(word) <= highest:
            raise ScheduleError(f"cron {name} must be {lowest}-{highest}: {text!r}")
        return int(word)

    found: set[int] = set()
    for item in text.split(","):
        body, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"cron step must be a positive number: {text!r}")
            step = int(step_text)
        if body == "*":
            first, last = lowest, highest
        elif "-" in body:
            start, _, stop = body.partition("-")
            first, last = number(start), number(stop)
        else:
            first = number(body)
            last = highest if step_text else first
        if first > last:
            raise ScheduleError(f"cron range runs backwards: {text!r}")
        found.update(range(first, last + 1, step))
    return found
